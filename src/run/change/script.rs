//! The user's `--change-script`: run in the chain's copy of the context (its working
//! folder) with the change's kind, nonce and file in its environment
//! (`CACHEBENCH_CHANGE`, `CACHEBENCH_NONCE`, `CACHEBENCH_FILE`), in a process group
//! of its own with the run's deadline ([`crate::infra::process`]). Its output goes to
//! the run's log; a failure is the run's, named by its first line on stderr.

use crate::config::matrix::Change;
use crate::infra::process::{self, Ending, LineSink, Spec, Stream};
use crate::records::record::RunStatus;
use crate::run::docker_exec::run_status;
use chrono::{DateTime, Utc};
use std::path::Path;
use std::time::Duration;
use tokio::sync::watch;

/// One run of the script.
pub struct Invocation<'a> {
    /// The script (absolute).
    pub script: &'a Path,
    /// The copy of the context it runs in.
    pub dir: &'a Path,
    pub change: Change,
    pub nonce: &'a str,
    /// The file the change is about, relative to the context.
    pub file: Option<&'a Path>,
}

impl Invocation<'_> {
    /// The command: the script itself, in the copy, with the change in its
    /// environment.
    pub fn spec(&self) -> Spec {
        let mut s = Spec::new(self.script)
            .env("CACHEBENCH_CHANGE", self.change.to_string())
            .env("CACHEBENCH_NONCE", self.nonce);
        if let Some(f) = self.file {
            s = s.env("CACHEBENCH_FILE", f);
        }
        s.cwd = Some(self.dir.to_path_buf());
        s
    }
}

/// Keeps the first non-empty line the script wrote to stderr.
#[derive(Default)]
struct FirstStderr(Option<String>);

impl LineSink for FirstStderr {
    fn line(&mut self, stream: Stream, line: &str, _: DateTime<Utc>) {
        if stream == Stream::Stderr && self.0.is_none() && !line.trim().is_empty() {
            self.0 = Some(line.trim().chars().take(300).collect());
        }
    }
}

/// Runs the script to its end or `timeout`; a bad ending is the run's status and
/// reason (`the change script failed: <first stderr line> (exited with code 3)`),
/// with its output framed in the log.
pub async fn run(
    inv: &Invocation<'_>,
    log: &mut std::fs::File,
    timeout: Option<Duration>,
    cancel: &mut watch::Receiver<bool>,
) -> Result<(), (RunStatus, String)> {
    use std::io::Write;
    let mut first = FirstStderr::default();
    let o = process::run(&inv.spec(), log, &mut first, timeout, cancel).await;
    if o.success() {
        return Ok(());
    }
    let _ = writeln!(
        log,
        "cachebench: the change script {}{}",
        o.describe(),
        o.framed_tail()
    );
    let reason = match (&o.ending, first.0) {
        (Ending::TimedOut, _) => "the change script timed out".to_string(),
        (Ending::Interrupted, _) => "the change script was interrupted".to_string(),
        (Ending::SpawnFailed(e), _) => format!("the change script failed: could not start: {e}"),
        (_, Some(line)) => format!("the change script failed: {line} ({})", o.describe()),
        (_, None) => format!("the change script failed: {}", o.describe()),
    };
    Err((run_status(&o.ending), reason))
}
