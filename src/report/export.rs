//! The exporter trait (one implementation per file format, as hyperfine does), the
//! data every exporter gets; the sections both Markdown forms share are [`sections`].

pub mod benchmark_json;
pub mod footprint_sections;
pub mod github_md;
pub mod hosts;
pub mod report_md;
pub mod sections;
pub mod summary_csv;
pub mod summary_json;

use crate::error::Result;
use crate::records::environment::EnvInfo;
use crate::report::analysis::Analysis;
use crate::report::charts::ChartRef;

/// Version of `summary.json` / `summary.csv` (see `docs/summary-schema.md`).
pub const SUMMARY_SCHEMA_VERSION: u32 = 2;

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
