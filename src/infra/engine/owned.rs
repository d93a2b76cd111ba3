//! cachebench's own dockerd: its daemon.json (image store, mirror, insecure
//! registries), the start on a data-root of the current generation with its own
//! bridge and no iptables of its own, waiting for `/_ping`, and the stop.
//!
//! Its containerd is started here too, on the same data-root (where dockerd's
//! managed containerd would keep it, `<data-root>/containerd/daemon`), and passed
//! to dockerd with `--containerd`, as hosted runners run it (a system containerd).
//! It behaves as the managed one does: stopped and started with dockerd, and gone
//! with its data-root. Starting it ourselves makes a daemon restart take ~0.3 s
//! instead of ~2.2 s: dockerd waits about a second for a containerd it manages
//! to come up and another to stop it (measured on this machine kind, 2 cores).

use crate::config::matrix::ImageStore;
use crate::infra::http;
use crate::infra::network;
use crate::{infra::process::background::Background, infra::process::Spec};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `CACHEBENCH_CONTAINERD=managed`: let dockerd start and stop a containerd of its
/// own, as before (a restart then takes seconds), to compare.
pub const CONTAINERD_ENV: &str = "CACHEBENCH_CONTAINERD";

/// How long dockerd gets to answer `/_ping` after it is started.
const START_LIMIT: Duration = Duration::from_secs(60);
const STOP_GRACE: Duration = Duration::from_secs(15);

#[derive(Debug)]
pub struct OwnedEngine {
    pub dir: PathBuf,
    pub process: Option<Background>,
    /// The containerd of the current generation (see the module doc).
    pub containerd: Option<Background>,
    /// Its bridge (and the egress rules of that bridge).
    pub bridge: network::bridge::Bridge,
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

    fn containerd_socket(&self) -> PathBuf {
        self.dir.join("containerd.sock")
    }

    /// Starts the generation's containerd (when it is not running) and waits
    /// until its socket accepts connections.
    async fn start_containerd(&mut self) -> anyhow::Result<()> {
        if self.containerd.as_mut().is_some_and(|c| c.alive()) {
            return Ok(());
        }
        let root = self.data_root().join("containerd").join("daemon");
        let state = self.dir.join("exec").join("containerd").join("daemon");
        let socket = self.containerd_socket();
        // The configuration dockerd writes for a containerd it manages.
        let path = |p: &Path| toml::Value::String(p.display().to_string());
        let mut cfg = toml::Table::new();
        cfg.insert("version".into(), toml::Value::Integer(2));
        cfg.insert("root".into(), path(&root));
        cfg.insert("state".into(), path(&state));
        cfg.insert(
            "disabled_plugins".into(),
            toml::Value::Array(vec!["io.containerd.grpc.v1.cri".into()]),
        );
        let mut grpc = toml::Table::new();
        grpc.insert("address".into(), path(&socket));
        cfg.insert("grpc".into(), grpc.into());
        let mut debug = toml::Table::new();
        debug.insert("address".into(), "".into());
        debug.insert("level".into(), "warn".into());
        cfg.insert("debug".into(), debug.into());
        let cfg = toml::to_string(&cfg)?;
        let config = self.dir.join("containerd.toml");
        std::fs::write(&config, cfg)
            .with_context(|| format!("failed to write {}", config.display()))?;
        let _ = std::fs::remove_file(&socket);
        let spec = Spec::new("containerd").arg("--config").arg(&config);
        let mut p = Background::spawn(&spec, "containerd", &self.dir.join("containerd.log"))
            .context("failed to start containerd")?;
        let t0 = Instant::now();
        while tokio::net::UnixStream::connect(&socket).await.is_err() {
            if !p.alive() {
                bail!(
                    "failed to start containerd (root {}): it exited{}",
                    root.display(),
                    p.log_tail()
                );
            }
            if t0.elapsed() > START_LIMIT {
                let tail = p.log_tail();
                p.kill().await;
                bail!(
                    "failed to start containerd: no answer on {} within {}s{tail}",
                    socket.display(),
                    START_LIMIT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        crate::infra::leftovers::note_pid("containerd", p.pid());
        self.containerd = Some(p);
        Ok(())
    }

    pub(super) async fn start(&mut self) -> anyhow::Result<()> {
        let managed = std::env::var(CONTAINERD_ENV).is_ok_and(|v| v == "managed");
        if !managed {
            self.start_containerd().await?;
        }
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
            .args(
                (!managed)
                    .then(|| ["--containerd".into(), self.containerd_socket()])
                    .into_iter()
                    .flatten(),
            )
            .arg("--data-root")
            .arg(self.data_root())
            .arg("--exec-root")
            .arg(self.dir.join("exec"))
            .arg("--pidfile")
            .arg(self.dir.join("docker.pid"))
            .arg("-H")
            .arg(format!("unix://{}", self.socket.display()))
            .arg(format!("--bridge={}", self.bridge.name))
            // Egress is cachebench's own rules (crate::infra::network), not dockerd's.
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
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        crate::infra::leftovers::note_pid("dockerd", p.pid());
        self.process = Some(p);
        Ok(())
    }

    /// Stops dockerd, then its containerd: SIGTERM, up to [`STOP_GRACE`] awaited
    /// (the runtime keeps serving signals), then SIGKILL.
    pub(super) async fn stop(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.stop(STOP_GRACE).await;
        }
        if let Some(mut c) = self.containerd.take() {
            c.stop(STOP_GRACE).await;
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
        drop(self.containerd.take());
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
