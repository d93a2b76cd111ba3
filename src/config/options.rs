//! Resolved options of a `run` or `plan`: the scenario file merged with the command
//! line (flags win), every name parsed and every path checked.
//!
//! Errors name where the bad value came from: `--strategy` or
//! `scenarios/x.toml: matrix.strategies[1]`, and what to do about it.

use crate::cli::RunArgs;
use crate::error::{Error, Result};
use crate::matrix::{BuilderKind, CacheOutput, Change, ImageStore, State, Strategy};
use crate::scenario::{self, LoadedScenario, Scenario};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// `auto`: moby/buildkit:buildx-stable-1 where present, else the highest
/// cachebench/buildkit:* (see [`crate::buildkit_image`]).
pub const DEFAULT_BUILDKIT_IMAGE: &str = crate::buildkit_image::AUTO;
pub const DEFAULT_SEED_IMAGE: &str = "local/busybox:latest";
pub const MAX_REPS: u32 = 1000;
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
    pub auto: Option<crate::config::reps::AutoSettings>,
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

    pub fn merge(loaded: Option<&LoadedScenario>, args: &RunArgs) -> Result<Options> {
        let empty = Scenario::default();
        let sc = loaded.map(|l| &l.scenario).unwrap_or(&empty);
        let file = loaded.map(|l| l.path.display().to_string());
        // Where a scenario key is named in errors.
        let text = loaded.map(|l| l.text.as_str()).unwrap_or("");
        let key = |k: &str| match (&file, scenario::line_of(text, k)) {
            (Some(f), Some(line)) => format!("{f}: line {line}: {k}"),
            (Some(f), None) => format!("{f}: {k}"),
            (None, _) => k.to_string(),
        };
        let base_dir = loaded
            .map(|l| l.dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from("."));

        // Context: the flag is relative to the working directory, the key to the file.
        let (context, context_src) =
            match (&args.context, &sc.workload.context) {
                (Some(c), _) => (c.clone(), "--context".to_string()),
                (None, Some(c)) => (base_dir.join(c), key("workload.context")),
                (None, None) => return Err(Error::usage(
                    "no build context: give --context DIR or workload.context in a scenario file",
                )),
            };
        let context = std::fs::canonicalize(&context).map_err(|e| {
            Error::usage(format!(
                "{context_src}: build context {} does not exist ({e}); give an existing folder",
                context.display()
            ))
        })?;
        if !context.is_dir() {
            return Err(Error::usage(format!(
                "{context_src}: build context {} is not a folder",
                context.display()
            )));
        }

        let (dockerfile, df_src) = match (&args.dockerfile, &sc.workload.dockerfile) {
            (Some(d), _) => (d.clone(), "--dockerfile".to_string()),
            (None, Some(d)) => (d.clone(), key("workload.dockerfile")),
            (None, None) => (PathBuf::from("Dockerfile"), "Dockerfile".to_string()),
        };
        let df_abs = if dockerfile.is_absolute() {
            dockerfile.clone()
        } else {
            if escapes(&dockerfile) {
                return Err(Error::usage(format!(
                    "{df_src}: {} leaves the build context; give a path inside {}",
                    dockerfile.display(),
                    context.display()
                )));
            }
            context.join(&dockerfile)
        };
        if !df_abs.is_file() {
            return Err(Error::usage(format!(
                "{df_src}: Dockerfile {} not found; give --dockerfile PATH (relative to the context)",
                df_abs.display()
            )));
        }

        let source_file = inside_file(
            &context,
            args.source_file
                .as_ref()
                .map(|p| (p, "--source-file".to_string()))
                .or(sc
                    .workload
                    .source_file
                    .as_ref()
                    .map(|p| (p, key("workload.source_file")))),
        )?;
        let deps_file = inside_file(
            &context,
            args.deps_file
                .as_ref()
                .map(|p| (p, "--deps-file".to_string()))
                .or(sc
                    .workload
                    .deps_file
                    .as_ref()
                    .map(|p| (p, key("workload.deps_file")))),
        )?;

        // Build args: scenario first, flags override by key.
        let mut build_args: Vec<(String, String)> = sc
            .workload
            .build_args
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (i, (k, v)) in build_args.iter().enumerate() {
            check_build_arg(k, v, &key(&format!("workload.build_args.{k}")))
                .map_err(|e| Error::usage(format!("{e} (entry {i})")))?;
        }
        for a in &args.build_args {
            let (k, v) = a.split_once('=').ok_or_else(|| {
                Error::usage(format!("--build-arg `{}`: expected K=V", a.escape_debug()))
            })?;
            check_build_arg(k, v, "--build-arg").map_err(Error::usage)?;
            build_args.retain(|(ek, _)| ek != k);
            build_args.push((k.to_string(), v.to_string()));
        }

        let strategies: Vec<Strategy> = names(
            &args.strategies,
            sc.matrix.strategies.as_ref(),
            "--strategy",
            &key("matrix.strategies"),
            Strategy::ALL,
        )?;
        let states: Vec<State> = names(
            &args.states,
            sc.matrix.states.as_ref(),
            "--state",
            &key("matrix.states"),
            State::ALL,
        )?;
        let changes: Vec<Change> = names(
            &args.changes,
            sc.matrix.changes.as_ref(),
            "--change",
            &key("matrix.changes"),
            &[Change::Source],
        )?;
        let builders: Vec<BuilderKind> = names(
            &args.builders,
            sc.matrix.builders.as_ref(),
            "--builder",
            &key("matrix.builders"),
            &[BuilderKind::Docker],
        )?;
        let image_stores_given = !args.image_stores.is_empty() || sc.matrix.image_stores.is_some();
        let image_stores: Vec<ImageStore> = names(
            &args.image_stores,
            sc.matrix.image_stores.as_ref(),
            "--image-store",
            &key("matrix.image_stores"),
            &[ImageStore::Containerd],
        )?;
        let container_strategies: Option<Vec<Strategy>> = match &sc.matrix.container_strategies {
            None => None,
            Some(l) => Some(names(
                &[],
                Some(l),
                "matrix.container_strategies",
                &key("matrix.container_strategies"),
                Strategy::ALL,
            )?),
        };
        if changes.contains(&Change::Source) && source_file.is_none() {
            return Err(Error::usage(
                "change `source` needs the file it rewrites: give --source-file PATH or workload.source_file",
            ));
        }
        if changes.contains(&Change::Deps) && deps_file.is_none() {
            return Err(Error::usage(
                "change `deps` needs the file it rewrites: give --deps-file PATH or workload.deps_file",
            ));
        }

        let given = crate::config::reps::Given {
            reps_flag: args.reps,
            reps_file: sc.run.reps.as_ref(),
            min_flag: args.min_reps,
            min_file: sc.run.min_reps,
            max_flag: args.max_reps,
            max_file: sc.run.max_reps,
            confidence_flag: args.confidence.as_deref(),
            confidence_file: sc.run.confidence,
            margin_flag: args.margin.as_deref(),
            margin_file: sc.run.margin,
        };
        let (reps_flag, reps_file, auto) = crate::config::reps::resolve(&given, &key, MAX_REPS)?;
        let reps = count(
            reps_flag,
            reps_file,
            "--reps",
            &key("run.reps"),
            1,
            MAX_REPS,
            3,
        )?;
        let warmup = count(
            args.warmup.map(i64::from),
            sc.run.warmup,
            "--warmup",
            &key("run.warmup"),
            0,
            MAX_WARMUP,
            0,
        )?;

        let timeout = match (&args.timeout, &sc.run.timeout) {
            (Some(t), _) => Some(parse_duration(t, "--timeout")?),
            (None, Some(t)) => Some(parse_duration(t, &key("run.timeout"))?),
            (None, None) => Some(Duration::from_secs(30 * 60)),
        };

        let registry_cache_output =
            match (&args.registry_cache_output, &sc.run.registry_cache_output) {
                (Some(v), _) => v
                    .parse()
                    .map_err(|e| Error::usage(format!("--registry-cache-output: {e}")))?,
                (None, Some(v)) => v.parse().map_err(|e| {
                    Error::usage(format!("{}: {e}", key("run.registry_cache_output")))
                })?,
                (None, None) => CacheOutput::Load,
            };

        let registry = args.registry.clone().or(sc.registry.address.clone());
        if let Some(r) = &registry {
            check_registry(r)
                .map_err(|e| Error::usage(format!("--registry / registry.address: {e}")))?;
        }
        let docker_host = args.docker_host.clone().or(sc.engine.docker_host.clone());
        let allow_prune = args.allow_prune || sc.engine.allow_prune.unwrap_or(false);
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
            crate::network::probe::check(u)
                .map_err(|e| Error::usage(format!("--egress-probe / engine.egress_probe: {e}")))?;
        }

        let out = args
            .out
            .clone()
            .or(sc.run.out.as_ref().map(|o| base_dir.join(o)));
        let scenario_name = sc
            .name
            .clone()
            .or_else(|| {
                loaded.and_then(|l| l.path.file_stem().map(|s| s.to_string_lossy().into_owned()))
            })
            .unwrap_or_else(|| "adhoc".to_string());
        if scenario_name.is_empty()
            || scenario_name.len() > 64
            || !scenario_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(Error::usage(format!(
                "{}: scenario name `{}` must be 1-64 characters of letters, digits, `-`, `_`, `.`",
                key("name"),
                scenario_name.escape_debug()
            )));
        }

        Ok(Options {
            scenario_name,
            scenario_path: loaded.map(|l| l.path.clone()),
            scenario_sha256: loaded.map(|l| l.sha256.clone()),
            context,
            dockerfile,
            build_args,
            source_file,
            deps_file,
            strategies,
            states,
            changes,
            builders,
            image_stores,
            image_stores_given,
            container_strategies,
            reps: auto.as_ref().map_or(reps, |a| a.max_reps),
            auto,
            warmup,
            out,
            registry,
            docker_host,
            allow_prune,
            buildkit_image,
            timeout,
            seed_images,
            egress_probe,
            registry_cache_output,
            resume: args.resume.clone(),
        })
    }
}

impl Options {
    /// The resolved scenario as TOML: every key with the value this run uses, so a
    /// results folder says exactly what ran (and `--resume` can tell if it changed).
    pub fn to_toml(&self) -> String {
        use crate::scenario::*;
        let sc = Scenario {
            name: Some(self.scenario_name.clone()),
            workload: Workload {
                context: Some(self.context.clone()),
                dockerfile: Some(self.dockerfile.clone()),
                source_file: self.source_file.clone(),
                deps_file: self.deps_file.clone(),
                build_args: self.build_args.iter().cloned().collect(),
            },
            matrix: Matrix {
                strategies: Some(self.strategies.iter().map(|s| s.to_string()).collect()),
                states: Some(self.states.iter().map(|s| s.to_string()).collect()),
                changes: Some(self.changes.iter().map(|s| s.to_string()).collect()),
                builders: Some(self.builders.iter().map(|s| s.to_string()).collect()),
                // On an engine cachebench does not own and no store named, the
                // engine's own store is used (env.json and the records say which).
                image_stores: (self.image_stores_given || self.docker_host.is_none())
                    .then(|| self.image_stores.iter().map(|s| s.to_string()).collect()),
                container_strategies: self
                    .container_strategies
                    .as_ref()
                    .map(|v| v.iter().map(|s| s.to_string()).collect()),
            },
            run: RunSection {
                reps: Some(match &self.auto {
                    Some(_) => crate::config::reps::RepsValue::Word("auto".into()),
                    None => crate::config::reps::RepsValue::Count(i64::from(self.reps)),
                }),
                min_reps: self.auto.as_ref().map(|a| i64::from(a.min_reps)),
                max_reps: self.auto.as_ref().map(|a| i64::from(a.max_reps)),
                confidence: self.auto.as_ref().map(|a| a.confidence),
                margin: self.auto.as_ref().map(|a| a.margin),
                warmup: Some(i64::from(self.warmup)),
                timeout: self
                    .timeout
                    .map(|t| humantime::format_duration(t).to_string()),
                out: self.out.clone(),
                registry_cache_output: Some(
                    match self.registry_cache_output {
                        CacheOutput::Load => "load",
                        CacheOutput::Push => "push",
                    }
                    .into(),
                ),
            },
            engine: EngineSection {
                docker_host: self.docker_host.clone(),
                allow_prune: Some(self.allow_prune),
                buildkit_image: Some(self.buildkit_image.clone()),
                seed_images: Some(self.seed_images.clone()),
                egress_probe: self.egress_probe.clone(),
            },
            registry: RegistrySection {
                address: self.registry.clone(),
            },
        };
        let mut s = String::from("# the resolved scenario of this run, written by cachebench\n");
        s.push_str(&toml::to_string(&sc).unwrap_or_default());
        s
    }
}

/// True when a relative path is absolute or climbs out with `..`.
fn escapes(p: &Path) -> bool {
    p.is_absolute()
        || p.components().any(|c| {
            matches!(
                c,
                Component::ParentDir | Component::RootDir | Component::Prefix(_)
            )
        })
}

fn inside_file(context: &Path, given: Option<(&PathBuf, String)>) -> Result<Option<PathBuf>> {
    let Some((p, src)) = given else {
        return Ok(None);
    };
    if escapes(p) {
        return Err(Error::usage(format!(
            "{src}: {} must be a relative path inside the build context, without `..`",
            p.display()
        )));
    }
    let abs = context.join(p);
    if !abs.is_file() {
        return Err(Error::usage(format!(
            "{src}: {} is not a file in the build context {}",
            p.display(),
            context.display()
        )));
    }
    Ok(Some(p.clone()))
}

fn check_build_arg(k: &str, v: &str, src: &str) -> std::result::Result<(), String> {
    if k.is_empty()
        || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        || k.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(format!(
            "{src}: build arg name `{}` must be letters, digits and `_`",
            k.escape_debug()
        ));
    }
    if v.contains(['\n', '\r', '\0']) {
        return Err(format!(
            "{src}: build arg {k} contains a newline or NUL; give a single-line value"
        ));
    }
    Ok(())
}

/// A registry address HOST[:PORT][/PREFIX]: no scheme, no spaces, no tag.
fn check_registry(r: &str) -> std::result::Result<(), String> {
    if r.contains("://") {
        return Err(format!(
            "`{}`: give HOST[:PORT][/PREFIX] without a scheme",
            r.escape_debug()
        ));
    }
    if r.is_empty()
        || !r
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:".contains(c))
        || r.ends_with('/')
    {
        return Err(format!(
            "`{}` is not a registry address HOST[:PORT][/PREFIX]",
            r.escape_debug()
        ));
    }
    Ok(())
}

fn check_ref(r: &str) -> std::result::Result<(), String> {
    if r.is_empty()
        || r.starts_with('-')
        || !r
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@".contains(c))
    {
        return Err(format!("`{}` is not an image reference", r.escape_debug()));
    }
    Ok(())
}

/// Parses names from flags (which win) or a scenario list, refusing duplicates.
fn names<T: std::str::FromStr<Err = String> + PartialEq + Copy + std::fmt::Display>(
    flags: &[String],
    from_file: Option<&Vec<String>>,
    flag: &str,
    file_key: &str,
    default: &[T],
) -> Result<Vec<T>> {
    let (list, is_flag): (Vec<String>, bool) = if !flags.is_empty() {
        (flags.to_vec(), true)
    } else if let Some(l) = from_file {
        (l.clone(), false)
    } else {
        return Ok(default.to_vec());
    };
    if list.is_empty() {
        return Err(Error::usage(format!(
            "{file_key}: the list is empty; name at least one"
        )));
    }
    let mut out: Vec<T> = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let at = if is_flag {
            flag.to_string()
        } else {
            format!("{file_key}[{i}]")
        };
        let v: T = s.parse().map_err(|e| Error::usage(format!("{at}: {e}")))?;
        if out.contains(&v) {
            return Err(Error::usage(format!(
                "{at}: `{v}` is given twice; name it once"
            )));
        }
        out.push(v);
    }
    Ok(out)
}

fn count(
    flag: Option<i64>,
    file: Option<i64>,
    flag_name: &str,
    file_key: &str,
    min: u32,
    max: u32,
    default: u32,
) -> Result<u32> {
    let (v, src) = match (flag, file) {
        (Some(v), _) => (v, flag_name),
        (None, Some(v)) => (v, file_key),
        (None, None) => return Ok(default),
    };
    if v < i64::from(min) || v > i64::from(max) {
        return Err(Error::usage(format!(
            "{src}: {v} is out of range; give a whole number from {min} to {max}"
        )));
    }
    Ok(v as u32)
}

fn parse_duration(s: &str, src: &str) -> Result<Duration> {
    let d = humantime::parse_duration(s).map_err(|e| {
        Error::usage(format!(
            "{src}: `{}` is not a duration ({e}); write for example 90s or 10m",
            s.escape_debug()
        ))
    })?;
    if d.is_zero() || d > Duration::from_secs(24 * 3600) {
        return Err(Error::usage(format!(
            "{src}: {s} is out of range; give a duration from 1s to 24h"
        )));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::create_dir(d.path().join("src")).unwrap();
        std::fs::write(d.path().join("src/a.txt"), "a").unwrap();
        std::fs::write(d.path().join("deps.txt"), "d").unwrap();
        d
    }

    fn args(ctx: &Path) -> RunArgs {
        RunArgs {
            context: Some(ctx.to_path_buf()),
            source_file: Some("src/a.txt".into()),
            ..Default::default()
        }
    }

    #[test]
    fn defaults() {
        let d = ctx();
        let o = Options::merge(None, &args(d.path())).unwrap();
        assert_eq!(o.strategies, Strategy::ALL.to_vec());
        assert_eq!(o.states, State::ALL.to_vec());
        assert_eq!(o.changes, vec![Change::Source]);
        assert_eq!(o.image_stores, vec![ImageStore::Containerd]);
        assert!(!o.image_stores_given);
        assert_eq!(o.reps, 3);
        assert_eq!(o.scenario_name, "adhoc");
    }

    #[test]
    fn unknown_strategy_names_the_flag() {
        let d = ctx();
        let mut a = args(d.path());
        a.strategies = vec!["buildkit".into(), "turbo".into()];
        let e = Options::merge(None, &a).unwrap_err().to_string();
        assert!(e.starts_with("--strategy: unknown strategy `turbo`"), "{e}");
    }

    #[test]
    fn duplicate_strategy_is_refused() {
        let d = ctx();
        let mut a = args(d.path());
        a.strategies = vec!["push".into(), "push".into()];
        let e = Options::merge(None, &a).unwrap_err().to_string();
        assert!(e.contains("given twice"), "{e}");
    }

    #[test]
    fn missing_context_and_dockerfile() {
        let d = ctx();
        let mut a = args(&d.path().join("nope"));
        let e = Options::merge(None, &a).unwrap_err().to_string();
        assert!(e.starts_with("--context: build context"), "{e}");
        a = args(d.path());
        a.dockerfile = Some("Other.Dockerfile".into());
        let e = Options::merge(None, &a).unwrap_err().to_string();
        assert!(e.starts_with("--dockerfile: Dockerfile"), "{e}");
    }

    #[test]
    fn paths_escaping_the_context_are_refused() {
        let d = ctx();
        let mut a = args(d.path());
        a.source_file = Some("../etc/passwd".into());
        let e = Options::merge(None, &a).unwrap_err().to_string();
        assert!(e.contains("without `..`"), "{e}");
        a.source_file = Some("/etc/passwd".into());
        assert!(Options::merge(None, &a).is_err());
        a = args(d.path());
        a.dockerfile = Some("../Dockerfile".into());
        assert!(Options::merge(None, &a).is_err());
    }

    #[test]
    fn build_args_are_checked_and_flags_override() {
        let d = ctx();
        let mut a = args(d.path());
        a.build_args = vec!["A=1".into(), "A=2".into()];
        let o = Options::merge(None, &a).unwrap();
        assert_eq!(o.build_args, vec![("A".into(), "2".into())]);
        a.build_args = vec!["NOEQUALS".into()];
        assert!(Options::merge(None, &a).is_err());
        a.build_args = vec!["A=x\ny".into()];
        let e = Options::merge(None, &a).unwrap_err().to_string();
        assert!(e.contains("newline"), "{e}");
        a.build_args = vec!["A B=1".into()];
        assert!(Options::merge(None, &a).is_err());
    }

    #[test]
    fn scenario_keys_are_named_in_errors() {
        let d = ctx();
        let path = d.path().join("s.toml");
        std::fs::write(
            &path,
            "[workload]\ncontext = \".\"\nsource_file = \"src/a.txt\"\n[matrix]\nstates = [\"cold\", \"hot\"]\n",
        )
        .unwrap();
        let e = Options::resolve(Some(&path), &RunArgs::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("s.toml: line 5: matrix.states[1]: unknown state `hot`"),
            "{e}"
        );
        std::fs::write(
            &path,
            "[workload]\ncontext = \".\"\nsource_file = \"src/a.txt\"\n[run]\nreps = -1\n",
        )
        .unwrap();
        let e = Options::resolve(Some(&path), &RunArgs::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("run.reps: -1 is out of range"), "{e}");
        std::fs::write(
            &path,
            "[workload]\ncontext = \".\"\nsource_file = \"src/a.txt\"\n[run]\nreps = 99999999999\n",
        )
        .unwrap();
        assert!(Options::resolve(Some(&path), &RunArgs::default()).is_err());
    }

    #[test]
    fn image_stores_from_flags_and_file() {
        let d = ctx();
        let mut a = args(d.path());
        a.image_stores = vec!["classic".into(), "containerd".into()];
        let o = Options::merge(None, &a).unwrap();
        assert_eq!(
            o.image_stores,
            vec![ImageStore::Classic, ImageStore::Containerd]
        );
        assert!(o.image_stores_given);
        assert!(o
            .to_toml()
            .contains("image_stores = [\"classic\", \"containerd\"]"));
        a.image_stores = vec!["btrfs".into()];
        let e = Options::merge(None, &a).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "--image-store: unknown image store `btrfs`; expected one of: containerd, classic"
            ),
            "{e}"
        );
        let path = d.path().join("s.toml");
        std::fs::write(
            &path,
            "[workload]\ncontext = \".\"\nsource_file = \"src/a.txt\"\n[matrix]\nimage_stores = [\"classic\", \"zfs\"]\n",
        )
        .unwrap();
        let e = Options::resolve(Some(&path), &RunArgs::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("s.toml: line 5: matrix.image_stores[1]: unknown image store `zfs`"),
            "{e}"
        );
    }

    #[test]
    fn change_needs_its_file() {
        let d = ctx();
        let mut a = args(d.path());
        a.changes = vec!["deps".into()];
        let e = Options::merge(None, &a).unwrap_err().to_string();
        assert!(e.contains("--deps-file"), "{e}");
    }

    #[test]
    fn bad_timeout_and_registry() {
        let d = ctx();
        let mut a = args(d.path());
        a.timeout = Some("soon".into());
        assert!(Options::merge(None, &a)
            .unwrap_err()
            .to_string()
            .starts_with("--timeout"));
        a = args(d.path());
        a.registry = Some("https://x".into());
        assert!(Options::merge(None, &a).is_err());
    }

    #[test]
    fn container_strategies_limit_docker_container_cells() {
        let d = ctx();
        let path = d.path().join("s.toml");
        let base = "[workload]\ncontext = \".\"\nsource_file = \"src/a.txt\"\n[matrix]\nstrategies = [\"legacy\", \"buildkit\", \"push\"]\nstates = [\"cold\"]\nbuilders = [\"docker\", \"docker-container\"]\n";
        std::fs::write(
            &path,
            format!("{base}container_strategies = [\"buildkit\", \"turbo\"]\n"),
        )
        .unwrap();
        let e = Options::resolve(Some(&path), &RunArgs::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("matrix.container_strategies[1]: unknown strategy `turbo`"),
            "{e}"
        );
        std::fs::write(
            &path,
            format!("{base}container_strategies = [\"buildkit\"]\n"),
        )
        .unwrap();
        let o = Options::resolve(Some(&path), &RunArgs::default()).unwrap();
        let cells = crate::plan::expand(&o, &crate::plan::Facts::default());
        let dc: Vec<String> = cells
            .iter()
            .filter(|c| c.builder == BuilderKind::DockerContainer)
            .map(|c| c.strategy.to_string())
            .collect();
        assert_eq!(dc, ["buildkit"]);
        assert_eq!(cells.len(), 4);
        assert!(o
            .to_toml()
            .contains("container_strategies = [\"buildkit\"]"));
    }
}
