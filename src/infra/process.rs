//! Child processes: spawned from argument vectors (never a shell), in their own
//! process group, with every output line timestamped as it arrives, written to a log
//! and handed to a line sink (the build-output parsers); ended with SIGTERM then
//! SIGKILL on timeout or interruption.
//!
//! Beside it: `process_output.rs` (short helper commands to their stdout),
//! `process_background.rs` (long-lived children: dockerd, the registry) and
//! `process_groups.rs` (what a second Ctrl-C ends and removes).

pub mod pipeline;

use crate::infra::process::groups::{signal_group, GroupGuard};
use chrono::{DateTime, Utc};
use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::watch;
pub mod background;
pub mod groups;
pub mod output;

/// How long a child gets between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_secs(5);

/// Lines kept for an error message when a command fails.
const TAIL_LINES: usize = 30;

/// Which stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Receives each output line with its arrival time.
pub trait LineSink: Send {
    fn line(&mut self, stream: Stream, line: &str, at: DateTime<Utc>);
}

impl LineSink for () {
    fn line(&mut self, _: Stream, _: &str, _: DateTime<Utc>) {}
}

/// A command to run.
#[derive(Debug, Clone)]
pub struct Spec {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub env: Vec<(OsString, OsString)>,
    pub cwd: Option<std::path::PathBuf>,
}

impl Spec {
    pub fn new(program: impl Into<OsString>) -> Self {
        Spec {
            program: program.into(),
            args: vec![],
            env: vec![],
            cwd: None,
        }
    }
    pub fn arg(mut self, a: impl Into<OsString>) -> Self {
        self.args.push(a.into());
        self
    }
    pub fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, it: I) -> Self {
        self.args.extend(it.into_iter().map(Into::into));
        self
    }
    pub fn env(mut self, k: impl Into<OsString>, v: impl Into<OsString>) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }
    pub fn envs(mut self, kv: &[(String, String)]) -> Self {
        for (k, v) in kv {
            self.env.push((k.into(), v.into()));
        }
        self
    }
    /// A tokio command for this spec: its argument vector (never a shell), its
    /// environment and folder, standard input closed, in a process group of its
    /// own (so the whole group can be signalled), killed if its handle is dropped.
    pub fn command(&self) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(&self.args)
            .stdin(Stdio::null())
            .process_group(0)
            .kill_on_drop(true);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if let Some(d) = &self.cwd {
            cmd.current_dir(d);
        }
        cmd
    }

    /// The command line, for messages (never executed through a shell).
    pub fn display(&self) -> String {
        let mut s = self.program.to_string_lossy().into_owned();
        for a in &self.args {
            s.push(' ');
            s.push_str(&a.to_string_lossy());
        }
        s
    }
}

/// How a child ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    Signalled(i32),
    TimedOut,
    Interrupted,
    /// It could not be started.
    SpawnFailed(String),
}

/// What came of running a child.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ending: Ending,
    pub started: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    /// Monotonic clock at the start (with `elapsed`, the monotonic end): durations
    /// come from these, `started`/`ended` only timestamp.
    pub began: Instant,
    pub elapsed: Duration,
    /// The last lines of output (stderr and stdout interleaved), for errors.
    pub tail: Vec<String>,
}

impl Outcome {
    pub fn success(&self) -> bool {
        self.ending == Ending::Exited(0)
    }
    pub fn exit_code(&self) -> Option<i32> {
        match self.ending {
            Ending::Exited(c) => Some(c),
            _ => None,
        }
    }
    /// The tail of the output framed for an error message, as ripgrep frames a
    /// failed child's stderr.
    pub fn framed_tail(&self) -> String {
        frame(&self.tail)
    }
    /// How the child ended, in a few words (`exited with code 3`).
    pub fn describe(&self) -> String {
        match &self.ending {
            Ending::Exited(c) => format!("exited with code {c}"),
            Ending::Signalled(s) => format!("killed by signal {s}"),
            Ending::TimedOut => "timed out".to_string(),
            Ending::Interrupted => "interrupted".to_string(),
            Ending::SpawnFailed(e) => format!("could not be started: {e}"),
        }
    }
}

/// The last `n` lines of `text`, in order.
pub fn last_lines(text: &str, n: usize) -> Vec<String> {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(n)..]
        .iter()
        .map(|l| l.to_string())
        .collect()
}

/// Frames lines of a child's output for an error message.
pub fn frame(lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut s =
        String::from("\n---------------------------- output ----------------------------\n");
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    s.push_str("----------------------------------------------------------------");
    s
}

/// Runs `spec` to the end (or timeout, or interruption), writing every line to
/// `log` prefixed with the seconds since start, and handing it to `sink`.
pub async fn run(
    spec: &Spec,
    log: &mut std::fs::File,
    sink: &mut dyn LineSink,
    timeout: Option<Duration>,
    cancel: &mut watch::Receiver<bool>,
) -> Outcome {
    let started = Utc::now();
    let t0 = Instant::now();
    let _ = writeln!(log, "$ {}", crate::records::redact::text(&spec.display()));
    let mut cmd = spec.command();
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let msg = format!("{}: {e}", spec.program.to_string_lossy());
            let _ = writeln!(log, "cachebench: failed to start: {msg}");
            return Outcome {
                ending: Ending::SpawnFailed(msg),
                started,
                ended: Utc::now(),
                began: t0,
                elapsed: t0.elapsed(),
                tail: vec![],
            };
        }
    };
    let pid = child.id().map(|p| p as i32);
    // Registered so that a second Ctrl-C ends it too; unregistered when it ends.
    let _group = pid.map(GroupGuard::new);
    let mut out = BufReader::new(child.stdout.take().expect("piped")).lines();
    let mut err = BufReader::new(child.stderr.take().expect("piped")).lines();
    let mut tail: std::collections::VecDeque<String> = Default::default();
    let mut out_open = true;
    let mut err_open = true;
    let deadline = timeout.map(|d| tokio::time::Instant::now() + d);
    let mut stop: Option<Ending> = None;
    let mut record =
        |stream: Stream, line: String, tail: &mut std::collections::VecDeque<String>| {
            let at = Utc::now();
            let secs = t0.elapsed().as_secs_f64();
            let tag = if stream == Stream::Stderr {
                ""
            } else {
                "[stdout] "
            };
            let shown = crate::records::redact::global().log_line(&line);
            let _ = writeln!(log, "{secs:9.3} {tag}{shown}");
            sink.line(stream, &line, at);
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            let shown = shown.into_owned();
            tail.push_back(shown);
        };
    while (out_open || err_open) && stop.is_none() {
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            l = out.next_line(), if out_open => match l {
                Ok(Some(l)) => record(Stream::Stdout, l, &mut tail),
                _ => out_open = false,
            },
            l = err.next_line(), if err_open => match l {
                Ok(Some(l)) => record(Stream::Stderr, l, &mut tail),
                _ => err_open = false,
            },
            _ = sleep => stop = Some(Ending::TimedOut),
            _ = cancel.changed() => if *cancel.borrow() { stop = Some(Ending::Interrupted) },
        }
    }
    let ending = if let Some(reason) = stop {
        if let Some(pid) = pid {
            terminate_group(pid, &mut child).await;
        }
        let _ = writeln!(
            log,
            "cachebench: {} after {:.3}s; process group ended",
            if reason == Ending::TimedOut {
                "timed out"
            } else {
                "interrupted"
            },
            t0.elapsed().as_secs_f64()
        );
        reason
    } else {
        let status = tokio::select! {
            s = child.wait() => s,
            _ = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            } => {
                if let Some(pid) = pid { terminate_group(pid, &mut child).await; }
                return Outcome { ending: Ending::TimedOut, started, ended: Utc::now(), began: t0, elapsed: t0.elapsed(), tail: tail.into() };
            }
        };
        use std::os::unix::process::ExitStatusExt;
        match status {
            Ok(s) => match (s.code(), s.signal()) {
                (Some(c), _) => Ending::Exited(c),
                (None, Some(sig)) => Ending::Signalled(sig),
                _ => Ending::Exited(-1),
            },
            Err(e) => Ending::SpawnFailed(e.to_string()),
        }
    };
    let elapsed = t0.elapsed();
    let _ = writeln!(
        log,
        "cachebench: {:?} in {:.3}s",
        ending,
        elapsed.as_secs_f64()
    );
    Outcome {
        ending,
        started,
        ended: Utc::now(),
        began: t0,
        elapsed,
        tail: tail.into(),
    }
}

/// SIGTERM to the whole group, then SIGKILL after [`KILL_GRACE`].
async fn terminate_group(pgid: i32, child: &mut tokio::process::Child) {
    signal_group(pgid, libc::SIGTERM);
    if tokio::time::timeout(KILL_GRACE, child.wait())
        .await
        .is_err()
    {
        signal_group(pgid, libc::SIGKILL);
        let _ = child.wait().await;
    }
    // Stragglers of the group that outlived the leader.
    signal_group(pgid, libc::SIGKILL);
}

/// Opens (creating) a log file for appending.
pub fn open_log(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

#[cfg(test)]
mod tests;
