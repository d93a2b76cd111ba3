//! Each vertex of a rawjson stream as a reader of the build sees it, for the run's
//! transcript: its name, when it first started, whether it was cached or failed,
//! and its time exactly as the record counts it (`timeline::run_spans`:
//! the union of every start..completion BuildKit reported; a cached step is often
//! reported more than once, e.g. checked early and completed when its layers were
//! fetched, so its last report alone says much less than it took).

use super::timeline::run_spans;
use super::RawJsonParser;
use crate::phases::interval::Ns;
use crate::phases::timeline::{from_ns, ns_to_ms};
use chrono::{DateTime, Utc};

/// One vertex of the build, as far as the stream went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VertexSummary {
    pub digest: String,
    pub name: String,
    /// Its first start; `None` when it never started (cancelled, or not reached).
    pub started: Option<DateTime<Utc>>,
    /// Its time as the record counts it (see the module doc); `None` when it never
    /// started.
    pub duration_ms: Option<u64>,
    /// How many distinct starts BuildKit reported.
    pub runs: usize,
    /// Every run completed.
    pub completed: bool,
    pub cached: bool,
    pub error: Option<String>,
}

impl RawJsonParser {
    /// The vertices seen so far, in the order they first started (the order the
    /// record lists steps in: by first start, then name; never-started ones last,
    /// in the order they were first seen); an open run ends at the last event of
    /// the stream.
    pub fn vertices(&self) -> Vec<VertexSummary> {
        let close = self.last_ts.unwrap_or(0);
        let mut v: Vec<(Ns, usize, VertexSummary)> = self
            .vertices
            .iter()
            .enumerate()
            .map(|(i, st)| {
                let first = st.runs.iter().map(|r| r.0).min();
                let spans = run_spans(st, close);
                let summary = VertexSummary {
                    digest: st.digest.clone(),
                    name: st.name.clone(),
                    started: first.map(from_ns),
                    duration_ms: first.map(|_| ns_to_ms(spans.iter().map(|(s, e)| e - s).sum())),
                    runs: st.runs.len(),
                    completed: !st.runs.is_empty() && st.runs.iter().all(|r| r.1.is_some()),
                    cached: st.cached,
                    error: st.error.clone(),
                };
                (first.unwrap_or(Ns::MAX), i, summary)
            })
            .collect();
        v.sort_by(|a, b| {
            a.0.cmp(&b.0).then_with(|| match a.0 {
                Ns::MAX => a.1.cmp(&b.1),
                _ => a.2.name.cmp(&b.2.name).then(a.1.cmp(&b.1)),
            })
        });
        v.into_iter().map(|(_, _, s)| s).collect()
    }
}
