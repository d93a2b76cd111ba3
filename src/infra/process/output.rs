//! Short helper commands (`docker info`, inspect, …) run to their stdout, each in
//! its own registered process group, with a deadline and, optionally, the cancel
//! channel of a Ctrl-C.

use super::groups::{signal_group, GroupGuard};
use super::{frame, last_lines, Spec, TAIL_LINES};
use std::process::Stdio;
use std::time::Duration;
use tokio::sync::watch;

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

/// How a command that ran to its end ended: its status and whole output.
#[derive(Debug)]
pub struct Finished {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs a short helper command to its end, as [`output`] does, and returns how it
/// ended whatever its status; the error is only a failure to start it or the
/// deadline (its process group killed).
pub async fn finished(spec: &Spec, timeout: Duration) -> anyhow::Result<Finished> {
    finished_until(spec, timeout, None).await
}

async fn output_until(
    spec: &Spec,
    timeout: Duration,
    cancel: Option<&mut watch::Receiver<bool>>,
) -> anyhow::Result<String> {
    let out = finished_until(spec, timeout, cancel).await?;
    if !out.status.success() {
        let lines = last_lines(&out.stderr, TAIL_LINES);
        anyhow::bail!("`{}` {}{}", spec.display(), out.status, frame(&lines));
    }
    Ok(out.stdout)
}

async fn finished_until(
    spec: &Spec,
    timeout: Duration,
    cancel: Option<&mut watch::Receiver<bool>>,
) -> anyhow::Result<Finished> {
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
    Ok(Finished {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}
