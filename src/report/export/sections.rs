//! The sections both Markdown forms are made of (`report.md`, and `github.md` for a
//! job summary or PR comment): the header, the verdict per state, warnings, the
//! wide Results and Phases tables, the registry footprint, methods, environment.

use crate::error::Result;
use crate::records::record::OTHER_WARN_SHARE;
use crate::report::analysis::Analysis;
use crate::report::cell_stats::CellStats;
use crate::report::decision::Decision;
use crate::report::export::summary_json::{
    METHOD_CI, METHOD_OUTLIERS, METHOD_PERCENTILES, METHOD_SAMPLES,
};
use crate::report::export::ReportData;
use crate::report::format::{fmt_bytes, fmt_ms, fmt_ratio};
use crate::report::labels;
use crate::stats::summary::Ratio;
use std::fmt::Write;

fn ratio_with_interval(r: &Ratio) -> String {
    match (r.lo, r.hi) {
        (Some(lo), Some(hi)) => format!(
            "{} (interval {}–{})",
            fmt_ratio(r.ratio),
            fmt_ratio(lo),
            fmt_ratio(hi)
        ),
        _ => format!("{} (no interval)", fmt_ratio(r.ratio)),
    }
}

fn status_counts(c: &CellStats) -> String {
    let k = &c.counts;
    let mut parts = vec![format!("{} ok", k.ok)];
    for (n, label) in [
        (k.failed, "failed"),
        (k.timeout, "timeout"),
        (k.skipped, "skipped"),
        (k.interrupted, "interrupted"),
        (k.warmup, "warm-up"),
        (k.state_failed, "state check failed"),
        (k.disturbed, "disturbed"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {label}"));
        }
    }
    parts.join(", ")
}

fn cell_row(out: &mut String, c: &CellStats) {
    let esc = |s: &str| s.replace('|', "\\|");
    let reasons = c
        .reasons
        .iter()
        .map(|r| esc(r))
        .collect::<Vec<_>>()
        .join("; ");
    let Some(w) = &c.wall else {
        let _ = writeln!(
            out,
            "| {} | 0 | – | – | – | – | – | – | – | – | {} | {} |",
            c.key.strategy,
            status_counts(c),
            reasons
        );
        return;
    };
    let ci = match w.ci {
        Some(ci) if ci.nominal => format!("{} – {}", fmt_ms(ci.lo as f64), fmt_ms(ci.hi as f64)),
        Some(ci) => format!(
            "{} – {} ({}% only)",
            fmt_ms(ci.lo as f64),
            fmt_ms(ci.hi as f64),
            (ci.coverage * 1000.0).round() / 10.0
        ),
        None => "none (n = 1)".to_string(),
    };
    let rel = match &c.relative {
        Some(r) if r.fastest == c.key.strategy => "fastest".to_string(),
        Some(r) => format!(
            "{}{}",
            ratio_with_interval(&r.ratio),
            standing_tag(&r.standing)
        ),
        None => "–".to_string(),
    };
    let outliers = if c.outliers.is_empty() {
        "none".to_string()
    } else {
        let reps: Vec<String> = c.outliers.iter().map(|r| format!("#{r}")).collect();
        format!(
            "{}{}",
            reps.join(" "),
            if c.slow_first_run {
                " (slow first run)"
            } else {
                ""
            }
        )
    };
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        c.key.strategy,
        w.n,
        fmt_ms(w.median),
        ci,
        fmt_ms(w.min as f64),
        fmt_ms(w.max as f64),
        fmt_ms(w.p90 as f64),
        w.stddev.map_or("–".to_string(), fmt_ms),
        rel,
        outliers,
        status_counts(c),
        reasons
    );
}

/// `# cachebench report: …` and the line naming workload, engine and stores.
pub fn header(out: &mut String, data: &ReportData<'_>, title: &str) {
    let a = data.analysis;
    let _ = writeln!(out, "# {title}: {}\n", a.scenarios.join(", "));
    let engine = data
        .env
        .and_then(|e| e.engine_version.clone())
        .unwrap_or_else(|| "unknown engine".to_string());
    let stores = if labels::shows_store(a) {
        format!(" ({} image store)", a.image_stores.join(" and "))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "Workload `{}` on Docker engine {engine}{stores}. Statistics count measured runs with status ok whose state check passed and that were not disturbed (lost no more than `--disturbed-share` of their CPU to the hypervisor).\n",
        a.workloads.join("`, `")
    );
}

/// `## Decision`.
pub fn decision(out: &mut String, a: &Analysis) {
    let d = Decision::from_analysis(a);
    out.push_str(&crate::report::decision::markdown::render(a, &d));
}

/// `## Verdict per state`: one sentence per group, by the one rule.
pub fn verdicts(out: &mut String, a: &Analysis) {
    out.push_str("## Verdict per state\n\n");
    for g in &a.groups {
        // A state's verdict reads the builds; a local cache folder's job also pays
        // actions/cache's transfers, which the Decision counts.
        let transfers = a
            .cells_of(g)
            .any(|c| c.phases.iter().any(|p| p.phase == "cache_restore"));
        let sentence = crate::report::decision::per_state::sentence(a, g);
        let sentence = if transfers {
            format!(
                "{} (the builds alone; the Decision adds actions/cache's restore and save to local-cache).",
                sentence.trim_end_matches('.')
            )
        } else {
            sentence
        };
        let _ = writeln!(out, "- **{}**: {sentence}", labels::group_title(a, g));
    }
    out.push('\n');
}

/// `, tie` after a ratio: how a cell stands in its group's verdict, for the
/// Results tables (nothing for `slower` and `unsettled`, which the verdict beside
/// the table says).
pub fn standing_tag(standing: &str) -> String {
    match standing {
        "tie" | "noise" | "leaning" | "winner" => format!(", {standing}"),
        _ => String::new(),
    }
}

/// `## Warnings`, when there are any.
pub fn warnings(out: &mut String, data: &ReportData<'_>) {
    let a = data.analysis;
    let mut warnings: Vec<String> = data.warnings.to_vec();
    if a.workloads.len() > 1 {
        warnings.push(format!(
            "runs of {} different workloads are mixed in this folder",
            a.workloads.len()
        ));
    }
    let big_other: Vec<String> = a
        .cells
        .iter()
        .filter(|c| c.other_share.is_some_and(|s| s > OTHER_WARN_SHARE))
        .map(|c| {
            format!(
                "{} ({:.0}%)",
                labels::cell(a, &c.key),
                c.other_share.unwrap_or(0.0) * 100.0
            )
        })
        .collect();
    if !big_other.is_empty() {
        warnings.push(format!(
            "unattributed time (`other`: CLI start-up, session set-up, gaps between vertices) exceeds {}% of wall time in: {}",
            OTHER_WARN_SHARE * 100.0,
            big_other.join(", ")
        ));
    }
    if let Some(w) = a.contention.as_ref().and_then(|c| c.warning()) {
        warnings.push(w);
    }
    for c in a.cells.iter().filter(|c| c.slow_first_run) {
        warnings.push(format!(
            "{}: the first measured run is much slower than the rest (an outlier); add warm-up runs",
            labels::cell(a, &c.key)
        ));
    }
    if !warnings.is_empty() {
        out.push_str("## Warnings\n\n");
        for w in &warnings {
            let _ = writeln!(out, "- {w}");
        }
        out.push('\n');
    }
}

/// The wide Results tables, one per group, under `heading` (`##` or a bold line).
pub fn results_tables(out: &mut String, a: &Analysis, level: &str) {
    for g in &a.groups {
        let _ = writeln!(out, "{level} {}\n", labels::group_title(a, g));
        out.push_str("| strategy | n | median | 95% CI of median | min | max | p90 | stddev | vs fastest | outliers | runs | reasons |\n");
        out.push_str("|---|--:|--:|--:|--:|--:|--:|--:|---|---|---|---|\n");
        for c in a.cells_of(g) {
            cell_row(out, c);
        }
        out.push('\n');
    }
}

/// The wide Phases tables (every phase's median), one per group; false when no
/// cell has phase data.
pub fn phases_tables(out: &mut String, a: &Analysis, level: &str) -> bool {
    if !a.cells.iter().any(|c| !c.phases.is_empty()) {
        return false;
    }
    out.push_str("Median time per phase (each phase's own median, so a row need not add up to the wall median).\n\n");
    for g in &a.groups {
        let cells: Vec<&CellStats> = a.cells_of(g).filter(|c| !c.phases.is_empty()).collect();
        if cells.is_empty() {
            continue;
        }
        let mut names: Vec<&str> = vec![];
        for c in &cells {
            for p in &c.phases {
                if !names.contains(&p.phase.as_str()) {
                    names.push(&p.phase);
                }
            }
        }
        let _ = writeln!(out, "{level} {}\n", labels::group_title(a, g));
        let _ = writeln!(out, "| strategy | {} |", names.join(" | "));
        let _ = writeln!(out, "|---|{}", "--:|".repeat(names.len()));
        for c in cells {
            let vals: Vec<String> = names
                .iter()
                .map(|n| {
                    c.phases
                        .iter()
                        .find(|p| p.phase == *n)
                        .map_or("–".to_string(), |p| fmt_ms(p.stats.median))
                })
                .collect();
            let _ = writeln!(out, "| {} | {} |", c.key.strategy, vals.join(" | "));
        }
        out.push('\n');
    }
    true
}

/// The registry footprint table; false when no run left anything.
pub fn footprint_table(out: &mut String, a: &Analysis) -> bool {
    if !a.left_anything_in_registry() {
        return false;
    }
    out.push_str("What one run leaves in the registry (medians): manifests its tags reach (an index, image and attestation manifests: what ECR lifecycle rules count) and the bytes of the distinct blobs and manifests they reference.\n\n");
    out.push_str("| cell | manifests | of which attestations | bytes |\n|---|--:|--:|--:|\n");
    for c in a.cells.iter() {
        if let Some(fp) = &c.footprint {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                labels::cell(a, &c.key),
                fp.manifests,
                fp.attestations,
                fmt_bytes(fp.bytes)
            );
        }
    }
    out.push('\n');
    true
}

/// The methods, as a list.
pub fn methods(out: &mut String, a: &Analysis) {
    let _ = writeln!(out, "- Samples: {METHOD_SAMPLES}.");
    let _ = writeln!(out, "- Percentiles: {METHOD_PERCENTILES}.");
    let _ = writeln!(out, "- Confidence interval: {METHOD_CI}.");
    let _ = writeln!(out, "- Outliers: {METHOD_OUTLIERS}.");
    out.push_str("- Vs fastest (Results tables): each median over the fastest's in its group, with the interval from the two median intervals; the tag after it is the cell's standing in its group's verdict (winner, tie, leaning, noise), the same verdict the Verdict per state gives.\n");
    let _ = writeln!(
        out,
        "- Decision and verdict per state: {}.\n",
        crate::report::decision::method(a)
    );
}

/// The environment table (`env.json`).
pub fn environment(out: &mut String, data: &ReportData<'_>) -> Result<()> {
    match data.env {
        None => out.push_str("No `env.json` was found.\n"),
        Some(e) => {
            let v = serde_json::to_value(e).map_err(anyhow::Error::from)?;
            out.push_str("| field | value |\n|---|---|\n");
            if let Some(obj) = v.as_object() {
                // A merged folder's hosts have a section of their own.
                for (k, val) in obj.iter().filter(|(k, _)| *k != "hosts") {
                    let shown = match val {
                        serde_json::Value::Null => "unknown".to_string(),
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let _ = writeln!(out, "| {k} | {} |", shown.replace('|', "\\|"));
                }
            }
        }
    }
    Ok(())
}
