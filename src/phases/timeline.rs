//! What a parser produces ([`Timeline`]), the parser trait the runner uses
//! ([`BuildOutputParser`]), and picking a parser per output format.

use super::interval::Ns;
use super::phase::Phase;
use crate::records::record::StepRecord;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A span of time attributed to one phase. Used both in a [`Timeline`] and for
/// the caller's extra intervals (a whole `docker buildx create --bootstrap` as
/// [`Phase::BuilderCreate`], a separate `docker push` as [`Phase::Push`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseInterval {
    pub phase: Phase,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl PhaseInterval {
    pub fn new(phase: Phase, start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        PhaseInterval { phase, start, end }
    }

    pub(crate) fn from_ns(phase: Phase, start: Ns, end: Ns) -> Self {
        PhaseInterval {
            phase,
            start: from_ns(start),
            end: from_ns(end),
        }
    }

    pub(crate) fn ns(&self) -> (Ns, Ns) {
        (to_ns(self.start), to_ns(self.end))
    }
}

/// Everything one build's output says about where its time went.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// Intervals per phase, each phase's intervals merged (disjoint, sorted);
    /// phases can still overlap each other ([`super::compute::compute_phases`] resolves that).
    pub intervals: Vec<PhaseInterval>,
    /// Dockerfile steps other than `FROM`, in start order. `duration_ms` is the
    /// union of the step's intervals (a restarted vertex is not counted twice).
    pub steps: Vec<StepRecord>,
    pub steps_total: u32,
    pub steps_cached: u32,
    /// Bytes of blobs downloaded (base layers, cached layers from a remote cache),
    /// each status id counted once at its last value.
    pub bytes_down: u64,
    /// Bytes of blobs pushed (image or cache export), same counting. BuildKit's
    /// docker driver reports no sizes for `pushing layer …`, so this can be 0 even
    /// when something was pushed.
    pub bytes_up: u64,
    /// The `error` of the failing vertex (the first one that is not a mere
    /// `context canceled` of a sibling), or the legacy builder's error line.
    pub error: Option<String>,
    /// Name of the failing vertex / step.
    pub error_vertex: Option<String>,
    /// The last plain `ERROR: …` line of the output (rawjson), if any.
    pub error_line: Option<String>,
    /// Vertices no rule matched, with their own (union) duration in ms. Their
    /// time is left in `other`.
    pub unclassified: Vec<(String, u64)>,
    /// Earliest and latest timestamp seen (daemon timestamps for rawjson,
    /// arrival times for legacy).
    pub first_event: Option<DateTime<Utc>>,
    pub last_event: Option<DateTime<Utc>>,
    /// JSON objects that could not be parsed (truncated, garbage) and were skipped.
    pub malformed_objects: u32,
}

impl Timeline {
    /// Union length in ms of this timeline's intervals of one phase (overlaps with
    /// other phases not removed): what the parsers' tests check.
    #[cfg(test)]
    pub fn phase_ms(&self, phase: Phase) -> u64 {
        let spans = self
            .intervals
            .iter()
            .filter(|i| i.phase == phase)
            .map(|i| i.ns())
            .collect();
        ns_to_ms(super::interval::union_len(spans))
    }
}

/// A parser of one build command's output, fed line by line as it arrives.
///
/// ```
/// use cachebench::phases::output_format::{parser_for, OutputFormat};
/// let mut p = parser_for(OutputFormat::RawJson);
/// let now = chrono::Utc::now();
/// p.feed("ERROR: failed to solve: boom", now);
/// let t = p.finish(now);
/// assert_eq!(t.error_line.as_deref(), Some("ERROR: failed to solve: boom"));
/// ```
pub trait BuildOutputParser: Send {
    /// One line of output, without its line terminator (a trailing `\r` is
    /// ignored), and when it arrived. Never panics, whatever the line.
    fn feed(&mut self, line: &str, arrived: DateTime<Utc>);
    /// Ends the stream (`ended`: when the process exited or output closed; open
    /// intervals are closed there) and returns the timeline so far. Works on a
    /// failed or interrupted build too. The parser is reset afterwards.
    fn finish(&mut self, ended: DateTime<Utc>) -> Timeline;
}

pub(crate) fn to_ns(t: DateTime<Utc>) -> Ns {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

pub(crate) fn from_ns(ns: Ns) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(ns)
}

/// Nanoseconds to whole milliseconds, rounded to nearest.
pub(crate) fn ns_to_ms(ns: Ns) -> u64 {
    if ns <= 0 {
        0
    } else {
        ((ns as u128 + 500_000) / 1_000_000) as u64
    }
}

/// Merges each phase's spans and turns them into sorted [`PhaseInterval`]s.
pub(crate) fn merged_intervals(mut raw: Vec<(Phase, Ns, Ns)>) -> Vec<PhaseInterval> {
    raw.sort_unstable_by_key(|(p, _, _)| *p);
    let mut out = Vec::new();
    for phase in Phase::ALL {
        let spans: Vec<_> = raw
            .iter()
            .filter(|(p, _, _)| *p == phase)
            .map(|(_, s, e)| (*s, *e))
            .collect();
        for (s, e) in super::interval::union(spans) {
            out.push(PhaseInterval::from_ns(phase, s, e));
        }
    }
    out.sort_by_key(|i| (i.start, i.phase));
    out
}
