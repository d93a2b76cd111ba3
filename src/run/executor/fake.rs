//! A scripted [`CellExecutor`] for tests, without Docker: per (cell, rep, kind) it
//! returns an ok, failed, timed-out, interrupted or state-check-failed record with a
//! given wall time and reason; it can report the engine dead after given runs, fail
//! a revive, kill cachebench's own registry during given runs (those and every run
//! until it is revived fail with `connection refused`, as buildx says it), fail
//! its restart, raise an interruption signal at a given run, and note how many records
//! the results folder held when each run started. It keeps what the loop asked of
//! it: every run with its [`RunPlan`] (so tests see which runs warmed with a build
//! of their own and which stood on a chain), and the groups begun and ended.

use crate::config::matrix::ImageStore;
use crate::config::matrix::{BuilderKind, Change, State, Strategy};
use crate::plan::cells::Cell;
use crate::records::record::{RunKind, RunRecord, RunStatus};
use crate::records::results_writer::RecordWriter;
use crate::records::resume::Done;
use crate::run::chain::{Prep, RunPlan};
use crate::run::executor::CellExecutor;
use crate::run::scheduler::{run_matrix, MatrixOutcome, Schedule};
use std::collections::HashMap;
use std::path::Path;
use std::path::PathBuf;
use tokio::sync::watch;

/// How one scripted run ends.
#[derive(Debug, Clone)]
pub struct Step {
    pub status: RunStatus,
    pub reason: String,
    pub wall_ms: u64,
    /// The state check's verdict (`ok` unless scripted otherwise).
    pub state_check: String,
    /// The hypervisor took this share of the CPU the run wanted; above
    /// `disturbed_share` the run is disturbed.
    pub stolen_share: Option<f64>,
}

impl Step {
    pub fn ok(wall_ms: u64) -> Step {
        Step {
            status: RunStatus::Ok,
            reason: String::new(),
            wall_ms,
            state_check: crate::run::state_check::OK.into(),
            stolen_share: None,
        }
    }
    pub fn failed(reason: &str, wall_ms: u64) -> Step {
        Step {
            status: RunStatus::Failed,
            reason: reason.into(),
            wall_ms,
            state_check: String::new(),
            stolen_share: None,
        }
    }
    pub fn timeout(reason: &str, wall_ms: u64) -> Step {
        Step {
            status: RunStatus::Timeout,
            ..Step::failed(reason, wall_ms)
        }
    }
    pub fn interrupted(wall_ms: u64) -> Step {
        Step {
            status: RunStatus::Interrupted,
            ..Step::failed("build interrupted", wall_ms)
        }
    }
    /// A run that proved its state while the hypervisor took `share` of its CPU:
    /// disturbed, as the real run stage marks it, above the default
    /// `--disturbed-share`.
    pub fn stolen(share: f64, wall_ms: u64) -> Step {
        Step {
            stolen_share: Some(share),
            ..Step::ok(wall_ms)
        }
    }
    /// A run that built but whose state check failed with `verdict`.
    pub fn state_failed(verdict: &str, wall_ms: u64) -> Step {
        Step {
            state_check: verdict.into(),
            ..Step::ok(wall_ms)
        }
    }
}

/// The scripted executor. Unscripted runs end ok in `default_wall_ms`.
pub struct FakeExecutor {
    warmup: u32,
    reps: u32,
    default_wall_ms: u64,
    script: HashMap<(String, u32, RunKind), Step>,
    /// Per cell: the wall time of its unscripted runs.
    walls: HashMap<String, u64>,
    /// Ordinals (1-based, counting runs actually run) after which the engine
    /// stops answering until revived.
    dies_after: Vec<usize>,
    revive_error: Option<String>,
    /// Ordinals of runs during which cachebench's own registry dies.
    registry_dies_during: Vec<usize>,
    registry_revive_error: Option<String>,
    registry_alive: bool,
    /// At this ordinal the signal is raised and the run ends interrupted.
    interrupt: Option<(usize, i32, watch::Sender<Option<i32>>)>,
    /// When set, `runs.jsonl` of this folder is counted as each run starts.
    watch_out: Option<PathBuf>,
    alive: bool,
    /// Every run asked for, in order: (cell key, rep, kind).
    pub runs: Vec<(String, u32, RunKind)>,
    /// How each of those was to be prepared.
    pub plans: Vec<RunPlan>,
    /// The first cell of every group begun, in order.
    pub groups: Vec<String>,
    /// Groups ended.
    pub ended: usize,
    /// How many records `runs.jsonl` held as each run started (with `watch_out`).
    pub records_at_start: Vec<usize>,
    pub revives: u32,
    pub registry_revives: u32,
    /// How many times the daemons' logs were kept.
    pub logs_kept: u32,
    pub stores: Vec<ImageStore>,
}

/// What buildx says when cachebench's own registry is gone.
pub const REGISTRY_REFUSED: &str =
    "build exited with code 1: dial tcp 127.0.0.1:40123: connect: connection refused";

impl FakeExecutor {
    pub fn new(warmup: u32, reps: u32) -> FakeExecutor {
        FakeExecutor {
            warmup,
            reps,
            default_wall_ms: 1000,
            script: HashMap::new(),
            walls: HashMap::new(),
            dies_after: vec![],
            revive_error: None,
            registry_dies_during: vec![],
            registry_revive_error: None,
            registry_alive: true,
            interrupt: None,
            watch_out: None,
            alive: true,
            runs: vec![],
            plans: vec![],
            groups: vec![],
            ended: 0,
            records_at_start: vec![],
            revives: 0,
            registry_revives: 0,
            logs_kept: 0,
            stores: vec![],
        }
    }

    /// Scripts how rep `rep` (of `kind`) of `cell` ends.
    pub fn step(mut self, cell: &Cell, rep: u32, kind: RunKind, step: Step) -> FakeExecutor {
        self.script
            .insert((cell.key().to_string(), rep, kind), step);
        self
    }

    /// Unscripted runs of `cell` end ok in `wall_ms`.
    pub fn wall_of(mut self, cell: &Cell, wall_ms: u64) -> FakeExecutor {
        self.walls.insert(cell.key().to_string(), wall_ms);
        self
    }

    /// The engine stops answering after the `n`th run (1-based).
    pub fn engine_dies_after(mut self, n: usize) -> FakeExecutor {
        self.dies_after.push(n);
        self
    }

    /// Every revive fails with `why`.
    pub fn revive_fails(mut self, why: &str) -> FakeExecutor {
        self.revive_error = Some(why.into());
        self
    }

    /// cachebench's own registry dies during the `n`th run (1-based).
    pub fn registry_dies_during(mut self, n: usize) -> FakeExecutor {
        self.registry_dies_during.push(n);
        self
    }

    /// Every restart of the registry fails with `why`.
    pub fn registry_revive_fails(mut self, why: &str) -> FakeExecutor {
        self.registry_revive_error = Some(why.into());
        self
    }

    /// Raises `sig` on `tx` during the `n`th run, which then ends interrupted.
    pub fn interrupt_at(
        mut self,
        n: usize,
        sig: i32,
        tx: watch::Sender<Option<i32>>,
    ) -> FakeExecutor {
        self.interrupt = Some((n, sig, tx));
        self
    }

    /// Counts the records of `out` as each run starts.
    pub fn watch_out(mut self, out: PathBuf) -> FakeExecutor {
        self.watch_out = Some(out);
        self
    }

    /// The runs of `cell` asked for, with how each was prepared: (kind, rep, prep).
    pub fn preps_of(&self, cell: &Cell) -> Vec<(RunKind, u32, Prep)> {
        let key = cell.key().to_string();
        self.runs
            .iter()
            .zip(&self.plans)
            .filter(|(r, _)| r.0 == key)
            .map(|(r, p)| (r.2, r.1, p.prep.clone()))
            .collect()
    }

    fn record(&self, cell: &Cell, rep: u32, kind: RunKind, s: &Step) -> RunRecord {
        let mut r = RunRecord::blank(
            "fake",
            "fake-workload",
            cell,
            rep,
            kind,
            s.status,
            &s.reason,
        );
        r.wall_ms = Some(s.wall_ms);
        r.build_ms = (s.status == RunStatus::Ok).then_some(s.wall_ms);
        r.state_check = s.state_check.clone();
        if let Some(share) = s.stolen_share {
            let wanted = 1000;
            let stolen = (share * wanted as f64).round() as u64;
            r.cpu_busy_ms = Some(wanted - stolen);
            r.cpu_stolen_ms = Some(stolen);
            r.mark_disturbed(crate::config::options::DEFAULT_DISTURBED_SHARE);
        }
        r.log = format!("logs/{}-{kind}-{rep}.log", cell.slug());
        r
    }
}

impl CellExecutor for FakeExecutor {
    fn runs_per_cell(&self) -> (u32, u32) {
        (self.warmup, self.reps)
    }

    fn skipped(&self, cell: &Cell, reason: &str) -> RunRecord {
        RunRecord::blank(
            "fake",
            "fake-workload",
            cell,
            1,
            RunKind::Measured,
            RunStatus::Skipped,
            reason,
        )
    }

    async fn switch_store(&mut self, store: ImageStore) -> anyhow::Result<()> {
        if self.stores.last() != Some(&store) {
            self.stores.push(store);
        }
        Ok(())
    }

    async fn begin_group(&mut self, first: &Cell) -> anyhow::Result<()> {
        self.groups.push(first.key().to_string());
        Ok(())
    }

    async fn end_group(&mut self, _cells: &[&Cell]) {
        self.ended += 1;
    }

    async fn run(&mut self, cell: &Cell, rep: u32, kind: RunKind, plan: &RunPlan) -> RunRecord {
        assert!(
            self.alive,
            "run {rep} of {} asked of a dead engine",
            cell.key()
        );
        if let Some(out) = &self.watch_out {
            let text =
                std::fs::read_to_string(out.join(crate::records::results_writer::RUNS_JSONL))
                    .unwrap_or_default();
            self.records_at_start.push(text.lines().count());
        }
        self.runs.push((cell.key().to_string(), rep, kind));
        self.plans.push(plan.clone());
        let n = self.runs.len();
        if self.dies_after.contains(&n) {
            self.alive = false;
        }
        if let Some((at, sig, tx)) = &self.interrupt {
            if *at == n {
                let _ = tx.send(Some(*sig));
                return self.record(
                    cell,
                    rep,
                    kind,
                    &Step::interrupted(self.default_wall_ms / 2),
                );
            }
        }
        if self.registry_dies_during.contains(&n) {
            self.registry_alive = false;
        }
        if !self.registry_alive {
            return self.record(cell, rep, kind, &Step::failed(REGISTRY_REFUSED, 200));
        }
        let step = self
            .script
            .get(&(cell.key().to_string(), rep, kind))
            .cloned()
            .unwrap_or_else(|| {
                let key = cell.key().to_string();
                Step::ok(
                    self.walls
                        .get(&key)
                        .copied()
                        .unwrap_or(self.default_wall_ms),
                )
            });
        let mut r = self.record(cell, rep, kind, &step);
        // A warming build costs a build; a chained or cold run prepares in no time.
        r.prepare_ms = Some(if plan.prep == Prep::Warm {
            self.default_wall_ms
        } else {
            0
        });
        r
    }

    async fn healthy(&mut self) -> bool {
        self.alive
    }

    async fn revive(&mut self) -> anyhow::Result<()> {
        self.revives += 1;
        match &self.revive_error {
            Some(why) => Err(anyhow::anyhow!("{why}")),
            None => {
                self.alive = true;
                Ok(())
            }
        }
    }

    async fn registry_answers(&mut self) -> bool {
        self.registry_alive
    }

    async fn revive_registry(&mut self) -> anyhow::Result<()> {
        self.registry_revives += 1;
        match &self.registry_revive_error {
            Some(why) => Err(anyhow::anyhow!("{why}")),
            None => {
                self.registry_alive = true;
                Ok(())
            }
        }
    }

    fn registry_name(&self) -> String {
        crate::run::daemons::registry_name("127.0.0.1:40123", Path::new("/out"))
    }

    fn keep_daemon_logs(&mut self) -> Vec<PathBuf> {
        self.logs_kept += 1;
        vec![PathBuf::from("/out/logs/registry.log")]
    }
}

// Shared by the tests that drive the matrix loop through the fake.

pub fn cell(strategy: Strategy) -> Cell {
    Cell {
        strategy,
        builder: BuilderKind::Docker,
        state: State::Cold,
        change: Change::None,
        image_store: ImageStore::Containerd,
        skip: None,
        stands_for: vec![],
        link: "none".into(),
    }
}

/// Runs the matrix through `exec`, writing into `out`.
pub async fn drive(
    exec: &mut FakeExecutor,
    cells: &[Cell],
    out: &Path,
    done: &Done,
    signal: &watch::Receiver<Option<i32>>,
) -> MatrixOutcome {
    let mut writer = RecordWriter::open(out).expect("writer opens in a temp dir");
    let schedule = Schedule {
        seed: 7,
        auto: None,
        chains: true,
    };
    run_matrix(exec, cells, &mut writer, done, signal, &schedule)
        .await
        .expect("the matrix loop returns its outcome")
}

pub fn no_signal() -> (watch::Sender<Option<i32>>, watch::Receiver<Option<i32>>) {
    watch::channel(None)
}

pub fn on_disk(out: &Path) -> Vec<RunRecord> {
    crate::records::results_writer::read_runs(out)
        .expect("records read back")
        .0
}

pub fn id(r: &RunRecord) -> (String, u32, RunKind) {
    (r.cell().to_string(), r.rep, r.kind)
}
