//! The link: a thread of its own running a tokio runtime, the timer thread, the
//! two buckets every connection shares, and one listener on `127.0.0.1` (port
//! picked) per upstream it forwards to. [`Link::stop`] or dropping the [`Link`] ends
//! the listeners and every connection (mid-transfer ones are cut).
//!
//! A connection: the client is accepted at once (the kernel completes the
//! handshake), the upstream is dialled, `TCP_NODELAY` is set on both sockets, and
//! each direction is carried by a `delay_line`. The client's
//! first bytes cannot reach the upstream before one round-trip time after the
//! accept plus the one-way delay: the handshake a real connection pays. A direction
//! with neither rate nor delay is copied as is (the pass-through path).

use super::bucket::Bucket;
use super::counters::{Counts, LinkSnapshot, Open, Route};
use super::delay_line::{carry, copy, Line};
use super::shape::{Rate, Shape};
use super::timer::Timer;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

/// The most one read of a shaped direction takes, and the least.
const CHUNK_MAX: usize = 64 * 1024;
const CHUNK_MIN: usize = 4 * 1024;
/// A shaped direction's chunks are at most this long on the link: a chunk is
/// delivered whole, so its bytes arrive together rather than spread over this.
const CHUNK_TIME: Duration = Duration::from_millis(1);
/// Time beyond the one-way delay the queue covers at the rate, for late wake-ups.
const ROOM_SLACK: Duration = Duration::from_millis(20);
/// The queue of a direction with a delay and no rate (throughput then caps at this
/// ÷ the one-way delay: 1.6 GB/s at 10 ms).
const ROOM_UNLIMITED: usize = 16 * 1024 * 1024;
/// The buffer of an unshaped direction.
const COPY_BUF: usize = 256 * 1024;

/// A running link; see the module doc.
pub struct Link {
    inner: Arc<Inner>,
    listen: Option<mpsc::UnboundedSender<(std::net::TcpListener, Arc<Route>)>>,
    done: Option<oneshot::Receiver<()>>,
}

struct Inner {
    shape: Shape,
    up: Option<Bucket>,
    down: Option<Bucket>,
    timer: Timer,
    routes: Mutex<Vec<Arc<Route>>>,
}

impl Link {
    /// Starts the link's threads. Nothing listens until [`Link::proxy`]. Callable
    /// from async code: it binds and spawns, and never waits.
    pub fn start(shape: Shape) -> std::io::Result<Link> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let (timer, timer_thread) = Timer::start()?;
        let bucket = |r: Option<Rate>| r.map(|r| Bucket::new(r.bytes_per_sec()));
        let inner = Arc::new(Inner {
            shape,
            up: bucket(shape.up),
            down: bucket(shape.down),
            timer,
            routes: Mutex::new(Vec::new()),
        });
        let (listen_tx, mut listen_rx) = mpsc::unbounded_channel();
        let (done_tx, done_rx) = oneshot::channel();
        let shared = inner.clone();
        let spawned = std::thread::Builder::new()
            .name("cachebench-link".into())
            .spawn(move || {
                rt.block_on(async {
                    // Ends when the Link's sender is dropped (stop or drop).
                    while let Some((l, route)) = listen_rx.recv().await {
                        // from_std fails only outside a runtime; if it did, the
                        // listener closes and the client is refused, as it should.
                        if let Ok(l) = TcpListener::from_std(l) {
                            tokio::spawn(accept(l, route, shared.clone()));
                        }
                    }
                });
                // Dropping the runtime drops every task: listeners and sockets close.
                drop(rt);
                shared.timer.stop();
                let _ = timer_thread.join();
                let _ = done_tx.send(());
            });
        if let Err(e) = spawned {
            inner.timer.stop();
            return Err(e);
        }
        Ok(Link {
            inner,
            listen: Some(listen_tx),
            done: Some(done_rx),
        })
    }

    /// Listens on `127.0.0.1` (a free port) and forwards every connection to
    /// `upstream` through the link; returns the address to give the client in the
    /// upstream's stead. Every route of a link shares its rate.
    pub fn proxy(&self, upstream: SocketAddr) -> std::io::Result<SocketAddr> {
        let l = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        l.set_nonblocking(true)?;
        let listen = l.local_addr()?;
        let route = Arc::new(Route {
            listen,
            upstream,
            counts: Counts::default(),
        });
        let gone = || std::io::Error::other("the link has stopped");
        self.listen
            .as_ref()
            .ok_or_else(gone)?
            .send((l, route.clone()))
            .map_err(|_| gone())?;
        lock(&self.inner.routes).push(route);
        Ok(listen)
    }

    pub fn shape(&self) -> Shape {
        self.inner.shape
    }

    /// What went through the link so far, per route and in total.
    pub fn snapshot(&self) -> LinkSnapshot {
        let routes = lock(&self.inner.routes);
        LinkSnapshot::new(self.inner.shape, routes.iter().map(|r| r.snapshot()))
    }

    /// Ends the listeners and connections, waits (without blocking) for the link's
    /// threads to end, and returns the final counts.
    pub async fn stop(mut self) -> LinkSnapshot {
        self.listen.take();
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
        self.snapshot()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn accept(listener: TcpListener, route: Arc<Route>, link: Arc<Inner>) {
    loop {
        match listener.accept().await {
            Ok((client, _)) => {
                let accepted = Instant::now();
                route.counts.connections.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(connection(client, accepted, route.clone(), link.clone()));
            }
            // Out of descriptors and the like: the client's connect stays queued.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn connection(client: TcpStream, accepted: Instant, route: Arc<Route>, link: Arc<Inner>) {
    let _open = Open::new(&route.counts);
    let Ok(upstream) = TcpStream::connect(route.upstream).await else {
        route
            .counts
            .upstream_failures
            .fetch_add(1, Ordering::Relaxed);
        return;
    };
    // Nagle's algorithm would hold a small chunk back until the previous one is
    // acknowledged, and the delayed ACK can hold that for 40 ms.
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let (client_r, client_w) = client.into_split();
    let (up_r, up_w) = upstream.into_split();
    let shape = link.shape;
    let c = &route.counts;
    let handshake = accepted + shape.rtt;
    let up = direction(
        client_r,
        up_w,
        &link,
        shape.up,
        link.up.as_ref(),
        handshake,
        &c.bytes_up,
    );
    let down = direction(
        up_r,
        client_w,
        &link,
        shape.down,
        link.down.as_ref(),
        accepted,
        &c.bytes_down,
    );
    // An error either way ends both; an end of stream is carried and waits for the other.
    let _ = tokio::try_join!(up, down);
}

async fn direction(
    from: tokio::net::tcp::OwnedReadHalf,
    to: tokio::net::tcp::OwnedWriteHalf,
    link: &Inner,
    rate: Option<Rate>,
    bucket: Option<&Bucket>,
    gate: Instant,
    moved: &AtomicU64,
) -> std::io::Result<()> {
    let delay = link.shape.one_way();
    if rate.is_none() && link.shape.rtt.is_zero() {
        return copy(from, to, COPY_BUF, moved).await;
    }
    let (chunk, room) = sizes(rate, delay);
    let line = Line {
        delay,
        gate,
        bucket,
        timer: &link.timer,
        chunk,
        room,
        moved,
    };
    carry(from, to, line).await
}

/// A shaped direction's chunk and queue: the queue holds the bandwidth-delay
/// product twice over (or the line could carry no more than room ÷ delay).
fn sizes(rate: Option<Rate>, delay: Duration) -> (usize, usize) {
    let Some(rate) = rate else {
        return (CHUNK_MAX, ROOM_UNLIMITED);
    };
    let per_sec = rate.bytes_per_sec();
    let chunk = ((per_sec * CHUNK_TIME.as_secs_f64()) as usize).clamp(CHUNK_MIN, CHUNK_MAX);
    let bdp = per_sec * (delay + ROOM_SLACK).as_secs_f64();
    let room = ((2.0 * bdp) as usize).max(8 * chunk);
    (chunk, room)
}

#[cfg(test)]
mod tests;
