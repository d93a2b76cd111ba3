//! The results folder and the workload's identity, checked and computed before
//! anything runs: the default `results/<UTC>-<host>` folder, the check that OUT is
//! writable and holds no records (unless resuming), and the workload id that keeps
//! runs of different contexts apart.

use crate::config::options::Options;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The default results folder: `results/<UTC timestamp>-<host>`.
pub fn default_out() -> PathBuf {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    let host: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    PathBuf::from("results").join(format!(
        "{}-{host}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
    ))
}

/// Checks OUT before anything runs: creatable, writable, and not already holding
/// records (unless resuming).
pub fn check_out(out: &Path, resuming: bool) -> Result<()> {
    if out
        .join(crate::records::results_writer::RUNS_JSONL)
        .exists()
        && !resuming
    {
        return Err(Error::usage(format!(
            "--out: {} already holds runs; give a new folder, or --resume {} to continue it",
            out.display(),
            out.display()
        )));
    }
    std::fs::create_dir_all(out).map_err(|e| {
        Error::usage(format!(
            "--out: cannot create results folder {}: {e}; give a writable folder",
            out.display()
        ))
    })?;
    let probe = out.join(".cachebench-write-test");
    std::fs::write(&probe, b"").map_err(|e| {
        Error::usage(format!(
            "--out: cannot write in results folder {}: {e}; give a writable folder",
            out.display()
        ))
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// A stable identity of the workload: Dockerfile path, a hash of the context's
/// files, of the build args and of the change script, if any.
pub fn workload_id(o: &Options) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let mut files = Vec::new();
    collect_files(&o.context, &o.context, &mut files);
    files.sort();
    for rel in &files {
        h.update(rel.as_bytes());
        h.update([0]);
        if let Ok(b) = std::fs::read(o.context.join(rel)) {
            h.update(&b);
        }
        h.update([0]);
    }
    if o.dockerfile.is_absolute() {
        if let Ok(b) = std::fs::read(&o.dockerfile) {
            h.update(&b);
        }
    }
    for (k, v) in &o.build_args {
        h.update(format!("{k}={v}\n").as_bytes());
    }
    // A change script makes the changes: what it does is part of the workload.
    if let Some(script) = &o.change_script {
        h.update(b"change-script\0");
        h.update(std::fs::read(script).unwrap_or_default());
    }
    let name = o
        .context
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "context".into());
    format!(
        "{name}/{}@{}",
        o.dockerfile.display(),
        &crate::util::hex(&h.finalize())[..12]
    )
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => collect_files(root, &p, out),
            Ok(t) if t.is_file() => {
                if let Ok(rel) = p.strip_prefix(root) {
                    out.push(rel.to_string_lossy().into_owned());
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_with_records_is_refused_unless_resuming() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("runs.jsonl"), "").unwrap();
        assert!(check_out(d.path(), false).is_err());
        assert!(check_out(d.path(), true).is_ok());
    }
}
