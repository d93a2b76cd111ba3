//! The verdict per state in words: each image store × builder × state × change
//! group's [`Verdict`], settled by the one rule in the analysis
//! ([`crate::report::judge`]), as the report's "Verdict per state" says it.

use crate::report::analysis::{Analysis, Group};
use crate::report::decision::sentences::IMPRACTICAL_RUNS;
use crate::report::format::fmt_ratio;
use crate::report::judge::said;
use crate::stats::verdict::Verdict;

/// One sentence (Markdown) for a group's verdict.
pub fn sentence(a: &Analysis, g: &Group) -> String {
    let rule = a.reading_rule();
    let ratio = |x: &str, y: &str| {
        let med = |s: &str| {
            a.cells_of(g)
                .find(|c| c.key.strategy == s)
                .and_then(|c| c.wall.as_ref())
                .map(|w| w.median)
        };
        match (med(x), med(y)) {
            (Some(x), Some(y)) if x > 0.0 => fmt_ratio(y / x),
            _ => "–".to_string(),
        }
    };
    let typical = a
        .cells_of(g)
        .filter_map(|c| c.wall.as_ref())
        .map(|w| w.median / 1000.0)
        .fold(f64::INFINITY, f64::min);
    let compared = a.cells_of(g).filter(|c| c.wall.is_some()).count();
    match &g.verdict {
        Verdict::NoData => "no strategy has a sample: every run was skipped, failed, failed its state check or was disturbed.".to_string(),
        Verdict::Alone { option } => {
            format!("only **{option}** has successful runs; nothing to compare.")
        }
        Verdict::Winner { option, runner_up } => format!(
            "**{option}** wins: shown faster than every other strategy at {}% confidence; the next, {runner_up}, takes {} as long.",
            (rule.confidence * 1000.0).round() / 10.0,
            ratio(option, runner_up)
        ),
        Verdict::Tie { options } => format!(
            "**tie**: {} are {}, so either will do{}.",
            options.join(", "),
            rule.margin_words(typical),
            if options.len() < compared {
                "; the others are slower"
            } else {
                ""
            }
        ),
        Verdict::Leaning {
            option,
            runner_up,
            more_runs,
            futile,
        } => format!(
            "leaning to {}, not settled against {}: {}{}.",
            said(option),
            said(runner_up),
            match more_runs {
                Some(n) if *n > IMPRACTICAL_RUNS => format!(
                    "only about {n} more runs per cell would settle it, so treat them as equal"
                ),
                Some(n) => format!(
                    "about {n} more run{} per cell would settle it",
                    if *n == 1 { "" } else { "s" }
                ),
                None => "more runs may not settle it (too few runs to estimate, or a difference of about 0 with too wide a spread for a tie)".to_string(),
            },
            if *futile { "; the run stopped it as futile" } else { "" }
        ),
        Verdict::Noise { .. } => g.notes.join(" "),
    }
}
