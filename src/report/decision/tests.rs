//! Unit tests of the Decision on synthetic records. Longer than ~400 lines for a
//! reason: one test per Decision case the issue names (tie, a cache that does not
//! pay, p*, an answer that differs by change, leaning, noise in steps, cold
//! pooling, no-cache fallback, unmeasured caches, the terminal form), kept together.

use super::*;
use crate::records::record::RunRecord;
use crate::report::decision::local::p_star;
use crate::report::judge::NO_CACHE_ID;
use crate::stats::verdict::Verdict;

/// Measured ok runs of one cell: wall times, and each run's steps, cache import
/// and export (ms) when given.
fn runs(
    strategy: &str,
    state: &str,
    change: &str,
    walls: &[u64],
    phases: Option<(u64, u64, u64)>,
) -> Vec<RunRecord> {
    walls
        .iter()
        .enumerate()
        .map(|(i, &w)| {
            let (steps, import, export) = match phases {
                Some((s, i, e)) => (Some(s), Some(i), Some(e)),
                None => (None, None, None),
            };
            serde_json::from_value(serde_json::json!({
                "scenario": "t", "workload": "w", "strategy": strategy, "builder": "docker",
                "state": state, "change": change, "rep": i + 1, "kind": "measured",
                "status": "ok", "reason": "", "started_at": "", "wall_ms": w, "build_ms": w,
                "prepare_ms": null, "steps_ms": steps, "cache_import_ms": import,
                "cache_export_ms": export, "steps_total": null, "steps_cached": null,
                "bytes_down": null, "bytes_up": null, "log": "", "state_check": "ok",
                "registry_manifests": 1, "registry_attestations": 0, "registry_bytes": 1048576,
            }))
            .unwrap()
        })
        .collect()
}

fn decision(records: &[Vec<RunRecord>]) -> Decision {
    let all: Vec<RunRecord> = records.iter().flatten().cloned().collect();
    Decision::from_analysis(&Analysis::from_records(&all))
}

fn situation(d: &Decision, kind: SituationKind) -> &Situation {
    d.situations.iter().find(|s| s.situation == kind).unwrap()
}

fn spread(base: u64, n: usize) -> Vec<u64> {
    (0..n as u64).map(|i| base + i * 10).collect()
}

#[test]
fn options_within_the_margin_are_a_tie() {
    let d = decision(&[
        runs("buildkit", "cold", "source", &spread(10_000, 6), None),
        runs(
            "registry-cache",
            "warm-remote",
            "source",
            &spread(4_000, 6),
            None,
        ),
        runs(
            "inline-cache",
            "warm-remote",
            "source",
            &spread(4_020, 6),
            None,
        ),
    ]);
    let s = situation(&d, SituationKind::EphemeralRunner);
    assert_eq!(
        s.scopes[0].verdict,
        Verdict::Tie {
            options: vec!["registry-cache".into(), "inline-cache".into()],
        }
    );
    assert!(
        s.recommendation.contains(
            "a tie: registry-cache, inline-cache are within the larger of ±5% and 0.25 s per build of each other, so either will do"
        ),
        "{}",
        s.recommendation
    );
    let reg = &s.scopes[0].options[0];
    assert_eq!(reg.saving_ms, Some(6_000.0));
    assert_eq!(reg.miss_ms, None, "registry-cache was not measured cold");
}

#[test]
fn a_cache_slower_than_no_cache_does_not_pay_and_says_so_with_numbers() {
    let d = decision(&[
        runs(
            "buildkit",
            "cold",
            "source",
            &spread(1_000, 6),
            Some((900, 0, 0)),
        ),
        runs(
            "registry-cache",
            "warm-remote",
            "source",
            &spread(1_300, 6),
            Some((600, 400, 200)),
        ),
    ]);
    let s = situation(&d, SituationKind::EphemeralRunner);
    let sc = &s.scopes[0];
    let reg = sc
        .options
        .iter()
        .find(|o| o.strategy == "registry-cache")
        .unwrap();
    assert_eq!(reg.pays, Some(false));
    assert_eq!(reg.overhead_ms, Some(600.0));
    assert!(
        matches!(&sc.verdict, Verdict::Winner { option, .. } if option == "no-cache"),
        "{:?}",
        sc.verdict
    );
    // 1325 ms against 1025 ms; without its 600 ms of import and export the cached
    // build would take 725 ms: it saves 300 ms and spends 600.
    assert_eq!(
        sc.notes,
        vec!["registry-cache does not pay for itself: 1.32 s against 1.02 s with no cache; its import and export take 600 ms, more than the 300 ms it saves in the build.".to_string()]
    );
    assert!(
        s.recommendation.contains("build with **no cache**"),
        "{}",
        s.recommendation
    );
}

#[test]
fn break_even_hit_probability() {
    assert_eq!(p_star(2_000.0, 10_000.0, 4_000.0), Some(0.75));
    assert_eq!(
        p_star(2_000.0, 10_000.0, 10_500.0),
        Some(0.0),
        "remote slower than a miss"
    );
    assert_eq!(
        p_star(2_000.0, 10_000.0, 1_500.0),
        None,
        "remote faster than a hit"
    );
    let d = decision(&[
        runs("layer-cache", "cold", "source", &[10_000; 3], None),
        runs("layer-cache", "warm-local", "source", &[2_000; 3], None),
        runs("registry-cache", "warm-remote", "source", &[4_000; 3], None),
    ]);
    let b = &situation(&d, SituationKind::BestEffortLocal).best_effort[0];
    assert_eq!(
        (b.strategy.as_str(), b.cold_ms, b.warm_ms),
        ("layer-cache", 10_000.0, 2_000.0)
    );
    let e: Vec<f64> = b.expected.iter().map(|e| e.expected_ms).collect();
    assert_eq!(e, vec![10_000.0, 8_000.0, 6_000.0, 4_000.0, 2_000.0]);
    assert_eq!(b.break_even[0].p_star, Some(0.75));
    let md = crate::report::decision::markdown::render(&Analysis::from_records(&[]), &d);
    assert!(md.contains("| 0.50 | 6.00 s | +2.00 s |"), "{md}");
    assert!(md.contains("| 1.00 | 2.00 s | −2.00 s |"), "{md}");
}

#[test]
fn one_answer_across_changes_weighed_by_the_mix() {
    let d = decision(&[
        runs("buildkit", "cold", "any", &spread(10_000, 6), None),
        runs(
            "registry-cache",
            "warm-remote",
            "source",
            &spread(3_000, 6),
            None,
        ),
        runs(
            "inline-cache",
            "warm-remote",
            "source",
            &spread(5_000, 6),
            None,
        ),
        runs(
            "registry-cache",
            "warm-remote",
            "deps",
            &spread(8_000, 6),
            None,
        ),
        runs(
            "inline-cache",
            "warm-remote",
            "deps",
            &spread(6_000, 6),
            None,
        ),
    ]);
    let s = situation(&d, SituationKind::EphemeralRunner);
    assert_eq!(s.scopes.len(), 2);
    assert_eq!(s.scopes[0].pick().map(|o| o.id()), Some("registry-cache"));
    assert_eq!(s.scopes[1].pick().map(|o| o.id()), Some("inline-cache"));
    // One answer: 80% source, 20% deps: registry-cache 0.8·3.025 + 0.2·8.025 = 4.025 s
    // against inline-cache 0.8·5.025 + 0.2·6.025 = 5.225 s.
    let ans = &s.answers[0];
    assert_eq!(ans.pick, "registry-cache");
    assert!(!ans.unanimous && !ans.settled);
    assert_eq!(ans.expected[0], ("registry-cache".to_string(), 4_025.0));
    assert_eq!(ans.on_change[1].own_pick.as_deref(), Some("inline-cache"));
    assert!(
        s.recommendation.starts_with("On an ephemeral runner, use **registry-cache**; the lowest expected time over the changes weighed by the mix (registry-cache 4.03 s against inline-cache 5.22 s), not settled: deps changes alone would pick inline-cache. It saves 7.00 s (70%) on source changes and saves 2.00 s (20%) on deps changes"),
        "{}",
        s.recommendation
    );
    assert_eq!(d.mix_words(), "source 80%, deps 20%");
    // The cold cell recorded with change "any" serves both changes.
    assert!(s.scopes.iter().all(|sc| sc.no_cache_ms == Some(10_025.0)));
    // Another mix, another answer: mostly dependency changes.
    let mut a = Analysis::from_records(&d_records_differ());
    a.change_mix = [("source".to_string(), 0.2), ("deps".to_string(), 0.8)].into();
    let d = Decision::from_analysis(&a);
    assert_eq!(
        situation(&d, SituationKind::EphemeralRunner).answers[0].pick,
        "inline-cache"
    );
}

fn d_records_differ() -> Vec<RunRecord> {
    [
        runs("buildkit", "cold", "any", &spread(10_000, 6), None),
        runs(
            "registry-cache",
            "warm-remote",
            "source",
            &spread(3_000, 6),
            None,
        ),
        runs(
            "inline-cache",
            "warm-remote",
            "source",
            &spread(5_000, 6),
            None,
        ),
        runs(
            "registry-cache",
            "warm-remote",
            "deps",
            &spread(8_000, 6),
            None,
        ),
        runs(
            "inline-cache",
            "warm-remote",
            "deps",
            &spread(6_000, 6),
            None,
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[test]
fn too_few_runs_lean_and_say_how_many_more_settle_it() {
    // 5% apart with a 5% spread, on 10 s builds (the margin is ±5%): three runs
    // each cannot tell.
    let d = decision(&[
        runs(
            "buildkit",
            "warm-local",
            "source",
            &[10_000, 10_500, 11_000],
            None,
        ),
        runs(
            "registry-cache",
            "warm-local",
            "source",
            &[10_500, 11_000, 11_600],
            None,
        ),
    ]);
    let s = situation(&d, SituationKind::WarmHost);
    let Verdict::Leaning {
        option: strategy,
        runner_up,
        more_runs: Some(more),
        ..
    } = &s.scopes[0].verdict
    else {
        panic!("{:?}", s.scopes[0].verdict)
    };
    assert_eq!(
        (strategy.as_str(), runner_up.as_str()),
        ("buildkit", "registry-cache")
    );
    assert!(*more >= 1);
    assert!(
        s.recommendation.contains(&format!(
            "leaning, not settled against registry-cache: about {more} more runs per cell would settle it"
        )),
        "{}",
        s.recommendation
    );
    // Six runs each, far apart: settled.
    let d = decision(&[
        runs("buildkit", "warm-local", "source", &spread(1_000, 6), None),
        runs(
            "registry-cache",
            "warm-local",
            "source",
            &spread(2_000, 6),
            None,
        ),
    ]);
    assert!(matches!(
        &situation(&d, SituationKind::WarmHost).scopes[0].verdict,
        Verdict::Winner { option, .. } if option == "buildkit"
    ));
}

#[test]
fn an_advantage_only_in_steps_is_noise_in_the_build() {
    let d = decision(&[
        runs(
            "buildkit",
            "warm-local",
            "source",
            &spread(36_000, 6),
            Some((35_000, 0, 0)),
        ),
        runs(
            "local-cache",
            "warm-local",
            "source",
            &spread(45_000, 6),
            Some((44_000, 0, 300)),
        ),
    ]);
    let sc = &situation(&d, SituationKind::WarmHost).scopes[0];
    assert_eq!(
        sc.verdict,
        Verdict::Noise {
            option: "buildkit".into(),
            runner_up: "local-cache".into(),
            wall_diff_ms: 9_000.0,
            steps_diff_ms: 9_000.0
        }
    );
    assert!(
        sc.notes[0].contains("noise in the build itself, not the cache"),
        "{:?}",
        sc.notes
    );
}

#[test]
fn cold_cells_of_any_change_pool_as_the_miss_of_their_strategy() {
    let d = decision(&[
        runs("buildkit", "cold", "source", &[9_000, 9_100], None),
        runs("buildkit", "cold", "none", &[9_200], None),
        runs("registry-cache", "cold", "source", &[11_000], None),
        runs(
            "registry-cache",
            "warm-remote",
            "source",
            &[4_000, 4_100],
            None,
        ),
    ]);
    let sc = &situation(&d, SituationKind::EphemeralRunner).scopes[0];
    let base = sc.options.iter().find(|o| o.no_cache).unwrap();
    assert_eq!((base.n, base.median_ms), (3, 9_100.0));
    assert_eq!(sc.options[0].miss_ms, Some(11_000.0));
    assert_eq!(sc.options[0].manifests, Some(1));
}

#[test]
fn without_a_plain_cold_build_the_fastest_cold_build_is_no_cache() {
    let d = decision(&[
        runs("registry-cache", "cold", "source", &[12_000, 12_100], None),
        runs("inline-cache", "cold", "source", &[11_000, 11_100], None),
        runs(
            "registry-cache",
            "warm-remote",
            "source",
            &[4_000, 4_100],
            None,
        ),
    ]);
    let sc = &situation(&d, SituationKind::EphemeralRunner).scopes[0];
    let base = sc.options.iter().find(|o| o.no_cache).unwrap();
    assert_eq!(
        (base.strategy.as_str(), base.id()),
        ("inline-cache", NO_CACHE_ID)
    );
    assert_eq!(sc.no_cache_ms, Some(11_050.0));
    // The cache is picked, the no-cache option is not confused with it.
    assert_eq!(sc.pick().map(|o| o.no_cache), Some(false));
}

#[test]
fn a_lead_in_the_cache_work_is_not_noise() {
    // Same steps; local-cache pays 2 s more outside them (its export).
    let d = decision(&[
        runs(
            "buildkit",
            "warm-local",
            "source",
            &spread(8_000, 6),
            Some((7_000, 0, 0)),
        ),
        runs(
            "local-cache",
            "warm-local",
            "source",
            &spread(10_000, 6),
            Some((7_000, 0, 2_000)),
        ),
    ]);
    let sc = &situation(&d, SituationKind::WarmHost).scopes[0];
    assert!(
        matches!(&sc.verdict, Verdict::Winner { option, .. } if option == "buildkit"),
        "{:?}",
        sc.verdict
    );
    assert!(sc.notes.is_empty(), "{:?}", sc.notes);
}

#[test]
fn the_terminal_form_is_plain_text() {
    let d = decision(&[
        runs("buildkit", "cold", "source", &spread(10_000, 6), None),
        runs(
            "registry-cache",
            "warm-remote",
            "source",
            &spread(4_000, 6),
            None,
        ),
    ]);
    let t = crate::report::decision::markdown::terminal(&d);
    assert!(
        t.starts_with(
            "Decision:\n- On an ephemeral runner, use registry-cache; settled: shown faster than no cache"
        ),
        "{t}"
    );
    assert!(!t.contains("**"), "{t}");
}

#[test]
fn a_remote_cache_without_runs_is_named_with_its_reason() {
    let mut skipped = runs("gha-cache", "warm-remote", "source", &[1], None);
    skipped[0].status = crate::records::record::RunStatus::Skipped;
    skipped[0].wall_ms = None;
    skipped[0].reason = "the gha cache needs ACTIONS_CACHE_URL".into();
    let d = decision(&[
        runs("buildkit", "cold", "source", &spread(10_000, 6), None),
        runs(
            "registry-cache",
            "warm-remote",
            "source",
            &spread(4_000, 6),
            None,
        ),
        skipped,
    ]);
    let sc = &situation(&d, SituationKind::EphemeralRunner).scopes[0];
    assert_eq!(
        sc.notes,
        vec![
            "gha-cache was not measured: skipped: the gha cache needs ACTIONS_CACHE_URL."
                .to_string()
        ]
    );
}

#[test]
fn a_cache_that_saves_nothing_in_the_build_says_so() {
    let d = decision(&[
        runs(
            "buildkit",
            "cold",
            "source",
            &spread(2_000, 6),
            Some((1_500, 0, 0)),
        ),
        runs(
            "local-cache",
            "warm-remote",
            "source",
            &spread(3_000, 6),
            Some((1_600, 500, 400)),
        ),
    ]);
    let sc = &situation(&d, SituationKind::EphemeralRunner).scopes[0];
    assert_eq!(
        sc.notes,
        vec!["local-cache does not pay for itself: 3.02 s against 2.02 s with no cache; its import and export take 900 ms, and it saves nothing in the build (the rest takes 2.12 s, no less than a build with no cache).".to_string()]
    );
}

/// The ephemeral runner's answer among the caches is the warm-remote state's own
/// verdict when no cache is clearly slower: with no cache in the family, every pair
/// was tested at a stricter level and the Decision said "leaning" where the Verdict
/// per state said "wins" (seen in an earlier results/default).
#[test]
fn the_ephemeral_answer_agrees_with_the_warm_remote_verdict() {
    let step = |b: u64| -> Vec<u64> { (0..3).map(|i| b + i * 40).collect() };
    let all: Vec<RunRecord> = [
        runs("buildkit", "cold", "source", &step(4_000), None),
        runs(
            "registry-cache",
            "warm-remote",
            "source",
            &step(1_000),
            None,
        ),
        runs("inline-cache", "warm-remote", "source", &step(1_400), None),
        runs("local-cache", "warm-remote", "source", &step(1_900), None),
    ]
    .into_iter()
    .flatten()
    .collect();
    let a = Analysis::from_records(&all);
    let d = Decision::from_analysis(&a);
    let state = a.groups.iter().find(|g| g.state == "warm-remote").unwrap();
    assert!(
        matches!(state.verdict, Verdict::Winner { .. }),
        "{:?}",
        state.verdict
    );
    let s = situation(&d, SituationKind::EphemeralRunner);
    assert_eq!(s.scopes[0].verdict, state.verdict);
}

/// Records an auto run stopped are read with its rule, corrected for its looks: the
/// same records that settle looked at once (a fixed run) are only leaning then, as
/// the run's own stop rule said.
#[test]
fn records_of_an_auto_run_are_read_with_its_correction_for_looks() {
    let step = |b: u64| -> Vec<u64> { (0..3).map(|i| b + i * 200).collect() };
    let all: Vec<RunRecord> = [
        runs(
            "registry-cache",
            "warm-remote",
            "source",
            &step(1_000),
            None,
        ),
        runs("inline-cache", "warm-remote", "source", &step(1_500), None),
    ]
    .into_iter()
    .flatten()
    .collect();
    let settings = crate::records::report_settings::ReportSettings::default();
    let once = Analysis::read(&all, None, &settings);
    assert!(
        matches!(once.groups[0].verdict, Verdict::Winner { .. }),
        "{:?}",
        once.groups[0].verdict
    );
    let auto = Analysis::read(
        &all,
        Some(crate::stats::sequential::StopRule::default()),
        &settings,
    );
    assert!(
        matches!(auto.groups[0].verdict, Verdict::Leaning { .. }),
        "{:?}",
        auto.groups[0].verdict
    );
    let m = Decision::from_analysis(&auto).method;
    assert!(
        m.contains("corrected for its looks from 3 runs per cell to its round cap (10 rounds for two options, 17 for four)"),
        "{m}"
    );
    let unraced = crate::stats::sequential::StopRule {
        race: false,
        ..Default::default()
    };
    let m = Decision::from_analysis(&Analysis::read(&all, Some(unraced), &settings)).method;
    assert!(m.contains("corrected for its 8 looks"), "{m}");
    let m = Decision::from_analysis(&once).method;
    assert!(m.contains("read once, at 95% confidence"), "{m}");
}
