//! The one rule as the report applies it: a set of options (a group's cells, or a
//! situation's options) settled into a [`Verdict`] by the stop rule of
//! [`crate::stats::sequential`] (t-tests on log wall times, paired by round where
//! options share rounds, TOST ties within the practical margin), read as
//! [`reading_rule`] says: with the correction for the looks of the `--reps auto` run
//! that stopped the records, or looked at once for runs of a fixed count. Then one
//! refinement from the build's own phases: a lead that lies only in the build steps
//! (work identical whichever cache is used, [`crate::stats::drift::attribute`]) is
//! [`Verdict::Noise`], checked against the runner-up and against no cache alike.
//! The verdict per state, the Results table, the Decision and summary.json all come
//! from here.

use crate::report::format::{fmt_ms, signed_ms};
use crate::stats::drift::{attribute, Split};
use crate::stats::sequential::StopRule;
use crate::stats::summary::{round3, CONFIDENCE};
use crate::stats::two_cells::RunTime;
use crate::stats::verdict::Verdict;

/// The id of the no-cache option of a situation (whose strategy may also be one of
/// the caches).
pub const NO_CACHE_ID: &str = "no-cache";

/// How an option id reads in a sentence: `no cache` for the no-cache option.
pub fn said(id: &str) -> &str {
    if id == NO_CACHE_ID {
        "no cache"
    } else {
        id
    }
}

/// One option as the rule sees it.
#[derive(Debug, Clone, Copy)]
pub struct Contender<'a> {
    pub id: &'a str,
    /// The state its runs were measured in (a lead across states is never noise).
    pub state: &'a str,
    pub no_cache: bool,
    pub median_ms: f64,
    /// Every sample's wall seconds with its block (group and round).
    pub times: &'a [RunTime],
    /// Every sample's wall and steps seconds; `None` when some sample lacks steps.
    pub splits: Option<&'a [Split]>,
}

/// The rule records are read with: the `--reps auto` rule that stopped them (with
/// its correction for repeated looks), else the rule asked for this reading (the
/// defaults unless `report` was told otherwise), looked at once.
pub fn reading_rule(stopped_by: Option<&StopRule>, asked: Option<&StopRule>) -> StopRule {
    match stopped_by {
        Some(r) => r.clone(),
        None => asked.cloned().unwrap_or_default().single_look(),
    }
}

/// Settles options (any order) by `rule`, then refines a lead that is noise in the
/// build; the sentence that says so comes with it.
pub fn judge(options: &[Contender], rule: &StopRule) -> (Verdict<String>, Option<String>) {
    let samples: Vec<Vec<RunTime>> = options.iter().map(|o| o.times.to_vec()).collect();
    let verdict = rule.judge(&samples).map(|i| options[i].id.to_string());
    match steps_noise(&verdict, options) {
        Some((noise, note)) => (noise, Some(note)),
        None => (verdict, None),
    }
}

/// Settles an ephemeral runner's options: the caches among themselves (the family
/// their state's verdict settles, so the two agree), then the leading cache against
/// no cache by the same rule. A cache not shown faster than no cache by more than
/// the margin has not earned its keep: the answer is then a tie with no cache, no
/// cache ahead, or leaning.
pub fn judge_against_no_cache(
    options: &[Contender],
    rule: &StopRule,
) -> (Verdict<String>, Option<String>) {
    let caches: Vec<Contender> = options.iter().filter(|o| !o.no_cache).copied().collect();
    let Some(base) = options.iter().find(|o| o.no_cache) else {
        return judge(&caches, rule);
    };
    let (among, note) = judge(&caches, rule);
    let Some(best) = among
        .option()
        .and_then(|id| caches.iter().find(|o| o.id == id))
    else {
        return judge(std::slice::from_ref(base), rule);
    };
    match judge(&[*best, *base], rule) {
        (Verdict::Winner { option, .. }, _)
            if option == best.id && !matches!(among, Verdict::Alone { .. }) =>
        {
            (among, note)
        }
        (Verdict::Tie { .. }, _) => (
            Verdict::Tie {
                options: vec![NO_CACHE_ID.to_string(), best.id.to_string()],
            },
            note,
        ),
        other => other,
    }
}

/// When the verdict's leading option is ahead of the runner-up, or of no cache,
/// only in the build steps (both ran the same state, so the same steps, cached
/// alike), the verdict becomes [`Verdict::Noise`] with a sentence that says so.
fn steps_noise(
    verdict: &Verdict<String>,
    options: &[Contender],
) -> Option<(Verdict<String>, String)> {
    let (leader, runner_up) = match verdict {
        Verdict::Winner { option, runner_up }
        | Verdict::Leaning {
            option, runner_up, ..
        } => (option, Some(runner_up)),
        Verdict::Tie { options } => (options.first()?, None),
        _ => return None,
    };
    let find = |s: &str| options.iter().find(|o| o.id == s);
    let w = find(leader)?;
    let mut others: Vec<&Contender> = runner_up.and_then(|r| find(r)).into_iter().collect();
    others.extend(
        options
            .iter()
            .filter(|o| o.no_cache && o.id != leader.as_str()),
    );
    others.into_iter().find_map(|r| noise_between(w, r))
}

fn noise_between(w: &Contender, r: &Contender) -> Option<(Verdict<String>, String)> {
    if w.id == r.id || w.state != r.state || w.median_ms >= r.median_ms {
        return None;
    }
    let at = attribute(w.splits?, r.splits?, CONFIDENCE)?;
    if !at.steps_only {
        return None;
    }
    let note = format!(
        "{} is {} faster than {} on average, but {} of that is in the build steps, work that is identical whichever cache is used, and the rest ({}) is not shown to differ: noise in the build itself, not the cache.",
        said(w.id),
        fmt_ms(at.wall * 1000.0),
        said(r.id),
        fmt_ms(at.steps * 1000.0),
        signed_ms(at.rest * 1000.0)
    );
    Some((
        Verdict::Noise {
            option: w.id.to_string(),
            runner_up: r.id.to_string(),
            wall_diff_ms: round3(at.wall * 1000.0),
            steps_diff_ms: round3(at.steps * 1000.0),
        },
        note,
    ))
}

/// How a cell stands in its group's verdict, one word for the Results table and
/// summary.csv: `winner`, `tie`, `slower` (shown slower than the winner or the
/// tie), `leaning` (the one the verdict leans to), `unsettled`, `noise`, `alone`.
pub fn standing(verdict: &Verdict<String>, id: &str) -> &'static str {
    let is = |o: &String| o == id;
    match verdict {
        Verdict::NoData => "",
        Verdict::Alone { .. } => "alone",
        Verdict::Winner { option, .. } if is(option) => "winner",
        Verdict::Winner { .. } => "slower",
        Verdict::Tie { options } if options.iter().any(is) => "tie",
        Verdict::Tie { .. } => "slower",
        Verdict::Leaning { option, .. } if is(option) => "leaning",
        Verdict::Leaning { .. } => "unsettled",
        Verdict::Noise {
            option, runner_up, ..
        } if is(option) || is(runner_up) => "noise",
        Verdict::Noise { .. } => "unsettled",
    }
}
