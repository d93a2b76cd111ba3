//! Child processes: spawned from argument vectors (never a shell), in their own
//! process group, with every output line timestamped as it arrives, written to a log
//! and handed to a line sink (the build-output parsers); ended with SIGTERM then
//! SIGKILL on timeout or interruption.

use chrono::{DateTime, Utc};
use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::watch;

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
    let _ = writeln!(log, "$ {}", crate::redact::text(&spec.display()));
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
            let shown = crate::redact::global().log_line(&line);
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

/// Process groups of the long-lived children cachebench started, so that a second
/// Ctrl-C can end them before exiting at once.
static GROUPS: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());

fn register_group(pgid: i32) {
    if let Ok(mut g) = GROUPS.lock() {
        g.push(pgid);
    }
}

fn unregister_group(pgid: i32) {
    if let Ok(mut g) = GROUPS.lock() {
        g.retain(|p| *p != pgid);
    }
}

/// Keeps a child's process group registered while it runs.
pub(crate) struct GroupGuard(i32);

impl GroupGuard {
    pub(crate) fn new(pgid: i32) -> GroupGuard {
        register_group(pgid);
        GroupGuard(pgid)
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        unregister_group(self.0);
    }
}

/// Bridges and folders cachebench created, removed by a second Ctrl-C
/// ([`remove_registered_leftovers`]) when there is no time for a full teardown.
static LEFTOVERS: std::sync::Mutex<Vec<Leftover>> = std::sync::Mutex::new(Vec::new());

#[derive(Debug, Clone, PartialEq)]
enum Leftover {
    Bridge(String),
    Dir(std::path::PathBuf),
}

/// Remembers a network bridge to delete (with its egress rules) on a hasty exit.
pub fn register_bridge(name: &str) {
    if let Ok(mut l) = LEFTOVERS.lock() {
        l.push(Leftover::Bridge(name.to_string()));
    }
}

/// Forgets a bridge (it was deleted).
pub fn unregister_bridge(name: &str) {
    if let Ok(mut l) = LEFTOVERS.lock() {
        l.retain(|x| *x != Leftover::Bridge(name.to_string()));
    }
}

/// Remembers a temporary folder to remove on a hasty exit.
pub fn register_dir(path: &Path) {
    if let Ok(mut l) = LEFTOVERS.lock() {
        l.push(Leftover::Dir(path.to_path_buf()));
    }
}

/// Deletes registered bridges and folders (after [`kill_registered_groups`]):
/// mounts a killed engine left are detached lazily first. Best effort, bounded.
pub fn remove_registered_leftovers() {
    let items = LEFTOVERS.lock().map(|l| l.clone()).unwrap_or_default();
    for item in items {
        match item {
            Leftover::Bridge(name) => {
                crate::network::remove_rules(&name);
                let _ = std::process::Command::new("ip")
                    .args(["link", "del", &name])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
            Leftover::Dir(p) => remove_tree(&p),
        }
    }
    crate::network::restore_forwarding();
}

/// Removes a folder cachebench created, even when a killed engine left mounts
/// below it (build containers' rootfs, network namespaces): those are detached
/// (`umount -l`), deepest first, then the folder is removed. Best effort.
pub fn remove_tree(path: &Path) {
    if std::fs::remove_dir_all(path).is_ok() || !path.exists() {
        return;
    }
    let prefix = format!("{}/", path.display());
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let mut points: Vec<String> = mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(|m| m.replace("\\040", " "))
        .filter(|m| m.starts_with(&prefix))
        .collect();
    points.sort_by_key(|m| std::cmp::Reverse(m.len()));
    points.dedup();
    for m in points {
        if let Ok(c) = std::ffi::CString::new(m) {
            // SAFETY: umount2 with a valid NUL-terminated path under our own folder.
            unsafe {
                libc::umount2(c.as_ptr(), libc::MNT_DETACH);
            }
        }
    }
    let _ = std::fs::remove_dir_all(path);
}

/// SIGKILLs every long-lived child group still registered (last resort on exit).
pub fn kill_registered_groups() {
    let groups = GROUPS.lock().map(|g| g.clone()).unwrap_or_default();
    for g in groups {
        signal_group(g, libc::SIGKILL);
    }
}

pub fn signal_group(pgid: i32, sig: i32) {
    // SAFETY: kill(2) with a negative pid signals a process group we created.
    unsafe {
        libc::kill(-pgid, sig);
    }
}

/// Runs a short helper command (docker info, inspect, …) and returns its stdout;
/// the error carries the command line and its framed stderr. The child runs in its
/// own process group (registered for a second Ctrl-C); on timeout the whole group
/// is killed (`docker buildx …` runs the plugin as a grandchild).
pub async fn output(spec: &Spec, timeout: Duration) -> anyhow::Result<String> {
    output_until(spec, timeout, None).await
}

/// [`output`], ended early (process group killed) when `cancel` turns true: the
/// error is then [`Interrupted`].
pub async fn output_or_cancel(
    spec: &Spec,
    timeout: Duration,
    cancel: &mut watch::Receiver<bool>,
) -> anyhow::Result<String> {
    output_until(spec, timeout, Some(cancel)).await
}

/// The error of a wait that a Ctrl-C (the cancel channel) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// Resolves once `cancel` holds `true` (never, when its sender is gone).
pub async fn cancelled(cancel: &mut watch::Receiver<bool>) {
    if cancel.wait_for(|v| *v).await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn output_until(
    spec: &Spec,
    timeout: Duration,
    cancel: Option<&mut watch::Receiver<bool>>,
) -> anyhow::Result<String> {
    let mut cmd = spec.command();
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd
        .spawn()
        .map_err(|e| anyhow::anyhow!("failed to run `{}`: {e}", spec.display()))?;
    let pgid = child.id().map(|p| p as i32);
    let _group = pgid.map(GroupGuard::new);
    let kill = || {
        if let Some(g) = pgid {
            signal_group(g, libc::SIGKILL);
        }
    };
    let waited = tokio::time::timeout(timeout, child.wait_with_output());
    let out = match cancel {
        Some(c) => tokio::select! {
            r = waited => r,
            _ = cancelled(c) => {
                kill();
                return Err(anyhow::Error::new(Interrupted)
                    .context(format!("`{}` ended by the interruption", spec.display())));
            }
        },
        None => waited.await,
    };
    let out = match out {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => anyhow::bail!("failed to run `{}`: {e}", spec.display()),
        Err(_) => {
            kill();
            anyhow::bail!(
                "`{}` did not finish within {}s",
                spec.display(),
                timeout.as_secs()
            )
        }
    };
    if !out.status.success() {
        let lines = last_lines(&String::from_utf8_lossy(&out.stderr), TAIL_LINES);
        anyhow::bail!("`{}` {}{}", spec.display(), out.status, frame(&lines));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
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
mod tests {
    use super::*;

    struct Collect(Vec<(Stream, String)>);
    impl LineSink for Collect {
        fn line(&mut self, s: Stream, l: &str, _: DateTime<Utc>) {
            self.0.push((s, l.to_string()));
        }
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn lines_are_captured_from_both_streams() {
        rt().block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let mut log = open_log(&dir.path().join("l.log")).unwrap();
            let (_tx, mut rx) = watch::channel(false);
            let mut sink = Collect(vec![]);
            let spec = Spec::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]);
            let o = run(&spec, &mut log, &mut sink, None, &mut rx).await;
            assert_eq!(o.ending, Ending::Exited(3));
            assert!(sink.0.contains(&(Stream::Stdout, "out".into())));
            assert!(sink.0.contains(&(Stream::Stderr, "err".into())));
            let text = std::fs::read_to_string(dir.path().join("l.log")).unwrap();
            assert!(text.contains("$ sh -c"), "{text}");
        });
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        rt().block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let mut log = open_log(&dir.path().join("l.log")).unwrap();
            let (_tx, mut rx) = watch::channel(false);
            let marker = dir.path().join("grandchild-alive");
            // The grandchild would write the marker after 3s unless its group is killed.
            let script = format!("(sleep 3; touch {}) & sleep 30", marker.display());
            let spec = Spec::new("sh").args(["-c", &script]);
            let o = run(
                &spec,
                &mut log,
                &mut (),
                Some(Duration::from_millis(300)),
                &mut rx,
            )
            .await;
            assert_eq!(o.ending, Ending::TimedOut);
            assert!(o.elapsed < Duration::from_secs(10));
            tokio::time::sleep(Duration::from_secs(4)).await;
            assert!(!marker.exists(), "grandchild survived the group kill");
        });
    }

    #[test]
    fn interruption_ends_the_child() {
        rt().block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let mut log = open_log(&dir.path().join("l.log")).unwrap();
            let (tx, mut rx) = watch::channel(false);
            let spec = Spec::new("sleep").arg("30");
            let h = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                tx.send(true).unwrap();
                tx
            });
            let o = run(&spec, &mut log, &mut (), None, &mut rx).await;
            assert_eq!(o.ending, Ending::Interrupted);
            drop(h.await);
        });
    }

    #[test]
    fn spawn_failure_is_reported() {
        rt().block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let mut log = open_log(&dir.path().join("l.log")).unwrap();
            let (_tx, mut rx) = watch::channel(false);
            let o = run(
                &Spec::new("/nonexistent/x"),
                &mut log,
                &mut (),
                None,
                &mut rx,
            )
            .await;
            assert!(matches!(o.ending, Ending::SpawnFailed(_)));
        });
    }

    #[test]
    fn output_error_frames_stderr() {
        rt().block_on(async {
            let e = output(
                &Spec::new("sh").args(["-c", "echo boom >&2; exit 1"]),
                Duration::from_secs(5),
            )
            .await
            .unwrap_err()
            .to_string();
            assert!(e.contains("boom") && e.contains("-- output --"), "{e}");
        });
    }
}

/// How long a killed background child gets to be reaped before cachebench stops
/// waiting for it (it is in its own group, SIGKILLed: only a stuck kernel delays it).
const REAP_LIMIT: Duration = Duration::from_secs(5);

/// A long-lived child (dockerd, the registry) in its own process group, its output
/// going to a log file, registered for a second Ctrl-C until it is gone. Stopped
/// with [`Background::stop`] (async: SIGTERM, wait up to `grace`, SIGKILL); the
/// `Drop` of one not stopped is a blocking best-effort stop (error paths only).
#[derive(Debug)]
pub struct Background {
    child: Option<tokio::process::Child>,
    pgid: i32,
    pub what: String,
    pub log: std::path::PathBuf,
}

impl Background {
    /// Starts `spec` (within a tokio runtime: the child is a tokio child).
    pub fn spawn(spec: &Spec, what: &str, log: &Path) -> anyhow::Result<Background> {
        let logf = open_log(log)
            .map_err(|e| anyhow::anyhow!("failed to open log {}: {e}", log.display()))?;
        let logf2 = logf.try_clone()?;
        let mut cmd = tokio::process::Command::new(&spec.program);
        cmd.args(&spec.args)
            .stdin(Stdio::null())
            .stdout(logf)
            .stderr(logf2)
            .process_group(0);
        for (k, v) in &spec.env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .map_err(|e| anyhow::anyhow!("failed to start {what}: `{}`: {e}", spec.display()))?;
        let pgid = child.id().map(|p| p as i32).unwrap_or(0);
        if pgid > 0 {
            register_group(pgid);
        }
        Ok(Background {
            child: Some(child),
            pgid,
            what: what.to_string(),
            log: log.to_path_buf(),
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|_| self.pgid as u32)
    }

    /// True while the child has not exited.
    pub fn alive(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// The last lines of its log, framed, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        frame(&last_lines(&text, TAIL_LINES))
    }

    /// SIGTERM to its group, SIGKILL after `grace`; awaits its exit without
    /// blocking the runtime (a second Ctrl-C meanwhile still kills the group: it
    /// stays registered until it is gone).
    pub async fn stop(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pgid = self.pgid;
        if pgid > 0 {
            signal_group(pgid, libc::SIGTERM);
        }
        if tokio::time::timeout(grace, child.wait()).await.is_err() {
            if pgid > 0 {
                signal_group(pgid, libc::SIGKILL);
            }
            let _ = child.start_kill();
            let _ = tokio::time::timeout(REAP_LIMIT, child.wait()).await;
        }
        if pgid > 0 {
            // Stragglers of the group that outlived the leader.
            signal_group(pgid, libc::SIGKILL);
            unregister_group(pgid);
        }
    }

    /// SIGKILL at once (fault tests, a failed start).
    pub async fn kill(&mut self) {
        self.stop(Duration::ZERO).await
    }

    /// The blocking stop of `Drop`: SIGTERM, poll up to `grace`, SIGKILL.
    fn stop_blocking(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pgid = self.pgid;
        if pgid <= 0 {
            let _ = child.start_kill();
            return;
        }
        signal_group(pgid, libc::SIGTERM);
        let t0 = Instant::now();
        while matches!(child.try_wait(), Ok(None)) {
            if t0.elapsed() >= grace {
                signal_group(pgid, libc::SIGKILL);
                let t1 = Instant::now();
                while matches!(child.try_wait(), Ok(None)) && t1.elapsed() < REAP_LIMIT {
                    std::thread::sleep(Duration::from_millis(20));
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        signal_group(pgid, libc::SIGKILL);
        unregister_group(pgid);
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop_blocking(KILL_GRACE);
    }
}

#[cfg(test)]
mod background_tests {
    use super::*;

    /// A child that ignores SIGTERM: `stop` SIGKILLs it after the grace, and the
    /// runtime keeps serving other tasks while it waits.
    #[test]
    fn stop_is_async_and_kills_after_the_grace() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let spec = Spec::new("sh").args(["-c", "trap '' TERM; sleep 30 & wait; sleep 30"]);
            let mut b = Background::spawn(&spec, "stubborn", &dir.path().join("b.log")).unwrap();
            let pgid = b.pid().unwrap() as i32;
            assert!(GROUPS.lock().unwrap().contains(&pgid));
            tokio::time::sleep(Duration::from_millis(200)).await;
            let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
            let t = ticks.clone();
            let ticker = tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    t.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
            let t0 = Instant::now();
            b.stop(Duration::from_millis(800)).await;
            let took = t0.elapsed();
            ticker.abort();
            assert!(took >= Duration::from_millis(700), "{took:?}");
            assert!(took < Duration::from_secs(5), "{took:?}");
            let n = ticks.load(std::sync::atomic::Ordering::Relaxed);
            assert!(n >= 8, "the runtime was blocked while stopping: {n} ticks");
            assert!(!b.alive());
            assert!(!GROUPS.lock().unwrap().contains(&pgid));
            // SAFETY: kill(2) with signal 0 only probes the group.
            let alive = || unsafe { libc::kill(-pgid, 0) } == 0;
            let t1 = Instant::now();
            while alive() && t1.elapsed() < Duration::from_secs(3) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(!alive(), "group {pgid} survived");
        });
    }
}
