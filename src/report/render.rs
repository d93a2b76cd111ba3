//! `cachebench report OUT`: reads the files a run left in OUT (`runs.jsonl`,
//! `env.json`, and when present `stopping.json` and `report-settings.json`) and
//! writes every exporter's file and the charts. Deterministic: the same files give
//! byte-identical output (no timestamp is written anywhere).

use crate::error::Result;
use crate::records::report_settings::ReportSettings;
use crate::report::analysis::Analysis;
use crate::report::charts::{write_charts, Footprint};
use crate::report::export::{exporters, Exporter, ReportData};
use crate::report::step_summary::{append_step_summary, step_summary_path};
use crate::{records::environment::load_env, records::results_reader::load_runs};
use std::path::{Path, PathBuf};

/// Options of [`render_with`].
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Append `github.md` to this file (GitHub's `$GITHUB_STEP_SUMMARY`).
    pub step_summary: Option<PathBuf>,
    /// Cache footprint per strategy, when measured (draws the footprint chart).
    pub footprint: Option<Vec<Footprint>>,
    /// Skip PNG charts (SVG only).
    pub no_png: bool,
    /// How to read the records, instead of what OUT/report-settings.json says (or
    /// the defaults, when the folder has none).
    pub settings: Option<ReportSettings>,
}

/// What `render` did.
#[derive(Debug, Clone)]
pub struct RenderOutcome {
    /// Files written, in order.
    pub written: Vec<PathBuf>,
    /// Problems that did not stop the report (truncated last record, a chart that
    /// could not be drawn, …): print them as warnings.
    pub warnings: Vec<String>,
    /// The analysis the files were made from.
    pub analysis: Analysis,
}

/// Renders the report of `out`, appending `github.md` to `$GITHUB_STEP_SUMMARY`
/// when that variable is set.
pub fn render(out: &Path) -> Result<RenderOutcome> {
    render_with(
        out,
        &RenderOptions {
            step_summary: step_summary_path(),
            ..RenderOptions::default()
        },
    )
}

/// Renders the report of `out` with explicit options.
pub fn render_with(out: &Path, opts: &RenderOptions) -> Result<RenderOutcome> {
    let runs_path = out.join("runs.jsonl");
    let loaded = load_runs(&runs_path)?;
    let env = load_env(&out.join("env.json"))?;
    let stopping = crate::records::stopping::read(out)?;
    let settings = match &opts.settings {
        Some(s) => s.clone(),
        None => crate::records::report_settings::read(out)?.unwrap_or_default(),
    };
    let analysis = Analysis::read(&loaded.records, stop_rule_of(&stopping), &settings);
    let mut warnings = loaded.warnings;
    if loaded.records.is_empty() {
        warnings.push(format!("{}: no run records", runs_path.display()));
    }
    // The footprint chart: given, or from the records (the median bytes of each
    // strategy's largest cell, so a cold cell's full export counts).
    let derived = crate::report::charts::footprint_from(&analysis);
    let footprint = opts.footprint.as_deref().or(derived.as_deref());
    let (charts, chart_warnings) = write_charts(
        &out.join("charts"),
        &analysis,
        env.as_ref(),
        footprint,
        !opts.no_png,
    );
    let mut written: Vec<PathBuf> = charts
        .iter()
        .flat_map(|c| {
            let mut v = vec![out.join(format!("{}.svg", c.stem))];
            if c.png {
                v.push(out.join(format!("{}.png", c.stem)));
            }
            v
        })
        .collect();
    // Chart problems go in the report too; the truncated-line warning is about
    // the records themselves.
    let report_warnings: Vec<String> = warnings.iter().chain(&chart_warnings).cloned().collect();
    warnings.extend(chart_warnings);
    let data = ReportData {
        analysis: &analysis,
        env: env.as_ref(),
        charts: &charts,
        warnings: &report_warnings,
        stopping: &stopping,
    };
    let mut markdown = None;
    for ex in exporters() {
        let bytes = ex.export(&data)?;
        let path = out.join(ex.file_name());
        std::fs::write(&path, &bytes)
            .map_err(|e| anyhow::Error::new(e).context(format!("writing {}", path.display())))?;
        // The job summary gets the self-contained form: report.md's relative
        // image links cannot resolve there.
        if ex.file_name() == crate::report::export::github_md::GithubSummary.file_name() {
            markdown = Some(String::from_utf8_lossy(&bytes).into_owned());
        }
        written.push(path);
    }
    if let (Some(path), Some(md)) = (&opts.step_summary, &markdown) {
        append_step_summary(path, md)?;
    }
    Ok(RenderOutcome {
        written,
        warnings,
        analysis,
    })
}

/// The rule a `--reps auto` run stopped its states by: the one `stopping.json`
/// records, the defaults of the time for a file written before it recorded one (no
/// race), none for a run of a fixed count (no file).
fn stop_rule_of(
    stopping: &[crate::records::stopping::Stopping],
) -> Option<crate::stats::sequential::StopRule> {
    let recorded = stopping.iter().find_map(|s| s.rule.clone());
    recorded.or_else(|| {
        (!stopping.is_empty()).then(|| crate::stats::sequential::StopRule {
            race: false,
            ..Default::default()
        })
    })
}
