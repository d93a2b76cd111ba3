//! `summary.csv`: one row per cell for wall time (`metric = wall`) and one per cell
//! and phase (`metric = <phase>`); columns in `SUMMARY_CSV_COLUMNS`.

use crate::error::Result;
use crate::report::cell_stats::CellStats;
use crate::report::export::{Exporter, ReportData, SUMMARY_SCHEMA_VERSION};
use crate::stats::summary::Summary;

/// Columns of `summary.csv`, in order. Public interface: only append.
pub const SUMMARY_CSV_COLUMNS: &[&str] = &[
    "schema_version",
    "strategy",
    "builder",
    "state",
    "change",
    "metric",
    "n",
    "median_ms",
    "mean_ms",
    "stddev_ms",
    "min_ms",
    "max_ms",
    "p90_ms",
    "p95_ms",
    "ci_lo_ms",
    "ci_hi_ms",
    "ci_coverage",
    "ratio_to_fastest",
    "ratio_lo",
    "ratio_hi",
    "standing",
    "outlier_reps",
    "slow_first_run",
    "ok",
    "failed",
    "timeout",
    "skipped",
    "interrupted",
    "warmup",
    "state_failed",
    "disturbed",
    "image_store",
    "link",
    "cache_mode",
    "image_bytes",
    "cache_bytes",
    "ecr_artifacts",
    "local_cache_bytes",
];

/// Writes `summary.csv`.
pub struct SummaryCsv;

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn row(c: &CellStats, metric: &str, s: Option<&Summary>, wall: bool) -> Vec<String> {
    let rel = c.relative.as_ref().filter(|_| wall);
    let counts = &c.counts;
    vec![
        SUMMARY_SCHEMA_VERSION.to_string(),
        c.key.strategy.clone(),
        c.key.builder.clone(),
        c.key.state.clone(),
        c.key.change.clone(),
        metric.to_string(),
        s.map_or(0, |s| s.n).to_string(),
        opt(s.map(|s| s.median)),
        opt(s.map(|s| s.mean)),
        opt(s.and_then(|s| s.stddev)),
        opt(s.map(|s| s.min)),
        opt(s.map(|s| s.max)),
        opt(s.map(|s| s.p90)),
        opt(s.map(|s| s.p95)),
        opt(s.and_then(|s| s.ci).map(|ci| ci.lo)),
        opt(s.and_then(|s| s.ci).map(|ci| ci.hi)),
        opt(s.and_then(|s| s.ci).map(|ci| ci.coverage)),
        opt(rel.map(|r| r.ratio.ratio)),
        opt(rel.and_then(|r| r.ratio.lo)),
        opt(rel.and_then(|r| r.ratio.hi)),
        rel.map(|r| r.standing.clone()).unwrap_or_default(),
        if wall {
            c.outliers
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            String::new()
        },
        if wall {
            c.slow_first_run.to_string()
        } else {
            String::new()
        },
        counts.ok.to_string(),
        counts.failed.to_string(),
        counts.timeout.to_string(),
        counts.skipped.to_string(),
        counts.interrupted.to_string(),
        counts.warmup.to_string(),
        counts.state_failed.to_string(),
        counts.disturbed.to_string(),
        c.key.image_store.clone(),
        c.key.link.clone(),
    ]
    .into_iter()
    .chain(footprint_cells(c, wall))
    .collect()
}

/// The footprint columns: on the wall row only (a phase row repeats nothing).
fn footprint_cells(c: &CellStats, wall: bool) -> Vec<String> {
    match c.footprint.as_ref().filter(|_| wall) {
        None => vec![String::new(); 5],
        Some(f) => vec![
            f.cache_mode.clone(),
            opt(f.image_bytes),
            opt(f.cache_bytes),
            opt(f.ecr_artifacts),
            opt(f.local_cache_bytes),
        ],
    }
}

impl Exporter for SummaryCsv {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    fn export(&self, data: &ReportData<'_>) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let err = |e: csv::Error| anyhow::anyhow!("writing summary.csv: {e}");
        w.write_record(SUMMARY_CSV_COLUMNS).map_err(err)?;
        for c in &data.analysis.cells {
            w.write_record(row(c, "wall", c.wall.as_ref(), true))
                .map_err(err)?;
            for p in &c.phases {
                w.write_record(row(c, &p.phase, Some(&p.stats), false))
                    .map_err(err)?;
            }
        }
        Ok(w.into_inner()
            .map_err(|e| anyhow::anyhow!("writing summary.csv: {e}"))?)
    }
}
