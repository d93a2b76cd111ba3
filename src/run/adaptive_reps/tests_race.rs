//! The race under `--reps auto`, driven through the fake executor with the real
//! sequential rule: a cell shown slower leaves, the others run past `max_reps` on
//! its budget, `stopping.json` says who left after which round, and a set whose
//! budget is spent says so.

use super::tests::{auto, drive_auto, scripted, strict};
use crate::config::matrix::Strategy;
use crate::plan::cells::Cell;
use crate::records::record::RunKind;
use crate::records::stopping::LeftRace;
use crate::run::executor::fake::{cell, FakeExecutor, Step};
use crate::run::scheduler::Schedule;
use crate::stats::sequential::StopRule;
use crate::stats::verdict::Verdict;

#[tokio::test]
async fn in_a_race_a_slower_cell_leaves_and_the_leaders_get_its_runs() {
    // a leads b by ~4% with some spread: shown at round 6, past max_reps 5; c takes
    // twice as long and is shown slower at round 3. In a race c leaves and a, b run
    // rounds 4 to 6 on its budget (3 cells × 5 = 15 runs, round cap 6); without one
    // all three stop unsettled at round 5.
    let (a, b, c) = (
        cell(Strategy::Buildkit),
        cell(Strategy::Push),
        cell(Strategy::Legacy),
    );
    let spread = [-1.1, 0.4, 0.9, -0.2, 1.3, -0.7];
    let exec = || {
        let mut e = FakeExecutor::new(0, 99).wall_of(&a, 1000).wall_of(&c, 2000);
        for (rep, z) in (1..=6).zip(spread) {
            let ms = (1000.0 * (0.04_f64 + 0.03 * z).exp()).round() as u64;
            e = e.step(&b, rep, RunKind::Measured, Step::ok(ms));
        }
        e
    };
    let cells = [a.clone(), b.clone(), c.clone()];
    let raced = Schedule {
        seed: 3,
        chains: true,
        auto: Some(crate::run::adaptive_reps::sequential(strict(3, 5))),
    };
    let o = drive_auto(&mut exec(), &cells, &raced).await;
    let s = &o.stopping[0];
    assert_eq!((s.reason.as_str(), s.rounds), ("winner", 6), "{s:#?}");
    assert_eq!(s.winner.as_deref(), Some("buildkit/docker/cold/none"));
    assert_eq!((s.builds, s.fixed_builds), (15, 15), "{s:#?}");
    assert_eq!(
        s.left_race,
        vec![LeftRace {
            cell: "legacy/docker/cold/none".into(),
            after_round: 3
        }]
    );
    let runs_of = |cell: &Cell| o.records.iter().filter(|r| r.cell() == cell.key()).count();
    assert_eq!((runs_of(&a), runs_of(&b), runs_of(&c)), (6, 6, 3));
    let unraced = Schedule {
        auto: Some(crate::run::adaptive_reps::sequential(StopRule {
            race: false,
            ..strict(3, 5)
        })),
        ..raced
    };
    let o = drive_auto(&mut exec(), &cells, &unraced).await;
    let s = &o.stopping[0];
    assert_eq!(
        (s.reason.as_str(), s.rounds, s.builds),
        ("max_reps", 5, 15),
        "{s:#?}"
    );
    assert!(s.left_race.is_empty());
}

#[tokio::test]
async fn a_set_whose_budget_is_spent_stops_on_it_even_when_its_last_look_is_futile() {
    // The last look of the budget may find more runs futile (a cell short of a
    // sample, say): the set stopped because it had no run left, and says so.
    let judge = scripted(|_| Verdict::Leaning {
        option: 0,
        runner_up: 1,
        more_runs: Some(7),
        futile: true,
    });
    let (a, b) = (cell(Strategy::Buildkit), cell(Strategy::Push));
    let mut exec = FakeExecutor::new(0, 99).wall_of(&a, 1000).wall_of(&b, 1100);
    let o = drive_auto(&mut exec, &[a, b], &auto(3, 3, judge)).await;
    let s = &o.stopping[0];
    assert_eq!((s.reason.as_str(), s.rounds), ("max_reps", 3), "{s:#?}");
    assert_eq!(s.more_runs, Some(7));
}
