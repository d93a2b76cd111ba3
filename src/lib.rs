//! cachebench: benchmarks Docker build cache strategies against a real engine and a
//! real registry, and reports which one a team should adopt.
//!
//! # The layers
//!
//! Each source folder is a stage a run flows through. This table is the one
//! statement of what each folder may import (`tests/architecture.rs` reads it from
//! here and checks every `crate::`, `super::` and `self::` path against it; every
//! folder's `mod.rs` repeats its own row):
//!
//! | folder       | owns                                                              | may import                               |
//! |--------------|-------------------------------------------------------------------|------------------------------------------|
//! | `config`     | flags and the scenario file, merged and validated                 | –                                        |
//! | `plan`       | the matrix expanded into cells and each cell's build command      | config                                   |
//! | `records`    | what a run leaves in OUT: records, env.json, stopping.json        | config, plan                             |
//! | `phases`     | a build's wall time split into phases from its own output         | records                                  |
//! | `infra`      | the real parts: processes, network, dockerd, registry, builders   | config, plan, records, phases            |
//! | `run`        | the matrix loop and one run, proving its state                    | config, plan, records, phases, infra     |
//! | `report`     | statistics, the Decision, exporters and charts, from OUT's files  | records                                  |
//! | `commands`   | the subcommands: parse, dispatch, exit code                       | config, plan, records, phases, infra, run, report |
//!
//! [`stats`], [`util`] and [`error`] sit beneath every folder and import none.
//! So the order is config → plan → records → phases → infra → run → report →
//! commands: a folder imports only from folders to its left, and `report` only
//! from `records` (it re-renders from files and never runs anything).
//!
//! # One run, from flag to chart
//!
//! `cachebench run --strategy registry-cache` is parsed by [`config::cli`], merged
//! and validated by [`config::options`] (the project from [`config::scenario`], the
//! axes from [`config::matrix`]); [`commands::run`] has [`plan::cells`] expand the
//! matrix, each cell's build command coming from [`plan::strategy`]; [`run::setup`]
//! starts the engine ([`infra::engine`], its own dockerd on a bridge of
//! [`infra::network`]), the registry ([`infra::registry`]) and the builders
//! ([`infra::builder`]); [`run::scheduler`] walks the cells through the
//! [`run::executor`] seam, [`run::runner`] runs one build, [`run::state_check`]
//! proves its state from the build's own records and [`phases`] turns its output
//! into the time of each phase; the record is redacted ([`records::redact`]) and
//! appended to runs.jsonl and runs.csv ([`records::results_writer`]); at the end
//! [`report::render`] reads OUT's files back and writes the tables, the Decision
//! and the charts.

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
