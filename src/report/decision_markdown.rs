//! The Decision as Markdown: per CI situation the recommendation in one sentence,
//! then one short table (narrow enough for GitHub's 890 px column), then plain notes
//! (a cache that does not pay for itself, a difference that is noise in the build).

use crate::report::analysis::Analysis;
use crate::report::decision::{Decision, OptionStats, Scope, Situation, SituationKind};
use crate::report::decision_local::BestEffort;
use crate::report::decision_settle::Call;
use crate::report::export::{fmt_bytes, fmt_ms};
use crate::report::labels;
use crate::stats::MedianCi;
use std::fmt::Write;

/// `8.28–8.81 s`, `850 ms–1.20 s`: a range with its unit said once when shared.
pub fn fmt_range(lo: f64, hi: f64) -> String {
    let (l, h) = (fmt_ms(lo), fmt_ms(hi));
    for unit in [" s", " ms"] {
        if let (Some(l), true) = (l.strip_suffix(unit), h.ends_with(unit)) {
            return format!("{l}–{h}");
        }
    }
    format!("{l}–{h}")
}

/// `8.45 s (8.28–8.81 s)`; `8.45 s (n = 1)` without an interval.
pub fn median_interval(median: f64, ci: Option<MedianCi>) -> String {
    match ci {
        Some(c) => format!(
            "{} ({})",
            fmt_ms(median),
            fmt_range(c.lo as f64, c.hi as f64)
        ),
        None => format!("{} (n = 1)", fmt_ms(median)),
    }
}

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

/// `6.79 s (45%)`, negative when slower.
fn saving(o: &OptionStats) -> String {
    match (o.saving_ms, o.saving_pct) {
        _ if o.no_cache => "–".to_string(),
        (Some(s), Some(p)) => format!("{} ({:.0}%)", signed_ms(s), p),
        _ => "–".to_string(),
    }
}

fn signed_ms(ms: f64) -> String {
    if ms < 0.0 {
        format!("−{}", fmt_ms(-ms))
    } else {
        fmt_ms(ms)
    }
}

fn registry(o: &OptionStats) -> String {
    match (o.manifests, o.bytes) {
        (Some(0), Some(0)) => "nothing".to_string(),
        (Some(m), Some(b)) => format!(
            "{m} manifest{}, {}",
            if m == 1 { "" } else { "s" },
            fmt_bytes(b)
        ),
        _ => "–".to_string(),
    }
}

fn option_name(o: &OptionStats) -> String {
    if o.no_cache {
        format!("no cache ({})", o.strategy)
    } else {
        o.strategy.clone()
    }
}

/// The plain sentence for a cache that is not faster than no cache.
pub fn does_not_pay(o: &OptionStats, no_cache_ms: f64) -> String {
    let more = o.median_ms - no_cache_ms;
    match o.overhead_ms {
        Some(ov) => {
            let saved = no_cache_ms - (o.median_ms - ov);
            format!(
                "{} does not pay for itself: {} against {} with no cache; its import and export take {}, more than the {} it saves in the build.",
                o.strategy,
                fmt_ms(o.median_ms),
                fmt_ms(no_cache_ms),
                fmt_ms(ov),
                fmt_ms(saved.max(0.0))
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

fn qualifier(call: &Call) -> String {
    match call {
        Call::NoData => String::new(),
        Call::Single { .. } => "; the only option measured".to_string(),
        Call::Winner { coverage, .. } => format!(
            "; settled (intervals disjoint at {}% coverage)",
            (coverage * 1000.0).round() / 10.0
        ),
        Call::Tie { strategies } => format!(
            "; a tie with {}: any of them will do",
            strategies[1..].join(", ")
        ),
        Call::Leaning { more_runs, .. } => format!(
            "; leaning, not settled: {more_runs} more run{} per cell would settle it",
            if *more_runs == 1 { "" } else { "s" }
        ),
        Call::Noise { runner_up, .. } => format!(
            "; its lead over {runner_up} is in the build steps, noise in the build, not the cache"
        ),
    }
}

/// Scope name when the situation has several: `source`, `deps (docker-container)`.
fn scope_label(a: &Analysis, s: &Scope) -> String {
    change_words(a, &s.change, &s.builder, &s.image_store)
}

/// `source change`, or `source change on docker-container` when builders (or
/// stores) must be told apart.
fn change_words(a: &Analysis, change: &str, builder: &str, store: &str) -> String {
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

fn scope_table(out: &mut String, a: &Analysis, s: &Situation) {
    let many = s.scopes.len() > 1;
    for sc in &s.scopes {
        if many {
            let _ = writeln!(out, "**{}**\n", scope_label(a, sc));
        }
        out.push_str("| option | median (interval) | saving vs no cache | registry |\n");
        out.push_str("|---|--:|--:|---|\n");
        let pick = sc.pick().map(|o| o.id().to_string());
        for o in &sc.options {
            let name = option_name(o);
            let name = if pick.as_deref() == Some(o.id()) {
                format!("**{name}**")
            } else {
                name
            };
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} |",
                median_interval(o.median_ms, o.ci),
                saving(o),
                registry(o)
            );
        }
        out.push('\n');
        for n in &sc.notes {
            let _ = writeln!(out, "- {n}");
        }
        if !sc.notes.is_empty() {
            out.push('\n');
        }
    }
}

fn best_effort_table(out: &mut String, a: &Analysis, b: &BestEffort) {
    if labels::runs_on(a, &b.builder, &b.image_store).is_some() {
        let _ = writeln!(
            out,
            "**{}**\n",
            change_words(a, &b.change, &b.builder, &b.image_store)
        );
    }
    let heads: Vec<String> = b
        .break_even
        .iter()
        .map(|e| format!("vs {}", e.strategy))
        .collect();
    let _ = writeln!(
        out,
        "| hit probability p | expected time | {} |",
        heads.join(" | ")
    );
    let _ = writeln!(out, "|--:|--:|{}", "--:|".repeat(heads.len()));
    for e in &b.expected {
        let vs: Vec<String> = b
            .break_even
            .iter()
            .map(|r| {
                let d = e.expected_ms - r.remote_ms;
                if d > 0.0 {
                    format!("+{}", fmt_ms(d))
                } else {
                    signed_ms(d)
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "| {:.2} | {} | {} |",
            e.p,
            fmt_ms(e.expected_ms),
            vs.join(" | ")
        );
    }
    out.push('\n');
}

/// What a situation is, in its heading.
fn situation_heading(kind: SituationKind) -> &'static str {
    match kind {
        SituationKind::EphemeralRunner => "Ephemeral runner (every job starts empty)",
        SituationKind::WarmHost => "Warm host (self-hosted, or a local cache that hit)",
        SituationKind::BestEffortLocal => {
            "Best-effort local cache (CodeBuild `LOCAL_DOCKER_LAYER_CACHE`)"
        }
    }
}

/// The Decision section (`## Decision` and one subsection per situation).
pub fn render(a: &Analysis, d: &Decision) -> String {
    let mut out = String::from("## Decision\n\n");
    if d.situations.is_empty() {
        out.push_str("No situation can be decided: the matrix has no warm-local or warm-remote cells with successful runs.\n\n");
        return out;
    }
    for s in &d.situations {
        let _ = writeln!(out, "### {}\n", situation_heading(s.situation));
        let _ = writeln!(out, "{}\n", s.recommendation);
        if s.situation == SituationKind::BestEffortLocal {
            for b in &s.best_effort {
                best_effort_table(&mut out, a, b);
            }
            let remotes: Vec<String> = s
                .best_effort
                .first()
                .map(|b| {
                    b.break_even
                        .iter()
                        .map(|e| format!("{} {}", e.strategy, fmt_ms(e.remote_ms)))
                        .collect()
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "Expected time E(p) = p·warm + (1 − p)·cold at hit probability p, from the measured medians, against each remote cache's warm-remote median ({}); a negative difference means the local cache is faster on average.\n",
                remotes.join(", ")
            );
        } else {
            scope_table(&mut out, a, s);
        }
    }
    out
}
