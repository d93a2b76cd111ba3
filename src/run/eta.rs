//! The progress bar's ETA, from measured time rather than run counts: every run's
//! whole time (preparation, measured commands, cleanup) as the matrix loop saw it,
//! kept per state × strategy and per kind of preparation (a run that warms with a
//! build of its own costs a whole extra build; a chained or cold run does not).
//! A run still to come is estimated by the median of its own kind where one was
//! measured, else of its state, else of every run so far.

use crate::config::matrix::{State, Strategy};
use std::collections::HashMap;
use std::time::Duration;

/// Medians of what runs took, for the ETA.
#[derive(Debug, Default)]
pub struct Eta {
    by_kind: HashMap<(State, Strategy, bool), Vec<u64>>,
    by_state: HashMap<State, Vec<u64>>,
    all: Vec<u64>,
}

/// The median (the mean of the middle pair for an even count); an ETA needs no more.
fn median(v: &[u64]) -> Option<u64> {
    let mut s = v.to_vec();
    s.sort_unstable();
    let n = s.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(s[n / 2]),
        _ => Some((s[n / 2 - 1] + s[n / 2]) / 2),
    }
}

impl Eta {
    /// Takes note that a run of `state` × `strategy` (which warmed with a build of
    /// its own when `warms`) took `took`.
    pub fn observe(&mut self, state: State, strategy: Strategy, warms: bool, took: Duration) {
        let ms = took.as_millis() as u64;
        self.by_kind
            .entry((state, strategy, warms))
            .or_default()
            .push(ms);
        self.by_state.entry(state).or_default().push(ms);
        self.all.push(ms);
    }

    /// The estimate of one run to come, in ms, if anything was measured yet.
    pub fn one(&self, state: State, strategy: Strategy, warms: bool) -> Option<u64> {
        self.by_kind
            .get(&(state, strategy, warms))
            .and_then(|v| median(v))
            .or_else(|| self.by_state.get(&state).and_then(|v| median(v)))
            .or_else(|| median(&self.all))
    }

    /// The time left for `pending` runs: (state, strategy, warms, how many).
    pub fn remaining(
        &self,
        pending: impl IntoIterator<Item = (State, Strategy, bool, u32)>,
    ) -> Option<Duration> {
        let mut ms = 0u64;
        for (state, strategy, warms, n) in pending {
            if n > 0 {
                ms += self.one(state, strategy, warms)? * u64::from(n);
            }
        }
        Some(Duration::from_millis(ms))
    }
}

/// `1h02m`, `3m05s`, `42s`.
pub fn short(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_uses_the_median_of_the_same_kind_then_the_state_then_all() {
        let mut e = Eta::default();
        assert_eq!(e.remaining([(State::Cold, Strategy::Push, false, 2)]), None);
        let s = Duration::from_secs;
        e.observe(State::WarmLocal, Strategy::Buildkit, true, s(20));
        e.observe(State::WarmLocal, Strategy::Buildkit, false, s(2));
        e.observe(State::WarmLocal, Strategy::Buildkit, false, s(3));
        e.observe(State::WarmLocal, Strategy::Buildkit, false, s(100));
        e.observe(State::Cold, Strategy::Push, false, s(5));
        // 1 warming run (20 s) + 2 chained (median 3 s) + 1 cold push (5 s).
        let left = e.remaining([
            (State::WarmLocal, Strategy::Buildkit, true, 1),
            (State::WarmLocal, Strategy::Buildkit, false, 2),
            (State::Cold, Strategy::Push, false, 1),
        ]);
        assert_eq!(left, Some(s(31)));
        // Unseen strategy of a seen state: the state's median.
        assert_eq!(e.one(State::Cold, Strategy::Legacy, false), Some(5000));
        assert_eq!(short(s(185)), "3m05s");
    }
}
