//! cachebench's own registry dying mid-matrix, through the fake: the run it died
//! in names it, it is restarted once, and when it dies again (or cannot be
//! restarted) the rest fail fast naming it, with its log kept in OUT.

use crate::config::matrix::Strategy;
use crate::error::exit;
use crate::records::record::RunStatus;
use crate::records::resume::Done;
use crate::run::executor::fake::{cell, drive, no_signal, FakeExecutor, REGISTRY_REFUSED};
use crate::run::scheduler::ENGINE_GONE;

const NAMED: &str = "cachebench's own registry (127.0.0.1:40123, log /out/logs/registry.log)";

#[tokio::test]
async fn a_registry_that_dies_once_is_restarted_and_the_matrix_goes_on() {
    let d = tempfile::tempdir().unwrap();
    let mut exec = FakeExecutor::new(0, 3).registry_dies_during(2);
    let (_tx, rx) = no_signal();
    let cells = [cell(Strategy::Push), cell(Strategy::RegistryCache)];
    let o = drive(&mut exec, &cells, d.path(), &Done::new(), &rx).await;
    assert_eq!(exec.registry_revives, 1);
    assert_eq!(exec.revives, 0, "the engine was fine");
    assert_eq!(exec.runs.len(), 6, "every run is run");
    let failed: Vec<_> = o
        .records
        .iter()
        .filter(|r| r.status != RunStatus::Ok)
        .collect();
    assert_eq!(failed.len(), 1, "only the run it died in: {failed:#?}");
    assert_eq!(
        failed[0].reason,
        format!("{REGISTRY_REFUSED}; {NAMED} was not answering when the run ended")
    );
    assert_eq!(exec.logs_kept, 1, "its log is kept in OUT when it dies");
    assert_eq!(o.engine_dead, None);
    assert_eq!(o.exit_code(), exit::RUNS_FAILED);
}

#[tokio::test]
async fn a_registry_that_dies_again_fails_the_rest_fast_naming_it() {
    let d = tempfile::tempdir().unwrap();
    let mut exec = FakeExecutor::new(0, 4)
        .registry_dies_during(1)
        .registry_dies_during(3);
    let (_tx, rx) = no_signal();
    let cells = [cell(Strategy::Push), cell(Strategy::RegistryCache)];
    let o = drive(&mut exec, &cells, d.path(), &Done::new(), &rx).await;
    assert_eq!(exec.registry_revives, 1, "restarted once only");
    assert_eq!(exec.runs.len(), 3, "nothing runs after the second death");
    assert_eq!(o.records.len(), 8);
    let cause = o
        .engine_dead
        .clone()
        .expect("the registry is recorded gone");
    assert!(
        cause.starts_with(&format!("{NAMED} stopped answering during "))
            && cause.contains("again after cachebench restarted it once"),
        "{cause}"
    );
    for r in &o.records[3..] {
        assert_eq!(r.status, RunStatus::Failed);
        assert_eq!(r.reason, format!("{ENGINE_GONE}{cause}"));
        assert!(r.wall_ms.is_none(), "failed fast, not run: {r:#?}");
    }
    assert_eq!(exec.logs_kept, 2);
    assert_eq!(o.exit_code(), exit::INTERNAL);
}

#[tokio::test]
async fn a_registry_that_cannot_be_restarted_fails_the_rest_fast() {
    let d = tempfile::tempdir().unwrap();
    let mut exec = FakeExecutor::new(0, 3)
        .registry_dies_during(2)
        .registry_revive_fails("registry did not answer on 127.0.0.1:40123 within 15s");
    let (_tx, rx) = no_signal();
    let o = drive(
        &mut exec,
        &[cell(Strategy::Push)],
        d.path(),
        &Done::new(),
        &rx,
    )
    .await;
    assert_eq!((exec.registry_revives, exec.runs.len()), (1, 2));
    let last = o.records.last().unwrap();
    assert_eq!(last.status, RunStatus::Failed);
    assert!(
        last.reason
            .starts_with(&format!("{ENGINE_GONE}{NAMED} stopped answering"))
            && last
                .reason
                .contains("could not be restarted: registry did not answer on 127.0.0.1:40123"),
        "{}",
        last.reason
    );
    assert_eq!(o.exit_code(), exit::INTERNAL);
}

/// The engine and the registry die in the same run (an OOM kill takes both):
/// both are restarted, and the matrix goes on.
#[tokio::test]
async fn engine_and_registry_dying_together_are_both_restarted() {
    let d = tempfile::tempdir().unwrap();
    let mut exec = FakeExecutor::new(0, 2)
        .engine_dies_after(1)
        .registry_dies_during(1);
    let (_tx, rx) = no_signal();
    let o = drive(
        &mut exec,
        &[cell(Strategy::Push), cell(Strategy::Buildkit)],
        d.path(),
        &Done::new(),
        &rx,
    )
    .await;
    assert_eq!((exec.revives, exec.registry_revives), (1, 1));
    assert_eq!(exec.runs.len(), 4);
    assert_eq!(
        o.records
            .iter()
            .filter(|r| r.status == RunStatus::Ok)
            .count(),
        3
    );
    assert_eq!(o.engine_dead, None);
}
