//! The ephemeral runner counts actions/cache's restore and save in a local cache's
//! time, and says what the build alone would have suggested.

use crate::records::record::RunRecord;
use crate::report::analysis::Analysis;
use crate::report::decision::{Decision, SituationKind};

/// Six measured ok runs of one cell, `wall` ms each (plus 10 ms per rep), with
/// actions/cache's restore and save (ms) when given.
fn runs(strategy: &str, state: &str, wall: u64, transfers: Option<(u64, u64)>) -> Vec<RunRecord> {
    (0..6u64)
        .map(|i| {
            let mut v = serde_json::json!({
                "scenario": "t", "workload": "w", "strategy": strategy, "builder": "docker",
                "state": state, "change": "source", "rep": i + 1, "round": i + 1,
                "kind": "measured", "status": "ok", "reason": "", "started_at": "",
                "wall_ms": wall + i * 10, "build_ms": wall + i * 10, "prepare_ms": null,
                "steps_total": null, "steps_cached": null, "bytes_down": null,
                "bytes_up": null, "log": "", "state_check": "ok",
            });
            if let Some((restore, save)) = transfers {
                v["cache_restore_ms"] = restore.into();
                v["cache_save_ms"] = save.into();
            }
            serde_json::from_value(v).unwrap()
        })
        .collect()
}

fn ephemeral(records: Vec<Vec<RunRecord>>) -> crate::report::decision::Situation {
    let all: Vec<RunRecord> = records.into_iter().flatten().collect();
    let d = Decision::from_analysis(&Analysis::from_records(&all));
    d.situations
        .into_iter()
        .find(|s| s.situation == SituationKind::EphemeralRunner)
        .unwrap()
}

#[test]
fn transfers_count_in_the_job_and_can_change_the_answer() {
    let s = ephemeral(vec![
        runs("buildkit", "cold", 10_000, None),
        runs("registry-cache", "warm-remote", 5_000, None),
        runs("local-cache", "warm-remote", 4_000, Some((1_000, 2_000))),
    ]);
    let scope = &s.scopes[0];
    let local = scope
        .options
        .iter()
        .find(|o| o.strategy == "local-cache")
        .unwrap();
    assert_eq!(local.build_alone_ms, Some(4_025.0));
    assert_eq!(local.transfers_ms, Some(3_000.0));
    assert_eq!(local.median_ms, 7_025.0);
    assert_eq!(scope.pick().unwrap().strategy, "registry-cache");
    assert!(
        scope.notes.iter().any(|n| n
            .contains("the answer would have been local-cache, not registry-cache: the transfers")),
        "{:#?}",
        scope.notes
    );
    // The registry cache has no transfers: its figures are the build's.
    let registry = scope
        .options
        .iter()
        .find(|o| o.strategy == "registry-cache")
        .unwrap();
    assert_eq!(
        (registry.transfers_ms, registry.build_alone_ms),
        (None, None)
    );
}

#[test]
fn small_transfers_leave_the_answer_and_say_so() {
    let s = ephemeral(vec![
        runs("buildkit", "cold", 10_000, None),
        runs("registry-cache", "warm-remote", 5_000, None),
        runs("local-cache", "warm-remote", 3_000, Some((100, 200))),
    ]);
    let scope = &s.scopes[0];
    assert_eq!(scope.pick().unwrap().strategy, "local-cache");
    assert!(scope
        .notes
        .iter()
        .any(|n| n.contains("the answer is the same: local-cache.")
            // A situation gathers one note per change: each names its own.
            && n.starts_with("On source changes, counted on the build alone")));
}

#[test]
fn the_table_marks_the_job_time_and_gives_its_parts() {
    let all: Vec<RunRecord> = [
        runs("buildkit", "cold", 10_000, None),
        runs("local-cache", "warm-remote", 4_000, Some((1_000, 2_000))),
    ]
    .into_iter()
    .flatten()
    .collect();
    let a = Analysis::from_records(&all);
    let md = crate::report::decision::markdown::render(&a, &Decision::from_analysis(&a));
    assert!(md.contains(" ‡ |"), "{md}");
    assert!(
        md.contains("‡ local-cache: the job's time, the build (4.03 s) plus actions/cache's restore and save around it (3.00 s)."),
        "{md}"
    );
}

#[test]
fn a_cache_that_its_transfers_sink_names_them() {
    let mut local = runs("local-cache", "warm-remote", 3_000, Some((14_000, 14_000)));
    for r in &mut local {
        r.phases.cache_import_ms = Some(600);
        r.phases.cache_export_ms = Some(600);
    }
    let s = ephemeral(vec![runs("buildkit", "cold", 5_000, None), local]);
    let scope = &s.scopes[0];
    assert!(scope.pick().unwrap().no_cache);
    let note = scope
        .notes
        .iter()
        .find(|n| n.starts_with("local-cache does not pay for itself"))
        .unwrap();
    assert!(
        note.contains(
            "its import and export take 1.20 s and actions/cache's restore and save 28.00 s, \
             more than the 3.20 s it saves in the build"
        ),
        "{note}"
    );
    assert!(scope.notes.iter().any(|n| n.contains(
        "the answer would have been local-cache, not no cache: the transfers around the build change it"
    )));
}
