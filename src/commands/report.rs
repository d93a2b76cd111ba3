//! `cachebench report OUT`, the render at the end of `run`, and the environment
//! captured at its start: glue between the subcommands and [`crate::report`].

use crate::config::options::Options;
use crate::error::{exit, Error, Result};
use crate::{
    records::environment::EnvInfo,
    report::{self},
};
use std::path::Path;

/// Captures the environment of a run (a fixed list of fields; never the whole
/// environment, never a credential).
pub async fn capture_env(
    docker_env: &[(String, String)],
    opts: &Options,
    own_registry: bool,
) -> EnvInfo {
    let registry_kind = if own_registry {
        "cachebench's own (distribution, loopback)".to_string()
    } else {
        let host = opts.registry.as_deref().unwrap_or_default();
        let host = host.split('/').next().unwrap_or_default();
        if host.contains(".dkr.ecr.") {
            "ECR".into()
        } else if host == "ghcr.io" {
            "GHCR".into()
        } else {
            format!("external ({host})")
        }
    };
    EnvInfo::capture(
        docker_env,
        // The engine's default builder (docker driver); docker-container builders
        // are created per run and named in the records.
        None,
        opts.scenario_path.as_deref(),
        Some(&registry_kind),
    )
    .await
}

/// `cachebench report OUT`.
pub fn render_cmd(out: &Path) -> Result<i32> {
    if !out
        .join(crate::records::results_writer::RUNS_JSONL)
        .is_file()
    {
        return Err(Error::usage(format!(
            "{} has no runs.jsonl; give a results folder written by `cachebench run`",
            out.display()
        )));
    }
    let o = report::render::render(out)?;
    for w in &o.warnings {
        eprintln!("cachebench: warning: {w}");
    }
    for p in &o.written {
        println!("{}", p.display());
    }
    Ok(exit::OK)
}

/// The render at the end of `run`: warnings, and the Decision in plain text.
pub fn render_quiet(out: &Path) -> Result<()> {
    let o = report::render::render(out)?;
    for w in &o.warnings {
        eprintln!("cachebench: warning: {w}");
    }
    let d = report::decision::Decision::from_analysis(&o.analysis);
    print!("{}", report::decision::markdown::terminal(&d));
    Ok(())
}
