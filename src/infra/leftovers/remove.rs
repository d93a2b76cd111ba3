//! Removing what one dead run owned: its recorded processes (process group
//! SIGTERM, then SIGKILL), whatever else still refers to its folder, the mounts a
//! killed engine left, its bridge with the tagged firewall rules, a cache folder
//! elsewhere, and the folder itself.

use super::{is_bridge_name, Manifest, SweepReport};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a killed run's dockerd gets to stop its containers after SIGTERM.
const STOP_GRACE: Duration = Duration::from_secs(20);

pub(super) fn remove_one(dir: &Path, m: &Manifest, dry_run: bool, report: &mut SweepReport) {
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
        let rules = crate::infra::network::firewall::tagged_rules()
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
                crate::infra::network::firewall::TAG_PREFIX
            ));
        }
        if !dry_run {
            if let Err(e) = crate::infra::network::bridge::delete_bridge(b) {
                report.failed.push(format!("bridge {b} {of}: {e}"));
            }
        }
    }
    // The rule closing its registry to other users.
    let guarded = crate::infra::registry::guard::tagged_rules()
        .into_iter()
        .filter(|(d, _)| d.starts_with(dir))
        .count();
    if guarded > 0 {
        report.removed.push(format!(
            "{verb}: the firewall rule closing its registry to other users {of}"
        ));
        if !dry_run {
            crate::infra::registry::guard::remove_within(dir);
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
                crate::infra::process::groups::remove_tree(c);
            }
        }
    }
    report
        .removed
        .push(format!("{verb}: work folder {} {of}", dir.display()));
    if !dry_run {
        crate::infra::process::groups::remove_tree(dir);
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
