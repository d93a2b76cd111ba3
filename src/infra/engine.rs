//! The Docker engine builds run on.
//!
//! By default cachebench starts its own `dockerd` (own data-root, exec-root, socket,
//! pidfile, its own containerd, the containerd image store or the classic overlay2
//! store, its own bridge with a link-local address and egress rules scoped to it:
//! [`crate::infra::network`]), so that emptying state never touches the user's engine: a
//! cold state is a fresh data-root, a warm layer cache is a restart on the same
//! data-root, another image store is a fresh data-root with the other
//! configuration. With `--docker-host` it uses an existing engine,
//! where it empties the build cache only with `--allow-prune` and removes only
//! images it tagged itself. How cachebench's own dockerd is configured, started
//! and stopped is `engine_owned.rs`.

use crate::error::Error;
use crate::infra::engine::owned::OwnedEngine;

use crate::config::matrix::ImageStore;
use crate::infra::network;
use crate::infra::process::{self, Spec};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
pub mod api;
pub mod owned;
use owned::ping;

#[derive(Debug)]
pub struct Engine {
    /// `unix:///…` or `tcp://…`: what DOCKER_HOST is set to for every command.
    pub host: String,
    pub owned: Option<OwnedEngine>,
    pub allow_prune: bool,
    /// BUILDX_CONFIG for every buildx command: cachebench's builders live here,
    /// never in the user's ~/.docker/buildx.
    pub buildx_config: PathBuf,
    /// Images cachebench tagged on an engine it does not own (removed at the end).
    pub tagged: Vec<String>,
    /// Ids of the images cachebench built there: a rebuild under the same tag
    /// leaves the previous one dangling, and cachebench removes those it made.
    pub built: Vec<String>,
    /// Preparation commands and state changes since the runner last took them
    /// (`$ docker …` with outcome and time; engine resets and restarts), for the
    /// run's log.
    pub journal: std::sync::Mutex<Vec<String>>,
}

impl Engine {
    /// The environment every docker command of cachebench gets.
    pub fn docker_env(&self) -> Vec<(String, String)> {
        vec![
            ("DOCKER_HOST".into(), self.host.clone()),
            (
                "BUILDX_CONFIG".into(),
                self.buildx_config.display().to_string(),
            ),
        ]
    }

    pub fn is_owned(&self) -> bool {
        self.owned.is_some()
    }

    /// Checks that this machine can run an engine of cachebench's own.
    pub fn can_own() -> Result<(), Error> {
        if crate::util::which("dockerd").is_none() {
            return Err(Error::missing(
                "dockerd not found on PATH: cachebench starts an engine of its own; install one \
                 with scripts/setup.sh, or use an existing engine with --docker-host URL --allow-prune",
            ));
        }
        if crate::util::which("containerd").is_none() {
            return Err(Error::missing(
                "containerd not found on PATH: cachebench's own dockerd runs on a containerd it \
                 starts; install it with scripts/setup.sh (Debian's containerd), or use an \
                 existing engine with --docker-host URL --allow-prune",
            ));
        }
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return Err(Error::missing(
                "starting cachebench's own dockerd needs root; run as root, or use an existing \
                 engine with --docker-host URL --allow-prune",
            ));
        }
        if crate::util::which("ip").is_none() {
            return Err(Error::missing(
                "`ip` (iproute2) not found: cachebench's engine needs its own bridge; apt-get install iproute2",
            ));
        }
        Ok(())
    }

    /// Starts cachebench's own dockerd under `dir`.
    pub async fn start_owned(
        dir: &Path,
        mirror: Option<String>,
        insecure: Vec<String>,
        store: ImageStore,
    ) -> anyhow::Result<Engine> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("failed to create {}", dir.display()))?;
        let bridge = network::bridge::Bridge::create().await?;
        crate::infra::leftovers::note_bridge(&bridge.name, &bridge.subnet);
        let mut owned = OwnedEngine {
            dir: dir.to_path_buf(),
            process: None,
            containerd: None,
            socket: dir.join("docker.sock"),
            bridge,
            mirror,
            insecure,
            generation: 0,
            store,
        };
        let host = format!("unix://{}", owned.socket.display());
        // On failure, dropping `owned` stops dockerd and deletes the bridge.
        owned.start().await?;
        let buildx_config = dir.join("buildx");
        std::fs::create_dir_all(&buildx_config)?;
        Ok(Engine {
            host,
            owned: Some(owned),
            allow_prune: true,
            buildx_config,
            tagged: vec![],
            built: vec![],
            journal: Default::default(),
        })
    }

    /// An existing engine at `host`.
    pub fn external(host: &str, allow_prune: bool, work: &Path) -> anyhow::Result<Engine> {
        let buildx_config = work.join("buildx");
        std::fs::create_dir_all(&buildx_config)?;
        Ok(Engine {
            host: host.to_string(),
            owned: None,
            allow_prune,
            buildx_config,
            tagged: vec![],
            built: vec![],
            journal: Default::default(),
        })
    }

    /// Empties local build state: on cachebench's own engine a fresh data-root (a
    /// fresh runner); on another engine, with --allow-prune, its build cache and the
    /// images cachebench tagged. Returns a note for the record.
    pub async fn reset(&mut self) -> anyhow::Result<String> {
        if let Some(o) = self.owned.as_mut() {
            let t0 = Instant::now();
            o.stop().await;
            let old = o.data_root();
            o.generation += 1;
            o.start().await?;
            let line = format!(
                "engine reset: dockerd restarted on a fresh data-root {} in {:.3}s",
                o.data_root().display(),
                t0.elapsed().as_secs_f64()
            );
            self.note_journal(line);
            // Best effort: a leftover is removed with the whole folder at the end.
            let _ = std::fs::remove_dir_all(&old);
            return Ok(String::new());
        }
        if !self.allow_prune {
            bail!(
                "refusing to empty the build cache of {} without --allow-prune",
                self.host
            );
        }
        self.docker(
            &["buildx", "prune", "--all", "--force"],
            Duration::from_secs(300),
        )
        .await?;
        self.remove_tagged().await;
        Ok("external engine: build cache pruned; base images kept".into())
    }

    /// Puts cachebench's own engine on `store`: when it runs another store, a
    /// fresh data-root started with that store's configuration (a reset). Returns
    /// whether it switched. An engine cachebench does not own is never touched.
    pub async fn switch_store(&mut self, store: ImageStore) -> anyhow::Result<bool> {
        let Some(o) = self.owned.as_mut().filter(|o| o.store != store) else {
            return Ok(false);
        };
        o.stop().await;
        let (old_root, old_store) = (o.data_root(), o.store);
        o.store = store;
        o.generation += 1;
        let _ = std::fs::remove_dir_all(&old_root);
        if let Err(e) = o.start().await {
            // Not on `store`: the next cell asking for it tries again.
            o.store = old_store;
            return Err(e.context(format!(
                "failed to start cachebench's dockerd with the {store} image store"
            )));
        }
        Ok(true)
    }

    /// Keeps the layer store across a daemon restart (CodeBuild's local layer cache
    /// on a warm host). On an engine cachebench does not own, the state is kept
    /// without a restart, and the note says so.
    pub async fn restart_keep(&mut self) -> anyhow::Result<String> {
        if let Some(o) = self.owned.as_mut() {
            let t0 = Instant::now();
            o.stop().await;
            o.start().await?;
            let line = format!(
                "engine restart: dockerd and its containerd restarted on the same data-root in {:.3}s",
                t0.elapsed().as_secs_f64()
            );
            self.note_journal(line);
            return Ok(String::new());
        }
        Ok("external engine: layer store kept without a daemon restart".into())
    }

    /// Remembers a tag cachebench made on an engine it does not own.
    pub fn note_tag(&mut self, image: &str) {
        if self.owned.is_none() && !self.tagged.iter().any(|t| t == image) {
            self.tagged.push(image.to_string());
        }
    }

    /// Remembers the image `tag` now names, as one cachebench built, on an engine
    /// it does not own. Call after every build that tags `tag`.
    pub async fn note_built(&mut self, tag: &str) {
        if self.owned.is_some() {
            return;
        }
        self.note_tag(tag);
        if let Ok(id) = self
            .docker(
                &["image", "inspect", "--format", "{{.Id}}", tag],
                Duration::from_secs(30),
            )
            .await
        {
            let id = id.trim().to_string();
            if !id.is_empty() && !self.built.contains(&id) {
                self.built.push(id);
            }
        }
    }

    /// Removes the images cachebench tagged (only those), then the images it built
    /// that no tag names any more (a rebuild under the same tag leaves one). An
    /// image someone else tagged meanwhile is kept.
    pub async fn remove_tagged(&mut self) {
        let tags = std::mem::take(&mut self.tagged);
        for t in tags {
            let _ = self
                .docker(&["image", "rm", &t], Duration::from_secs(60))
                .await;
        }
        let ids = std::mem::take(&mut self.built);
        for id in ids {
            let tags = self
                .docker(
                    &["image", "inspect", "--format", "{{len .RepoTags}}", &id],
                    Duration::from_secs(30),
                )
                .await;
            if matches!(tags.as_deref().map(str::trim), Ok("0")) {
                let _ = self
                    .docker(&["image", "rm", &id], Duration::from_secs(60))
                    .await;
            }
        }
    }

    /// Runs `docker ARGS` against this engine and returns stdout.
    pub async fn docker(&self, args: &[&str], timeout: Duration) -> anyhow::Result<String> {
        let spec = Spec::new("docker")
            .args(args.iter().copied())
            .envs(&self.docker_env());
        let t0 = Instant::now();
        let r = process::output::output(&spec, timeout).await;
        let end = match &r {
            Ok(_) => "ok".to_string(),
            Err(e) => format!("failed: {}", format!("{e:#}").lines().next().unwrap_or("")),
        };
        self.note_journal(format!(
            "$ {} ({end}, {:.3}s)",
            spec.display(),
            t0.elapsed().as_secs_f64()
        ));
        r
    }

    fn note_journal(&self, line: String) {
        if let Ok(mut j) = self.journal.lock() {
            j.push(format!(
                "{} {line}",
                chrono::Utc::now().format("%H:%M:%S%.3f")
            ));
        }
    }

    /// Takes the journal's lines (see [`Engine::journal`]).
    pub fn take_journal(&self) -> Vec<String> {
        self.journal
            .lock()
            .map(|mut j| std::mem::take(&mut *j))
            .unwrap_or_default()
    }

    /// True when the engine answers.
    pub async fn healthy(&self) -> bool {
        match &self.owned {
            Some(o) => ping(&o.socket).await,
            None => self
                .docker(
                    &["version", "--format", "{{.Server.Version}}"],
                    Duration::from_secs(20),
                )
                .await
                .is_ok(),
        }
    }

    /// Restarts cachebench's own engine (after it died), keeping its data-root.
    pub async fn revive(&mut self) -> anyhow::Result<()> {
        match self.owned.as_mut() {
            Some(o) => {
                o.stop().await;
                o.start().await
            }
            None => bail!(
                "engine {} does not answer and is not cachebench's to restart",
                self.host
            ),
        }
    }

    /// Stops cachebench's own engine and removes its bridge; on another engine,
    /// removes the images cachebench tagged.
    pub async fn shutdown(&mut self) {
        if let Some(o) = self.owned.as_mut() {
            o.close().await;
        } else {
            self.remove_tagged().await;
        }
    }
}
