//! What the terminal shows before and between measured builds, on stderr: a
//! spinner while a setup step runs (starting the registry, containerd and dockerd,
//! seeding each base image, the egress probe, the BuildKit image) and one line when
//! it ends, with its time (the line is printed where stderr is not a terminal too:
//! a CI log shows where the first minute went); and, during the matrix, what the
//! running run is doing (emptying local state, its warming build, creating its
//! builder, the measured build, cleanup) after the run's name on the matrix's bar
//! ([`Stage`]).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::{Duration, Instant};

/// Between the run's name and what it does now, on the matrix's bar.
const STAGE_SEPARATOR: &str = " · ";

/// A setup step on the terminal: a spinner while it runs, a line when it ends.
pub struct Spinner {
    bar: ProgressBar,
    what: String,
    t0: Instant,
}

/// Starts showing `what` (e.g. `starting cachebench's registry`).
pub fn spinner(what: &str) -> Spinner {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    Spinner {
        bar,
        what: what.to_string(),
        t0: Instant::now(),
    }
}

impl Spinner {
    /// Ends the step, saying how it ended: `cachebench: SAID (1.2s)`.
    pub fn done(self, said: &str) {
        self.bar.finish_and_clear();
        eprintln!("{}", done_line(said, self.t0.elapsed()));
    }

    /// What the step was started with.
    pub fn what(&self) -> &str {
        &self.what
    }
}

impl Drop for Spinner {
    /// A step that failed leaves no spinner behind (its error says the rest).
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// The line a finished step leaves.
pub fn done_line(said: &str, took: Duration) -> String {
    format!("cachebench: {said} ({:.1}s)", took.as_secs_f64())
}

/// What the running run does now, shown after its name on the matrix's bar;
/// nothing when no bar is attached (tests, `plan`).
#[derive(Debug, Clone, Default)]
pub struct Stage(Option<ProgressBar>);

impl Stage {
    /// Shows the stages of the runs to come on `bar`.
    pub fn attach(bar: &ProgressBar) -> Stage {
        Stage(Some(bar.clone()))
    }

    /// The running run now does `what`.
    pub fn now(&self, what: &str) {
        if let Some(bar) = &self.0 {
            bar.set_message(with_stage(&bar.message(), what));
        }
    }
}

/// `MESSAGE · WHAT`, replacing the stage `message` had.
pub fn with_stage(message: &str, what: &str) -> String {
    let base = message.split(STAGE_SEPARATOR).next().unwrap_or(message);
    format!("{base}{STAGE_SEPARATOR}{what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_replaces_the_last_one() {
        let m = with_stage("ETA 3m05s push/docker/cold measured 1", "warming build");
        assert_eq!(m, "ETA 3m05s push/docker/cold measured 1 · warming build");
        assert_eq!(
            with_stage(&m, "measured build"),
            "ETA 3m05s push/docker/cold measured 1 · measured build"
        );
        let bar = ProgressBar::hidden();
        bar.set_message("run 1");
        Stage::attach(&bar).now("creating builder cb-1");
        assert_eq!(bar.message(), "run 1 · creating builder cb-1");
        Stage::default().now("nothing to show it on");
    }

    #[test]
    fn a_finished_step_says_what_and_how_long() {
        assert_eq!(
            done_line("registry up on 127.0.0.1:40123", Duration::from_millis(240)),
            "cachebench: registry up on 127.0.0.1:40123 (0.2s)"
        );
        let s = spinner("seeding base image local/busybox:latest (1/1)");
        assert_eq!(s.what(), "seeding base image local/busybox:latest (1/1)");
        s.done("seeded local/busybox:latest (1/1)");
    }
}
