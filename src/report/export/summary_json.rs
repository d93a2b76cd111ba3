//! `summary.json`: the Decision and the whole analysis with a `schema_version` (see
//! `docs/summary-schema.md`); `compare` reads runs.jsonl, not this file.

use crate::error::Result;
use crate::report::analysis::Analysis;
use crate::report::decision::Decision;
use crate::report::export::{Exporter, ReportData, SUMMARY_SCHEMA_VERSION};
use serde::Serialize;

/// Writes `summary.json`.
pub struct SummaryJson;

/// The methods used, spelled out in the file so a reader need not guess.
#[derive(Serialize)]
struct Methods {
    samples: &'static str,
    percentiles: &'static str,
    median_ci: &'static str,
    outliers: &'static str,
    relative: &'static str,
}

pub(crate) const METHOD_SAMPLES: &str =
    "measured runs with status ok whose state check passed and that were not disturbed; warm-up runs, runs whose state check failed, disturbed runs (more CPU lost to the hypervisor than --disturbed-share), and failed, timed-out, skipped or interrupted runs are counted, never sampled";
pub(crate) const METHOD_PERCENTILES: &str =
    "nearest rank: the observed run time of rank ceil(q*n) in the sorted runs (exact, no histogram)";
pub(crate) const METHOD_CI: &str = "distribution-free interval of the median by order statistics (binomial, p = 1/2): the narrowest symmetric [x(j), x(n-j+1)] with coverage >= 95%; for n = 2..5 none exists and [min, max] is given with its actual coverage (50%, 75%, 87.5%, 93.75%); none for n = 1";
pub(crate) const METHOD_OUTLIERS: &str = "modified Z-score 0.6745*(x - median)/MAD, |z| > 3.5 (MAD = 0: (x - median)/(1.253314*mean absolute deviation)); flagged, never dropped";
pub(crate) const METHOD_RELATIVE: &str = "ratio of medians to the fastest strategy of the same image store x builder x state x change, interval [lo/fastest_hi, hi/fastest_lo] from the median intervals; standing is the cell's place in its group's verdict by the stop rule (winner, tie, slower, leaning, unsettled, noise, alone)";

#[derive(Serialize)]
struct SummaryFile<'a> {
    schema_version: u32,
    methods: Methods,
    /// The answer per CI situation (see `report::decision`).
    decision: Decision,
    #[serde(flatten)]
    analysis: &'a Analysis,
}

impl Exporter for SummaryJson {
    fn file_name(&self) -> &'static str {
        "summary.json"
    }

    fn export(&self, data: &ReportData<'_>) -> Result<Vec<u8>> {
        let file = SummaryFile {
            schema_version: SUMMARY_SCHEMA_VERSION,
            methods: Methods {
                samples: METHOD_SAMPLES,
                percentiles: METHOD_PERCENTILES,
                median_ci: METHOD_CI,
                outliers: METHOD_OUTLIERS,
                relative: METHOD_RELATIVE,
            },
            decision: Decision::from_analysis(data.analysis),
            analysis: data.analysis,
        };
        let mut out = serde_json::to_vec_pretty(&file).map_err(anyhow::Error::from)?;
        out.push(b'\n');
        Ok(out)
    }
}
