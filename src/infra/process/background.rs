//! Long-lived children (dockerd, the registry): started in their own process group
//! with their output in a log file, registered for a second Ctrl-C, and stopped
//! without blocking the runtime.

use super::groups::{register_group, signal_group, unregister_group};
use super::{frame, last_lines, open_log, Spec, KILL_GRACE, TAIL_LINES};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

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
mod tests {
    use super::super::groups::GROUPS;
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
