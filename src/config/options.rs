//! Resolved options of a `run` or `plan`: the scenario file merged with the command
//! line (flags win), every name parsed and every path checked.
//!
//! The merge goes section by section: the workload (`options/workload.rs`: context,
//! Dockerfile, changed files, build args), the matrix axes (`options/axes.rs`), the
//! changes (`options/changes.rs`: the change script, or files of a kind a change
//! keeps valid), the cache mode and prices (`options/cache_cost.rs`), and the run
//! and engine keys here; `options/checks.rs` holds the value checks they share and
//! `options/resolved_toml.rs` the resolved scenario written to OUT.
//!
//! Errors name where the bad value came from: `--strategy` or
//! `scenarios/x.toml: matrix.strategies[1]`, and what to do about it.

use crate::config::cli::RunArgs;
use crate::config::matrix::{
    BuilderKind, CacheOutput, Change, GhaProtocol, ImageStore, State, Strategy,
};
use crate::config::scenario::{self, LoadedScenario, Scenario};
use crate::error::{Error, Result};
use checks::{check_egress_probe, check_ref, check_registry, count, parse_duration, Keys};
use std::path::{Path, PathBuf};
use std::time::Duration;
mod axes;
mod cache_cost;
mod changes;
mod checks;
mod resolved_toml;
mod workload;

/// `auto`: moby/buildkit:buildx-stable-1 where present, else the highest
/// cachebench/buildkit:* (resolved by `infra/buildkit_image.rs`).
pub const DEFAULT_BUILDKIT_IMAGE: &str = "auto";
pub const DEFAULT_SEED_IMAGE: &str = "local/busybox:latest";
pub const MAX_REPS: u32 = 1000;
/// `--disturbed-share`'s default: a run that lost more than 10% of the CPU it
/// wanted to the hypervisor is disturbed, not a sample. The same 10% above which
/// the terminal and the report speak of stolen CPU
/// (`records::record::STOLEN_WARN_SHARE`).
pub const DEFAULT_DISTURBED_SHARE: f64 = 0.10;
pub const MAX_WARMUP: u32 = 100;

/// Everything a run needs to know, validated.
#[derive(Debug, Clone)]
pub struct Options {
    pub scenario_name: String,
    /// The scenario file, when one was given.
    pub scenario_path: Option<PathBuf>,
    pub scenario_sha256: Option<String>,
    /// Absolute path of the user's context (never modified).
    pub context: PathBuf,
    /// Dockerfile relative to the context (or absolute, outside it).
    pub dockerfile: PathBuf,
    pub build_args: Vec<(String, String)>,
    /// Relative to the context.
    pub source_file: Option<PathBuf>,
    /// Relative to the context.
    pub deps_file: Option<PathBuf>,
    /// `--change-script`: the executable that makes each change (absolute), when
    /// cachebench does not.
    pub change_script: Option<PathBuf>,
    pub strategies: Vec<Strategy>,
    pub states: Vec<State>,
    pub changes: Vec<Change>,
    pub builders: Vec<BuilderKind>,
    /// Image stores to run on, in order (all cells of one store run together).
    pub image_stores: Vec<ImageStore>,
    /// False when no store was named: then an engine cachebench does not own is
    /// used with whichever store it has.
    pub image_stores_given: bool,
    /// Of `strategies`, those run on docker-container builders
    /// (`matrix.container_strategies`; `None`: all of them).
    pub container_strategies: Option<Vec<Strategy>>,
    /// Measured runs per cell (with `--reps auto`: at most, `max_reps`).
    pub reps: u32,
    /// `--reps auto`: its settings.
    pub auto: Option<crate::stats::sequential::StopRule>,
    /// The change mix the Decision weighs changes by (`--change-mix`,
    /// `run.change_mix`).
    pub change_mix: std::collections::BTreeMap<String, f64>,
    /// Above this share of its CPU lost to the hypervisor a measured run is
    /// disturbed, not a sample (`--disturbed-share`, `run.disturbed_share`).
    pub disturbed_share: f64,
    pub warmup: u32,
    pub out: Option<PathBuf>,
    pub registry: Option<String>,
    pub docker_host: Option<String>,
    pub allow_prune: bool,
    pub buildkit_image: String,
    pub timeout: Option<Duration>,
    pub seed_images: Vec<String>,
    /// `--egress-probe`: a URL, `none`, or unset (the machine's Debian archive).
    pub egress_probe: Option<String>,
    pub registry_cache_output: CacheOutput,
    pub resume: Option<PathBuf>,
    /// The link axis (`--link`, `matrix.links`), in order; canonical names once
    /// [`Options::canonical_links`] ran.
    pub links: Vec<crate::config::matrix::LinkValue>,
    /// local-cache's `-new` rotation (`--local-cache-rotate`, `run.local_cache_rotate`).
    pub local_cache_rotate: bool,
    /// The gha cache stand-in's protocol (`--gha-protocol`, `run.gha_protocol`).
    pub gha_protocol: GhaProtocol,
    /// `--cache-mode` / `run.cache_mode`: what registry-cache, local-cache and
    /// gha-cache export (`max` by default).
    pub cache_mode: crate::config::matrix::CacheMode,
    /// `[cost]`: the prices of the optional cost estimate; `None`, no estimate.
    pub prices: Option<crate::config::cost::Prices>,
}

impl Options {
    /// Reads the scenario (if any) and merges the flags over it.
    pub fn resolve(scenario_path: Option<&Path>, args: &RunArgs) -> Result<Options> {
        let loaded = match scenario_path {
            Some(p) => Some(scenario::load(p)?),
            None => None,
        };
        Self::merge(loaded.as_ref(), args)
    }

    /// Merges the flags over a loaded scenario (or over nothing), section by section.
    pub fn merge(loaded: Option<&LoadedScenario>, args: &RunArgs) -> Result<Options> {
        let empty = Scenario::default();
        let sc = loaded.map(|l| &l.scenario).unwrap_or(&empty);
        let keys = Keys::new(loaded);
        let base_dir = loaded
            .map(|l| l.dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from("."));
        let w = workload::merge(sc, args, &keys, &base_dir)?;
        let a = axes::merge(sc, args, &keys)?;
        if a.changes.contains(&Change::Source) && w.source_file.is_none() {
            return Err(Error::usage(
                "change `source` needs the file it rewrites: give --source-file PATH or workload.source_file",
            ));
        }
        if a.changes.contains(&Change::Deps) && w.deps_file.is_none() {
            return Err(Error::usage(
                "change `deps` needs the file it rewrites: give --deps-file PATH or workload.deps_file",
            ));
        }
        let change_script = changes::merge(sc, args, &keys, &base_dir, &w, &a.changes)?;
        let r = run_section(sc, args, &keys, &base_dir)?;
        let e = engine_section(sc, args)?;
        Ok(Options {
            scenario_name: scenario_name(sc, loaded, &keys)?,
            scenario_path: loaded.map(|l| l.path.clone()),
            scenario_sha256: loaded.map(|l| l.sha256.clone()),
            context: w.context,
            dockerfile: w.dockerfile,
            build_args: w.build_args,
            source_file: w.source_file,
            deps_file: w.deps_file,
            change_script,
            strategies: a.strategies,
            states: a.states,
            changes: a.changes,
            builders: a.builders,
            image_stores: a.image_stores,
            image_stores_given: a.image_stores_given,
            container_strategies: a.container_strategies,
            reps: r.reps,
            auto: r.auto,
            change_mix: r.change_mix,
            disturbed_share: r.disturbed_share,
            warmup: r.warmup,
            out: r.out,
            registry: e.registry,
            docker_host: e.docker_host,
            allow_prune: e.allow_prune,
            buildkit_image: e.buildkit_image,
            timeout: r.timeout,
            seed_images: e.seed_images,
            egress_probe: e.egress_probe,
            registry_cache_output: r.registry_cache_output,
            resume: args.resume.clone(),
            links: a.links,
            local_cache_rotate: r.local_cache_rotate,
            gha_protocol: r.gha_protocol,
            cache_mode: cache_cost::cache_mode(sc, args, &keys)?,
            prices: cache_cost::prices(sc, &keys)?,
        })
    }
}

/// The `[run]` keys, merged.
struct RunParts {
    reps: u32,
    auto: Option<crate::stats::sequential::StopRule>,
    change_mix: std::collections::BTreeMap<String, f64>,
    disturbed_share: f64,
    warmup: u32,
    timeout: Option<Duration>,
    out: Option<PathBuf>,
    registry_cache_output: CacheOutput,
    local_cache_rotate: bool,
    gha_protocol: GhaProtocol,
}

fn run_section(sc: &Scenario, args: &RunArgs, keys: &Keys, base_dir: &Path) -> Result<RunParts> {
    let run = &sc.run;
    let key = |k: &str| match k {
        "run.reps" => keys.of(k, &run.reps),
        "run.min_reps" => keys.of(k, &run.min_reps),
        "run.max_reps" => keys.of(k, &run.max_reps),
        "run.confidence" => keys.of(k, &run.confidence),
        "run.margin_floor" => keys.of(k, &run.margin_floor),
        _ => keys.of(k, &run.margin),
    };
    let given = crate::config::reps::Given {
        reps_flag: args.reps,
        reps_file: run.reps.as_ref().map(|v| v.get_ref()),
        min_flag: args.min_reps,
        min_file: run.min_reps.as_ref().map(|v| *v.get_ref()),
        max_flag: args.max_reps,
        max_file: run.max_reps.as_ref().map(|v| *v.get_ref()),
        confidence_flag: args.confidence,
        confidence_file: run.confidence.as_ref().map(|v| *v.get_ref()),
        margin_flag: args.margin,
        margin_file: run.margin.as_ref().map(|v| *v.get_ref()),
        floor_flag: args.margin_floor,
        floor_file: run.margin_floor.as_ref().map(|v| v.get_ref().as_str()),
        no_race_flag: args.no_race,
        race_file: run.race.as_ref().map(|v| *v.get_ref()),
    };
    let (reps_flag, reps_file, auto) = crate::config::reps::resolve(&given, &key, MAX_REPS)?;
    let reps = count(
        reps_flag,
        reps_file,
        "--reps",
        &keys.of("run.reps", &sc.run.reps),
        1,
        MAX_REPS,
        3,
    )?;
    let warmup = count(
        args.warmup.map(i64::from),
        sc.run.warmup.as_ref().map(|v| *v.get_ref()),
        "--warmup",
        &keys.of("run.warmup", &sc.run.warmup),
        0,
        MAX_WARMUP,
        0,
    )?;
    let timeout = match (&args.timeout, &sc.run.timeout) {
        (Some(t), _) => Some(parse_duration(t, "--timeout")?),
        (None, Some(t)) => Some(parse_duration(
            t.get_ref(),
            &keys.at("run.timeout", t.span()),
        )?),
        (None, None) => Some(Duration::from_secs(30 * 60)),
    };
    let registry_cache_output = match (&args.registry_cache_output, &sc.run.registry_cache_output) {
        (Some(v), _) => *v,
        (None, Some(v)) => v.get_ref().parse().map_err(|e| {
            Error::usage(format!(
                "{}: {e}",
                keys.at("run.registry_cache_output", v.span())
            ))
        })?,
        (None, None) => CacheOutput::Load,
    };
    let local_cache_rotate = args
        .local_cache_rotate
        .map(|v| v.is_on())
        .or(sc.run.local_cache_rotate)
        .unwrap_or(true);
    let gha_protocol = match (&args.gha_protocol, &sc.run.gha_protocol) {
        (Some(v), _) => *v,
        (None, Some(v)) => v
            .get_ref()
            .parse()
            .map_err(|e| Error::usage(format!("{}: {e}", keys.at("run.gha_protocol", v.span()))))?,
        (None, None) => GhaProtocol::Auto,
    };
    let out = args
        .out
        .clone()
        .or(sc.run.out.as_ref().map(|o| base_dir.join(o)));
    let change_mix = match (&args.change_mix, &sc.run.change_mix) {
        (Some(m), _) => crate::config::change_mix::parse_mix(m, "--change-mix")?,
        (None, Some(m)) => {
            crate::config::change_mix::parse_mix(m.get_ref(), &keys.at("run.change_mix", m.span()))?
        }
        (None, None) => crate::config::change_mix::default_mix(),
    };
    let disturbed_share = disturbed_share(args.disturbed_share, &sc.run.disturbed_share, keys)?;
    Ok(RunParts {
        reps: auto.as_ref().map_or(reps, |a| a.max_reps),
        auto,
        change_mix,
        disturbed_share,
        warmup,
        timeout,
        out,
        registry_cache_output,
        local_cache_rotate,
        gha_protocol,
    })
}

/// `--disturbed-share` over `run.disturbed_share`: a share in (0, 1], 0.10 by
/// default ([`DEFAULT_DISTURBED_SHARE`]).
fn disturbed_share(
    flag: Option<f64>,
    file: &Option<toml::Spanned<f64>>,
    keys: &Keys,
) -> Result<f64> {
    let (value, source) = match (flag, file) {
        (Some(v), _) => (v, "--disturbed-share".to_string()),
        (None, Some(v)) => (*v.get_ref(), keys.at("run.disturbed_share", v.span())),
        (None, None) => return Ok(DEFAULT_DISTURBED_SHARE),
    };
    if value > 0.0 && value <= 1.0 {
        Ok(value)
    } else {
        Err(Error::usage(format!(
            "{source}: {value} is out of range; give the share of its CPU a run may lose to the hypervisor and still count, above 0 and at most 1, e.g. 0.10 (1 counts every run)"
        )))
    }
}

/// The `[engine]` and `[registry]` keys, merged.
struct EngineParts {
    registry: Option<String>,
    docker_host: Option<String>,
    allow_prune: bool,
    buildkit_image: String,
    seed_images: Vec<String>,
    egress_probe: Option<String>,
}

fn engine_section(sc: &Scenario, args: &RunArgs) -> Result<EngineParts> {
    let registry = args.registry.clone().or(sc.registry.address.clone());
    if let Some(r) = &registry {
        check_registry(r)
            .map_err(|e| Error::usage(format!("--registry / registry.address: {e}")))?;
    }
    let buildkit_image = args
        .buildkit_image
        .clone()
        .or(sc.engine.buildkit_image.clone())
        .unwrap_or_else(|| DEFAULT_BUILDKIT_IMAGE.to_string());
    let seed_images = if !args.seed_images.is_empty() {
        args.seed_images.clone()
    } else {
        sc.engine
            .seed_images
            .clone()
            .unwrap_or_else(|| vec![DEFAULT_SEED_IMAGE.to_string()])
    };
    for s in &seed_images {
        check_ref(s).map_err(|e| Error::usage(format!("seed image: {e}")))?;
    }
    let egress_probe = args.egress_probe.clone().or(sc.engine.egress_probe.clone());
    if let Some(u) = &egress_probe {
        check_egress_probe(u)
            .map_err(|e| Error::usage(format!("--egress-probe / engine.egress_probe: {e}")))?;
    }
    Ok(EngineParts {
        registry,
        docker_host: args.docker_host.clone().or(sc.engine.docker_host.clone()),
        allow_prune: args.allow_prune || sc.engine.allow_prune.unwrap_or(false),
        buildkit_image,
        seed_images,
        egress_probe,
    })
}

/// The scenario's name: `name`, else the file stem, else `adhoc`.
fn scenario_name(sc: &Scenario, loaded: Option<&LoadedScenario>, keys: &Keys) -> Result<String> {
    let name = sc
        .name
        .as_ref()
        .map(|n| n.get_ref().clone())
        .or_else(|| {
            loaded.and_then(|l| l.path.file_stem().map(|s| s.to_string_lossy().into_owned()))
        })
        .unwrap_or_else(|| "adhoc".to_string());
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(Error::usage(format!(
            "{}: scenario name `{}` must be 1-64 characters of letters, digits, `-`, `_`, `.`",
            keys.of("name", &sc.name),
            name.escape_debug()
        )));
    }
    Ok(name)
}

#[cfg(test)]
mod tests;
