//! cachebench: benchmarks Docker build cache strategies against a real engine and a
//! real registry, and reports which one a team should adopt.
//!
//! The source folders are the stages a run's record flows through, in order:
//! [`config`] → [`plan`] → [`infra`] → [`run`] → [`records`] → [`phases`] → [`report`],
//! with the subcommands in [`commands`] on top and [`util`], [`stats`] and [`error`]
//! beneath every stage. Records and phases are the vocabulary the run writes, so
//! the imports go config → plan → records → phases → infra → run → report →
//! commands: a folder imports only from those before it (tests/architecture.rs
//! checks it).
//!
//! The walk of one run from flag to chart: `cachebench run --strategy registry` is
//! parsed by [`cli`], merged and validated by [`options`] (with the project from
//! [`scenario`] and the axes from [`matrix`]); [`commands::run`] has [`plan`] expand
//! the matrix into cells, each cell's build command coming from [`strategy`]; the
//! [`scheduler`]'s setup starts the [`engine`] (its own dockerd, through [`network`]
//! and [`process`]), the [`registry`] and the [`builder`]; the [`scheduler`] walks
//! the cells through the [`executor`] seam, and the [`runner`] runs one build, whose
//! state [`state_check`] proves from the build's own records and whose rawjson
//! output [`phases`] turns into the time of each phase; the [`record`] is redacted
//! ([`redact`]) and appended by [`results`] to runs.jsonl and runs.csv; at the end
//! [`report`] reads the records alone back ([`records::results_reader`]) and renders
//! statistics, tables and charts.

pub mod commands;
pub mod config;
pub mod error;
pub mod infra;
pub mod phases;
pub mod plan;
pub mod records;
pub mod report;
pub mod run;
pub mod stats;
pub mod util;
