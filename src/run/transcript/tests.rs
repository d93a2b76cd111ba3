//! Tests of the transcript: fixtures of real builds against their records,
//! fragments joined into whole lines, steps in the order they started.

use super::*;

fn as_log(fixture: &str) -> String {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/rawjson")
            .join(fixture),
    )
    .unwrap();
    let mut log = String::from("== measured run ==\n$ docker buildx build --progress=rawjson .\n");
    for l in text.lines() {
        log.push_str(&format!("    0.100 {l}\n"));
    }
    log.push_str("cachebench: Exited(1) in 1.000s\n");
    log
}

#[test]
fn a_failed_steps_output_is_decoded() {
    let t = render(&as_log("failing-run.txt"));
    assert!(t.starts_with("== measured run =="), "{t}");
    assert!(
        t.contains("$ docker buildx build --progress=rawjson ."),
        "{t}"
    );
    assert!(!t.contains("\"data\""), "raw base64 left: {t}");
    let step = t
        .lines()
        .find(|l| l.starts_with("  step ") && l.contains(": error"))
        .unwrap_or_else(|| panic!("no failed step in {t}"));
    assert!(step.contains("RUN"), "{step}");
    assert!(t.contains("    error: "), "{t}");
    assert!(t.contains("    | "), "no decoded output in {t}");
    assert!(t.contains("  result: Exited(1)"), "{t}");
}

#[test]
fn cached_steps_and_plain_lines() {
    let raw = "== prepare: empty local state ==\n\
        cachebench: 10:00:00.000 $ docker buildx prune --all --force (ok, 0.200s)\n\
        $ docker build .\n    0.010 Step 1/2 : FROM x\n    0.020 [stdout]  ---> Using cache\n\
        cachebench: Exited(0) in 0.100s\n";
    let t = render(raw);
    assert!(
        t.contains("  10:00:00.000 $ docker buildx prune --all --force (ok, 0.200s)"),
        "{t}"
    );
    assert!(t.contains("      0.010 Step 1/2 : FROM x"), "{t}");
    assert!(t.contains("  result: Exited(0)"), "{t}");
}

/// Every rawjson fixture: the transcript lists the record's steps in the record's
/// order, each with the record's duration and its cached flag.
#[test]
fn steps_come_in_the_records_order_with_the_records_times() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rawjson");
    let mut fixtures: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 10, "{fixtures:?}");
    let mut cached_with_runs = 0;
    for f in &fixtures {
        let raw = std::fs::read_to_string(dir.join(f)).unwrap();
        let mut p = crate::phases::output_format::parser_for(
            crate::phases::output_format::OutputFormat::RawJson,
        );
        for l in raw.lines() {
            p.feed(l, chrono::DateTime::<chrono::Utc>::UNIX_EPOCH);
        }
        let record = p.finish(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH).steps;
        assert!(!record.is_empty(), "{f}: no steps");
        let t = render(&as_log(f));
        let listed: Vec<(String, String)> = t
            .lines()
            .filter_map(|l| l.strip_prefix("  step "))
            .filter_map(|l| l.rsplit_once(": "))
            .filter(|(name, _)| record.iter().any(|s| s.name == *name))
            .map(|(name, rest)| (name.to_string(), rest.to_string()))
            .collect();
        let names: Vec<&str> = listed.iter().map(|(n, _)| n.as_str()).collect();
        let want: Vec<&str> = record.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, want, "{f}: steps out of the record's order\n{t}");
        for (s, (_, rest)) in record.iter().zip(&listed) {
            let secs = format!("{:.3}s", s.duration_ms as f64 / 1e3);
            assert!(
                rest.contains(&format!(", {secs}")),
                "{f}: {} is {secs} in the record, `{rest}` in the transcript",
                s.name
            );
            assert_eq!(
                rest.starts_with("CACHED"),
                s.cached,
                "{f}: {} `{rest}`",
                s.name
            );
            cached_with_runs += usize::from(s.cached && rest.contains(" runs)"));
        }
    }
    // The fixtures hold cached steps BuildKit reported more than once, where the
    // last report alone gave a shorter time than the record's.
    assert!(cached_with_runs > 0);
}

fn object(vertexes: &[(&str, &str, Option<&str>, Option<&str>)], logs: &[(&str, &str)]) -> String {
    let v: Vec<serde_json::Value> = vertexes
        .iter()
        .map(|(d, n, s, c)| {
            let mut o = serde_json::json!({"digest": d, "name": n});
            if let Some(s) = s {
                o["started"] = format!("2024-01-01T00:00:{s}Z").into();
            }
            if let Some(c) = c {
                o["completed"] = format!("2024-01-01T00:00:{c}Z").into();
            }
            o
        })
        .collect();
    let l: Vec<serde_json::Value> = logs
        .iter()
        .map(|(d, text)| {
            use base64::Engine as _;
            serde_json::json!({
                "vertex": d,
                "stream": 1,
                "data": base64::engine::general_purpose::STANDARD.encode(text),
            })
        })
        .collect();
    let mut o = serde_json::json!({});
    if !v.is_empty() {
        o["vertexes"] = v.into();
    }
    if !l.is_empty() {
        o["logs"] = l.into();
    }
    serde_json::to_string_pretty(&o).unwrap()
}

fn log_of(objects: &[String]) -> String {
    let mut log = String::from("$ docker buildx build --progress=rawjson .\n");
    for o in objects {
        for l in o.lines() {
            log.push_str(&format!("    0.100 {l}\n"));
        }
    }
    log
}

/// BuildKit lists a build's vertices last step first before any starts; the
/// transcript lists them as they started. Output fragments that do not end at a
/// newline (npm's) are joined into whole lines, and a carriage return rewrites
/// its line.
#[test]
fn steps_in_start_order_and_output_in_whole_lines() {
    let raw = log_of(&[
        object(
            &[
                ("d3", "[3/3] RUN npm run build", None, None),
                ("d2", "[2/3] RUN npm ci", None, None),
                ("d1", "[1/3] FROM docker.io/library/node", None, None),
            ],
            &[],
        ),
        object(
            &[(
                "d1",
                "[1/3] FROM docker.io/library/node",
                Some("01"),
                Some("02"),
            )],
            &[],
        ),
        object(&[("d2", "[2/3] RUN npm ci", Some("02"), None)], &[]),
        object(
            &[],
            &[
                ("d2", "added 1"),
                ("d2", "2 packages"),
                ("d2", " in 3s\nfound 0 vuln"),
            ],
        ),
        object(
            &[],
            &[
                ("d2", "erabilities\nprogress 10%\rprogress 100%\n"),
                ("d2", "done"),
            ],
        ),
        object(&[("d2", "[2/3] RUN npm ci", Some("02"), Some("05"))], &[]),
        object(
            &[("d3", "[3/3] RUN npm run build", Some("05"), Some("06"))],
            &[],
        ),
    ]);
    let t = render(&raw);
    let steps: Vec<&str> = t.lines().filter(|l| l.starts_with("  step ")).collect();
    assert_eq!(
        steps,
        [
            "  step [1/3] FROM docker.io/library/node: ran, 1.000s",
            "  step [2/3] RUN npm ci: ran, 3.000s",
            "  step [3/3] RUN npm run build: ran, 1.000s",
        ],
        "{t}"
    );
    let out: Vec<&str> = t.lines().filter(|l| l.starts_with("    | ")).collect();
    assert_eq!(
        out,
        [
            "    | added 12 packages in 3s",
            "    | found 0 vulnerabilities",
            "    | progress 100%",
            "    | done",
        ],
        "{t}"
    );
}

/// A cached step reported twice counts both reports, as the record does, and
/// the transcript says so.
#[test]
fn a_cached_step_reported_twice_counts_both() {
    let raw = log_of(&[
        object(&[("d1", "[2/2] RUN npm ci", Some("01"), Some("09"))], &[]),
        object(&[("d1", "[2/2] RUN npm ci", Some("10"), Some("11"))], &[]),
        "{\n  \"vertexes\": [\n    {\n      \"digest\": \"d1\",\n      \"name\": \"[2/2] RUN npm ci\",\n      \"cached\": true\n    }\n  ]\n}".to_string(),
    ]);
    let t = render(&raw);
    assert!(
        t.contains("  step [2/2] RUN npm ci: CACHED, 9.000s (2 runs)"),
        "{t}"
    );
}
