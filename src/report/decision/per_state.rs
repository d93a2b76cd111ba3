//! The verdict of every image store × builder × state × change group by the
//! Decision's rule ([`crate::report::decision::settle`]): a winner needs to be shown
//! faster at the stated confidence, with too few runs the answer is leaning (and how
//! many more runs would settle it), and a lead that lies only in the build steps is
//! noise in the build, not the cache. The report's "Verdict per state" reads these.

use crate::report::analysis::{Analysis, Group};
use crate::report::decision::options::said;
use crate::report::decision::options::{option, OptionStats};
use crate::report::decision::sentences::IMPRACTICAL_RUNS;
use crate::report::decision::settle::{reading_rule, settle, steps_noise, Call};
use crate::report::format::fmt_ratio;
use serde::{Deserialize, Serialize};

/// One group's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateVerdict {
    pub image_store: String,
    pub builder: String,
    pub state: String,
    pub change: String,
    pub call: Call,
    /// A lead that is noise in the build, with its numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Strategies with successful runs.
    pub compared: usize,
}

fn verdict(a: &Analysis, g: &Group) -> StateVerdict {
    let mut options: Vec<OptionStats> = a
        .cells
        .iter()
        .filter(|c| {
            c.key.image_store == g.image_store
                && c.key.builder == g.builder
                && c.key.state == g.state
                && c.key.change == g.change
        })
        .filter_map(|c| option(&[c], false))
        .collect();
    options.sort_by(|x, y| x.median_ms.total_cmp(&y.median_ms));
    let call = settle(&options, &reading_rule(a));
    let (call, notes) = match steps_noise(&call, &options) {
        Some((noise, note)) => (noise, vec![note]),
        None => (call, vec![]),
    };
    StateVerdict {
        image_store: g.image_store.clone(),
        builder: g.builder.clone(),
        state: g.state.clone(),
        change: g.change.clone(),
        call,
        notes,
        compared: options.len(),
    }
}

/// Every group's verdict, in the analysis' group order.
pub fn per_state(a: &Analysis) -> Vec<StateVerdict> {
    a.groups.iter().map(|g| verdict(a, g)).collect()
}

/// One sentence (Markdown) for a group's verdict.
pub fn sentence(v: &StateVerdict) -> String {
    match &v.call {
        Call::NoData => "no strategy has a successful run.".to_string(),
        Call::Single { strategy } => {
            format!("only **{strategy}** has successful runs; nothing to compare.")
        }
        Call::Winner {
            strategy,
            runner_up,
            ratio,
            confidence,
        } => format!(
            "**{strategy}** wins: shown faster than every other strategy at {}% confidence; the next, {runner_up}, takes {} as long.",
            (confidence * 1000.0).round() / 10.0,
            fmt_ratio(*ratio)
        ),
        Call::Tie { strategies, margin } => format!(
            "**tie** within ±{}% between {}{}.",
            (margin * 1000.0).round() / 10.0,
            strategies.join(", "),
            if strategies.len() < v.compared {
                "; the others are slower"
            } else {
                ""
            }
        ),
        Call::Leaning {
            strategy,
            runner_up,
            more_runs,
        } => format!(
            "leaning to {}, not settled against {}: {}.",
            said(strategy),
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
            }
        ),
        Call::Noise { .. } => v.notes.join(" "),
    }
}
