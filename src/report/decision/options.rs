//! The options a Decision compares: one cell, or the pooled cold cells of a
//! strategy (a cold state makes the change irrelevant, so cold cells are matched by
//! strategy, builder and store whatever their change), with their median and
//! interval, phase medians, registry footprint and every run's wall and steps
//! seconds; and the no-cache option of a builder × store.

use crate::report::analysis::Analysis;
use crate::report::cell_stats::CellStats;
use crate::report::decision::NO_CACHE;
use crate::report::judge::{Contender, NO_CACHE_ID};
use crate::{
    stats::drift::Split,
    stats::summary::MedianCi,
    stats::summary::Summary,
    stats::two_cells::RunTime,
    stats::{self},
};
use serde::{Deserialize, Serialize};

/// One option of a situation: a cell (or pooled cold cells) and what it costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionStats {
    pub strategy: String,
    /// The state whose cells were measured (`cold` for the no-cache option).
    pub state: String,
    /// True for the no-cache option (a plain build in a cold state).
    pub no_cache: bool,
    pub n: usize,
    pub median_ms: f64,
    /// Interval of the median; `None` when n = 1.
    pub ci: Option<MedianCi>,
    /// Time saved against no cache (positive: faster), ms and % of no cache.
    pub saving_ms: Option<f64>,
    pub saving_pct: Option<f64>,
    /// Median cache import + cache export time, ms (absent without phase data).
    pub overhead_ms: Option<f64>,
    /// Median time of the build steps, ms (absent without phase data).
    pub steps_ms: Option<f64>,
    /// What one run leaves in the registry (medians), when measured.
    pub manifests: Option<u32>,
    pub bytes: Option<u64>,
    /// The same strategy's cold median (a cache miss: the first build, or after
    /// eviction), when measured.
    pub miss_ms: Option<f64>,
    /// For a cache: false when it is not faster than no cache (its import and
    /// export cost more than it saves).
    pub pays: Option<bool>,
    /// For a cache restored and saved by actions/cache around the build
    /// (local-cache on an ephemeral runner): the median of those transfers, ms.
    /// `median_ms`, the interval and the verdict then count them (the job's time);
    /// `build_alone_ms` is what the build alone took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfers_ms: Option<f64>,
    /// The build's own median, ms, when `transfers_ms` is counted in `median_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_alone_ms: Option<f64>,
    /// Every sample's wall and steps seconds (steps 0 when not parsed), for the
    /// stop rule and the drift check; not written out.
    #[serde(skip)]
    pub runs: Vec<Split>,
    /// Every sample's wall seconds with its block (group and round), for the
    /// stop rule, which pairs runs of the same round; not written out.
    #[serde(skip)]
    pub times: Vec<RunTime>,
    /// Whether every sample has its steps phase (the drift check needs them).
    #[serde(skip)]
    pub runs_have_steps: bool,
}

impl OptionStats {
    /// The option's name in a verdict: `no-cache` for the no-cache option (whose
    /// strategy may also be one of the caches), else the strategy.
    pub fn id(&self) -> &str {
        if self.no_cache {
            NO_CACHE_ID
        } else {
            &self.strategy
        }
    }

    /// The option as the one rule sees it.
    pub fn contender(&self) -> Contender<'_> {
        Contender {
            id: self.id(),
            state: &self.state,
            no_cache: self.no_cache,
            median_ms: self.median_ms,
            times: &self.times,
            splits: self.runs_have_steps.then_some(self.runs.as_slice()),
        }
    }
}

/// The cells of one strategy × builder × store × state, any change for `cold`.
pub fn cells_of<'a>(
    a: &'a Analysis,
    strategy: &str,
    builder: &str,
    store: &str,
    state: &str,
    change: &str,
) -> Vec<&'a CellStats> {
    a.cells
        .iter()
        .filter(|c| {
            c.key.strategy == strategy
                && c.key.builder == builder
                && c.key.image_store == store
                && c.key.state == state
                && (state == "cold" || c.key.change == change)
                && c.wall.is_some()
        })
        .collect()
}

fn phase_median(cells: &[&CellStats], phase: &str) -> Option<f64> {
    let v: Vec<f64> = cells
        .iter()
        .filter_map(|c| c.phases.iter().find(|p| p.phase == phase))
        .map(|p| p.stats.median)
        .collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// An option from its cells (several only for cold: their samples are pooled).
pub fn option(cells: &[&CellStats], no_cache: bool) -> Option<OptionStats> {
    let first = cells.first()?;
    let walls: Vec<u64> = cells
        .iter()
        .flat_map(|c| c.samples.iter().map(|s| s.wall_ms))
        .collect();
    let w: Summary = stats::summary::summarize(&walls)?;
    let overhead = match (
        phase_median(cells, "cache_import"),
        phase_median(cells, "cache_export"),
    ) {
        (None, None) => None,
        (i, e) => Some(i.unwrap_or(0.0) + e.unwrap_or(0.0)),
    };
    let fp = cells.iter().find_map(|c| c.footprint.as_ref());
    let samples = cells.iter().flat_map(|c| c.samples.iter());
    let runs: Vec<Split> = samples
        .clone()
        .map(|s| Split {
            wall: s.wall_ms as f64 / 1000.0,
            steps: s.steps_ms.unwrap_or(0) as f64 / 1000.0,
        })
        .collect();
    let times: Vec<RunTime> = cells.iter().flat_map(|c| c.times()).collect();
    let runs_have_steps = samples.clone().all(|s| s.steps_ms.is_some());
    Some(OptionStats {
        strategy: first.key.strategy.clone(),
        state: first.key.state.clone(),
        no_cache,
        n: w.n,
        median_ms: w.median,
        ci: w.ci,
        saving_ms: None,
        saving_pct: None,
        overhead_ms: overhead,
        steps_ms: phase_median(cells, "steps"),
        manifests: fp.map(|f| f.manifests),
        bytes: fp.map(|f| f.bytes),
        miss_ms: None,
        pays: None,
        transfers_ms: None,
        build_alone_ms: None,
        runs,
        times,
        runs_have_steps,
    })
}

/// An ephemeral runner's option of a cache restored and saved by actions/cache
/// around the build: each run's time is the job's (the build plus its restore and
/// save), so the median, interval and verdict count the transfers; the build's own
/// median stays beside it. Unchanged when no run measured transfers.
pub fn option_with_transfers(cells: &[&CellStats]) -> Option<OptionStats> {
    let mut o = option(cells, false)?;
    let samples: Vec<&crate::report::cell_stats::Sample> =
        cells.iter().flat_map(|c| c.samples.iter()).collect();
    if !samples.iter().any(|s| s.transfers_ms.is_some()) {
        return Some(o);
    }
    let extra = |s: &crate::report::cell_stats::Sample| s.transfers_ms.unwrap_or(0);
    let jobs: Vec<u64> = samples.iter().map(|s| s.wall_ms + extra(s)).collect();
    let transfers: Vec<u64> = samples.iter().filter_map(|s| s.transfers_ms).collect();
    let job: Summary = stats::summary::summarize(&jobs)?;
    o.build_alone_ms = Some(o.median_ms);
    o.transfers_ms = stats::summary::summarize(&transfers).map(|t| t.median);
    o.median_ms = job.median;
    o.ci = job.ci;
    for (split, s) in o.runs.iter_mut().zip(&samples) {
        split.wall += extra(s) as f64 / 1000.0;
    }
    // `times` follows the cells' samples in the same order.
    for (t, s) in o.times.iter_mut().zip(&samples) {
        t.seconds += extra(s) as f64 / 1000.0;
    }
    Some(o)
}

/// The no-cache option of a builder × store: the first of [`NO_CACHE`] with cold
/// runs; when none was measured, the fastest cold strategy (every cold build is a
/// build without a cache; one that exports a cache only pays more).
pub fn no_cache(a: &Analysis, builder: &str, store: &str) -> Option<OptionStats> {
    if let Some(o) = NO_CACHE
        .iter()
        .find_map(|s| option(&cells_of(a, s, builder, store, "cold", ""), true))
    {
        return Some(o);
    }
    let mut strategies: Vec<&str> = vec![];
    for c in a.cells.iter().filter(|c| c.key.state == "cold") {
        if !strategies.contains(&c.key.strategy.as_str()) {
            strategies.push(&c.key.strategy);
        }
    }
    strategies
        .into_iter()
        .filter_map(|s| option(&cells_of(a, s, builder, store, "cold", ""), true))
        .min_by(|x, y| x.median_ms.total_cmp(&y.median_ms))
}

/// The cold median of a strategy (a cache miss), any change.
pub fn cold_median(a: &Analysis, strategy: &str, builder: &str, store: &str) -> Option<f64> {
    option(&cells_of(a, strategy, builder, store, "cold", ""), false).map(|o| o.median_ms)
}
