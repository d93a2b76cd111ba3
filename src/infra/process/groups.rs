//! What a second Ctrl-C must end without a full teardown: the process groups of
//! cachebench's children (registered while they run) and the folders it created
//! (its bridges are the network's: [`crate::infra::network::bridge`]); and the
//! signals and mount-aware folder removal that does it.

use std::path::Path;

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

/// Folders cachebench created, removed by a second Ctrl-C
/// ([`remove_registered_dirs`]) when there is no time for a full teardown.
static DIRS: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Remembers a temporary folder to remove on a hasty exit.
pub fn register_dir(path: &Path) {
    if let Ok(mut d) = DIRS.lock() {
        d.push(path.to_path_buf());
    }
}

/// Removes the registered folders (after [`kill_registered_groups`]): mounts a
/// killed engine left are detached lazily first. Best effort, bounded.
pub fn remove_registered_dirs() {
    let dirs = DIRS.lock().map(|d| d.clone()).unwrap_or_default();
    for d in dirs {
        remove_tree(&d);
    }
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
