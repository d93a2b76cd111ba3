//! What a second Ctrl-C must end without a full teardown: the process groups of
//! cachebench's children (registered while they run) and the bridges and folders
//! it created; and the signals and mount-aware folder removal that does it.

use std::path::Path;
use std::process::Stdio;

/// Process groups of the long-lived children cachebench started, so that a second
/// Ctrl-C can end them before exiting at once.
pub(super) static GROUPS: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());

pub(super) fn register_group(pgid: i32) {
    if let Ok(mut g) = GROUPS.lock() {
        g.push(pgid);
    }
}

pub(super) fn unregister_group(pgid: i32) {
    if let Ok(mut g) = GROUPS.lock() {
        g.retain(|p| *p != pgid);
    }
}

/// Keeps a child's process group registered while it runs.
pub(crate) struct GroupGuard(i32);

impl GroupGuard {
    pub(crate) fn new(pgid: i32) -> GroupGuard {
        register_group(pgid);
        GroupGuard(pgid)
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        unregister_group(self.0);
    }
}

/// Bridges and folders cachebench created, removed by a second Ctrl-C
/// ([`remove_registered_leftovers`]) when there is no time for a full teardown.
static LEFTOVERS: std::sync::Mutex<Vec<Leftover>> = std::sync::Mutex::new(Vec::new());

#[derive(Debug, Clone, PartialEq)]
enum Leftover {
    Bridge(String),
    Dir(std::path::PathBuf),
}

/// Remembers a network bridge to delete (with its egress rules) on a hasty exit.
pub fn register_bridge(name: &str) {
    if let Ok(mut l) = LEFTOVERS.lock() {
        l.push(Leftover::Bridge(name.to_string()));
    }
}

/// Forgets a bridge (it was deleted).
pub fn unregister_bridge(name: &str) {
    if let Ok(mut l) = LEFTOVERS.lock() {
        l.retain(|x| *x != Leftover::Bridge(name.to_string()));
    }
}

/// Remembers a temporary folder to remove on a hasty exit.
pub fn register_dir(path: &Path) {
    if let Ok(mut l) = LEFTOVERS.lock() {
        l.push(Leftover::Dir(path.to_path_buf()));
    }
}

/// Deletes registered bridges and folders (after [`kill_registered_groups`]):
/// mounts a killed engine left are detached lazily first. Best effort, bounded.
pub fn remove_registered_leftovers() {
    let items = LEFTOVERS.lock().map(|l| l.clone()).unwrap_or_default();
    for item in items {
        match item {
            Leftover::Bridge(name) => {
                crate::infra::network::firewall::remove_rules(&name);
                let _ = std::process::Command::new("ip")
                    .args(["link", "del", &name])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
            Leftover::Dir(p) => remove_tree(&p),
        }
    }
    crate::infra::network::firewall::restore_forwarding();
}

/// Removes a folder cachebench created, even when a killed engine left mounts
/// below it (build containers' rootfs, network namespaces): those are detached
/// (`umount -l`), deepest first, then the folder is removed. Best effort.
pub fn remove_tree(path: &Path) {
    if std::fs::remove_dir_all(path).is_ok() || !path.exists() {
        return;
    }
    let prefix = format!("{}/", path.display());
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let mut points: Vec<String> = mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(|m| m.replace("\\040", " "))
        .filter(|m| m.starts_with(&prefix))
        .collect();
    points.sort_by_key(|m| std::cmp::Reverse(m.len()));
    points.dedup();
    for m in points {
        if let Ok(c) = std::ffi::CString::new(m) {
            // SAFETY: umount2 with a valid NUL-terminated path under our own folder.
            unsafe {
                libc::umount2(c.as_ptr(), libc::MNT_DETACH);
            }
        }
    }
    let _ = std::fs::remove_dir_all(path);
}

/// SIGKILLs every long-lived child group still registered (last resort on exit).
pub fn kill_registered_groups() {
    let groups = GROUPS.lock().map(|g| g.clone()).unwrap_or_default();
    for g in groups {
        signal_group(g, libc::SIGKILL);
    }
}

pub fn signal_group(pgid: i32, sig: i32) {
    // SAFETY: kill(2) with a negative pid signals a process group we created.
    unsafe {
        libc::kill(-pgid, sig);
    }
}
