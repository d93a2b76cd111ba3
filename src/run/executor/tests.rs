//! The matrix loop driven through [`crate::run::executor::fake::FakeExecutor`]: failure policy,
//! engine restarts, resume, exit codes and record writing, without Docker.

use crate::config::matrix::Strategy;
use crate::error::exit;
use crate::plan::cells::Cell;
use crate::records::record::{RunKind, RunRecord, RunStatus};
use crate::records::resume::Done;
use crate::run::executor::fake::{cell, drive, id, no_signal, on_disk, FakeExecutor, Step};
use crate::run::scheduler::{MatrixOutcome, ENGINE_GONE};

#[tokio::test]
async fn three_same_cause_failures_give_up_a_strategy() {
    let d = tempfile::tempdir().unwrap();
    let (push, buildkit) = (cell(Strategy::Push), cell(Strategy::Buildkit));
    let mut exec = FakeExecutor::new(0, 5);
    for rep in 1..=3 {
        // Ports differ from run to run: still the same cause.
        let why =
            format!("build exited with code 1: dial tcp 127.0.0.1:50{rep}0: connection refused");
        exec = exec.step(&push, rep, RunKind::Measured, Step::failed(&why, 200));
    }
    let (_tx, rx) = no_signal();
    let cells = [push.clone(), buildkit.clone()];
    let o = drive(&mut exec, &cells, d.path(), &Done::new(), &rx).await;

    let push_key = push.key().to_string();
    let ran_push: Vec<u32> = exec
        .runs
        .iter()
        .filter(|r| r.0 == push_key)
        .map(|r| r.1)
        .collect();
    assert_eq!(
        ran_push,
        [1, 2, 3],
        "push is not run after 3 same-cause failures"
    );
    let later: Vec<&RunRecord> = o
        .records
        .iter()
        .filter(|r| r.strategy == "push" && r.rep > 3)
        .collect();
    assert_eq!(later.len(), 2);
    for r in later {
        assert_eq!(r.status, RunStatus::Skipped);
        assert!(
            r.reason.starts_with(
                "skipped: the last 3 runs of push failed with: build exited with code 1"
            ) && r.reason.contains("connection refused"),
            "{}",
            r.reason
        );
    }
    // Another strategy is not affected.
    let bk: Vec<&RunRecord> = o
        .records
        .iter()
        .filter(|r| r.strategy == "buildkit")
        .collect();
    assert_eq!(bk.len(), 5);
    assert!(bk.iter().all(|r| r.status == RunStatus::Ok));
    assert_eq!(o.exit_code(), exit::RUNS_FAILED);
}

#[tokio::test]
async fn different_causes_do_not_give_up() {
    let d = tempfile::tempdir().unwrap();
    let push = cell(Strategy::Push);
    let mut exec = FakeExecutor::new(0, 4)
        .step(
            &push,
            1,
            RunKind::Measured,
            Step::failed("build exited with code 1: a", 1),
        )
        .step(
            &push,
            2,
            RunKind::Measured,
            Step::timeout("build timed out", 1),
        )
        .step(
            &push,
            3,
            RunKind::Measured,
            Step::failed("build exited with code 1: a", 1),
        );
    let (_tx, rx) = no_signal();
    let o = drive(&mut exec, &[push], d.path(), &Done::new(), &rx).await;
    assert_eq!(exec.runs.len(), 4);
    assert!(o.records.iter().all(|r| r.status != RunStatus::Skipped));
}

#[tokio::test]
async fn an_engine_that_dies_once_is_revived_and_the_matrix_goes_on() {
    let d = tempfile::tempdir().unwrap();
    let mut exec = FakeExecutor::new(1, 3).engine_dies_after(2);
    let (_tx, rx) = no_signal();
    let cells = [cell(Strategy::Buildkit), cell(Strategy::Push)];
    let o = drive(&mut exec, &cells, d.path(), &Done::new(), &rx).await;
    assert_eq!(exec.revives, 1);
    assert_eq!(exec.runs.len(), 8, "every run is run");
    assert!(o.records.iter().all(|r| r.status == RunStatus::Ok));
    assert_eq!(o.engine_dead, None);
    assert_eq!(o.exit_code(), exit::OK);
}

#[tokio::test]
async fn an_engine_that_dies_again_fails_the_rest_fast_with_exit_3() {
    let d = tempfile::tempdir().unwrap();
    let mut exec = FakeExecutor::new(0, 3)
        .engine_dies_after(1)
        .engine_dies_after(3);
    let (_tx, rx) = no_signal();
    let cells = [cell(Strategy::Buildkit), cell(Strategy::Push)];
    let o = drive(&mut exec, &cells, d.path(), &Done::new(), &rx).await;
    assert_eq!(exec.revives, 1, "restarted once only");
    assert_eq!(exec.runs.len(), 3, "nothing runs after the second death");
    assert_eq!(o.records.len(), 6);
    let cause = o.engine_dead.clone().expect("the engine is recorded dead");
    let third = &exec.runs[2];
    let during = format!(
        "the engine stopped answering during {} {} {}",
        third.0, third.2, third.1
    );
    assert!(
        cause.starts_with(&during) && cause.contains("again after cachebench restarted it once"),
        "{cause}"
    );
    for r in &o.records[3..] {
        assert_eq!(r.status, RunStatus::Failed);
        assert_eq!(r.reason, format!("{ENGINE_GONE}{cause}"));
    }
    assert_eq!(o.exit_code(), exit::INTERNAL);
    // Interrupted wins over a dead engine, as in `cachebench run`.
    let o = MatrixOutcome {
        interrupted_by: Some(libc::SIGINT),
        ..o
    };
    assert_eq!(o.exit_code(), exit::INTERRUPTED);
}

#[tokio::test]
async fn an_engine_that_cannot_be_revived_fails_the_rest_fast() {
    let d = tempfile::tempdir().unwrap();
    let mut exec = FakeExecutor::new(0, 3)
        .engine_dies_after(2)
        .revive_fails("dockerd exited with code 1");
    let (_tx, rx) = no_signal();
    let o = drive(
        &mut exec,
        &[cell(Strategy::Push)],
        d.path(),
        &Done::new(),
        &rx,
    )
    .await;
    assert_eq!((exec.revives, exec.runs.len()), (1, 2));
    let last = o.records.last().unwrap();
    assert_eq!(last.status, RunStatus::Failed);
    assert!(
        last.reason.starts_with(ENGINE_GONE)
            && last
                .reason
                .contains("could not be restarted: dockerd exited with code 1"),
        "{}",
        last.reason
    );
    assert_eq!(o.exit_code(), exit::INTERNAL);
}

#[tokio::test]
async fn resume_runs_only_what_the_interrupted_pass_left() {
    let d = tempfile::tempdir().unwrap();
    let mut skipped = cell(Strategy::GhaCache);
    skipped.skip = Some("no gha cache here".into());
    let cells = [cell(Strategy::Buildkit), skipped, cell(Strategy::Push)];
    let mut all: Vec<(String, u32, RunKind)> = [&cells[0], &cells[2]]
        .iter()
        .flat_map(|c| {
            let k = c.key().to_string();
            [
                (k.clone(), 1, RunKind::Warmup),
                (k.clone(), 1, RunKind::Measured),
                (k, 2, RunKind::Measured),
            ]
        })
        .collect();
    all.sort();

    // First pass: SIGINT during the 5th run (in the second measured round).
    let (tx, rx) = no_signal();
    let mut first = FakeExecutor::new(1, 2).interrupt_at(5, libc::SIGINT, tx);
    let o = drive(&mut first, &cells, d.path(), &Done::new(), &rx).await;
    assert_eq!(first.runs.len(), 5);
    assert_eq!(o.records.last().unwrap().status, RunStatus::Interrupted);
    assert_eq!(o.exit_code(), exit::INTERRUPTED);
    assert_eq!(on_disk(d.path()).len(), 6, "5 runs and the planned skip");

    // Second pass, as `cachebench run --resume` gives it: what ended, not interrupted.
    let done: Done = on_disk(d.path())
        .into_iter()
        .filter(|r| r.status != RunStatus::Interrupted)
        .map(|r| (id(&r), r))
        .collect();
    let (_tx, rx) = no_signal();
    let mut second = FakeExecutor::new(1, 2);
    let o = drive(&mut second, &cells, d.path(), &done, &rx).await;
    assert_eq!(
        (second.runs.len(), &second.runs[0]),
        (2, &first.runs[4]),
        "only the interrupted run and the rest"
    );
    assert_eq!(o.records.len(), 2, "the planned skip is not recorded again");
    assert_eq!(o.exit_code(), exit::OK);

    let mut finished: Vec<(String, u32, RunKind)> = on_disk(d.path())
        .iter()
        .filter(|r| !matches!(r.status, RunStatus::Interrupted | RunStatus::Skipped))
        .map(id)
        .collect();
    finished.sort();
    assert_eq!(finished, all, "every run once");
}

/// The exit code of a one-cell matrix whose measured rep 2 ends in `step`.
async fn exit_code_with(step: Step) -> i32 {
    let d = tempfile::tempdir().unwrap();
    let c = cell(Strategy::RegistryCache);
    let mut exec = FakeExecutor::new(1, 3).step(&c, 2, RunKind::Measured, step);
    let (_tx, rx) = no_signal();
    drive(&mut exec, &[c], d.path(), &Done::new(), &rx)
        .await
        .exit_code()
}

#[tokio::test]
async fn exit_codes() {
    assert_eq!(exit_code_with(Step::ok(800)).await, exit::OK);
    let failed = Step::failed("build exited with code 1: failed to solve", 300);
    assert_eq!(exit_code_with(failed).await, exit::RUNS_FAILED);
    let timeout = Step::timeout("build timed out", 60_000);
    assert_eq!(exit_code_with(timeout).await, exit::RUNS_FAILED);
    let state = Step::state_failed("expected a cold build, but 3 of 5 steps were cached", 800);
    assert_eq!(exit_code_with(state).await, exit::RUNS_FAILED);

    let d = tempfile::tempdir().unwrap();
    let (tx, rx) = no_signal();
    let mut exec = FakeExecutor::new(0, 3).interrupt_at(2, libc::SIGINT, tx);
    let o = drive(
        &mut exec,
        &[cell(Strategy::Push)],
        d.path(),
        &Done::new(),
        &rx,
    )
    .await;
    assert_eq!(exec.runs.len(), 2, "nothing runs after the interruption");
    assert_eq!(o.interrupted_by, Some(libc::SIGINT));
    assert_eq!(o.exit_code(), exit::INTERRUPTED);
}

#[tokio::test]
async fn every_record_is_written_as_its_run_ends_in_run_order() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (cell(Strategy::Buildkit), cell(Strategy::InlineCache));
    let mut exec = FakeExecutor::new(1, 2)
        .step(
            &a,
            1,
            RunKind::Measured,
            Step::failed("build exited with code 1: x", 10),
        )
        .step(&b, 2, RunKind::Measured, Step::ok(1234))
        .watch_out(d.path().to_path_buf());
    let (_tx, rx) = no_signal();
    let o = drive(
        &mut exec,
        &[a.clone(), b.clone()],
        d.path(),
        &Done::new(),
        &rx,
    )
    .await;
    // Run n starts with the n-1 records before it already on disk.
    assert_eq!(exec.records_at_start, [0, 1, 2, 3, 4, 5]);
    let disk = on_disk(d.path());
    assert_eq!(disk, o.records);
    assert_eq!(disk.iter().map(id).collect::<Vec<_>>(), exec.runs);
    let find = |c: &Cell, rep: u32| {
        let key = (c.key().to_string(), rep, RunKind::Measured);
        disk.iter().find(|r| id(r) == key).expect("recorded")
    };
    assert_eq!(find(&a, 1).status, RunStatus::Failed);
    assert_eq!(find(&b, 2).wall_ms, Some(1234));
    let csv =
        std::fs::read_to_string(d.path().join(crate::records::results_writer::RUNS_CSV)).unwrap();
    assert_eq!(csv.lines().count(), 1 + 6, "header and one row per run");
}
