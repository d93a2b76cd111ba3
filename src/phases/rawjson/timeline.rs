//! The end of a rawjson stream: the vertices and statuses the parser kept turned
//! into the build's [`Timeline`]: each vertex's phase and run time (steps counted
//! and listed), the failing vertex's error, each status's phase, and the bytes
//! moved down and up (one value per status id, the latest).

use super::{RawJsonParser, StatusState, VertexState};
use crate::phases::classify::{classify_auth, classify_status, classify_vertex, VertexClass};
use crate::phases::interval::{union, Ns};
use crate::phases::phase::Phase;
use crate::phases::timeline::{from_ns, merged_intervals, ns_to_ms, Timeline};
use crate::records::record::StepRecord;
use std::collections::HashMap;

/// Per vertex: its phase (`None`: unknown) and whether it is a cached step.
type VertexPhase = (Option<Phase>, bool);

/// The timeline of everything `p` kept; open vertices and statuses end at the
/// later of `ended` and the last event.
pub(super) fn timeline(p: &mut RawJsonParser, ended: Ns) -> Timeline {
    let close = p.last_ts.map_or(ended, |l| l.max(ended));
    let mut t = Timeline {
        malformed_objects: p.malformed,
        error_line: p.error_line.take(),
        first_event: p.first_ts.map(from_ns),
        last_event: p.last_ts.map(from_ns),
        ..Timeline::default()
    };
    let mut raw: Vec<(Phase, Ns, Ns)> = Vec::new();
    let vphase = vertices(&p.vertices, close, &mut t, &mut raw);
    statuses(&p.statuses, &vphase, close, &mut t, &mut raw);
    t.intervals = merged_intervals(raw);
    t
}

/// Classifies each vertex, adds its run spans to `raw`, counts and lists the
/// steps (in start order) and keeps the most telling error.
fn vertices(
    vertices: &[VertexState],
    close: Ns,
    t: &mut Timeline,
    raw: &mut Vec<(Phase, Ns, Ns)>,
) -> Vec<VertexPhase> {
    let cache_refs: Vec<&str> = vertices
        .iter()
        .filter_map(|v| v.name.strip_prefix("importing cache manifest from "))
        .collect();
    let mut vphase: Vec<VertexPhase> = Vec::with_capacity(vertices.len());
    let mut steps: Vec<(Ns, StepRecord)> = Vec::new();
    for v in vertices {
        let spans = run_spans(v, close);
        let dur: Ns = spans.iter().map(|(s, e)| e - s).sum();
        let class = classify_vertex(&v.name);
        let phase = match class {
            VertexClass::Phase(p) => Some(p),
            VertexClass::Step => Some(Phase::Steps),
            VertexClass::Auth => Some(classify_auth(&v.name, &cache_refs)),
            VertexClass::Unknown => None,
        };
        vphase.push((phase, class == VertexClass::Step && v.cached));
        if class == VertexClass::Step {
            t.steps_total += 1;
            t.steps_cached += u32::from(v.cached);
            let first = v.runs.iter().map(|r| r.0).min().unwrap_or(Ns::MAX);
            steps.push((
                first,
                StepRecord {
                    name: v.name.clone(),
                    duration_ms: ns_to_ms(dur),
                    cached: v.cached,
                },
            ));
        }
        match phase {
            Some(p) => raw.extend(spans.iter().map(|(s, e)| (p, *s, *e))),
            None if !v.name.is_empty() => t.unclassified.push((v.name.clone(), ns_to_ms(dur))),
            None => {}
        }
        if let Some(e) = &v.error {
            keep_error(t, e, &v.name);
        }
    }
    steps.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
    t.steps = steps.into_iter().map(|(_, s)| s).collect();
    vphase
}

/// The spans a vertex ran, merged (a cached step is reported started and completed
/// more than once: each time counts, an overlap once); an open run ends at `close`.
/// The one definition of a vertex's time, for the record and the transcript.
pub(super) fn run_spans(v: &VertexState, close: Ns) -> Vec<(Ns, Ns)> {
    union(
        v.runs
            .iter()
            .map(|(s, e)| (*s, e.unwrap_or(close)))
            .collect(),
    )
}

/// Keeps the first error, unless it is a `context canceled` and a real one comes.
fn keep_error(t: &mut Timeline, error: &str, vertex: &str) {
    let canceled = error.contains("context canceled");
    let have_real = t
        .error
        .as_deref()
        .is_some_and(|x| !x.contains("context canceled"));
    if t.error.is_none() || (!canceled && !have_real) {
        t.error = Some(error.to_string());
        t.error_vertex = Some(vertex.to_string());
    }
}

/// Adds each status's span to `raw` under its phase (a cache layer under a cached
/// step is cache import), and sums the bytes moved: one value per status id (the
/// latest), up for push and cache export, down otherwise.
fn statuses(
    statuses: &[StatusState],
    vphase: &[VertexPhase],
    close: Ns,
    t: &mut Timeline,
    raw: &mut Vec<(Phase, Ns, Ns)>,
) {
    let mut bytes: HashMap<&str, (Ns, u64, bool)> = HashMap::new();
    for s in statuses {
        let (vp, cached_step) = vphase.get(s.vertex).copied().unwrap_or((None, false));
        let blob = s.id.starts_with("sha256:");
        let cache_layer = blob || s.id.starts_with("extracting sha256:");
        let phase = classify_status(&s.id).or(if cache_layer && cached_step {
            Some(Phase::CacheImport)
        } else {
            vp
        });
        if let (Some(p), Some(start)) = (phase, s.started) {
            let end = s.end.or(s.last_ts).unwrap_or(close).max(start);
            raw.push((p, start, end));
        }
        let up = matches!(phase, Some(Phase::Push) | Some(Phase::CacheExport));
        let transfer =
            blob || s.id.starts_with("pushing layer ") || s.id.starts_with("writing layer ");
        let amount = if s.current > 0 {
            s.current
        } else if s.end.is_some() {
            s.total.unwrap_or(0)
        } else {
            0
        };
        if transfer && phase.is_some() && amount > 0 {
            let key =
                s.id.trim_start_matches("pushing layer ")
                    .trim_start_matches("writing layer ");
            let when = s.last_ts.unwrap_or(Ns::MIN);
            let e = bytes.entry(key).or_insert((when, amount, up));
            if when >= e.0 {
                *e = (when, amount, up);
            }
        }
    }
    for (_, amount, up) in bytes.values() {
        if *up {
            t.bytes_up += amount;
        } else {
            t.bytes_down += amount;
        }
    }
}
