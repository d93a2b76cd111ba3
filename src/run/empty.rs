//! Emptying local build state between runs, and what a group of runs keeps until
//! it ends.
//!
//! On cachebench's own engine, local state is emptied without restarting the
//! daemon: the engine's build cache is pruned (`docker buildx prune --all
//! --force`; skipped when no build used it since the last prune: runs on
//! docker-container builders keep their cache in the builder, which is removed),
//! every container and image on it is removed (base images and the
//! BuildKit image included, so the next build pulls them as a fresh runner does),
//! and volumes left by builders too. Every engine of cachebench's is its own, so
//! nothing there is anybody else's. A daemon restart on a fresh data-root (what
//! cachebench did before) costs seconds each time and leaves a "fresh daemon"
//! whose first builds are slower than a running one's; `CACHEBENCH_EMPTY=restart`
//! brings that back, to compare. Either way every run's state check proves, from
//! the build's own records, that nothing was served from cache.
//!
//! On an engine cachebench does not own, emptying is the engine's
//! [`reset`](crate::engine::Engine::reset): its build cache pruned (only with
//! `--allow-prune`) and only the images cachebench tagged removed.

use crate::plan::Cell;
use crate::runner::Session;
use crate::strategy::RunTarget;
use std::time::{Duration, Instant};

/// `CACHEBENCH_EMPTY=restart`: empty local state with a daemon restart on a fresh
/// data-root instead of pruning the running daemon.
pub const EMPTY_ENV: &str = "CACHEBENCH_EMPTY";

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
        let ids = |out: String| -> Vec<String> {
            let mut v: Vec<String> = out.split_whitespace().map(str::to_string).collect();
            v.sort();
            v.dedup();
            v
        };
        let containers = ids(e.docker(&["container", "ls", "-aq"], limit).await?);
        if !containers.is_empty() {
            let mut args = vec!["container", "rm", "-f", "-v"];
            args.extend(containers.iter().map(String::as_str));
            e.docker(&args, limit).await?;
        }
        let pruned = self.engine_cache_used;
        if pruned {
            e.docker(&["buildx", "prune", "--all", "--force"], limit)
                .await?;
        }
        let images = ids(e
            .docker(&["image", "ls", "-aq", "--no-trunc"], limit)
            .await?);
        if !images.is_empty() {
            let mut args = vec!["image", "rm", "-f"];
            args.extend(images.iter().map(String::as_str));
            e.docker(&args, limit).await?;
        }
        e.docker(&["volume", "prune", "--all", "--force"], limit)
            .await?;
        let left = e.docker(&["image", "ls", "-aq"], limit).await?;
        if !left.trim().is_empty() {
            anyhow::bail!(
                "images left on cachebench's engine after removing them all: {}",
                left.trim()
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

    /// Before a group of runs, on cachebench's own engine: a fresh data-root, unless
    /// nothing ran on the engine since it started or was last reset. What a previous
    /// group left (a warm-local group leaves tens of images: each rebuild under a tag
    /// leaves the last one dangling) would otherwise be removed one by one, about
    /// 86 ms an image on the containerd store (33 images took 2.8 s, 68 took 8.6 s),
    /// where a restart on a fresh data-root takes ~0.3 s. The group's first build
    /// stands on a fresh daemon; its measured runs on a running one (chains).
    pub async fn begin_group(&mut self, _first: &Cell) -> anyhow::Result<()> {
        self.kept.clear();
        if self.engine.is_owned() && !self.engine_fresh {
            self.engine.reset().await?;
            self.engine_cache_used = false;
            self.engine_fresh = true;
            let _ = self.engine.take_journal();
        }
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
