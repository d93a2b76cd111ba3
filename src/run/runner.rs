//! One run of one cell, end to end: its record, log and names ([`RunTarget`]), the
//! untimed preparation of its state ([`crate::run::prepare`]), the timed commands
//! ([`crate::run::measure`]), and the cleanup after it. The [`Session`] is what
//! every run of a matrix shares. A failure here is a failed run, never an error of
//! the matrix.

use crate::config::matrix::{Change, State};
use crate::config::options::Options;
use crate::infra::builder;
use crate::infra::engine::Engine;
use crate::infra::process;
use crate::infra::registry::Registry;
use crate::plan::cells::Cell;
use crate::plan::strategy::RunTarget;
use crate::plan::target::{run_target, Naming};
use crate::records::record::{RunKind, RunRecord, RunStatus};
use crate::run::chain::RunPlan;
use crate::run::state_check;
use std::path::PathBuf;
use std::time::Instant;
use tokio::sync::watch;

/// What every run of a matrix shares.
pub struct Session {
    pub opts: Options,
    pub engine: Engine,
    pub registry: Registry,
    /// cachebench's own registry serving base images when `registry` is one given
    /// with `--registry` (see [`crate::run::daemons`]).
    pub mirror: Option<Registry>,
    /// The results folder.
    pub out: PathBuf,
    /// cachebench's scratch folder for this matrix (workspaces, cache folders).
    pub work: PathBuf,
    /// Unique to this matrix: part of every tag, ref and builder name.
    pub run_id: String,
    pub workload: String,
    pub cancel: watch::Receiver<bool>,
    /// buildkitd.toml for docker-container builders.
    pub buildkitd_config: PathBuf,
    /// Where local-cache folders are exported (`work/cache`, or
    /// `$CACHEBENCH_CACHE_DIR/cachebench-cache-*`).
    pub cache_root: PathBuf,
    pub(crate) counter: u32,
    /// The image a warming build `--load`ed from a docker-container builder into an
    /// engine cachebench does not own: the measured build's load takes its tag and
    /// leaves it dangling, so the run's cleanup removes it.
    pub(crate) warm_image_id: Option<String>,
    /// Whether the engine's own build cache may hold anything: set by every build
    /// on the engine's builder (docker driver, legacy), cleared when it is pruned;
    /// runs on docker-container builders leave it empty, so emptying local state
    /// after them skips the prune.
    pub(crate) engine_cache_used: bool,
    /// Nothing ran on cachebench's own engine since it started on a fresh
    /// data-root (see `Session::begin_group`).
    pub(crate) engine_fresh: bool,
    /// What the chains of the running group keep until it ends.
    pub(crate) kept: Vec<RunTarget>,
    /// State changes cachebench made itself (not through the engine), for the
    /// run's log, beside the engine's journal.
    journal: Vec<String>,
    /// What the running run does now, on the matrix's bar.
    pub(crate) stage: crate::run::progress::Stage,
    /// The links started for linked cells and their routes
    /// ([`crate::run::link_route`]).
    pub(crate) links: crate::infra::link::routes::LinkRoutes,
    /// cachebench's stand-in for the GitHub Actions cache service, once a
    /// gha-cache cell started it (see `run/gha_service.rs`), and the token minted
    /// for it.
    pub(crate) gha: Option<(crate::infra::gha_cache::server::GhaCacheServer, String)>,
    /// The BuildKit version of docker-container builders' image (`v0.13.2`).
    pub container_buildkit_version: Option<String>,
    /// dockerd's version (its vendored BuildKit is the docker driver's), once asked.
    pub(crate) engine_version: Option<String>,
}

impl Session {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        opts: Options,
        engine: Engine,
        registry: Registry,
        out: PathBuf,
        work: PathBuf,
        run_id: String,
        workload: String,
        cancel: watch::Receiver<bool>,
        mirror_host: Option<&str>,
    ) -> anyhow::Result<Session> {
        let http: Vec<&str> = registry
            .is_loopback()
            .then_some(registry.host.as_str())
            .into_iter()
            .collect();
        let buildkitd_config = builder::write_config(&work.join("buildkitd"), &http, mirror_host)?;
        let links = crate::infra::link::routes::LinkRoutes::new(&http, mirror_host);
        Ok(Session {
            links,
            cache_root: work.join("cache"),
            opts,
            engine,
            registry,
            mirror: None,
            out,
            work,
            run_id,
            workload,
            cancel,
            buildkitd_config,
            counter: 0,
            warm_image_id: None,
            engine_cache_used: true,
            engine_fresh: true,
            kept: Vec::new(),
            journal: Vec::new(),
            stage: Default::default(),
            gha: None,
            container_buildkit_version: None,
            engine_version: None,
        })
    }

    pub(crate) fn interrupted(&self) -> bool {
        *self.cancel.borrow()
    }

    /// A record for a cell that is not run.
    pub fn skipped(&self, cell: &Cell, reason: &str) -> RunRecord {
        self.blank(cell, 1, RunKind::Measured, RunStatus::Skipped, reason)
    }

    fn blank(
        &self,
        cell: &Cell,
        rep: u32,
        kind: RunKind,
        status: RunStatus,
        reason: &str,
    ) -> RunRecord {
        RunRecord::blank(
            &self.opts.scenario_name,
            &self.workload,
            cell,
            rep,
            kind,
            status,
            reason,
        )
    }

    /// Runs one rep of `cell`, returning its record (never an error: a failure is
    /// a failed run).
    pub async fn run(&mut self, cell: &Cell, rep: u32, kind: RunKind, plan: &RunPlan) -> RunRecord {
        self.counter += 1;
        let n = self.counter;
        let log_rel = format!(
            "logs/{}-{}-{}.log",
            cell.slug(),
            match kind {
                RunKind::Warmup => "warmup",
                RunKind::Measured => "rep",
            },
            rep
        );
        let mut rec = self.blank(cell, rep, kind, RunStatus::Ok, "");
        rec.log = log_rel.clone();
        let mut log = match process::open_log(&self.out.join(&log_rel)) {
            Ok(f) => f,
            Err(e) => {
                rec.status = RunStatus::Failed;
                rec.reason = format!(
                    "failed to open log {}: {e}",
                    self.out.join(&log_rel).display()
                );
                return rec;
            }
        };
        let _ = self.engine.take_journal(); // setup's commands, not this run's
        let (ws, id) = chain_names(cell, plan.chain, &n.to_string());
        let mut names = self.naming();
        match self.cell_repository(cell) {
            Ok(repository) => names.repository = repository,
            Err(e) => {
                rec.status = RunStatus::Failed;
                rec.reason = format!("{e:#}");
                return rec;
            }
        }
        let mut target = run_target(&self.opts, cell, &names, &ws, &id, &n.to_string());
        if let Err(e) = self.gha_target(cell, &mut target).await {
            rec.status = RunStatus::Failed;
            rec.reason = format!("gha cache stand-in: {e:#}");
            return rec;
        }
        let builder_name = target.builder.clone();
        let deadline = self.opts.timeout.map(|t| Instant::now() + t);
        // Unique across the whole invocation (and across --resume, whose run id
        // differs): a change never repeats one an earlier run left cached.
        let nonce = format!("{}-{n}", self.run_id);

        // ---- prepare (untimed) ----
        let t_prep = Instant::now();
        let prep = self
            .prepare(cell, &target, &plan.prep, &nonce, &mut log, deadline)
            .await;
        rec.prepare_ms = Some(t_prep.elapsed().as_millis() as u64);
        match prep {
            Ok(note) => rec.note = note,
            Err(fail) => {
                rec.status = fail.status;
                rec.reason = fail.reason;
                self.amend_network_reason(&mut rec);
                self.cleanup_run(&target, cell.state).await;
                self.journal_to(&mut log);
                crate::run::transcript::write_beside(&self.out.join(&rec.log));
                return rec;
            }
        }

        // ---- measured ----
        let create_builder = builder_name.is_some() && cell.state != State::WarmLocal;
        self.gha_reset();
        let restored = if crate::plan::strategy::uses_actions_cache(cell.strategy, cell.state) {
            self.stage.now("actions/cache restore");
            match self.actions_cache_restore(&target).await {
                Ok(r) => Some(r),
                Err(e) => {
                    rec.status = RunStatus::Failed;
                    rec.reason = format!("actions/cache restore: {e:#}");
                    self.cleanup_run(&target, cell.state).await;
                    self.journal_to(&mut log);
                    return rec;
                }
            }
        } else {
            None
        };
        let link_before = self.link_counters(cell);
        self.measure(cell, &target, create_builder, &mut rec, &mut log, deadline)
            .await;
        self.record_link_bytes(cell, link_before, &mut rec);
        self.gha_record(&target, &mut rec);
        if let Some(restored) = restored {
            let saved = if rec.status == RunStatus::Ok {
                self.stage.now("actions/cache save");
                match self.actions_cache_save(&target, "measured").await {
                    Ok(s) => Some(s),
                    Err(e) => {
                        rec.status = RunStatus::Failed;
                        rec.reason = format!("actions/cache save: {e:#}");
                        None
                    }
                }
            } else {
                None
            };
            self.actions_cache_record(&restored, saved.as_ref(), &mut rec);
        }
        use std::io::Write;
        let _ = writeln!(
            log,
            "== {} ({} ms) ==",
            rec.status,
            rec.wall_ms.unwrap_or(0)
        );
        self.stage.now("cleanup");
        self.cleanup_run(&target, cell.state).await;
        let _ = writeln!(log, "== cleanup ==");
        self.journal_to(&mut log);
        crate::run::transcript::write_beside(&self.out.join(&rec.log));
        rec
    }

    /// The names of this matrix's runs ([`run_target`]).
    pub fn naming(&self) -> Naming {
        Naming {
            repository: self.registry.repository.clone(),
            run_id: self.run_id.clone(),
            work: self.work.clone(),
            cache_root: self.cache_root.clone(),
        }
    }

    /// Writes the engine's preparation commands and state changes to the log.
    pub(crate) fn journal_to(&mut self, log: &mut std::fs::File) {
        use std::io::Write;
        let mine = std::mem::take(&mut self.journal);
        for l in self.engine.take_journal().into_iter().chain(mine) {
            let _ = writeln!(log, "cachebench: {}", crate::records::redact::text(&l));
        }
    }

    /// Notes a state change for the run's log (as the engine's journal does).
    pub(crate) fn note_journal(&mut self, line: String) {
        let at = chrono::Utc::now().format("%H:%M:%S%.3f");
        self.journal.push(format!("{at} {line}"));
    }

    /// Proves the run's state from its own step records (see [`state_check`]).
    pub(crate) fn check_state(&self, cell: &Cell, rec: &RunRecord) -> String {
        let changed_file = match cell.change {
            Change::None => None,
            Change::Source => self.opts.source_file.as_deref(),
            Change::Deps => self.opts.deps_file.as_deref(),
        };
        state_check::check(
            &state_check::Claim {
                state: cell.state,
                change: cell.change,
                changed_file,
            },
            &state_check::Evidence {
                steps: &rec.step_details,
                bytes_down: rec.bytes_down.unwrap_or(0),
            },
        )
    }
}

impl Session {
    /// A failed or timed-out run whose build could not reach the network says so,
    /// with the host it tried ([`crate::infra::network::diagnose`]).
    pub(crate) fn amend_network_reason(&self, rec: &mut RunRecord) {
        if matches!(rec.status, RunStatus::Failed | RunStatus::Timeout) && !rec.log.is_empty() {
            let timed_out = rec.status == RunStatus::Timeout;
            rec.reason = crate::infra::network::diagnose::amend(
                &rec.reason,
                &self.out.join(&rec.log),
                timed_out,
            );
        }
    }
}

/// The names of run `n` of the chain of the plan's cell `chain` (its index): the
/// chain's context copy, and tags, refs, cache folder and builder that are the
/// chain's for warm states (the next run stands on what this one left) and the
/// run's own for cold (refs and folders never used).
pub fn chain_names(cell: &Cell, chain: usize, n: &str) -> (String, String) {
    let ws = format!("c{}", chain + 1);
    let id = match cell.state {
        State::Cold => n.to_string(),
        _ => ws.clone(),
    };
    (ws, id)
}
