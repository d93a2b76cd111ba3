//! Reporting: statistics, exporters, charts and compare, re-rendered from the
//! per-run records (`OUT/runs.jsonl`) and `OUT/env.json` alone, never by running builds.

pub mod env;
pub mod load;
pub mod stats;

pub use env::EnvInfo;
pub use load::{load_env, load_runs, LoadedRuns};
