//! A link's shape: the [`Rate`] of each direction and the round-trip time, what
//! the proxy applies ([`crate::infra::link::proxy`]) and what `--link` and the
//! presets say it as ([`crate::infra::link::spec`], [`crate::infra::link::presets`]).

use std::fmt;
use std::time::Duration;

/// A link's rate, in bits per second (what `kbit`, `mbit`, `gbit` say, as in `tc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(pub(super) u64);

impl Rate {
    /// The smallest rate accepted: 1 kbit/s.
    pub const MIN: Rate = Rate(1_000);
    /// The largest rate accepted: 100 gbit/s.
    pub const MAX: Rate = Rate(100_000_000_000);

    /// `kbit` kilobits per second.
    pub const fn kbit(kbit: u64) -> Rate {
        Rate(kbit * 1_000)
    }
    /// `mbit` megabits per second.
    pub const fn mbit(mbit: u64) -> Rate {
        Rate(mbit * 1_000_000)
    }
    pub const fn bits_per_sec(self) -> u64 {
        self.0
    }
    pub fn bytes_per_sec(self) -> f64 {
        self.0 as f64 / 8.0
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        if b % 1_000_000_000 == 0 {
            write!(f, "{}gbit", b / 1_000_000_000)
        } else if b % 1_000_000 == 0 {
            write!(f, "{}mbit", b / 1_000_000)
        } else {
            write!(f, "{}kbit", decimal(b, 1_000))
        }
    }
}

/// What a link does to each direction: a rate (none: not limited) and the
/// round-trip time (half of it each way). All `None` and a zero RTT is the
/// pass-through proxy: the path without shaping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Client → upstream: the build to the cache (pushes, cache exports).
    pub up: Option<Rate>,
    /// Upstream → client: the cache to the build (pulls, cache imports).
    pub down: Option<Rate>,
    pub rtt: Duration,
}

impl Shape {
    /// No shaping: the proxy alone, to measure what the path itself costs.
    pub const PASSTHROUGH: Shape = Shape {
        up: None,
        down: None,
        rtt: Duration::ZERO,
    };

    pub fn is_passthrough(&self) -> bool {
        *self == Shape::PASSTHROUGH
    }
    /// The delay each direction adds to every chunk: half the round-trip time.
    pub fn one_way(&self) -> Duration {
        self.rtt / 2
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_passthrough() {
            return f.write_str("passthrough");
        }
        if let (Some(up), Some(down)) = (self.up, self.down) {
            if up == down {
                return write!(f, "{up}/{}", Millis(self.rtt));
            }
        }
        let mut parts = Vec::new();
        if let Some(up) = self.up {
            parts.push(format!("up={up}"));
        }
        if let Some(down) = self.down {
            parts.push(format!("down={down}"));
        }
        if !self.rtt.is_zero() {
            parts.push(format!("rtt={}", Millis(self.rtt)));
        }
        f.write_str(&parts.join(","))
    }
}

/// A duration as the canonical string: `2ms`, `1s`, `0.5ms`.
pub(super) struct Millis(pub(super) Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0.as_micros() as u64;
        if us >= 1_000_000 && us % 1_000_000 == 0 {
            write!(f, "{}s", us / 1_000_000)
        } else {
            write!(f, "{}ms", decimal(us, 1_000))
        }
    }
}

/// `n / per` with the fraction only as long as it needs: (1500, 1000) → `1.5`.
pub(super) fn decimal(n: u64, per: u64) -> String {
    let (whole, frac) = (n / per, n % per);
    if frac == 0 {
        return whole.to_string();
    }
    let width = per.ilog10() as usize;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}
