//! What a run may leave behind, looked up on the machine: processes that mention
//! its folder, cachebench's dockerd and its bridge, network links, firewall rules
//! tagged `cachebench:BRIDGE` and work folders; and the assertion that none is left.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// cachebench's own dockerd pid, from the pidfile in its work folder under `tmpdir`.
pub fn engine_pid(tmpdir: &Path) -> Option<i32> {
    for e in std::fs::read_dir(tmpdir).ok()?.flatten() {
        let p = e.path().join("engine/docker.pid");
        if let Ok(t) = std::fs::read_to_string(&p) {
            if let Ok(pid) = t.trim().parse() {
                return Some(pid);
            }
        }
    }
    None
}

/// Command lines of live processes that mention `needle`.
pub fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut v = vec![];
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        // Zombies have an empty cmdline; they hold nothing.
        if let Ok(b) = std::fs::read(e.path().join("cmdline")) {
            let c = String::from_utf8_lossy(&b).replace('\0', " ");
            if c.contains(needle) {
                v.push(format!("{pid}: {c}"));
            }
        }
    }
    v
}

/// The `--bridge=NAME` of a running dockerd whose command line mentions `needle`.
pub fn bridge_of_engine(needle: &str) -> Option<String> {
    processes_mentioning(needle).iter().find_map(|c| {
        c.split_whitespace()
            .find_map(|a| a.strip_prefix("--bridge="))
            .map(String::from)
    })
}

/// Network links (`ip -br link`), names only.
pub fn links() -> Vec<String> {
    let o = Command::new("ip").args(["-br", "link"]).output().unwrap();
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|n| n.split('@').next().unwrap_or(n).to_string())
        .collect()
}

/// Entries of `dir` whose names start with `cachebench-`.
pub fn work_folders(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("cachebench-"))
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts the run left no process, bridge or work folder behind.
pub fn assert_no_leftovers(tmpdir: &Path, bridge: Option<&str>) {
    let needle = tmpdir.display().to_string();
    let t0 = Instant::now();
    // Killed processes take a moment to be reaped.
    while !processes_mentioning(&needle).is_empty() && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let procs = processes_mentioning(&needle);
    assert!(procs.is_empty(), "processes of the run left: {procs:#?}");
    if let Some(b) = bridge {
        assert!(
            !links().iter().any(|l| l == b),
            "bridge {b} of the run left: {:?}",
            links()
        );
        let rules = firewall_rules_of(b);
        assert!(rules.is_empty(), "egress rules of {b} left: {rules:#?}");
    }
    let left = work_folders(tmpdir);
    assert!(left.is_empty(), "work folders left in {needle}: {left:?}");
}

/// Firewall rules (`iptables -S`, nat and filter) tagged `cachebench:BRIDGE`.
pub fn firewall_rules_of(bridge: &str) -> Vec<String> {
    let tag = format!("cachebench:{bridge}\"");
    let mut v = vec![];
    for table in ["nat", "filter"] {
        let o = Command::new("iptables")
            .args(["-w", "5", "-t", table, "-S"])
            .output()
            .expect("run iptables");
        assert!(o.status.success(), "iptables -t {table} -S failed");
        v.extend(
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter(|l| l.contains(&tag))
                .map(|l| format!("{table}: {l}")),
        );
    }
    v
}
