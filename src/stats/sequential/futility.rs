//! Where the stop rule looks ahead: the non-binding futility stop (the conditional
//! power, under the current trend, of each unclassified cell's tests at the last
//! round it can reach) and the estimate of how many more runs would settle a look.
//! In a race ([`crate::stats::sequential::race`]) the last reachable round is the
//! set's horizon: the runs left in its budget shared by the cells still running,
//! within the round cap; without one it is `max_reps`.

use super::{Class, Look, StopRule, FUTILITY_POWER};
use crate::stats::two_cells::{conditional_power, t_quantile};

impl StopRule {
    /// The runs per cell the cells still running can reach: without a race
    /// `max_reps`; in one, the budget's runs left (`k · max_reps` less the runs
    /// so far) shared by the cells not shown slower, within the round cap.
    pub(super) fn horizon(&self, look: &Look, classes: &[Class]) -> usize {
        if !self.race {
            return self.max_reps as usize;
        }
        let k = look.cells.len();
        let spent: usize = look.cells.iter().map(|(_, c, _)| c.n).sum();
        let left = (self.budget(k) as usize).saturating_sub(spent);
        let running = classes.iter().filter(|c| **c != Class::Slower).count();
        let now = look.fewest_running(classes);
        (now + left / running.max(1)).min(self.round_cap(k) as usize)
    }

    /// Whether more runs up to the horizon would very likely leave some
    /// unclassified cell unclassified (see the module docs). Never at or after it.
    pub(super) fn futile(&self, look: &Look, classes: &[Class]) -> bool {
        let max = self.horizon(look, classes);
        let now = look.fewest_running(classes);
        if now >= max {
            return false;
        }
        let a = self.level(look.cells.len());
        let delta = self.delta(look);
        let power = |j: usize| {
            let Some(diff) = Self::diff(look, j) else {
                return 0.0;
            };
            let crit = t_quantile(1.0 - a, diff.df_at(max));
            let z = |gap: f64| {
                if diff.se == 0.0 {
                    gap.signum() * f64::INFINITY
                } else {
                    gap / diff.se
                }
            };
            let cp = |gap: f64| conditional_power(z(gap), crit, now, max);
            cp(diff.d).max(cp(delta - diff.d.abs()))
        };
        (0..look.cells.len())
            .filter(|&j| classes[j] == Class::Unclassified)
            .map(power)
            .fold(1.0_f64, f64::min)
            < FUTILITY_POWER
    }

    /// Runs per cell (total, not additional) after which every cell marked
    /// unclassified would be classified if the differences and their spread stayed
    /// as they are; at least `from`. `None` when some cell cannot be.
    pub(super) fn estimate(&self, look: &Look, classes: &[Class], from: usize) -> Option<u32> {
        let a = self.level(look.cells.len());
        let delta = self.delta(look);
        let n = (0..look.cells.len())
            .filter(|&j| classes[j] == Class::Unclassified)
            .map(|j| {
                let diff = Self::diff(look, j)?;
                let slower = diff.runs_needed(diff.d, a, from);
                let equal = diff.runs_needed(delta - diff.d.abs(), a, from);
                match (slower, equal) {
                    (Some(s), Some(e)) => Some(s.min(e)),
                    (s, e) => s.or(e),
                }
            })
            .try_fold(0usize, |acc, n| n.map(|n| acc.max(n)))?;
        Some(u32::try_from(n).unwrap_or(u32::MAX))
    }
}
