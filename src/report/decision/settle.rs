//! Settling a situation's verdict among its options ([`Call`]) with the stop rule of
//! [`crate::stats::sequential`] (Welch's t-tests on log wall times at the stated
//! confidence, TOST ties within a margin), read as [`reading_rule`] says: with the
//! correction for the looks of the `--reps auto` run that stopped the records, or
//! looked at once for runs of a fixed count:
//!
//! - a **winner** is shown faster than every other option;
//! - otherwise the options the leading one is not shown faster than are its
//!   contenders: a **tie** when every pair of them is shown within the margin,
//!   else **leaning**, with about how many more runs per cell would settle it;
//! - a win that lies only in the build steps (work identical whichever cache is
//!   used, [`crate::stats::drift::attribute`]) is **noise** in the build, not the cache.

use crate::report::analysis::Analysis;
use crate::report::decision::options::OptionStats;
use crate::report::format::fmt_ms;
use crate::{
    stats::drift::attribute,
    stats::sequential::Settled,
    stats::sequential::StopRule,
    stats::{self},
};
use serde::{Deserialize, Serialize};

/// The verdict of one scope of a situation. Options are named by
/// [`OptionStats::id`] (`no-cache` for the no-cache option).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Call {
    /// No option has a successful run.
    NoData,
    /// Only one option was measured.
    Single { strategy: String },
    /// Shown faster than every other option at `confidence`.
    Winner {
        strategy: String,
        /// The next fastest by median.
        runner_up: String,
        /// runner-up median / winner median.
        ratio: f64,
        confidence: f64,
    },
    /// Every pair of the fastest options is shown within ±`margin`: more runs
    /// would not name a winner among them.
    Tie {
        strategies: Vec<String>,
        margin: f64,
    },
    /// Not settled: the option it leans to, and about how many more runs per cell
    /// would settle it (`None`: no estimate, the difference is about 0 and the
    /// spread too wide for a tie, or too few runs).
    Leaning {
        strategy: String,
        runner_up: String,
        more_runs: Option<u32>,
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
    /// The recommended option: the winner, the leaning one, the fastest of a tie.
    pub fn strategy(&self) -> Option<&str> {
        match self {
            Call::NoData => None,
            Call::Single { strategy }
            | Call::Winner { strategy, .. }
            | Call::Leaning { strategy, .. }
            | Call::Noise { strategy, .. } => Some(strategy),
            Call::Tie { strategies, .. } => strategies.first().map(String::as_str),
        }
    }
}

/// The tie margin on the ratio of two options (the stop rule's default, ±3%).
pub fn margin() -> f64 {
    StopRule::default().margin
}

fn walls(o: &OptionStats) -> Vec<f64> {
    o.runs.iter().map(|r| r.wall).collect()
}

/// The rule the report reads an analysis' records with: the `--reps auto` rule
/// that stopped them (with its correction for repeated looks), or, for runs of a
/// fixed count, the same tests looked at once.
pub fn reading_rule(a: &Analysis) -> StopRule {
    a.stop_rule
        .clone()
        .unwrap_or_else(|| StopRule::single_look(stats::summary::CONFIDENCE, margin()))
}

fn settled(options: &[&OptionStats], rule: &StopRule) -> Settled {
    let samples: Vec<Vec<f64>> = options.iter().map(|o| walls(o)).collect();
    rule.settle(&samples)
}

/// The next fastest by median after `best` (options sorted fastest first).
fn runner_up<'a>(options: &[&'a OptionStats], best: &str) -> &'a OptionStats {
    options
        .iter()
        .find(|o| o.id() != best)
        .copied()
        .unwrap_or(options[0])
}

/// Settles a situation's options sorted fastest first, no cache among them. When
/// the fastest cache is shown faster than no cache, the caches are settled among
/// themselves: the family their state's "Verdict per state" settles, so the two
/// give the same answer (one more option in the family tests every pair at a
/// stricter level, and could call "leaning" what the state calls won). Otherwise,
/// or with a single cache, no cache competes with them.
pub fn settle_with_no_cache(options: &[OptionStats], rule: &StopRule) -> Call {
    let caches: Vec<OptionStats> = options.iter().filter(|o| !o.no_cache).cloned().collect();
    let base = options.iter().find(|o| o.no_cache);
    if let (Some(best), Some(base), true) = (caches.first(), base, caches.len() > 1) {
        let pair = [best.clone(), base.clone()];
        if matches!(settle(&pair, rule), Call::Winner { ref strategy, .. } if strategy == best.id())
        {
            return settle(&caches, rule);
        }
    }
    settle(options, rule)
}

/// Settles options sorted fastest first by median, by `rule` ([`reading_rule`]).
pub fn settle(options: &[OptionStats], rule: &StopRule) -> Call {
    let all: Vec<&OptionStats> = options.iter().collect();
    match all.as_slice() {
        [] => return Call::NoData,
        [only] => {
            return Call::Single {
                strategy: only.id().to_string(),
            }
        }
        _ => {}
    }
    let (lead, more) = match settled(&all, rule) {
        Settled::Winner { cell } => {
            let w = all[cell];
            let r = runner_up(&all, w.id());
            return Call::Winner {
                strategy: w.id().to_string(),
                runner_up: r.id().to_string(),
                ratio: stats::summary::round3(r.median_ms / w.median_ms.max(1e-9)),
                confidence: rule.confidence,
            };
        }
        Settled::Tie => {
            // The leader's group: the options proved within the margin of it.
            let samples: Vec<Vec<f64>> = all.iter().map(|o| walls(o)).collect();
            let mut group = rule.tied_group(&samples);
            group.sort_unstable();
            return Call::Tie {
                strategies: group.iter().map(|&i| all[i].id().to_string()).collect(),
                margin: rule.margin,
            };
        }
        Settled::Open { leaning, more_runs } => (all[leaning.unwrap_or(0)], more_runs),
    };
    // The contenders: the leading option and those it is not shown faster than.
    let contenders: Vec<&OptionStats> = all
        .iter()
        .copied()
        .filter(|o| {
            o.id() == lead.id() || !matches!(settled(&[lead, o], rule), Settled::Winner { cell: 0 })
        })
        .collect();
    if contenders.len() > 1 && contenders.len() < all.len() {
        if let Settled::Tie = settled(&contenders, rule) {
            return Call::Tie {
                strategies: contenders.iter().map(|o| o.id().to_string()).collect(),
                margin: rule.margin,
            };
        }
    }
    Call::Leaning {
        strategy: lead.id().to_string(),
        // The next option among the contenders, or among all when the lead has
        // none (it is then only not settled against the field).
        runner_up: if contenders.len() > 1 {
            runner_up(&contenders, lead.id())
        } else {
            runner_up(&all, lead.id())
        }
        .id()
        .to_string(),
        more_runs: more,
    }
}

/// When the winner (or the leaning option) is ahead of the runner-up only in the
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
    if w.state != r.state || w.no_cache != r.no_cache || !w.runs_have_steps || !r.runs_have_steps {
        return None;
    }
    let at = attribute(&w.runs, &r.runs, stats::summary::CONFIDENCE)?;
    if !at.steps_only {
        return None;
    }
    let said = crate::report::decision::options::said;
    let note = format!(
        "{} is {} faster than {} on average, but {} of that is in the build steps, work that is identical whichever cache is used, and the rest ({}) is not shown to differ: noise in the build itself, not the cache.",
        said(strategy),
        fmt_ms(at.wall * 1000.0),
        said(runner_up),
        fmt_ms(at.steps * 1000.0),
        crate::report::format::signed_ms(at.rest * 1000.0)
    );
    Some((
        Call::Noise {
            strategy: strategy.clone(),
            runner_up: runner_up.clone(),
            wall_diff_ms: stats::summary::round3(at.wall * 1000.0),
            steps_diff_ms: stats::summary::round3(at.steps * 1000.0),
        },
        note,
    ))
}
