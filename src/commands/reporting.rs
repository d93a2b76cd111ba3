//! Glue between the subcommands and [`crate::report`]: `report`, `compare`, the
//! render at the end of `run`, and the environment captured at its start.

use crate::error::{exit, Error, Result};
use crate::options::Options;
use crate::report::{self, EnvInfo};
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
    if !out.join(crate::results::RUNS_JSONL).is_file() {
        return Err(Error::usage(format!(
            "{} has no runs.jsonl; give a results folder written by `cachebench run`",
            out.display()
        )));
    }
    let o = report::render(out)?;
    for w in &o.warnings {
        eprintln!("cachebench: warning: {w}");
    }
    for p in &o.written {
        println!("{}", p.display());
    }
    Ok(exit::OK)
}

/// The render at the end of `run`: warnings only.
pub fn render_quiet(out: &Path) -> Result<()> {
    let o = report::render(out)?;
    for w in &o.warnings {
        eprintln!("cachebench: warning: {w}");
    }
    Ok(())
}

/// `cachebench compare BASE NEW`: exit 1 on a regression.
pub fn compare_cmd(base: &Path, new: &Path, threshold: &str, force: bool) -> Result<i32> {
    let pct: f64 = threshold
        .trim()
        .trim_end_matches('%')
        .parse()
        .ok()
        .filter(|p: &f64| p.is_finite() && *p >= 0.0)
        .ok_or_else(|| {
            Error::usage(format!(
                "--threshold `{}`: give a percentage such as 10%",
                threshold.escape_debug()
            ))
        })?;
    let o = report::compare(base, new, pct, force)?;
    for w in &o.warnings {
        eprintln!("cachebench: warning: {w}");
    }
    println!("{}", o.markdown);
    Ok(if o.regression {
        exit::RUNS_FAILED
    } else {
        exit::OK
    })
}
