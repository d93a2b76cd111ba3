//! The host engine: `docker` against it, and the lock that tests changing it (tags,
//! builds, prune) or comparing its state before and after hold.

use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};

/// Tests that change the host engine (tags, builds, prune) or compare its state
/// before and after hold this lock, so they never see each other's changes.
pub fn host_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// `docker ARGS` against the host engine.
pub fn host_docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .env_remove("DOCKER_HOST")
        .output()
        .expect("run docker")
}

/// [`host_docker`], which must succeed; its stdout.
pub fn host_docker_ok(args: &[&str]) -> String {
    let o = host_docker(args);
    assert!(
        o.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}
