//! The exporter trait (one implementation per file format, as hyperfine does), the
//! data every exporter gets, and the formatting helpers they share.

pub mod benchmark_json;
pub mod github_md;
pub mod report_md;
pub mod summary_csv;
pub mod summary_json;

use crate::error::Result;
use crate::records::environment::EnvInfo;
use crate::report::analysis::Analysis;

/// Version of `summary.json` / `summary.csv` (see `docs/summary-schema.md`).
pub const SUMMARY_SCHEMA_VERSION: u32 = 1;

/// A chart that was drawn, by its path relative to the results folder without
/// extension (`charts/median-wall`), with `.svg` always and `.png` when `png`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartRef {
    pub stem: String,
    pub title: String,
    pub png: bool,
}

/// What an exporter renders from.
#[derive(Debug, Clone, Copy)]
pub struct ReportData<'a> {
    pub analysis: &'a Analysis,
    pub env: Option<&'a EnvInfo>,
    pub charts: &'a [ChartRef],
    /// Warnings to show in the report (truncated records, …).
    pub warnings: &'a [String],
    /// Why each state stopped, from `stopping.json` (`--reps auto`; empty otherwise).
    pub stopping: &'a [crate::records::stopping::Stopping],
}

/// One output file of `cachebench report`.
pub trait Exporter {
    /// File name inside the results folder.
    fn file_name(&self) -> &'static str;
    /// The file's bytes; must be deterministic for the same data.
    fn export(&self, data: &ReportData<'_>) -> Result<Vec<u8>>;
}

/// Every file exporter, in the order `render` writes them.
pub fn exporters() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(crate::report::export::summary_csv::SummaryCsv),
        Box::new(crate::report::export::summary_json::SummaryJson),
        Box::new(crate::report::export::benchmark_json::BenchmarkJson),
        Box::new(crate::report::export::report_md::MarkdownReport),
        Box::new(crate::report::export::github_md::GithubSummary),
    ]
}

/// Milliseconds for people: `850 ms`, `12.03 s`.
pub fn fmt_ms(ms: f64) -> String {
    if ms.abs() < 1000.0 {
        format!("{} ms", (ms * 10.0).round() / 10.0)
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// A ratio as `2.49×`.
pub fn fmt_ratio(r: f64) -> String {
    format!("{r:.2}×")
}

/// Bytes in binary units (MiB, never MB), one decimal.
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
