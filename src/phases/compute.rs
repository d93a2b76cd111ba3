//! Turns timelines and the run's wall window into [`Phases`] that add up exactly
//! to the wall time, plus the run totals (steps, bytes, error), and the share of
//! unattributed time (`other`) above which the console marks a cell.

use super::interval::{attribute, Ns};
use super::phase::Phase;
use super::timeline::{to_ns, PhaseInterval, Timeline};
use crate::records::phase_times::Phases;
use crate::records::record::StepRecord;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Every phase, then `other`.
const SLOTS: usize = Phase::COUNT + 1;

/// The phase split of one run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseBreakdown {
    /// Every field is `Some`; they sum to exactly `wall_ms`.
    pub phases: Phases,
    /// `wall_end - wall_start`, rounded to the nearest ms.
    pub wall_ms: u64,
    pub steps_total: u32,
    pub steps_cached: u32,
    pub bytes_down: u64,
    pub bytes_up: u64,
    /// Steps of every timeline, in order.
    pub steps: Vec<StepRecord>,
    /// The failing vertex's error (else the last `ERROR:` line) of the first
    /// timeline that has one.
    pub error: Option<String>,
    /// The failing vertex's name.
    pub error_vertex: Option<String>,
    /// Names of vertices no rule matched (their time is in `other`), deduplicated.
    pub unclassified: Vec<String>,
}

/// Splits `[wall_start, wall_end)` into phases.
///
/// - `timelines`: one per build command of the run (usually one).
/// - `extra`: whole commands attributed to one phase by the caller, for example a
///   `docker buildx create --bootstrap` ([`Phase::BuilderCreate`]) or a separate
///   `docker push` ([`Phase::Push`]).
///
/// Every interval is clipped to the wall window; overlapping intervals of one
/// phase count once; an instant covered by several phases goes to the one of
/// highest [`Phase::PRECEDENCE`]. `other_ms` is the rest of the window, and the
/// ms values are rounded (largest remainder) so that they sum to `wall_ms`.
pub fn compute_phases(
    wall_start: DateTime<Utc>,
    wall_end: DateTime<Utc>,
    timelines: &[Timeline],
    extra: &[PhaseInterval],
) -> PhaseBreakdown {
    let (lo, hi) = (to_ns(wall_start), to_ns(wall_end));
    let wall_ns = if hi > lo { hi - lo } else { 0 };
    let mut all: Vec<(Phase, Ns, Ns)> = timelines
        .iter()
        .flat_map(|t| t.intervals.iter())
        .chain(extra.iter())
        .map(|i| {
            let (s, e) = i.ns();
            (i.phase, s, e)
        })
        .collect();
    all.extend(timelines.iter().flat_map(setup_gaps));
    let per_phase = attribute(&all, lo, hi);
    let attributed: Ns = per_phase.iter().sum();
    let mut ns = [0 as Ns; SLOTS];
    ns[..Phase::COUNT].copy_from_slice(&per_phase);
    ns[Phase::COUNT] = (wall_ns - attributed).max(0);
    let wall_ms = ((wall_ns as i128 + 500_000) / 1_000_000) as u64;
    let ms = round_to_total(&ns, wall_ms);

    let mut b = PhaseBreakdown {
        phases: Phases {
            builder_create_ms: Some(ms[0]),
            context_ms: Some(ms[1]),
            base_pull_ms: Some(ms[2]),
            cache_import_ms: Some(ms[3]),
            steps_ms: Some(ms[4]),
            image_export_ms: Some(ms[5]),
            cache_export_ms: Some(ms[6]),
            push_ms: Some(ms[7]),
            load_ms: Some(ms[8]),
            client_start_ms: Some(ms[9]),
            client_end_ms: Some(ms[10]),
            other_ms: Some(ms[Phase::COUNT]),
            ..Phases::default()
        },
        wall_ms,
        ..PhaseBreakdown::default()
    };
    for t in timelines {
        b.steps_total += t.steps_total;
        b.steps_cached += t.steps_cached;
        b.bytes_down += t.bytes_down;
        b.bytes_up += t.bytes_up;
        b.steps.extend(t.steps.iter().cloned());
        if b.error.is_none() {
            if let Some(e) = t.error.clone().or_else(|| t.error_line.clone()) {
                b.error = Some(e);
                b.error_vertex = t.error_vertex.clone();
            }
        }
        for (name, _) in &t.unclassified {
            if !b.unclassified.contains(name) {
                b.unclassified.push(name.clone());
            }
        }
    }
    b
}

/// The gaps inside one build's stream (between the end of one interval and the
/// start of the next, where nothing runs) are the set-up of what comes next: the
/// builder resolving, scheduling, or the engine preparing a push before its vertex
/// shows. Each gap is given to the phase of the interval that starts where it
/// ends (the one of highest precedence when several do).
fn setup_gaps(t: &Timeline) -> Vec<(Phase, Ns, Ns)> {
    let spans: Vec<(Ns, Ns)> = t.intervals.iter().map(|i| i.ns()).collect();
    let merged = super::interval::union(spans);
    merged
        .windows(2)
        .filter_map(|w| {
            let (gap_start, gap_end) = (w[0].1, w[1].0);
            t.intervals
                .iter()
                .filter(|i| i.ns().0 == gap_end)
                .map(|i| i.phase)
                .min_by_key(|p| p.rank())
                .map(|p| (p, gap_start, gap_end))
        })
        .collect()
}

/// Whole ms per entry, summing to `total` exactly: floor everything, then hand
/// the missing ms to the largest remainders (ties: earlier entry first).
fn round_to_total(ns: &[Ns; SLOTS], total: u64) -> [u64; SLOTS] {
    let mut out = [0u64; SLOTS];
    let mut rems: Vec<(Ns, usize)> = Vec::with_capacity(SLOTS);
    for (i, v) in ns.iter().enumerate() {
        let v = (*v).max(0);
        out[i] = (v / 1_000_000) as u64;
        rems.push((v % 1_000_000, i));
    }
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut sum: u64 = out.iter().sum();
    let mut k = 0;
    while sum < total {
        out[rems[k % SLOTS].1] += 1;
        sum += 1;
        k += 1;
    }
    // Only reachable with inconsistent input; take from `other` first, then the rest.
    while sum > total {
        match (0..SLOTS).rev().find(|&i| out[i] > 0) {
            Some(i) => {
                out[i] -= 1;
                sum -= 1;
            }
            None => break,
        }
    }
    out
}

impl PhaseBreakdown {
    /// Sum of the phases including `other` (equals `wall_ms`).
    pub fn sum_ms(&self) -> u64 {
        self.phases
            .named()
            .iter()
            .map(|(_, v)| v.unwrap_or(0))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn at(us: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::microseconds(us)
    }

    fn tl(iv: &[(Phase, i64, i64)]) -> Timeline {
        Timeline {
            intervals: iv
                .iter()
                .map(|&(p, s, e)| PhaseInterval::new(p, at(s), at(e)))
                .collect(),
            ..Timeline::default()
        }
    }

    #[test]
    fn a_gap_between_intervals_is_the_set_up_of_what_follows() {
        // context 0-10 ms, (gap 10-30), push 30-50, (gap 50-60), steps and load both
        // start at 60: load wins by precedence. Outside the stream: other.
        let t = tl(&[
            (Phase::Context, 0, 10_000),
            (Phase::Push, 30_000, 50_000),
            (Phase::Steps, 60_000, 70_000),
            (Phase::Load, 60_000, 65_000),
        ]);
        let b = compute_phases(at(0), at(80_000), &[t], &[]);
        assert_eq!(b.phases.context_ms, Some(10));
        assert_eq!(b.phases.push_ms, Some(40));
        // The gap 50-60 and 60-65 (where load outranks steps) are load's.
        assert_eq!(b.phases.load_ms, Some(15));
        assert_eq!(b.phases.steps_ms, Some(5));
        assert_eq!(b.phases.other_ms, Some(10));
    }

    #[test]
    fn sums_to_wall_with_rounding() {
        // Odd sub-ms pieces everywhere.
        let t = tl(&[
            (Phase::Context, 0, 1_400),
            (Phase::BasePull, 1_400, 2_800),
            (Phase::Steps, 2_800, 4_200),
            (Phase::ImageExport, 4_200, 5_600),
            (Phase::Load, 5_600, 7_000),
        ]);
        let b = compute_phases(at(0), at(7_700), &[t], &[]);
        assert_eq!(b.wall_ms, 8);
        assert_eq!(b.sum_ms(), 8);
        let b = compute_phases(at(0), at(7_400), &[tl(&[(Phase::Steps, 100, 7_300)])], &[]);
        assert_eq!((b.wall_ms, b.sum_ms()), (7, 7));
    }

    #[test]
    fn extra_push_and_overlap_precedence() {
        let t = tl(&[
            (Phase::Steps, 0, 4_000_000),
            (Phase::Steps, 1_000_000, 5_000_000), // parallel step: once
            (Phase::ImageExport, 5_000_000, 8_000_000),
            (Phase::Push, 6_000_000, 7_000_000), // push inside export
        ]);
        let push = PhaseInterval::new(Phase::Push, at(9_000_000), at(12_000_000));
        let b = compute_phases(at(0), at(10_000_000), &[t], &[push]);
        assert_eq!(b.phases.steps_ms, Some(5000));
        assert_eq!(b.phases.image_export_ms, Some(2000));
        assert_eq!(b.phases.push_ms, Some(2000)); // 1 s inside + 1 s of the clipped extra
        assert_eq!(b.phases.other_ms, Some(1000));
        assert_eq!(b.sum_ms(), 10_000);
    }

    #[test]
    fn empty_and_inverted_windows() {
        let b = compute_phases(at(5), at(5), &[], &[]);
        assert_eq!((b.wall_ms, b.sum_ms(), b.phases.other_ms), (0, 0, Some(0)));
        let b = compute_phases(at(10), at(5), &[tl(&[(Phase::Steps, 0, 20)])], &[]);
        assert_eq!(b.sum_ms(), 0);
        let b = compute_phases(at(0), at(3_000), &[], &[]);
        assert_eq!(b.phases.other_ms, Some(3));
    }
}
