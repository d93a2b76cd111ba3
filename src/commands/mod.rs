//! The subcommands, one file each, on top of every stage: each takes parsed
//! arguments from [`crate::config`] and drives plan → infra → run → records →
//! phases → report to an exit code. [`dispatch`] picks the subcommand.

pub mod clean;
pub mod compare;
pub mod dispatch;
pub mod doctor;
pub mod plan;
pub mod replay;
pub mod report;
pub mod run;
