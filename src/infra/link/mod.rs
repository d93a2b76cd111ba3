//! A shaped link between the build and every remote cache (`--link`): remote caches
//! (the registry cache, the gha cache stand-in, actions/cache transfers) all sit on
//! loopback here and look free; a link gives them a rate each way and a round-trip
//! time, so a strategy that makes many small requests or moves many bytes pays what
//! it would over a real network.
//!
//! # Using it
//!
//! Parse the value into a [`LinkSpec`](spec::LinkSpec) (`"200mbit/20ms".parse()`; its `Display` is
//! the canonical string to record). Then [`LinkSpec::shape`](spec::LinkSpec::shape):
//!
//! - `None` (`--link none`, the default): **no proxy is in the path**. Start
//!   nothing and give the build each cache's own address, exactly as without
//!   `--link`; record `link: none`.
//! - `Some(shape)`: [`Link::start`](proxy::Link::start)`(shape)`, then for each remote cache
//!   [`Link::proxy`](proxy::Link::proxy)`(its 127.0.0.1:PORT)`, which returns the `127.0.0.1:PORT` to
//!   give the build in its place. Every route of one link shares its rate, as the
//!   runner's one interface would. [`Link::snapshot`](proxy::Link::snapshot) (or the final one from
//!   [`Link::stop`](proxy::Link::stop)`.await`) is a serde [`LinkSnapshot`](counters::LinkSnapshot): connections, and bytes
//!   up (build → cache) and down (cache → build), per route and in total. Dropping
//!   the [`Link`](proxy::Link) also ends it.
//! - `passthrough` is a proxy that shapes nothing: run it beside `none` to measure
//!   what the path itself costs (docs/link.md has the figures for this machine).
//!
//! # Why a proxy, not `tc`
//!
//! The faithful tool would be `tc qdisc … netem delay` plus a rate, but on this
//! machine's kernel `netem` does not exist ("Specified qdisc kind is unknown";
//! `/proc/config.gz`: `CONFIG_NET_SCH_NETEM`, `FQ`, `FQ_CODEL`, `CAKE`, `PRIO`,
//! `SFQ` not set, and no `act_bpf`, so no EDT-based delay either). `tbf`, `htb`,
//! `ingress` and `ifb` are there, and they shape rate, not delay. Hosted CI runners'
//! kernels may differ again. A userspace proxy works on any kernel, needs no root,
//! and shapes only what cachebench owns: connections to its own loopback ports.
//! No interface of the host is touched (no qdisc on `lo` slowing everything else on
//! the machine), and nothing outlives the process.
//!
//! # The mechanism
//!
//! Per connection and direction (`delay_line.rs`): read a chunk, stamp it, hold it
//! for half the round-trip time, pass it through the direction's token bucket
//! (`bucket.rs`, shared by the link's connections), write it out. A new connection's
//! first bytes also wait one round-trip time, the TCP handshake. The link runs on a
//! thread of its own (`proxy.rs`) with a precise timer thread (`timer.rs`).
//! `spec.rs` parses `--link`, `presets.rs` names the presets and their sources,
//! `counters.rs` counts, `routes.rs` keeps a matrix's links and their routes.
//!
//! # Pitfalls (and what is done about each)
//!
//! Like netem's for `tc`, each of these silently makes the link less than it says:
//!
//! - **The queue must hold the bandwidth-delay product.** Bytes in the delay line
//!   are bytes in flight: a queue of `room` bytes caps a direction at
//!   `room ÷ one-way delay`, whatever the rate (netem's default 1000-packet queue is
//!   the same trap: 1.5 MB over 100 ms is 120 Mbit/s). Sized at twice
//!   `rate × (delay + 20 ms)`; a delay with no rate gets 16 MiB (1.6 GB/s at 10 ms).
//!   The price is memory: each direction of each connection may hold that much.
//! - **A timer tick must not cost link time.** tbf needs a burst of at least
//!   rate ÷ HZ (HZ is 250 here) because it schedules from its wake-ups. tokio's timer
//!   has 1 ms ticks and ends a sleep 1.1 ms late at the median. Two answers: the
//!   bucket schedules from when a chunk was due, not from the wake-up (a late waiter
//!   owes nothing; it shows as a burst after it), and delays are timed by a thread on
//!   a high-resolution timed wait (0.12 ms late at the median).
//! - **Chunks are delivered whole.** A chunk read in one go is written in one go, so
//!   chunks are capped at 1 ms of the rate (4 to 64 KiB): a 64 KiB read at 8 Mbit/s
//!   would arrive as one 65 ms lump.
//! - **`TCP_NODELAY` on both sockets.** Without it Nagle's algorithm holds a small
//!   chunk until the previous one is acknowledged, and a delayed ACK makes that up
//!   to 40 ms: noise larger than a same-region round trip.
//! - **TCP itself is not modelled.** The proxy ends TCP on both sides, over
//!   loopback: no slow start, no loss, no retransmission, no receive-window limit
//!   over the link. Small exchanges (manifests, HEAD requests, a new connection)
//!   are right: they are round trips, and those are modelled. Bulk transfers reach
//!   the full rate at once, where a real connection needs several round trips to
//!   open its window (around 8 at 400 Mbit/s and 80 ms, from 10 segments doubling
//!   each round trip) and may stay window-limited: bulk times are optimistic on long
//!   links. TLS is not modelled either: a real registry over HTTPS costs one (TLS
//!   1.3) or two (TLS 1.2) more round trips per new connection than the plain HTTP
//!   of the local registry.
//! - **The link is as precise as the scheduler's wake-ups.** Nothing is ever
//!   early, so lateness adds up: on a busy machine (a build running) a wake-up can
//!   come milliseconds late. docs/link.md shows it measured.
//! - A protocol where the server speaks first would see its greeting arrive before
//!   the handshake's round trip is over; HTTP, what caches speak, is not one.

mod bucket;
pub mod counters;
mod delay_line;
pub mod presets;
pub mod proxy;
pub mod routes;
pub mod shape;
pub mod spec;
mod timer;
