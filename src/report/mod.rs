//! Reporting: statistics, exporters, charts and compare, re-rendered from the
//! per-run records (`OUT/runs.jsonl`) and `OUT/env.json` alone, never by running builds.

pub mod analysis;
pub mod cell_stats;
pub mod charts;
pub mod colours;
pub mod compare;
pub mod decision;
pub mod export;
pub mod labels;
pub mod markdown_sections;
pub mod mermaid;
pub mod render;
pub mod repetitions;
pub mod step_summary;
