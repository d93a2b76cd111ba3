//! Command-line interface: the clap definitions of every subcommand and flag.
//!
//! Everything a scenario file can say can also be said here (`RunArgs`), so a team
//! can point cachebench at its own project without writing a file. Flags override
//! the scenario file; see [`crate::options`] for how the two are merged.

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
130/143 interrupted by SIGINT/SIGTERM."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a benchmark matrix and write its records (and report) to OUT.
    Run(RunCmd),
    /// Print the expanded matrix and the exact docker commands of each cell; runs nothing.
    Plan(RunCmd),
    /// Say what is present and what is missing, each with the command that fixes it.
    Doctor(DoctorCmd),
    /// Re-render statistics, charts and reports of a results folder from its records.
    Report(ReportCmd),
    /// Compare two results folders cell by cell (exit 1 on a regression).
    Compare(CompareCmd),
    /// Remove what runs killed outright (SIGKILL) left in $TMPDIR: their dockerd,
    /// registry, bridge, firewall rules and work folder. Live runs are left alone.
    Clean(CleanCmd),
}

#[derive(Debug, Args)]
pub struct RunCmd {
    /// Scenario file (TOML). Flags given here override its keys.
    pub scenario: Option<PathBuf>,
    #[command(flatten)]
    pub args: RunArgs,
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
    /// Strategy to run (repeatable): legacy, buildkit, load-push, push, registry-cache,
    /// local-cache, inline-cache, gha-cache, layer-cache.
    #[arg(long = "strategy", value_name = "NAME")]
    pub strategies: Vec<String>,
    /// State to run (repeatable): cold, warm-local, warm-remote.
    #[arg(long = "state", value_name = "NAME")]
    pub states: Vec<String>,
    /// Change since the warming build (repeatable): none, source, deps.
    #[arg(long = "change", value_name = "none|source|deps")]
    pub changes: Vec<String>,
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
    /// With --reps auto: confidence of a verdict, e.g. 0.95 or 95% [default 0.95].
    #[arg(long, value_name = "P")]
    pub confidence: Option<String>,
    /// With --reps auto: a tie's margin, e.g. 3% or 0.03 [default 3%].
    #[arg(long, value_name = "P")]
    pub margin: Option<String>,
    /// Warm-up runs per cell (recorded, never counted in statistics).
    #[arg(long, value_name = "N")]
    pub warmup: Option<u32>,
    /// Results folder [default: results/<UTC timestamp>-<host>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Use an existing registry (HOST[:PORT][/PREFIX]) instead of starting one.
    #[arg(long, value_name = "HOST[:PORT][/PREFIX]")]
    pub registry: Option<String>,
    /// Use an existing engine instead of starting cachebench's own.
    #[arg(long, value_name = "URL")]
    pub docker_host: Option<String>,
    /// Allow emptying the build cache of the engine given by --docker-host.
    #[arg(long)]
    pub allow_prune: bool,
    /// Builder driver (repeatable): docker, docker-container.
    #[arg(long = "builder", value_name = "docker|docker-container")]
    pub builders: Vec<String>,
    /// Image store of cachebench's own engine (repeatable): containerd, classic
    /// [default: containerd; with --docker-host, the engine's own].
    #[arg(long = "image-store", value_name = "containerd|classic")]
    pub image_stores: Vec<String>,
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
    /// Export of the registry-cache strategy: load (then nothing) or push.
    #[arg(long, value_name = "load|push")]
    pub registry_cache_output: Option<String>,
    /// Continue the matrix of an earlier, unfinished results folder.
    #[arg(long, value_name = "OUT")]
    pub resume: Option<PathBuf>,
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
