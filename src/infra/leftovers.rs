//! Leftovers of runs killed outright (SIGKILL, an OOM killer, a cancelled CI job),
//! which no teardown ran for.
//!
//! Every work folder `$TMPDIR/cachebench-XXXXXX` carries `owner.pid`, an
//! `owner.lock` that the live cachebench holds with `flock(2)` for its whole life
//! ([`Claim`]), and `owner.json`: what it owns (its bridge and subnet, the pids of
//! its dockerd and registry, a local-cache folder elsewhere), rewritten as they
//! start. Whether the owner is alive is decided by the lock, never by a pid that
//! may have been reused. [`sweep`] (run by `cachebench clean`, `commands/clean.rs`, and at the start of
//! every `cachebench run`) takes the lock of each folder whose owner is gone, stops
//! its processes (process group SIGTERM, then SIGKILL), detaches the mounts a
//! killed engine left, deletes its bridge with the firewall rules tagged
//! `cachebench:<bridge>` and the rule closing its registry to other users
//! (`cachebench-registry:<folder>/registry`), and removes the folder. A folder whose lock is held is a
//! live run and is never touched; a folder without `owner.lock` is not one this
//! version of cachebench made, and is left alone too. Removing one folder's
//! leftovers is `leftovers_remove.rs`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
pub mod remove;
use remove::remove_one;

pub const LOCK_FILE: &str = "owner.lock";
pub const PID_FILE: &str = "owner.pid";
pub const MANIFEST_FILE: &str = "owner.json";
/// Work folders are `cachebench-` and this many random characters (tempfile's).
const SUFFIX_LEN: usize = 6;

/// What a work folder owns, as recorded in `owner.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// The cachebench process that made the folder.
    pub pid: u32,
    pub started: String,
    #[serde(default)]
    pub bridge: Option<String>,
    #[serde(default)]
    pub subnet: Option<String>,
    /// Long-lived children by role (`dockerd`, `registry`): the latest pid of each.
    #[serde(default)]
    pub pids: BTreeMap<String, u32>,
    /// The local-cache folder, when `CACHEBENCH_CACHE_DIR` put it outside.
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
}

/// The folder of this process and what it owns, rewritten on every change.
static CURRENT: Mutex<Option<(PathBuf, Manifest)>> = Mutex::new(None);

/// The live process's claim on its work folder: the lock is held while this lives
/// (and released by the kernel when the process dies, however it dies).
#[derive(Debug)]
pub struct Claim {
    dir: PathBuf,
    _lock: File,
}

impl Claim {
    /// Locks `dir` for this process and writes `owner.pid` and `owner.json`. The lock
    /// file is locked under another name and then renamed into place, so a
    /// concurrent `clean` never finds it unlocked.
    pub fn take(dir: &Path) -> anyhow::Result<Claim> {
        let fail = |what: &str, e: std::io::Error| {
            anyhow::anyhow!("failed to {what} in {}: {e}", dir.display())
        };
        let tmp = dir.join(".owner.lock.new");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&tmp)
            .map_err(|e| fail("create the lock file", e))?;
        if !try_lock(&lock) {
            anyhow::bail!("failed to lock {}", tmp.display());
        }
        std::fs::rename(&tmp, dir.join(LOCK_FILE)).map_err(|e| fail("place owner.lock", e))?;
        let pid = std::process::id();
        std::fs::write(dir.join(PID_FILE), format!("{pid}\n"))
            .map_err(|e| fail("write owner.pid", e))?;
        let m = Manifest {
            pid,
            started: chrono::Utc::now().to_rfc3339(),
            ..Manifest::default()
        };
        write_manifest(dir, &m);
        if let Ok(mut c) = CURRENT.lock() {
            *c = Some((dir.to_path_buf(), m));
        }
        Ok(Claim {
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Ok(mut c) = CURRENT.lock() {
            if c.as_ref().is_some_and(|(d, _)| *d == self.dir) {
                *c = None;
            }
        }
    }
}

fn try_lock(f: &File) -> bool {
    // SAFETY: flock(2) on a descriptor this process owns.
    unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

fn write_manifest(dir: &Path, m: &Manifest) {
    let tmp = dir.join(".owner.json.new");
    let ok = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(&serde_json::to_vec_pretty(m).unwrap_or_default()))
        .is_ok();
    if ok {
        let _ = std::fs::rename(&tmp, dir.join(MANIFEST_FILE));
    }
}

fn update(f: impl FnOnce(&mut Manifest)) {
    if let Ok(mut c) = CURRENT.lock() {
        if let Some((dir, m)) = c.as_mut() {
            f(m);
            write_manifest(dir, m);
        }
    }
}

/// Records a long-lived child (`dockerd`, `registry`) of this process's folder.
pub fn note_pid(role: &str, pid: Option<u32>) {
    if let Some(pid) = pid {
        update(|m| {
            m.pids.insert(role.to_string(), pid);
        });
    }
}

/// Records the bridge of this process's engine.
pub fn note_bridge(name: &str, subnet: &str) {
    update(|m| {
        m.bridge = Some(name.to_string());
        m.subnet = Some(subnet.to_string());
    });
}

/// Records a folder outside the work folder that this process owns.
pub fn note_cache_dir(path: &Path) {
    update(|m| m.cache_dir = Some(path.to_path_buf()));
}

/// What [`sweep`] did (or, with `dry_run`, would do), one line each.
#[derive(Debug, Default)]
pub struct SweepReport {
    pub removed: Vec<String>,
    /// Folders of live runs, and folders that could not be inspected.
    pub left_alone: Vec<String>,
    pub failed: Vec<String>,
}

/// Finds the work folders under `tmp` whose owner is gone and removes what they
/// own (or, with `dry_run`, lists it).
pub fn sweep(tmp: &Path, dry_run: bool) -> SweepReport {
    let mut report = SweepReport::default();
    let Ok(rd) = std::fs::read_dir(tmp) else {
        return report;
    };
    let mut dirs: Vec<PathBuf> = rd
        .flatten()
        .filter(|e| is_work_folder_name(&e.file_name().to_string_lossy()))
        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        if !dir.join(LOCK_FILE).exists() {
            continue;
        }
        let lock = match File::open(dir.join(LOCK_FILE)) {
            Ok(f) => f,
            Err(e) => {
                report
                    .left_alone
                    .push(format!("{}: cannot open {LOCK_FILE}: {e}", dir.display()));
                continue;
            }
        };
        let manifest: Manifest = std::fs::read(dir.join(MANIFEST_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        if !try_lock(&lock) {
            report.left_alone.push(format!(
                "{}: in use by a live run (pid {})",
                dir.display(),
                manifest.pid
            ));
            continue;
        }
        // Held until the folder is gone: a concurrent clean skips it.
        remove_one(&dir, &manifest, dry_run, &mut report);
        drop(lock);
    }
    // Rules closing a registry to other users, whose run and folder are gone.
    report
        .removed
        .extend(crate::infra::registry::guard::sweep_stale(dry_run));
    report
}

/// `cachebench-` and `SUFFIX_LEN` letters or digits: a work folder's name.
pub fn is_work_folder_name(name: &str) -> bool {
    name.strip_prefix("cachebench-")
        .is_some_and(|s| s.len() == SUFFIX_LEN && s.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// A bridge name cachebench makes: `cb` and 8 hex digits.
pub fn is_bridge_name(name: &str) -> bool {
    name.len() == 10 && name.starts_with("cb") && name[2..].chars().all(|c| c.is_ascii_hexdigit())
}

/// At the start of `run`: removes leftovers of killed runs, saying what on stderr.
pub fn sweep_before_run() {
    let r = sweep(&std::env::temp_dir(), false);
    for l in &r.removed {
        eprintln!("cachebench: {l}");
    }
    for l in &r.failed {
        eprintln!("cachebench: warning: {l}");
    }
}

#[cfg(test)]
mod tests;
