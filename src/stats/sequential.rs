//! The stop rule of `--reps auto`: after every round it compares the cells of one
//! state (× change) and says whether the verdict is settled — a [`Settled::Winner`],
//! a [`Settled::Tie`] — or still [`Settled::Open`], with the cell it leans to and
//! about how many more runs per cell would settle it. Pure: it sees wall seconds only.
//!
//! Method (quoted by the report's Methods section, see [`METHOD`]): **Welch's t-tests
//! on log wall times, with a Bonferroni correction over the repeated looks**.
//! - Each cell is summarised by the mean and sample variance of `ln(seconds)` of its
//!   successful measured runs, so differences are ratios (scale-free) and the skew of
//!   run times is tamed. Two cells are compared with Welch's t (unequal variances,
//!   Welch–Satterthwaite degrees of freedom); quantiles come from `statrs`.
//! - The rule is checked after every round from `min_reps` to `max_reps`, that is at
//!   most `L = max_reps − min_reps + 1` looks, so each look uses level `α / L` with
//!   `α = 1 − confidence` (Bonferroni over looks: valid whatever the dependence
//!   between looks, and conservative).
//! - **Winner**: the cell with the lowest mean log time, when a one-sided Welch test
//!   shows it faster than *every* other cell, each test at `α / (k·L)` for k cells.
//!   Needing every test to pass is an intersection-union test (Berger 1982), so one
//!   candidate's claim is wrong with probability at most `α / (k·L)` per look; the
//!   `k` covers the data choosing the candidate. So P(a false winner, over all looks)
//!   ≤ α.
//! - **Tie**: two one-sided tests (TOST, Schuirmann 1987) show every pair's ratio of
//!   geometric means within `[1/(1+margin), 1+margin]`, each one-sided test at
//!   `α / L`: the `(1 − 2α/L)` interval of every pair's log ratio lies inside
//!   `±ln(1+margin)`. A tie needs every pair to pass (intersection-union again), so
//!   P(a false tie, over all looks) ≤ α. A tie shown this way is one that more runs
//!   would not break, short of the α error.
//! - A winner is looked for first; both can hold (a cell faster by less than the
//!   margin), and then the winner is reported.
//! - **Open** otherwise: `leaning` is the lowest-mean cell, and `more_runs` the
//!   number of additional runs per cell after which, if the means and variances
//!   stayed as they are, a winner or a tie would be shown (normal approximation,
//!   refined with the t quantile at that n); `None` when neither can be reached (the
//!   effect is about 0 and the spread too wide for a tie, or too few samples).
//! - Below `min_reps` successful runs in some cell (never fewer than 2, for a
//!   variance) the state is Open. At `max_reps` the caller stops anyway: an Open
//!   verdict then stays Open, an honest "not settled".
//! - Cells without any sample (every run failed) are left out, as the report leaves
//!   them out; a lone cell with samples is the winner once it has `min_reps` of them
//!   (nothing to compare, more runs change nothing). Values that are not positive
//!   finite seconds are ignored. Zero variance is allowed: the comparison is then
//!   exact (no NaN).
//!
//! The assumption behind the t-tests is that log wall times are roughly normal; with
//! a handful of runs that is an approximation, which the Bonferroni factors absorb in
//! part. A clear difference (20% at 3% CV) settles at 3–4 runs per cell.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// One sentence naming the method, for the report's Methods section.
pub const METHOD: &str = "stop rule: Welch's t-tests on log wall times, re-checked after every \
round, Bonferroni-corrected over the looks (max_reps − min_reps + 1); a winner is the fastest cell \
shown faster than every other by one-sided tests at α/(k·looks) (intersection-union); a tie is \
every pair's ratio shown within ±margin by two one-sided tests (TOST) at α/looks; α = 1 − confidence";

/// When to stop running a state's rounds (see the module docs for the method).
#[derive(Debug, Clone, PartialEq)]
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
    /// Every pair of cells is within the margin.
    Tie,
    /// Not settled: the cell it leans to (lowest mean log time; `None` with fewer
    /// than two cells with samples) and about how many more runs per cell would
    /// settle it (`None` when no estimate can be made).
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
        let cells: Vec<(usize, Cell)> = samples
            .iter()
            .enumerate()
            .filter_map(|(i, xs)| Cell::of(xs).map(|c| (i, c)))
            .collect();
        let Some(best) =
            (0..cells.len()).min_by(|&x, &y| cells[x].1.mean.total_cmp(&cells[y].1.mean))
        else {
            return Settled::Open {
                leaning: None,
                more_runs: None,
            };
        };
        let need = self.effective_min() as usize;
        let fewest = cells.iter().map(|(_, c)| c.n).min().unwrap_or(0);
        let leaning = (cells.len() > 1).then_some(cells[best].0);
        if fewest < need {
            let short = (need - fewest) as u32;
            let more_runs = if fewest >= 2 && cells.len() > 1 {
                self.estimate(&cells, best, need)
                    .map(|n| n.saturating_sub(fewest as u32).max(short))
            } else {
                Some(short)
            };
            return Settled::Open { leaning, more_runs };
        }
        if cells.len() == 1 {
            return Settled::Winner { cell: cells[0].0 };
        }
        let (a_win, a_tie) = self.levels(cells.len());
        let b = &cells[best].1;
        let wins = cells
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != best)
            .all(|(_, (_, c))| Diff::between(b, c).faster(a_win));
        if wins {
            return Settled::Winner {
                cell: cells[best].0,
            };
        }
        let delta = (1.0 + self.margin).ln();
        let ties = pairs(cells.len())
            .all(|(i, j)| Diff::between(&cells[i].1, &cells[j].1).within(delta, a_tie));
        if ties {
            return Settled::Tie;
        }
        let more_runs = self
            .estimate(&cells, best, fewest + 1)
            .map(|n| n.saturating_sub(fewest as u32).max(1));
        Settled::Open { leaning, more_runs }
    }

    /// One-sided levels per test at each look: (winner tests, tie tests).
    fn levels(&self, k: usize) -> (f64, f64) {
        let alpha = 1.0 - self.confidence;
        let looks = f64::from(self.looks());
        (alpha / (k as f64 * looks), alpha / looks)
    }

    /// Runs per cell (total, not additional) after which a winner or a tie would
    /// be shown if the means and variances stayed as they are; at least `from`.
    fn estimate(&self, cells: &[(usize, Cell)], best: usize, from: usize) -> Option<u32> {
        let (a_win, a_tie) = self.levels(cells.len());
        let delta = (1.0 + self.margin).ln();
        let b = &cells[best].1;
        let win = (0..cells.len())
            .filter(|&j| j != best)
            .map(|j| {
                let c = &cells[j].1;
                runs_needed(c.mean - b.mean, b.var + c.var, a_win, from)
            })
            .try_fold(0usize, |acc, n| n.map(|n| acc.max(n)));
        let tie = pairs(cells.len())
            .map(|(i, j)| {
                let (x, y) = (&cells[i].1, &cells[j].1);
                runs_needed(delta - (x.mean - y.mean).abs(), x.var + y.var, a_tie, from)
            })
            .try_fold(0usize, |acc, n| n.map(|n| acc.max(n)));
        let n = match (win, tie) {
            (Some(w), Some(t)) => w.min(t),
            (Some(n), None) | (None, Some(n)) => n,
            (None, None) => return None,
        };
        Some(u32::try_from(n).unwrap_or(u32::MAX))
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

/// Mean and sample variance of the log wall times of one cell.
#[derive(Debug, Clone, Copy)]
struct Cell {
    n: usize,
    mean: f64,
    var: f64,
}

impl Cell {
    /// `None` when the cell has no usable sample.
    fn of(seconds: &[f64]) -> Option<Cell> {
        let logs: Vec<f64> = seconds
            .iter()
            .filter(|x| x.is_finite() && **x > 0.0)
            .map(|x| x.ln())
            .collect();
        let n = logs.len();
        if n == 0 {
            return None;
        }
        let mean = logs.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        Some(Cell { n, mean, var })
    }
}

/// Welch's comparison of two cells: `d` = mean log of `b` − mean log of `a`.
struct Diff {
    d: f64,
    se: f64,
    df: f64,
}

impl Diff {
    fn between(a: &Cell, b: &Cell) -> Diff {
        let (va, vb) = (a.var / a.n as f64, b.var / b.n as f64);
        let se = (va + vb).sqrt();
        let floor = (a.n.min(b.n) as f64 - 1.0).max(1.0);
        let df = (va + vb).powi(2) / (va * va / (a.n as f64 - 1.0) + vb * vb / (b.n as f64 - 1.0));
        Diff {
            d: b.mean - a.mean,
            se,
            df: if df.is_finite() { df.max(floor) } else { floor },
        }
    }

    /// Whether `a` is shown faster than `b` by a one-sided test at level `alpha`.
    fn faster(&self, alpha: f64) -> bool {
        if self.se == 0.0 {
            return self.d > 0.0;
        }
        self.d - t_quantile(1.0 - alpha, self.df) * self.se > 0.0
    }

    /// Whether both one-sided tests at `alpha` show |d| < `delta` (TOST).
    fn within(&self, delta: f64, alpha: f64) -> bool {
        let half = if self.se == 0.0 {
            0.0
        } else {
            t_quantile(1.0 - alpha, self.df) * self.se
        };
        self.d.abs() + half < delta
    }
}

/// Upper `p` quantile of Student's t with `df` degrees of freedom (normal for huge df).
pub(crate) fn t_quantile(p: f64, df: f64) -> f64 {
    if df > 1e6 {
        return Normal::new(0.0, 1.0).map_or(f64::INFINITY, |n| n.inverse_cdf(p));
    }
    StudentsT::new(0.0, 1.0, df).map_or(f64::INFINITY, |t| t.inverse_cdf(p))
}

/// Smallest n ≥ `from` runs per cell for which an effect `gap` (> 0) clears
/// `t(1 − alpha, 2n − 2) · sqrt(var_sum / n)`; `None` when `gap` is about 0 or less.
fn runs_needed(gap: f64, var_sum: f64, alpha: f64, from: usize) -> Option<usize> {
    if gap <= 1e-9 {
        return None;
    }
    let z = t_quantile(1.0 - alpha, f64::INFINITY);
    let start = ((z * z * var_sum) / (gap * gap)).ceil();
    if !start.is_finite() || start > 1e9 {
        return None;
    }
    let mut n = (start as usize).max(from).max(2);
    for _ in 0..1000 {
        if gap > t_quantile(1.0 - alpha, 2.0 * n as f64 - 2.0) * (var_sum / n as f64).sqrt() {
            return Some(n);
        }
        n += 1;
    }
    Some(n)
}

/// Every unordered pair of indices below `k`.
fn pairs(k: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..k).flat_map(move |i| (i + 1..k).map(move |j| (i, j)))
}

#[cfg(test)]
#[path = "sequential_tests.rs"]
mod tests;
