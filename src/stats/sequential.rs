//! The stop rule of `--reps auto`: after every round it compares the cells of one
//! state (× change) with the fastest one and says whether the verdict is settled —
//! a [`Settled::Winner`], a [`Settled::Tie`] of the leader's group — or still
//! [`Settled::Open`]; [`StopRule::decide`] adds a futility stop, when more runs up to
//! `max_reps` would very likely not settle it. Pure: it sees wall seconds only.
//!
//! Method (quoted by the report's Methods section, see [`METHOD`]): **a leader-group
//! verdict from Welch's t-tests on log wall times, Bonferroni-corrected over looks and
//! cells, with a non-binding conditional-power futility stop**.
//! - Each cell is summarised by the mean and sample variance of `ln(seconds)` of its
//!   successful measured runs, so differences are ratios (scale-free) and the skew of
//!   run times is tamed; two cells are compared with Welch's t ([`super::welch`]).
//! - The **leader** is the cell with the lowest mean log time. Every other cell is
//!   *classified* against it: **slower** (a one-sided Welch test shows the leader
//!   faster) or **equivalent** (two one-sided tests, TOST (Schuirmann 1987), put the
//!   ratio of geometric means within `[1/(1+margin), 1+margin]`). The state is
//!   settled when every cell is classified: a **Winner** when none is equivalent,
//!   else a **Tie** of the leader's group ([`StopRule::tied_group`]: the leader and
//!   the cells equivalent to it). A cell both slower and equivalent (slower by less
//!   than the margin) counts as equivalent: the difference is below what was asked.
//! - Error control: the rule is checked after every round from `min_reps` to
//!   `max_reps`, `L = max_reps − min_reps + 1` looks, and with `k` cells every
//!   one-sided test runs at `α / (k·L)`, `α = 1 − confidence`. A Winner needs all
//!   its `k − 1` slower tests to pass (intersection-union, Berger 1982): a false one
//!   has probability ≤ α/(k·L) per candidate leader and look, so ≤ α over the `k`
//!   possible leaders and `L` looks. A wrong tie group needs one of the leader's
//!   `k − 1` classifications wrong: Bonferroni over them and the looks keeps that
//!   below α too (given the leader). Bonferroni holds whatever the dependence.
//! - **Futility** ([`StopRule::decide`], non-binding): at a look before `max_reps`,
//!   for each unclassified cell, the conditional power under the current trend
//!   (Lan–Wittes B-value, `welch::conditional_power`) of its slower test and
//!   of its equivalence test at `max_reps`, at the same per-test level. When even the
//!   better of the two is below [`FUTILITY_POWER`] (5%) for some cell, the state
//!   cannot settle by `max_reps` in all likelihood (a settled state needs every cell
//!   classified) and the rule says [`Decision::Futile`]: unsettled, the leaning cell,
//!   and about how many runs per cell would settle it. Futility never declares a
//!   winner or a tie, it only removes looks, so it cannot raise the false-winner or
//!   false-tie rates above the bounds above (the levels stay those of `L` looks).
//! - **Open** otherwise: `leaning` is the leader, and `more_runs` the number of
//!   additional runs per cell after which, if the means and variances stayed as they
//!   are, every cell would be classified (normal approximation refined with the t
//!   quantile); `None` when that cannot be reached.
//! - Below `min_reps` successful runs in some cell (never fewer than 2, for a
//!   variance) the state is Open. At `max_reps` the caller stops anyway: an Open
//!   verdict then stays Open, an honest "not settled".
//! - Cells without any sample (every run failed) are left out, as the report leaves
//!   them out; a lone cell with samples is the winner once it has `min_reps` of them.
//!   Values that are not positive finite seconds are ignored. Zero variance is
//!   allowed: the comparison is then exact (no NaN).
//!
//! The assumption behind the t-tests is that log wall times are roughly normal; with
//! a handful of runs that is an approximation, which the Bonferroni factors absorb in
//! part. A clear difference (20% at 3% CV) settles at 3–4 runs per cell. A TOST tie
//! costs more runs than a win: at 3% CV a ±3% margin is out of reach within 10 runs
//! (the rule then stops as futile); ±8% settles in about 6.

use super::welch::{conditional_power, runs_needed, t_quantile, Cell, Diff};

/// One sentence naming the method, for the report's Methods section.
pub const METHOD: &str = "stop rule: leader-group verdict from Welch's t-tests on log wall \
times, re-checked after every round; every cell is classified against the fastest (leader) as \
slower (one-sided test) or equivalent within ±margin (TOST), each test at α/(k·looks) \
(Bonferroni over cells and looks, looks = max_reps − min_reps + 1; intersection-union for a \
winner); a winner when no cell is equivalent, else a tie of the leader's group; a non-binding \
futility stop (unsettled) when a cell's conditional power at max_reps, under the current \
trend, is below 5%; α = 1 − confidence";

/// Futility threshold: conditional power at `max_reps` below which a look stops as
/// [`Decision::Futile`]. Non-binding bars are usually 5–20% (Lachin 2005); 5% here,
/// because conditional power under the current trend is noisy at 3 runs per cell:
/// at 10% it cost up to 13 points of the chance to find a true winner in simulation
/// (10% vs 11.5% vs 12% at 8% CV), at 5% at most 8, while still stopping every
/// state of a recorded run at 15–31% CV by round 4 (see the tests and README).
pub const FUTILITY_POWER: f64 = 0.05;

/// When to stop running a state's rounds (see the module docs for the method).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StopRule {
    /// Confidence of a verdict, e.g. 0.95 (α = 1 − confidence).
    pub confidence: f64,
    /// Tie margin on the ratio of two cells, e.g. 0.03 for ±3%.
    pub margin: f64,
    /// Successful runs every cell needs before a verdict (at least 2 are used).
    pub min_reps: u32,
    /// Runs after which the caller stops whatever the verdict (sets the looks).
    pub max_reps: u32,
}

/// What the cells of one state say so far.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    /// `cell` (an index into the samples) is faster than every other cell.
    Winner { cell: usize },
    /// The leader's group is tied within the margin, every other cell slower
    /// (the group: [`StopRule::tied_group`]).
    Tie,
    /// Not settled: the cell it leans to (the leader; `None` with fewer than two
    /// cells with samples) and about how many more runs per cell would settle it
    /// (`None` when no estimate can be made).
    Open {
        leaning: Option<usize>,
        more_runs: Option<u32>,
    },
}

impl Settled {
    /// Whether more runs are not needed (a winner or a tie).
    pub fn is_settled(&self) -> bool {
        !matches!(self, Settled::Open { .. })
    }
}

/// What the `--reps auto` loop does after a round.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Stop: a winner or a tie ([`Settled::Open`] never appears here).
    Settled(Settled),
    /// Stop unsettled: more runs up to `max_reps` would very likely not settle it.
    /// The leaning cell and about how many more runs per cell would settle it.
    Futile {
        leaning: Option<usize>,
        more_runs: Option<u32>,
    },
    /// Run another round (at `max_reps` the caller stops anyway).
    Continue,
}

/// How a cell compares with the leader at one look.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    Leader,
    Slower,
    Equivalent,
    Unclassified,
}

/// The cells with samples at one look, their leader and classes.
struct Look {
    cells: Vec<(usize, Cell)>,
    leader: usize,
    fewest: usize,
}

impl Default for StopRule {
    /// 95% confidence, ±3% margin, 3 to 10 runs per cell.
    fn default() -> Self {
        StopRule {
            confidence: 0.95,
            margin: 0.03,
            min_reps: 3,
            max_reps: 10,
        }
    }
}

impl StopRule {
    /// A rule looked at once (no correction for repeated looks): what a
    /// fixed-repetition report uses to say "leaning", see [`leaning`].
    pub fn single_look(confidence: f64, margin: f64) -> StopRule {
        StopRule {
            confidence,
            margin,
            min_reps: 2,
            max_reps: 2,
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
                "--margin {} is not between 0 and 1 (exclusive): use e.g. 0.03 for ±3%",
                self.margin
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

    /// The verdict of one state's cells: `samples[i]` are cell i's wall seconds so
    /// far (successful measured runs whose state check passed).
    pub fn settle(&self, samples: &[Vec<f64>]) -> Settled {
        let Some(look) = Look::of(samples) else {
            return Settled::Open {
                leaning: None,
                more_runs: None,
            };
        };
        let need = self.effective_min() as usize;
        let leaning = look.leaning();
        if look.fewest < need {
            let short = (need - look.fewest) as u32;
            let more_runs = if look.fewest >= 2 && look.cells.len() > 1 {
                let mut all = vec![Class::Unclassified; look.cells.len()];
                all[look.leader] = Class::Leader;
                self.estimate(&look, &all, need)
                    .map(|n| n.saturating_sub(look.fewest as u32).max(short))
            } else {
                Some(short)
            };
            return Settled::Open { leaning, more_runs };
        }
        let classes = self.classify(&look);
        if !classes.contains(&Class::Unclassified) {
            let leader = look.cells[look.leader].0;
            return if classes.contains(&Class::Equivalent) {
                Settled::Tie
            } else {
                Settled::Winner { cell: leader }
            };
        }
        let more_runs = self
            .estimate(&look, &classes, look.fewest + 1)
            .map(|n| n.saturating_sub(look.fewest as u32).max(1));
        Settled::Open { leaning, more_runs }
    }

    /// The leader (lowest mean log time) and the cells shown equivalent to it within
    /// the margin, as indices into `samples`, ascending; empty without samples.
    /// Before `min_reps` runs in every cell it is the leader alone.
    pub fn tied_group(&self, samples: &[Vec<f64>]) -> Vec<usize> {
        let Some(look) = Look::of(samples) else {
            return vec![];
        };
        if look.fewest < self.effective_min() as usize {
            return vec![look.cells[look.leader].0];
        }
        let classes = self.classify(&look);
        let mut group: Vec<usize> = look
            .cells
            .iter()
            .zip(&classes)
            .filter(|(_, c)| matches!(c, Class::Leader | Class::Equivalent))
            .map(|((i, _), _)| *i)
            .collect();
        group.sort_unstable();
        group
    }

    /// What the `--reps auto` loop does after a round: stop settled, stop as futile
    /// (non-binding, never a verdict), or run another round.
    pub fn decide(&self, samples: &[Vec<f64>]) -> Decision {
        self.decide_settled(samples).0
    }

    /// [`StopRule::decide`] and the [`StopRule::settle`] verdict it rests on, settled
    /// once: the leaning and runs estimate of an open state, which
    /// [`Decision::Continue`] does not carry, without a second [`StopRule::settle`].
    pub fn decide_settled(&self, samples: &[Vec<f64>]) -> (Decision, Settled) {
        let settled = self.settle(samples);
        (self.decide_from(samples, &settled), settled)
    }

    fn decide_from(&self, samples: &[Vec<f64>], settled: &Settled) -> Decision {
        if settled.is_settled() {
            return Decision::Settled(settled.clone());
        }
        let Some(look) = Look::of(samples) else {
            return Decision::Continue;
        };
        let max = self.max_reps as usize;
        if look.cells.len() < 2 || look.fewest < self.effective_min() as usize || look.fewest >= max
        {
            return Decision::Continue;
        }
        let classes = self.classify(&look);
        let a = self.level(look.cells.len());
        let delta = self.delta();
        let crit = t_quantile(1.0 - a, 2.0 * max as f64 - 2.0);
        let b = &look.cells[look.leader].1;
        let power = |c: &Cell| {
            let diff = Diff::between(b, c);
            let z = |gap: f64| {
                if diff.se == 0.0 {
                    gap.signum() * f64::INFINITY
                } else {
                    gap / diff.se
                }
            };
            let cp = |gap: f64| conditional_power(z(gap), crit, look.fewest, max);
            cp(diff.d).max(cp(delta - diff.d.abs()))
        };
        let weakest = look
            .cells
            .iter()
            .zip(&classes)
            .filter(|(_, c)| **c == Class::Unclassified)
            .map(|((_, c), _)| power(c))
            .fold(1.0_f64, f64::min);
        if weakest < FUTILITY_POWER {
            let Settled::Open { leaning, more_runs } = *settled else {
                return Decision::Continue;
            };
            return Decision::Futile { leaning, more_runs };
        }
        Decision::Continue
    }

    /// One-sided level of every test at each look: α/(k·L).
    fn level(&self, k: usize) -> f64 {
        let alpha = 1.0 - self.confidence;
        alpha / (k as f64 * f64::from(self.looks()))
    }

    fn delta(&self) -> f64 {
        (1.0 + self.margin).ln()
    }

    /// Each cell's class against the leader (same order as `look.cells`).
    fn classify(&self, look: &Look) -> Vec<Class> {
        let a = self.level(look.cells.len());
        let delta = self.delta();
        let b = &look.cells[look.leader].1;
        look.cells
            .iter()
            .enumerate()
            .map(|(j, (_, c))| {
                if j == look.leader {
                    return Class::Leader;
                }
                let diff = Diff::between(b, c);
                if diff.within(delta, a) {
                    Class::Equivalent
                } else if diff.faster(a) {
                    Class::Slower
                } else {
                    Class::Unclassified
                }
            })
            .collect()
    }

    /// Runs per cell (total, not additional) after which every cell marked
    /// unclassified would be classified if the means and variances stayed as they
    /// are; at least `from`. `None` when some cell cannot be.
    fn estimate(&self, look: &Look, classes: &[Class], from: usize) -> Option<u32> {
        let a = self.level(look.cells.len());
        let delta = self.delta();
        let b = &look.cells[look.leader].1;
        let n = look
            .cells
            .iter()
            .zip(classes)
            .filter(|(_, c)| **c == Class::Unclassified)
            .map(|((_, c), _)| {
                let (d, vs) = (c.mean - b.mean, b.var + c.var);
                let slower = runs_needed(d, vs, a, from);
                let equal = runs_needed(delta - d.abs(), vs, a, from);
                match (slower, equal) {
                    (Some(s), Some(e)) => Some(s.min(e)),
                    (s, e) => s.or(e),
                }
            })
            .try_fold(0usize, |acc, n| n.map(|n| acc.max(n)))?;
        Some(u32::try_from(n).unwrap_or(u32::MAX))
    }
}

impl Look {
    fn of(samples: &[Vec<f64>]) -> Option<Look> {
        let cells: Vec<(usize, Cell)> = samples
            .iter()
            .enumerate()
            .filter_map(|(i, xs)| Cell::of(xs).map(|c| (i, c)))
            .collect();
        let leader =
            (0..cells.len()).min_by(|&x, &y| cells[x].1.mean.total_cmp(&cells[y].1.mean))?;
        let fewest = cells.iter().map(|(_, c)| c.n).min().unwrap_or(0);
        Some(Look {
            cells,
            leader,
            fewest,
        })
    }

    /// The leader's index into the samples, when there is something to lean from.
    fn leaning(&self) -> Option<usize> {
        (self.cells.len() > 1).then_some(self.cells[self.leader].0)
    }
}

/// A fixed-repetition report's reading of one state's cells, looked at once: the
/// same tests as [`StopRule::settle`] without the correction for repeated looks.
/// An [`Settled::Open`] answer gives the leaning cell and about how many more runs
/// per cell would settle it, for "leaning X; about N more runs per cell would
/// settle it". `samples[i]` are cell i's wall seconds (successful measured runs).
pub fn leaning(samples: &[Vec<f64>], confidence: f64, margin: f64) -> Settled {
    StopRule::single_look(confidence, margin).settle(samples)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod sim_tests;
