//! Two children joined by a pipe, `FIRST | SECOND` (seeding's `docker save IMAGE |
//! docker load`), without a shell: each in its own process group, registered for
//! a second Ctrl-C, under one deadline, and ended (both groups SIGKILLed) when the
//! run is interrupted. The runtime is never blocked while they run.

use crate::infra::process::{self, Spec};
use std::process::{Output, Stdio};
use std::time::Duration;
use tokio::sync::watch;

/// How a pipeline ended.
#[derive(Debug)]
pub enum PipeEnd {
    /// Both exited; their statuses and output (the first's stdout went to the second).
    Done {
        first: Output,
        second: Output,
    },
    TimedOut,
    Interrupted,
}

/// Runs `first | second` to the end, the deadline, or the interruption.
pub async fn run(
    first: &Spec,
    second: &Spec,
    timeout: Duration,
    cancel: &mut watch::Receiver<bool>,
) -> anyhow::Result<PipeEnd> {
    if *cancel.borrow() {
        return Ok(PipeEnd::Interrupted);
    }
    let mut a = first
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("failed to run `{}`: {e}", first.display()))?;
    let pa = a.id().map(|p| p as i32);
    let _ga = pa.map(process::groups::GroupGuard::new);
    let a_out: Stdio = a
        .stdout
        .take()
        .expect("piped")
        .try_into()
        .map_err(|e| anyhow::anyhow!("failed to pipe `{}`: {e}", first.display()))?;
    let b = second
        .command()
        .stdin(a_out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let b = match b {
        Ok(b) => b,
        Err(e) => {
            if let Some(g) = pa {
                process::groups::signal_group(g, libc::SIGKILL);
            }
            anyhow::bail!("failed to run `{}`: {e}", second.display());
        }
    };
    let pb = b.id().map(|p| p as i32);
    let _gb = pb.map(process::groups::GroupGuard::new);
    let kill_both = || {
        for g in [pa, pb].into_iter().flatten() {
            process::groups::signal_group(g, libc::SIGKILL);
        }
    };
    let both = async { tokio::join!(a.wait_with_output(), b.wait_with_output()) };
    tokio::select! {
        r = tokio::time::timeout(timeout, both) => match r {
            Ok((ra, rb)) => {
                let first = ra.map_err(|e| anyhow::anyhow!("failed to wait for `{}`: {e}", first.display()))?;
                let second = rb.map_err(|e| anyhow::anyhow!("failed to wait for `{}`: {e}", second.display()))?;
                Ok(PipeEnd::Done { first, second })
            }
            Err(_) => {
                kill_both();
                Ok(PipeEnd::TimedOut)
            }
        },
        _ = process::output::cancelled(cancel) => {
            kill_both();
            Ok(PipeEnd::Interrupted)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn group_alive(pgid: i32) -> bool {
        // SAFETY: kill(2) with signal 0 only probes the group.
        unsafe { libc::kill(-pgid, 0) == 0 }
    }

    #[tokio::test]
    async fn bytes_flow_from_first_to_second() {
        {
            let (_tx, mut rx) = watch::channel(false);
            let first = Spec::new("sh").args(["-c", "head -c 300000 /dev/zero; echo done >&2"]);
            let second = Spec::new("wc").arg("-c");
            match run(&first, &second, Duration::from_secs(20), &mut rx)
                .await
                .unwrap()
            {
                PipeEnd::Done { first, second } => {
                    assert!(first.status.success() && second.status.success());
                    assert_eq!(String::from_utf8_lossy(&second.stdout).trim(), "300000");
                    assert_eq!(String::from_utf8_lossy(&first.stderr).trim(), "done");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    /// Interrupted mid-pipe: both groups (grandchildren included) end at once.
    #[tokio::test]
    async fn interruption_kills_both_groups() {
        {
            let dir = tempfile::tempdir().unwrap();
            let pids = dir.path().join("pids");
            let (tx, mut rx) = watch::channel(false);
            let first = Spec::new("sh").args([
                "-c",
                &format!(
                    "sleep 60 & echo $$ >> {p}; while :; do echo x; sleep 0.1; done",
                    p = pids.display()
                ),
            ]);
            let second = Spec::new("sh").args([
                "-c",
                &format!("echo $$ >> {p}; cat > /dev/null", p = pids.display()),
            ]);
            let h = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(500)).await;
                tx.send(true).unwrap();
                tx
            });
            let t0 = Instant::now();
            let end = run(&first, &second, Duration::from_secs(60), &mut rx)
                .await
                .unwrap();
            assert!(matches!(end, PipeEnd::Interrupted), "{end:?}");
            assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
            drop(h.await);
            let groups: Vec<i32> = std::fs::read_to_string(&pids)
                .unwrap()
                .lines()
                .map(|l| l.trim().parse().unwrap())
                .collect();
            assert_eq!(groups.len(), 2, "{groups:?}");
            let t1 = Instant::now();
            while groups.iter().any(|g| group_alive(*g)) && t1.elapsed() < Duration::from_secs(3) {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            for g in groups {
                assert!(!group_alive(g), "group {g} survived the interruption");
            }
        }
    }

    #[tokio::test]
    async fn the_deadline_ends_the_pipe() {
        {
            let (_tx, mut rx) = watch::channel(false);
            let t0 = Instant::now();
            let end = run(
                &Spec::new("sleep").arg("30"),
                &Spec::new("cat"),
                Duration::from_millis(300),
                &mut rx,
            )
            .await
            .unwrap();
            assert!(matches!(end, PipeEnd::TimedOut), "{end:?}");
            assert!(t0.elapsed() < Duration::from_secs(3));
        }
    }
}
