//! The `[workload]` keys merged with their flags: the build context, the Dockerfile,
//! the files a change rewrites (all checked to exist inside the context) and the
//! build args (flags override by name).

use super::checks::Keys;
use crate::config::cli::RunArgs;
use crate::config::scenario::Scenario;
use crate::error::{Error, Result};
use std::path::{Component, Path, PathBuf};

/// The workload, merged and checked.
pub(super) struct WorkloadParts {
    pub context: PathBuf,
    pub dockerfile: PathBuf,
    pub build_args: Vec<(String, String)>,
    pub source_file: Option<PathBuf>,
    pub deps_file: Option<PathBuf>,
}

pub(super) fn merge(
    sc: &Scenario,
    args: &RunArgs,
    keys: &Keys,
    base_dir: &Path,
) -> Result<WorkloadParts> {
    // Context: the flag is relative to the working directory, the key to the file.
    let (context, context_src) = match (&args.context, &sc.workload.context) {
        (Some(c), _) => (c.clone(), "--context".to_string()),
        (None, Some(c)) => (
            base_dir.join(c.get_ref()),
            keys.at("workload.context", c.span()),
        ),
        (None, None) => {
            return Err(Error::usage(
                "no build context: give --context DIR or workload.context in a scenario file",
            ))
        }
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
        (None, Some(d)) => (
            d.get_ref().clone(),
            keys.at("workload.dockerfile", d.span()),
        ),
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
                .map(|p| (p.get_ref(), keys.at("workload.source_file", p.span())))),
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
                .map(|p| (p.get_ref(), keys.at("workload.deps_file", p.span())))),
    )?;

    // Build args: scenario first, flags override by key.
    let mut build_args: Vec<(String, String)> = Vec::new();
    for (i, (k, v)) in sc.workload.build_args.iter().enumerate() {
        let at = keys.at(&format!("workload.build_args.{k}"), v.span());
        check_build_arg(k, v.get_ref(), &at)
            .map_err(|e| Error::usage(format!("{e} (entry {i})")))?;
        build_args.push((k.clone(), v.get_ref().clone()));
    }
    for a in &args.build_args {
        let (k, v) = a.split_once('=').ok_or_else(|| {
            Error::usage(format!("--build-arg `{}`: expected K=V", a.escape_debug()))
        })?;
        check_build_arg(k, v, "--build-arg").map_err(Error::usage)?;
        build_args.retain(|(ek, _)| ek != k);
        build_args.push((k.to_string(), v.to_string()));
    }

    Ok(WorkloadParts {
        context,
        dockerfile,
        build_args,
        source_file,
        deps_file,
    })
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
