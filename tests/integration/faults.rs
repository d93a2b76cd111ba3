//! Faults with real processes: a hung build, a registry that dies mid-push,
//! refuses connections or answers 500, an engine killed mid-matrix, a full cache
//! folder. Each run is recorded with a clear cause and the matrix goes on.

use super::common::{
    leftovers::{assert_no_leftovers, bridge_of_engine, engine_pid, work_folders},
    proxy::FaultProxy,
    records::{jsonl_lines, logs_containing, records},
    registry::{free_port, TestRegistry},
    runs::{run_env, small_args, spawn, text, tiny_args, wait_child, wait_until},
    scratch::{context_with, scratch},
};
use cachebench::records::record::RunStatus;
use std::time::{Duration, Instant};

/// A hung build is killed at `--timeout` and recorded as `timeout`; the next cell
/// still runs (and times out too, on its own clock).
#[test]
fn a_hung_build_times_out_and_the_matrix_goes_on() {
    let dir = scratch();
    let ctx = context_with(
        dir.path(),
        "FROM local/busybox:latest\nRUN echo hanging && sleep 600\n",
    );
    let out = dir.path().join("out");
    let mut args = small_args(&ctx, &out, &["buildkit", "inline-cache"]);
    args.extend(["--timeout".into(), "8s".into()]);
    let t0 = Instant::now();
    let o = run_env(&args, dir.path(), &[]);
    let took = t0.elapsed();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let recs = records(&out);
    assert_eq!(recs.len(), 2, "{recs:#?}");
    for r in &recs {
        assert_eq!(r.status, RunStatus::Timeout, "{r:#?}");
        assert!(r.reason.contains("timed out"), "{}", r.reason);
    }
    assert!(
        took < Duration::from_secs(150),
        "two 8s timeouts took {took:?}"
    );
    assert_no_leftovers(dir.path(), None);
}

/// The registry is SIGKILLed in the middle of a blob upload of a `push` build: the
/// run fails naming the push, and the next strategy still runs.
#[test]
fn registry_killed_in_the_middle_of_a_push() {
    let dir = scratch();
    let reg = TestRegistry::start();
    // 16 MB of random bytes pass only during a layer upload.
    let proxy = FaultProxy::kill_mid_upload(&reg.host, 4 << 20, reg.killer());
    let out = dir.path().join("out");
    let mut args = vec!["run".to_string()];
    args.extend(tiny_args(&out));
    args.extend(
        [
            "--build-arg",
            "DEPS_MB=16",
            "--state",
            "cold",
            "--strategy",
            "push",
            "--strategy",
            "buildkit",
            "--registry",
            &proxy.host,
        ]
        .map(String::from),
    );
    let o = run_env(&args, dir.path(), &[]);
    assert!(
        proxy.tripped.load(std::sync::atomic::Ordering::SeqCst),
        "the push never uploaded 4 MB: {}",
        text(&o)
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let recs = records(&out);
    assert_eq!(recs.len(), 2, "{recs:#?}");
    let push = recs.iter().find(|r| r.strategy == "push").unwrap();
    assert_eq!(push.status, RunStatus::Failed, "{push:#?}");
    assert!(
        push.reason.starts_with("build exited with code"),
        "{}",
        push.reason
    );
    let buildkit = recs.iter().find(|r| r.strategy == "buildkit").unwrap();
    assert_eq!(buildkit.status, RunStatus::Ok, "{buildkit:#?}");
    assert_no_leftovers(dir.path(), None);
}

/// A registry that refuses connections from the start: every push run fails with
/// "connection refused"; after 3 such failures the strategy's later runs are
/// skipped saying so; other strategies still run.
#[test]
fn registry_refusing_connections_then_the_strategy_is_given_up() {
    let dir = scratch();
    let ctx = context_with(dir.path(), "FROM local/busybox:latest\nRUN echo hi > /x\n");
    let out = dir.path().join("out");
    let mut args = small_args(&ctx, &out, &["push", "buildkit"]);
    let closed = format!("127.0.0.1:{}", free_port());
    let i = args.iter().position(|a| a == "--reps").unwrap();
    args[i + 1] = "4".into();
    args.extend(["--registry".into(), closed]);
    let o = run_env(&args, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let recs = records(&out);
    assert_eq!(recs.len(), 8, "{recs:#?}");
    let push: Vec<_> = recs.iter().filter(|r| r.strategy == "push").collect();
    for r in &push[..3] {
        assert_eq!(r.status, RunStatus::Failed, "{r:#?}");
        assert!(r.reason.contains("connection refused"), "{}", r.reason);
    }
    assert_eq!(push[3].status, RunStatus::Skipped, "{:#?}", push[3]);
    assert!(
        push[3]
            .reason
            .starts_with("skipped: the last 3 runs of push failed with: build exited"),
        "{}",
        push[3].reason
    );
    assert!(push[3].wall_ms.is_none());
    for r in recs.iter().filter(|r| r.strategy == "buildkit") {
        assert_eq!(r.status, RunStatus::Ok, "{r:#?}");
    }
}

/// A registry answering HTTP 500 to everything: the push run fails naming the
/// status, the matrix goes on.
#[test]
fn registry_answering_500() {
    let dir = scratch();
    let proxy = FaultProxy::always_500();
    let ctx = context_with(dir.path(), "FROM local/busybox:latest\nRUN echo hi > /x\n");
    let out = dir.path().join("out");
    let mut args = small_args(&ctx, &out, &["push", "registry-cache", "buildkit"]);
    args.extend(["--registry".into(), proxy.host.clone()]);
    let o = run_env(&args, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(proxy.tripped.load(std::sync::atomic::Ordering::SeqCst));
    let recs = records(&out);
    assert_eq!(recs.len(), 3, "{recs:#?}");
    for r in &recs {
        if r.strategy == "buildkit" {
            assert_eq!(r.status, RunStatus::Ok, "{r:#?}");
        } else {
            assert_eq!(r.status, RunStatus::Failed, "{r:#?}");
            assert!(r.reason.contains("500"), "{}: {}", r.strategy, r.reason);
        }
    }
}

/// cachebench's own engine is SIGKILLed during a build: it is restarted once and
/// the next run works; killed again, the remaining runs fail fast with the cause
/// and cachebench exits 3.
#[test]
fn engine_killed_is_restarted_once_then_the_rest_fail_fast() {
    let dir = scratch();
    let ctx = context_with(
        dir.path(),
        "FROM local/busybox:latest\nRUN echo working && sleep 20\n",
    );
    let out = dir.path().join("out");
    let args = small_args(
        &ctx,
        &out,
        &["buildkit", "inline-cache", "local-cache", "registry-cache"],
    );
    let mut child = spawn(&args, dir.path(), dir.path());
    let kill_during = |nth: usize| {
        wait_until(Duration::from_secs(120), "a build to start", || {
            logs_containing(&out, "RUN echo working").len() >= nth
        });
        std::thread::sleep(Duration::from_millis(1500));
        let pid = engine_pid(dir.path()).expect("dockerd pidfile");
        // SAFETY: kill(2) on cachebench's own dockerd, found via its pidfile.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        eprintln!("killed cachebench's dockerd {pid} during build {nth}");
    };
    wait_until(Duration::from_secs(120), "cachebench's dockerd", || {
        bridge_of_engine(&dir.path().display().to_string()).is_some()
    });
    let bridge = bridge_of_engine(&dir.path().display().to_string());
    kill_during(1);
    // The restarted engine runs the next build to the end.
    wait_until(Duration::from_secs(180), "the second record", || {
        jsonl_lines(&out) >= 2
    });
    kill_during(3);
    let (code, t) = wait_child(&mut child, dir.path(), Duration::from_secs(240));
    assert_eq!(code, Some(3), "{t}");
    let recs = records(&out);
    assert_eq!(recs.len(), 4, "{recs:#?}\n{t}");
    assert_eq!(recs[0].status, RunStatus::Failed, "{:#?}", recs[0]);
    assert_eq!(recs[1].status, RunStatus::Ok, "{:#?}", recs[1]);
    assert_eq!(recs[1].state_check, "ok", "{:#?}", recs[1]);
    assert_eq!(recs[2].status, RunStatus::Failed, "{:#?}", recs[2]);
    for r in &recs[3..] {
        assert_eq!(r.status, RunStatus::Failed, "{r:#?}");
        assert!(
            r.reason
                .starts_with("not run: the engine stopped answering")
                && r.reason
                    .contains("again after cachebench restarted it once"),
            "{}",
            r.reason
        );
        assert!(r.wall_ms.is_none() && r.prepare_ms.is_none(), "{r:#?}");
    }
    assert!(t.contains("restarting it once"), "{t}");
    assert_no_leftovers(dir.path(), bridge.as_deref());
}

/// The local-cache export goes to a folder on a full (8 MB tmpfs) file system: the
/// run fails with "no space left on device"; the other strategy still runs; the
/// folder is cleaned up.
#[test]
fn local_cache_export_to_a_full_disk() {
    let dir = scratch();
    let full = dir.path().join("full");
    std::fs::create_dir_all(&full).unwrap();
    let m = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
        .arg(&full)
        .status()
        .expect("mount");
    assert!(m.success(), "mount tmpfs needs root");
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(full.clone());
    let out = dir.path().join("out");
    let mut args = vec!["run".to_string()];
    args.extend(tiny_args(&out));
    args.extend(
        [
            "--build-arg",
            "DEPS_MB=24",
            "--state",
            "cold",
            "--strategy",
            "local-cache",
            "--strategy",
            "buildkit",
        ]
        .map(String::from),
    );
    let o = run_env(
        &args,
        dir.path(),
        &[("CACHEBENCH_CACHE_DIR", full.to_str().unwrap())],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let recs = records(&out);
    assert_eq!(recs.len(), 2, "{recs:#?}");
    let lc = recs.iter().find(|r| r.strategy == "local-cache").unwrap();
    assert_eq!(lc.status, RunStatus::Failed, "{lc:#?}");
    assert!(
        lc.reason.to_lowercase().contains("no space left"),
        "{}",
        lc.reason
    );
    let bk = recs.iter().find(|r| r.strategy == "buildkit").unwrap();
    assert_eq!(bk.status, RunStatus::Ok, "{bk:#?}");
    assert!(
        work_folders(&full).is_empty(),
        "cache folder left in {}",
        full.display()
    );
}
