//! One cell's statistics from its records ([`cell_stats`]): status counts and
//! reasons, the samples (measured runs that ended ok with their state proven) with
//! their modified Z-scores, outliers and the slow-first-run hint, per-phase
//! statistics, the median share of unattributed time, and the registry footprint.
//! [`crate::report::analysis`] groups cells and compares them.

use crate::records::record::{CellKey, RunKind, RunRecord, RunStatus};
use crate::report::analysis::{
    median_u64, push_unique, CellStats, FootprintStats, PhaseStats, Sample, StatusCounts,
};
use crate::{
    stats::summary::OUTLIER_Z,
    stats::{self},
};

/// The statistics of the cell `key` from its runs (warm-ups and measured).
pub fn cell_stats(key: CellKey, runs: &[&RunRecord]) -> CellStats {
    let mut counts = StatusCounts::default();
    let mut reasons: Vec<String> = vec![];
    let mut workloads: Vec<String> = vec![];
    let mut measured: Vec<&RunRecord> = vec![];
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
        } else if r.status == RunStatus::Ok && r.wall_ms.is_some() {
            measured.push(r);
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
            wall_ms: r.wall_ms.unwrap_or(0),
            z,
            outlier: z.abs() > OUTLIER_Z,
            steps_ms: r.phases.steps_ms,
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
    let phases = phase_names
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
    });
    CellStats {
        key,
        workloads,
        counts,
        reasons,
        wall: stats::summary::summarize(&walls),
        samples,
        outliers,
        slow_first_run,
        phases,
        relative: None,
        other_share,
        footprint,
    }
}
