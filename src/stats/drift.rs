//! Whether a cell's advantage over another lies only in `steps`: the time of the
//! Dockerfile's own steps, work that is identical whichever cache is used when
//! nothing is cached (a cold state) or both cells cached the same steps. There a
//! difference in `steps` is drift in the build itself (a slower mirror, a noisy
//! neighbour), not the cache; the report's Decision says so instead of naming a
//! winner for it.
//!
//! Method: each run's wall time splits into `steps` and the rest (cache import and
//! export, context, push, load: the cache's own work). With `d_wall`, `d_steps`
//! and `d_rest` the slower cell's mean minus the faster's, the advantage lies only in
//! steps when `d_wall > 0`, most of it is in steps (`d_steps ≥ d_rest`) and the
//! rest's advantage is not shown at the given confidence: the lower bound of a
//! one-sided Welch t interval of `d_rest` (seconds, not logs: the rest can be about
//! 0) is ≤ 0. Whether the work is identical (same steps cached) is the caller's to
//! check: it has the records.

use crate::stats::two_cells::t_quantile;

/// One run's wall seconds and the seconds of its `steps` phase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    pub wall: f64,
    pub steps: f64,
}

/// Where the faster cell's advantage lies (means over runs, seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    /// Slower mean wall − faster mean wall.
    pub wall: f64,
    /// Of it, in `steps`.
    pub steps: f64,
    /// Of it, in the rest (the cache's own work).
    pub rest: f64,
    /// Lower bound of the one-sided interval of `rest` at the confidence.
    pub rest_lo: f64,
    /// The advantage lies only in steps (see the module docs).
    pub steps_only: bool,
}

/// Attributes `faster`'s advantage over `slower`; `None` with fewer than 2 runs in
/// either (no variance) or a non-finite value.
pub fn attribute(faster: &[Split], slower: &[Split], confidence: f64) -> Option<Attribution> {
    let ok =
        |v: &[Split]| v.len() >= 2 && v.iter().all(|s| s.wall.is_finite() && s.steps.is_finite());
    if !ok(faster) || !ok(slower) {
        return None;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let var = |v: &[f64]| {
        let m = mean(v);
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64
    };
    let col = |v: &[Split], f: fn(&Split) -> f64| v.iter().map(f).collect::<Vec<f64>>();
    let (fw, sw) = (col(faster, |s| s.wall), col(slower, |s| s.wall));
    let (fs, ss) = (col(faster, |s| s.steps), col(slower, |s| s.steps));
    let (fr, sr) = (
        col(faster, |s| s.wall - s.steps),
        col(slower, |s| s.wall - s.steps),
    );
    let wall = mean(&sw) - mean(&fw);
    let steps = mean(&ss) - mean(&fs);
    let rest = mean(&sr) - mean(&fr);
    let (va, vb) = (var(&fr) / fr.len() as f64, var(&sr) / sr.len() as f64);
    let se = (va + vb).sqrt();
    let floor = (fr.len().min(sr.len()) as f64 - 1.0).max(1.0);
    let df =
        (va + vb).powi(2) / (va * va / (fr.len() as f64 - 1.0) + vb * vb / (sr.len() as f64 - 1.0));
    let df = if df.is_finite() { df.max(floor) } else { floor };
    let half = if se == 0.0 {
        0.0
    } else {
        t_quantile(confidence, df) * se
    };
    let rest_lo = rest - half;
    Some(Attribution {
        wall,
        steps,
        rest,
        rest_lo,
        steps_only: wall > 0.0 && steps >= rest && rest_lo <= 0.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(wall_steps: &[(f64, f64)]) -> Vec<Split> {
        wall_steps
            .iter()
            .map(|&(wall, steps)| Split { wall, steps })
            .collect()
    }

    #[test]
    fn an_advantage_in_downloads_only_is_steps_only() {
        // The Flask case: steps 36 s against 45 s, the cache's own work alike.
        let a = runs(&[(40.0, 36.0), (41.0, 36.5), (39.5, 35.4)]);
        let b = runs(&[(49.0, 45.0), (50.2, 46.0), (48.6, 44.5)]);
        let at = attribute(&a, &b, 0.95).unwrap();
        assert!(at.steps_only, "{at:?}");
        assert!(at.wall > 8.0 && at.steps > 8.0 && at.rest.abs() < 1.0);
    }

    #[test]
    fn an_advantage_in_cache_work_is_not() {
        // Same steps; the slower cell exports a cache for 6 s more.
        let a = runs(&[(20.0, 15.0), (20.3, 15.1), (19.8, 14.9)]);
        let b = runs(&[(26.0, 15.0), (26.4, 15.2), (25.9, 14.8)]);
        let at = attribute(&a, &b, 0.95).unwrap();
        assert!(!at.steps_only, "{at:?}");
        assert!(at.rest_lo > 0.0);
    }

    #[test]
    fn no_advantage_too_few_runs_and_zero_variance() {
        let a = runs(&[(20.0, 15.0), (20.0, 15.0)]);
        assert!(!attribute(&a, &a, 0.95).unwrap().steps_only, "no advantage");
        assert_eq!(attribute(&a[..1], &a, 0.95), None);
        let b = runs(&[(22.0, 17.0), (22.0, 17.0)]);
        let at = attribute(&a, &b, 0.95).unwrap();
        assert!(at.steps_only && at.rest_lo == 0.0, "{at:?}");
        assert_eq!(
            attribute(&runs(&[(f64::NAN, 1.0), (1.0, 1.0)]), &b, 0.95),
            None
        );
    }
}
