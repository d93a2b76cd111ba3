//! The token bucket at one direction's rate, shared by every connection of a link
//! (a runner has one network interface: four parallel layer pulls share its rate,
//! they do not get four times it).
//!
//! Written in its virtual-clock form: the bucket keeps the time the link is busy
//! until (`tat`, as in the generic cell rate algorithm). A chunk of `n` bytes that
//! was ready at `ready` starts at `max(tat, ready)` and is delivered whole when its
//! last byte would be off the wire, `n / rate` later; that is the new `tat`.
//!
//! The schedule runs from when a chunk was *ready*, never from when its waiter
//! woke. This is the answer to tbf's timer pitfall: a bucket that schedules from
//! its wake-ups loses `lateness × rate` at every late wake (tbf needs a burst of at
//! least rate ÷ HZ to hide it; with tokio's 1 ms timer and a chunk per millisecond
//! that loss would reach half the rate). Here a waiter that wakes late owes no link
//! time: its chunk goes at once and the next ones catch up. No burst is granted
//! either: an idle link saves nothing up, so a short transfer after a pause is as
//! slow as on the link, and nothing is ever delivered before the ideal link would
//! deliver it. What a late wake-up leaves is a burst after it, of the lateness's
//! worth of bytes.

use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(super) struct Bucket {
    /// Nanoseconds a byte takes on the link.
    ns_per_byte: f64,
    tat: Mutex<Option<Instant>>,
}

impl Bucket {
    pub(super) fn new(bytes_per_sec: f64) -> Bucket {
        Bucket {
            ns_per_byte: 1e9 / bytes_per_sec,
            tat: Mutex::new(None),
        }
    }

    /// Puts `len` bytes, ready at `ready`, on the link; returns when their last
    /// byte is off it (when to deliver them). Served in the order asked.
    pub(super) fn reserve(&self, len: usize, ready: Instant) -> Instant {
        let cost = Duration::from_nanos((len as f64 * self.ns_per_byte).round() as u64);
        let mut tat = self.tat.lock().unwrap_or_else(|e| e.into_inner());
        let start = tat.map_or(ready, |t| t.max(ready));
        let done = start + cost;
        *tat = Some(done);
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn paces_at_the_rate_with_no_burst() {
        // 1 MB/s: 1000 bytes take 1 ms.
        let b = Bucket::new(1e6);
        let t0 = Instant::now();
        let at: Vec<Duration> = (0..4).map(|_| b.reserve(1000, t0) - t0).collect();
        assert_eq!(at, vec![ms(1), ms(2), ms(3), ms(4)]);
    }

    #[test]
    fn a_late_waiter_loses_no_link_time() {
        let b = Bucket::new(1e6);
        let t0 = Instant::now();
        let mut ready = t0;
        let mut now = t0;
        for _ in 0..100 {
            let at = b.reserve(1000, ready);
            // Every wake-up is 3 ms late; the next chunk was ready all along.
            now = now.max(at) + ms(3);
            ready = t0;
        }
        // 100 ms of bytes: the link is busy until exactly t0 + 100 ms.
        assert_eq!(b.reserve(0, t0) - t0, ms(100));
        assert!(now - t0 > ms(100));
    }

    #[test]
    fn idle_time_is_not_saved_up() {
        let b = Bucket::new(1e6);
        let t0 = Instant::now();
        b.reserve(1000, t0);
        let idle = t0 + Duration::from_secs(1);
        let sent: Vec<Duration> = (0..3).map(|_| b.reserve(1000, idle) - idle).collect();
        assert_eq!(sent, vec![ms(1), ms(2), ms(3)]);
    }
}
