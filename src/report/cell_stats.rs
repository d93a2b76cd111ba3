//! One cell's statistics from its records ([`cell_stats`]): status counts and
//! reasons, the samples (measured runs that ended ok with their state proven) with
//! their modified Z-scores, outliers and the slow-first-run hint, per-phase
//! statistics, the median share of unattributed time, and the registry footprint.
//! [`crate::report::analysis`] groups cells and compares them; the types of a
//! cell's statistics are here.

use crate::records::cell_key::CellKey;
use crate::records::record::{RunKind, RunRecord, RunStatus};
use crate::stats::drift::Split;
use crate::stats::summary::{Ratio, Summary};
use crate::stats::two_cells::RunTime;
use crate::{
    stats::summary::OUTLIER_Z,
    stats::{self},
};
use serde::{Deserialize, Serialize};

/// Runs of a cell by how they ended (measured runs only) plus the warm-up count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    pub ok: u32,
    pub failed: u32,
    pub timeout: u32,
    pub skipped: u32,
    pub interrupted: u32,
    pub warmup: u32,
    /// Runs that ended ok but whose state check failed: counted, never sampled.
    #[serde(default)]
    pub state_failed: u32,
    /// Runs that ended ok with their state proven but lost more of their CPU to
    /// the hypervisor than `--disturbed-share` allowed: counted, never sampled.
    #[serde(default)]
    pub disturbed: u32,
}

/// One measured, successful run of a cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub rep: u32,
    /// The round the run ran in (its block: runs of one group's round pair up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    pub wall_ms: u64,
    /// Modified Z-score within the cell.
    pub z: f64,
    pub outlier: bool,
    /// The run's `steps` phase, ms, when parsed (for the Decision's drift check;
    /// not written to summary.json).
    #[serde(skip)]
    pub steps_ms: Option<u64>,
    /// actions/cache's restore and save around the build, ms, when measured
    /// (local-cache on warm-remote; outside `wall_ms`; not written to
    /// summary.json, whose phases carry them).
    #[serde(skip)]
    pub transfers_ms: Option<u64>,
}

/// Statistics of one phase of a cell (over the samples that have the phase).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseStats {
    pub phase: String,
    pub stats: Summary,
}

/// Speed of a cell relative to the fastest strategy of its group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relative {
    /// The fastest strategy (lowest median) of the same image store × builder ×
    /// state × change.
    pub fastest: String,
    /// This median / fastest median, with the interval from the CI bounds.
    pub ratio: Ratio,
    /// How the cell stands in its group's verdict ([`crate::report::judge::standing`]):
    /// `winner`, `tie`, `slower`, `leaning`, `unsettled`, `noise`, `alone`.
    pub standing: String,
}

/// Everything reported about one cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellStats {
    pub key: CellKey,
    /// Distinct workloads of the cell's runs (one, normally).
    pub workloads: Vec<String>,
    pub counts: StatusCounts,
    /// Distinct `status: reason` of failed, timed-out, skipped or interrupted runs.
    pub reasons: Vec<String>,
    pub samples: Vec<Sample>,
    /// Wall times of the disturbed runs (ok, state proven, too much CPU lost to the
    /// hypervisor): not samples, drawn apart in the runs chart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disturbed_ms: Vec<u64>,
    /// Wall time statistics; `None` when no run succeeded.
    pub wall: Option<Summary>,
    /// Reps of the outlier samples.
    pub outliers: Vec<u32>,
    /// The first measured run is a high outlier: add warm-up runs.
    pub slow_first_run: bool,
    pub phases: Vec<PhaseStats>,
    pub relative: Option<Relative>,
    /// Median share of wall time no phase explains (`other_ms / wall_ms`); the
    /// report flags cells where it exceeds 5%.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_share: Option<f64>,
    /// What the cell's runs left in the registry (medians), when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footprint: Option<FootprintStats>,
    /// Median duration of the cell's cache-mount step (`RUN --mount=type=cache`),
    /// when its Dockerfile has one (the report's "Cache mounts" section).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_mount_step_ms: Option<u64>,
}

/// Registry footprint of a cell: medians over its successful measured runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FootprintStats {
    pub manifests: u32,
    pub attestations: u32,
    pub bytes: u64,
    /// The cache export's `mode=` (`max`/`min`), empty without one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cache_mode: String,
    /// What the image's tag reaches: bytes and manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_manifests: Option<u32>,
    /// What the registry cache's tag reaches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_manifests: Option<u32>,
    /// What an ECR lifecycle rule counts as images (every manifest either tag reaches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecr_artifacts: Option<u32>,
    /// local-cache: the cache folder's bytes and files after the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_cache_bytes: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_cache_files: Option<u64>,
}

impl CellStats {
    /// Every sample's wall seconds with its block: equal only for runs of the same
    /// image store × builder × state × change and round, the runs a round
    /// interleaves (the stop rule pairs them).
    pub fn times(&self) -> Vec<RunTime> {
        use std::hash::{Hash, Hasher};
        let k = &self.key;
        self.samples
            .iter()
            .map(|s| RunTime {
                block: s.round.map(|round| {
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    (&k.image_store, &k.builder, &k.state, &k.change, round).hash(&mut h);
                    h.finish()
                }),
                seconds: s.wall_ms as f64 / 1000.0,
            })
            .collect()
    }

    /// Every sample's wall and steps seconds; `None` when some sample has no
    /// steps phase (the drift check then cannot run).
    pub fn splits(&self) -> Option<Vec<Split>> {
        self.samples
            .iter()
            .map(|s| {
                s.steps_ms.map(|steps| Split {
                    wall: s.wall_ms as f64 / 1000.0,
                    steps: steps as f64 / 1000.0,
                })
            })
            .collect()
    }
}

/// The median of whole numbers (manifest counts, bytes), by the report's one
/// median ([`stats::summary::median`]: the mean of the middle pair for even n), rounded to
/// the nearest whole number.
pub(crate) fn median_u64(mut v: Vec<u64>) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(stats::summary::median(&v).round() as u64)
}

pub(crate) fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

/// The statistics of the cell `key` from its runs (warm-ups and measured).
pub fn cell_stats(key: CellKey, runs: &[&RunRecord]) -> CellStats {
    let mut counts = StatusCounts::default();
    let mut reasons: Vec<String> = vec![];
    let mut workloads: Vec<String> = vec![];
    let mut measured: Vec<&RunRecord> = vec![];
    let mut disturbed_ms: Vec<u64> = vec![];
    for r in runs {
        push_unique(&mut workloads, &r.workload);
        if r.kind == RunKind::Warmup {
            counts.warmup += 1;
            continue;
        }
        match r.status {
            RunStatus::Ok => counts.ok += 1,
            RunStatus::Failed => counts.failed += 1,
            RunStatus::Timeout => counts.timeout += 1,
            RunStatus::Skipped => counts.skipped += 1,
            RunStatus::Interrupted => counts.interrupted += 1,
        }
        if r.status != RunStatus::Ok && !r.reason.is_empty() {
            push_unique(&mut reasons, &format!("{}: {}", r.status, r.reason));
        }
        if r.status == RunStatus::Ok && r.state_failed() {
            counts.state_failed += 1;
            push_unique(&mut reasons, &format!("state check: {}", r.state_check));
        } else if r.sample_seconds().is_some() {
            measured.push(r);
        } else if r.proven_seconds().is_some() {
            counts.disturbed += 1;
            disturbed_ms.extend(r.wall_ms);
        }
    }
    measured.sort_by_key(|r| r.rep);
    let walls: Vec<u64> = measured.iter().filter_map(|r| r.wall_ms).collect();
    let z = stats::summary::modified_z_scores(&walls);
    let samples: Vec<Sample> = measured
        .iter()
        .zip(&z)
        .map(|(r, &z)| Sample {
            rep: r.rep,
            round: r.round,
            wall_ms: r.wall_ms.unwrap_or(0),
            z,
            outlier: z.abs() > OUTLIER_Z,
            steps_ms: r.phases.steps_ms,
            transfers_ms: r.phases.transfers_ms(),
        })
        .collect();
    let outliers = samples
        .iter()
        .filter(|s| s.outlier)
        .map(|s| s.rep)
        .collect();
    // The first measured run is an outlier above the rest, and the slowest run.
    let slow_first_run = samples.len() >= 3
        && samples[0].outlier
        && samples[0].z > 0.0
        && samples[1..].iter().all(|s| s.wall_ms < samples[0].wall_ms);
    let phase_names: Vec<&'static str> = measured
        .first()
        .map(|r| r.phases.named().iter().map(|(n, _)| *n).collect())
        .unwrap_or_default();
    let mut phases: Vec<PhaseStats> = phase_names
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let vals: Vec<u64> = measured
                .iter()
                .filter_map(|r| r.phases.named()[i].1)
                .collect();
            stats::summary::summarize(&vals).map(|s| PhaseStats {
                phase: name.to_string(),
                stats: s,
            })
        })
        .collect();
    // actions/cache's restore and save, outside the build, where measured
    // (local-cache on warm-remote): after the build's phases.
    for (i, (name, _)) in crate::records::phase_times::Phases::default()
        .transfers()
        .iter()
        .enumerate()
    {
        let vals: Vec<u64> = measured
            .iter()
            .filter_map(|r| r.phases.transfers()[i].1)
            .collect();
        if let Some(s) = stats::summary::summarize(&vals) {
            phases.push(PhaseStats {
                phase: name.to_string(),
                stats: s,
            });
        }
    }
    let mut shares: Vec<f64> = measured
        .iter()
        .filter_map(|r| match (r.phases.other_ms, r.wall_ms) {
            (Some(o), Some(w)) if w > 0 => Some(o as f64 / w as f64),
            _ => None,
        })
        .collect();
    shares.sort_by(f64::total_cmp);
    let other_share = if shares.is_empty() {
        None
    } else {
        let n = shares.len();
        Some(stats::summary::round3(if n % 2 == 1 {
            shares[n / 2]
        } else {
            (shares[n / 2 - 1] + shares[n / 2]) / 2.0
        }))
    };
    // Registry footprint: medians over the runs that measured one.
    let fp_median = |f: fn(&RunRecord) -> Option<u64>| {
        median_u64(measured.iter().filter_map(|r| f(r)).collect())
    };
    let footprint = fp_median(|r| r.registry_bytes).map(|bytes| FootprintStats {
        manifests: fp_median(|r| r.registry_manifests.map(u64::from)).unwrap_or(0) as u32,
        attestations: fp_median(|r| r.registry_attestations.map(u64::from)).unwrap_or(0) as u32,
        bytes,
        cache_mode: measured
            .iter()
            .map(|r| r.footprint.cache_mode.clone())
            .find(|m| !m.is_empty())
            .unwrap_or_default(),
        image_bytes: fp_median(|r| r.footprint.image_bytes),
        image_manifests: fp_median(|r| r.footprint.image_manifests.map(u64::from))
            .map(|v| v as u32),
        cache_bytes: fp_median(|r| r.footprint.cache_bytes),
        cache_manifests: fp_median(|r| r.footprint.cache_manifests.map(u64::from))
            .map(|v| v as u32),
        ecr_artifacts: fp_median(|r| r.footprint.ecr_artifacts.map(u64::from)).map(|v| v as u32),
        local_cache_bytes: fp_median(|r| r.footprint.local_cache_bytes),
        local_cache_files: fp_median(|r| r.footprint.local_cache_files),
    });
    // The cache-mount step (`RUN --mount=type=cache`): its median duration.
    let cache_mount_step_ms = median_u64(
        measured
            .iter()
            .filter_map(|r| {
                r.step_details
                    .iter()
                    .find(|s| s.name.contains("--mount=type=cache"))
                    .map(|s| s.duration_ms)
            })
            .collect(),
    );
    CellStats {
        key,
        workloads,
        counts,
        reasons,
        wall: stats::summary::summarize(&walls),
        samples,
        disturbed_ms,
        outliers,
        slow_first_run,
        phases,
        relative: None,
        other_share,
        footprint,
        cache_mount_step_ms,
    }
}

#[cfg(test)]
mod tests;
