//! Reporting, re-rendered from the files in OUT (runs.jsonl, env.json and, after a
//! `--reps auto` run, stopping.json), never by running builds: [`analysis`] and
//! [`cell_stats`] (per-cell statistics), [`contention`] (CPU the hypervisor
//! took), [`decision`] (what a team should adopt, per CI situation), [`export`]
//! (one exporter per output file), [`charts`] and [`mermaid`], [`render`] (all of
//! them into OUT), [`compare`] (two results folders), [`step_summary`] (a GitHub
//! job summary).
//!
//! May import: records (the layers are stated once, in the crate root).

pub mod analysis;
pub mod cell_stats;
pub mod charts;
pub mod colours;
pub mod compare;
pub mod contention;
pub mod decision;
pub mod export;
pub mod format;
pub mod judge;
pub mod labels;
pub mod mermaid;
pub mod render;
pub mod repetitions;
pub mod replay;
pub mod step_summary;
