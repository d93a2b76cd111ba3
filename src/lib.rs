//! cachebench: benchmarks Docker build cache strategies against a real engine and a
//! real registry, and reports which one a team should adopt.
//!
//! The source folders are the stages a run's record flows through, in order; a stage
//! uses only the stages before it (no back-edges, no cycles):
//! [`config`] → [`plan`] → [`infra`] → [`run`] → [`records`] → [`phases`] → [`report`],
//! with the subcommands in [`commands`] on top.
//!
//! The walk of one run from flag to chart: `cachebench run --strategy registry` is
//! parsed by [`cli`], merged and validated by [`options`] (with the project from
//! [`scenario`] and the axes from [`matrix`]); [`plan`] expands the matrix into cells,
//! each cell's build command coming from [`strategy`]; [`commands`] starts the
//! [`engine`] (its own dockerd, through [`network`] and [`process`]), the
//! [`registry`] and the [`builder`]; the [`scheduler`] walks the cells through the
//! [`executor`] seam, and the [`runner`] runs one build, whose state
//! [`state_check`] proves from the build's own records; the [`record`] is redacted
//! ([`redact`]) and appended by [`results`] to runs.jsonl and runs.csv; [`phases`]
//! turns the build's rawjson output into the time of each phase; `report` reads the
//! records alone back and renders statistics, tables and charts.
//!
//! The modules are also re-exported at the crate root under their former names
//! (`cachebench::record`, `cachebench::engine`, ...), the paths tests use.

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

pub use commands::{app, doctor, reporting};
pub use config::{cli, matrix, options, scenario};
pub use infra::{
    builder, buildkit_image, engine, http, leftovers, network, pipe, process, registry, store,
};
pub use plan::strategy;
pub use records::{record, redact, results, resume};
pub use run::{console, executor, policy, runner, scheduler, state_check, transcript, workspace};
