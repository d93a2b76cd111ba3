//! Settling a situation's verdict among its options ([`Call`]): a winner needs the
//! coverage the report states (95%); with fewer runs than that allows the answer is
//! "leaning", with how many more runs a 95% interval needs; and a win that lies in
//! the build steps (work identical whichever cache is used) is noise in the build,
//! not the cache.

use crate::report::decision::OptionStats;
use crate::report::export::fmt_ms;
use crate::stats::{self, order_stat_coverage};
use serde::{Deserialize, Serialize};

/// The verdict of one scope of a situation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Call {
    /// No option has a successful run.
    NoData,
    /// Only one option was measured.
    Single { strategy: String },
    /// The fastest option's interval is disjoint from every other's at ≥ 95%.
    Winner {
        strategy: String,
        runner_up: String,
        /// runner-up median / winner median.
        ratio: f64,
        /// The smaller coverage of the deciding intervals.
        coverage: f64,
    },
    /// Intervals with 95% coverage overlap: more runs would not name a winner.
    Tie { strategies: Vec<String> },
    /// The fastest by median, not settled: `more_runs` more runs per cell give the
    /// intervals the stated coverage.
    Leaning {
        strategy: String,
        runner_up: String,
        more_runs: u32,
    },
    /// The fastest wins on wall time, but the difference lies in the build steps
    /// (work identical whichever cache is used): noise in the build, not the cache.
    Noise {
        strategy: String,
        runner_up: String,
        wall_diff_ms: f64,
        steps_diff_ms: f64,
    },
}

impl Call {
    /// The recommended strategy: the winner, the leaning one, the fastest of a tie.
    pub fn strategy(&self) -> Option<&str> {
        match self {
            Call::NoData => None,
            Call::Single { strategy }
            | Call::Winner { strategy, .. }
            | Call::Leaning { strategy, .. }
            | Call::Noise { strategy, .. } => Some(strategy),
            Call::Tie { strategies } => strategies.first().map(String::as_str),
        }
    }
}

/// The smallest n whose order-statistic interval of the median reaches the stated
/// coverage (6 for 95%).
pub fn runs_for_coverage() -> usize {
    (2..1000)
        .find(|&n| order_stat_coverage(n, 1) >= stats::CONFIDENCE)
        .unwrap_or(6)
}

fn more_runs(n: usize) -> u32 {
    runs_for_coverage().saturating_sub(n) as u32
}

fn disjoint(a: &OptionStats, b: &OptionStats) -> bool {
    match (a.ci, b.ci) {
        (Some(x), Some(y)) => !x.overlaps(&y),
        _ => false,
    }
}

fn coverage(o: &OptionStats) -> f64 {
    o.ci.map_or(0.0, |c| c.coverage)
}

/// Settles options sorted fastest first.
pub fn settle(options: &[OptionStats]) -> Call {
    let (best, rest) = match options {
        [] => return Call::NoData,
        [only] => {
            return Call::Single {
                strategy: only.id().to_string(),
            }
        }
        [best, rest @ ..] => (best, rest),
    };
    let runner = &rest[0];
    let tied: Vec<&OptionStats> = rest.iter().filter(|o| !disjoint(best, o)).collect();
    let nominal = |o: &OptionStats| coverage(o) >= stats::CONFIDENCE;
    if tied.is_empty() {
        let cov = rest.iter().map(coverage).fold(coverage(best), f64::min);
        if cov >= stats::CONFIDENCE {
            return Call::Winner {
                strategy: best.id().to_string(),
                runner_up: runner.id().to_string(),
                ratio: stats::round3(runner.median_ms / best.median_ms.max(1e-9)),
                coverage: cov,
            };
        }
        let n = rest.iter().map(|o| o.n).fold(best.n, usize::min);
        return Call::Leaning {
            strategy: best.id().to_string(),
            runner_up: runner.id().to_string(),
            more_runs: more_runs(n),
        };
    }
    if nominal(best) && tied.iter().all(|o| nominal(o)) {
        let mut strategies = vec![best.id().to_string()];
        strategies.extend(tied.iter().map(|o| o.id().to_string()));
        return Call::Tie { strategies };
    }
    let n = tied.iter().map(|o| o.n).fold(best.n, usize::min);
    Call::Leaning {
        strategy: best.id().to_string(),
        runner_up: runner.id().to_string(),
        more_runs: more_runs(n),
    }
}

/// Share of the wall-time difference that, when it lies in the steps, makes it noise.
pub const STEPS_NOISE_SHARE: f64 = 0.75;

/// When the winner (or the leaning option) is ahead of the runner-up mostly in the
/// build steps, and both ran the same state (so the same steps, cached alike), the
/// call becomes [`Call::Noise`] with a note that says so.
pub fn steps_noise(call: &Call, options: &[OptionStats]) -> Option<(Call, String)> {
    let (strategy, runner_up) = match call {
        Call::Winner {
            strategy,
            runner_up,
            ..
        }
        | Call::Leaning {
            strategy,
            runner_up,
            ..
        } => (strategy, runner_up),
        _ => return None,
    };
    let find = |s: &str| options.iter().find(|o| o.id() == s);
    let (w, r) = (find(strategy)?, find(runner_up)?);
    if w.state != r.state || w.no_cache != r.no_cache {
        return None;
    }
    let wall = r.median_ms - w.median_ms;
    let steps = r.steps_ms? - w.steps_ms?;
    if wall <= 0.0 || steps < STEPS_NOISE_SHARE * wall {
        return None;
    }
    let note = format!(
        "{strategy} is {} faster than {runner_up}, but {} of that is in the build steps, work that is identical whichever cache is used: noise in the build itself, not the cache.",
        fmt_ms(wall),
        fmt_ms(steps)
    );
    Some((
        Call::Noise {
            strategy: strategy.clone(),
            runner_up: runner_up.clone(),
            wall_diff_ms: stats::round3(wall),
            steps_diff_ms: stats::round3(steps),
        },
        note,
    ))
}
