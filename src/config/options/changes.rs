//! The changes of the workload, checked before anything runs: `--change-script`
//! (`workload.change_script`, relative to the scenario file) must be an executable
//! file; without one, every file a `source` or `deps` change of the matrix edits
//! must be of a kind [`crate::config::change_syntax`] can change and keep valid,
//! or the run and the plan are refused naming the flag or key and the fix.

use super::checks::Keys;
use super::workload::WorkloadParts;
use crate::config::change_syntax;
use crate::config::cli::RunArgs;
use crate::config::matrix::Change;
use crate::config::scenario::Scenario;
use crate::error::{Error, Result};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The change script (absolute), after checking it, or the files the changes edit.
pub(super) fn merge(
    sc: &Scenario,
    args: &RunArgs,
    keys: &Keys,
    base_dir: &Path,
    w: &WorkloadParts,
    changes: &[Change],
) -> Result<Option<PathBuf>> {
    // The flag is relative to the working directory, the key to the file.
    let script = match (&args.change_script, &sc.workload.change_script) {
        (Some(p), _) => Some((p.clone(), "--change-script".to_string())),
        (None, Some(p)) => Some((
            base_dir.join(p.get_ref()),
            keys.at("workload.change_script", p.span()),
        )),
        (None, None) => None,
    };
    if let Some((path, from)) = script {
        return executable(&path, &from).map(Some);
    }
    for change in changes {
        let (file, flag, key, value) = match change {
            Change::None => continue,
            Change::Source => (
                &w.source_file,
                "--source-file",
                "workload.source_file",
                &sc.workload.source_file,
            ),
            Change::Deps => (
                &w.deps_file,
                "--deps-file",
                "workload.deps_file",
                &sc.workload.deps_file,
            ),
        };
        let Some(file) = file else { continue };
        let from_flag = match change {
            Change::Source => args.source_file.is_some(),
            _ => args.deps_file.is_some(),
        };
        let (origin, named, script_name) = if from_flag {
            (flag.to_string(), flag, "--change-script")
        } else {
            (keys.of(key, value), key, "workload.change_script")
        };
        let abs = w.context.join(file);
        let content = std::fs::read(&abs)
            .map_err(|e| Error::usage(format!("{origin}: cannot read {}: {e}", abs.display())))?;
        if let Err(r) = change_syntax::syntax_of(file, &content) {
            return Err(Error::usage(format!(
                "{origin}: {}",
                change_syntax::refusal_text(&r, file, named, script_name)
            )));
        }
    }
    Ok(None)
}

/// `path` made absolute, when it is an executable file.
fn executable(path: &Path, from: &str) -> Result<PathBuf> {
    let abs = std::fs::canonicalize(path).map_err(|e| {
        Error::usage(format!(
            "{from}: change script {} does not exist ({e}); give the path of an executable",
            path.display()
        ))
    })?;
    let meta = std::fs::metadata(&abs)
        .map_err(|e| Error::usage(format!("{from}: cannot read {}: {e}", abs.display())))?;
    if !meta.is_file() {
        return Err(Error::usage(format!(
            "{from}: change script {} is not a file",
            abs.display()
        )));
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err(Error::usage(format!(
            "{from}: change script {} is not executable; run chmod +x {} (and give it a #! line)",
            abs.display(),
            abs.display()
        )));
    }
    Ok(abs)
}

#[cfg(test)]
mod tests;
