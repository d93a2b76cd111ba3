//! The per-run record: one row of `runs.csv` and one line of `runs.jsonl`.
//!
//! The field names here are a public interface (scripts and `cachebench report` read
//! them), so they are spelled out explicitly and only ever added to.

use crate::records::cell_key::{default_image_store, default_link, CellKey};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether a run was a warm-up (reported, never counted in statistics) or measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    Warmup,
    Measured,
}

impl fmt::Display for RunKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RunKind::Warmup => "warmup",
            RunKind::Measured => "measured",
        })
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Ok,
    Failed,
    Timeout,
    Skipped,
    Interrupted,
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RunStatus::Ok => "ok",
            RunStatus::Failed => "failed",
            RunStatus::Timeout => "timeout",
            RunStatus::Skipped => "skipped",
            RunStatus::Interrupted => "interrupted",
        })
    }
}

/// Above this share of a run's wall time, `other` (time no phase explains)
/// deserves a warning: the one threshold the terminal and the report use.
pub const OTHER_WARN_SHARE: f64 = 0.05;

/// Above this share of the CPU time a run wanted, CPU stolen by the hypervisor
/// ([`RunRecord::stolen_share`]) is worth a word: the terminal's run line and the
/// report's warning use it. `--disturbed-share` has the same default
/// ([`crate::config::options::DEFAULT_DISTURBED_SHARE`]), above which a run is
/// disturbed and not a sample ([`RunRecord::disturbed`]).
pub const STOLEN_WARN_SHARE: f64 = 0.10;

/// One build step (`[n/m] RUN …` or `Step n/N : RUN …`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub name: String,
    pub duration_ms: u64,
    pub cached: bool,
}

/// One timed docker command of a run (a run of `load-push` has two).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandRecord {
    /// What the command is for: `build`, `push`, `builder_create`.
    pub role: String,
    /// The argument vector, as spawned (never through a shell).
    pub argv: Vec<String>,
    pub duration_ms: u64,
    pub exit_code: Option<i32>,
}

/// One run of one cell of the matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub scenario: String,
    /// Workload identity: the Dockerfile path relative to the context, plus a hash
    /// of the context and build args, so runs of different workloads are not mixed.
    pub workload: String,
    pub strategy: String,
    pub builder: String,
    pub state: String,
    pub change: String,
    pub rep: u32,
    pub kind: RunKind,
    pub status: RunStatus,
    /// Why a run failed, timed out or was skipped; empty when it succeeded.
    pub reason: String,
    /// UTC start time (RFC 3339).
    pub started_at: String,
    /// Wall time of the measured commands (build, and push where separate).
    /// The time of a separate `docker push` is the `push` phase (`push_ms`).
    pub wall_ms: Option<u64>,
    /// Time of the build command.
    pub build_ms: Option<u64>,
    /// Time spent preparing the state (not part of `wall_ms`).
    pub prepare_ms: Option<u64>,
    #[serde(flatten)]
    pub phases: crate::records::phase_times::Phases,
    pub steps_total: Option<u32>,
    pub steps_cached: Option<u32>,
    pub bytes_down: Option<u64>,
    pub bytes_up: Option<u64>,
    /// Path of the run's full log, relative to the results folder.
    pub log: String,
    /// Manifests the run's tags reach in the registry (index, image and
    /// attestation manifests: what ECR lifecycle rules count); absent when nothing
    /// was measured (a run that pushes nothing has 0).
    #[serde(default)]
    pub registry_manifests: Option<u32>,
    /// Of those, attestation manifests (`--push` adds one per image).
    #[serde(default)]
    pub registry_attestations: Option<u32>,
    /// Bytes of the distinct blobs and manifests the run's tags reference.
    #[serde(default)]
    pub registry_bytes: Option<u64>,
    /// Of `builder_create_ms`: pulling the BuildKit image (`pulling image …` in
    /// `docker buildx create --bootstrap`); 0 when the image was already there.
    /// Not a phase: it is part of `builder_create_ms`, not added to the sum.
    #[serde(default)]
    pub builder_pull_ms: Option<u64>,
    /// Of `builder_create_ms`: the rest, creating the container and booting
    /// buildkitd (`builder_create_ms - builder_pull_ms`).
    #[serde(default)]
    pub builder_boot_ms: Option<u64>,
    /// Note on how the state was kept (for example layer-cache on an engine
    /// cachebench does not own keeps state without a daemon restart).
    #[serde(default)]
    pub note: String,
    /// `ok` when the run's own step records prove the state it claims (cold found
    /// nothing cached, warm reused what comes before the change, the changed step
    /// ran, warm-remote downloaded its cache), else why not; empty where nothing
    /// was checked (skipped or failed runs). Statistics leave out runs whose check
    /// failed.
    #[serde(default)]
    pub state_check: String,
    /// Image store of the engine the run used: `containerd` or `classic`. Records
    /// written before the store was an axis were all on the containerd store.
    #[serde(default = "default_image_store")]
    pub image_store: String,
    /// The round of its state's runs this run belongs to (round r runs rep r of
    /// every cell of one store × builder × state, warm-ups in rounds of their
    /// own before), absent in records written before rounds existed.
    #[serde(default)]
    pub round: Option<u32>,
    /// Its position (1-based) in that round's shuffled order.
    #[serde(default)]
    pub order: Option<u32>,
    /// The seed the round's order was shuffled with (the same for every round of
    /// one matrix pass; each round's order derives from it and the round).
    #[serde(default)]
    pub shuffle_seed: Option<u64>,
    /// The build whose state this run stood on: `prepare` (a warming build of its
    /// own, untimed), `warmup N` or `measured N` (that earlier run of the same
    /// cell, whose state the chain kept), or empty for a cold run.
    #[serde(default)]
    pub warmed_by: String,
    /// For a cold cell, the changes it stands for (space-separated): a cold state
    /// rebuilds everything, so one cold cell per strategy serves every change's
    /// comparison. Empty for warm cells (their change is `change`).
    #[serde(default)]
    pub stands_for: String,
    /// The host that ran it: set by `cachebench merge` from the shard's
    /// shard.json (runs.jsonl only; empty in a folder of one `run`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
    /// The link between the build and every remote cache, by its canonical name
    /// (`200mbit/20ms`, `same-region`); `none` (no proxy in the path) in records
    /// written before links existed.
    #[serde(default = "default_link")]
    pub link: String,
    /// Bytes the build sent through the link during the measured commands (to the
    /// caches: pushes, cache exports); absent for `link: none`.
    #[serde(default)]
    pub link_bytes_up: Option<u64>,
    /// Bytes the link delivered to the build during the measured commands (cache
    /// imports, pulls of the cache's layers); absent for `link: none`.
    #[serde(default)]
    pub link_bytes_down: Option<u64>,
    /// Connections opened through the link during the measured commands.
    #[serde(default)]
    pub link_connections: Option<u64>,
    /// The link's figures (`same-region` → `400mbit/2ms`; the same as `link` for
    /// a link given by figures); empty for `none`.
    #[serde(default)]
    pub link_figures: String,
    /// Per-step details (runs.jsonl only).
    #[serde(default)]
    pub step_details: Vec<StepRecord>,
    /// Every timed command (runs.jsonl only).
    #[serde(default)]
    pub commands: Vec<CommandRecord>,
    /// gha-cache: the cache service the run talked to, `stand-in v1`, `stand-in v2`
    /// or `runner` (GitHub's own; then nothing below is counted).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub gha_service: String,
    /// gha-cache: entries the measured build created (committed) in the stand-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gha_entries_created: Option<u64>,
    /// gha-cache: entry uploads started (reservations), what GitHub's limit of
    /// 200 per minute per repository counts, in the busiest minute of the build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gha_peak_entries_per_minute: Option<u32>,
    /// gha-cache (and actions/cache's transfers): bytes uploaded to the stand-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gha_bytes_uploaded: Option<u64>,
    /// gha-cache (and actions/cache's transfers): bytes downloaded from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gha_bytes_downloaded: Option<u64>,
    /// local-cache with actions/cache: the size of the zstd archive saved
    /// (what the next job restores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions_cache_archive_bytes: Option<u64>,
    /// The footprint split into image and cache, the ECR artifacts, the local
    /// cache folder and the cache mode ([`crate::records::footprint`]).
    #[serde(flatten, default)]
    pub footprint: crate::records::footprint::FootprintFields,
    /// CPU time the whole machine used during the measured commands, summed over
    /// CPUs (user, nice, system, irq, softirq from `/proc/stat`); absent where it
    /// could not be read and in records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_busy_ms: Option<u64>,
    /// CPU time the machine wanted during the measured commands but the hypervisor
    /// gave to other guests (`/proc/stat` steal): on a shared VM, the main source of
    /// run-to-run noise ([`RunRecord::stolen_share`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_stolen_ms: Option<u64>,
    /// The run lost more of its CPU to the hypervisor than `--disturbed-share`
    /// allowed when it ran: it stays in the records and the report, flagged, but
    /// is not a sample ([`RunRecord::sample_seconds`]). The run stage decides it
    /// once, so `report` and `replay` read the same samples the run's stop rule
    /// saw. False in records written before it existed.
    #[serde(default)]
    pub disturbed: bool,
}

impl RunRecord {
    /// A record of `cell` with nothing measured yet: the start of every run's
    /// record, and the whole record of a run that is not run.
    pub fn blank(
        scenario: &str,
        workload: &str,
        cell: &crate::plan::cells::Cell,
        rep: u32,
        kind: RunKind,
        status: RunStatus,
        reason: &str,
    ) -> RunRecord {
        RunRecord {
            scenario: scenario.to_string(),
            workload: workload.to_string(),
            strategy: cell.strategy.to_string(),
            builder: cell.builder.to_string(),
            state: cell.state.to_string(),
            change: cell.change.to_string(),
            rep,
            kind,
            status,
            reason: reason.to_string(),
            started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            wall_ms: None,
            build_ms: None,
            prepare_ms: None,
            phases: Default::default(),
            steps_total: None,
            steps_cached: None,
            bytes_down: None,
            bytes_up: None,
            log: String::new(),
            note: String::new(),
            registry_manifests: None,
            registry_attestations: None,
            registry_bytes: None,
            state_check: String::new(),
            image_store: cell.image_store.to_string(),
            builder_pull_ms: None,
            builder_boot_ms: None,
            round: None,
            order: None,
            shuffle_seed: None,
            warmed_by: String::new(),
            host: String::new(),
            stands_for: cell.stands_for_text(),
            link: cell.link.clone(),
            link_bytes_up: None,
            link_bytes_down: None,
            link_connections: None,
            link_figures: String::new(),
            step_details: vec![],
            commands: vec![],
            gha_service: String::new(),
            gha_entries_created: None,
            gha_peak_entries_per_minute: None,
            gha_bytes_uploaded: None,
            gha_bytes_downloaded: None,
            actions_cache_archive_bytes: None,
            footprint: Default::default(),
            cpu_busy_ms: None,
            cpu_stolen_ms: None,
            disturbed: false,
        }
    }

    /// Of the CPU time the machine wanted during the run (used + stolen), the share
    /// the hypervisor took; `None` when not measured or nothing was wanted.
    pub fn stolen_share(&self) -> Option<f64> {
        let (busy, stolen) = (self.cpu_busy_ms?, self.cpu_stolen_ms?);
        let wanted = busy + stolen;
        (wanted > 0).then(|| stolen as f64 / wanted as f64)
    }

    /// Marks the run disturbed when it lost more than `limit` of the CPU it wanted
    /// ([`RunRecord::stolen_share`]): the run stage's one rule, with
    /// `--disturbed-share` as the limit.
    pub fn mark_disturbed(&mut self, limit: f64) {
        self.disturbed = self.stolen_share().is_some_and(|s| s > limit);
    }

    /// The wall seconds of a run that measured its cell: a measured run that ended
    /// ok with its state proven and a wall time, disturbed or not. Warm-ups,
    /// failures and runs whose state check failed never did.
    pub fn proven_seconds(&self) -> Option<f64> {
        (self.kind == RunKind::Measured && self.status == RunStatus::Ok && !self.state_failed())
            .then_some(self.wall_ms)
            .flatten()
            .map(|ms| ms as f64 / 1000.0)
    }

    /// The wall seconds of a run the statistics count, the one definition of a
    /// sample: a run that measured its cell ([`RunRecord::proven_seconds`]) and
    /// was not [`disturbed`](RunRecord::disturbed) by the hypervisor.
    pub fn sample_seconds(&self) -> Option<f64> {
        self.proven_seconds().filter(|_| !self.disturbed)
    }

    /// Whether the run counts as a build a matrix paid for, the one definition of
    /// the build count (`--reps auto`, stopping.json and `replay` use it): a
    /// measured run that ran to its end, ok or not. Skipped runs built nothing, and
    /// an interrupted one is run again by `--resume`.
    pub fn is_build(&self) -> bool {
        self.kind == RunKind::Measured
            && !matches!(self.status, RunStatus::Skipped | RunStatus::Interrupted)
    }

    /// True when the run's state check failed (it is then left out of statistics).
    pub fn state_failed(&self) -> bool {
        !self.state_check.is_empty() && self.state_check != STATE_CHECK_OK
    }

    /// The cell this run belongs to: strategy × builder × state × change × image
    /// store × link.
    pub fn cell(&self) -> CellKey {
        CellKey {
            strategy: self.strategy.clone(),
            builder: self.builder.clone(),
            state: self.state.clone(),
            change: self.change.clone(),
            image_store: self.image_store.clone(),
            link: self.link.clone(),
        }
    }
}

/// The value of `state_check` for a run whose state was proven (the run stage
/// writes it, reports count only such runs).
pub const STATE_CHECK_OK: &str = "ok";

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(extra: &str) -> RunRecord {
        let line = format!(
            r#"{{"scenario":"s","workload":"w","strategy":"buildkit","builder":"docker","state":"warm-local","change":"source","rep":1,"kind":"measured","status":"ok","reason":"","started_at":"t","wall_ms":1500,"build_ms":1500,"prepare_ms":0,"steps_total":1,"steps_cached":0,"bytes_down":0,"bytes_up":0,"log":"l","state_check":"ok"{extra}}}"#
        );
        serde_json::from_str(&line).unwrap()
    }

    #[test]
    fn a_disturbed_run_measured_its_cell_but_is_not_a_sample() {
        let quiet = measured(r#","cpu_busy_ms":900,"cpu_stolen_ms":100"#);
        assert!(!quiet.disturbed, "records written before the field are not");
        assert_eq!(quiet.sample_seconds(), Some(1.5));
        assert_eq!(quiet.stolen_share(), Some(0.1));
        let disturbed = measured(r#","cpu_busy_ms":600,"cpu_stolen_ms":400,"disturbed":true"#);
        assert_eq!(disturbed.proven_seconds(), Some(1.5));
        assert_eq!(disturbed.sample_seconds(), None);
        assert!(
            disturbed.is_build(),
            "it was still a build the matrix paid for"
        );
        let mut unproven = quiet.clone();
        unproven.state_check = "cold run reused 3 steps".into();
        assert_eq!(unproven.proven_seconds(), None);
    }
}
