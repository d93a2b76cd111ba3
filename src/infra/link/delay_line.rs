//! One direction of one connection: what the reading side takes from its socket is
//! stamped, queued, held for the one-way delay, paced by the direction's bucket and
//! written to the other socket. The reading side runs ahead of the writing side by
//! at most `room` bytes, the queue that plays the link's in-flight bytes.
//!
//! The end of a stream (the sender's FIN) travels the same line: the writing side
//! shuts its socket down for writing once the delay has passed, so a half-closed
//! HTTP exchange sees the close as late as it would on the link.
//!
//! A direction with no rate and no delay skips all this: [`copy`] reads and writes
//! with one buffer, the pass-through proxy's path.

use super::bucket::Bucket;
use super::timer::Timer;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, Semaphore};

/// How one direction is shaped.
pub(super) struct Line<'a> {
    pub delay: Duration,
    /// No byte arrives before `gate + delay`: the connection's handshake.
    pub gate: Instant,
    pub bucket: Option<&'a Bucket>,
    pub timer: &'a Timer,
    /// The most one read takes (one chunk leaves the bucket at once).
    pub chunk: usize,
    /// Bytes read and not yet written, at most.
    pub room: usize,
    /// Bytes written out, counted as they go.
    pub moved: &'a AtomicU64,
}

/// Carries `from` to `to` through the line until the end of the stream (then shuts
/// `to` down for writing) or an error on either side.
pub(super) async fn carry<R, W>(mut from: R, mut to: W, line: Line<'_>) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let room = Semaphore::new(line.room);
    let chunk = line.chunk.min(line.room);
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let read = async {
        loop {
            // Permits are bytes; the semaphore is never closed.
            if let Ok(p) = room.acquire_many(chunk as u32).await {
                p.forget();
            }
            let mut buf = vec![0u8; chunk];
            let n = from.read(&mut buf).await?;
            let arrived = Instant::now();
            room.add_permits(chunk - n);
            buf.truncate(n);
            if tx.send((arrived, buf)).is_err() || n == 0 {
                return Ok::<(), std::io::Error>(());
            }
        }
    };
    let write = async {
        while let Some((arrived, buf)) = rx.recv().await {
            let due = arrived.max(line.gate) + line.delay;
            line.timer.sleep_until(due).await;
            if buf.is_empty() {
                to.shutdown().await?;
                break;
            }
            if let Some(bucket) = line.bucket {
                // Scheduled from when the chunk was due, not from this wake-up.
                line.timer.sleep_until(bucket.reserve(buf.len(), due)).await;
            }
            to.write_all(&buf).await?;
            line.moved.fetch_add(buf.len() as u64, Ordering::Relaxed);
            room.add_permits(buf.len());
        }
        Ok(())
    };
    tokio::try_join!(read, write).map(|_| ())
}

/// Carries `from` to `to` unshaped, `buf` bytes at a time.
pub(super) async fn copy<R, W>(
    mut from: R,
    mut to: W,
    buf: usize,
    moved: &AtomicU64,
) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; buf];
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            return to.shutdown().await;
        }
        to.write_all(&buf[..n]).await?;
        moved.fetch_add(n as u64, Ordering::Relaxed);
    }
}
