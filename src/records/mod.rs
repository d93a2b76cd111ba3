//! The record store: what a run leaves in OUT, and reading it back. [`record`] (one
//! run's record, a public interface; its cell named by [`cell_key`], its phases
//! [`phase_times`]) passes [`redact`] (secrets
//! out before anything is written) into [`results_writer`] (runs.jsonl and runs.csv,
//! after every run); [`environment`] is env.json and [`stopping`] stopping.json;
//! [`results_reader`] reads runs.jsonl back, tolerant of an interrupted last line,
//! and [`resume`] continues an interrupted matrix from it; [`shard_manifest`] is the
//! shard.json of a `run --shard I/N`; [`json_file`] reads and writes those small files.
//!
//! May import: config, plan (the layers are stated once, in the crate root).

pub mod cell_key;
pub mod environment;
pub mod footprint;
pub mod json_file;
pub mod phase_times;
pub mod record;
pub mod redact;
pub mod report_settings;
pub mod results_reader;
pub mod results_writer;
pub mod resume;
pub mod shard_manifest;
pub mod stopping;
