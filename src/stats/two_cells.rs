//! Comparing two cells on log wall times, the primitive beneath the stop rule
//! ([`crate::stats::sequential`]) and the drift note ([`crate::stats::drift`]):
//! **paired by round** when the two cells ran in the same rounds (a round runs every
//! cell of a group once, in shuffled order: a randomized block design, so what
//! slows a whole round, the machine's load or the mirror's mood, cancels in the
//! difference), else **Welch's** unpaired comparison; one-sided and equivalence
//! (TOST) tests, the runs per cell a difference needs, and the conditional power of
//! a test at a later look (futility). Pure numbers, no verdicts. Pairing starts at
//! [`PAIRED_FROM`] shared rounds.
//!
//! On this machine's recorded default matrix (results/default-fixed10), pairing by
//! round halved the spread of a difference: the standard deviation of the log
//! difference of two cells was 0.05–0.17 paired against 0.10–0.36 unpaired, the
//! runs of a round being correlated (+0.4 to +0.9 for most pairs).

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// One run's wall seconds and the block it ran in (its round within a group, as a
/// key that is equal only for runs of the same group and round); `None` when the
/// run cannot be paired (no round recorded, or a comparison across groups).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunTime {
    pub block: Option<u64>,
    pub seconds: f64,
}

impl RunTime {
    /// A run that pairs with nothing.
    pub fn unblocked(seconds: f64) -> RunTime {
        RunTime {
            block: None,
            seconds,
        }
    }
}

/// Shared rounds from which two cells are compared paired. A paired test has
/// `n − 1` degrees of freedom against Welch's about `2n − 2`, and at the small
/// levels the rule tests at, few degrees of freedom cost more than pairing saves
/// until about 5 rounds (t at α = 0.003: 12.4 with 2 df against 5.6 with 4; 5.6
/// with 4 against 3.8 with 8); from 5 on, the halved spread of this machine's
/// rounds wins. A choice by the count of rounds alone, never by the data, so each
/// look's test keeps its level.
pub const PAIRED_FROM: usize = 5;

/// Runs of positive finite seconds, as `(block, ln seconds)`.
fn logs(runs: &[RunTime]) -> Vec<(Option<u64>, f64)> {
    runs.iter()
        .filter(|r| r.seconds.is_finite() && r.seconds > 0.0)
        .map(|r| (r.block, r.seconds.ln()))
        .collect()
}

fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 {
        xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var)
}

/// Mean, sample variance and median of the log wall times of one cell.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cell {
    pub n: usize,
    pub mean: f64,
    pub var: f64,
    /// The median log time: the stop rule's leader is the cell with the lowest,
    /// the statistic every table of the report sorts and names cells by.
    pub median: f64,
}

impl Cell {
    /// `None` when the cell has no usable sample (positive finite seconds).
    pub fn of(runs: &[RunTime]) -> Option<Cell> {
        let l: Vec<f64> = logs(runs).into_iter().map(|(_, x)| x).collect();
        if l.is_empty() {
            return None;
        }
        let (mean, var) = mean_var(&l);
        let mut sorted = l.clone();
        sorted.sort_by(f64::total_cmp);
        let mid = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[mid]
        } else {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        };
        Some(Cell {
            n: l.len(),
            mean,
            var,
            median,
        })
    }
}

/// The comparison of two cells: `d` = mean log of `b` − mean log of `a`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Diff {
    pub d: f64,
    pub se: f64,
    pub df: f64,
    /// Paired by round (else Welch).
    pub paired: bool,
    /// The variance one more run per cell adds to the difference: the variance of
    /// the paired differences, or the sum of the two cells' variances.
    pub unit_var: f64,
}

impl Diff {
    /// Paired on the rounds both ran in when there are at least [`PAIRED_FROM`],
    /// else Welch.
    pub fn between(a: &[RunTime], b: &[RunTime]) -> Option<Diff> {
        let (la, lb) = (logs(a), logs(b));
        let pairs: Vec<f64> = la
            .iter()
            .filter_map(|(block, x)| {
                let block = (*block)?;
                lb.iter()
                    .find(|(other, _)| *other == Some(block))
                    .map(|(_, y)| y - x)
            })
            .collect();
        if pairs.len() >= PAIRED_FROM {
            let (d, var) = mean_var(&pairs);
            let m = pairs.len() as f64;
            return Some(Diff {
                d,
                se: (var / m).sqrt(),
                df: m - 1.0,
                paired: true,
                unit_var: var,
            });
        }
        Some(Diff::welch(&Cell::of(a)?, &Cell::of(b)?))
    }

    /// Welch's comparison of two cell summaries.
    pub fn welch(a: &Cell, b: &Cell) -> Diff {
        let (va, vb) = (a.var / a.n as f64, b.var / b.n as f64);
        let se = (va + vb).sqrt();
        let floor = (a.n.min(b.n) as f64 - 1.0).max(1.0);
        let df = (va + vb).powi(2) / (va * va / (a.n as f64 - 1.0) + vb * vb / (b.n as f64 - 1.0));
        Diff {
            d: b.mean - a.mean,
            se,
            df: if df.is_finite() { df.max(floor) } else { floor },
            paired: false,
            unit_var: a.var + b.var,
        }
    }

    /// Degrees of freedom with `n` runs per cell.
    pub fn df_at(&self, n: usize) -> f64 {
        if self.paired {
            (n as f64 - 1.0).max(1.0)
        } else {
            (2.0 * n as f64 - 2.0).max(1.0)
        }
    }

    /// Whether `a` is shown faster than `b` by a one-sided test at level `alpha`.
    pub fn faster(&self, alpha: f64) -> bool {
        if self.se == 0.0 {
            return self.d > 0.0;
        }
        self.d - t_quantile(1.0 - alpha, self.df) * self.se > 0.0
    }

    /// Whether both one-sided tests at `alpha` show |d| < `delta` (TOST).
    pub fn within(&self, delta: f64, alpha: f64) -> bool {
        let half = if self.se == 0.0 {
            0.0
        } else {
            t_quantile(1.0 - alpha, self.df) * self.se
        };
        self.d.abs() + half < delta
    }

    /// Smallest n ≥ `from` runs per cell at which an effect `gap` (> 0) clears
    /// `t(1 − alpha, df(n)) · sqrt(unit_var / n)`; `None` when `gap` is about 0 or less.
    pub fn runs_needed(&self, gap: f64, alpha: f64, from: usize) -> Option<usize> {
        if gap <= 1e-9 {
            return None;
        }
        let z = t_quantile(1.0 - alpha, f64::INFINITY);
        let start = ((z * z * self.unit_var) / (gap * gap)).ceil();
        if !start.is_finite() || start > 1e9 {
            return None;
        }
        let mut n = (start as usize).max(from).max(2);
        for _ in 0..1000 {
            if gap > t_quantile(1.0 - alpha, self.df_at(n)) * (self.unit_var / n as f64).sqrt() {
                return Some(n);
            }
            n += 1;
        }
        Some(n)
    }
}

/// Upper `p` quantile of Student's t with `df` degrees of freedom (normal for huge df).
pub(crate) fn t_quantile(p: f64, df: f64) -> f64 {
    if df > 1e6 {
        return Normal::new(0.0, 1.0).map_or(f64::INFINITY, |n| n.inverse_cdf(p));
    }
    StudentsT::new(0.0, 1.0, df).map_or(f64::INFINITY, |t| t.inverse_cdf(p))
}

/// Conditional power under the current trend (Lan & Wittes' B-value): the chance
/// that a one-sided test whose statistic is `z` after `n` runs per cell clears
/// `crit` after `n_max` runs, if the effect stays what it is now. With information
/// fraction `t = n / n_max`, `B(t) = z·√t`, drift `θ = z/√t`, and
/// `CP = 1 − Φ((crit − z/√t) / √(1 − t))`. At `n ≥ n_max`, 1 if `z ≥ crit`, else 0.
pub(crate) fn conditional_power(z: f64, crit: f64, n: usize, n_max: usize) -> f64 {
    if n >= n_max {
        return if z >= crit { 1.0 } else { 0.0 };
    }
    if !z.is_finite() {
        return if z > 0.0 { 1.0 } else { 0.0 };
    }
    let t = n as f64 / n_max as f64;
    let x = (crit - z / t.sqrt()) / (1.0 - t).sqrt();
    Normal::new(0.0, 1.0).map_or(0.0, |nd| 1.0 - nd.cdf(x))
}
