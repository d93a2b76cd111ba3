//! The subcommands, one stage after another: each takes parsed arguments from
//! [`crate::config`] and drives plan → infra → run → records → phases → report to an
//! exit code. [`app`] dispatches; [`reporting`] is the glue to `report`; [`doctor`]
//! checks the machine.

pub mod app;
pub mod doctor;
pub mod reporting;
