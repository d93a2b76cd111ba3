//! Interruption and resume: SIGINT/SIGTERM during a build, a second signal, and
//! `run --resume OUT` alone or with the first run's flags (including after a crash
//! left a truncated last line).

use super::common::{
    host::{host_docker, host_docker_ok, host_lock},
    leftovers::{assert_no_leftovers, bridge_of_engine, firewall_rules_of, processes_mentioning},
    records::{jsonl_lines, logs_containing, records, records_lenient},
    runs::{
        assert_usage_error, bin, cachebench, run_env, small_args, spawn, text, wait_child,
        wait_until,
    },
    scratch::{context_with, nonce, scratch},
};
use cachebench::records::record::RunStatus;
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
    // Rounds run in a shuffled order: the cell run again is the one interrupted.
    assert_eq!(recs[2].cell(), recs[1].cell(), "{recs:#?}");
    assert_ne!(recs[2].cell(), recs[0].cell(), "{recs:#?}");
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
    let took = t0.elapsed();
    assert_eq!(code, Some(143), "{t}");
    // At once: the first signal's KILL_GRACE (5 s) and the engine's stop grace
    // (15 s) are not waited for.
    assert!(
        took < Duration::from_secs(4),
        "a second signal must exit at once, took {took:?}\n{t}"
    );
    // Readable (possibly empty, possibly holding the interrupted run).
    let recs = records_lenient(&out);
    assert!(recs.len() <= 1, "{recs:#?}");
    assert_no_leftovers(dir.path(), Some(&bridge));
}

/// A local image of ~300 MB on the host engine, removed on drop: seeding it into
/// cachebench's engine (`docker save | docker load`) takes seconds.
struct BigSeed(String);

impl BigSeed {
    fn build(dir: &std::path::Path) -> BigSeed {
        let name = format!("local/cbt-seed-{}:latest", nonce());
        let ctx = dir.join("bigseed");
        std::fs::create_dir_all(&ctx).unwrap();
        std::fs::write(
            ctx.join("Dockerfile"),
            "FROM local/busybox:latest\nRUN head -c 300000000 /dev/urandom > /blob\n",
        )
        .unwrap();
        host_docker_ok(&["build", "-q", "-t", &name, ctx.to_str().unwrap()]);
        BigSeed(name)
    }
}

impl Drop for BigSeed {
    fn drop(&mut self) {
        let _ = host_docker(&["image", "rm", &self.0]);
    }
}

/// cachebench started as a terminal starts it: leader of its own process group,
/// so a "Ctrl-C" (a signal to that group) reaches cachebench and whatever child
/// shares its group.
fn spawn_group_leader(args: &[String], dir: &std::path::Path) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    std::process::Command::new(bin())
        .args(args)
        .env_remove("DOCKER_HOST")
        .env("TMPDIR", dir)
        .stdout(std::fs::File::create(dir.join("cb.stdout")).unwrap())
        .stderr(std::fs::File::create(dir.join("cb.stderr")).unwrap())
        .process_group(0)
        .spawn()
        .expect("start cachebench")
}

/// Pids of `docker load` processes whose DOCKER_HOST is under `needle`.
fn loads_into(needle: &str) -> Vec<u32> {
    let mut v = vec![];
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let env = std::fs::read(e.path().join("environ")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        let env = String::from_utf8_lossy(&env);
        if cmd.starts_with("docker load") && env.contains(&format!("DOCKER_HOST=unix://{needle}")) {
            v.push(pid);
        }
    }
    v
}

fn seeding(image: &str) -> bool {
    !processes_mentioning(&format!("save {image}")).is_empty()
}

/// Ctrl-C while a large base image is being seeded: cachebench exits 130 (not 2
/// "failed to seed": `docker save | docker load` run in their own groups and are
/// ended by cachebench), records nothing, and leaves no process (the pipe's
/// included), bridge, rule or folder. Then SIGTERM twice while seeding: the
/// second ends the teardown at once with 143.
#[test]
fn ctrl_c_while_seeding_exits_130_and_a_second_signal_exits_at_once() {
    let _host = host_lock();
    let dir = scratch();
    let big = BigSeed::build(dir.path());
    let ctx = context_with(dir.path(), "FROM local/busybox:latest\nRUN echo never\n");
    let out = dir.path().join("out");
    let mut args = small_args(&ctx, &out, &["buildkit"]);
    args.extend([
        "--seed-image".into(),
        "local/busybox:latest".into(),
        "--seed-image".into(),
        big.0.clone(),
    ]);
    let needle = dir.path().display().to_string();

    let mut child = spawn_group_leader(&args, dir.path());
    wait_until(
        Duration::from_secs(120),
        "the seeding of the big image",
        || seeding(&big.0),
    );
    let bridge = bridge_of_engine(&needle).expect("cachebench's dockerd and its bridge");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        seeding(&big.0),
        "seeding ended before the Ctrl-C; make the image bigger"
    );
    assert!(
        !loads_into(&needle).is_empty(),
        "no docker load into cachebench's engine seen while seeding"
    );
    // SAFETY: kill(2) on the process group of the cachebench this test started.
    unsafe { libc::kill(-(child.id() as i32), libc::SIGINT) };
    let t0 = Instant::now();
    let (code, t) = wait_child(&mut child, dir.path(), Duration::from_secs(60));
    assert_eq!(code, Some(130), "{t}");
    assert!(t.contains("interrupted during setup"), "{t}");
    assert!(!t.contains("failed to seed"), "{t}");
    assert!(t0.elapsed() < Duration::from_secs(30), "{:?}", t0.elapsed());
    assert_eq!(jsonl_lines(&out), 0, "nothing ran");
    assert!(!seeding(&big.0), "the seeding pipe outlived cachebench");
    let loads = loads_into(&needle);
    assert!(
        loads.is_empty(),
        "docker load into cachebench's engine left: {loads:?}"
    );
    assert_no_leftovers(dir.path(), Some(&bridge));

    // Twice: the first ends the seeding and starts the teardown (dockerd gets up
    // to 15 s to stop); the second exits at once.
    let out2 = dir.path().join("out2");
    let args2: Vec<String> = args
        .iter()
        .map(|a| {
            if *a == out.to_str().unwrap() {
                out2.display().to_string()
            } else {
                a.clone()
            }
        })
        .collect();
    let mut child = spawn_group_leader(&args2, dir.path());
    wait_until(
        Duration::from_secs(120),
        "the seeding of the big image",
        || seeding(&big.0),
    );
    let bridge = bridge_of_engine(&needle).expect("cachebench's dockerd and its bridge");
    std::thread::sleep(Duration::from_millis(500));
    signal(&child, libc::SIGTERM);
    std::thread::sleep(Duration::from_millis(200));
    signal(&child, libc::SIGTERM);
    let t0 = Instant::now();
    let (code, t) = wait_child(&mut child, dir.path(), Duration::from_secs(60));
    let took = t0.elapsed();
    assert_eq!(code, Some(143), "{t}");
    assert!(
        took < Duration::from_secs(4),
        "the second signal took {took:?}\n{t}"
    );
    assert!(!seeding(&big.0), "the seeding pipe outlived cachebench");
    assert_no_leftovers(dir.path(), Some(&bridge));
}
