//! Rounds and warm chains driven through [`crate::run::executor::fake::FakeExecutor`], without
//! Docker: a warm chain warms once, a broken chain warms again once, rounds are
//! recorded and shuffled, cold runs are fresh, resume in the middle of rounds, and
//! an engine restart breaks the chains.

use crate::config::matrix::{BuilderKind, ImageStore};
use crate::config::matrix::{Change, State, Strategy};
use crate::plan::cells::Cell;
use crate::records::record::{RunKind, RunRecord, RunStatus};
use crate::records::resume::Done;
use crate::run::chain::{Chain, Prep};
use crate::run::executor::fake::{cell, drive, id, no_signal, on_disk, FakeExecutor, Step};
use std::collections::HashSet;

fn warm(strategy: Strategy, state: State) -> Cell {
    Cell {
        state,
        change: Change::Source,
        ..cell(strategy)
    }
}

fn rec<'a>(rs: &'a [RunRecord], c: &Cell, kind: RunKind, rep: u32) -> &'a RunRecord {
    let key = (c.key().to_string(), rep, kind);
    rs.iter().find(|r| id(r) == key).expect("recorded")
}

#[tokio::test]
async fn a_warm_chain_warms_once_and_each_run_warms_the_next() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (
        warm(Strategy::Buildkit, State::WarmLocal),
        warm(Strategy::RegistryCache, State::WarmRemote),
    );
    let mut exec = FakeExecutor::new(1, 3);
    let (_tx, rx) = no_signal();
    let o = drive(
        &mut exec,
        &[a.clone(), b.clone()],
        d.path(),
        &Done::new(),
        &rx,
    )
    .await;
    for c in [&a, &b] {
        let preps: Vec<Prep> = exec.preps_of(c).into_iter().map(|p| p.2).collect();
        assert_eq!(
            preps,
            [Prep::Warm, Prep::Chained, Prep::Chained, Prep::Chained],
            "{}: only the first run has a warming build",
            c.key()
        );
        let by: Vec<&str> = [
            (RunKind::Warmup, 1),
            (RunKind::Measured, 1),
            (RunKind::Measured, 2),
            (RunKind::Measured, 3),
        ]
        .iter()
        .map(|&(k, r)| rec(&o.records, c, k, r).warmed_by.as_str())
        .collect();
        assert_eq!(by, ["prepare", "warmup 1", "measured 1", "measured 2"]);
        // Chained runs prepared in no time (the fake's warming build costs a build).
        assert_eq!(rec(&o.records, c, RunKind::Measured, 2).prepare_ms, Some(0));
    }
    assert_eq!(
        exec.groups.len(),
        2,
        "warm-local and warm-remote are two groups"
    );
    assert_eq!(exec.ended, 2);
}

#[tokio::test]
async fn a_broken_chain_warms_again_once() {
    let d = tempfile::tempdir().unwrap();
    let a = warm(Strategy::Buildkit, State::WarmLocal);
    let mut exec = FakeExecutor::new(0, 5)
        .step(
            &a,
            2,
            RunKind::Measured,
            Step::failed("build exited with code 1: x", 5),
        )
        .step(
            &a,
            4,
            RunKind::Measured,
            Step::state_failed("expected cached steps", 5),
        );
    let (_tx, rx) = no_signal();
    let o = drive(
        &mut exec,
        std::slice::from_ref(&a),
        d.path(),
        &Done::new(),
        &rx,
    )
    .await;
    let preps: Vec<Prep> = exec.preps_of(&a).into_iter().map(|p| p.2).collect();
    assert_eq!(
        preps,
        [
            Prep::Warm,
            Prep::Chained,
            Prep::Warm,
            Prep::Chained,
            Prep::Warm
        ]
    );
    assert_eq!(
        rec(&o.records, &a, RunKind::Measured, 3).warmed_by,
        "prepare"
    );
    assert_eq!(
        rec(&o.records, &a, RunKind::Measured, 4).warmed_by,
        "measured 3"
    );
}

#[tokio::test]
async fn rounds_run_every_cell_once_in_a_recorded_shuffled_order() {
    let d = tempfile::tempdir().unwrap();
    let cells: Vec<Cell> = [
        Strategy::Legacy,
        Strategy::Buildkit,
        Strategy::Push,
        Strategy::LoadPush,
        Strategy::InlineCache,
    ]
    .into_iter()
    .map(cell)
    .collect();
    let mut exec = FakeExecutor::new(0, 6);
    let (_tx, rx) = no_signal();
    let o = drive(&mut exec, &cells, d.path(), &Done::new(), &rx).await;
    assert_eq!(o.records.len(), 30);
    let mut orders = HashSet::new();
    for round in 1..=6u32 {
        let recs: Vec<&RunRecord> = o
            .records
            .iter()
            .filter(|r| r.round == Some(round))
            .collect();
        assert_eq!(recs.len(), 5, "round {round} runs every cell once");
        assert!(recs.iter().all(|r| r.rep == round));
        let pos: Vec<u32> = recs.iter().map(|r| r.order.unwrap()).collect();
        assert_eq!(pos, [1, 2, 3, 4, 5], "recorded in run order");
        let strategies: Vec<String> = recs.iter().map(|r| r.strategy.clone()).collect();
        orders.insert(strategies);
    }
    assert!(orders.len() >= 3, "rounds are shuffled: {orders:?}");
    assert!(o.records.iter().all(|r| r.shuffle_seed == Some(7)));
    // The records are the runs, in the order they ran.
    assert_eq!(
        on_disk(d.path()).iter().map(id).collect::<Vec<_>>(),
        exec.runs
    );
}

#[tokio::test]
async fn cold_runs_are_fresh_and_stand_on_nothing() {
    let d = tempfile::tempdir().unwrap();
    let mut c = cell(Strategy::RegistryCache);
    c.stands_for = vec![Change::Source, Change::Deps];
    let mut exec = FakeExecutor::new(1, 2);
    let (_tx, rx) = no_signal();
    let o = drive(
        &mut exec,
        std::slice::from_ref(&c),
        d.path(),
        &Done::new(),
        &rx,
    )
    .await;
    assert!(exec.preps_of(&c).iter().all(|p| p.2 == Prep::Fresh));
    assert!(o.records.iter().all(|r| r.warmed_by.is_empty()));
    assert!(o.records.iter().all(|r| r.stands_for == "source deps"));
}

#[tokio::test]
async fn resume_in_the_middle_of_rounds_warms_each_chain_again() {
    let d = tempfile::tempdir().unwrap();
    let cells = [
        warm(Strategy::Buildkit, State::WarmLocal),
        warm(Strategy::Push, State::WarmLocal),
        warm(Strategy::InlineCache, State::WarmLocal),
    ];
    let (tx, rx) = no_signal();
    let mut first = FakeExecutor::new(0, 3).interrupt_at(5, libc::SIGINT, tx);
    drive(&mut first, &cells, d.path(), &Done::new(), &rx).await;
    let done: Done = on_disk(d.path())
        .into_iter()
        .filter(|r| r.status != RunStatus::Interrupted)
        .map(|r| (id(&r), r))
        .collect();
    assert_eq!(done.len(), 4);
    let (_tx, rx) = no_signal();
    let mut second = FakeExecutor::new(0, 3);
    let o = drive(&mut second, &cells, d.path(), &done, &rx).await;
    assert_eq!(second.runs.len(), 5, "the interrupted run and the 4 left");
    for c in &cells {
        let preps = second.preps_of(c);
        if let Some(first_run) = preps.first() {
            assert_eq!(
                first_run.2,
                Prep::Warm,
                "{}: a new pass warms again",
                c.key()
            );
            assert!(preps[1..].iter().all(|p| p.2 == Prep::Chained));
        }
    }
    let mut all: Vec<_> = on_disk(d.path())
        .iter()
        .filter(|r| r.status == RunStatus::Ok)
        .map(id)
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 9, "every run of every round once");
    assert!(o.records.iter().all(|r| r.round == Some(r.rep)));
}

#[tokio::test]
async fn an_engine_restart_breaks_every_chain_of_the_group() {
    let d = tempfile::tempdir().unwrap();
    let cells = [
        warm(Strategy::Buildkit, State::WarmLocal),
        warm(Strategy::Push, State::WarmLocal),
    ];
    // Dies after the 3rd run (round 2), is revived once.
    let mut exec = FakeExecutor::new(0, 3).engine_dies_after(3);
    let (_tx, rx) = no_signal();
    let o = drive(&mut exec, &cells, d.path(), &Done::new(), &rx).await;
    assert_eq!(exec.revives, 1);
    assert!(o.records.iter().all(|r| r.status == RunStatus::Ok));
    let plans: Vec<Prep> = exec.plans.iter().map(|p| p.prep.clone()).collect();
    // Round 1 warms both; run 3 chains; the restart after it makes the next run
    // of each cell warm again.
    assert_eq!(plans[..3], [Prep::Warm, Prep::Warm, Prep::Chained]);
    let after: HashSet<String> = exec.runs[3..]
        .iter()
        .zip(&plans[3..])
        .filter(|(_, p)| **p == Prep::Warm)
        .map(|(r, _)| r.0.clone())
        .collect();
    assert_eq!(
        after.len(),
        2,
        "each chain warms again once after the restart"
    );
    assert_eq!(plans.iter().filter(|p| **p == Prep::Warm).count(), 4);
}

#[tokio::test]
async fn with_chains_off_every_warm_run_warms_with_a_build_of_its_own() {
    let d = tempfile::tempdir().unwrap();
    let a = warm(Strategy::Buildkit, State::WarmLocal);
    let mut exec = FakeExecutor::new(0, 3);
    let mut writer = crate::records::results_writer::RecordWriter::open(d.path()).unwrap();
    let (_tx, rx) = no_signal();
    let schedule = crate::run::scheduler::Schedule {
        seed: 1,
        auto: None,
        chains: false,
    };
    let o = crate::run::scheduler::run_matrix(
        &mut exec,
        std::slice::from_ref(&a),
        &mut writer,
        &Done::new(),
        &rx,
        &schedule,
    )
    .await
    .unwrap();
    assert!(exec.preps_of(&a).iter().all(|p| p.2 == Prep::Warm));
    assert!(o.records.iter().all(|r| r.warmed_by == "prepare"));
}

// The chain itself, without the loop.

fn chain_rec(rep: u32, status: RunStatus, check: &str) -> RunRecord {
    let cell = crate::plan::cells::Cell {
        strategy: Strategy::Buildkit,
        builder: BuilderKind::Docker,
        state: State::WarmLocal,
        change: Change::Source,
        image_store: ImageStore::Containerd,
        skip: None,
        stands_for: vec![],
        link: "none".into(),
    };
    let mut r = RunRecord::blank("s", "w", &cell, rep, RunKind::Measured, status, "");
    r.state_check = check.into();
    r
}

#[test]
fn a_chain_warms_once_chains_and_rewarms_after_a_break() {
    let mut c = Chain::default();
    assert_eq!(c.next(State::WarmLocal), (Prep::Warm, "prepare".into()));
    c.after(&chain_rec(1, RunStatus::Ok, "ok"), true);
    assert_eq!(
        c.next(State::WarmRemote),
        (Prep::Chained, "measured 1".into())
    );
    c.after(&chain_rec(2, RunStatus::Failed, ""), true);
    assert_eq!(c.next(State::WarmLocal).0, Prep::Warm);
    c.after(
        &chain_rec(3, RunStatus::Ok, "expected 2 cached steps"),
        true,
    );
    assert_eq!(
        c.next(State::WarmLocal).0,
        Prep::Warm,
        "a failed check breaks it"
    );
    c.after(&chain_rec(4, RunStatus::Ok, "ok"), true);
    c.after(&chain_rec(5, RunStatus::Skipped, ""), false);
    assert_eq!(
        c.next(State::WarmLocal),
        (Prep::Chained, "measured 4".into())
    );
    assert_eq!(c.next(State::Cold), (Prep::Fresh, String::new()));
}
