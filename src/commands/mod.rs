//! The subcommands, one file each: a file parses its arguments, calls the stages
//! and maps the outcome to an exit code. [`dispatch`] picks the subcommand.
//!
//! May import: config, plan, records, phases, infra, run, report (the layers are
//! stated once, in the crate root).

pub mod clean;
pub mod compare;
pub mod dispatch;
pub mod doctor;
pub mod merge;
pub mod plan;
pub mod replay;
pub mod report;
pub mod run;
pub mod runtime;
