//! `cachebench report OUT`, the render at the end of `run`, and the environment
//! captured at its start: glue between the subcommands and [`crate::report`].

use crate::config::cli::ReportCmd;
use crate::config::options::Options;
use crate::error::{exit, Error, Result};
use crate::records::report_settings::ReportSettings;
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

/// The reading `report` was asked for: OUT's recorded settings (or the defaults)
/// with the flags given over them; `None` when no flag was given.
fn asked_settings(c: &ReportCmd) -> Result<Option<ReportSettings>> {
    if c.confidence.is_none()
        && c.margin.is_none()
        && c.margin_floor.is_none()
        && c.change_mix.is_none()
    {
        return Ok(None);
    }
    let mut s = crate::records::report_settings::read(&c.out)?.unwrap_or_default();
    if let Some(v) = c.confidence {
        s.rule.confidence = v;
    }
    if let Some(v) = c.margin {
        s.rule.margin = v;
    }
    if let Some(v) = c.margin_floor {
        s.rule.margin_floor_s = v.as_secs_f64();
    }
    if let Some(m) = &c.change_mix {
        s.change_mix = crate::config::change_mix::parse_mix(m, "--change-mix")?;
    }
    s.rule.validate().map_err(Error::usage)?;
    Ok(Some(s))
}

/// `cachebench report OUT [--confidence C] [--margin M] [--margin-floor DUR] [--change-mix MIX]`.
pub fn render_cmd(c: &ReportCmd) -> Result<i32> {
    let out = c.out.as_path();
    if !out
        .join(crate::records::results_writer::RUNS_JSONL)
        .is_file()
    {
        return Err(Error::usage(format!(
            "{} has no runs.jsonl; give a results folder written by `cachebench run`",
            out.display()
        )));
    }
    let o = report::render::render_with(
        out,
        &report::render::RenderOptions {
            step_summary: report::step_summary::step_summary_path(),
            settings: asked_settings(c)?,
            ..Default::default()
        },
    )?;
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
