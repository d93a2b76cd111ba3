use super::*;

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
fn a_clear_winner_stops_at_min_reps_and_agrees_with_all_reps() {
    let mut rs = cell("a", "cold", 10.0, 0.03, 10, 0);
    rs.extend(cell("b", "cold", 12.0, 0.03, 10, 3));
    rs.push(rec("a", "cold", 0, "warmup", "ok", 30_000));
    let r = replay(&rs, &StopRule::default());
    assert_eq!(r.groups.len(), 1);
    let g = &r.groups[0];
    assert_eq!(g.strategies, ["a", "b"]);
    assert_eq!((g.rounds_recorded, g.builds_recorded), (10, 20));
    assert_eq!((g.rounds_auto, g.builds_auto), (3, 6));
    let a = Reading::Winner {
        strategy: "a".into(),
    };
    assert_eq!((&g.auto, &g.fixed), (&a, &a));
    assert_eq!((g.agree, g.auto_complete), (Some(true), true));
    assert_eq!(
        (r.builds_auto, r.builds_recorded, r.builds_saved),
        (6, 20, 14)
    );
    assert_eq!(r.auto_pct_of_fixed, 30.0);
    // the report's median intervals of 10 runs 20% apart are disjoint
    assert_eq!(g.report, "winner a");
    assert_eq!(g.report_agrees, Some(true));
}

#[test]
fn identical_cells_stop_on_a_tie() {
    let mut rs = cell("a", "warm-local", 20.0, 0.01, 10, 0);
    rs.extend(cell("b", "warm-local", 20.0, 0.01, 10, 5));
    let g = &replay(&rs, &StopRule::default()).groups[0];
    let tie = Reading::Tie {
        group: vec!["a".into(), "b".into()],
    };
    assert_eq!((&g.auto, &g.fixed), (&tie, &tie));
    assert_eq!(g.stopped, "settled");
    assert!(g.rounds_auto < 10 && g.builds_auto == 2 * g.rounds_auto);
    assert_eq!(g.report, "tie");
    assert_eq!(g.report_agrees, Some(true), "neither names a winner");
}

#[test]
fn failed_runs_cost_builds_skipped_ones_do_not_and_neither_is_a_sample() {
    let mut rs = cell("a", "cold", 10.0, 0.03, 6, 0);
    rs.extend(cell("b", "cold", 12.0, 0.03, 6, 3));
    // b's round 2 failed: one build, no sample; c never runs (skipped).
    rs.retain(|r| !(r.strategy == "b" && r.rep == 2));
    rs.push(rec("b", "cold", 2, "measured", "failed", 0));
    rs.push(rec("c", "cold", 1, "measured", "skipped", 0));
    // a state check that failed: a build, no sample
    let mut bad = rec("a", "cold", 7, "measured", "ok", 1_000);
    bad.state_check = "cold found cached steps".into();
    rs.push(bad);
    let g = &replay(&rs, &StopRule::default()).groups[0];
    assert_eq!(g.strategies, ["a", "b", "c"]);
    assert_eq!((g.rounds_recorded, g.builds_recorded), (7, 13));
    // b has its 3rd sample at round 4 only: no verdict before
    assert!((4..=6).contains(&g.rounds_auto), "{}", g.rounds_auto);
    assert_eq!(g.builds_auto, 2 * g.rounds_auto);
    assert_eq!(
        g.auto,
        Reading::Winner {
            strategy: "a".into()
        }
    );
    assert_eq!(g.fixed, g.auto);
}

#[test]
fn records_that_end_before_the_rule_settles_are_flagged() {
    let mut rs = cell("a", "cold", 10.4, 0.03, 3, 0);
    rs.extend(cell("b", "cold", 10.0, 0.03, 3, 4));
    let r = replay(&rs, &StopRule::default());
    let g = &r.groups[0];
    assert!(!g.auto_complete);
    assert!(matches!(&g.auto, Reading::Open { leaning: Some(l), more_runs: Some(_) } if l == "b"));
    assert_eq!((g.builds_auto, g.builds_recorded), (6, 6));
    assert_eq!((r.complete, g.agree, g.report_agrees), (0, None, None));
    assert!(render(&r).contains("records end: auto would run on"));
}

#[test]
fn groups_are_the_reports_and_max_reps_caps_auto() {
    let mut rs = cell("a", "cold", 10.0, 0.03, 6, 0);
    rs.extend(cell("b", "cold", 10.4, 0.03, 6, 4));
    rs.extend(cell("a", "warm-local", 2.0, 0.03, 6, 1));
    rs.extend(cell("b", "warm-local", 3.0, 0.03, 6, 2));
    let rule = StopRule {
        max_reps: 4,
        ..StopRule::default()
    };
    let r = replay(&rs, &rule);
    let states: Vec<&str> = r.groups.iter().map(|g| g.state.as_str()).collect();
    assert_eq!(states, ["cold", "warm-local"]);
    let cold = &r.groups[0];
    // 4% apart at 3% CV cannot settle by round 4: futile at the first look
    assert_eq!((cold.rounds_auto, cold.builds_auto), (3, 6));
    assert_eq!(cold.stopped, "futile");
    assert!(matches!(cold.auto, Reading::Futile { .. }));
    assert_eq!(cold.agree, Some(true), "the fixed verdict is unsettled too");
    // a single look at round 4 has no futility stop: it runs to max_reps
    let once = StopRule {
        min_reps: 4,
        max_reps: 4,
        ..StopRule::default()
    };
    let cold = &replay(&rs, &once).groups[0];
    assert_eq!(
        (cold.rounds_auto, cold.builds_auto),
        (4, 8),
        "stops at max_reps"
    );
    assert_eq!(cold.stopped, "max_reps");
    assert!(cold.auto_complete, "stopping at max_reps is auto's own end");
    assert!(matches!(cold.auto, Reading::Open { .. }));
    assert_eq!(r.looks, 2);
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
    assert_eq!(json["groups"][0]["auto"]["strategy"], "a");
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

#[test]
fn disagreements_are_reported_not_hidden() {
    // The report bolds a win on disjoint [min, max] intervals of 3 runs (75%
    // coverage); the rule, looked at once (max_reps 3), does not see it settled.
    let mut rs: Vec<RunRecord> = [10_000, 10_100, 10_200]
        .iter()
        .zip(1..)
        .map(|(&w, rep)| rec("a", "cold", rep, "measured", "ok", w))
        .collect();
    for (&w, rep) in [10_300, 11_500, 12_700].iter().zip(1..) {
        rs.push(rec("b", "cold", rep, "measured", "ok", w));
    }
    let once = StopRule {
        max_reps: 3,
        ..StopRule::default()
    };
    let g = &replay(&rs, &once).groups[0];
    assert_eq!(g.report, "winner a");
    assert!(matches!(g.auto, Reading::Open { .. }), "{:?}", g.auto);
    assert_eq!(g.report_agrees, Some(false));
    // Drift: a is fastest for 3 rounds, then slows down past b; auto stopped early
    // on a winner the full sample does not confirm.
    let mut rs = cell("b", "cold", 12.0, 0.02, 10, 0);
    for rep in 1..=10 {
        let w = if rep <= 3 {
            10_000 + 50 * rep
        } else {
            14_000 + 50 * rep
        };
        rs.push(rec("a", "cold", rep, "measured", "ok", u64::from(w)));
    }
    let g = &replay(&rs, &StopRule::default()).groups[0];
    assert_eq!(
        (g.rounds_auto, &g.auto),
        (
            3,
            &Reading::Winner {
                strategy: "a".into()
            }
        )
    );
    assert_ne!(g.fixed, g.auto);
    assert_eq!(g.agree, Some(false));
}

#[test]
fn a_noisy_state_stops_futile_and_agrees_with_an_unsettled_fixed_verdict() {
    // Three identical cells at 15% CV: no verdict within 10 runs. Auto stops early
    // as futile; the fixed verdict is open; both unsettled is agreement, and a
    // leaning that differs between them is shown, not counted against it.
    let mut rs = vec![];
    for (name, shift) in [("a", 0), ("b", 3), ("c", 6)] {
        rs.extend(cell(name, "cold", 10.0, 0.15, 10, shift));
    }
    let r = replay(&rs, &StopRule::default());
    let g = &r.groups[0];
    assert_eq!(g.stopped, "futile");
    assert!(g.rounds_auto < 10, "{}", g.rounds_auto);
    assert_eq!((g.builds_auto, g.builds_recorded), (3 * g.rounds_auto, 30));
    assert!(
        matches!(
            g.auto,
            Reading::Futile {
                leaning: Some(_),
                ..
            }
        ),
        "{:?}",
        g.auto
    );
    assert!(matches!(g.fixed, Reading::Open { .. }), "{:?}", g.fixed);
    assert_eq!(g.agree, Some(true));
    assert_eq!(
        g.leaning_differs,
        Some(g.auto.leaning() != g.fixed.leaning())
    );
    assert_eq!((r.futile, r.both_unsettled, r.agree), (1, 1, 1));
    assert!(render(&r).contains("both unsettled in 1 groups (1 stopped as futile)"));
    // a settled verdict never agrees with an unsettled one
    let open = Reading::Open {
        leaning: Some("a".into()),
        more_runs: None,
    };
    let futile = Reading::Futile {
        leaning: Some("b".into()),
        more_runs: Some(40),
    };
    let win = Reading::Winner {
        strategy: "a".into(),
    };
    assert!(open.agrees(&futile) && futile.agrees(&open));
    assert!(!win.agrees(&open) && !futile.agrees(&win));
    let tie = |g: &[&str]| Reading::Tie {
        group: g.iter().map(|s| s.to_string()).collect(),
    };
    assert!(!tie(&["a", "b"]).agrees(&tie(&["a", "b", "c"])));
}

#[test]
fn a_tie_group_of_three_among_six_cells() {
    let mut rs = vec![];
    for (name, median, shift) in [
        ("legacy", 12.5, 1),
        ("buildkit", 10.0, 0),
        ("layer", 10.0, 3),
        ("registry", 12.5, 4),
        ("inline", 10.0, 6),
        ("local", 12.5, 7),
    ] {
        rs.extend(cell(name, "cold", median, 0.03, 10, shift));
    }
    let rule = StopRule {
        margin: 0.08,
        ..StopRule::default()
    };
    let r = replay(&rs, &rule);
    let g = &r.groups[0];
    assert_eq!(
        g.auto,
        Reading::Tie {
            group: vec!["buildkit".into(), "layer".into(), "inline".into()]
        }
    );
    assert!(g.rounds_auto <= 6 && g.builds_auto == 6 * g.rounds_auto);
    assert_eq!((g.fixed == g.auto, g.agree), (true, Some(true)));
    assert!(render(&r).contains("tie buildkit=layer=inline"));
}
