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
//! `cachebench:<bridge>`, and removes the folder. A folder whose lock is held is a
//! live run and is never touched; a folder without `owner.lock` is not one this
//! version of cachebench made, and is left alone too.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const LOCK_FILE: &str = "owner.lock";
pub const PID_FILE: &str = "owner.pid";
pub const MANIFEST_FILE: &str = "owner.json";
/// Work folders are `cachebench-` and this many random characters (tempfile's).
const SUFFIX_LEN: usize = 6;
/// How long a killed run's dockerd gets to stop its containers after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(20);

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
    report
}

/// `cachebench-` and [`SUFFIX_LEN`] letters or digits: a work folder's name.
pub fn is_work_folder_name(name: &str) -> bool {
    name.strip_prefix("cachebench-")
        .is_some_and(|s| s.len() == SUFFIX_LEN && s.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// A bridge name cachebench makes: `cb` and 8 hex digits.
pub fn is_bridge_name(name: &str) -> bool {
    name.len() == 10 && name.starts_with("cb") && name[2..].chars().all(|c| c.is_ascii_hexdigit())
}

fn remove_one(dir: &Path, m: &Manifest, dry_run: bool, report: &mut SweepReport) {
    let of = format!("of a killed run (pid {}, {})", m.pid, dir.display());
    let verb = if dry_run { "would remove" } else { "removed" };
    // Processes: the recorded ones first (their group, SIGTERM: dockerd stops its
    // containers and containerd), then whatever still refers to the folder.
    let recorded: Vec<(String, i32)> = m
        .pids
        .iter()
        .map(|(role, pid)| (role.clone(), *pid as i32))
        .filter(|(_, pid)| refers_to(*pid, dir))
        .collect();
    for (role, pid) in &recorded {
        report
            .removed
            .push(format!("{verb}: {role} (pid {pid}) {of}"));
        if !dry_run {
            signal_leader(*pid, libc::SIGTERM);
        }
    }
    if !dry_run {
        let t0 = Instant::now();
        while recorded.iter().any(|(_, p)| refers_to(*p, dir)) && t0.elapsed() < STOP_GRACE {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let recorded_pids: Vec<i32> = recorded.iter().map(|(_, p)| *p).collect();
    let others: Vec<i32> = pids_referring_to(dir)
        .into_iter()
        .filter(|p| !recorded_pids.contains(p))
        .collect();
    if !others.is_empty() {
        report.removed.push(format!(
            "{verb}: {} other process(es) {of} (pids {})",
            others.len(),
            others
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    if !dry_run {
        let t0 = Instant::now();
        loop {
            let left = pids_referring_to(dir);
            if left.is_empty() {
                break;
            }
            if t0.elapsed() > Duration::from_secs(10) {
                report.failed.push(format!(
                    "processes {of} survived SIGKILL: {left:?}; the folder is kept"
                ));
                return;
            }
            for p in left {
                signal_leader(p, libc::SIGKILL);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    // The bridge and its firewall rules.
    if let Some(b) = m.bridge.as_deref().filter(|b| is_bridge_name(b)) {
        let rules = crate::network::tagged_rules()
            .into_iter()
            .filter(|r| r.bridge == b)
            .count();
        let exists = Path::new("/sys/class/net").join(b).exists();
        if exists || rules > 0 {
            report.removed.push(format!(
                "{verb}: bridge {b}{} and its {rules} firewall rule(s) tagged {}{b} {of}",
                m.subnet
                    .as_deref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default(),
                crate::network::TAG_PREFIX
            ));
        }
        if !dry_run {
            crate::network::remove_rules(b);
            if exists {
                if let Err(e) =
                    crate::network::quick_args("ip", &["link".into(), "del".into(), b.to_string()])
                {
                    report.failed.push(format!("bridge {b} {of}: {e}"));
                }
            }
        }
    }
    if let Some(c) = m.cache_dir.as_deref().filter(|c| {
        c.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("cachebench-cache-"))
    }) {
        if c.exists() {
            report
                .removed
                .push(format!("{verb}: local-cache folder {} {of}", c.display()));
            if !dry_run {
                crate::process::remove_tree(c);
            }
        }
    }
    report
        .removed
        .push(format!("{verb}: work folder {} {of}", dir.display()));
    if !dry_run {
        crate::process::remove_tree(dir);
        if dir.exists() {
            report.failed.push(format!(
                "work folder {} {of} could not be removed entirely",
                dir.display()
            ));
        }
    }
}

/// SIGNAL to `pid`'s process group when it leads one (cachebench starts every
/// child in a group of its own), else to `pid` alone.
fn signal_leader(pid: i32, sig: i32) {
    if pid <= 1 {
        return;
    }
    let target = if pgid_of(pid) == Some(pid) { -pid } else { pid };
    // SAFETY: kill(2) on a process that refers to a folder cachebench made.
    unsafe {
        libc::kill(target, sig);
    }
}

fn pgid_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the `(comm)` field: state, ppid, pgrp.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(2)?.parse().ok()
}

/// True when live process `pid` refers to `dir`: in its command line or its
/// environment (DOCKER_HOST of a docker CLI), or its root or working folder is
/// below it (a build step in a killed engine's container).
fn refers_to(pid: i32, dir: &Path) -> bool {
    if pid <= 1 || pid as u32 == std::process::id() {
        return false;
    }
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    let d = dir.display().to_string();
    let inside = format!("{d}/");
    let mentions = |b: Vec<u8>| {
        b.split(|c| *c == 0).any(|a| {
            let a = String::from_utf8_lossy(a);
            a == d || a.contains(&inside)
        })
    };
    if std::fs::read_to_string(proc_dir.join("stat"))
        .ok()
        .and_then(|s| {
            s.get(s.rfind(')')? + 1..)
                .map(|r| r.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
    {
        return false; // gone, or a zombie: holds nothing
    }
    if std::fs::read(proc_dir.join("cmdline")).is_ok_and(mentions)
        || std::fs::read(proc_dir.join("environ")).is_ok_and(mentions)
    {
        return true;
    }
    ["root", "cwd"].iter().any(|l| {
        std::fs::read_link(proc_dir.join(l))
            .map(|p| p.starts_with(dir))
            .unwrap_or(false)
    })
}

fn pids_referring_to(dir: &Path) -> Vec<i32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    let mut v: Vec<i32> = rd
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .filter(|p| refers_to(*p, dir))
        .collect();
    v.sort();
    v
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
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_work_folder_name("cachebench-a1B2c3"));
        assert!(!is_work_folder_name("cachebench-cache-a1B2c3"));
        assert!(!is_work_folder_name("cachebench-buildkit-build"));
        assert!(!is_work_folder_name("cachebench-quiet"));
        assert!(is_bridge_name("cb0a1b2c3d"));
        assert!(!is_bridge_name("docker0"));
        assert!(!is_bridge_name("cb0a1b2c3g"));
    }

    #[test]
    fn a_held_lock_is_left_alone_and_a_free_one_is_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let live = tmp.path().join("cachebench-live01");
        let dead = tmp.path().join("cachebench-dead01");
        let foreign = tmp.path().join("cachebench-other1");
        for d in [&live, &dead, &foreign] {
            std::fs::create_dir(d).unwrap();
        }
        let claim = Claim::take(&live).unwrap();
        note_bridge("cb00000000", "169.254.200.0/24");
        let m: Manifest =
            serde_json::from_slice(&std::fs::read(live.join(MANIFEST_FILE)).unwrap()).unwrap();
        assert_eq!(m.pid, std::process::id());
        assert_eq!(m.bridge.as_deref(), Some("cb00000000"));
        // A dead owner: its lock file is there, nobody holds it.
        {
            let _c = Claim::take(&dead).unwrap();
        }
        std::fs::write(dead.join("data"), "x").unwrap();
        let dry = sweep(tmp.path(), true);
        assert!(dead.exists() && live.exists());
        assert_eq!(dry.removed.len(), 1, "{dry:?}");
        assert!(dry.removed[0].starts_with("would remove: work folder"));
        let r = sweep(tmp.path(), false);
        assert!(!dead.exists(), "{r:?}");
        assert!(live.exists() && foreign.exists());
        assert_eq!(r.left_alone.len(), 1, "{r:?}");
        assert!(r.left_alone[0].contains("in use by a live run"));
        assert!(r.failed.is_empty(), "{r:?}");
        drop(claim);
    }
}
