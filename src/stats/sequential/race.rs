//! The race a set of cells runs under `--reps auto`: a cell the stop rule shows
//! slower than the leader stops running, and the runs it leaves unspent go to the
//! cells still in question, within the same budget: `max_reps` runs per cell, so
//! `k · max_reps` for a set of `k` cells, and never more than
//! [`StopRule::round_cap`] rounds. Racing is how configurations are compared on a
//! budget (F-Race, Birattari et al. 2002): the losers drop out as soon as a test
//! shows them worse, and the runs go where the answer is still open. A state whose
//! leaders are close gets more rounds of them, for the time the clear losers no
//! longer take: the worst case is `k · max_reps` builds, as before, and each is a
//! build of a cell no slower than one that left.
//!
//! The error control stays as the rule states it: every test is planned over its
//! looks up to the round cap (the Pocock level for `cap − min_reps + 1` looks), and
//! a cell leaves only when its "slower" test has crossed that bound, where a
//! sequential test stops anyway. Its runs stay in every later look; should the
//! leader change and the cell no longer read as slower, the set stays open (it
//! never runs again). `race` is recorded with the rule: records stopped before it
//! existed are read without one.
//!
//! [`Race`] is the one state machine the run stage (`run::adaptive_reps`) and
//! `replay` both follow, so a replay of a run's records stops where the run did.

use crate::stats::sequential::StopRule;
use crate::stats::verdict::Verdict;

/// What the rule reads at one look: the verdict, and the cells it shows slower
/// than the leader (indices into the samples), which leave a race.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub verdict: Verdict<usize>,
    pub slower: Vec<usize>,
}

impl Reading {
    /// A verdict that classifies no cell.
    pub fn only(verdict: Verdict<usize>) -> Reading {
        Reading {
            verdict,
            slower: vec![],
        }
    }
}

impl StopRule {
    /// The most rounds a set of `k` cells can run: `max_reps` without a race or
    /// with two cells; in a race of more, the rounds the leader and one contender
    /// reach when every other cell leaves at `min_reps`:
    /// `min_reps + k · (max_reps − min_reps) / 2` (17 for 4 cells, 3 to 10 runs).
    pub fn round_cap(&self, k: usize) -> u32 {
        let (min, max) = (self.effective_min(), self.max_reps);
        if !self.race || k <= 2 || max <= min {
            return max;
        }
        min + (k as u32 * (max - min)) / 2
    }

    /// The runs a set of `k` cells may spend: `k · max_reps`.
    pub fn budget(&self, k: usize) -> u32 {
        k as u32 * self.max_reps
    }
}

/// One set of cells in its race: which still run, and the runs spent.
#[derive(Debug, Clone, PartialEq)]
pub struct Race {
    left: Vec<Option<u32>>,
    runs: u32,
}

impl Race {
    /// `k` cells, all running.
    pub fn new(k: usize) -> Race {
        Race {
            left: vec![None; k],
            runs: 0,
        }
    }

    /// Whether cell `i` still runs.
    pub fn running(&self, i: usize) -> bool {
        self.left.get(i).is_some_and(Option::is_none)
    }

    /// The round cell `i` left the race after, if it did.
    pub fn left_after(&self, i: usize) -> Option<u32> {
        self.left.get(i).copied().flatten()
    }

    /// Counts one measured run of the set, whatever its end (a failed run spends
    /// the budget too).
    pub fn count_run(&mut self) {
        self.runs += 1;
    }

    /// Whether the set has no round left after round `round`: the round cap is
    /// reached, or the budget cannot pay one more round of the cells running.
    pub fn spent(&self, rule: &StopRule, round: u32) -> bool {
        let k = self.left.len();
        let running = self.left.iter().filter(|l| l.is_none()).count() as u32;
        round >= rule.round_cap(k) || rule.budget(k).saturating_sub(self.runs) < running.max(1)
    }

    /// After round `round` of an open set: the cells `reading` shows slower leave
    /// (in a race; the leader and at least one other cell always stay).
    pub fn after_round(&mut self, rule: &StopRule, round: u32, reading: &Reading) {
        if !rule.race {
            return;
        }
        for &i in &reading.slower {
            let staying = self.left.iter().filter(|l| l.is_none()).count();
            if staying > 2 && self.running(i) {
                self.left[i] = Some(round);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(race: bool) -> StopRule {
        StopRule {
            race,
            ..StopRule::default()
        }
    }

    #[test]
    fn the_round_cap_is_what_two_cells_reach_when_the_others_leave_at_min_reps() {
        let r = rule(true);
        assert_eq!(r.round_cap(2), 10);
        assert_eq!(r.round_cap(3), 13, "3 + 3·7/2");
        assert_eq!(r.round_cap(4), 17, "3 + 4·7/2: 12 + 2·14 = 40 runs");
        assert_eq!(rule(false).round_cap(4), 10, "no race: max_reps");
        assert_eq!(r.single_look().round_cap(4), 2, "one look stays one look");
    }

    #[test]
    fn a_slower_cell_leaves_and_the_budget_pays_the_others_rounds() {
        let r = rule(true);
        let mut race = Race::new(4);
        for _ in 0..12 {
            race.count_run();
        }
        assert!(!race.spent(&r, 3));
        race.after_round(
            &r,
            3,
            &Reading {
                verdict: Verdict::NoData,
                slower: vec![3, 2],
            },
        );
        assert!(!race.running(3) && !race.running(2));
        assert_eq!(race.left_after(3), Some(3));
        // 28 runs left, 2 running: 14 more rounds, to the cap of 17.
        for round in 4..=17 {
            assert!(!race.spent(&r, round - 1), "round {round}");
            race.count_run();
            race.count_run();
        }
        assert!(race.spent(&r, 17));
    }

    #[test]
    fn without_a_race_the_set_stops_at_max_reps_and_no_cell_leaves() {
        let r = rule(false);
        let mut race = Race::new(3);
        let slower = Reading {
            verdict: Verdict::NoData,
            slower: vec![2],
        };
        for round in 1..=10 {
            (0..3).for_each(|_| race.count_run());
            race.after_round(&r, round, &slower);
            assert_eq!(race.spent(&r, round), round == 10, "round {round}");
        }
        assert!(race.running(2));
    }

    #[test]
    fn the_leader_and_one_contender_always_stay() {
        let r = rule(true);
        let mut race = Race::new(3);
        race.after_round(
            &r,
            3,
            &Reading {
                verdict: Verdict::NoData,
                slower: vec![1, 2],
            },
        );
        assert_eq!((race.running(1), race.running(2)), (false, true));
    }
}
