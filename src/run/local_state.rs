//! Emptying local build state between runs, and what a group of runs keeps until
//! it ends.
//!
//! On cachebench's own engine, local state is emptied without restarting the
//! daemon, through its API socket ([`crate::infra::engine::Engine::api`]): the engine's
//! build cache is pruned (`POST /build/prune?all=1`, what `docker buildx prune
//! --all --force` asks; skipped when no build used it since the last prune: runs on
//! docker-container builders keep their cache in the builder, which is removed),
//! every container and image on it is removed (base images and the
//! BuildKit image included, so the next build pulls them as a fresh runner does),
//! and volumes left by builders too. Every engine of cachebench's is its own, so
//! nothing there is anybody else's. A daemon restart on a fresh data-root (what
//! cachebench did before) costs ~0.3 s (seconds when dockerd managed its own
//! containerd) and leaves a "fresh daemon"; `CACHEBENCH_EMPTY=restart` brings
//! that back, to compare. Either way every run's state check proves, from
//! the build's own records, that nothing was served from cache.
//!
//! On an engine cachebench does not own, emptying is the engine's
//! [`reset`](crate::infra::engine::Engine::reset): its build cache pruned (only with
//! `--allow-prune`) and only the images cachebench tagged removed.

use crate::plan::cells::Cell;
use crate::plan::strategy::RunTarget;
use crate::run::runner::Session;
use std::time::{Duration, Instant};

/// `CACHEBENCH_EMPTY=restart`: empty local state with a daemon restart on a fresh
/// data-root instead of pruning the running daemon.
pub const EMPTY_ENV: &str = "CACHEBENCH_EMPTY";

/// Above this many images left by a previous group, the next group starts on a
/// fresh data-root (see `Session::begin_group`).
pub const RESET_ABOVE_IMAGES: usize = 8;

impl Session {
    /// Empties local build state (see the module doc); returns a note for the record.
    pub(crate) async fn empty_local(&mut self) -> anyhow::Result<String> {
        let restart = std::env::var(EMPTY_ENV).is_ok_and(|v| v == "restart");
        if !self.engine.is_owned() || restart {
            let r = self.engine.reset().await;
            if r.is_ok() {
                self.engine_cache_used = false;
                self.engine_fresh = self.engine.is_owned();
            }
            return r;
        }
        let t0 = Instant::now();
        let limit = Duration::from_secs(300);
        let e = &self.engine;
        let containers = e.api_ids("/containers/json?all=1", limit).await?;
        for id in &containers {
            e.api("DELETE", &format!("/containers/{id}?force=1&v=1"), limit)
                .await?;
        }
        let pruned = self.engine_cache_used;
        if pruned {
            // What `docker buildx prune --all --force` asks of the docker driver.
            e.api("POST", "/build/prune?all=1", limit).await?;
        }
        let images = e.api_ids("/images/json?all=1", limit).await?;
        for id in &images {
            // An image another one removed with it (a parent) is already gone.
            match e
                .api("DELETE", &format!("/images/{id}?force=1"), limit)
                .await
            {
                Ok(_) => {}
                Err(err) if format!("{err:#}").contains("HTTP 404") => {}
                Err(err) => return Err(err),
            }
        }
        // Anonymous and named volumes alike (`docker volume prune --all`).
        e.api(
            "POST",
            "/volumes/prune?filters=%7B%22all%22%3A%5B%22true%22%5D%7D",
            limit,
        )
        .await?;
        let left = e.api_ids("/images/json?all=1", limit).await?;
        if !left.is_empty() {
            anyhow::bail!(
                "images left on cachebench's engine after removing them all: {}",
                left.join(" ")
            );
        }
        self.engine_cache_used = false;
        self.note_journal(format!(
            "engine emptied without a restart (build cache {}; {} image(s), {} container(s) removed) in {:.3}s",
            if pruned { "pruned" } else { "unused since the last prune" },
            images.len(),
            containers.len(),
            t0.elapsed().as_secs_f64()
        ));
        Ok(String::new())
    }

    /// Before a group of runs, on cachebench's own engine: a fresh data-root when a
    /// previous group left more than [`RESET_ABOVE_IMAGES`] images. A warm-local
    /// group leaves tens (each rebuild under a tag leaves the last one dangling),
    /// which emptying would remove one by one, about 86 ms an image on the
    /// containerd store (33 images took 2.8 s, 68 took 8.6 s), where a restart on a
    /// fresh data-root takes ~0.3 s. What a cold group leaves (its last build) is
    /// kept: the next group's first warming build may stand on it, and every
    /// measured run still empties or chains as its state says.
    pub async fn begin_group(&mut self, _first: &Cell) -> anyhow::Result<()> {
        self.kept.clear();
        if !self.engine.is_owned() || self.engine_fresh {
            return Ok(());
        }
        let limit = Duration::from_secs(60);
        let images = self.engine.api_ids("/images/json?all=1", limit).await?;
        if images.len() > RESET_ABOVE_IMAGES {
            self.engine.reset().await?;
            self.engine_cache_used = false;
            self.engine_fresh = true;
        }
        let _ = self.engine.take_journal();
        Ok(())
    }

    /// Remembers what a chain keeps until its group ends.
    pub(crate) fn keep(&mut self, t: &RunTarget) {
        if !self
            .kept
            .iter()
            .any(|k| k.context == t.context && k.cache_dir == t.cache_dir)
        {
            self.kept.push(t.clone());
        }
    }

    /// After a group: removes its chains' builders, context copies and cache folders.
    pub async fn end_group(&mut self, _cells: &[&Cell]) {
        for t in std::mem::take(&mut self.kept) {
            if let Some(name) = &t.builder {
                self.remove_builder(name).await;
            }
            if let Some(ws) = t.context.parent() {
                let _ = std::fs::remove_dir_all(ws);
            }
            if let Some(c) = t.cache_dir.parent() {
                let _ = std::fs::remove_dir_all(c);
            }
        }
        let _ = self.engine.take_journal();
    }
}
