//! `cachebench replay OUT` end to end through the binary: a synthetic runs.jsonl
//! with a clear winner, the report fixture, a read-only OUT (nothing is written
//! into it; `--json PATH` writes elsewhere), and bad input (exit 2, one clear line).

use std::path::Path;
use std::process::{Command, Output};

fn replay(out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cachebench"))
        .arg("replay")
        .arg(out)
        .args(extra)
        .output()
        .expect("run cachebench replay")
}

fn line(strategy: &str, rep: u32, wall_ms: u64) -> String {
    serde_json::json!({
        "scenario": "s", "workload": "w", "strategy": strategy, "builder": "docker",
        "state": "warm-local", "change": "source", "rep": rep, "kind": "measured",
        "status": "ok", "reason": "", "started_at": "", "log": "", "wall_ms": wall_ms,
        "state_check": "ok",
    })
    .to_string()
}

/// A synthetic runs.jsonl in `dir`: a about 10 s, b about 12 s, ±3%; six rounds.
fn clear_winner(dir: &Path) {
    let a = [9_700, 10_100, 10_300, 9_900, 10_200, 9_800];
    let b = [12_300, 11_700, 12_100, 11_900, 12_400, 11_800];
    let mut lines = vec![];
    for rep in 1..=6u32 {
        lines.push(line("a", rep, a[rep as usize - 1]));
        lines.push(line("b", rep, b[rep as usize - 1]));
    }
    std::fs::write(dir.join("runs.jsonl"), lines.join("\n") + "\n").unwrap();
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_clear_winner_stops_after_min_reps_and_the_json_is_written_where_asked() {
    let dir = tempfile::tempdir().unwrap();
    clear_winner(dir.path());
    let json_dir = tempfile::tempdir().unwrap();
    let json_path = json_dir.path().join("replay.json");
    let o = replay(dir.path(), &["--json", json_path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.contains("| winner a (3) | winner a | yes |"),
        "{stdout}"
    );
    assert!(
        stdout.contains("builds: auto 6 of 12 recorded (50%), 6 saved"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("wrote {}", json_path.display())),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(json["groups"][0]["rounds_auto"], 3);
    assert_eq!(json["looks"], 8);
    assert_eq!(
        listing(dir.path()),
        ["runs.jsonl"],
        "nothing written into OUT"
    );
}

#[test]
fn a_read_only_out_is_replayed_and_left_as_it_was() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    clear_winner(&out);
    let ro = |mode| std::fs::set_permissions(&out, std::fs::Permissions::from_mode(mode)).unwrap();
    ro(0o555);
    std::fs::set_permissions(
        out.join("runs.jsonl"),
        std::fs::Permissions::from_mode(0o444),
    )
    .unwrap();
    // As root the modes do not stop a write: the listing below is what proves
    // nothing was written.
    let o = replay(&out, &[]);
    let json_path = dir.path().join("replay.json");
    let with_json = replay(&out, &["--json", json_path.to_str().unwrap()]);
    let after = listing(&out);
    ro(0o755);
    for o in [&o, &with_json] {
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(String::from_utf8_lossy(&o.stdout).contains("| winner a (3) | winner a | yes |"));
    }
    assert_eq!(after, ["runs.jsonl"], "nothing written into OUT");
    assert!(json_path.is_file());
}

#[test]
fn the_report_fixture_replays() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report/runs.jsonl");
    std::fs::copy(fixture, dir.path().join("runs.jsonl")).unwrap();
    let json_path = dir.path().join("replay.json");
    let o = replay(
        dir.path(),
        &["--max-reps", "5", "--json", json_path.to_str().unwrap()],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("3..5 runs per cell (3 looks)"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(json["rule"]["max_reps"], 5);
}

#[test]
fn bad_input_is_one_clear_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = replay(dir.path(), &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("runs.jsonl: no such file"), "{err}");
    std::fs::write(dir.path().join("runs.jsonl"), line("a", 1, 1000) + "\n").unwrap();
    for (flag, value) in [
        ("--confidence", "1.5"),
        ("--margin", "0"),
        ("--min-reps", "1"),
    ] {
        let o = replay(dir.path(), &[flag, value]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{flag}: {err}");
        assert!(err.contains(flag), "{flag}: {err}");
    }
    let o = replay(dir.path(), &["--json", "/nonexistent-dir/replay.json"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--json: cannot write /nonexistent-dir/replay.json"),
        "{err}"
    );
    assert!(o.stdout.is_empty(), "refused before printing anything");
}
