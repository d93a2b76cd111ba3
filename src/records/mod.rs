//! Stage 5, the record store: what a run leaves on disk. Data flows: [`record`] (one
//! run's record and the CSV columns, a public interface) → [`redact`] (secrets out
//! before anything is written) → [`results`] (runs.jsonl and runs.csv, written after
//! every run, with [`env_info`], the layout of env.json) → [`load`] (the tolerant
//! reader of runs.jsonl) → [`resume`] (reading them back to continue an interrupted
//! matrix). The run writes this vocabulary, so in the imports records sit below
//! phases, infra and run (they import only config and plan).

pub mod environment;
pub mod record;
pub mod redact;
pub mod results_reader;
pub mod results_writer;
pub mod resume;
pub mod stopping;
