//! What a run makes the stand-in do, counted: requests, look-ups (hits, misses),
//! entries reserved and committed, bytes up and down, with a timestamped event per
//! entry-level step, so cachebench can flag a run that would exceed GitHub's limit
//! of [`GITHUB_ENTRY_UPLOADS_PER_MINUTE`] new cache-entry uploads per minute per
//! repository (GitHub changelog, 2026-01-16: "200 uploads/minute per repo … only
//! impacts uploads of new cache entries"; a refused one gets 429 with
//! `Retry-After`).
//!
//! An entry upload is counted when it is *reserved* (v1 `POST caches`, v2
//! `CreateCacheEntry`): that is where a new entry starts, and where the optional
//! limit ([`Limiter`]) answers 429. A reservation refused because the key exists
//! is a conflict, not an upload (it still takes its slot in the limiter's window,
//! which is checked first).
//!
//! [`Counters::reset`] starts a new count (between runs); the limiter's window is
//! the service's, not the run's, and is not reset.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// GitHub's documented limit on new cache-entry uploads, per minute per repository.
pub const GITHUB_ENTRY_UPLOADS_PER_MINUTE: u32 = 200;

/// Which protocol a step came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    V1,
    V2,
}

/// An entry-level step, or a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Hit,
    Miss,
    Reserved,
    /// A reservation refused: the key already exists (or is being uploaded).
    Conflict,
    /// A reservation refused with 429 by the configured limit.
    RateLimited,
    Committed,
    /// Bytes received for an entry (a v1 chunk, a v2 block or single-shot PUT).
    Upload,
    /// Bytes sent for an entry (a download response, counted when it starts).
    Download,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    pub protocol: Protocol,
    /// The entry's key (for a look-up, the first key asked for).
    pub key: String,
    pub bytes: u64,
}

/// The counts since the last reset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub since: DateTime<Utc>,
    pub taken: DateTime<Utc>,
    /// Every HTTP request answered, whatever its route or status.
    pub requests: u64,
    pub lookups: u64,
    pub hits: u64,
    pub misses: u64,
    pub entries_reserved: u64,
    pub entries_committed: u64,
    pub conflicts: u64,
    pub rate_limited: u64,
    pub bytes_uploaded: u64,
    pub bytes_downloaded: u64,
    /// The most reservations in any 60-second window.
    pub peak_entries_per_minute: u32,
    /// `peak_entries_per_minute` > [`GITHUB_ENTRY_UPLOADS_PER_MINUTE`].
    pub exceeds_github_limit: bool,
    pub events: Vec<Event>,
}

#[derive(Debug)]
struct Inner {
    since: DateTime<Utc>,
    requests: u64,
    events: Vec<Event>,
}

/// Shared by every handler; each call locks briefly and never across an await.
#[derive(Debug)]
pub struct Counters {
    inner: Mutex<Inner>,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            inner: Mutex::new(Inner {
                since: Utc::now(),
                requests: 0,
                events: Vec::new(),
            }),
        }
    }
}

impl Counters {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn request(&self) {
        self.lock().requests += 1;
    }

    pub fn event(&self, kind: EventKind, protocol: Protocol, key: &str, bytes: u64) {
        self.lock().events.push(Event {
            at: Utc::now(),
            kind,
            protocol,
            key: key.to_string(),
            bytes,
        });
    }

    /// The counts so far.
    pub fn snapshot(&self) -> Snapshot {
        let g = self.lock();
        summarize(g.since, g.requests, &g.events)
    }

    /// The counts so far, and a fresh start.
    pub fn reset(&self) -> Snapshot {
        let mut g = self.lock();
        let s = summarize(g.since, g.requests, &g.events);
        *g = Inner {
            since: Utc::now(),
            requests: 0,
            events: Vec::new(),
        };
        s
    }
}

fn summarize(since: DateTime<Utc>, requests: u64, events: &[Event]) -> Snapshot {
    let count = |k: EventKind| events.iter().filter(|e| e.kind == k).count() as u64;
    let bytes = |k: EventKind| {
        events
            .iter()
            .filter(|e| e.kind == k)
            .map(|e| e.bytes)
            .sum::<u64>()
    };
    let reserved: Vec<DateTime<Utc>> = events
        .iter()
        .filter(|e| e.kind == EventKind::Reserved)
        .map(|e| e.at)
        .collect();
    let peak = peak_per_minute(&reserved);
    Snapshot {
        since,
        taken: Utc::now(),
        requests,
        lookups: count(EventKind::Hit) + count(EventKind::Miss),
        hits: count(EventKind::Hit),
        misses: count(EventKind::Miss),
        entries_reserved: reserved.len() as u64,
        entries_committed: count(EventKind::Committed),
        conflicts: count(EventKind::Conflict),
        rate_limited: count(EventKind::RateLimited),
        bytes_uploaded: bytes(EventKind::Upload),
        bytes_downloaded: bytes(EventKind::Download),
        peak_entries_per_minute: peak,
        exceeds_github_limit: peak > GITHUB_ENTRY_UPLOADS_PER_MINUTE,
        events: events.to_vec(),
    }
}

/// The most timestamps (sorted, as recorded) within any window shorter than 60 s.
fn peak_per_minute(times: &[DateTime<Utc>]) -> u32 {
    let minute = chrono::Duration::seconds(60);
    let mut start = 0;
    let mut peak = 0;
    for (end, t) in times.iter().enumerate() {
        while *t - times[start] >= minute {
            start += 1;
        }
        peak = peak.max(end - start + 1);
    }
    u32::try_from(peak).unwrap_or(u32::MAX)
}

/// The optional 429: at most `per_minute` reservations in any sliding minute.
#[derive(Debug)]
pub struct Limiter {
    per_minute: Option<u32>,
    window: Mutex<VecDeque<Instant>>,
}

impl Limiter {
    pub fn new(per_minute: Option<u32>) -> Limiter {
        Limiter {
            per_minute,
            window: Mutex::new(VecDeque::new()),
        }
    }

    /// Takes one reservation from the window, or says how long until one frees up
    /// (whole seconds, at least 1: the `Retry-After` value).
    pub fn admit(&self) -> Result<(), u64> {
        let Some(limit) = self.per_minute else {
            return Ok(());
        };
        let minute = Duration::from_secs(60);
        let now = Instant::now();
        let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
        while w.front().is_some_and(|t| now.duration_since(*t) >= minute) {
            w.pop_front();
        }
        if w.len() < limit as usize {
            w.push_back(now);
            return Ok(());
        }
        let oldest = *w.front().expect("a full window is not empty");
        let wait = minute.saturating_sub(now.duration_since(oldest));
        Err(wait.as_secs_f64().ceil().max(1.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_is_the_busiest_sliding_minute() {
        let t0 = Utc::now();
        let at = |s: i64| t0 + chrono::Duration::seconds(s);
        assert_eq!(peak_per_minute(&[]), 0);
        assert_eq!(peak_per_minute(&[at(0), at(59), at(60), at(61)]), 3);
        assert_eq!(peak_per_minute(&[at(0), at(1), at(2)]), 3);
    }

    #[test]
    fn limiter_admits_up_to_its_limit_then_names_a_wait() {
        let l = Limiter::new(Some(2));
        assert_eq!(l.admit(), Ok(()));
        assert_eq!(l.admit(), Ok(()));
        let wait = l.admit().unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        let off = Limiter::new(None);
        assert!((0..1000).all(|_| off.admit().is_ok()));
    }

    #[test]
    fn reset_returns_the_count_and_starts_over() {
        let c = Counters::default();
        c.request();
        c.event(EventKind::Reserved, Protocol::V1, "k", 0);
        c.event(EventKind::Upload, Protocol::V1, "k", 10);
        c.event(EventKind::Hit, Protocol::V2, "k", 0);
        let s = c.reset();
        assert_eq!(
            (s.requests, s.entries_reserved, s.bytes_uploaded, s.lookups),
            (1, 1, 10, 1)
        );
        assert_eq!(s.peak_entries_per_minute, 1);
        assert!(!s.exceeds_github_limit);
        let s = c.snapshot();
        assert_eq!((s.requests, s.events.len()), (0, 0));
    }
}
