//! `report.md`: a verdict per image store × builder × state × change first (winner, by how much,
//! how sure — or a tie), then per-cell tables, phase tables, the charts twice (as
//! images by relative path, and as Mermaid `xychart-beta` blocks that render where
//! images do not, e.g. in a GitHub job summary), the methods, then the environment.

use crate::error::Result;
use crate::report::analysis::OTHER_FLAG_SHARE;
use crate::report::analysis::{Analysis, CellStats, Group, Verdict};
use crate::report::export::{fmt_ms, fmt_ratio, Exporter, ReportData};
use crate::report::export_json::{METHOD_CI, METHOD_OUTLIERS, METHOD_PERCENTILES, METHOD_SAMPLES};
use crate::report::labels;
use crate::report::stats::Ratio;
use std::fmt::Write;

/// Writes `report.md`.
pub struct MarkdownReport;

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

fn group_title(a: &Analysis, g: &Group) -> String {
    let mut on: Vec<String> = vec![];
    if a.builders.len() > 1 {
        on.push(format!("builder {}", g.builder));
    }
    if labels::shows_store(a) {
        on.push(format!("{} image store", g.image_store));
    }
    if on.is_empty() {
        format!("{} × {}", g.state, g.change)
    } else {
        format!("{} × {} ({})", g.state, g.change, on.join(", "))
    }
}

/// One sentence per group.
/// Bytes in binary units, one decimal.
pub fn fmt_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

pub fn verdict_sentence(g: &Group) -> String {
    match &g.verdict {
        Verdict::NoData => "no strategy has a successful run.".to_string(),
        Verdict::Single { strategy } => {
            format!("only **{strategy}** has successful runs; nothing to compare.")
        }
        Verdict::Winner { strategy, runner_up, ratio, coverage } => format!(
            "**{strategy}** wins: the next, {runner_up}, takes {} as long; their median intervals do not overlap (coverage ≥ {}%{}).",
            ratio_with_interval(ratio),
            (coverage * 1000.0).round() / 10.0,
            if *coverage < 0.95 { ", below 95%: add runs to be sure" } else { "" }
        ),
        Verdict::Tie { strategies, ratio } => format!(
            "**tie** between {}: median intervals overlap or a cell has a single run (the fastest, {}, is ahead of the next by {} only).",
            strategies.join(", "),
            strategies[0],
            ratio_with_interval(ratio)
        ),
    }
}

fn cells_of<'a>(a: &'a Analysis, g: &'a Group) -> impl Iterator<Item = &'a CellStats> + 'a {
    a.cells.iter().filter(move |c| {
        c.key.image_store == g.image_store
            && c.key.builder == g.builder
            && c.key.state == g.state
            && c.key.change == g.change
    })
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
            if r.tie_with_fastest { ", tie" } else { "" }
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

/// A Mermaid `xychart-beta` of the median wall time per strategy of one group.
pub fn mermaid_group(a: &Analysis, g: &Group) -> Option<String> {
    let cells: Vec<&CellStats> = cells_of(a, g).filter(|c| c.wall.is_some()).collect();
    if cells.is_empty() {
        return None;
    }
    let max = cells
        .iter()
        .filter_map(|c| c.wall.as_ref())
        .map(|w| w.median)
        .fold(0.0, f64::max);
    let names: Vec<String> = cells
        .iter()
        .map(|c| format!("\"{}\"", c.key.strategy))
        .collect();
    let values: Vec<String> = cells
        .iter()
        .filter_map(|c| c.wall.as_ref())
        .map(|w| format!("{:.2}", w.median / 1000.0))
        .collect();
    Some(format!(
        "```mermaid\nxychart-beta\n    title \"{}: median wall time\"\n    x-axis [{}]\n    y-axis \"wall time (s)\" 0 --> {}\n    bar [{}]\n```\n",
        group_title(a, g),
        names.join(", "),
        (max / 1000.0 * 1.1).ceil().max(1.0),
        values.join(", ")
    ))
}

impl Exporter for MarkdownReport {
    fn file_name(&self) -> &'static str {
        "report.md"
    }

    fn export(&self, data: &ReportData<'_>) -> Result<Vec<u8>> {
        let a = data.analysis;
        let mut out = String::new();
        let _ = writeln!(out, "# cachebench report: {}\n", a.scenarios.join(", "));
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
            "Workload `{}` on Docker engine {engine}{stores}. Statistics count measured runs with status ok whose state check passed.\n",
            a.workloads.join("`, `")
        );

        let decision = crate::report::decision::Decision::from_analysis(a);
        out.push_str(&crate::report::decision_markdown::render(a, &decision));

        out.push_str("## Verdict per state\n\n");
        for g in &a.groups {
            let _ = writeln!(out, "- **{}**: {}", group_title(a, g), verdict_sentence(g));
        }
        out.push('\n');

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
            .filter(|c| c.other_share.is_some_and(|s| s > OTHER_FLAG_SHARE))
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
                "unattributed time (`other`: CLI start-up, session set-up, gaps between vertices) exceeds 5% of wall time in: {}",
                big_other.join(", ")
            ));
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

        out.push_str("## Results\n\n");
        for g in &a.groups {
            let _ = writeln!(out, "### {}\n", group_title(a, g));
            out.push_str("| strategy | n | median | 95% CI of median | min | max | p90 | stddev | vs fastest | outliers | runs | reasons |\n");
            out.push_str("|---|--:|--:|--:|--:|--:|--:|--:|---|---|---|---|\n");
            for c in cells_of(a, g) {
                cell_row(&mut out, c);
            }
            out.push('\n');
        }

        let any_phases = a.cells.iter().any(|c| !c.phases.is_empty());
        if any_phases {
            out.push_str("## Phases\n\nMedian time per phase (each phase's own median, so a row need not add up to the wall median).\n\n");
            for g in &a.groups {
                let cells: Vec<&CellStats> =
                    cells_of(a, g).filter(|c| !c.phases.is_empty()).collect();
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
                let _ = writeln!(out, "### {}\n", group_title(a, g));
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
        }

        if a.left_anything_in_registry() {
            out.push_str("## Registry footprint\n\nWhat one run leaves in the registry (medians): manifests its tags reach (an index, image and attestation manifests: what ECR lifecycle rules count) and the bytes of the distinct blobs and manifests they reference.\n\n");
            out.push_str(
                "| cell | manifests | of which attestations | bytes |\n|---|--:|--:|--:|\n",
            );
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
        }

        out.push_str("## Charts\n\n");
        for c in data.charts {
            let ext = if c.png { "png" } else { "svg" };
            let _ = writeln!(out, "![{}]({}.{ext})\n", c.title, c.stem);
        }
        for g in &a.groups {
            if let Some(m) = mermaid_group(a, g) {
                out.push_str(&m);
                out.push('\n');
            }
        }

        out.push_str("## Methods\n\n");
        let _ = writeln!(out, "- Samples: {METHOD_SAMPLES}.");
        let _ = writeln!(out, "- Percentiles: {METHOD_PERCENTILES}.");
        let _ = writeln!(out, "- Confidence interval: {METHOD_CI}.");
        let _ = writeln!(out, "- Outliers: {METHOD_OUTLIERS}.");
        out.push_str("- Verdict: the fastest strategy by median wins only when its interval is disjoint from every other strategy's; otherwise it is a tie.\n");
        let _ = writeln!(out, "- Decision: {}.\n", crate::report::decision::METHOD);

        out.push_str("## Environment\n\n");
        match data.env {
            None => out.push_str("No `env.json` was found.\n"),
            Some(e) => {
                let v = serde_json::to_value(e).map_err(anyhow::Error::from)?;
                out.push_str("| field | value |\n|---|---|\n");
                if let Some(obj) = v.as_object() {
                    for (k, val) in obj {
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
        Ok(out.into_bytes())
    }
}
