//! How one run's docker commands are run: argument vectors against the run's
//! engine, within the run's deadline, their output streamed to the run's log and,
//! for builds, to the phase parser; plus the small docker chores around a run
//! (removing a builder, an image's id, cleaning up after a run) and how a command
//! that ended badly becomes a run's status and reason.

use crate::config::matrix::State;
use crate::infra::builder;
use crate::infra::process::{self, Ending, LineSink, Outcome, Spec};
use crate::plan::strategy::{DockerCommand, OutputFormat, Role, RunTarget};
use crate::records::record::RunStatus;
use crate::run::runner::Session;
use crate::{
    phases::timeline::BuildOutputParser,
    phases::timeline::Timeline,
    phases::{self},
};
use chrono::{DateTime, Utc};
use std::time::{Duration, Instant};

/// Feeds a command's output lines to a build-output parser.
struct ParserSink(Box<dyn BuildOutputParser>);

impl LineSink for ParserSink {
    fn line(&mut self, _stream: process::Stream, line: &str, at: DateTime<Utc>) {
        self.0.feed(line, at);
    }
}

impl Session {
    /// Runs one docker command against the engine, within the run's deadline.
    pub(crate) async fn exec(
        &mut self,
        c: &DockerCommand,
        log: &mut std::fs::File,
        deadline: Option<Instant>,
    ) -> Outcome {
        self.exec_parsed(c, log, deadline).await.0
    }

    /// Runs one docker command, parsing its output as it arrives when it is a
    /// build; returns the build's timeline.
    pub(crate) async fn exec_parsed(
        &mut self,
        c: &DockerCommand,
        log: &mut std::fs::File,
        deadline: Option<Instant>,
    ) -> (Outcome, Option<Timeline>) {
        let parser = match c.format {
            OutputFormat::RawJson => Some(phases::output_format::parser_for(
                phases::output_format::OutputFormat::RawJson,
            )),
            OutputFormat::Legacy => Some(phases::output_format::parser_for(
                phases::output_format::OutputFormat::Legacy,
            )),
            OutputFormat::Plain => None,
        };
        match parser {
            Some(p) => {
                let mut sink = ParserSink(p);
                let o = self.exec_into(c, log, deadline, &mut sink).await;
                let t = sink.0.finish(o.ended);
                (o, Some(t))
            }
            None => (self.exec_into(c, log, deadline, &mut ()).await, None),
        }
    }

    /// Runs one docker command within the run's deadline, feeding its output lines
    /// to `sink`.
    pub(crate) async fn exec_into(
        &mut self,
        c: &DockerCommand,
        log: &mut std::fs::File,
        deadline: Option<Instant>,
        sink: &mut dyn LineSink,
    ) -> Outcome {
        self.engine_fresh = false;
        if c.role == Role::Build && !c.args.iter().any(|a| a == "--builder") {
            // A build on the engine's own builder: its build cache is in use.
            self.engine_cache_used = true;
        }
        let spec = Spec::new("docker")
            .args(c.args.iter())
            .envs(&self.engine.docker_env())
            .envs(&c.env);
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if timeout == Some(Duration::ZERO) {
            let now: DateTime<Utc> = Utc::now();
            return Outcome {
                ending: Ending::TimedOut,
                started: now,
                ended: now,
                began: Instant::now(),
                elapsed: Duration::ZERO,
                tail: vec![],
            };
        }
        process::run(&spec, log, sink, timeout, &mut self.cancel).await
    }

    /// Removes a docker-container builder cachebench created (best effort).
    pub(crate) async fn remove_builder(&mut self, name: &str) {
        let args = builder::remove_args(name);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let _ = self.engine.docker(&refs, Duration::from_secs(120)).await;
    }

    /// The ID of `image` on the engine, if it is there.
    pub(crate) async fn image_id(&self, image: &str) -> Option<String> {
        let args = ["image", "inspect", "--format", "{{.Id}}", image];
        let id = self
            .engine
            .docker(&args, Duration::from_secs(30))
            .await
            .ok()?;
        Some(id.trim().to_string()).filter(|s| !s.is_empty())
    }

    /// After a run: removes the warming build's image when the measured build's
    /// load left it untagged, and what only this run used: a cold run's cache
    /// folder, and the builder of a cold or warm-remote run (a warm-local chain
    /// keeps its builder, and every chain its context copy and cache folder, until
    /// its group ends: [`Session::end_group`]).
    pub(crate) async fn cleanup_run(&mut self, t: &RunTarget, state: State) {
        if let Some(old) = self.warm_image_id.take() {
            if self.image_id(&t.image).await.as_deref() != Some(old.as_str()) {
                let _ = self
                    .engine
                    .docker(&["image", "rm", &old], Duration::from_secs(60))
                    .await;
            }
        }
        if let (Some(name), false) = (&t.builder, state == State::WarmLocal) {
            self.remove_builder(name).await;
        }
        if state == State::Cold {
            if let Some(c) = t.cache_dir.parent() {
                let _ = std::fs::remove_dir_all(c);
            }
        }
        let _ = self.interrupted();
    }
}

/// The status of a run whose command ended unsuccessfully in `ending`.
pub(crate) fn run_status(ending: &Ending) -> RunStatus {
    match ending {
        Ending::TimedOut => RunStatus::Timeout,
        Ending::Interrupted => RunStatus::Interrupted,
        _ => RunStatus::Failed,
    }
}

/// One line for the record: what failed, how, and the last error line of its
/// output (the full output is in the run's log).
pub(crate) fn failure_reason(what: &str, ending: &Ending, framed_tail: &str) -> String {
    let how = match ending {
        Ending::Exited(c) => format!("exited with code {c}"),
        Ending::Signalled(s) => format!("killed by signal {s}"),
        Ending::TimedOut => "timed out".into(),
        Ending::Interrupted => "interrupted".into(),
        Ending::SpawnFailed(e) => format!("could not start: {e}"),
    };
    // A parsed build error is one line; otherwise pick the last error-like line
    // of the framed output tail.
    let last_error = if !framed_tail.contains('\n') {
        Some(framed_tail.trim().to_string())
    } else {
        framed_tail
            .lines()
            .rev()
            .find(|l| l.starts_with("ERROR:") || l.contains("error") || l.contains("Error"))
            .map(|l| l.trim().trim_start_matches("ERROR:").trim().to_string())
    };
    match last_error {
        Some(e) if !e.is_empty() => {
            let e: String = e.chars().take(400).collect();
            format!("{what} {how}: {e}")
        }
        _ => format!("{what} {how}"),
    }
}

/// `to - from` on the monotonic clock, as a chrono duration (0 if reversed).
pub(crate) fn monotonic_span(from: Instant, to: Instant) -> chrono::Duration {
    chrono::Duration::from_std(to.saturating_duration_since(from)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{phases::phase::Phase, phases::timeline::PhaseInterval};

    /// The wall window is the monotonic span of the commands: phases attributed
    /// from timestamps are clipped to it and, with `other`, sum to it exactly.
    #[test]
    fn wall_ms_is_the_monotonic_span() {
        let began = Instant::now();
        let span = monotonic_span(began, began + Duration::from_millis(1234));
        assert_eq!(span.num_milliseconds(), 1234);
        assert_eq!(
            monotonic_span(began + Duration::from_secs(1), began),
            chrono::Duration::zero()
        );
        let start: DateTime<Utc> = "2024-01-01T00:00:00Z".parse().unwrap();
        // A push the wall clock says lasted 5 s (the clock stepped) is cut at the
        // monotonic end.
        let push = PhaseInterval::new(
            Phase::Push,
            start + chrono::Duration::milliseconds(1000),
            start + chrono::Duration::milliseconds(6000),
        );
        let b = phases::compute::compute_phases(start, start + span, &[], &[push]);
        assert_eq!(b.wall_ms, 1234);
        assert_eq!(b.sum_ms(), 1234);
        assert_eq!(b.phases.push_ms, Some(234));
    }

    #[test]
    fn a_run_ends_timed_out_interrupted_or_failed() {
        assert_eq!(run_status(&Ending::TimedOut), RunStatus::Timeout);
        assert_eq!(run_status(&Ending::Interrupted), RunStatus::Interrupted);
        assert_eq!(run_status(&Ending::Exited(1)), RunStatus::Failed);
        assert_eq!(run_status(&Ending::Signalled(9)), RunStatus::Failed);
    }

    #[test]
    fn failure_reason_picks_the_error_line() {
        let tail = "x\nERROR: failed to solve: process \"/bin/sh -c false\" did not complete successfully: exit code: 1\n---";
        let r = failure_reason("build", &Ending::Exited(1), tail);
        assert_eq!(
            r,
            "build exited with code 1: failed to solve: process \"/bin/sh -c false\" did not complete successfully: exit code: 1"
        );
        assert_eq!(
            failure_reason("push", &Ending::TimedOut, ""),
            "push timed out"
        );
    }
}
