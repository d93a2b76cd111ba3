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
    signal(pid, libc::SIGKILL);
}

fn signal(pid: i32, sig: i32) {
    // SAFETY: kill(2) on cachebench (the test's child) or its own registry, found
    // in its journal.
    unsafe { libc::kill(pid, sig) };
}

/// A process stopped with SIGSTOP until this is dropped (SIGCONT), even when the
/// test panics meanwhile.
struct Paused(i32);

impl Paused {
    fn stop(pid: i32) -> Paused {
        signal(pid, libc::SIGSTOP);
        Paused(pid)
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        signal(self.0, libc::SIGCONT);
    }
}

/// Whether `pid` is gone or a zombie (a zombie holds no socket).
fn dead(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// Who listens on 127.0.0.1:`port` (from `/proc/net/tcp`), for a failure message.
fn listeners(port: u16) -> String {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let local = format!("0100007F:{port:04X}");
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some(local.as_str()))
        .collect();
    format!("/proc/net/tcp rows for 127.0.0.1:{port}: {rows:#?}")
}

/// Holds a port once it is free, closing every connection at once (a client
/// gets an answerless close, never a hang); released when dropped.
struct Squatter {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Squatter {
    fn take(port: u16) -> Squatter {
        let t0 = std::time::Instant::now();
        let listener = loop {
            match std::net::TcpListener::bind(("127.0.0.1", port)) {
                Ok(l) => break l,
                Err(e) if t0.elapsed() > Duration::from_secs(10) => {
                    panic!("the registry's port stayed taken: {e}\n{}", listeners(port))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        };
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
    // Its port taken before cachebench can restart it there: cachebench is
    // stopped (SIGSTOP) from the kill until the port is held, so the restart,
    // which comes after the run ends, never races the squatter.
    let paused = Paused::stop(child.id() as i32);
    kill(pid);
    wait_until(
        Duration::from_secs(10),
        "the killed registry to die",
        || dead(pid),
    );
    let squatter = Squatter::take(port);
    drop(paused);
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
