//! The Decision's sentences: the recommendation of each situation in one sentence
//! (per change, builder and store when the answer depends on them, or once when
//! every case picks the same cache), the qualifier of each call (settled, a tie,
//! leaning with the runs that would settle it, noise in the build), and the plain
//! sentence for a cache that does not pay for itself.

use crate::report::analysis::Analysis;
use crate::report::decision::local::BestEffort;
use crate::report::decision::options::said;
use crate::report::decision::settle::Call;
use crate::report::format::fmt_ms;
use crate::report::format::fmt_range;
use crate::report::labels;
use crate::stats::summary::MedianCi;
use crate::{
    report::decision::options::OptionStats,
    report::decision::{Scope, SituationKind},
};

/// `8.45 s, interval 8.28–8.81 s` (for sentences: no nested parentheses).
fn median_text(median: f64, ci: Option<MedianCi>) -> String {
    match ci {
        Some(c) => format!(
            "{}, interval {}",
            fmt_ms(median),
            fmt_range(c.lo as f64, c.hi as f64)
        ),
        None => format!("{} from a single run", fmt_ms(median)),
    }
}

/// The plain sentence for a cache that is not faster than no cache.
pub fn does_not_pay(o: &OptionStats, no_cache_ms: f64) -> String {
    let more = o.median_ms - no_cache_ms;
    match o.overhead_ms {
        Some(ov) => {
            let rest = o.median_ms - ov;
            let saved = no_cache_ms - rest;
            let tail = if saved > 0.0 {
                format!("more than the {} it saves in the build", fmt_ms(saved))
            } else {
                format!(
                    "and it saves nothing in the build (the rest takes {}, no less than a build with no cache)",
                    fmt_ms(rest)
                )
            };
            format!(
                "{} does not pay for itself: {} against {} with no cache; its import and export take {}, {tail}.",
                o.strategy,
                fmt_ms(o.median_ms),
                fmt_ms(no_cache_ms),
                fmt_ms(ov),
            )
        }
        None => format!(
            "{} does not pay for itself: {} against {} with no cache ({} more).",
            o.strategy,
            fmt_ms(o.median_ms),
            fmt_ms(no_cache_ms),
            fmt_ms(more)
        ),
    }
}

/// More runs per cell than a team would run to settle a verdict: beyond it, the
/// options are as good as equal.
pub const IMPRACTICAL_RUNS: u32 = 50;

pub fn qualifier(call: &Call) -> String {
    match call {
        Call::NoData => String::new(),
        Call::Single { .. } => "; the only option measured".to_string(),
        Call::Winner { confidence, .. } => format!(
            "; settled: shown faster than every other option at {}% confidence",
            (confidence * 1000.0).round() / 10.0
        ),
        Call::Tie { strategies, margin } => format!(
            "; a tie within ±{}% with {}: any of them will do",
            (margin * 1000.0).round() / 10.0,
            strategies[1..]
                .iter()
                .map(|s| said(s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Call::Leaning {
            more_runs: Some(n),
            runner_up,
            ..
        } if *n > IMPRACTICAL_RUNS => format!(
            "; leaning, not settled against {}, and only about {n} more runs per cell would settle it, so treat them as equal",
            said(runner_up)
        ),
        Call::Leaning {
            more_runs: Some(n),
            runner_up,
            ..
        } => format!(
            "; leaning, not settled against {}: about {n} more run{} per cell would settle it",
            said(runner_up),
            if *n == 1 { "" } else { "s" }
        ),
        Call::Leaning {
            more_runs: None,
            runner_up,
            ..
        } => format!(
            "; leaning, not settled against {}, and more runs may not settle it (too few runs to estimate, or a difference of about 0 with too wide a spread for a tie)",
            said(runner_up)
        ),
        Call::Noise { runner_up, .. } => format!(
            "; {} is as good: the lead lies in the build steps, noise in the build, not the cache",
            said(runner_up)
        ),
    }
}

/// Scope name when the situation has several: `source`, `deps (docker-container)`.
pub fn scope_label(a: &Analysis, s: &Scope) -> String {
    change_words(a, &s.change, &s.builder, &s.image_store)
}

/// `source change`, or `source change on docker-container` when builders (or
/// stores) must be told apart.
pub fn change_words(a: &Analysis, change: &str, builder: &str, store: &str) -> String {
    match labels::runs_on(a, builder, store) {
        Some(on) => format!("{change} change on {on}"),
        None => format!("{change} change"),
    }
}

/// When every scope picks the same strategy: `use **X** whatever changed: source
/// 8.45 s, deps 9.10 s; leaning, …`.
fn same_everywhere(scopes: &[Scope], a: &Analysis) -> Option<String> {
    let first = scopes.first()?.pick()?;
    if scopes.len() < 2
        || first.no_cache
        || scopes
            .iter()
            .any(|s| s.pick().map(|o| &o.strategy) != Some(&first.strategy))
    {
        return None;
    }
    let each: Vec<String> = scopes
        .iter()
        .filter_map(|s| {
            let o = s.pick()?;
            let saving = match (o.saving_ms, o.saving_pct) {
                (Some(sv), Some(p)) if sv >= 0.0 => {
                    format!(", {} ({p:.0}%) less than with no cache", fmt_ms(sv))
                }
                (Some(sv), Some(p)) => {
                    format!(", {} ({:.0}%) more than with no cache", fmt_ms(-sv), -p)
                }
                _ => String::new(),
            };
            Some(format!(
                "{} {}{saving}",
                scope_label(a, s),
                fmt_ms(o.median_ms)
            ))
        })
        .collect();
    let mut quals: Vec<String> = scopes.iter().map(|s| qualifier(&s.call)).collect();
    quals.dedup();
    let qual = match quals.as_slice() {
        [one] => one.clone(),
        _ => "; not every case is settled (see the tables)".to_string(),
    };
    Some(format!(
        "use **{}** in every case measured: {}{qual}",
        first.strategy,
        each.join("; ")
    ))
}

fn clause(s: &Scope) -> String {
    let Some(o) = s.pick() else {
        return "nothing measured".to_string();
    };
    let head = if o.no_cache {
        format!(
            "build with **no cache** ({}): {}",
            o.strategy,
            median_text(o.median_ms, o.ci)
        )
    } else {
        let vs = match (s.no_cache_ms, o.saving_ms, o.saving_pct) {
            (Some(n), Some(sv), Some(p)) if sv >= 0.0 => format!(
                ", {} ({p:.0}%) less than with no cache ({})",
                fmt_ms(sv),
                fmt_ms(n)
            ),
            (Some(n), Some(sv), Some(p)) => format!(
                ", {} ({:.0}%) more than with no cache ({})",
                fmt_ms(-sv),
                -p,
                fmt_ms(n)
            ),
            _ => String::new(),
        };
        format!(
            "use **{}**: {}{vs}",
            o.strategy,
            median_text(o.median_ms, o.ci)
        )
    };
    format!("{head}{}", qualifier(&s.call))
}

fn best_effort_clause(b: &BestEffort) -> String {
    let beats: Vec<String> = b
        .break_even
        .iter()
        .map(|e| match e.p_star {
            Some(p) if p <= 0.0 => format!("{} always", e.strategy),
            Some(p) => format!("{} above {:.0}%", e.strategy, p * 100.0),
            None => format!("{} never (it is faster than a hit)", e.strategy),
        })
        .collect();
    let tail = if beats.is_empty() {
        String::new()
    } else {
        format!(
            "; on average it beats a remote cache only at these hit rates: {}",
            beats.join(", ")
        )
    };
    format!(
        "**{}** takes {} on a hit and {} on a miss{tail}",
        b.strategy,
        fmt_ms(b.warm_ms),
        fmt_ms(b.cold_ms),
    )
}

/// The recommendation sentence of a situation.
pub fn recommendation(
    kind: SituationKind,
    a: &Analysis,
    scopes: &[Scope],
    best_effort: &[BestEffort],
    differs: bool,
) -> String {
    let lead = match kind {
        SituationKind::EphemeralRunner => "On an ephemeral runner",
        SituationKind::WarmHost => "On a warm host",
        SituationKind::BestEffortLocal => "With a best-effort local cache",
    };
    let clauses: Vec<(String, String)> = if kind == SituationKind::BestEffortLocal {
        best_effort
            .iter()
            .map(|b| {
                let label = change_words(a, &b.change, &b.builder, &b.image_store);
                (label, best_effort_clause(b))
            })
            .collect()
    } else {
        scopes
            .iter()
            .map(|s| (scope_label(a, s), clause(s)))
            .collect()
    };
    let depends = if differs {
        " the answer depends on what changed:"
    } else {
        ""
    };
    if let Some(c) = same_everywhere(scopes, a) {
        return format!("{lead}, {c}.");
    }
    match clauses.as_slice() {
        [] => format!("{lead}: nothing was measured."),
        [(label, c)] => format!("{lead} ({label}), {c}."),
        many => {
            let parts: Vec<String> = many
                .iter()
                .map(|(label, c)| format!("for a {label}, {c}"))
                .collect();
            format!("{lead},{depends} {}.", parts.join("; "))
        }
    }
}
