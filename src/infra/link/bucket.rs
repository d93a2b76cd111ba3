//! The token bucket at one direction's rate, shared by every connection of a link
//! (a runner has one network interface: four parallel layer pulls share its rate,
//! they do not get four times it).
//!
//! Written as the generic cell rate algorithm, the bucket's virtual-clock form: the
//! bucket keeps the time the link will be idle again (`tat`). A chunk of `n` bytes
//! may leave at `tat - burst` (at once if that has passed) and moves `tat` on by
//! `n / rate`. A waiter that wakes late does not lose the time: `tat` moves on from
//! where the link would be, not from when the waiter woke, as long as the lateness
//! stays under `burst` (tbf's rule that the burst must cover one timer tick). The
//! price of `burst` is the same as tbf's: a link idle for longer than `burst` lets
//! `burst` worth of bytes through at once.

use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(super) struct Bucket {
    /// Nanoseconds a byte takes on the link.
    ns_per_byte: f64,
    burst: Duration,
    tat: Mutex<Option<Instant>>,
}

impl Bucket {
    pub(super) fn new(bytes_per_sec: f64, burst: Duration) -> Bucket {
        Bucket {
            ns_per_byte: 1e9 / bytes_per_sec,
            burst,
            tat: Mutex::new(None),
        }
    }

    /// Takes `len` bytes of the link's time; returns when they may leave (`now` or
    /// later). Reservations are served in the order they are taken.
    pub(super) fn reserve(&self, len: usize, now: Instant) -> Instant {
        let cost = Duration::from_nanos((len as f64 * self.ns_per_byte).round() as u64);
        let mut tat = self.tat.lock().unwrap_or_else(|e| e.into_inner());
        let busy_until = tat.map_or(now, |t| t.max(now));
        *tat = Some(busy_until + cost);
        busy_until
            .checked_sub(self.burst)
            .map_or(now, |at| at.max(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paces_at_the_rate_after_the_burst() {
        // 1 MB/s: 1000 bytes take 1 ms; a 2 ms burst.
        let b = Bucket::new(1e6, Duration::from_millis(2));
        let t0 = Instant::now();
        let at: Vec<Duration> = (0..6).map(|_| b.reserve(1000, t0) - t0).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(at, vec![ms(0), ms(0), ms(0), ms(1), ms(2), ms(3)]);
    }

    #[test]
    fn late_wakes_under_the_burst_lose_no_time() {
        let b = Bucket::new(1e6, Duration::from_millis(2));
        let t0 = Instant::now();
        let mut now = t0;
        for _ in 0..100 {
            let at = b.reserve(1000, now);
            if at > now {
                // Every sleep ends 1.5 ms late.
                now = at + Duration::from_micros(1500);
            }
        }
        // 100 ms of bytes reserved and the link busy until exactly t0 + 100 ms (a
        // zero-byte probe may leave 2 ms, the burst, before): as if no one was late.
        assert_eq!(b.reserve(0, t0) - t0, Duration::from_millis(98));
    }

    #[test]
    fn idle_time_is_not_saved_up() {
        let b = Bucket::new(1e6, Duration::from_millis(2));
        let t0 = Instant::now();
        b.reserve(1000, t0);
        let idle = t0 + Duration::from_secs(1);
        let sent: Vec<Duration> = (0..4).map(|_| b.reserve(1000, idle) - idle).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(sent, vec![ms(0), ms(0), ms(0), ms(1)]);
    }
}
