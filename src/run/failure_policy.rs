//! When to stop trying: a strategy whose last [`GIVE_UP_AFTER`] runs failed for the
//! same cause is not run again in this matrix; its later runs are recorded as
//! skipped, saying why, instead of repeating (say) a 30-minute timeout.
//!
//! The cause is the run's reason with numbers and hex digests masked, so that tags,
//! ports and durations that differ from run to run do not hide a repeated cause.

use crate::records::record::{RunRecord, RunStatus};
use std::collections::HashMap;

/// Consecutive same-cause failures of a strategy after which it is given up.
pub const GIVE_UP_AFTER: usize = 3;

#[derive(Debug, Default)]
pub struct FailurePolicy {
    /// Per strategy: the cause of its consecutive failures and how many.
    streaks: HashMap<String, (String, usize, String)>,
    limit: usize,
}

impl FailurePolicy {
    pub fn new() -> FailurePolicy {
        FailurePolicy::with_limit(GIVE_UP_AFTER)
    }

    pub fn with_limit(limit: usize) -> FailurePolicy {
        FailurePolicy {
            streaks: HashMap::new(),
            limit: limit.max(1),
        }
    }

    /// Takes note of how a run of `r.strategy` ended.
    pub fn observe(&mut self, r: &RunRecord) {
        match r.status {
            RunStatus::Failed | RunStatus::Timeout => {
                let cause = cause_of(r);
                let e = self
                    .streaks
                    .entry(r.strategy.clone())
                    .or_insert_with(|| (cause.clone(), 0, r.reason.clone()));
                if e.0 == cause {
                    e.1 += 1;
                } else {
                    *e = (cause, 1, r.reason.clone());
                }
            }
            RunStatus::Ok => {
                self.streaks.remove(&r.strategy);
            }
            // Skipped and interrupted runs say nothing about the strategy.
            RunStatus::Skipped | RunStatus::Interrupted => {}
        }
    }

    /// Why the next run of `strategy` should not be run, if it should not.
    pub fn give_up(&self, strategy: &str) -> Option<String> {
        let (_, n, reason) = self.streaks.get(strategy)?;
        (*n >= self.limit)
            .then(|| format!("skipped: the last {n} runs of {strategy} failed with: {reason}"))
    }
}

/// The cause of a failed run: its status and reason, with every run of hex
/// characters that holds a digit (numbers, ports, digests, run ids) masked.
fn cause_of(r: &RunRecord) -> String {
    let mut out = format!("{}:", r.status);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.chars().any(|c| c.is_ascii_digit()) {
            out.push('#');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in r.reason.chars() {
        if c.is_ascii_hexdigit() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::record::RunKind;

    fn rec(strategy: &str, status: RunStatus, reason: &str) -> RunRecord {
        let mut r: RunRecord = serde_json::from_value(serde_json::json!({
            "scenario": "s", "workload": "w", "strategy": strategy, "builder": "docker",
            "state": "cold", "change": "none", "rep": 1, "kind": "measured",
            "status": "ok", "reason": "", "started_at": "2024-01-01T00:00:00Z",
            "log": "", "note": ""
        }))
        .expect("a minimal record parses");
        r.status = status;
        r.reason = reason.into();
        r.kind = RunKind::Measured;
        r
    }

    #[test]
    fn three_same_cause_failures_give_up() {
        let mut p = FailurePolicy::new();
        for i in 0..2 {
            p.observe(&rec(
                "push",
                RunStatus::Failed,
                &format!(
                    "build exited with code 1: push sha256:{}e0 run-{i}: dial tcp 127.0.0.1:{}: connection refused",
                    if i == 0 { "f0252c7e6" } else { "ab19" },
                    5000 + i
                ),
            ));
            assert_eq!(p.give_up("push"), None);
        }
        p.observe(&rec(
            "push",
            RunStatus::Failed,
            "build exited with code 1: push sha256:77e0 run-2: dial tcp 127.0.0.1:5009: connection refused",
        ));
        let why = p.give_up("push").expect("given up");
        assert!(
            why.starts_with("skipped: the last 3 runs of push failed with: build exited"),
            "{why}"
        );
        assert!(why.contains("connection refused"), "{why}");
        // Other strategies are not affected.
        assert_eq!(p.give_up("buildkit"), None);
    }

    #[test]
    fn a_success_or_another_cause_resets_the_streak() {
        let mut p = FailurePolicy::new();
        p.observe(&rec("push", RunStatus::Timeout, "build timed out"));
        p.observe(&rec("push", RunStatus::Timeout, "build timed out"));
        p.observe(&rec("push", RunStatus::Ok, ""));
        p.observe(&rec("push", RunStatus::Timeout, "build timed out"));
        assert_eq!(p.give_up("push"), None);
        p.observe(&rec(
            "push",
            RunStatus::Failed,
            "build exited with code 1: x",
        ));
        p.observe(&rec("push", RunStatus::Timeout, "build timed out"));
        p.observe(&rec("push", RunStatus::Timeout, "build timed out"));
        assert_eq!(p.give_up("push"), None);
        p.observe(&rec("push", RunStatus::Timeout, "build timed out"));
        assert!(p.give_up("push").unwrap().contains("build timed out"));
    }

    #[test]
    fn skipped_and_interrupted_runs_do_not_count() {
        let mut p = FailurePolicy::with_limit(2);
        p.observe(&rec("push", RunStatus::Timeout, "build timed out"));
        p.observe(&rec("push", RunStatus::Skipped, "n/a"));
        p.observe(&rec("push", RunStatus::Interrupted, "interrupted"));
        assert_eq!(p.give_up("push"), None);
        p.observe(&rec("push", RunStatus::Timeout, "build timed out"));
        assert!(p.give_up("push").is_some());
    }
}
