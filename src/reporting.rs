//! Glue between the subcommands and the report module: `report`, `compare`, and
//! the environment captured at the start of a run.

use crate::error::{Error, Result};
use crate::options::Options;
use std::path::Path;

/// The environment of a run (a fixed list of fields; never the whole environment).
#[derive(Debug, Clone, serde::Serialize)]
pub struct EnvInfo {
    pub cachebench_version: String,
}

impl EnvInfo {
    pub async fn capture(_docker_env: &[(String, String)], _opts: &Options, _own_registry: bool) -> EnvInfo {
        EnvInfo {
            cachebench_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

pub fn render_cmd(_out: &Path) -> Result<i32> {
    Err(Error::usage("report: not wired yet"))
}

pub fn render_quiet(_out: &Path) -> Result<()> {
    Ok(())
}

pub fn compare_cmd(_base: &Path, _new: &Path, _threshold: &str, _force: bool) -> Result<i32> {
    Err(Error::usage("compare: not wired yet"))
}
