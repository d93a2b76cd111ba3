//! Report rendering on a real run's records (tests/fixtures/report: a fixed 3-rep
//! run of the synthetic workload on cachebench's own engine, every strategy that
//! runs here, three states, source and deps changes; its env.json's mirror redacted
//! to mirror.example): snapshots of every exporter, the Decision in every situation,
//! chart structure, determinism, and compare.

use cachebench::records::record::{RunKind, RunRecord, RunStatus};
use cachebench::{
    records::environment::load_env, records::results_reader::load_runs, report::analysis::Analysis,
    report::compare::compare, report::compare::Change, report::export::exporters,
    report::export::ReportData, report::render::render_with, report::render::RenderOptions,
};
use std::path::{Path, PathBuf};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report")
}

fn fixture_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    for f in ["runs.jsonl", "env.json"] {
        std::fs::copy(fixture_dir().join(f), out.join(f)).unwrap();
    }
    (dir, out)
}

fn export(name: &str) -> String {
    let runs = load_runs(&fixture_dir().join("runs.jsonl")).unwrap();
    let env = load_env(&fixture_dir().join("env.json")).unwrap();
    let analysis = Analysis::from_records(&runs.records);
    let charts = vec![cachebench::report::charts::ChartRef {
        stem: "charts/median-wall".into(),
        title: "Median wall time per strategy".into(),
        png: true,
    }];
    let data = ReportData {
        analysis: &analysis,
        env: env.as_ref(),
        charts: &charts,
        stopping: &[],
        warnings: &[],
    };
    let ex = exporters()
        .into_iter()
        .find(|e| e.file_name() == name)
        .unwrap();
    String::from_utf8(ex.export(&data).unwrap()).unwrap()
}

#[test]
fn snapshot_summary_csv() {
    insta::assert_snapshot!(export("summary.csv"));
}

#[test]
fn snapshot_summary_json() {
    let text = export("summary.json");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema_version"], 2);
    insta::assert_snapshot!(text);
}

#[test]
fn snapshot_benchmark_json() {
    let text = export("benchmark.json");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for e in v.as_array().unwrap() {
        assert_eq!(e["unit"], "ms");
        assert!(e["value"].is_number() && e["name"].is_string());
    }
    insta::assert_snapshot!(text);
}

#[test]
fn snapshot_report_md() {
    let text = export("report.md");
    assert!(
        text.contains("```mermaid\n%%{init: {\"xyChart\": {\"showDataLabel\": false, \"height\": ")
    );
    assert!(text.contains("\nxychart-beta horizontal\n"));
    assert!(text.contains("![Median wall time per strategy](charts/median-wall.png)"));
    insta::assert_snapshot!(text);
}

#[test]
fn snapshot_github_md() {
    let text = export("github.md");
    assert!(!text.contains("]("), "no image or relative link");
    assert!(text.contains("<details><summary>Results: every statistic per cell</summary>"));
    insta::assert_snapshot!(text);
}

#[test]
fn verdicts_on_fixture() {
    let runs = load_runs(&fixture_dir().join("runs.jsonl")).unwrap();
    let a = Analysis::from_records(&runs.records);
    let v = |state: &str, change: &str| {
        a.groups
            .iter()
            .find(|g| g.state == state && g.change == change)
            .unwrap()
            .verdict
            .clone()
    };
    use cachebench::stats::verdict::Verdict;
    // Five groups: cold (any change: the matrix runs cold once per strategy), and
    // warm-local and warm-remote per change.
    assert_eq!(a.groups.len(), 5, "{:#?}", a.groups);
    // Three noisy runs a cell on a busy machine: no group is settled, and a lead in
    // warm-remote lies in the build steps (noise).
    assert!(
        matches!(v("cold", "source"), Verdict::Leaning { .. }),
        "{:?}",
        v("cold", "source")
    );
    assert!(
        matches!(v("warm-remote", "source"), Verdict::Leaning { .. }),
        "{:?}",
        v("warm-remote", "source")
    );
    assert!(
        matches!(v("warm-remote", "deps"), Verdict::Noise { .. }),
        "{:?}",
        v("warm-remote", "deps")
    );
    // Every row's standing is its group's verdict read for that cell.
    for c in &a.cells {
        let Some(rel) = &c.relative else { continue };
        let g = a
            .groups
            .iter()
            .find(|g| g.state == c.key.state && g.change == c.key.change)
            .unwrap();
        assert_eq!(
            rel.standing,
            cachebench::report::judge::standing(&g.verdict, &c.key.strategy),
            "{}",
            c.key
        );
    }
    let slow: Vec<String> = a
        .cells
        .iter()
        .filter(|c| c.slow_first_run)
        .map(|c| c.key.to_string())
        .collect();
    assert_eq!(
        slow,
        [
            "buildkit/docker/warm-local/source",
            "layer-cache/docker/warm-local/source",
            "inline-cache/docker/warm-local/deps"
        ]
    );
    let gha = a
        .cells
        .iter()
        .find(|c| c.key.strategy == "gha-cache")
        .unwrap();
    assert!(gha.wall.is_none());
    assert_eq!(gha.counts.skipped, 1);
    // Strategies that cannot be warm-remote are skipped with their reason.
    let bk = a
        .cells
        .iter()
        .find(|c| c.key.to_string() == "buildkit/docker/warm-remote/source")
        .unwrap();
    assert!(
        bk.reasons[0].contains("imports no remote cache"),
        "{:?}",
        bk.reasons
    );
}

/// The fixture's runs once per image store (the classic copy 20% slower): every
/// output tells the stores apart, and the verdicts are per store.
#[test]
fn two_image_stores_are_told_apart() {
    let runs = load_runs(&fixture_dir().join("runs.jsonl")).unwrap();
    let mut records = runs.records.clone();
    for r in &runs.records {
        let mut c = r.clone();
        c.image_store = "classic".into();
        c.wall_ms = c.wall_ms.map(|w| w * 6 / 5);
        records.push(c);
    }
    let env = load_env(&fixture_dir().join("env.json")).unwrap();
    let analysis = Analysis::from_records(&records);
    assert_eq!(analysis.image_stores, vec!["containerd", "classic"]);
    assert_eq!(
        analysis.cells.len(),
        2 * Analysis::from_records(&runs.records).cells.len()
    );
    assert!(analysis
        .groups
        .iter()
        .any(|g| g.image_store == "classic" && g.state == "cold"));
    let data = ReportData {
        analysis: &analysis,
        env: env.as_ref(),
        charts: &[],
        stopping: &[],
        warnings: &[],
    };
    let out = |name: &str| {
        let ex = exporters()
            .into_iter()
            .find(|e| e.file_name() == name)
            .unwrap();
        String::from_utf8(ex.export(&data).unwrap()).unwrap()
    };
    let md = out("report.md");
    let verdicts: String = md
        .split("## Verdict per state")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap()
        .to_string();
    insta::assert_snapshot!(verdicts);
    assert!(
        md.contains("### cold × source (containerd image store)"),
        "{md}"
    );
    assert!(
        md.contains("### cold × source (classic image store)"),
        "{md}"
    );
    assert!(
        md.contains("- buildkit/docker/warm-local/source/classic: the first measured run"),
        "{md}"
    );
    let bench = out("benchmark.json");
    assert!(
        bench.contains("\"local-cache [docker] cold / source\""),
        "{bench}"
    );
    assert!(
        bench.contains("\"local-cache [docker, classic] cold / source\""),
        "{bench}"
    );
    let csv = out("summary.csv");
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .contains(",warmup,state_failed,disturbed,image_store,link,cache_mode,"));
    assert!(csv
        .lines()
        .any(|l| l.starts_with("2,local-cache,") && l.contains(",classic,none,")));
}

fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    (info.width, info.height)
}

#[test]
fn render_writes_everything_and_charts_are_sound() {
    let (_d, out) = fixture_copy();
    let summary = out.join("step-summary.md");
    let o = render_with(
        &out,
        &RenderOptions {
            step_summary: Some(summary.clone()),
            ..RenderOptions::default()
        },
    )
    .unwrap();
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);
    if let Ok(keep) = std::env::var("CACHEBENCH_KEEP_RENDER") {
        let _ = std::fs::remove_dir_all(&keep);
        for p in &o.written {
            let dst = Path::new(&keep).join(p.strip_prefix(&out).unwrap());
            std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
            std::fs::copy(p, dst).unwrap();
        }
    }
    for f in ["summary.csv", "summary.json", "benchmark.json", "report.md"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let gh = std::fs::read_to_string(out.join("github.md")).unwrap();
    assert!(
        std::fs::read_to_string(&summary).unwrap().starts_with(&gh),
        "the job summary gets the self-contained form"
    );
    assert!(!gh.contains("]("), "no links or images in github.md: {gh}");
    // 21 cells with runs: one row per cell in every chart.
    for (stem, h) in [
        ("median-wall", 120 + 34 * 21),
        ("runs", 120 + 34 * 21),
        ("phases", 120 + 34 * 21),
    ] {
        let svg = std::fs::read_to_string(out.join(format!("charts/{stem}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{stem}"
        );
        assert!(
            svg.contains("synthetic/Dockerfile@b200b22c553a on Docker engine 26.1.5+dfsg1"),
            "{stem} title"
        );
        assert!(
            svg.contains("<rect") || svg.contains("<circle"),
            "{stem} has marks"
        );
        assert_eq!(
            png_size(&out.join(format!("charts/{stem}.png"))),
            (1000, h),
            "{stem}"
        );
    }
    let median = std::fs::read_to_string(out.join("charts/median-wall.svg")).unwrap();
    for label in [
        "cold · source · inline-cache",
        "cold · source · registry-cache",
        "warm-local · deps · local-cache",
        "wall time (s)",
        "#1F6FC5",
    ] {
        assert!(median.contains(label), "{label}");
    }
    let phases = std::fs::read_to_string(out.join("charts/phases.svg")).unwrap();
    assert!(phases.contains("cache export") && phases.contains("build steps"));
    // The records measured what each run left in the registry: the footprint chart
    // is drawn from them, one row per strategy that left something.
    let fp = std::fs::read_to_string(out.join("charts/footprint.svg")).unwrap();
    assert!(
        fp.contains("registry-cache") && fp.contains("inline-cache"),
        "{fp}"
    );
}

#[test]
fn render_twice_is_byte_identical() {
    let (_d, out) = fixture_copy();
    let first = render_with(&out, &RenderOptions::default()).unwrap();
    let bytes1: Vec<Vec<u8>> = first
        .written
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let second = render_with(&out, &RenderOptions::default()).unwrap();
    assert_eq!(first.written, second.written);
    for (p, b) in second.written.iter().zip(&bytes1) {
        assert_eq!(&std::fs::read(p).unwrap(), b, "{} differs", p.display());
    }
}

#[test]
fn footprint_chart_when_data_exists() {
    let (_d, out) = fixture_copy();
    let fp = vec![
        cachebench::report::charts::Footprint {
            strategy: "registry".into(),
            builder: "default".into(),
            bytes: 310_000_000,
            image_store: "containerd".into(),
        },
        cachebench::report::charts::Footprint {
            strategy: "local".into(),
            builder: "default".into(),
            bytes: 450_000_000,
            image_store: "containerd".into(),
        },
    ];
    let o = render_with(
        &out,
        &RenderOptions {
            footprint: Some(fp),
            ..RenderOptions::default()
        },
    )
    .unwrap();
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);
    assert_eq!(
        png_size(&out.join("charts/footprint.png")),
        (1000, 120 + 34 * 2)
    );
}

#[test]
fn no_phase_data_skips_phase_chart() {
    let (_d, out) = fixture_copy();
    let text = std::fs::read_to_string(out.join("runs.jsonl")).unwrap();
    let stripped: Vec<String> = text
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            for p in [
                "prepare_ms",
                "builder_create_ms",
                "load_ms",
                "client_start_ms",
                "client_end_ms",
                "builder_pull_ms",
                "builder_boot_ms",
                "context_ms",
                "base_pull_ms",
                "cache_import_ms",
                "steps_ms",
                "image_export_ms",
                "cache_export_ms",
                "push_ms",
                "other_ms",
            ] {
                v[p] = serde_json::Value::Null;
            }
            v.to_string()
        })
        .collect();
    std::fs::write(out.join("runs.jsonl"), stripped.join("\n")).unwrap();
    let o = render_with(
        &out,
        &RenderOptions {
            no_png: true,
            ..RenderOptions::default()
        },
    )
    .unwrap();
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);
    assert!(!out.join("charts/phases.svg").exists());
    assert!(out.join("charts/runs.svg").exists());
    assert!(!out.join("charts/runs.png").exists());
}

fn write_variant(dir: &Path, scale_local: f64, workload: &str, engine: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let text = std::fs::read_to_string(fixture_dir().join("runs.jsonl")).unwrap();
    let lines: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["strategy"] != "gha-cache")
        .map(|mut v| {
            v["workload"] = workload.into();
            if v["strategy"] == "local-cache" {
                if let Some(w) = v["wall_ms"].as_u64() {
                    v["wall_ms"] = ((w as f64 * scale_local) as u64).into();
                }
            }
            v.to_string()
        })
        .collect();
    std::fs::write(dir.join("runs.jsonl"), lines.join("\n") + "\n").unwrap();
    let mut env: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture_dir().join("env.json")).unwrap())
            .unwrap();
    env["engine_version"] = engine.into();
    std::fs::write(dir.join("env.json"), env.to_string()).unwrap();
}

/// Keeps only the first measured run of one cell in the folder's runs.jsonl.
fn keep_one_run(dir: &Path, cell: &str) {
    let text = std::fs::read_to_string(dir.join("runs.jsonl")).unwrap();
    let lines: Vec<String> = text
        .lines()
        .filter(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let key = format!(
                "{}/{}/{}/{}",
                v["strategy"].as_str().unwrap(),
                v["builder"].as_str().unwrap(),
                v["state"].as_str().unwrap(),
                v["change"].as_str().unwrap()
            );
            key != cell || v["rep"] == 1
        })
        .map(String::from)
        .collect();
    std::fs::write(dir.join("runs.jsonl"), lines.join("\n") + "\n").unwrap();
}

#[test]
fn compare_finds_regressions_and_lists_one_sided_cells() {
    let d = tempfile::tempdir().unwrap();
    let (base, new) = (d.path().join("base"), d.path().join("new"));
    std::fs::create_dir_all(&base).unwrap();
    for f in ["runs.jsonl", "env.json"] {
        std::fs::copy(fixture_dir().join(f), base.join(f)).unwrap();
    }
    let workload = "synthetic/Dockerfile@b200b22c553a";
    write_variant(&new, 3.0, workload, "27.0.0");
    for dir in [&base, &new] {
        keep_one_run(dir, "layer-cache/docker/warm-local/source");
    }
    let o = compare(&base, &new, 10.0, false).unwrap();
    assert!(o.regression);
    let row = |o: &cachebench::report::compare::CompareOutcome, k: &str| {
        o.rows
            .iter()
            .find(|r| r.key.to_string() == k)
            .unwrap()
            .change
    };
    // Three times slower: shown at 95% with 3 runs a side.
    assert_eq!(
        row(&o, "local-cache/docker/cold/source"),
        Change::Regression
    );
    assert_eq!(
        row(&o, "local-cache/docker/warm-local/deps"),
        Change::Regression
    );
    // The same 3 noisy runs on both sides: not shown equal within ±10% either.
    assert_eq!(
        row(&o, "inline-cache/docker/cold/source"),
        Change::CannotTell
    );
    assert_eq!(row(&o, "gha-cache/docker/cold/source"), Change::OnlyInBase);
    // One run a side: compare cannot tell, never "no change".
    assert_eq!(
        row(&o, "layer-cache/docker/warm-local/source"),
        Change::CannotTell
    );
    assert!(o
        .warnings
        .iter()
        .any(|w| w.contains("engine versions differ")));
    insta::assert_snapshot!(o.markdown);

    let same = compare(&base, &base, 10.0, false).unwrap();
    assert!(!same.regression && same.warnings.is_empty());
    let faster = compare(&new, &base, 10.0, false).unwrap();
    assert!(!faster.regression);
    assert_eq!(
        row(&faster, "local-cache/docker/cold/source"),
        Change::Improvement
    );
    // Steady runs (1.5% apart) on both sides: shown within ±10%, no change.
    assert_eq!(
        row(&same, "inline-cache/docker/warm-remote/source"),
        Change::NoChange
    );
}

#[test]
fn compare_refuses_different_workloads_unless_forced() {
    let d = tempfile::tempdir().unwrap();
    let (base, new) = (d.path().join("base"), d.path().join("new"));
    write_variant(&base, 1.0, "a", "26");
    write_variant(&new, 1.0, "b", "26");
    let err = compare(&base, &new, 10.0, false).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("different workloads"), "{err}");
    let o = compare(&base, &new, 10.0, true).unwrap();
    assert!(!o.regression);
    assert!(o.warnings.iter().any(|w| w.contains("--force")));
}

/// A run whose state check failed is counted and named, never sampled: the cell's
/// statistics are those of the other runs.
#[test]
fn state_check_failures_are_counted_not_sampled() {
    let (_d, out) = fixture_copy();
    let (records, _) = cachebench::records::results_writer::read_runs(&out).unwrap();
    let before = cachebench::report::analysis::Analysis::from_records(&records);
    let target = records
        .iter()
        .find(|r| r.status == RunStatus::Ok && r.kind == RunKind::Measured)
        .unwrap()
        .clone();
    let key = target.cell();
    let n_before = before.cell(&key).unwrap().wall.as_ref().unwrap().n;
    let mut changed = records.clone();
    for r in changed.iter_mut() {
        if r.cell() == key && r.rep == target.rep && r.kind == RunKind::Measured {
            r.state_check = "cold run found 3 of 5 steps cached".into();
        }
    }
    let after = cachebench::report::analysis::Analysis::from_records(&changed);
    let c = after.cell(&key).unwrap();
    assert_eq!(c.counts.state_failed, 1);
    assert_eq!(c.wall.as_ref().unwrap().n, n_before - 1);
    assert!(
        c.reasons
            .iter()
            .any(|r| r.contains("state check: cold run found")),
        "{:?}",
        c.reasons
    );
}

/// Runs that left nothing in the registry (all `--load`) get no footprint table
/// and no footprint chart: zeros everywhere would only be noise.
#[test]
fn a_footprint_of_zeros_everywhere_is_not_shown() {
    let (_d, out) = fixture_copy();
    let text = std::fs::read_to_string(out.join("runs.jsonl")).unwrap();
    let zeroed: Vec<String> = text
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            for p in [
                "registry_manifests",
                "registry_attestations",
                "registry_bytes",
            ] {
                v[p] = 0.into();
            }
            v.to_string()
        })
        .collect();
    std::fs::write(out.join("runs.jsonl"), zeroed.join("\n")).unwrap();
    let o = render_with(
        &out,
        &RenderOptions {
            no_png: true,
            ..RenderOptions::default()
        },
    )
    .unwrap();
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(!md.contains("## Registry footprint"), "{md}");
    assert!(!out.join("charts/footprint.svg").exists());
    assert!(out.join("charts/runs.svg").exists());
}

/// The Decision of the committed example run (real records from this machine):
/// every situation it measured, in report.md and in summary.json.
#[test]
fn decision_of_the_example_results() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("results/example-default");
    let runs = load_runs(&dir.join("runs.jsonl")).unwrap();
    let analysis = Analysis::from_records(&runs.records);
    let d = cachebench::report::decision::Decision::from_analysis(&analysis);
    let kinds: Vec<String> = d
        .situations
        .iter()
        .map(|s| {
            serde_json::to_value(s.situation)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        kinds,
        ["ephemeral-runner", "warm-host", "best-effort-local"]
    );
    insta::assert_snapshot!(cachebench::report::decision::markdown::render(
        &analysis, &d
    ));
}

/// report.md of `records` alone (no env.json, charts or stopping.json).
fn report_md_of(records: &[RunRecord]) -> String {
    let analysis = Analysis::from_records(records);
    let data = ReportData {
        analysis: &analysis,
        env: None,
        charts: &[],
        stopping: &[],
        warnings: &[],
    };
    let ex = exporters()
        .into_iter()
        .find(|e| e.file_name() == "report.md")
        .unwrap();
    String::from_utf8(ex.export(&data).unwrap()).unwrap()
}

#[test]
fn best_effort_without_remote_caches_says_there_is_nothing_to_set_against() {
    // Only buildkit: the best-effort section has warm and cold, but no remote cache.
    let (_dir, out) = fixture_copy();
    let text = std::fs::read_to_string(out.join("runs.jsonl")).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("\"strategy\":\"buildkit\""))
        .collect();
    assert!(!kept.is_empty(), "the fixture has buildkit runs");
    std::fs::write(out.join("runs.jsonl"), kept.join("\n") + "\n").unwrap();
    let runs = load_runs(&out.join("runs.jsonl")).unwrap();
    let md = report_md_of(&runs.records);
    assert!(
        md.contains("no remote cache has warm-remote runs to set it against"),
        "{md}"
    );
    assert!(!md.contains("included ()"), "{md}");
}

/// Records that carry the machine's CPU time: every run lost 30% of the CPU it
/// wanted, so the report warns of it and the Decision, whose answers did not all
/// settle on the fixture, names it; the same records without the figures say
/// neither.
#[test]
fn a_contended_machine_is_warned_of_and_named_where_answers_did_not_settle() {
    let report_of = |stolen: Option<u64>| {
        let mut runs = load_runs(&fixture_dir().join("runs.jsonl"))
            .unwrap()
            .records;
        for r in &mut runs {
            r.cpu_busy_ms = stolen.map(|s| 1000 - s);
            r.cpu_stolen_ms = stolen;
        }
        report_md_of(&runs)
    };
    let md = report_of(Some(300));
    let warnings = md.split("## Warnings").nth(1).expect("a Warnings section");
    assert!(
        warnings.contains("CPU stolen during the measured runs: the hypervisor gave 30% of the CPU time this machine wanted to other guests"),
        "{md}"
    );
    let decision = md.split("## Decision").nth(1).unwrap();
    assert!(
        decision.contains("**A contended machine.** Not every answer settled"),
        "{md}"
    );
    let quiet = report_of(None);
    assert!(!quiet.contains("CPU stolen"), "{quiet}");
    assert!(!quiet.contains("contended"), "{quiet}");
}

/// compare warns when a side ran on a contended machine: a change may then be the
/// machine's. The same records on a quiet machine compare without the warning.
#[test]
fn compare_warns_when_a_side_lost_much_of_its_cpu_to_the_hypervisor() {
    let d = tempfile::tempdir().unwrap();
    let with_stolen = |name: &str, stolen: u64| {
        let dir = d.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(fixture_dir().join("env.json"), dir.join("env.json")).unwrap();
        let text = std::fs::read_to_string(fixture_dir().join("runs.jsonl")).unwrap();
        let lines: Vec<String> = text
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["cpu_busy_ms"] = (1000 - stolen).into();
                v["cpu_stolen_ms"] = stolen.into();
                v.to_string()
            })
            .collect();
        std::fs::write(dir.join("runs.jsonl"), lines.join("\n") + "\n").unwrap();
        dir
    };
    let (quiet, contended) = (with_stolen("quiet", 10), with_stolen("contended", 300));
    let o = compare(&quiet, &contended, 10.0, false).unwrap();
    let w: Vec<&String> = o
        .warnings
        .iter()
        .filter(|w| w.contains("CPU stolen"))
        .collect();
    assert_eq!(w.len(), 1, "{:?}", o.warnings);
    assert!(
        w[0].contains(
            "1% median, 0 of 63 runs over 10% (base) vs 30% median, 63 of 63 runs over 10% (new)"
        ),
        "{}",
        w[0]
    );
    assert!(
        o.markdown.contains("so a change may be the machine's"),
        "{}",
        o.markdown
    );
    let calm = compare(&quiet, &quiet, 10.0, false).unwrap();
    assert!(calm.warnings.is_empty(), "{:?}", calm.warnings);
}
