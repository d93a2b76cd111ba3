//! cachebench's own daemons across a matrix, beside the engine's own watch
//! ([`crate::run::executor::EngineWatch`]): its registry (the run's, or the mirror
//! of base images when `--registry` names another) named for messages, checked,
//! and restarted on the same port and storage; and the logs of dockerd, its
//! containerd and the registry, which live in the work folder and go with it,
//! copied into `OUT/logs/` when something failed.

use crate::infra::registry::Registry;
use crate::run::runner::Session;
use std::path::{Path, PathBuf};

/// At most this much of the end of each daemon's log is kept in OUT.
const KEEP_BYTES: u64 = 4 << 20;

/// The names of the daemons' logs in `OUT/logs/`.
pub const DOCKERD_LOG: &str = "logs/dockerd.log";
pub const CONTAINERD_LOG: &str = "logs/containerd.log";
pub const REGISTRY_LOG: &str = "logs/registry.log";

impl Session {
    /// cachebench's own registry, if it has one running: the run's registry, or
    /// the mirror of base images beside a registry given with `--registry`.
    pub fn own_registry(&mut self) -> Option<&mut Registry> {
        if self.registry.owned.is_some() {
            return Some(&mut self.registry);
        }
        self.mirror.as_mut().filter(|m| m.owned.is_some())
    }

    /// How messages name cachebench's own registry: `cachebench's own registry
    /// (127.0.0.1:PORT, log OUT/logs/registry.log)`.
    pub fn registry_name(&self) -> String {
        let host = [Some(&self.registry), self.mirror.as_ref()]
            .into_iter()
            .flatten()
            .find(|r| r.owned.is_some())
            .map(|r| r.host.clone())
            .unwrap_or_default();
        registry_name(&host, &self.out)
    }

    /// Copies the logs of cachebench's own dockerd, containerd and registry (the
    /// last 4 MiB of each) into `OUT/logs/`; returns the files written.
    pub fn keep_daemon_logs(&mut self) -> Vec<PathBuf> {
        let mut logs: Vec<(PathBuf, &str)> = Vec::new();
        if let Some(o) = &self.engine.owned {
            logs.push((o.dir.join("dockerd.log"), DOCKERD_LOG));
            logs.push((o.dir.join("containerd.log"), CONTAINERD_LOG));
        }
        if let Some(o) = self.own_registry().and_then(|r| r.owned.as_ref()) {
            logs.push((o.log(), REGISTRY_LOG));
        }
        logs.into_iter()
            .filter_map(|(from, to)| {
                let to = self.out.join(to);
                copy_tail(&from, &to, KEEP_BYTES).ok().map(|_| to)
            })
            .collect()
    }
}

/// At the end of a matrix where a run failed (or a daemon died for good): the
/// daemons' logs go to OUT before the work folder is removed, and one line says so.
pub fn keep_logs_of_failures(
    session: &mut Session,
    outcome: &crate::run::scheduler::MatrixOutcome,
) {
    use crate::records::record::RunStatus;
    let failed = outcome
        .records
        .iter()
        .any(|r| matches!(r.status, RunStatus::Failed | RunStatus::Timeout));
    if !failed && outcome.engine_dead.is_none() {
        return;
    }
    let kept = session.keep_daemon_logs();
    if !kept.is_empty() {
        let names: Vec<String> = kept.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "cachebench: runs failed; the daemons' logs are kept: {}",
            names.join(", ")
        );
    }
}

/// `cachebench's own registry (HOST, log OUT/logs/registry.log)`.
pub fn registry_name(host: &str, out: &Path) -> String {
    format!(
        "cachebench's own registry ({host}, log {})",
        out.join(REGISTRY_LOG).display()
    )
}

/// Writes the last `limit` bytes of `from` to `to` (whole lines: a cut first line
/// is dropped), replacing it.
fn copy_tail(from: &Path, to: &Path, limit: u64) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(from)?;
    let len = f.metadata()?.len();
    let start = len.saturating_sub(limit);
    f.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)?;
    if start > 0 {
        let cut = bytes.iter().position(|b| *b == b'\n').map_or(0, |i| i + 1);
        bytes.drain(..cut);
    }
    if let Some(p) = to.parent() {
        std::fs::create_dir_all(p)?;
    }
    std::fs::write(
        to,
        crate::records::redact::text(&String::from_utf8_lossy(&bytes)).as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_of_a_log_is_kept_in_whole_lines() {
        let d = tempfile::tempdir().unwrap();
        let from = d.path().join("dockerd.log");
        std::fs::write(&from, "first line\nsecond line\nthird\n").unwrap();
        let to = d.path().join("out/logs/dockerd.log");
        copy_tail(&from, &to, 1 << 20).unwrap();
        assert_eq!(
            std::fs::read_to_string(&to).unwrap(),
            "first line\nsecond line\nthird\n"
        );
        copy_tail(&from, &to, 15).unwrap();
        assert_eq!(std::fs::read_to_string(&to).unwrap(), "third\n");
        assert!(copy_tail(&d.path().join("none"), &to, 10).is_err());
    }

    #[test]
    fn the_registry_is_named_with_its_address_and_log() {
        assert_eq!(
            registry_name("127.0.0.1:40123", Path::new("/r/out")),
            "cachebench's own registry (127.0.0.1:40123, log /r/out/logs/registry.log)"
        );
    }
}
