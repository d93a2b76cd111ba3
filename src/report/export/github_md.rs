//! `github.md`: the report as a reader meets it on GitHub, in a job summary
//! (`$GITHUB_STEP_SUMMARY`) or a PR comment, where no relative image link can
//! resolve. Self-contained: the Decision first, then a narrow results table that
//! fits GitHub's 890 px column, every chart as Mermaid, and the wide tables folded in
//! `<details>` blocks. No image links.

use crate::error::Result;
use crate::report::analysis::Analysis;
use crate::report::decision::markdown::median_interval;
use crate::report::export::footprint_sections as fsec;
use crate::report::export::sections as sec;
use crate::report::export::{Exporter, ReportData};
use crate::report::format::fmt_ratio;
use crate::report::mermaid;
use std::fmt::Write;

/// Writes `github.md`.
pub struct GithubSummary;

/// The narrow results table: state × change, strategy, median with its interval,
/// against the fastest.
fn narrow_results(out: &mut String, a: &Analysis) {
    out.push_str("| state × change | strategy | median (interval) | vs fastest |\n");
    out.push_str("|---|---|--:|--:|\n");
    for g in &a.groups {
        let title = crate::report::labels::group_title(a, g);
        for c in a.cells_of(g) {
            let Some(w) = &c.wall else { continue };
            let vs = match &c.relative {
                Some(r) if r.fastest == c.key.strategy => "fastest".to_string(),
                Some(r) => format!(
                    "{}{}",
                    fmt_ratio(r.ratio.ratio),
                    crate::report::export::sections::standing_tag(&r.standing)
                ),
                None => "–".to_string(),
            };
            let _ = writeln!(
                out,
                "| {title} | {} | {} | {vs} |",
                c.key.strategy,
                median_interval(w.median, w.ci, a.reading_rule().confidence)
            );
        }
    }
    let not_run: usize = a.cells.iter().filter(|c| c.wall.is_none()).count();
    if not_run > 0 {
        let _ = writeln!(
            out,
            "\n{not_run} cell{} without a sample (skipped, failed, state check failed or disturbed): see Results below.",
            if not_run == 1 { "" } else { "s" }
        );
    }
    out.push('\n');
}

/// A folded block: `<details>` with a summary line, Markdown inside.
fn details(out: &mut String, summary: &str, body: &str) {
    let _ = write!(
        out,
        "<details><summary>{summary}</summary>\n\n{}\n</details>\n\n",
        body.trim_end()
    );
}

impl Exporter for GithubSummary {
    fn file_name(&self) -> &'static str {
        "github.md"
    }

    fn export(&self, data: &ReportData<'_>) -> Result<Vec<u8>> {
        let a = data.analysis;
        let mut out = String::new();
        sec::header(&mut out, data, "cachebench");
        sec::decision(&mut out, a);
        out.push_str(&crate::report::decision::break_even::markdown(a, "##"));
        let mut cost = String::new();
        if fsec::cost_beside_time(&mut cost, a) {
            out.push_str("### Cost beside time\n\n");
            out.push_str(&cost);
        }
        sec::warnings(&mut out, data);
        crate::report::export::hosts::compact(&mut out, data);
        out.push_str("## Results\n\n");
        narrow_results(&mut out, a);
        sec::verdicts(&mut out, a);
        crate::report::repetitions::section(&mut out, data.stopping, "##");
        out.push_str("## Charts\n\n");
        let _ = writeln!(out, "{}", mermaid::legend());
        mermaid::charts(&mut out, a);
        let mut body = String::new();
        sec::results_tables(&mut body, a, "####");
        details(&mut out, "Results: every statistic per cell", &body);
        let mut body = String::new();
        if sec::phases_tables(&mut body, a, "####") {
            details(&mut out, "Phases: median time per phase", &body);
        }
        let mut body = String::new();
        if sec::footprint_table(&mut body, a) {
            details(&mut out, "Registry footprint per cell", &body);
        }
        let mut body = String::new();
        if fsec::by_strategy(&mut body, a) {
            details(&mut out, "Footprint per strategy: image and cache", &body);
        }
        let mut body = String::new();
        if fsec::cache_mounts(&mut body, a) {
            out.push_str("### Cache mounts\n\n");
            out.push_str(&body);
        }
        let mut body = String::new();
        sec::methods(&mut body, a);
        body.push_str("\n#### Environment\n\n");
        sec::environment(&mut body, data)?;
        details(&mut out, "Methods and environment", &body);
        out.push_str("The full report with PNG charts is `report.md` in the results folder.\n");
        Ok(out.into_bytes())
    }
}
