//! `report.md`, the full report beside its `charts/` folder: the Decision first,
//! the verdict per state, warnings, every table, the charts twice (as images by
//! relative path, which resolve only next to `charts/`, and as Mermaid), the
//! methods and the environment. The self-contained form for a job summary or PR
//! comment is [`crate::report::export::github_md`].

use crate::error::Result;
use crate::report::export::footprint_sections as fsec;
use crate::report::export::sections as sec;
use crate::report::export::{Exporter, ReportData};
use crate::report::mermaid;
use std::fmt::Write;

/// Writes `report.md`.
pub struct MarkdownReport;

impl Exporter for MarkdownReport {
    fn file_name(&self) -> &'static str {
        "report.md"
    }

    fn export(&self, data: &ReportData<'_>) -> Result<Vec<u8>> {
        let a = data.analysis;
        let mut out = String::new();
        sec::header(&mut out, data, "cachebench report");
        sec::decision(&mut out, a);
        out.push_str(&crate::report::decision::break_even::markdown(a, "##"));
        let mut cost = String::new();
        if fsec::cost_beside_time(&mut cost, a) {
            out.push_str("### Cost beside time\n\n");
            out.push_str(&cost);
        }
        sec::verdicts(&mut out, a);
        crate::report::repetitions::section(&mut out, data.stopping, "##");
        sec::warnings(&mut out, data);
        crate::report::export::hosts::section(&mut out, data);
        out.push_str("## Results\n\n");
        sec::results_tables(&mut out, a, "###");
        let mut phases = String::new();
        if sec::phases_tables(&mut phases, a, "###") {
            out.push_str("## Phases\n\n");
            out.push_str(&phases);
        }
        let mut fp = String::new();
        if sec::footprint_table(&mut fp, a) {
            out.push_str("## Registry footprint\n\n");
            out.push_str(&fp);
        }
        let mut split = String::new();
        if fsec::by_strategy(&mut split, a) {
            out.push_str("## Footprint per strategy: image and cache\n\n");
            out.push_str(&split);
        }
        let mut mounts = String::new();
        if fsec::cache_mounts(&mut mounts, a) {
            out.push_str("## Cache mounts\n\n");
            out.push_str(&mounts);
        }
        out.push_str("## Charts\n\n");
        let _ = writeln!(out, "{}", mermaid::legend());
        for c in data.charts {
            let ext = if c.png { "png" } else { "svg" };
            let _ = writeln!(out, "![{}]({}.{ext})\n", c.title, c.stem);
        }
        mermaid::charts(&mut out, a);
        out.push_str("## Methods\n\n");
        sec::methods(&mut out, a);
        out.push_str("## Environment\n\n");
        sec::environment(&mut out, data)?;
        Ok(out.into_bytes())
    }
}
