//! Preparing a run's state, untimed (its time is recorded as `prepare_ms`): the
//! chain's copy of the context, emptying local state where the state asks for it,
//! the warming build where the chain has no state to stand on
//! ([`crate::run::chain`]) and what follows it (a daemon restart keeping the layer
//! store, or local state emptied with the remote cache kept), then the change
//! ([`crate::run::change`]).

use crate::config::matrix::{Change, State, Strategy};
use crate::infra::builder;
use crate::infra::process::Outcome;
use crate::plan::cells::Cell;
use crate::plan::strategy::{self, RunTarget};
use crate::records::record::RunStatus;
use crate::run::chain::Prep;
use crate::run::docker_exec::{failure_reason, run_status};
use crate::run::runner::Session;
use crate::run::workspace::Workspace;
use std::path::Path;
use std::time::Instant;

impl Session {
    /// Brings the engine, builder, registry and cache folder into the cell's state
    /// as `prep` says (see [`crate::run::chain`]) and applies its change.
    pub(crate) async fn prepare(
        &mut self,
        cell: &Cell,
        t: &RunTarget,
        prep: &Prep,
        nonce: &str,
        log: &mut std::fs::File,
        deadline: Option<Instant>,
    ) -> Result<String, Failure> {
        use std::io::Write;
        let mut notes: Vec<String> = Vec::new();
        let ws = self.workspace(t, *prep == Prep::Warm)?;
        std::fs::create_dir_all(t.cache_dir.parent().unwrap_or(Path::new("/")))
            .map_err(|e| Failure::failed(format!("failed to create cache folder: {e}")))?;
        self.keep(t);

        if cell.state == State::Cold {
            self.stage.now("emptying local state");
            let _ = writeln!(log, "== prepare: empty local state ==");
            let r = self.empty_local().await;
            self.journal_to(log);
            keep_note(&mut notes, r, "failed to empty local state")?;
            self.apply_change(cell.change, &ws, nonce, log, deadline)
                .await?;
            return Ok(notes.join("; "));
        }

        if *prep == Prep::Warm {
            if cell.state == State::WarmRemote {
                // The job that saved the cache started empty too: a warming build
                // standing on other cells' layers exported an incomplete cache
                // (python-app: every step CACHED, then the next run ran `python3 -m
                // venv` again, which its state check caught).
                self.stage
                    .now("emptying local state before the warming build");
                let _ = writeln!(log, "== prepare: empty local state before warming ==");
                let r = self.empty_local().await;
                self.journal_to(log);
                keep_note(&mut notes, r, "failed to empty local state")?;
            }
            self.warming_build(cell, t, log, deadline).await?;
        } else {
            let _ = writeln!(
                log,
                "== prepare: chained: the previous run of the cell left the state =="
            );
        }
        match cell.state {
            State::WarmLocal => {
                if cell.strategy == Strategy::LayerCache {
                    self.stage.now("daemon restart, layer store kept");
                    let _ = writeln!(log, "== prepare: daemon restart, layer store kept ==");
                    let r = self.engine.restart_keep().await;
                    self.journal_to(log);
                    keep_note(&mut notes, r, "engine restart")?;
                }
            }
            State::WarmRemote => {
                if crate::plan::strategy::uses_actions_cache(cell.strategy, cell.state) {
                    self.stage.now("actions/cache: the previous job's save");
                    if *prep == Prep::Warm {
                        let saved = self.actions_cache_save(t, "warming").await;
                        let saved = saved.map_err(|e| {
                            Failure::failed(format!(
                                "actions/cache save after the warming build: {e:#}"
                            ))
                        })?;
                        let _ = writeln!(
                            log,
                            "== prepare: actions/cache saved {} bytes as {} ==",
                            saved.archive_bytes, saved.key
                        );
                    }
                    self.actions_cache_empty_runner(t).map_err(|e| {
                        Failure::failed(format!("failed to remove the local cache folder: {e}"))
                    })?;
                }
                self.stage.now("emptying local state, remote cache kept");
                let _ = writeln!(log, "== prepare: empty local state, keep remote ==");
                if let Some(name) = &t.builder {
                    self.remove_builder(name).await;
                }
                let r = self.empty_local().await;
                self.journal_to(log);
                keep_note(&mut notes, r, "failed to empty local state")?;
            }
            State::Cold => unreachable!("handled above"),
        }
        if cell.change != Change::None {
            self.apply_change(cell.change, &ws, nonce, log, deadline)
                .await?;
        }
        notes.dedup();
        Ok(notes.join("; "))
    }

    /// The chain's copy of the context: made by its first run, kept by the next
    /// (each run's change carries its own nonce), made anew for a warming build
    /// (`fresh`: after a failed run, whose change may have broken the copy).
    fn workspace(&self, t: &RunTarget, fresh: bool) -> Result<Workspace, Failure> {
        let (src, deps) = (
            self.opts.source_file.as_deref(),
            self.opts.deps_file.as_deref(),
        );
        if t.context.is_dir() && !fresh {
            return Ok(Workspace::existing(&t.context, src, deps));
        }
        if let Some(ws) = t.context.parent() {
            let _ = std::fs::remove_dir_all(ws);
        }
        Workspace::create(&self.opts.context, &t.context, src, deps)
            .map_err(|e| Failure::failed(format!("{e:#}")))
    }

    /// A warming build: the same commands as the measured run, on the chain's
    /// builder (created here; one left by a broken chain is replaced).
    async fn warming_build(
        &mut self,
        cell: &Cell,
        t: &RunTarget,
        log: &mut std::fs::File,
        deadline: Option<Instant>,
    ) -> Result<(), Failure> {
        use std::io::Write;
        let _ = writeln!(log, "== prepare: warming build ==");
        if let Some(name) = &t.builder {
            self.stage
                .now(&format!("creating builder {name} for the warming build"));
            self.remove_builder(name).await;
            let c =
                builder::create_command(name, &self.opts.buildkit_image, &self.buildkitd_config);
            let o = self.exec(&c, log, deadline).await;
            if !o.success() {
                return Err(Failure::from_outcome(
                    "creating the builder for the warming build",
                    &o,
                ));
            }
        }
        self.stage.now("warming build");
        for c in strategy::commands(cell.strategy, t) {
            let o = self.exec(&c, log, deadline).await;
            if !o.success() {
                return Err(Failure::from_outcome("warming build", &o));
            }
        }
        // On an engine cachebench does not own, emptying local state must remove
        // the warming build's image too, or a warm-remote run reuses its layers
        // instead of downloading the cache.
        self.engine.note_built(&t.image).await;
        if cell.strategy == Strategy::LocalCache {
            rotate_cache(t).map_err(|e| Failure::failed(format!("local cache rotation: {e}")))?;
        }
        if t.builder.is_some() && !self.engine.is_owned() {
            self.warm_image_id = self.image_id(&t.image).await;
        }
        Ok(())
    }
}

/// Keeps the note of a state change that worked, or turns its error into the
/// run's failure.
fn keep_note(
    notes: &mut Vec<String>,
    r: anyhow::Result<String>,
    what: &str,
) -> Result<(), Failure> {
    match r {
        Ok(note) if !note.is_empty() => {
            notes.push(note);
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e) => Err(Failure::failed(format!("{what}: {e:#}"))),
    }
}

/// Why preparation failed, as a run status and reason.
pub(crate) struct Failure {
    pub(crate) status: RunStatus,
    pub(crate) reason: String,
}

impl Failure {
    pub(crate) fn failed(reason: String) -> Failure {
        Failure {
            status: RunStatus::Failed,
            reason,
        }
    }
    fn from_outcome(what: &str, o: &Outcome) -> Failure {
        Failure {
            status: run_status(&o.ending),
            reason: failure_reason(what, &o.ending, &o.framed_tail()),
        }
    }
}

/// actions/cache rotation: the exported `D-new` replaces `D`, so the cache does not
/// grow without bound.
pub(crate) fn rotate_cache(t: &RunTarget) -> std::io::Result<()> {
    let new = t.cache_dir_new();
    if !t.local_cache_rotate || !new.exists() {
        return Ok(());
    }
    if t.cache_dir.exists() {
        std::fs::remove_dir_all(&t.cache_dir)?;
    }
    std::fs::rename(new, &t.cache_dir)
}
