//! The matrix loop: walks the plan's cells through the [`CellExecutor`] seam, group
//! by group ([`crate::run::rounds`]: store × builder × state), each group in rounds
//! (warm-up rounds, then measured rounds, each in a seeded shuffled order), each
//! cell's runs forming a warm chain ([`crate::run::chain`]); applies the failure
//! policy, restarts a dead engine or registry of cachebench's once (a run that
//! failed while the registry was gone names it), writes every record as soon as its run ends,
//! and shows progress with an ETA from measured times ([`crate::run::eta`]). With
//! `--reps auto` a group's cells of one change stop as soon as the stop rule
//! settles them ([`crate::run::adaptive_reps`]). Setup and teardown are
//! [`crate::run::setup`]; the results folder is [`crate::run::results_folder`].

use crate::error::{exit, Result};
use crate::plan::cells::Cell;
use crate::records::record::{RunKind, RunRecord, RunStatus};
use crate::records::results_writer::RecordWriter;
use crate::records::resume::Done;
use crate::records::stopping::Stopping;
use crate::run::adaptive_reps::{AutoReps, Subsets};
use crate::run::chain::{Chain, Prep, RunPlan};
use crate::run::console;
use crate::run::eta::{self, Eta};
use crate::run::executor::{CellExecutor, EngineWatch};
use crate::run::rounds::{self, Group};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::time::Instant;
use tokio::sync::watch;

/// How a matrix ended.
#[derive(Debug)]
pub struct MatrixOutcome {
    pub records: Vec<RunRecord>,
    /// The signal that interrupted it, if one did.
    pub interrupted_by: Option<i32>,
    /// Set when the engine died again after one restart (or could not be
    /// restarted): the runs after that failed fast with this cause.
    pub engine_dead: Option<String>,
    /// With `--reps auto`: why each state's cells stopped where they did.
    pub stopping: Vec<Stopping>,
}

impl MatrixOutcome {
    pub fn exit_code(&self) -> i32 {
        if let Some(sig) = self.interrupted_by {
            return 128 + sig;
        }
        if self.engine_dead.is_some() {
            return exit::INTERNAL;
        }
        if self
            .records
            .iter()
            .any(|r| matches!(r.status, RunStatus::Failed | RunStatus::Timeout) || r.state_failed())
        {
            exit::RUNS_FAILED
        } else {
            exit::OK
        }
    }
}

/// Reason prefix of runs not run because the engine is gone.
pub const ENGINE_GONE: &str = "not run: ";

/// How the matrix loop orders and repeats runs.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The seed of every round's shuffled order (recorded as `shuffle_seed`).
    pub seed: u64,
    /// `--reps auto`: run rounds until the stop rule settles each state's cells.
    pub auto: Option<AutoReps>,
    /// Warm chains on (the default); off (`CACHEBENCH_CHAINS=off`), every warm run
    /// has a warming build of its own, as before chains, to compare.
    pub chains: bool,
}

/// `CACHEBENCH_CHAINS=off`: no warm chains (see [`Schedule::chains`]).
pub const CHAINS_ENV: &str = "CACHEBENCH_CHAINS";

/// What the loop keeps across groups.
struct Walk<'a, E> {
    exec: &'a mut E,
    cells: &'a [Cell],
    writer: &'a mut RecordWriter,
    done: &'a Done,
    signal: &'a watch::Receiver<Option<i32>>,
    schedule: &'a Schedule,
    bar: ProgressBar,
    records: Vec<RunRecord>,
    policy: crate::run::failure_policy::FailurePolicy,
    engine: EngineWatch,
    eta: Eta,
    /// Per cell: runs still to come (warm-ups and measured).
    left: Vec<u32>,
    /// Per cell: whether its chain stands (its next run needs no warming build).
    chained: Vec<bool>,
    stopping: Vec<Stopping>,
}

/// Whether the walk goes on after a group.
#[derive(PartialEq)]
enum Flow {
    Go,
    Stop,
}

/// Runs every cell of the plan through `exec`, appending each record to OUT as
/// soon as it ends; returns this pass's records (runs in `done` are not run again;
/// with `--reps auto` the stop rule counts their records as if this pass ran them).
pub async fn run_matrix<E: CellExecutor>(
    exec: &mut E,
    cells: &[Cell],
    writer: &mut RecordWriter,
    done: &Done,
    signal: &watch::Receiver<Option<i32>>,
    schedule: &Schedule,
) -> Result<MatrixOutcome> {
    let (warmup, reps) = exec.runs_per_cell();
    let reps = schedule.auto.as_ref().map_or(reps, |a| a.rule.max_reps);
    let left: Vec<u32> = cells
        .iter()
        .map(|c| if c.skip.is_some() { 1 } else { warmup + reps })
        .collect();
    let total: u64 = left.iter().map(|&n| u64::from(n)).sum();
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} runs, {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    // Ticks on its own: a warming build of a minute still shows time passing.
    bar.enable_steady_tick(std::time::Duration::from_millis(250));
    exec.attach_progress(&bar);
    let mut w = Walk {
        exec,
        cells,
        writer,
        done,
        signal,
        schedule,
        bar,
        records: Vec::new(),
        policy: crate::run::failure_policy::FailurePolicy::new(),
        engine: EngineWatch::default(),
        eta: Eta::default(),
        chained: vec![false; cells.len()],
        left,
        stopping: Vec::new(),
    };
    for (gi, g) in rounds::groups(cells).iter().enumerate() {
        if w.group(gi, g, warmup, reps).await? == Flow::Stop {
            break;
        }
    }
    w.bar.finish_and_clear();
    let interrupted_by = *w.signal.borrow();
    Ok(MatrixOutcome {
        records: w.records,
        interrupted_by,
        engine_dead: w.engine.dead,
        stopping: w.stopping,
    })
}

impl<E: CellExecutor> Walk<'_, E> {
    /// Runs one group: its planned skips, then its rounds; ends its chains.
    async fn group(&mut self, gi: usize, g: &Group, warmup: u32, reps: u32) -> Result<Flow> {
        for &i in &g.skipped {
            let cell = &self.cells[i];
            if let Some(reason) = &cell.skip {
                if !self
                    .done
                    .contains_key(&(cell.key().to_string(), 1, RunKind::Measured))
                {
                    let r = self.exec.skipped(cell, reason);
                    self.writer.append(&r)?;
                    self.records.push(r);
                }
            }
            self.ran_one(i);
        }
        if g.run.is_empty() {
            return Ok(Flow::Go);
        }
        // All cells of one store are planned together: the engine switches once.
        let mut cant_run = match self.exec.switch_store(g.store).await {
            Ok(_) => None,
            Err(e) => Some(format!("{e:#}")),
        };
        if cant_run.is_none() {
            let first = &self.cells[g.run[0]];
            if let Err(e) = self.exec.begin_group(first).await {
                cant_run = Some(format!("failed to empty local state for the group: {e:#}"));
            }
        }
        let flow = self.rounds(gi, g, warmup, reps, cant_run.as_deref()).await;
        let group_cells: Vec<&Cell> = g.run.iter().map(|&i| &self.cells[i]).collect();
        self.exec.end_group(&group_cells).await;
        flow
    }

    async fn rounds(
        &mut self,
        gi: usize,
        g: &Group,
        warmup: u32,
        reps: u32,
        cant_run: Option<&str>,
    ) -> Result<Flow> {
        let mut chains: HashMap<usize, Chain> = HashMap::new();
        let mut subsets = self
            .schedule
            .auto
            .as_ref()
            .map(|a| Subsets::new(a.clone(), self.cells, g));
        // In a race the cells still in question may run past `reps` (max_reps),
        // within their set's budget ([`Subsets::max_rounds`]).
        let measured = subsets.as_ref().map_or(reps, Subsets::max_rounds);
        let rounds = (1..=warmup)
            .map(|r| (r, RunKind::Warmup))
            .chain((1..=measured).map(|r| (r, RunKind::Measured)));
        let mut flow = Flow::Go;
        'rounds: for (rep, kind) in rounds {
            let open: Vec<usize> = g
                .run
                .iter()
                .copied()
                .filter(|i| subsets.as_ref().map_or(true, |s| s.is_open(*i)))
                .collect();
            if open.is_empty() {
                break;
            }
            let order = rounds::round_order(open.len(), self.schedule.seed, gi, kind, rep);
            for (pos, &k) in order.iter().enumerate() {
                let i = open[k];
                let cell = &self.cells[i];
                let key = cell.key().to_string();
                if let Some(earlier) = self.done.get(&(key.clone(), rep, kind)) {
                    // Resumed: the rule sees the run OUT holds, as an uninterrupted
                    // pass would have seen it.
                    if let Some(s) = subsets.as_mut() {
                        s.observe(i, earlier);
                    }
                    self.ran_one(i);
                    continue;
                }
                if self.signal.borrow().is_some() {
                    flow = Flow::Stop;
                    break 'rounds;
                }
                let chain = chains.entry(i).or_default();
                let (mut prep, mut warmed_by) = chain.next(cell.state);
                if !self.schedule.chains && prep == Prep::Chained {
                    (prep, warmed_by) = (Prep::Warm, "prepare".into());
                }
                let warms = prep == Prep::Warm;
                self.show(&format!("{key} {kind} {rep}"));
                let not_run = match (&self.engine.dead, cant_run) {
                    (Some(cause), _) => Some((RunStatus::Failed, format!("{ENGINE_GONE}{cause}"))),
                    (None, Some(cause)) => Some((RunStatus::Failed, cause.to_string())),
                    (None, None) => self
                        .policy
                        .give_up(&cell.strategy.to_string())
                        .map(|why| (RunStatus::Skipped, why)),
                };
                let ran = not_run.is_none();
                let t0 = Instant::now();
                let mut r = match not_run {
                    Some((status, why)) => {
                        let mut r = self.exec.skipped(cell, &why);
                        r.rep = rep;
                        r.kind = kind;
                        r.status = status;
                        r
                    }
                    None => {
                        let plan = RunPlan { chain: i, prep };
                        self.exec.run(cell, rep, kind, &plan).await
                    }
                };
                r.round = Some(rep);
                r.order = Some(pos as u32 + 1);
                r.shuffle_seed = Some(self.schedule.seed);
                if ran {
                    r.warmed_by = warmed_by;
                    self.blame_a_dead_registry(&mut r).await;
                }
                chain.after(&r, ran);
                self.chained[i] = self.schedule.chains
                    && cell.state != crate::config::matrix::State::Cold
                    && chain.next(cell.state).0 == Prep::Chained;
                self.policy.observe(&r);
                self.writer.append(&r)?;
                let line = crate::records::redact::text(&console::run_line(&r)).into_owned();
                self.bar.suspend(|| eprintln!("{line}"));
                let interrupted = r.status == RunStatus::Interrupted;
                if let Some(s) = subsets.as_mut() {
                    s.observe(i, &r);
                }
                self.records.push(r);
                if ran {
                    self.eta
                        .observe(cell.state, cell.strategy, warms, t0.elapsed());
                }
                self.ran_one(i);
                if interrupted {
                    flow = Flow::Stop;
                    break 'rounds;
                }
                if ran {
                    let bar = self.bar.clone();
                    let say = |m: &str| bar.suspend(|| eprintln!("cachebench: {m}"));
                    let during = format!("{key} {kind} {rep}");
                    let revived = self.engine.revived;
                    self.engine
                        .after_run(self.exec, &during, &self.records, say)
                        .await;
                    if self.engine.revived != revived {
                        // A restarted engine stopped every builder: chains warm again.
                        chains.clear();
                        for &c in &g.run {
                            self.chained[c] = false;
                        }
                    }
                }
            }
            if let (Some(s), RunKind::Measured) = (subsets.as_mut(), kind) {
                for i in s.settle_round(rep) {
                    // Stopped, or left the race: its remaining runs leave the bar
                    // and the ETA.
                    let n = std::mem::take(&mut self.left[i]);
                    let len = self.bar.length().unwrap_or(0);
                    self.bar.set_length(len.saturating_sub(u64::from(n)));
                }
            }
        }
        if let Some(s) = subsets {
            self.stopping.extend(s.finish());
        }
        Ok(flow)
    }

    /// A run that failed while cachebench's own registry was not answering says
    /// so, naming it (buildx only says `connection refused`); the registry is
    /// restarted after the record is written ([`EngineWatch::after_run`]).
    async fn blame_a_dead_registry(&mut self, r: &mut RunRecord) {
        if matches!(r.status, RunStatus::Failed | RunStatus::Timeout)
            && !self.exec.registry_answers().await
        {
            r.reason = format!(
                "{}; {} was not answering when the run ended",
                r.reason,
                self.exec.registry_name()
            );
        }
    }

    /// Counts one run of cell `i` as done (run, skipped or resumed) on the bar.
    fn ran_one(&mut self, i: usize) {
        if self.left[i] == 0 {
            // A run past max_reps, paid by cells that left the race.
            let len = self.bar.length().unwrap_or(0);
            self.bar.set_length(len + 1);
        }
        self.left[i] = self.left[i].saturating_sub(1);
        self.bar.inc(1);
    }

    /// The bar's message: the ETA from measured times, and what runs now.
    fn show(&self, now: &str) {
        let pending = self.cells.iter().enumerate().flat_map(|(i, c)| {
            let n = if c.skip.is_some() { 0 } else { self.left[i] };
            let warm_first = c.state != crate::config::matrix::State::Cold && !self.chained[i];
            let first = u32::from(warm_first && n > 0);
            [
                (c.state, c.strategy, true, first),
                (c.state, c.strategy, false, n - first),
            ]
        });
        let eta = match self.eta.remaining(pending) {
            Some(d) => format!("ETA {}", eta::short(d)),
            None => "ETA ?".to_string(),
        };
        self.bar.set_message(format!("{eta} {now}"));
    }
}
