//! Warm chains and rounds on cachebench's own engine, for real: each warm run
//! stands on the previous run of its cell (no warming build of its own after the
//! first), every run still proves its state from the build's own records, and cold
//! runs are emptied without a daemon restart and still find nothing cached; rounds
//! of `--reps auto` stop by the rule, also when resumed.

use super::common::{
    records::{jsonl_lines, ok_runs_allowing_the_engine_race, records},
    runs::{run_env, spawn, text, tiny_run_args, wait_child, wait_until},
    scratch::scratch,
};
use cachebench::records::record::{RunKind, RunRecord, RunStatus};
use std::time::Duration;

fn measured(out: &std::path::Path) -> Vec<RunRecord> {
    records(out)
        .into_iter()
        .filter(|r| r.kind == RunKind::Measured && r.status != RunStatus::Skipped)
        .collect()
}

/// Runs the tiny workload with `reps` and `extra` flags, expects exit 0, and gives
/// its measured runs.
fn run_measured(
    dir: &std::path::Path,
    out: &std::path::Path,
    reps: &str,
    extra: &[&str],
) -> Vec<RunRecord> {
    let o = run_env(&tiny_run_args(out, reps, extra), dir, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    measured(out)
}

/// Asserts the run is ok and proved its state; gives its label for messages.
fn assert_proven(r: &RunRecord) -> String {
    let cell = format!("{} rep {}", r.cell(), r.rep);
    assert_eq!(r.status, RunStatus::Ok, "{cell}: {}", r.reason);
    assert_eq!(r.state_check, "ok", "{cell}: {}", r.state_check);
    cell
}

fn log_of(out: &std::path::Path, r: &RunRecord) -> String {
    std::fs::read_to_string(out.join(&r.log)).unwrap_or_else(|e| panic!("{}: {e}", r.log))
}

/// Chains on the docker driver: warm-local and warm-remote chain, cold is fresh.
#[test]
fn warm_local_and_warm_remote_chain_and_every_run_proves_its_state() {
    let dir = scratch();
    let out = dir.path().join("out");
    let runs = run_measured(
        dir.path(),
        &out,
        "3",
        &[
            "--state",
            "cold",
            "--state",
            "warm-local",
            "--state",
            "warm-remote",
            "--change",
            "source",
            "--strategy",
            "buildkit",
            "--strategy",
            "registry-cache",
        ],
    );
    // buildkit: cold, warm-local; registry-cache: cold, warm-local, warm-remote.
    assert_eq!(runs.len(), 5 * 3, "{runs:#?}");
    for r in &runs {
        let cell = assert_proven(r);
        assert_eq!(r.round, Some(r.rep), "{cell}");
        assert!(r.order.is_some() && r.shuffle_seed.is_some(), "{cell}");
        let log = log_of(&out, r);
        match (r.state.as_str(), r.rep) {
            ("cold", _) => {
                assert_eq!(r.warmed_by, "", "{cell}");
                assert_eq!(r.steps_cached, Some(0), "{cell}");
                assert!(
                    log.contains("engine emptied without a restart"),
                    "{cell}: {log}"
                );
                // Neither a reset ("dockerd restarted on a fresh data-root") nor a
                // restart ("dockerd and its containerd restarted on the same …").
                assert!(!log.contains("restarted on "), "{cell}: {log}");
            }
            (_, 1) => {
                assert_eq!(r.warmed_by, "prepare", "{cell}");
                assert!(log.contains("== prepare: warming build =="), "{cell}");
            }
            (_, rep) => {
                assert_eq!(r.warmed_by, format!("measured {}", rep - 1), "{cell}");
                assert!(
                    !log.contains("== prepare: warming build =="),
                    "{cell}: {log}"
                );
                assert!(log.contains("== prepare: chained"), "{cell}");
            }
        }
        if r.state == "warm-remote" {
            assert!(
                r.bytes_down.unwrap_or(0) > 0,
                "{cell}: downloaded its cache"
            );
        }
    }
    // The cold cell stands for the matrix's one change.
    assert!(runs
        .iter()
        .filter(|r| r.state == "cold")
        .all(|r| r.stands_for == "source"));
}

/// Chains on docker-container builders: the warm-local chain keeps its builder
/// (no builder creation in any of its runs), warm-remote creates one per run.
/// `--load` into the containerd store can hit the engine's known snapshot race
/// (`known_engine_race`): such a run is recorded as failed and the next one
/// re-warms, so three reps leave a later run to prove the chain goes on.
#[test]
fn docker_container_chains_keep_their_builder_warm_local_only() {
    let dir = scratch();
    let out = dir.path().join("out");
    let args = tiny_run_args(
        &out,
        "3",
        &[
            "--builder",
            "docker-container",
            "--state",
            "warm-local",
            "--state",
            "warm-remote",
            "--change",
            "source",
            "--strategy",
            "registry-cache",
        ],
    );
    let o = run_env(&args, dir.path(), &[]);
    let all = measured(&out);
    assert_eq!(all.len(), 6, "{all:#?}");
    let runs = ok_runs_allowing_the_engine_race(&o, &all);
    for r in &runs {
        let cell = assert_proven(r);
        let creates = r.commands.iter().any(|c| c.role == "builder_create");
        assert_eq!(
            creates,
            r.state == "warm-remote",
            "{cell}: {:?}",
            r.commands
        );
        let previous_ok = runs
            .iter()
            .any(|p| p.cell() == r.cell() && p.rep + 1 == r.rep);
        if r.rep > 1 && previous_ok {
            assert_eq!(r.warmed_by, format!("measured {}", r.rep - 1), "{cell}");
        } else {
            assert_eq!(r.warmed_by, "prepare", "{cell}");
        }
    }
}

/// `--reps auto` for real: rounds until the stop rule settles the state, finds
/// more runs futile, or reaches `--max-reps`; `stopping.json` says why, and its
/// builds are the measured runs.
#[test]
fn reps_auto_stops_a_state_and_says_why() {
    let dir = scratch();
    let out = dir.path().join("out");
    let args = tiny_run_args(
        &out,
        "auto",
        &[
            "--min-reps",
            "2",
            "--max-reps",
            "4",
            "--state",
            "warm-local",
            "--change",
            "source",
            "--strategy",
            "buildkit",
            "--strategy",
            "legacy",
        ],
    );
    let o = run_env(&args, dir.path(), &[]);
    let runs = measured(&out);
    // Legacy and BuildKit interleave on one containerd-store engine: the engine's
    // known snapshot race may fail a run (recorded as failed, the chain re-warms).
    ok_runs_allowing_the_engine_race(&o, &runs);
    let text = std::fs::read_to_string(out.join("stopping.json")).expect("stopping.json");
    let stops: serde_json::Value = serde_json::from_str(&text).unwrap();
    let stops = stops.as_array().expect("a list");
    assert_eq!(stops.len(), 1, "{text}");
    let s = &stops[0];
    assert_eq!(s["state"], "warm-local", "{text}");
    let reason = s["reason"].as_str().unwrap();
    assert!(
        ["winner", "tie", "futile", "max_reps"].contains(&reason),
        "{text}"
    );
    let rounds = s["rounds"].as_u64().unwrap();
    assert!((2..=4).contains(&rounds), "{text}");
    match reason {
        "max_reps" => assert_eq!(rounds, 4, "{text}"),
        // Futility stops before max_reps, unsettled, saying where it leaned.
        "futile" => {
            assert!(rounds < 4, "{text}");
            assert!(s["winner"].is_null() && s["leaning"].is_string(), "{text}");
        }
        "winner" => assert!(s["winner"].is_string(), "{text}"),
        _ => {}
    }
    assert_eq!(s["builds"].as_u64().unwrap() as usize, runs.len(), "{text}");
    assert_eq!(runs.len() as u64, 2 * rounds, "{runs:#?}");
    assert_eq!(s["fixed_builds"], 8, "{text}");
    // The resolved scenario says auto, so --resume continues it the same way.
    let toml = std::fs::read_to_string(out.join("scenario.toml")).unwrap();
    assert!(toml.contains("reps = \"auto\""), "{toml}");
}

/// `--reps auto` interrupted in its second round, then `--resume`d: the resumed
/// pass's stop rule counts the runs OUT already held, so `stopping.json` (rewritten
/// by the resumed pass) counts the rounds and builds of both passes, and no run is
/// made twice.
#[test]
fn reps_auto_resumed_counts_the_runs_out_already_holds() {
    let dir = scratch();
    let out = dir.path().join("out");
    let args = tiny_run_args(
        &out,
        "auto",
        &[
            "--min-reps",
            "3",
            "--max-reps",
            "4",
            "--state",
            "cold",
            "--strategy",
            "buildkit",
            "--strategy",
            "inline-cache",
        ],
    );
    let mut child = spawn(&args, dir.path(), dir.path());
    wait_until(Duration::from_secs(240), "the first round", || {
        jsonl_lines(&out) >= 2
    });
    // SAFETY: kill(2) on the cachebench process this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let (code, t) = wait_child(&mut child, dir.path(), Duration::from_secs(90));
    // Nothing settles before round 3 (--min-reps): the matrix cannot have ended.
    assert_eq!(code, Some(130), "{t}");
    let first: Vec<RunRecord> = measured(&out)
        .into_iter()
        .filter(|r| r.status != RunStatus::Interrupted)
        .collect();
    assert!((2..6).contains(&first.len()), "{first:#?}");

    let resume: Vec<String> = vec!["run".into(), "--resume".into(), out.display().to_string()];
    let o = run_env(&resume, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let runs: Vec<RunRecord> = measured(&out)
        .into_iter()
        .filter(|r| r.status != RunStatus::Interrupted)
        .collect();
    let mut ids: Vec<(String, u32)> = runs.iter().map(|r| (r.strategy.clone(), r.rep)).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), runs.len(), "a run made twice: {runs:#?}");
    let text = std::fs::read_to_string(out.join("stopping.json")).expect("stopping.json");
    let stops: serde_json::Value = serde_json::from_str(&text).unwrap();
    let s = &stops.as_array().expect("a list")[0];
    let rounds = s["rounds"].as_u64().unwrap();
    assert!((3..=4).contains(&rounds), "{text}");
    assert_ne!(s["reason"], "interrupted", "{text}");
    assert_eq!(
        s["builds"].as_u64().unwrap() as usize,
        runs.len(),
        "both passes' builds: {text}"
    );
    assert_eq!(runs.len() as u64, 2 * rounds, "{runs:#?}");
    assert_eq!(
        runs.iter().map(|r| u64::from(r.rep)).max(),
        Some(rounds),
        "{text}"
    );
}
