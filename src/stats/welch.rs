//! Welch's comparison of two cells on log wall times, the primitive beneath the
//! stop rule ([`super::sequential`]) and the drift note ([`super::drift`]): a
//! cell's mean and variance of `ln(seconds)`, one-sided and equivalence (TOST)
//! tests, the runs per cell a difference needs, and the conditional power of a
//! test at a later look (futility). Pure numbers, no verdicts.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Mean and sample variance of the log wall times of one cell.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cell {
    pub n: usize,
    pub mean: f64,
    pub var: f64,
}

impl Cell {
    /// `None` when the cell has no usable sample (positive finite seconds).
    pub fn of(seconds: &[f64]) -> Option<Cell> {
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
pub(crate) struct Diff {
    pub d: f64,
    pub se: f64,
    pub df: f64,
}

impl Diff {
    pub fn between(a: &Cell, b: &Cell) -> Diff {
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
pub(crate) fn runs_needed(gap: f64, var_sum: f64, alpha: f64, from: usize) -> Option<usize> {
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
