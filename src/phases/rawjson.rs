//! Streaming parser of `docker buildx build --progress=rawjson` stderr: pretty-
//! printed JSON objects (a line `{` … a line `}`) mixed with plain lines. Only the
//! current object is buffered; per vertex and per status only the latest state
//! and the vertex's run intervals are kept. At the end, `rawjson/timeline.rs`
//! turns them into the build's [`Timeline`]; `rawjson/vertices.rs` gives each
//! vertex as a reader of the build sees it (a transcript), timed the same way.

use super::interval::Ns;
use super::timeline::{to_ns, BuildOutputParser, Timeline};
use chrono::{DateTime, Utc};
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;

/// A JSON object larger than this is dropped as garbage (a stuck `{` line).
const MAX_OBJECT_BYTES: usize = 64 << 20;
mod timeline;
pub mod vertices;

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
    digest: String,
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
        self.vertices.push(VertexState {
            digest: digest.to_string(),
            ..VertexState::default()
        });
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
        let t = timeline::timeline(self, to_ns(ended));
        *self = RawJsonParser::default();
        t
    }
}

#[cfg(test)]
mod tests;
