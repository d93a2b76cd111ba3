//! Command-line interface: the clap definitions of every subcommand and flag.
//!
//! Everything a scenario file can say can also be said here (`RunArgs`), so a team
//! can point cachebench at its own project without writing a file. Flags override
//! the scenario file; see [`crate::config::options`] for how the two are merged. The matrix
//! axes are [`crate::config::matrix`]'s value enums, so `--help` lists the accepted names.

use crate::config::matrix::{
    BuilderKind, CacheMode, CacheOutput, Change, GhaProtocol, ImageStore, State, Strategy,
};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "cachebench",
    version,
    about = "Benchmarks Docker build cache strategies against a real engine and registry",
    long_about = "Benchmarks Docker build cache strategies (legacy builder, BuildKit, --load then push, \
--push, registry cache, local cache, inline cache, gha cache, engine layer cache) in cold and warm \
states against a real Docker engine and a real registry, and reports which one to adopt.\n\n\
Exit codes: 0 every cell ran and no run failed; 1 some runs failed or timed out (compare: a \
regression); 2 bad input or a missing prerequisite, nothing ran; 3 cachebench itself failed; \
4 clean could not remove something it found; 130/143 interrupted by SIGINT/SIGTERM."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a benchmark matrix and write its records (and report) to OUT.
    Run(RunCmd),
    /// Print the expanded matrix, the exact docker commands of each cell, how many
    /// builds it runs and (with --estimate-from) how long; runs nothing.
    Plan(PlanCmd),
    /// Say what is present and what is missing, each with the command that fixes it.
    Doctor(DoctorCmd),
    /// Re-render statistics, charts and reports of a results folder from its records.
    Report(ReportCmd),
    /// Compare two results folders cell by cell (exit 1 on a regression).
    Compare(CompareCmd),
    /// Remove what runs killed outright (SIGKILL) left in $TMPDIR: their dockerd,
    /// registry, bridge, firewall rules and work folder. Live runs are left alone.
    /// Exit 4 when something it found could not be removed (each named on stderr).
    Clean(CleanCmd),
    /// Replay OUT/runs.jsonl through the `--reps auto` stop rule: the builds it would
    /// have used, and whether its verdicts agree. Reads OUT only (it may be read-only);
    /// --json PATH also writes the replay as JSON.
    Replay(ReplayCmd),
    /// Merge the results folders of `run --shard I/N` into one results folder and
    /// render its report (refuses shards of different plans, and duplicates).
    Merge(MergeCmd),
}

#[derive(Debug, Args)]
pub struct RunCmd {
    /// Scenario file (TOML). Flags given here override its keys.
    pub scenario: Option<PathBuf>,
    #[command(flatten)]
    pub args: RunArgs,
    #[command(flatten)]
    pub shard: ShardArgs,
}

/// Flags of `run` and `plan` that split the matrix into parts for separate machines.
#[derive(Debug, Args, Default, Clone)]
pub struct ShardArgs {
    /// Run (or plan) only part I of N of the matrix (e.g. 2/3); cells that depend on
    /// each other stay in one part (see docs/shards.md).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Balance the parts by the median time per cell an earlier results folder
    /// recorded [default: the static estimate, every build counted alike]; give the
    /// same folder to every part and to `plan`.
    #[arg(long, value_name = "OUT")]
    pub balance_from: Option<PathBuf>,
}

/// What `plan` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PlanFormat {
    /// The cells, commands and cost, for people.
    #[default]
    Text,
    /// The JSON a GitHub Actions `strategy.matrix` takes: one `include` entry per shard.
    GhaMatrix,
    /// A CodeBuild `batch: build-list:` (YAML): one build per shard.
    CodebuildBatch,
}

/// `plan`: the flags of `run`, and where to take expected times from.
#[derive(Debug, Args)]
pub struct PlanCmd {
    #[command(flatten)]
    pub run: RunCmd,
    /// Expected time from the median times an earlier results folder recorded
    /// (per cell; the median over all its cells for a cell it has no record of).
    #[arg(long, value_name = "OUT")]
    pub estimate_from: Option<PathBuf>,
    /// Output: text, or the shards of --shards N as a GitHub Actions matrix or a
    /// CodeBuild batch build-list.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text, value_name = "FORMAT")]
    pub format: PlanFormat,
    /// How many shards --format gha-matrix|codebuild-batch lists.
    #[arg(long, value_name = "N")]
    pub shards: Option<u32>,
    /// The buildspec each build of --format codebuild-batch runs.
    #[arg(
        long,
        default_value = "ci/codebuild/buildspec.yml",
        value_name = "PATH"
    )]
    pub buildspec: String,
}

/// `merge`: shard results folders into one.
#[derive(Debug, Args)]
pub struct MergeCmd {
    /// Results folders written by `cachebench run --shard I/N`, one per shard.
    #[arg(required = true, value_name = "OUT")]
    pub shards: Vec<PathBuf>,
    /// The merged results folder (must not hold runs yet).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Flags shared by `run` and `plan`.
#[derive(Debug, Args, Default, Clone)]
pub struct RunArgs {
    /// Build context folder (it is copied; your files are never modified).
    #[arg(long, value_name = "DIR")]
    pub context: Option<PathBuf>,
    /// Dockerfile, relative to the context unless absolute [default: Dockerfile].
    #[arg(long, value_name = "PATH")]
    pub dockerfile: Option<PathBuf>,
    /// Build argument passed to every build (repeatable).
    #[arg(long = "build-arg", value_name = "K=V")]
    pub build_args: Vec<String>,
    /// File inside the context that a `source` change rewrites.
    #[arg(long, value_name = "PATH")]
    pub source_file: Option<PathBuf>,
    /// File inside the context that a `deps` change rewrites.
    #[arg(long, value_name = "PATH")]
    pub deps_file: Option<PathBuf>,
    /// Executable that makes each `source`/`deps` change instead of cachebench: run
    /// in the context's copy with CACHEBENCH_CHANGE, CACHEBENCH_NONCE and
    /// CACHEBENCH_FILE set (see docs/changes.md).
    #[arg(long, value_name = "PATH")]
    pub change_script: Option<PathBuf>,
    /// Strategy to run (repeatable) [default: all].
    #[arg(long = "strategy", value_name = "NAME")]
    pub strategies: Vec<Strategy>,
    /// State to run (repeatable) [default: all].
    #[arg(long = "state", value_name = "NAME")]
    pub states: Vec<State>,
    /// Change since the warming build (repeatable) [default: source].
    #[arg(long = "change", value_name = "NAME")]
    pub changes: Vec<Change>,
    /// Measured runs per cell, or `auto`: rounds until each state's verdict is
    /// settled (between --min-reps and --max-reps).
    #[arg(long, value_name = "N|auto")]
    pub reps: Option<crate::config::reps::RepsArg>,
    /// With --reps auto: runs every cell gets before a verdict [default 3].
    #[arg(long, value_name = "N")]
    pub min_reps: Option<u32>,
    /// With --reps auto: runs after which a state stops, settled or not [default 10].
    #[arg(long, value_name = "N")]
    pub max_reps: Option<u32>,
    /// With --reps auto: confidence of a verdict [default 0.95].
    #[arg(long, value_name = "C")]
    pub confidence: Option<f64>,
    /// With --reps auto: a tie's relative margin on the ratio of two cells [default
    /// 0.05: ±5%]; the margin is the larger of this and --margin-floor.
    #[arg(long, value_name = "M")]
    pub margin: Option<f64>,
    /// With --reps auto: the margin's absolute floor per build, humantime [default
    /// 250ms]: two cells within it of each other are a tie.
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration)]
    pub margin_floor: Option<std::time::Duration>,
    /// With --reps auto: no race; every cell runs every round up to --max-reps
    /// [default: a cell shown slower stops, and its unspent runs go to the others].
    #[arg(long)]
    pub no_race: bool,
    /// The change mix the Decision weighs changes by, e.g. source=0.8,deps=0.2
    /// [default source=0.8,deps=0.2].
    #[arg(long, value_name = "CHANGE=WEIGHT,…")]
    pub change_mix: Option<String>,
    /// A measured run that lost more than this share of its CPU to the hypervisor
    /// is disturbed: recorded and shown, not a sample [default 0.10; 1 counts every run].
    #[arg(long, value_name = "S")]
    pub disturbed_share: Option<f64>,
    /// Warm-up runs per cell (recorded, never counted in statistics).
    #[arg(long, value_name = "N")]
    pub warmup: Option<u32>,
    /// Results folder (default: `results/<UTC timestamp>-<host>`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Use an existing registry (`HOST[:PORT][/PREFIX]`) instead of starting one.
    #[arg(long, value_name = "HOST[:PORT][/PREFIX]")]
    pub registry: Option<String>,
    /// Use an existing engine instead of starting cachebench's own.
    #[arg(long, value_name = "URL")]
    pub docker_host: Option<String>,
    /// Allow emptying the build cache of the engine given by --docker-host.
    #[arg(long)]
    pub allow_prune: bool,
    /// Builder driver (repeatable) [default: docker].
    #[arg(long = "builder", value_name = "NAME")]
    pub builders: Vec<BuilderKind>,
    /// Image store of cachebench's own engine (repeatable) [default: containerd; with
    /// --docker-host, the engine's own].
    #[arg(long = "image-store", value_name = "NAME")]
    pub image_stores: Vec<ImageStore>,
    /// BuildKit image for docker-container builders [default: auto: moby/buildkit:buildx-stable-1
    /// where present, else the highest cachebench/buildkit:*].
    #[arg(long, value_name = "IMAGE|auto")]
    pub buildkit_image: Option<String>,
    /// Time limit of one run (humantime: 90s, 10m).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Image on the host engine to serve from cachebench's registry (repeatable).
    #[arg(long = "seed-image", value_name = "NAME")]
    pub seed_images: Vec<String>,
    /// URL fetched from a container on the engine's network before the matrix, to
    /// check builds can download (default: the machine's Debian archive); `none`
    /// skips the check.
    #[arg(long, value_name = "URL|none")]
    pub egress_probe: Option<String>,
    /// Export of the registry-cache strategy: load (then nothing) or push [default: load].
    #[arg(long, value_name = "NAME")]
    pub registry_cache_output: Option<CacheOutput>,
    /// What registry-cache, local-cache and gha-cache export: max (every layer) or
    /// min (the image's layers only) [default: max].
    #[arg(long, value_name = "MODE")]
    pub cache_mode: Option<CacheMode>,
    /// Continue the matrix of an earlier, unfinished results folder.
    #[arg(long, value_name = "OUT")]
    pub resume: Option<PathBuf>,
    /// The link between the build and every remote cache (repeatable: an axis):
    /// none, RATE/RTT (200mbit/20ms), up=RATE,down=RATE,rtt=TIME, or a preset
    /// (same-region, cross-region, cross-continent, office) [default: none].
    #[arg(long = "link", value_name = "LINK")]
    pub links: Vec<String>,
    /// local-cache exports to DIR-new and moves it over DIR after the build (on, the
    /// docs' advice) or exports over DIR itself (off: the folder grows) [default: on].
    #[arg(long, value_name = "on|off")]
    pub local_cache_rotate: Option<OnOff>,
    /// Protocol of the gha cache stand-in: auto (v2 for BuildKit v0.20+, else v1), v1
    /// or v2 [default: auto].
    #[arg(long, value_name = "NAME")]
    pub gha_protocol: Option<GhaProtocol>,
}

/// A switch given as `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

impl OnOff {
    pub fn is_on(self) -> bool {
        self == OnOff::On
    }
}

#[derive(Debug, Args)]
pub struct DoctorCmd {
    /// Check this engine instead of the default one.
    #[arg(long, value_name = "URL")]
    pub docker_host: Option<String>,
    /// BuildKit image that docker-container builders would use [default: auto].
    #[arg(long, value_name = "IMAGE|auto")]
    pub buildkit_image: Option<String>,
}

#[derive(Debug, Args)]
pub struct CleanCmd {
    /// List what would be removed; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ReportCmd {
    /// Results folder written by `cachebench run`.
    pub out: PathBuf,
    /// Read with this confidence instead of the run's [default: as recorded in
    /// OUT/report-settings.json, else 0.95]. A --reps auto run is read with its own rule.
    #[arg(long, value_name = "C")]
    pub confidence: Option<f64>,
    /// Read with this relative tie margin instead of the run's [default: recorded, else 0.05].
    #[arg(long, value_name = "M")]
    pub margin: Option<f64>,
    /// Read with this absolute floor of the tie margin [default: recorded, else 250ms].
    #[arg(long, value_name = "DUR", value_parser = humantime::parse_duration)]
    pub margin_floor: Option<std::time::Duration>,
    /// Weigh the changes of the Decision's answers by this mix, e.g.
    /// source=0.8,deps=0.2 [default: recorded, else source=0.8,deps=0.2].
    #[arg(long, value_name = "CHANGE=WEIGHT,…")]
    pub change_mix: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompareCmd {
    /// Baseline results folder.
    pub base: PathBuf,
    /// New results folder.
    pub new: PathBuf,
    /// Change in median beyond which a cell is a regression or an improvement.
    #[arg(long, default_value = "10%", value_name = "PERCENT")]
    pub threshold: String,
    /// Compare even when the workloads differ.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args, Clone)]
pub struct ReplayCmd {
    /// Results folder written by `cachebench run`.
    pub out: PathBuf,
    /// Confidence of a verdict (1 − the error rate over all looks).
    #[arg(long, default_value_t = crate::stats::sequential::DEFAULT_CONFIDENCE, value_name = "C")]
    pub confidence: f64,
    /// Runs per cell before the rule may settle.
    #[arg(long, default_value_t = crate::stats::sequential::DEFAULT_MIN_REPS, value_name = "N")]
    pub min_reps: u32,
    /// Runs per cell after which auto stops anyway.
    #[arg(long, default_value_t = crate::stats::sequential::DEFAULT_MAX_REPS, value_name = "N")]
    pub max_reps: u32,
    /// Relative tie margin on the ratio of two cells (0.05 is ±5%).
    #[arg(long, default_value_t = crate::stats::sequential::DEFAULT_MARGIN, value_name = "M")]
    pub margin: f64,
    /// Absolute floor of the tie margin per build, humantime.
    #[arg(long, default_value = "250ms", value_name = "DUR", value_parser = humantime::parse_duration)]
    pub margin_floor: std::time::Duration,
    /// Replay without the race: every cell runs every round up to --max-reps, as
    /// runs stopped before the race existed were [default: cells shown slower leave
    /// and the budget's runs go to the others].
    #[arg(long)]
    pub no_race: bool,
    /// Also write the replay as JSON to PATH [default: write nothing; OUT is only read].
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
}

/// A bad value of a matrix flag as one line, the way the same name in a scenario
/// file is refused (`--strategy: unknown strategy `turbo`; expected one of: …`);
/// `None` for any other error, which clap prints itself.
pub fn value_error(e: &clap::Error) -> Option<String> {
    if e.kind() != ErrorKind::InvalidValue {
        return None;
    }
    let flag = match e.get(ContextKind::InvalidArg)? {
        ContextValue::String(s) => s.split_whitespace().next()?.to_string(),
        _ => return None,
    };
    let value = match e.get(ContextKind::InvalidValue)? {
        ContextValue::String(s) => s.as_str(),
        _ => return None,
    };
    let why = match flag.as_str() {
        "--strategy" => value.parse::<Strategy>().err(),
        "--state" => value.parse::<State>().err(),
        "--change" => value.parse::<Change>().err(),
        "--builder" => value.parse::<BuilderKind>().err(),
        "--image-store" => value.parse::<ImageStore>().err(),
        "--registry-cache-output" => value.parse::<CacheOutput>().err(),
        "--gha-protocol" => value.parse::<GhaProtocol>().err(),
        "--cache-mode" => value.parse::<CacheMode>().err(),
        _ => None,
    }?;
    Some(format!("{flag}: {why}"))
}

#[cfg(test)]
mod tests;
