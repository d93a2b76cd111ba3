//! Streaming parser of `docker buildx build --progress=rawjson` stderr: pretty-
//! printed JSON objects (a line `{` … a line `}`) mixed with plain lines. Only the
//! current object is buffered; per vertex and per status only the latest state
//! and the vertex's run intervals are kept.

use super::classify::{classify_auth, classify_status, classify_vertex, VertexClass};
use super::interval::{union, Ns};
use super::phase::Phase;
use super::timeline::{from_ns, merged_intervals, ns_to_ms, to_ns, BuildOutputParser, Timeline};
use crate::record::StepRecord;
use chrono::{DateTime, Utc};
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;

/// A JSON object larger than this is dropped as garbage (a stuck `{` line).
const MAX_OBJECT_BYTES: usize = 64 << 20;

#[derive(Deserialize)]
struct Msg<'a> {
    #[serde(default, borrow)]
    vertexes: Option<Vec<RawVertex<'a>>>,
    #[serde(default, borrow)]
    statuses: Option<Vec<RawStatus<'a>>>,
    #[serde(default)]
    #[allow(dead_code)]
    logs: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct RawVertex<'a> {
    #[serde(default, borrow)]
    digest: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    started: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    completed: Option<Cow<'a, str>>,
    #[serde(default)]
    cached: Option<bool>,
    #[serde(default, borrow)]
    error: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RawStatus<'a> {
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    vertex: Option<Cow<'a, str>>,
    #[serde(default)]
    total: Option<i64>,
    #[serde(default)]
    current: Option<i64>,
    #[serde(default, borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    started: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    completed: Option<Cow<'a, str>>,
}

#[derive(Debug, Default)]
struct VertexState {
    name: String,
    /// One entry per (re)start: start, end if completed.
    runs: Vec<(Ns, Option<Ns>)>,
    cached: bool,
    error: Option<String>,
}

#[derive(Debug)]
struct StatusState {
    vertex: usize,
    id: String,
    started: Option<Ns>,
    end: Option<Ns>,
    last_ts: Option<Ns>,
    current: u64,
    total: Option<u64>,
}

/// Parser for `--progress=rawjson`. See [`BuildOutputParser`].
#[derive(Debug, Default)]
pub struct RawJsonParser {
    buf: String,
    in_object: bool,
    vertices: Vec<VertexState>,
    by_digest: HashMap<String, usize>,
    statuses: Vec<StatusState>,
    status_index: HashMap<(usize, String), usize>,
    error_line: Option<String>,
    first_ts: Option<Ns>,
    last_ts: Option<Ns>,
    malformed: u32,
}

fn parse_ts(s: Option<&Cow<'_, str>>) -> Option<Ns> {
    let d = DateTime::parse_from_rfc3339(s?).ok()?;
    d.timestamp_nanos_opt()
}

impl RawJsonParser {
    pub fn new() -> Self {
        Self::default()
    }

    fn seen(&mut self, t: Option<Ns>) {
        if let Some(t) = t {
            self.first_ts = Some(self.first_ts.map_or(t, |f| f.min(t)));
            self.last_ts = Some(self.last_ts.map_or(t, |l| l.max(t)));
        }
    }

    fn plain_line(&mut self, line: &str) {
        if line.starts_with("ERROR:") {
            self.error_line = Some(line.to_string());
        }
    }

    fn vertex_index(&mut self, digest: &str) -> usize {
        if let Some(&i) = self.by_digest.get(digest) {
            return i;
        }
        let i = self.vertices.len();
        self.vertices.push(VertexState::default());
        self.by_digest.insert(digest.to_string(), i);
        i
    }

    fn end_object(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        self.in_object = false;
        match serde_json::from_str::<Msg<'_>>(&buf) {
            Ok(msg) => self.apply(msg),
            Err(_) => self.malformed += 1,
        }
        self.buf = buf;
        self.buf.clear();
    }

    fn apply(&mut self, msg: Msg<'_>) {
        for v in msg.vertexes.unwrap_or_default() {
            let Some(digest) = v.digest.as_deref() else {
                continue;
            };
            let started = parse_ts(v.started.as_ref());
            let completed = parse_ts(v.completed.as_ref());
            self.seen(started);
            self.seen(completed);
            let i = self.vertex_index(digest);
            let st = &mut self.vertices[i];
            if let Some(name) = v.name {
                if st.name != name {
                    st.name = name.into_owned();
                }
            }
            st.cached |= v.cached.unwrap_or(false);
            if let Some(e) = v.error {
                if !e.is_empty() {
                    st.error = Some(e.into_owned());
                }
            }
            if let Some(s) = started {
                match st.runs.iter_mut().rev().find(|(rs, _)| *rs == s) {
                    Some(run) => {
                        if completed.is_some() {
                            run.1 = completed;
                        }
                    }
                    None => st.runs.push((s, completed)),
                }
            }
        }
        for s in msg.statuses.unwrap_or_default() {
            let (Some(id), Some(vertex)) = (s.id, s.vertex.as_deref()) else {
                continue;
            };
            let started = parse_ts(s.started.as_ref());
            let completed = parse_ts(s.completed.as_ref());
            let ts = parse_ts(s.timestamp.as_ref());
            self.seen(started);
            self.seen(completed);
            self.seen(ts);
            let v = self.vertex_index(vertex);
            let key = (v, id.into_owned());
            let idx = match self.status_index.get(&key) {
                Some(&i) => i,
                None => {
                    let i = self.statuses.len();
                    self.statuses.push(StatusState {
                        vertex: v,
                        id: key.1.clone(),
                        started: None,
                        end: None,
                        last_ts: None,
                        current: 0,
                        total: None,
                    });
                    self.status_index.insert(key, i);
                    i
                }
            };
            let st = &mut self.statuses[idx];
            if let Some(t) = started {
                st.started = Some(st.started.map_or(t, |o| o.min(t)));
            }
            if let Some(t) = completed {
                st.end = Some(st.end.map_or(t, |o| o.max(t)));
            }
            if ts.is_some() && ts >= st.last_ts {
                st.last_ts = ts;
                if let Some(c) = s.current {
                    st.current = c.max(0) as u64;
                }
                if let Some(t) = s.total {
                    st.total = Some(t.max(0) as u64);
                }
            } else if st.last_ts.is_none() {
                if let Some(c) = s.current {
                    st.current = c.max(0) as u64;
                }
                if let Some(t) = s.total {
                    st.total = Some(t.max(0) as u64);
                }
            }
        }
    }

    fn build_timeline(&mut self, ended: Ns) -> Timeline {
        let close = self.last_ts.map_or(ended, |l| l.max(ended));
        let mut t = Timeline {
            malformed_objects: self.malformed,
            error_line: self.error_line.take(),
            first_event: self.first_ts.map(from_ns),
            last_event: self.last_ts.map(from_ns),
            ..Timeline::default()
        };
        let cache_refs: Vec<&str> = self
            .vertices
            .iter()
            .filter_map(|v| v.name.strip_prefix("importing cache manifest from "))
            .collect();
        let mut raw: Vec<(Phase, Ns, Ns)> = Vec::new();
        // Per vertex: its phase (None = unknown), and whether it is a cached step.
        let mut vphase: Vec<(Option<Phase>, bool)> = Vec::with_capacity(self.vertices.len());
        let mut steps: Vec<(Ns, StepRecord)> = Vec::new();
        for v in &self.vertices {
            let spans = union(
                v.runs
                    .iter()
                    .map(|(s, e)| (*s, e.unwrap_or(close)))
                    .collect(),
            );
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
                let canceled = e.contains("context canceled");
                let have_real = t
                    .error
                    .as_deref()
                    .is_some_and(|x| !x.contains("context canceled"));
                if t.error.is_none() || (!canceled && !have_real) {
                    t.error = Some(e.clone());
                    t.error_vertex = Some(v.name.clone());
                }
            }
        }
        steps.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.name.cmp(&b.1.name)));
        t.steps = steps.into_iter().map(|(_, s)| s).collect();

        // Bytes: one value per status id (the latest), direction by phase.
        let mut bytes: HashMap<&str, (Ns, u64, bool)> = HashMap::new();
        for s in &self.statuses {
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
        t.intervals = merged_intervals(raw);
        t
    }
}

impl BuildOutputParser for RawJsonParser {
    fn feed(&mut self, line: &str, _arrived: DateTime<Utc>) {
        let line = line.trim_end_matches(['\r', '\n']);
        if self.in_object {
            if line == "}" {
                self.buf.push_str(line);
                self.end_object();
                return;
            }
            let indented = line.starts_with([' ', '\t']);
            if indented && self.buf.len() + line.len() < MAX_OBJECT_BYTES {
                self.buf.push_str(line);
                self.buf.push('\n');
                return;
            }
            // A line that cannot be inside a pretty-printed object: the object
            // was truncated. Drop it and treat this line afresh.
            self.malformed += 1;
            self.in_object = false;
            self.buf.clear();
            if indented {
                return;
            }
        }
        if line == "{" {
            self.in_object = true;
            self.buf.clear();
            self.buf.push_str("{\n");
        } else {
            self.plain_line(line);
        }
    }

    fn finish(&mut self, ended: DateTime<Utc>) -> Timeline {
        if self.in_object {
            self.malformed += 1;
        }
        let t = self.build_timeline(to_ns(ended));
        *self = RawJsonParser::default();
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(p: &mut RawJsonParser, text: &str) {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        for l in text.lines() {
            p.feed(l, at);
        }
    }

    fn vertex(
        digest: &str,
        name: &str,
        started: Option<&str>,
        completed: Option<&str>,
        extra: &str,
    ) -> String {
        let mut s = format!("{{\n  \"vertexes\": [\n    {{\n      \"digest\": \"{digest}\",\n      \"name\": \"{name}\"");
        if let Some(t) = started {
            s += &format!(",\n      \"started\": \"2024-01-01T00:00:{t}Z\"");
        }
        if let Some(t) = completed {
            s += &format!(",\n      \"completed\": \"2024-01-01T00:00:{t}Z\"");
        }
        s += extra;
        s += "\n    }\n  ]\n}\n";
        s
    }

    #[test]
    fn restarted_vertex_keeps_both_runs_and_merges() {
        let mut p = RawJsonParser::new();
        let mut text = String::new();
        text += &vertex("d1", "[2/3] RUN x", Some("01"), None, "");
        text += &vertex("d1", "[2/3] RUN x", Some("01"), Some("03"), "");
        text += &vertex("d1", "[2/3] RUN x", Some("05"), None, "");
        text += &vertex("d1", "[2/3] RUN x", Some("05"), Some("06"), "");
        // an overlapping re-report does not double count
        text += &vertex("d1", "[2/3] RUN x", Some("02"), Some("03"), "");
        feed_all(&mut p, &text);
        let t = p.finish(DateTime::<Utc>::UNIX_EPOCH);
        assert_eq!(t.steps_total, 1);
        assert_eq!(t.steps[0].duration_ms, 3000);
        assert_eq!(t.phase_ms(Phase::Steps), 3000);
        assert_eq!(t.intervals.len(), 2);
    }

    #[test]
    fn truncated_object_and_garbage_are_skipped() {
        let mut p = RawJsonParser::new();
        let good = vertex("d2", "exporting to image", Some("01"), Some("02"), "");
        let mut text = String::new();
        text += "{\n  \"vertexes\": [\n    {\n      \"digest\": \"d1\",\n";
        text += "WARNING: something odd\n"; // truncates the object above
        text += "garbage }{ [[[\n";
        text += "   indented garbage outside an object\n";
        text += "{\n  \"vertexes\": [ {\"digest\": 5 } ]\n}\n"; // wrong type
        text += "{\n  this is not json\n";
        text += &good; // `{` restarts: previous object dropped
        text += "{\n  \"unknown\": {\"deep\": [1,2,{}]},\n  \"vertexes\": null\n}\n";
        text += "ERROR: failed to solve: boom\n";
        text += "{\n  \"vertexes\": [\n"; // truncated at the end of the stream
        feed_all(&mut p, &text);
        let t = p.finish(DateTime::<Utc>::UNIX_EPOCH);
        assert_eq!(t.phase_ms(Phase::ImageExport), 1000);
        assert_eq!(t.malformed_objects, 4);
        assert_eq!(
            t.error_line.as_deref(),
            Some("ERROR: failed to solve: boom")
        );
    }

    #[test]
    fn never_panics_on_random_bytes() {
        let mut p = RawJsonParser::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let alphabet = b"{}[]\":,0123456789abcdefsz -T\\\n\tnulltrue";
        let mut s = String::new();
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.push(alphabet[(x % alphabet.len() as u64) as usize] as char);
        }
        feed_all(&mut p, &s);
        let _ = p.finish(Utc::now());
    }

    #[test]
    fn failing_vertex_error_prefers_real_error_over_cancel() {
        let mut p = RawJsonParser::new();
        let mut text = String::new();
        text += &vertex(
            "a",
            "[b 2/2] RUN sleep 9",
            Some("01"),
            Some("02"),
            ",\n      \"error\": \"context canceled\"",
        );
        text += &vertex(
            "b",
            "[a 2/2] RUN false",
            Some("01"),
            Some("02"),
            ",\n      \"error\": \"exit code: 1\"",
        );
        feed_all(&mut p, &text);
        let t = p.finish(DateTime::<Utc>::UNIX_EPOCH);
        assert_eq!(t.error.as_deref(), Some("exit code: 1"));
        assert_eq!(t.error_vertex.as_deref(), Some("[a 2/2] RUN false"));
    }

    #[test]
    fn open_vertex_closed_at_end_of_stream() {
        let mut p = RawJsonParser::new();
        feed_all(
            &mut p,
            &vertex("a", "[2/2] RUN sleep 99", Some("01"), None, ""),
        );
        let end = DateTime::parse_from_rfc3339("2024-01-01T00:00:11Z")
            .unwrap()
            .to_utc();
        let t = p.finish(end);
        assert_eq!(t.phase_ms(Phase::Steps), 10_000);
    }

    #[test]
    fn blob_under_cached_step_is_cache_import_and_bytes_counted_once() {
        let mut p = RawJsonParser::new();
        let mut text = vertex(
            "s",
            "[2/2] RUN x",
            Some("01"),
            Some("01"),
            ",\n      \"cached\": true",
        );
        for (cur, ts) in [(10, "02"), (100, "03"), (100, "04")] {
            text += &format!(
                "{{\n  \"statuses\": [\n    {{\n      \"id\": \"sha256:aa\",\n      \"vertex\": \"s\",\n      \"total\": 100,\n      \"current\": {cur},\n      \"timestamp\": \"2024-01-01T00:00:{ts}Z\",\n      \"started\": \"2024-01-01T00:00:02Z\"\n    }}\n  ]\n}}\n"
            );
        }
        feed_all(&mut p, &text);
        let t = p.finish(DateTime::<Utc>::UNIX_EPOCH);
        assert_eq!(t.bytes_down, 100);
        assert_eq!(t.bytes_up, 0);
        assert_eq!(t.phase_ms(Phase::CacheImport), 2000);
        assert_eq!((t.steps_total, t.steps_cached), (1, 1));
    }
}
