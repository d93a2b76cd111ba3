//! Interruption and resume: SIGINT/SIGTERM during a build, a second signal, and
//! `run --resume OUT` alone or with the first run's flags (including after a crash
//! left a truncated last line).

use super::common::*;
use cachebench::record::RunStatus;
use std::time::{Duration, Instant};

fn signal(child: &std::process::Child, sig: i32) {
    // SAFETY: kill(2) on the cachebench process this test started.
    unsafe { libc::kill(child.id() as i32, sig) };
}

/// SIGINT during the second run's build: exit 130, the finished run kept, the
/// interrupted one recorded as such, engine/registry/bridge/work folder gone.
/// Then `--resume` runs only what is missing, refuses a changed scenario or
/// workload, and ignores a truncated last line (as `report` does).
#[test]
fn sigint_keeps_finished_runs_cleans_up_and_resume_finishes() {
    let dir = scratch();
    let ctx = context_with(
        dir.path(),
        "FROM local/busybox:latest\nRUN echo slow-step && sleep 8\n",
    );
    let out = dir.path().join("out");
    let args = small_args(&ctx, &out, &["buildkit", "inline-cache"]);
    let mut child = spawn(&args, dir.path(), dir.path());
    let needle = dir.path().display().to_string();
    wait_until(Duration::from_secs(120), "the first record", || {
        jsonl_lines(&out) >= 1
    });
    wait_until(Duration::from_secs(60), "the second build", || {
        logs_containing(&out, "slow-step").len() >= 2
    });
    let bridge = bridge_of_engine(&needle).expect("cachebench's dockerd and its bridge");
    assert_eq!(
        firewall_rules_of(&bridge).len(),
        3,
        "egress rules of {bridge}"
    );
    std::thread::sleep(Duration::from_millis(1500));
    signal(&child, libc::SIGINT);
    let t0 = Instant::now();
    let (code, t) = wait_child(&mut child, dir.path(), Duration::from_secs(90));
    assert_eq!(code, Some(130), "{t}");
    assert!(t0.elapsed() < Duration::from_secs(60), "{:?}", t0.elapsed());
    let recs = records(&out);
    assert_eq!(recs.len(), 2, "{recs:#?}");
    assert_eq!(recs[0].status, RunStatus::Ok, "{:#?}", recs[0]);
    assert_eq!(recs[1].status, RunStatus::Interrupted, "{:#?}", recs[1]);
    let csv = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains(",interrupted,"), "{csv}");
    assert_no_leftovers(dir.path(), Some(&bridge));

    // Resume with no other flag: OUT's scenario.toml says what to run; only the
    // interrupted cell runs again.
    let resume: Vec<String> = vec!["run".into(), "--resume".into(), out.display().to_string()];
    let o = run_env(&resume, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let recs = records(&out);
    assert_eq!(recs.len(), 3, "{recs:#?}");
    assert_eq!(recs[2].strategy, "inline-cache");
    assert_eq!(recs[2].status, RunStatus::Ok, "{:#?}", recs[2]);

    // A flag that differs from the record, or a changed workload, is refused;
    // nothing runs.
    let mut changed = resume.clone();
    changed.extend(["--warmup".into(), "1".into()]);
    let o = run_env(&changed, dir.path(), &[]);
    assert_usage_error(&o, "--resume: --warmup (run.warmup) is 1 now but 0 in");
    let mut changed = resume.clone();
    changed.extend(["--strategy".into(), "buildkit".into()]);
    let o = run_env(&changed, dir.path(), &[]);
    assert_usage_error(
        &o,
        "--resume: --strategy (matrix.strategies) is [\"buildkit\"] now",
    );
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM local/busybox:latest\nRUN echo other\n",
    )
    .unwrap();
    let o = run_env(&resume, dir.path(), &[]);
    assert_usage_error(&o, "--resume: the workload changed since");
    assert_eq!(records(&out).len(), 3);
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM local/busybox:latest\nRUN echo slow-step && sleep 8\n",
    )
    .unwrap();

    // A crash mid-write: a truncated last line is ignored by report and resume.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(out.join("runs.jsonl"))
        .unwrap();
    use std::io::Write;
    f.write_all(b"{\"scenario\":\"adhoc\",\"workload\":\"ctx/Dock")
        .unwrap();
    drop(f);
    let o = cachebench(&["report", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("truncated"),
        "{}",
        text(&o)
    );
    // The flags of the first run, given again with --resume, agree with the record.
    let mut full = args.clone();
    full.extend(["--resume".into(), out.display().to_string()]);
    let o = run_env(&full, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let recs = records(&out);
    assert_eq!(recs.len(), 3, "nothing left to run: {recs:#?}");
}

/// SIGTERM, then SIGTERM again: cachebench exits at once with 143, killing its
/// engine and registry and removing its bridge; the records stay readable.
#[test]
fn a_second_sigterm_exits_at_once() {
    let dir = scratch();
    let ctx = context_with(
        dir.path(),
        "FROM local/busybox:latest\nRUN echo long-step && sleep 60\n",
    );
    let out = dir.path().join("out");
    let args = small_args(&ctx, &out, &["buildkit", "inline-cache"]);
    let mut child = spawn(&args, dir.path(), dir.path());
    let needle = dir.path().display().to_string();
    wait_until(Duration::from_secs(120), "the build", || {
        !logs_containing(&out, "long-step").is_empty()
    });
    let bridge = bridge_of_engine(&needle).expect("cachebench's dockerd and its bridge");
    assert_eq!(
        firewall_rules_of(&bridge).len(),
        3,
        "egress rules of {bridge}"
    );
    std::thread::sleep(Duration::from_millis(1000));
    signal(&child, libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, libc::SIGTERM);
    let t0 = Instant::now();
    let (code, t) = wait_child(&mut child, dir.path(), Duration::from_secs(30));
    assert_eq!(code, Some(143), "{t}");
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "a second signal must exit at once, took {:?}",
        t0.elapsed()
    );
    // Readable (possibly empty, possibly holding the interrupted run).
    let recs = records_lenient(&out);
    assert!(recs.len() <= 1, "{recs:#?}");
    assert_no_leftovers(dir.path(), Some(&bridge));
}
