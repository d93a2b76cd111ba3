//! Dispatch: from parsed arguments to the subcommand's module. `main` only maps
//! what comes back to the process exit.

use crate::config::cli::{Cli, Command};
use crate::error::Result;

/// Runs the command and returns the exit code.
pub fn main(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Plan(c) => super::plan::plan_cmd(&c),
        Command::Run(c) => super::runtime::runtime()?.block_on(super::run::run_cmd(c)),
        Command::Doctor(c) => super::runtime::runtime()?.block_on(super::doctor::doctor_cmd(&c)),
        Command::Report(c) => super::report::render_cmd(&c),
        Command::Compare(c) => super::compare::compare_cmd(&c.base, &c.new, &c.threshold, c.force),
        Command::Clean(c) => Ok(super::clean::clean_cmd(c.dry_run)),
        Command::Replay(c) => super::replay::replay_cmd(&c),
        Command::Merge(c) => super::merge::merge_cmd(&c),
    }
}
