//! The stop rule: after every round it compares the cells of one group with the
//! fastest one and gives a [`Verdict`]: a winner, a tie of the leader's group, or
//! leaning (with about how many more runs would settle it, and whether more runs
//! within the budget would very likely not: futile), and the cells it shows slower,
//! which leave the race. `--reps auto` stops on it; the
//! report reads every group, the Decision and `replay` with it. Pure: it sees wall
//! seconds and the round each run ran in, nothing else.
//!
//! Method (quoted by the report's Methods section, see [`METHOD`]): **a leader-group
//! verdict from t-tests on log wall times, paired by round where the cells share
//! rounds (else Welch's), with a Pocock boundary over looks and Bonferroni over
//! cells, a practical equivalence margin and a non-binding conditional-power futility
//! stop**.
//! - Each comparison is on `ln(seconds)`, so differences are ratios and the skew of
//!   run times is tamed. Two cells that ran in the same rounds are compared on their
//!   per-round differences (paired t, `n − 1` degrees of freedom): a round runs each
//!   cell of a group once in shuffled order, a randomized block design, and what
//!   slows a whole round cancels. Otherwise (no shared rounds, e.g. a cold cell
//!   against a warm-remote one) Welch's t ([`crate::stats::two_cells`]).
//! - The **leader** is the cell with the lowest median time (the report's tables
//!   order cells by median; then by mean log time). Every other cell is
//!   classified against it: **slower** (a one-sided test shows the leader faster) or
//!   **equivalent** (two one-sided tests, TOST (Schuirmann 1987), put the ratio within
//!   `[1/(1+m), 1+m]`). The state is settled when every cell is classified: a
//!   **Winner** when none is equivalent, else a **Tie** of the leader's group. A cell
//!   both slower and equivalent (slower by less than the margin) counts as
//!   equivalent: the difference is below what matters.
//! - **The margin is practical**: `m` is the larger of the relative margin (5% by
//!   default) and the absolute floor (0.25 s per build by default) as a fraction of
//!   the leader's typical time. No team cares about 33 ms on a 1.1 s build, and a
//!   ±3% margin cannot be shown within 10 runs at this machine's 6–14% run-to-run
//!   variation.
//! - **The race** ([`race`]): a cell shown slower leaves, and the runs it leaves
//!   unspent go to the cells still in question, within the set's budget of
//!   `k · max_reps` runs; the leaders of `k` cells may so run up to the round cap
//!   `min_reps + k·(max_reps − min_reps)/2` (10 for two cells, 13 for three, 17 for
//!   four at 3 to 10 runs). Records of runs stopped before the race are read
//!   without one (`race: false` in their rule).
//! - Error control: the rule is checked after every round from `min_reps` to the
//!   round cap, `L = cap − min_reps + 1` looks, and with `k` cells every
//!   test is given the error α/k over all its looks, `α = 1 − confidence`. Each
//!   look runs the test at the nominal level of a Pocock boundary
//!   (`sequential/boundary.rs`): the constant level at which a statistic that
//!   grows like a random walk (a mean over 3, 4, …, 10 runs) crosses its bound at
//!   *some* look with probability α/k. The looks are nested, so that level is about
//!   twice Bonferroni's α/(k·L) (0.0035 against 0.0016 for 4 cells and 8 looks).
//!   A cell that left stopped where its "slower" test crossed the bound, as a
//!   sequential test stops; its runs stay in every later look.
//!   A Winner needs all its `k − 1` slower tests to pass (intersection-union,
//!   Berger 1982): a false one has probability ≤ α/k over the looks per candidate
//!   leader, so ≤ α over the `k` possible leaders. A wrong tie group needs one of
//!   the leader's `k − 1` classifications wrong: Bonferroni over them keeps that
//!   below α too, whatever the dependence between cells, pairing included.
//! - **Futility** (non-binding): at a look before the last round the set can reach
//!   (its horizon: the budget's runs left shared by the cells still running, within
//!   the cap; `max_reps` without a race), for each unclassified cell, the
//!   conditional power under the current trend (Lan–Wittes B-value,
//!   `two_cells::conditional_power`) of its slower test and of its equivalence test
//!   at the horizon, at the same level. When even the better of the
//!   two is below [`FUTILITY_POWER`] (5%) for some cell, the verdict is leaning and
//!   futile. Futility never declares a winner or a tie, it only removes looks, so it
//!   cannot raise the false-winner or false-tie rates.
//! - Below `min_reps` runs in some cell (never fewer than 2) the verdict is leaning.
//!   One cell with runs is [`Verdict::Alone`]; none is [`Verdict::NoData`]. Values
//!   that are not positive finite seconds are ignored.
//!
//! The assumption behind the t-tests is that log wall times (or their per-round
//! differences) are roughly normal; with a handful of runs that is an approximation,
//! and the boundary's level is read off Student's t at each look's degrees of
//! freedom (the significance-level approach); the seeded simulations in
//! `sequential/sim_tests.rs` check the false-winner and false-tie rates stay below
//! α with the rule as it is.

use crate::stats::sequential::race::Reading;
use crate::stats::two_cells::{Cell, Diff, RunTime};
use crate::stats::verdict::Verdict;

/// One sentence naming the method, for the report's Methods section.
pub const METHOD: &str = "stop rule: leader-group verdict from t-tests on log wall times, \
paired by round where cells share rounds (else Welch's), re-checked after every round; every \
cell is classified against the fastest (leader) as slower (one-sided test) or equivalent within \
the practical margin (TOST; the larger of the relative margin and the absolute floor), each test \
at the Pocock level that keeps its error over all looks at α/k (looks = round cap − min_reps + 1; \
Bonferroni over cells; intersection-union for a winner); a winner when no cell is equivalent, else a tie of the \
leader's group; futile (unsettled) when a cell's conditional power at the last round it can reach, under the \
current trend, is below 5%; a race: a cell shown slower runs no more, and the cells still in question get \
its unspent runs within the budget of max_reps runs per cell, up to the round cap \
min_reps + k·(max_reps − min_reps)/2; α = 1 − confidence";

/// Futility threshold: conditional power at `max_reps` below which a look is futile.
/// Non-binding bars are usually 5–20% (Lachin 2005); 5% here, because conditional
/// power under the current trend is noisy at 3 runs per cell.
pub const FUTILITY_POWER: f64 = 0.05;

/// The defaults of the rule, in one place: the flags, the scenario keys, a report
/// of a fixed number of runs and `replay` all start from them.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;
/// Relative margin: ±5%.
pub const DEFAULT_MARGIN: f64 = 0.05;
/// Absolute floor of the margin, seconds per build.
pub const DEFAULT_MARGIN_FLOOR_S: f64 = 0.25;
pub const DEFAULT_MIN_REPS: u32 = 3;
pub const DEFAULT_MAX_REPS: u32 = 10;

/// When two cells differ by too little to matter, and how sure a verdict must be.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StopRule {
    /// Confidence of a verdict, e.g. 0.95 (α = 1 − confidence).
    pub confidence: f64,
    /// Relative margin on the ratio of two cells, e.g. 0.05 for ±5%.
    pub margin: f64,
    /// Absolute floor of the margin, seconds per build (0.25): the margin is the
    /// larger of `margin` and this over the leader's typical time. Absent in files
    /// written before it existed: no floor.
    #[serde(default)]
    pub margin_floor_s: f64,
    /// Successful runs every cell needs before a verdict (at least 2 are used).
    pub min_reps: u32,
    /// Runs after which the caller stops whatever the verdict (sets the looks);
    /// in a race, the runs per cell of the set's budget ([`race`]).
    pub max_reps: u32,
    /// Whether cells shown slower leave the race and their unspent runs go to the
    /// cells still in question ([`race`]). Absent in files written before it
    /// existed: no race, as those runs were stopped.
    #[serde(default)]
    pub race: bool,
}

impl Default for StopRule {
    fn default() -> Self {
        StopRule {
            confidence: DEFAULT_CONFIDENCE,
            margin: DEFAULT_MARGIN,
            margin_floor_s: DEFAULT_MARGIN_FLOOR_S,
            min_reps: DEFAULT_MIN_REPS,
            max_reps: DEFAULT_MAX_REPS,
            race: true,
        }
    }
}

/// How a cell compares with the leader at one look.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    Leader,
    Slower,
    Equivalent,
    Unclassified,
}

/// The cells with runs at one look, and their leader.
struct Look<'a> {
    /// (index into the samples, summary, runs), in sample order.
    cells: Vec<(usize, Cell, &'a [RunTime])>,
    leader: usize,
    fewest: usize,
}

impl StopRule {
    /// The same tests looked at once (no correction for repeated looks): how a
    /// report of a fixed number of runs reads them.
    pub fn single_look(&self) -> StopRule {
        StopRule {
            min_reps: 2,
            max_reps: 2,
            ..self.clone()
        }
    }

    /// Checks the fields; the error names the flag to fix.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(format!(
                "--confidence {} is not between 0 and 1 (exclusive): use e.g. 0.95",
                self.confidence
            ));
        }
        if !(self.margin > 0.0 && self.margin < 1.0) {
            return Err(format!(
                "--margin {} is not between 0 and 1 (exclusive): use e.g. 0.05 for ±5%",
                self.margin
            ));
        }
        if !(self.margin_floor_s >= 0.0 && self.margin_floor_s.is_finite()) {
            return Err(format!(
                "--margin-floor {} s is not a duration of 0 or more: use e.g. 250ms",
                self.margin_floor_s
            ));
        }
        if self.min_reps < 2 {
            return Err(format!(
                "--min-reps {} is below 2: a verdict needs at least 2 runs per cell",
                self.min_reps
            ));
        }
        if self.max_reps < self.min_reps {
            return Err(format!(
                "--max-reps {} is below --min-reps {}",
                self.max_reps, self.min_reps
            ));
        }
        Ok(())
    }

    /// Runs every cell needs before a verdict (never below 2).
    pub fn effective_min(&self) -> u32 {
        self.min_reps.max(2)
    }

    /// The number of looks the error rate is shared over: `max_reps − min_reps + 1`.
    pub fn looks(&self) -> u32 {
        self.max_reps.saturating_sub(self.effective_min()) + 1
    }

    /// The margin as a ratio for a leader of typical time `seconds`: the larger of
    /// the relative margin and the floor over it.
    pub fn margin_at(&self, seconds: f64) -> f64 {
        let floor = if seconds > 0.0 {
            self.margin_floor_s / seconds
        } else {
            0.0
        };
        self.margin.max(floor)
    }

    /// The margin in words: `±5%`, or `within 0.25 s (±23%)` where the floor wins.
    pub fn margin_words(&self, seconds: f64) -> String {
        let m = self.margin_at(seconds);
        let pct = (m * 1000.0).round() / 10.0;
        if m > self.margin {
            format!("within {} s of each other (±{pct}%)", self.margin_floor_s)
        } else {
            format!("within ±{pct}%")
        }
    }

    /// The verdict of one group's cells: `samples[i]` are cell i's runs so far
    /// ([`crate::records::record::RunRecord::sample_seconds`]: successful measured
    /// runs whose state check passed, not disturbed).
    pub fn judge(&self, samples: &[Vec<RunTime>]) -> Verdict<usize> {
        self.read(samples).verdict
    }

    /// [`StopRule::judge`], with the cells shown slower than the leader at this
    /// look (those that leave a race).
    pub fn read(&self, samples: &[Vec<RunTime>]) -> Reading {
        let Some(look) = Look::of(samples) else {
            return Reading::only(Verdict::NoData);
        };
        let leader = look.cells[look.leader].0;
        if look.cells.len() == 1 {
            return Reading::only(Verdict::Alone { option: leader });
        }
        let need = self.effective_min() as usize;
        if look.fewest < need {
            let short = (need - look.fewest) as u32;
            let more_runs = if look.fewest >= 2 {
                let mut all = vec![Class::Unclassified; look.cells.len()];
                all[look.leader] = Class::Leader;
                self.estimate(&look, &all, need)
                    .map(|n| n.saturating_sub(look.fewest as u32).max(short))
            } else {
                Some(short)
            };
            return Reading::only(Verdict::Leaning {
                option: leader,
                runner_up: look.cells[look.by_mean()[1]].0,
                more_runs,
                futile: false,
            });
        }
        let classes = self.classify(&look);
        let slower = (0..look.cells.len())
            .filter(|&j| classes[j] == Class::Slower)
            .map(|j| look.cells[j].0)
            .collect();
        Reading {
            verdict: self.verdict(&look, &classes),
            slower,
        }
    }

    /// The verdict of a look whose cells all have `min_reps` runs.
    fn verdict(&self, look: &Look, classes: &[Class]) -> Verdict<usize> {
        let leader = look.cells[look.leader].0;
        let by_mean = look.by_mean();
        let next = by_mean[1];
        if !classes.contains(&Class::Unclassified) {
            if classes.contains(&Class::Equivalent) {
                let options = by_mean
                    .iter()
                    .filter(|&&j| matches!(classes[j], Class::Leader | Class::Equivalent))
                    .map(|&j| look.cells[j].0)
                    .collect();
                return Verdict::Tie { options };
            }
            return Verdict::Winner {
                option: leader,
                runner_up: look.cells[next].0,
            };
        }
        let closest = by_mean
            .iter()
            .copied()
            .find(|&j| classes[j] == Class::Unclassified)
            .unwrap_or(next);
        let now = look.fewest_running(classes);
        let more_runs = self
            .estimate(look, classes, now + 1)
            .map(|n| n.saturating_sub(now as u32).max(1));
        Verdict::Leaning {
            option: leader,
            runner_up: look.cells[closest].0,
            more_runs,
            futile: self.futile(look, classes),
        }
    }

    /// [`StopRule::judge`] on runs that pair with nothing (Welch throughout).
    pub fn judge_unblocked(&self, samples: &[Vec<f64>]) -> Verdict<usize> {
        let runs: Vec<Vec<RunTime>> = samples
            .iter()
            .map(|s| s.iter().map(|&x| RunTime::unblocked(x)).collect())
            .collect();
        self.judge(&runs)
    }

    /// One-sided level of every test at each look: the Pocock level that keeps a
    /// test's error over its looks, `min_reps` to the round cap of `k` cells
    /// ([`StopRule::round_cap`]), at α/k ([`boundary::pocock_level`]).
    fn level(&self, k: usize) -> f64 {
        let alpha = 1.0 - self.confidence;
        boundary::pocock_level(self.effective_min(), self.round_cap(k), alpha / k as f64)
    }

    /// The margin on the log scale for this look's leader.
    fn delta(&self, look: &Look) -> f64 {
        let typical = look.cells[look.leader].1.mean.exp();
        (1.0 + self.margin_at(typical)).ln()
    }

    fn diff(look: &Look, j: usize) -> Option<Diff> {
        Diff::between(look.cells[look.leader].2, look.cells[j].2)
    }

    /// Each cell's class against the leader (same order as `look.cells`).
    fn classify(&self, look: &Look) -> Vec<Class> {
        let a = self.level(look.cells.len());
        let delta = self.delta(look);
        (0..look.cells.len())
            .map(|j| {
                if j == look.leader {
                    return Class::Leader;
                }
                match Self::diff(look, j) {
                    Some(diff) if diff.within(delta, a) => Class::Equivalent,
                    Some(diff) if diff.faster(a) => Class::Slower,
                    _ => Class::Unclassified,
                }
            })
            .collect()
    }
}

impl<'a> Look<'a> {
    fn of(samples: &'a [Vec<RunTime>]) -> Option<Look<'a>> {
        let cells: Vec<(usize, Cell, &[RunTime])> = samples
            .iter()
            .enumerate()
            .filter_map(|(i, xs)| Cell::of(xs).map(|c| (i, c, xs.as_slice())))
            .collect();
        let leader = (0..cells.len()).min_by(|&x, &y| order(&cells[x].1, &cells[y].1))?;
        let fewest = cells.iter().map(|(_, c, _)| c.n).min().unwrap_or(0);
        Some(Look {
            cells,
            leader,
            fewest,
        })
    }

    /// The fewest runs of a cell not shown slower: where the cells still running
    /// are (in a race the others stopped).
    fn fewest_running(&self, classes: &[Class]) -> usize {
        (0..self.cells.len())
            .filter(|&j| classes[j] != Class::Slower)
            .map(|j| self.cells[j].1.n)
            .min()
            .unwrap_or(self.fewest)
    }

    /// Positions in `cells`, fastest first (ties keep sample order).
    fn by_mean(&self) -> Vec<usize> {
        let mut v: Vec<usize> = (0..self.cells.len()).collect();
        v.sort_by(|&x, &y| order(&self.cells[x].1, &self.cells[y].1));
        v
    }
}

/// Fastest first: by median log time, as every table of the report orders cells,
/// then by mean. The error control holds whichever cell leads (it covers every
/// candidate leader).
fn order(a: &Cell, b: &Cell) -> std::cmp::Ordering {
    a.median
        .total_cmp(&b.median)
        .then(a.mean.total_cmp(&b.mean))
}

mod boundary;
mod futility;
pub mod race;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod sim_tests;

#[cfg(test)]
mod sim_race_tests;
