use super::*;
use crate::records::record::RunRecord;

/// The rule these tests were written for: ±3%, no floor (10–20 s run times).
fn strict() -> StopRule {
    StopRule {
        margin: 0.03,
        margin_floor_s: 0.0,
        ..StopRule::default()
    }
}

fn replay(rs: &[RunRecord], rule: &StopRule) -> Replay {
    super::replay(rs, rule, &ReportSettings::default())
}

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
    let r = replay(&rs, &strict());
    assert_eq!(r.groups.len(), 1);
    let g = &r.groups[0];
    assert_eq!(g.strategies, ["a", "b"]);
    assert_eq!((g.rounds_recorded, g.builds_recorded), (10, 20));
    assert_eq!((g.rounds_auto, g.builds_auto), (3, 6));
    assert_eq!(
        (words(&g.auto), words(&g.fixed)),
        ("winner a".into(), "winner a".into())
    );
    assert_eq!((g.agree, g.auto_complete), (Some(true), true));
    assert_eq!(
        (r.builds_auto, r.builds_recorded, r.builds_saved),
        (6, 20, 14)
    );
    assert_eq!(r.auto_pct_of_fixed, 30.0);
    // the report reads all 10 runs once: a winner too
    assert_eq!(words(&g.report), "winner a");
    assert_eq!(g.report_agrees, Some(true));
}

#[test]
fn identical_cells_stop_on_a_tie() {
    let mut rs = cell("a", "warm-local", 20.0, 0.01, 10, 0);
    rs.extend(cell("b", "warm-local", 20.0, 0.01, 10, 5));
    let g = &replay(&rs, &strict()).groups[0];
    let ab = Verdict::Tie {
        options: vec!["a".to_string(), "b".to_string()],
    };
    assert!(
        agree(&g.auto, &ab) && agree(&g.auto, &g.fixed),
        "{:?}",
        g.auto
    );
    assert_eq!(g.stopped, "settled");
    assert!(g.rounds_auto < 10 && g.builds_auto == 2 * g.rounds_auto);
    assert!(agree(&g.report, &ab), "{:?}", g.report);
    assert_eq!(g.report_agrees, Some(true));
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
    let g = &replay(&rs, &strict()).groups[0];
    // c, planned as skipped, never ran: not one of the cells raced.
    assert_eq!(g.strategies, ["a", "b"]);
    assert_eq!((g.rounds_recorded, g.builds_recorded), (7, 13));
    // b has its 3rd sample at round 4 only: no verdict before
    assert!((4..=6).contains(&g.rounds_auto), "{}", g.rounds_auto);
    assert_eq!(g.builds_auto, 2 * g.rounds_auto);
    assert_eq!(words(&g.auto), "winner a");
    assert_eq!(g.fixed, g.auto);
}

#[test]
fn records_that_end_before_the_rule_settles_are_flagged() {
    let mut rs = cell("a", "cold", 10.4, 0.03, 3, 0);
    rs.extend(cell("b", "cold", 10.0, 0.03, 3, 4));
    let r = replay(&rs, &strict());
    let g = &r.groups[0];
    assert!(!g.auto_complete);
    assert!(
        matches!(&g.auto, Verdict::Leaning { option, more_runs: Some(_), .. } if option == "b"),
        "{:?}",
        g.auto
    );
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
        ..strict()
    };
    let r = replay(&rs, &rule);
    let states: Vec<&str> = r.groups.iter().map(|g| g.state.as_str()).collect();
    assert_eq!(states, ["cold", "warm-local"]);
    let cold = &r.groups[0];
    // 4% apart at 3% CV cannot settle by round 4: futile at the first look
    assert_eq!((cold.rounds_auto, cold.builds_auto), (3, 6));
    assert_eq!(cold.stopped, "futile");
    assert!(matches!(cold.auto, Verdict::Leaning { futile: true, .. }));
    assert_eq!(cold.agree, Some(true), "the fixed verdict is unsettled too");
    // a single look at round 4 has no futility stop: it runs to max_reps
    let once = StopRule {
        min_reps: 4,
        max_reps: 4,
        ..strict()
    };
    let cold = &replay(&rs, &once).groups[0];
    assert_eq!(
        (cold.rounds_auto, cold.builds_auto),
        (4, 8),
        "stops at max_reps"
    );
    assert_eq!(cold.stopped, "max_reps");
    assert!(cold.auto_complete, "stopping at max_reps is auto's own end");
    assert!(matches!(cold.auto, Verdict::Leaning { futile: false, .. }));
    assert_eq!(r.looks, 2);
}

#[test]
fn disagreements_are_reported_not_hidden() {
    // 12% apart at 3% CV over 3 runs: read once (as the report reads a fixed run)
    // the rule names a winner; shared over 8 looks (auto, max_reps 10) it does not
    // settle by round 3, and the records end there.
    let mut rs = cell("a", "cold", 10.0, 0.03, 3, 0);
    rs.extend(cell("b", "cold", 11.2, 0.03, 3, 5));
    let g = &replay(&rs, &strict()).groups[0];
    assert_eq!(words(&g.report), "winner a");
    assert!(!g.auto.is_settled(), "{:?}", g.auto);
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
    let g = &replay(&rs, &strict()).groups[0];
    assert_eq!((g.rounds_auto, words(&g.auto)), (3, "winner a".to_string()));
    assert_ne!(g.fixed, g.auto);
    assert_eq!(g.agree, Some(false));
    assert_eq!(g.report_agrees, Some(false));
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
    let r = replay(&rs, &strict());
    let g = &r.groups[0];
    assert_eq!(g.stopped, "futile");
    assert!(g.rounds_auto < 10, "{}", g.rounds_auto);
    assert_eq!((g.builds_auto, g.builds_recorded), (3 * g.rounds_auto, 30));
    assert!(
        matches!(g.auto, Verdict::Leaning { futile: true, .. }),
        "{:?}",
        g.auto
    );
    assert!(!g.fixed.is_settled(), "{:?}", g.fixed);
    assert_eq!(g.agree, Some(true));
    assert_eq!(g.leaning_differs, Some(g.auto.option() != g.fixed.option()));
    assert_eq!((r.futile, r.both_unsettled, r.agree), (1, 1, 1));
    assert!(render(&r).contains("both unsettled in 1 groups (1 stopped as futile)"));
    // a settled verdict never agrees with an unsettled one
    let lean = |o: &str, futile| Verdict::Leaning {
        option: o.to_string(),
        runner_up: "x".to_string(),
        more_runs: None,
        futile,
    };
    let win = Verdict::Winner {
        option: "a".to_string(),
        runner_up: "b".to_string(),
    };
    assert!(agree(&lean("a", false), &lean("b", true)));
    assert!(!agree(&win, &lean("a", false)) && !agree(&lean("b", true), &win));
    let tie = |g: &[&str]| Verdict::Tie {
        options: g.iter().map(|s| s.to_string()).collect(),
    };
    assert!(!agree(&tie(&["a", "b"]), &tie(&["a", "b", "c"])));
    assert!(agree(&tie(&["b", "a"]), &tie(&["a", "b"])));
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
        ..strict()
    };
    let r = replay(&rs, &rule);
    let g = &r.groups[0];
    assert!(
        agree(
            &g.auto,
            &Verdict::Tie {
                options: vec!["buildkit".into(), "layer".into(), "inline".into()]
            }
        ),
        "{:?}",
        g.auto
    );
    // The three slower cells left the race: fewer builds than 6 a round.
    assert!(
        g.rounds_auto <= 8 && g.builds_auto < 6 * g.rounds_auto,
        "{} rounds, {} builds",
        g.rounds_auto,
        g.builds_auto
    );
    let unraced = replay(
        &rs,
        &StopRule {
            race: false,
            ..rule.clone()
        },
    );
    let u = &unraced.groups[0];
    assert_eq!(u.builds_auto, 6 * u.rounds_auto, "every cell every round");
    assert_eq!((agree(&g.fixed, &g.auto), g.agree), (true, Some(true)));
    assert!(render(&r).contains("| tie buildkit, "), "{}", render(&r));
}
