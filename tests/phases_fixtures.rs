//! Snapshot tests: the phase table every captured build stream produces, plus
//! sanity checks that do not depend on the exact timings.

use cachebench::{
    phases::compute::compute_phases, phases::compute::PhaseBreakdown,
    phases::output_format::parser_for, phases::output_format::OutputFormat,
    phases::timeline::Timeline,
};
use chrono::{DateTime, TimeDelta, Utc};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn fixtures(dir: &str, ext: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no fixtures in {}", dir.display());
    v
}

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Feeds a rawjson fixture; the wall window is the stream's own first..last event.
fn rawjson(path: &Path) -> (Timeline, PhaseBreakdown) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut p = parser_for(OutputFormat::RawJson);
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    for line in text.lines() {
        p.feed(line, epoch);
    }
    let t = p.finish(epoch);
    let b = compute_phases(
        t.first_event.unwrap(),
        t.last_event.unwrap(),
        std::slice::from_ref(&t),
        &[],
    );
    (t, b)
}

/// Feeds a legacy fixture at its recorded arrival times; the wall window is
/// 0..last line.
fn legacy(path: &Path) -> (Timeline, PhaseBreakdown) {
    let text = std::fs::read_to_string(path).unwrap();
    let t0 = DateTime::<Utc>::UNIX_EPOCH + TimeDelta::days(20_000);
    let mut p = parser_for(OutputFormat::Legacy);
    let mut last = 0;
    for l in text.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let ms = v["t_ms"].as_i64().unwrap();
        last = last.max(ms);
        p.feed(
            v["line"].as_str().unwrap(),
            t0 + TimeDelta::milliseconds(ms),
        );
    }
    let end = t0 + TimeDelta::milliseconds(last);
    let t = p.finish(end);
    let b = compute_phases(t0, end, std::slice::from_ref(&t), &[]);
    (t, b)
}

fn table(t: &Timeline, b: &PhaseBreakdown) -> String {
    let mut s = String::new();
    writeln!(s, "wall_ms          {:>6}", b.wall_ms).unwrap();
    for (name, ms) in b.phases.named() {
        let ms = ms.unwrap();
        let pct = if b.wall_ms == 0 {
            0.0
        } else {
            100.0 * ms as f64 / b.wall_ms as f64
        };
        writeln!(s, "{name:<16} {ms:>6}  {pct:5.1}%").unwrap();
    }
    writeln!(
        s,
        "steps            {}/{} cached",
        b.steps_cached, b.steps_total
    )
    .unwrap();
    writeln!(
        s,
        "bytes            down {} up {}",
        b.bytes_down, b.bytes_up
    )
    .unwrap();
    for st in &b.steps {
        let name: String = st.name.chars().take(60).collect();
        let how = if st.cached { "cached" } else { "run" };
        writeln!(s, "  {:>6} ms {how:<6} {name}", st.duration_ms).unwrap();
    }
    if let Some(e) = &b.error {
        writeln!(s, "error            {e}").unwrap();
        writeln!(
            s,
            "error_vertex     {}",
            b.error_vertex.as_deref().unwrap_or("-")
        )
        .unwrap();
    }
    for u in &t.unclassified {
        writeln!(s, "unclassified     {} ({} ms)", u.0, u.1).unwrap();
    }
    writeln!(s, "malformed        {}", t.malformed_objects).unwrap();
    s
}

fn check_common(name: &str, b: &PhaseBreakdown) {
    assert_eq!(b.sum_ms(), b.wall_ms, "{name}: phases must add up to wall");
    assert!(b.steps_cached <= b.steps_total, "{name}");
}

#[test]
fn rawjson_fixtures() {
    for path in fixtures("rawjson", "txt") {
        let name = stem(&path);
        let (t, b) = rawjson(&path);
        check_common(&name, &b);
        assert_eq!(t.malformed_objects, 0, "{name}");
        insta::assert_snapshot!(format!("rawjson__{name}"), table(&t, &b));
    }
}

#[test]
fn legacy_fixtures() {
    for path in fixtures("legacy", "jsonl") {
        let name = stem(&path);
        let (t, b) = legacy(&path);
        check_common(&name, &b);
        insta::assert_snapshot!(format!("legacy__{name}"), table(&t, &b));
    }
}

fn raw(name: &str) -> PhaseBreakdown {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rawjson")
        .join(format!("{name}.txt"));
    rawjson(&p).1
}

#[test]
fn fixture_semantics() {
    let cold = raw("cold-load");
    assert_eq!((cold.steps_total, cold.steps_cached), (3, 0));
    assert!(cold.phases.steps_ms.unwrap() > 0);
    assert!(cold.phases.load_ms.unwrap() > 0);

    let warm = raw("warm-load");
    assert_eq!(warm.steps_cached, warm.steps_total);
    assert!(warm.steps_total > 0);

    let changed = raw("warm-src-change-load");
    assert_eq!((changed.steps_total, changed.steps_cached), (3, 1));

    for push in ["cold-push", "inline-cache-cold-push"] {
        let b = raw(push);
        assert!(b.phases.push_ms.unwrap() > 0, "{push}");
    }
    for export in [
        "registry-cache-cold-load",
        "local-cache-cold-load",
        "inline-cache-cold-push",
    ] {
        assert!(raw(export).phases.cache_export_ms.unwrap() > 0, "{export}");
    }
    for import in [
        "registry-cache-warm-import-load",
        "local-cache-warm-import-load",
        "inline-cache-warm-import-load",
    ] {
        let b = raw(import);
        assert!(b.phases.cache_import_ms.unwrap() > 0, "{import}");
        assert!(b.steps_cached > 0, "{import}");
        assert!(b.bytes_down > 0, "{import}: cached layers were downloaded");
    }

    let fail = raw("failing-run");
    assert!(fail.error.as_deref().unwrap().contains("exit code: 3"));
    assert!(fail.error_vertex.as_deref().unwrap().contains("exit 3"));

    let synth = raw("synthetic-docker-container-cold-load");
    assert_eq!(synth.phases.builder_create_ms, Some(6500));
    assert!(synth.phases.load_ms.unwrap() > 0);
    assert_eq!(synth.bytes_down, 3_623_807);
}

/// `docker buildx create --bootstrap` output captured on this project's machine: the
/// pull of the BuildKit image (cold runner) and the builder's boot are split apart.
#[test]
fn buildx_create_bootstrap_splits_pull_and_boot() {
    use cachebench::phases::bootstrap::parse;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/buildx-create");
    let cold = parse(&std::fs::read_to_string(dir.join("pull-and-boot.txt")).unwrap());
    assert_eq!(cold.pull_ms, 1300);
    assert_eq!(cold.done_ms, Some(1700));
    // builder_create_ms of that run was 1821 ms.
    assert_eq!(cold.split(1821), (1300, 521));
    let present = parse(&std::fs::read_to_string(dir.join("image-present.txt")).unwrap());
    assert_eq!(present.pull_ms, 0);
    assert!(present.done_ms.is_some_and(|d| d > 0), "{present:?}");
}
