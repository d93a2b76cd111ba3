//! cachebench's own registry killed mid-matrix: the run it died in fails naming
//! it, it is restarted once on the same port and storage (the seeded base image is
//! still served to the cold runs after it), and the next runs succeed; when it
//! cannot be restarted, the rest fail fast naming it, and its log is kept in OUT.

use super::common::{
    leftovers::assert_no_leftovers,
    records::{logs_containing, records},
    runs::{small_args, spawn, wait_child, wait_until},
    scratch::{context_with, scratch},
};
use cachebench::records::record::RunStatus;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The work folder of the cachebench running with `TMPDIR=tmpdir`.
fn work_folder(tmpdir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(tmpdir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.join("owner.json").is_file())
}

/// cachebench's registry: its pid (from the leftovers journal, `owner.json`) and
/// its port (from its configuration).
fn own_registry(tmpdir: &Path) -> Option<(i32, u16)> {
    let work = work_folder(tmpdir)?;
    let owner: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.join("owner.json")).ok()?).ok()?;
    let pid = owner["pids"]["registry"].as_i64()? as i32;
    let config = std::fs::read_to_string(work.join("registry/config.yml")).ok()?;
    let port = config
        .lines()
        .find_map(|l| l.trim().strip_prefix("addr: 127.0.0.1:"))?
        .parse()
        .ok()?;
    Some((pid, port))
}

fn kill(pid: i32) {
    // SAFETY: kill(2) on cachebench's own registry, found in its journal.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

/// Holds a port once it is free, closing every connection at once (a client
/// gets an answerless close, never a hang); released when dropped.
struct Squatter {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Squatter {
    fn take(port: u16) -> Squatter {
        let mut listener = None;
        wait_until(
            Duration::from_secs(10),
            "the registry's port to be free",
            || {
                listener = std::net::TcpListener::bind(("127.0.0.1", port)).ok();
                listener.is_some()
            },
        );
        let listener = listener.unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let halt = stop.clone();
        let thread = std::thread::spawn(move || {
            while !halt.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((s, _)) => drop(s),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Squatter {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Squatter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Three cold runs that each wait in a RUN step (the time to kill the registry in).
fn three_runs(dir: &Path) -> (Vec<String>, PathBuf) {
    let ctx = context_with(
        dir,
        "FROM local/busybox:latest\nRUN echo working && sleep 6\n",
    );
    let out = dir.join("out");
    let mut args = small_args(&ctx, &out, &["push", "registry-cache", "inline-cache"]);
    args.extend(["--timeout", "2m"].map(String::from));
    (args, out)
}

#[test]
fn a_killed_registry_is_restarted_and_the_next_runs_succeed() {
    let dir = scratch();
    let (args, out) = three_runs(dir.path());
    let mut child = spawn(&args, dir.path(), dir.path());
    wait_until(Duration::from_secs(120), "a build to start", || {
        !logs_containing(&out, "RUN echo working").is_empty()
    });
    let (pid, port) = own_registry(dir.path()).expect("cachebench's registry in owner.json");
    kill(pid);
    eprintln!("killed cachebench's registry {pid} (port {port}) during the first build");
    let (code, t) = wait_child(&mut child, dir.path(), Duration::from_secs(300));
    assert_eq!(code, Some(1), "the run it died in failed: {t}");
    let recs = records(&out);
    assert_eq!(recs.len(), 3, "{recs:#?}\n{t}");
    let named = format!(
        "cachebench's own registry (127.0.0.1:{port}, log {})",
        out.join("logs/registry.log").display()
    );
    let first = &recs[0];
    assert_eq!(first.status, RunStatus::Failed, "{first:#?}");
    assert!(
        first.reason.contains(&format!("{named} was not answering")),
        "{}",
        first.reason
    );
    // Cold runs after the restart pull the seeded base image from it again.
    for r in &recs[1..] {
        assert_eq!(r.status, RunStatus::Ok, "{r:#?}\n{t}");
        assert_eq!(r.state_check, "ok", "{r:#?}");
    }
    assert!(
        t.contains(&format!("{named} stopped answering during"))
            && t.contains("restarting it once, on the same port and storage"),
        "{t}"
    );
    let log = std::fs::read_to_string(out.join("logs/registry.log")).unwrap_or_default();
    assert!(!log.is_empty(), "the registry's log is kept in OUT");
    assert!(
        out.join("logs/dockerd.log").is_file(),
        "dockerd's log is kept in OUT"
    );
    assert_no_leftovers(dir.path(), None);
}

#[test]
fn a_registry_that_cannot_be_restarted_fails_the_rest_fast_naming_it() {
    let dir = scratch();
    let (args, out) = three_runs(dir.path());
    let mut child = spawn(&args, dir.path(), dir.path());
    wait_until(Duration::from_secs(120), "a build to start", || {
        !logs_containing(&out, "RUN echo working").is_empty()
    });
    let (pid, port) = own_registry(dir.path()).expect("cachebench's registry in owner.json");
    kill(pid);
    // Its port taken meanwhile: the restart cannot listen there.
    let squatter = Squatter::take(port);
    let (code, t) = wait_child(&mut child, dir.path(), Duration::from_secs(300));
    drop(squatter);
    assert_eq!(code, Some(3), "{t}");
    let recs = records(&out);
    assert_eq!(recs.len(), 3, "{recs:#?}\n{t}");
    let named = format!(
        "cachebench's own registry (127.0.0.1:{port}, log {})",
        out.join("logs/registry.log").display()
    );
    assert_eq!(recs[0].status, RunStatus::Failed);
    for r in &recs[1..] {
        assert_eq!(r.status, RunStatus::Failed, "{r:#?}");
        assert!(
            r.reason
                .starts_with(&format!("not run: {named} stopped answering during"))
                && r.reason.contains("could not be restarted"),
            "{}",
            r.reason
        );
        assert!(r.wall_ms.is_none(), "failed fast, not run: {r:#?}");
    }
    assert!(t.contains(&format!("error: {named}")), "{t}");
    let log = std::fs::read_to_string(out.join("logs/registry.log")).unwrap_or_default();
    assert!(log.contains("address already in use"), "{log}");
    assert_no_leftovers(dir.path(), None);
}
