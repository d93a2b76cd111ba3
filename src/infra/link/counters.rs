//! What went through a link: connections and bytes each way, per route (one
//! upstream) and in total, as a serde snapshot a run can record.

use super::shape::Shape;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

/// The live counts of one route.
#[derive(Default)]
pub(super) struct Counts {
    pub connections: AtomicU64,
    pub open: AtomicU64,
    pub bytes_up: AtomicU64,
    pub bytes_down: AtomicU64,
    pub upstream_failures: AtomicU64,
}

/// Counts a connection open until dropped (its task ended or was cancelled).
pub(super) struct Open<'a>(&'a Counts);

impl<'a> Open<'a> {
    pub fn new(c: &'a Counts) -> Open<'a> {
        c.open.fetch_add(1, Ordering::Relaxed);
        Open(c)
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Counts at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Connections accepted.
    pub connections: u64,
    /// Of those, still open.
    pub open: u64,
    /// Bytes delivered client → upstream (the build to the cache).
    pub bytes_up: u64,
    /// Bytes delivered upstream → client (the cache to the build).
    pub bytes_down: u64,
    /// Connections dropped because the upstream could not be reached.
    pub upstream_failures: u64,
}

impl Counters {
    fn add(&mut self, o: &Counters) {
        self.connections += o.connections;
        self.open += o.open;
        self.bytes_up += o.bytes_up;
        self.bytes_down += o.bytes_down;
        self.upstream_failures += o.upstream_failures;
    }
}

/// One route's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteSnapshot {
    /// Where the proxy listens (what the client is given).
    pub listen: SocketAddr,
    pub upstream: SocketAddr,
    #[serde(flatten)]
    pub counters: Counters,
}

/// A link's counts: its shape (canonical figures), the total and each route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkSnapshot {
    pub shape: String,
    pub total: Counters,
    pub routes: Vec<RouteSnapshot>,
}

impl LinkSnapshot {
    pub(super) fn new(shape: Shape, routes: impl Iterator<Item = RouteSnapshot>) -> Self {
        let routes: Vec<RouteSnapshot> = routes.collect();
        let mut total = Counters::default();
        for r in &routes {
            total.add(&r.counters);
        }
        LinkSnapshot {
            shape: shape.to_string(),
            total,
            routes,
        }
    }
}

/// One listener and the upstream it forwards to.
pub(super) struct Route {
    pub listen: SocketAddr,
    pub upstream: SocketAddr,
    pub counts: Counts,
}

impl Route {
    pub(super) fn snapshot(&self) -> RouteSnapshot {
        let c = &self.counts;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        RouteSnapshot {
            listen: self.listen,
            upstream: self.upstream,
            counters: Counters {
                connections: get(&c.connections),
                open: get(&c.open),
                bytes_up: get(&c.bytes_up),
                bytes_down: get(&c.bytes_down),
                upstream_failures: get(&c.upstream_failures),
            },
        }
    }
}
