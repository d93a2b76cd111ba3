//! Leftovers of a run killed outright (SIGKILL, as an OOM killer or a cancelled CI
//! job does): `cachebench clean` removes its dockerd, bridge, firewall rules and
//! work folder, and never touches a live run's.

use super::common::{
    leftovers::{
        assert_no_leftovers, bridge_of_engine, engine_pid, firewall_rules_of, links, work_folders,
    },
    records::{logs_containing, records, records_lenient},
    runs::{run_env, small_args, spawn, text, wait_child, wait_until},
    scratch::{context_with, scratch},
};
use cachebench::records::record::RunStatus;
use std::time::Duration;

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

fn clean(tmpdir: &std::path::Path, extra: &[&str]) -> (std::process::Output, String) {
    let mut args = vec!["clean".to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    let o = run_env(&args, tmpdir, &[]);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    (o, stdout)
}

#[test]
fn clean_removes_what_a_sigkilled_run_left() {
    let dir = scratch();
    let ctx = context_with(
        dir.path(),
        "FROM local/busybox:latest\nRUN echo long-step && sleep 60\n",
    );
    let out = dir.path().join("out");
    let args = small_args(&ctx, &out, &["buildkit"]);
    let mut child = spawn(&args, dir.path(), dir.path());
    wait_until(Duration::from_secs(120), "the build", || {
        !logs_containing(&out, "long-step").is_empty()
    });
    let needle = dir.path().display().to_string();
    let dockerd = engine_pid(dir.path()).expect("cachebench's dockerd");
    let bridge = bridge_of_engine(&needle).expect("cachebench's bridge");
    child.kill().unwrap(); // SIGKILL: no teardown runs
    child.wait().unwrap();
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        alive(dockerd),
        "dockerd {dockerd} should outlive a SIGKILLed cachebench"
    );
    assert!(links().contains(&bridge), "bridge {bridge} left");
    assert_eq!(firewall_rules_of(&bridge).len(), 3, "rules of {bridge}");
    let folders = work_folders(dir.path());
    assert_eq!(folders.len(), 1, "{folders:?}");

    let (o, stdout) = clean(dir.path(), &["--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        stdout.contains(&format!("would remove: dockerd (pid {dockerd})")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("would remove: bridge {bridge}")),
        "{stdout}"
    );
    assert!(alive(dockerd) && links().contains(&bridge));
    assert_eq!(work_folders(dir.path()), folders);

    let (o, stdout) = clean(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for line in [
        format!("removed: dockerd (pid {dockerd})"),
        format!("removed: bridge {bridge}"),
        "and its 3 firewall rule(s)".to_string(),
        format!("removed: work folder {}/{}", needle, folders[0]),
    ] {
        assert!(stdout.contains(&line), "{line:?} not in {stdout}");
    }
    assert!(!alive(dockerd));
    assert_no_leftovers(dir.path(), Some(&bridge));
    // The records of the killed run are untouched and readable.
    assert!(records_lenient(&out).len() <= 1);

    let (o, stdout) = clean(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(stdout.starts_with("nothing to do"), "{stdout}");
}

#[test]
fn a_live_runs_folder_is_left_alone_by_clean() {
    let dir = scratch();
    let ctx = context_with(
        dir.path(),
        "FROM local/busybox:latest\nRUN echo slow-step && sleep 6\n",
    );
    let out = dir.path().join("out");
    let args = small_args(&ctx, &out, &["buildkit"]);
    let mut child = spawn(&args, dir.path(), dir.path());
    wait_until(Duration::from_secs(120), "the build", || {
        !logs_containing(&out, "slow-step").is_empty()
    });
    let dockerd = engine_pid(dir.path()).expect("cachebench's dockerd");
    let folders = work_folders(dir.path());
    let (o, stdout) = clean(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!stdout.contains("removed"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "left alone: {}/{}: in use by a live run (pid {})",
            dir.path().display(),
            folders[0],
            child.id()
        )),
        "{stdout}"
    );
    assert!(alive(dockerd));
    assert_eq!(work_folders(dir.path()), folders);
    let (code, t) = wait_child(&mut child, dir.path(), Duration::from_secs(180));
    assert_eq!(code, Some(0), "{t}");
    let recs = records(&out);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].status, RunStatus::Ok, "{:#?}", recs[0]);
    assert_no_leftovers(dir.path(), None);
}
