//! The seam between the matrix loop ([`crate::run::scheduler::run_matrix`]) and Docker:
//! the [`CellExecutor`] trait with the operations the loop needs (run one rep of a
//! cell as its chain asks, record a cell that is not run, switch the engine's image
//! store, begin and end a group of cells, check the health of the engine and of
//! cachebench's own registry, revive each, keep their logs), its real implementation on
//! [`Session`] (today's runner and engine), and, for tests, a scripted fake
//! (`fake::FakeExecutor`, in test builds only) so the scheduler, the failure policy,
//! engine restarts, resume and exit codes are exercised without Docker.

use crate::config::matrix::ImageStore;
use crate::plan::cells::Cell;
use crate::records::record::{RunKind, RunRecord};
use crate::run::chain::RunPlan;
use crate::run::runner::Session;

/// What the matrix loop asks of whatever runs the builds.
///
/// The futures need not be `Send`: cachebench runs on a current-thread runtime.
#[allow(async_fn_in_trait)]
pub trait CellExecutor {
    /// Warm-up and measured runs per cell.
    fn runs_per_cell(&self) -> (u32, u32);

    /// A record for a cell that is not run (rep 1, measured, skipped).
    fn skipped(&self, cell: &Cell, reason: &str) -> RunRecord;

    /// Puts the engine on `store` before the cell's runs.
    async fn switch_store(&mut self, store: ImageStore) -> anyhow::Result<()>;

    /// Before the runs of a group (store × builder × state) whose first cell is
    /// `first`: a warm-local group starts from empty local state, once.
    async fn begin_group(&mut self, first: &Cell) -> anyhow::Result<()>;

    /// Runs one rep of `cell`, prepared as `plan` says (never an error: a failure
    /// is a failed run).
    async fn run(&mut self, cell: &Cell, rep: u32, kind: RunKind, plan: &RunPlan) -> RunRecord;

    /// After a group: releases what its chains kept (builders, context copies,
    /// cache folders).
    async fn end_group(&mut self, cells: &[&Cell]);

    /// True when the engine answers.
    async fn healthy(&mut self) -> bool;

    /// Restarts the engine after it died.
    async fn revive(&mut self) -> anyhow::Result<()>;

    /// True when cachebench's own registry answers (or there is none: a registry
    /// given with `--registry` is not cachebench's to judge).
    async fn registry_answers(&mut self) -> bool;

    /// Restarts cachebench's own registry (same port, same storage) after it died.
    async fn revive_registry(&mut self) -> anyhow::Result<()>;

    /// How messages name cachebench's own registry (its address and the log
    /// OUT keeps of it).
    fn registry_name(&self) -> String;

    /// Keeps the daemons' logs in OUT (after a failure); says which files.
    fn keep_daemon_logs(&mut self) -> Vec<std::path::PathBuf>;

    /// Shows what each run does (warming build, creating its builder, …) on the
    /// matrix's bar.
    fn attach_progress(&mut self, _bar: &indicatif::ProgressBar) {}
}

impl CellExecutor for Session {
    fn runs_per_cell(&self) -> (u32, u32) {
        (self.opts.warmup, self.opts.reps)
    }

    fn skipped(&self, cell: &Cell, reason: &str) -> RunRecord {
        Session::skipped(self, cell, reason)
    }

    async fn switch_store(&mut self, store: ImageStore) -> anyhow::Result<()> {
        if self.engine.switch_store(store).await? {
            self.engine_fresh = true;
        }
        Ok(())
    }

    async fn begin_group(&mut self, first: &Cell) -> anyhow::Result<()> {
        Session::begin_group(self, first).await
    }

    async fn run(&mut self, cell: &Cell, rep: u32, kind: RunKind, plan: &RunPlan) -> RunRecord {
        Session::run(self, cell, rep, kind, plan).await
    }

    async fn end_group(&mut self, cells: &[&Cell]) {
        Session::end_group(self, cells).await
    }

    async fn healthy(&mut self) -> bool {
        self.engine.healthy().await
    }

    async fn revive(&mut self) -> anyhow::Result<()> {
        self.engine.revive().await
    }

    async fn registry_answers(&mut self) -> bool {
        match self.own_registry() {
            Some(r) => r.answers().await,
            None => true,
        }
    }

    async fn revive_registry(&mut self) -> anyhow::Result<()> {
        let Some(r) = self.own_registry() else {
            anyhow::bail!("cachebench has no registry of its own to restart");
        };
        r.restart().await?;
        let pid = r.owned.as_ref().and_then(|o| o.process.pid());
        crate::infra::leftovers::note_pid("registry", pid);
        Ok(())
    }

    fn registry_name(&self) -> String {
        Session::registry_name(self)
    }

    fn keep_daemon_logs(&mut self) -> Vec<std::path::PathBuf> {
        Session::keep_daemon_logs(self)
    }

    fn attach_progress(&mut self, bar: &indicatif::ProgressBar) {
        self.stage = crate::run::progress::Stage::attach(bar);
    }
}

/// The life of cachebench's own engine and registry across a matrix: each is
/// restarted once after it dies; when one dies again, or cannot be restarted, the
/// remaining runs are not run (and fail fast, naming it). Whenever one dies, the
/// daemons' logs are kept in OUT.
#[derive(Debug, Default)]
pub struct EngineWatch {
    /// How many times the engine was restarted after it died.
    pub revived: u32,
    /// How many times cachebench's own registry was restarted after it died.
    pub registry_revived: u32,
    /// Why the remaining runs are not run, once the engine or registry is gone for good.
    pub dead: Option<String>,
}

impl EngineWatch {
    /// After a run that was run (`during` names it, its record is the last of
    /// `records`): checks the engine's health, then the registry's, and revives
    /// each once, telling `say`.
    pub async fn after_run<E: CellExecutor>(
        &mut self,
        exec: &mut E,
        during: &str,
        records: &[RunRecord],
        say: impl Fn(&str),
    ) {
        if !exec.healthy().await {
            let death = format!(
                "the engine stopped answering during {during} ({})",
                reason_short(records)
            );
            keep_logs(exec, &say);
            if self.revived >= 1 {
                self.gone(format!(
                    "{death}, again after cachebench restarted it once; the remaining runs are not run"
                ), &say);
                return;
            }
            say(&format!("{death}; restarting it once"));
            self.revived += 1;
            if let Err(e) = exec.revive().await {
                self.gone(format!("{death}, and could not be restarted: {e:#}"), &say);
                return;
            }
        }
        if !exec.registry_answers().await {
            let death = format!(
                "{} stopped answering during {during} ({})",
                exec.registry_name(),
                reason_short(records)
            );
            keep_logs(exec, &say);
            if self.registry_revived >= 1 {
                self.gone(format!(
                    "{death}, again after cachebench restarted it once; the remaining runs are not run"
                ), &say);
                return;
            }
            say(&format!(
                "{death}; restarting it once, on the same port and storage"
            ));
            self.registry_revived += 1;
            if let Err(e) = exec.revive_registry().await {
                self.gone(format!("{death}, and could not be restarted: {e:#}"), &say);
            }
        }
    }

    fn gone(&mut self, cause: String, say: &impl Fn(&str)) {
        say(&cause);
        self.dead = Some(cause);
    }
}

/// Keeps the daemons' logs in OUT, saying where.
fn keep_logs<E: CellExecutor>(exec: &mut E, say: &impl Fn(&str)) {
    let kept = exec.keep_daemon_logs();
    if !kept.is_empty() {
        let names: Vec<String> = kept.iter().map(|p| p.display().to_string()).collect();
        say(&format!("daemon logs kept: {}", names.join(", ")));
    }
}

/// The reason of the last record, shortened, for the engine-death message.
fn reason_short(records: &[RunRecord]) -> String {
    let reason = records.last().map(|r| r.reason.as_str()).unwrap_or("");
    if reason.is_empty() {
        "its run ended normally".to_string()
    } else {
        let short: String = reason.chars().take(160).collect();
        format!("its run: {short}")
    }
}

#[cfg(test)]
pub mod fake;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tests_registry;
