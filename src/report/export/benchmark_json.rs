//! `benchmark.json` in github-action-benchmark's `customSmallerIsBetter` format:
//! one entry per cell with successful runs, value = median wall time in ms.

use crate::error::Result;
use crate::report::export::{Exporter, ReportData};
use serde::Serialize;

/// Writes `benchmark.json`.
pub struct BenchmarkJson;

/// One entry of github-action-benchmark's custom format.
#[derive(Debug, Serialize)]
pub struct BenchmarkEntry {
    pub name: String,
    pub unit: &'static str,
    pub value: f64,
    /// The median's interval, `"<lo>..<hi> ms, <coverage>% interval of the median"`,
    /// or `"n=1"`: no parentheses, since github-action-benchmark shows it inside its own.
    pub range: String,
    pub extra: String,
}

impl Exporter for BenchmarkJson {
    fn file_name(&self) -> &'static str {
        "benchmark.json"
    }

    fn export(&self, data: &ReportData<'_>) -> Result<Vec<u8>> {
        let entries: Vec<BenchmarkEntry> = data
            .analysis
            .cells
            .iter()
            .filter_map(|c| {
                let w = c.wall.as_ref()?;
                let range = match w.ci {
                    Some(ci) => format!(
                        "{}..{} ms, {}% interval of the median",
                        ci.lo,
                        ci.hi,
                        (ci.coverage * 1000.0).round() / 10.0
                    ),
                    None => "n=1".to_string(),
                };
                let k = &c.counts;
                Some(BenchmarkEntry {
                    name: crate::report::labels::benchmark_name(&c.key),
                    unit: "ms",
                    value: w.median,
                    range,
                    extra: format!(
                        "n={} min={} max={} p90={} ok={} failed={} timeout={} skipped={}",
                        w.n, w.min, w.max, w.p90, k.ok, k.failed, k.timeout, k.skipped
                    ),
                })
            })
            .collect();
        let mut out = serde_json::to_vec_pretty(&entries).map_err(anyhow::Error::from)?;
        out.push(b'\n');
        Ok(out)
    }
}
