//! The Decision as Markdown: per CI situation the recommendation in one sentence
//! ([`crate::report::decision::sentences`]), then one short table per change (narrow
//! enough for GitHub's 890 px column), then plain notes (a cache that does not pay
//! for itself, a difference that is noise in the build).

use crate::report::analysis::Analysis;
use crate::report::decision::local::BestEffort;
use crate::report::decision::sentences::{change_words, coverage_note};
use crate::report::format::{fmt_bytes, fmt_ms, fmt_range, signed_ms};
use crate::stats::summary::MedianCi;
use crate::{
    report::decision::options::OptionStats,
    report::decision::{Decision, Situation, SituationKind},
};
use std::fmt::Write;

/// `8.45 s (8.28–8.81 s)`; `8.45 s (n = 1)` without an interval; an interval whose
/// coverage is below the confidence is marked `*` (the table's note says why).
pub fn median_interval(median: f64, ci: Option<MedianCi>, confidence: f64) -> String {
    match ci {
        Some(c) => format!(
            "{} ({}){}",
            fmt_ms(median),
            fmt_range(c.lo as f64, c.hi as f64),
            if coverage_note(c, confidence).is_empty() {
                ""
            } else {
                "*"
            }
        ),
        None => format!("{} (n = 1)", fmt_ms(median)),
    }
}

/// `6.79 s (45%)`, negative when slower.
fn saving(o: &OptionStats) -> String {
    match (o.saving_ms, o.saving_pct) {
        _ if o.no_cache => "–".to_string(),
        (Some(s), Some(p)) if p < 0.0 => format!("{} (−{:.0}%)", signed_ms(s), -p),
        (Some(s), Some(p)) => format!("{} ({p:.0}%)", signed_ms(s)),
        _ => "–".to_string(),
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
    if o.no_cache && crate::report::decision::NO_CACHE.contains(&o.strategy.as_str()) {
        format!("no cache ({})", o.strategy)
    } else if o.no_cache {
        "no cache (cold build)†".to_string()
    } else {
        o.strategy.clone()
    }
}

fn scope_table(out: &mut String, a: &Analysis, s: &Situation, confidence: f64) {
    for sc in &s.scopes {
        let _ = writeln!(
            out,
            "**{}**\n",
            change_words(a, &sc.change, &sc.builder, &sc.image_store)
        );
        out.push_str("| option | median (interval) | saving vs no cache | registry |\n");
        out.push_str("|---|--:|--:|---|\n");
        let pick = sc.pick().map(|o| o.id().to_string());
        let mut low_coverage = false;
        for o in &sc.options {
            let name = option_name(o);
            let name = if pick.as_deref() == Some(o.id()) {
                format!("**{name}**")
            } else {
                name
            };
            let mut m = median_interval(o.median_ms, o.ci, confidence);
            low_coverage |= m.ends_with('*');
            if o.transfers_ms.is_some() {
                m.push_str(" ‡");
            }
            let _ = writeln!(out, "| {name} | {m} | {} | {} |", saving(o), registry(o));
        }
        out.push('\n');
        if let Some(o) = sc.options.iter().find(|o| {
            o.no_cache && !crate::report::decision::NO_CACHE.contains(&o.strategy.as_str())
        }) {
            let _ = writeln!(
                out,
                "† no cache is {}'s own cold build: no plain build ({}) was measured cold.\n",
                o.strategy,
                crate::report::decision::NO_CACHE.join(", ")
            );
        }
        for o in sc.options.iter().filter(|o| o.transfers_ms.is_some()) {
            let _ = writeln!(
                out,
                "‡ {}: the job's time, the build ({}) plus actions/cache's restore and save around it ({}).\n",
                o.strategy,
                fmt_ms(o.build_alone_ms.unwrap_or(0.0)),
                fmt_ms(o.transfers_ms.unwrap_or(0.0))
            );
        }
        if low_coverage {
            let _ = writeln!(
                out,
                "\\* an interval from too few runs to cover the median at {:.0}%: with 2 to 5 runs it is their min–max, which covers the median 50% (2 runs) to 94% (5 runs) of the time.\n",
                confidence * 100.0
            );
        }
        for n in &sc.notes {
            let _ = writeln!(out, "- {n}");
        }
        if !sc.notes.is_empty() {
            out.push('\n');
        }
    }
}

fn best_effort_table(out: &mut String, a: &Analysis, b: &BestEffort) {
    let _ = writeln!(
        out,
        "**{}**{}\n",
        change_words(a, &b.change, &b.builder, &b.image_store),
        if b.strategy == "layer-cache" {
            String::new()
        } else {
            format!(
                " ({} warm-local stands in for the layer cache, not measured)",
                b.strategy
            )
        }
    );
    let mut heads: Vec<String> = vec!["hit probability p".into(), "expected time".into()];
    heads.extend(b.break_even.iter().map(|e| format!("vs {}", e.strategy)));
    let _ = writeln!(out, "| {} |", heads.join(" | "));
    let _ = writeln!(out, "|{}", "--:|".repeat(heads.len()));
    for e in &b.expected {
        let mut row = vec![format!("{:.2}", e.p), fmt_ms(e.expected_ms)];
        row.extend(b.break_even.iter().map(|r| {
            let d = e.expected_ms - r.remote_ms;
            if d > 0.0 {
                format!("+{}", fmt_ms(d))
            } else {
                signed_ms(d)
            }
        }));
        let _ = writeln!(out, "| {} |", row.join(" | "));
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
    let _ = writeln!(
        out,
        "Options {} count as equal; one answer per situation weighs the changes measured by the change mix ({}).\n",
        d.margin.replacen("the larger of", "within the larger of", 1),
        d.mix_words()
    );
    for s in &d.situations {
        let sub;
        let a = if a.has_links() {
            sub = a.for_link(&s.link);
            let _ = writeln!(
                out,
                "### {} {}\n",
                situation_heading(s.situation),
                crate::report::decision::link_words(a, &s.link)
            );
            &sub
        } else {
            let _ = writeln!(out, "### {}\n", situation_heading(s.situation));
            a
        };
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
            if remotes.is_empty() {
                let _ = writeln!(
                    out,
                    "Expected time E(p) = p·warm + (1 − p)·cold at hit probability p, from the measured medians; no remote cache has warm-remote runs to set it against.\n"
                );
            } else {
                let _ = writeln!(
                    out,
                    "Expected time E(p) = p·warm + (1 − p)·cold at hit probability p, from the measured medians, against each remote cache's warm-remote median as a job pays it, actions/cache's restore and save included ({}); a negative difference means the local cache is faster on average.\n",
                    remotes.join(", ")
                );
            }
        } else {
            scope_table(&mut out, a, s, d.confidence);
        }
    }
    if let Some(note) = &d.contention {
        let _ = writeln!(out, "**A contended machine.** {note}\n");
    }
    out
}

/// The Decision for a terminal: each situation's recommendation as plain text (no
/// Markdown emphasis), then its notes, for the end of `cachebench run`.
pub fn terminal(d: &Decision) -> String {
    let plain = |s: &str| s.replace("**", "").replace('`', "");
    let mut out = String::from("Decision:\n");
    if d.situations.is_empty() {
        out.push_str("  no situation can be decided: no warm-local or warm-remote cell has successful runs\n");
    }
    for s in &d.situations {
        let _ = writeln!(out, "- {}", plain(&s.recommendation));
        for n in s.scopes.iter().flat_map(|sc| &sc.notes) {
            let _ = writeln!(out, "  note: {}", plain(n));
        }
    }
    if let Some(note) = &d.contention {
        let _ = writeln!(out, "note: {note}");
    }
    out
}
