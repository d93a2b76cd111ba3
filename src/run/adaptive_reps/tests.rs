//! `--reps auto` driven through [`crate::run::executor::fake::FakeExecutor`], without Docker: a
//! state stops as soon as its verdict is settled, runs to `max_reps` when it never
//! is, counts only runs that proved their state, and says why it stopped. The loop
//! is tested with scripted rules (what a rule answers is given, so the loop's
//! reaction is what is checked) and with the real sequential rule.

use crate::config::matrix::Strategy;
use crate::plan::cells::Cell;
use crate::records::record::{RunKind, RunStatus};
use crate::records::results_writer::RecordWriter;
use crate::records::resume::Done;
use crate::records::stopping::Stopping;
use crate::run::adaptive_reps::{AutoReps, Judge};
use crate::run::executor::fake::{cell, no_signal, FakeExecutor, Step};
use crate::run::scheduler::{run_matrix, MatrixOutcome, Schedule};
use crate::stats::sequential::race::Reading;
use crate::stats::sequential::StopRule;
use crate::stats::two_cells::RunTime;
use crate::stats::verdict::Verdict;
use std::sync::Arc;

pub(super) fn auto(min_reps: u32, max_reps: u32, judge: Judge) -> Schedule {
    Schedule {
        seed: 11,
        chains: true,
        auto: Some(AutoReps {
            rule: StopRule {
                min_reps,
                max_reps,
                ..StopRule::default()
            },
            judge,
        }),
    }
}

/// A scripted judge: its verdicts, and no cell ever shown slower (no cell leaves
/// the race; the race's own tests drive the real rule).
pub(super) fn scripted(
    f: impl Fn(&[Vec<RunTime>]) -> Verdict<usize> + Send + Sync + 'static,
) -> Judge {
    Arc::new(move |s: &[Vec<RunTime>]| Reading::only(f(s)))
}

/// What a scripted judge answers while open: leaning to `option`.
fn leaning(option: usize, more_runs: Option<u32>) -> Verdict<usize> {
    Verdict::Leaning {
        option,
        runner_up: 1 - option.min(1),
        more_runs,
        futile: false,
    }
}

/// The rule the sequential tests were written for: ±3%, no floor.
pub(super) fn strict(min_reps: u32, max_reps: u32) -> StopRule {
    StopRule {
        margin: 0.03,
        margin_floor_s: 0.0,
        min_reps,
        max_reps,
        ..StopRule::default()
    }
}

pub(super) async fn drive_auto(
    exec: &mut FakeExecutor,
    cells: &[Cell],
    s: &Schedule,
) -> MatrixOutcome {
    let d = tempfile::tempdir().unwrap();
    let (_tx, rx) = no_signal();
    drive_auto_in(exec, cells, s, d.path(), &Done::new(), &rx).await
}

/// One pass into `out`, skipping the runs in `done` (what `--resume` gives it).
async fn drive_auto_in(
    exec: &mut FakeExecutor,
    cells: &[Cell],
    s: &Schedule,
    out: &std::path::Path,
    done: &Done,
    rx: &tokio::sync::watch::Receiver<Option<i32>>,
) -> MatrixOutcome {
    let mut writer = RecordWriter::open(out).unwrap();
    run_matrix(exec, cells, &mut writer, done, rx, s)
        .await
        .unwrap()
}

/// The same auto matrix run through once, and interrupted at its `n`th run then
/// resumed from what OUT holds (as `cachebench run --resume` does): the stopping of
/// each, and the second pass's executor.
async fn uninterrupted_and_resumed(
    cells: &[Cell],
    s: &Schedule,
    exec: impl Fn() -> FakeExecutor,
    n: usize,
) -> (Vec<Stopping>, Vec<Stopping>, FakeExecutor) {
    let whole = drive_auto(&mut exec(), cells, s).await.stopping;
    let d = tempfile::tempdir().unwrap();
    let (tx, rx) = no_signal();
    let mut first = exec().interrupt_at(n, libc::SIGINT, tx);
    let o = drive_auto_in(&mut first, cells, s, d.path(), &Done::new(), &rx).await;
    assert_eq!(o.interrupted_by, Some(libc::SIGINT));
    assert_eq!(o.stopping[0].reason, "interrupted", "{:#?}", o.stopping);
    let done: Done = crate::records::results_writer::read_runs(d.path())
        .unwrap()
        .0
        .into_iter()
        .filter(|r| r.status != RunStatus::Interrupted)
        .map(|r| ((r.cell().to_string(), r.rep, r.kind), r))
        .collect();
    let (_tx, rx) = no_signal();
    let mut second = exec();
    let o = drive_auto_in(&mut second, cells, s, d.path(), &done, &rx).await;
    (whole, o.stopping, second)
}

fn measured_of(o: &MatrixOutcome, strategy: &str) -> usize {
    o.records
        .iter()
        .filter(|r| r.strategy == strategy && r.kind == RunKind::Measured)
        .count()
}

#[tokio::test]
async fn a_state_stops_as_soon_as_the_rule_settles_it() {
    let (a, b) = (cell(Strategy::Buildkit), cell(Strategy::Push));
    // Settled once each cell has 4 samples: b wins.
    let rule = scripted(|s: &[Vec<RunTime>]| {
        if s.iter().all(|v| v.len() >= 4) {
            Verdict::Winner {
                option: 1,
                runner_up: 0,
            }
        } else {
            leaning(1, Some(1))
        }
    });
    let mut exec = FakeExecutor::new(0, 99);
    let o = drive_auto(&mut exec, &[a, b], &auto(3, 10, rule)).await;
    assert_eq!(
        (measured_of(&o, "buildkit"), measured_of(&o, "push")),
        (4, 4)
    );
    let s = &o.stopping[..];
    assert_eq!(s.len(), 1, "{s:#?}");
    assert_eq!(s[0].reason, "winner");
    assert_eq!(s[0].winner.as_deref(), Some("push/docker/cold/none"));
    assert_eq!((s[0].rounds, s[0].builds, s[0].fixed_builds), (4, 8, 20));
}

#[tokio::test]
async fn a_state_never_settled_runs_to_max_reps_and_says_where_it_leaned() {
    let (a, b) = (cell(Strategy::Buildkit), cell(Strategy::Push));
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = asked.clone();
    let rule = scripted(move |s: &[Vec<RunTime>]| {
        seen.lock().unwrap().push(s[0].len());
        leaning(0, Some(7))
    });
    let mut exec = FakeExecutor::new(1, 99);
    let o = drive_auto(&mut exec, &[a, b], &auto(3, 6, rule)).await;
    assert_eq!(measured_of(&o, "buildkit"), 6);
    assert_eq!(
        *asked.lock().unwrap(),
        [3, 4, 5, 6],
        "asked from min_reps on"
    );
    let s = &o.stopping[0];
    assert_eq!(s.reason, "max_reps");
    assert_eq!(s.leaning.as_deref(), Some("buildkit/docker/cold/none"));
    assert_eq!(s.more_runs, Some(7));
}

#[tokio::test]
async fn a_futile_state_stops_unsettled_before_max_reps_and_says_where_it_leaned() {
    let (a, b) = (cell(Strategy::Buildkit), cell(Strategy::Push));
    let rule = scripted(|s: &[Vec<RunTime>]| {
        if s.iter().all(|v| v.len() >= 4) {
            Verdict::Leaning {
                option: 1,
                runner_up: 0,
                more_runs: Some(40),
                futile: true,
            }
        } else {
            leaning(1, Some(40))
        }
    });
    let mut exec = FakeExecutor::new(0, 99);
    let o = drive_auto(&mut exec, &[a, b], &auto(3, 10, rule)).await;
    assert_eq!(measured_of(&o, "push"), 4);
    let s = &o.stopping[0];
    assert_eq!(s.reason, "futile");
    assert_eq!(s.winner, None);
    assert_eq!(s.leaning.as_deref(), Some("push/docker/cold/none"));
    assert_eq!((s.more_runs, s.builds, s.fixed_builds), (Some(40), 8, 20));
}

#[tokio::test]
async fn a_failed_run_is_not_a_sample_and_the_rule_sees_only_proven_runs() {
    let (a, b) = (cell(Strategy::Buildkit), cell(Strategy::Push));
    let mut exec = FakeExecutor::new(0, 99)
        .step(
            &a,
            2,
            RunKind::Measured,
            Step::failed("build exited with code 1: x", 9),
        )
        .step(
            &b,
            3,
            RunKind::Measured,
            Step::state_failed("3 of 5 steps cached", 9),
        );
    let rule = scripted(|s: &[Vec<RunTime>]| {
        if s.iter().all(|v| v.len() >= 3) {
            Verdict::Tie {
                options: vec![0, 1],
            }
        } else {
            Verdict::NoData
        }
    });
    let o = drive_auto(&mut exec, &[a, b], &auto(3, 10, rule)).await;
    // Each cell lost one sample: 3 proven samples need 4 rounds.
    assert_eq!(o.stopping[0].reason, "tie");
    assert_eq!(
        o.stopping[0].tied,
        ["buildkit/docker/cold/none", "push/docker/cold/none"]
    );
    assert_eq!(o.stopping[0].rounds, 4);
    assert_eq!(o.stopping[0].builds, 8, "failed runs are builds too");
    assert!(o
        .records
        .iter()
        .any(|r| r.status == RunStatus::Failed && r.strategy == "buildkit"));
}

#[tokio::test]
async fn a_disturbed_run_is_a_build_but_not_a_sample_and_the_rounds_go_on() {
    let (a, b) = (cell(Strategy::Buildkit), cell(Strategy::Push));
    let mut exec = FakeExecutor::new(0, 99)
        .step(&a, 2, RunKind::Measured, Step::stolen(0.35, 9))
        .step(&b, 1, RunKind::Measured, Step::stolen(0.08, 9));
    let seen = scripted(|s: &[Vec<RunTime>]| {
        if s.iter().all(|v| v.len() >= 3) {
            Verdict::Winner {
                option: 0,
                runner_up: 1,
            }
        } else {
            Verdict::NoData
        }
    });
    let o = drive_auto(&mut exec, &[a, b], &auto(3, 10, seen)).await;
    // The 35% run is not a sample, so buildkit needs a fourth round; the 8% run is.
    assert_eq!(
        (o.stopping[0].reason.as_str(), o.stopping[0].rounds),
        ("winner", 4)
    );
    assert_eq!(o.stopping[0].builds, 8, "a disturbed run is a build");
    let disturbed: Vec<_> = o.records.iter().filter(|r| r.disturbed).collect();
    assert_eq!(disturbed.len(), 1);
    assert_eq!(
        (disturbed[0].strategy.as_str(), disturbed[0].rep),
        ("buildkit", 2)
    );
}

#[tokio::test]
async fn the_sequential_rule_settles_a_clear_winner_and_a_tie_early() {
    let settings = strict(3, 10);
    let schedule = Schedule {
        seed: 3,
        chains: true,
        auto: Some(crate::run::adaptive_reps::sequential(settings.clone())),
    };
    let (a, b, c) = (
        cell(Strategy::Buildkit),
        cell(Strategy::Push),
        cell(Strategy::Legacy),
    );
    // a is 40% faster than b and c, every run alike.
    let mut exec = FakeExecutor::new(0, 99)
        .wall_of(&a, 1000)
        .wall_of(&b, 1400)
        .wall_of(&c, 1400);
    let o = drive_auto(&mut exec, &[a, b, c], &schedule).await;
    let s = &o.stopping[0];
    assert_eq!(s.reason, "winner", "{s:#?}");
    assert_eq!(s.winner.as_deref(), Some("buildkit/docker/cold/none"));
    assert!(s.builds < s.fixed_builds / 2, "{s:#?}");
    // Two cells alike but for ±1% noise: a tie, long before max_reps.
    let (a, b) = (cell(Strategy::Buildkit), cell(Strategy::Push));
    let mut exec = FakeExecutor::new(0, 99);
    let noise = [1000, 1010, 990, 1005, 995, 1000, 1008, 992, 1003, 997];
    for (rep, ms) in (1..=10).zip(noise) {
        exec = exec.step(&a, rep, RunKind::Measured, Step::ok(ms)).step(
            &b,
            rep,
            RunKind::Measured,
            Step::ok(2000 - ms),
        );
    }
    let o = drive_auto(&mut exec, &[a, b], &schedule).await;
    assert_eq!(o.stopping[0].reason, "tie", "{:#?}", o.stopping);
    assert!(o.stopping[0].rounds < 10);
}

#[tokio::test]
async fn the_sequential_rule_at_max_reps_says_where_the_open_state_leaned() {
    // One look (min = max = 3), no futility: the state stays open, and the stopping
    // carries the leaning and runs estimate the rule's verdict gives for the samples.
    let settings = strict(3, 3);
    let schedule = Schedule {
        seed: 5,
        chains: true,
        auto: Some(crate::run::adaptive_reps::sequential(settings.clone())),
    };
    let (a, b) = (cell(Strategy::Buildkit), cell(Strategy::Push));
    let (wa, wb) = ([1000, 1100, 950], [1020, 980, 1090]);
    let mut exec = FakeExecutor::new(0, 99);
    for rep in 1..=3 {
        let at = rep as usize - 1;
        exec = exec
            .step(&a, rep, RunKind::Measured, Step::ok(wa[at]))
            .step(&b, rep, RunKind::Measured, Step::ok(wb[at]));
    }
    let o = drive_auto(&mut exec, &[a.clone(), b.clone()], &schedule).await;
    // The rounds the runs ran in pair them, as the loop judged them.
    let round_of = |cell: &Cell, rep: u32| {
        o.records
            .iter()
            .find(|r| r.cell() == cell.key() && r.rep == rep && r.kind == RunKind::Measured)
            .and_then(|r| r.round)
            .map(u64::from)
    };
    let times = |c: &Cell, w: [u64; 3]| {
        (1..=3)
            .map(|rep| RunTime {
                block: round_of(c, rep),
                seconds: w[rep as usize - 1] as f64 / 1000.0,
            })
            .collect::<Vec<_>>()
    };
    let Verdict::Leaning {
        option, more_runs, ..
    } = settings.judge(&[times(&a, wa), times(&b, wb)])
    else {
        panic!("the data were chosen to stay open");
    };
    let keys = [a.key().to_string(), b.key().to_string()];
    let s = &o.stopping[0];
    assert_eq!(s.reason, "max_reps", "{s:#?}");
    assert_eq!(s.leaning, Some(keys[option].clone()), "{s:#?}");
    assert!(s.leaning.is_some(), "{s:#?}");
    assert_eq!(s.more_runs, more_runs);
}

#[tokio::test]
async fn a_resumed_state_counts_the_runs_out_holds_and_stops_where_it_would_have() {
    let (a, b) = (cell(Strategy::Buildkit), cell(Strategy::Push));
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = asked.clone();
    // Settled once each cell has 4 samples: b wins.
    let rule = scripted(move |s: &[Vec<RunTime>]| {
        seen.lock()
            .unwrap()
            .push(s.iter().map(Vec::len).collect::<Vec<_>>());
        if s.iter().all(|v| v.len() >= 4) {
            Verdict::Winner {
                option: 1,
                runner_up: 0,
            }
        } else {
            leaning(1, Some(1))
        }
    });
    // Interrupted during the 5th run: rounds 1 and 2 are on disk.
    let (whole, resumed, second) =
        uninterrupted_and_resumed(&[a, b], &auto(3, 10, rule), || FakeExecutor::new(0, 99), 5)
            .await;
    assert_eq!((whole[0].rounds, whole[0].builds), (4, 8), "{whole:#?}");
    assert_eq!(resumed, whole);
    assert_eq!(
        second.runs.len(),
        4,
        "rounds 3 and 4 only: {:?}",
        second.runs
    );
    // The last three looks: the whole pass at rounds 3 and 4, then the resumed pass
    // at round 3, which sees the two rounds on disk too, and at round 4.
    let asked = asked.lock().unwrap();
    assert_eq!(asked[asked.len() - 2..], [vec![3, 3], vec![4, 4]]);
}

#[tokio::test]
async fn the_sequential_rule_resumed_stops_where_the_uninterrupted_run_did() {
    let settings = strict(3, 10);
    let schedule = Schedule {
        seed: 3,
        chains: true,
        auto: Some(crate::run::adaptive_reps::sequential(settings.clone())),
    };
    // Two cells alike but for ±1% noise: a tie after some rounds.
    let (a, b) = (cell(Strategy::Buildkit), cell(Strategy::Push));
    let noise = [1000, 1010, 990, 1005, 995, 1000, 1008, 992, 1003, 997];
    let exec = || {
        let mut exec = FakeExecutor::new(0, 99);
        for (rep, ms) in (1..=10).zip(noise) {
            exec = exec.step(&a, rep, RunKind::Measured, Step::ok(ms)).step(
                &b,
                rep,
                RunKind::Measured,
                Step::ok(2000 - ms),
            );
        }
        exec
    };
    let cells = [a.clone(), b.clone()];
    // Interrupted in rounds 2, 3 (either cell) and 4.
    for n in [3, 5, 6, 7] {
        let (whole, resumed, _) = uninterrupted_and_resumed(&cells, &schedule, exec, n).await;
        assert_eq!(whole[0].reason, "tie", "{whole:#?}");
        assert!(whole[0].rounds > settings.min_reps, "{whole:#?}");
        assert_eq!(resumed, whole, "interrupted at run {n}");
    }
}
