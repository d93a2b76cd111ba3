//! cachebench's own dockerd: its daemon.json (image store, mirror, insecure
//! registries), the start on a data-root of the current generation with its own
//! bridge and no iptables of its own, waiting for `/_ping`, and the stop.

use crate::http;
use crate::matrix::ImageStore;
use crate::network;
use crate::process::{Background, Spec};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long dockerd gets to answer `/_ping` after it is started.
const START_LIMIT: Duration = Duration::from_secs(60);
const STOP_GRACE: Duration = Duration::from_secs(15);

#[derive(Debug)]
pub struct OwnedEngine {
    pub dir: PathBuf,
    pub process: Option<Background>,
    /// Its bridge (and the egress rules of that bridge).
    pub bridge: network::Bridge,
    /// Registry mirror for docker.io (cachebench's registry serving seeded images).
    pub mirror: Option<String>,
    pub insecure: Vec<String>,
    /// Generation of the data-root; a reset starts the next one.
    pub generation: u32,
    /// The image store dockerd is started with.
    pub store: ImageStore,
    pub socket: PathBuf,
}

impl OwnedEngine {
    pub(super) fn data_root(&self) -> PathBuf {
        self.dir.join(format!("root-{}", self.generation))
    }

    pub(super) async fn start(&mut self) -> anyhow::Result<()> {
        let mut cfg = serde_json::json!({
            "features": {"containerd-snapshotter": self.store == ImageStore::Containerd},
            "log-level": "warn",
        });
        if self.store == ImageStore::Classic {
            // What hosted runners use; never a silent fall-back to vfs.
            cfg["storage-driver"] = serde_json::json!("overlay2");
        }
        if let Some(m) = &self.mirror {
            cfg["registry-mirrors"] = serde_json::json!([format!("http://{m}")]);
        }
        if !self.insecure.is_empty() {
            cfg["insecure-registries"] = serde_json::json!(self.insecure);
        }
        let config = self.dir.join("daemon.json");
        std::fs::write(&config, serde_json::to_vec_pretty(&cfg)?)
            .with_context(|| format!("failed to write {}", config.display()))?;
        let _ = std::fs::remove_file(&self.socket);
        let spec = Spec::new("dockerd")
            .arg("--config-file")
            .arg(&config)
            .arg("--data-root")
            .arg(self.data_root())
            .arg("--exec-root")
            .arg(self.dir.join("exec"))
            .arg("--pidfile")
            .arg(self.dir.join("docker.pid"))
            .arg("-H")
            .arg(format!("unix://{}", self.socket.display()))
            .arg(format!("--bridge={}", self.bridge.name))
            // Egress is cachebench's own rules (crate::network), not dockerd's.
            .arg("--iptables=false")
            .arg("--ip-forward=false")
            .arg("--ip6tables=false");
        let mut p = Background::spawn(&spec, "dockerd", &self.dir.join("dockerd.log"))
            .context("failed to start dockerd")?;
        let t0 = Instant::now();
        loop {
            if ping(&self.socket).await {
                break;
            }
            if !p.alive() {
                bail!(
                    "failed to start dockerd (data-root {}): it exited{}",
                    self.data_root().display(),
                    p.log_tail()
                );
            }
            if t0.elapsed() > START_LIMIT {
                let tail = p.log_tail();
                p.kill().await;
                bail!(
                    "failed to start dockerd: no answer on {} within {}s{tail}",
                    self.socket.display(),
                    START_LIMIT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        crate::leftovers::note_pid("dockerd", p.pid());
        self.process = Some(p);
        Ok(())
    }

    /// SIGTERM, up to [`STOP_GRACE`] awaited (the runtime keeps serving signals),
    /// then SIGKILL.
    pub(super) async fn stop(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.stop(STOP_GRACE).await;
        }
    }

    /// Stops dockerd and deletes the bridge and its egress rules (once).
    pub(super) async fn close(&mut self) {
        self.stop().await;
        self.bridge.delete();
    }
}

impl Drop for OwnedEngine {
    /// Every early return after the engine started (a failed seed, a bad option
    /// found late, an I/O error) still leaves no dockerd, no bridge and no rule
    /// behind: a dockerd not stopped yet is stopped here, blocking (best effort;
    /// the async `OwnedEngine::close` is the normal path).
    fn drop(&mut self) {
        // Dropping the Background stops it (SIGTERM, grace, SIGKILL).
        drop(self.process.take());
        self.bridge.delete();
    }
}

/// True when the engine on `socket` answers `/_ping`.
pub(super) async fn ping(socket: &Path) -> bool {
    http::unix("GET", socket, "/_ping", Duration::from_secs(2))
        .await
        .map(|r| r.status == 200)
        .unwrap_or(false)
}
