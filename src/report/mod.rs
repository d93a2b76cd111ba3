//! Reporting: statistics, exporters, charts and compare, re-rendered from the
//! per-run records (`OUT/runs.jsonl`) and `OUT/env.json` alone, never by running builds.

pub mod stats;
