//! Reporting: statistics, exporters, charts and compare, re-rendered from the
//! per-run records (`OUT/runs.jsonl`) and `OUT/env.json` alone, never by running builds.

pub mod analysis;
pub mod cell_stats;
pub mod charts;
pub mod colours;
pub mod compare;
pub mod decision;
pub mod decision_local;
pub mod decision_markdown;
pub mod decision_options;
pub mod decision_per_state;
pub mod decision_sentences;
pub mod decision_settle;
pub mod env;
pub mod export;
pub mod export_benchmark;
pub mod export_csv;
pub mod export_github;
pub mod export_json;
pub mod export_markdown;
pub mod labels;
pub mod load;
pub mod markdown_sections;
pub mod mermaid;
pub mod render;
pub mod repetitions;
pub mod step_summary;

pub use crate::stats;

pub use analysis::{Analysis, CellStats, Verdict};
pub use charts::{write_charts, Footprint};
pub use compare::{compare, Change, CompareOutcome, CompareRow};
pub use decision::Decision;
pub use env::EnvInfo;
pub use export::{exporters, ChartRef, Exporter, ReportData};
pub use load::{load_env, load_runs, LoadedRuns};
pub use render::{render, render_with, RenderOptions, RenderOutcome};
pub use step_summary::{append_step_summary, step_summary_path};
