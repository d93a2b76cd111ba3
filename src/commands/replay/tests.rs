use super::*;
use crate::records::record::RunRecord;

/// Fixed deviates, so the data are known.
const E: [f64; 10] = [-1.1, 0.4, 0.9, -0.2, 1.3, -0.7, 0.1, -1.4, 0.6, 0.05];

fn rec(strategy: &str, state: &str, rep: u32, kind: &str, status: &str, wall_ms: u64) -> RunRecord {
    serde_json::from_value(serde_json::json!({
        "scenario": "s", "workload": "w", "strategy": strategy, "builder": "docker",
        "state": state, "change": "source", "rep": rep, "kind": kind, "status": status,
        "reason": "", "started_at": "", "log": "",
        "wall_ms": (status == "ok").then_some(wall_ms),
        "state_check": if status == "ok" { "ok" } else { "" },
    }))
    .expect("a valid record")
}

/// `reps` ok measured runs of `strategy` around `median_s` seconds at `cv`.
fn cell(
    strategy: &str,
    state: &str,
    median_s: f64,
    cv: f64,
    reps: u32,
    shift: usize,
) -> Vec<RunRecord> {
    (1..=reps)
        .map(|rep| {
            let w = median_s * (1.0 + cv * E[(rep as usize + shift) % E.len()]);
            rec(
                strategy,
                state,
                rep,
                "measured",
                "ok",
                (w * 1000.0).round() as u64,
            )
        })
        .collect()
}

#[test]
fn the_command_writes_json_only_where_asked_and_nothing_into_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut rs = cell("a", "cold", 10.0, 0.03, 5, 0);
    rs.extend(cell("b", "cold", 12.0, 0.03, 5, 3));
    let lines: Vec<String> = rs
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    let runs = dir.path().join("runs.jsonl");
    std::fs::write(&runs, lines.join("\n") + "\n").unwrap();
    let listing = || -> Vec<std::ffi::OsString> {
        let mut v: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    let cmd = crate::config::cli::ReplayCmd {
        out: dir.path().to_path_buf(),
        confidence: 0.95,
        min_reps: 3,
        max_reps: 10,
        margin: 0.03,
        margin_floor: std::time::Duration::ZERO,
        no_race: false,
        json: None,
    };
    assert_eq!(replay_cmd(&cmd).unwrap(), exit::OK);
    assert_eq!(listing(), ["runs.jsonl"], "nothing written into OUT");
    let elsewhere = tempfile::tempdir().unwrap();
    let path = elsewhere.path().join("replay.json");
    let with_json = crate::config::cli::ReplayCmd {
        json: Some(path.clone()),
        ..cmd
    };
    assert_eq!(replay_cmd(&with_json).unwrap(), exit::OK);
    assert_eq!(listing(), ["runs.jsonl"]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(json["builds_auto"], 6);
    assert_eq!(json["builds_recorded"], 10);
    assert_eq!(json["groups"][0]["auto"]["kind"], "winner");
    assert_eq!(json["groups"][0]["auto"]["option"], "a");
    // A path that cannot be written, or the records themselves: refused, naming --json.
    let records = std::fs::read(&runs).unwrap();
    for bad in [elsewhere.path().join("no/such/dir/r.json"), runs.clone()] {
        let c = crate::config::cli::ReplayCmd {
            json: Some(bad.clone()),
            ..with_json.clone()
        };
        let e = replay_cmd(&c).unwrap_err();
        assert_eq!(e.exit_code(), exit::USAGE, "{e}");
        assert!(e.to_string().starts_with("--json: "), "{e}");
    }
    assert_eq!(std::fs::read(&runs).unwrap(), records, "records untouched");
    let bad = crate::config::cli::ReplayCmd {
        min_reps: 1,
        ..with_json
    };
    let e = replay_cmd(&bad).unwrap_err().to_string();
    assert!(e.contains("--min-reps"), "{e}");
}
