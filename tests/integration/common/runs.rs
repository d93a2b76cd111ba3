//! Running the `cachebench` binary: to completion or in the background, with a
//! scratch `TMPDIR`, on the tiny synthetic workload or a small matrix; its output
//! for a message, and a usage error's one line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cachebench"))
}

/// The repository's root (dockerfiles, fixtures).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `cachebench ARGS` to completion, without the caller's `DOCKER_HOST`.
pub fn cachebench(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env_remove("DOCKER_HOST")
        .output()
        .expect("run cachebench")
}

/// An output's exit code, stdout and stderr, for an assertion's message.
pub fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A tiny copy of the synthetic workload (1 MB dependency layer).
pub fn tiny_args(out: &Path) -> Vec<String> {
    let ctx = repo().join("dockerfiles/synthetic");
    vec![
        "--context".into(),
        ctx.display().to_string(),
        "--source-file".into(),
        "src/main.txt".into(),
        "--deps-file".into(),
        "deps.txt".into(),
        "--build-arg".into(),
        "DEPS_MB=1".into(),
        "--build-arg".into(),
        "DEPS_ROUNDS=1".into(),
        "--reps".into(),
        "1".into(),
        "--timeout".into(),
        "5m".into(),
        "--out".into(),
        out.display().to_string(),
    ]
}

/// `run` with [`tiny_args`], `--reps` set to `reps`, then `extra`.
pub fn tiny_run_args(out: &Path, reps: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["run".to_string()];
    args.extend(tiny_args(out));
    let i = args.iter().position(|a| a == "--reps").unwrap();
    args[i + 1] = reps.into();
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

/// [`cachebench`] with owned arguments.
pub fn run(args: &[String]) -> Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    cachebench(&refs)
}

/// Exit 2 with one line on stderr that contains `needle`.
pub fn assert_usage_error(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", text(o));
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {err}");
    assert!(lines[0].contains(needle), "{needle:?} not in {err}");
}

/// `cachebench ARGS` with `TMPDIR` and extra environment, to completion.
pub fn run_env(args: &[String], tmpdir: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(bin());
    c.args(args).env_remove("DOCKER_HOST").env("TMPDIR", tmpdir);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run cachebench")
}

/// `cachebench ARGS` started in the background (stdout/stderr to files in `dir`).
pub fn spawn(args: &[String], tmpdir: &Path, dir: &Path) -> std::process::Child {
    let out = std::fs::File::create(dir.join("cb.stdout")).unwrap();
    let err = std::fs::File::create(dir.join("cb.stderr")).unwrap();
    Command::new(bin())
        .args(args)
        .env_remove("DOCKER_HOST")
        .env("TMPDIR", tmpdir)
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start cachebench")
}

/// Waits for a background cachebench; its output for messages.
pub fn wait_child(
    child: &mut std::process::Child,
    dir: &Path,
    limit: Duration,
) -> (Option<i32>, String) {
    let t0 = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            let text = format!(
                "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
                st.code(),
                std::fs::read_to_string(dir.join("cb.stdout")).unwrap_or_default(),
                std::fs::read_to_string(dir.join("cb.stderr")).unwrap_or_default()
            );
            return (st.code(), text);
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            panic!(
                "cachebench did not end within {limit:?}; stderr:\n{}",
                std::fs::read_to_string(dir.join("cb.stderr")).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Polls `f` every 50 ms until it is true; panics with `what` after `limit`.
pub fn wait_until(limit: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Arguments of a small matrix on `ctx`: cold state, no change, one rep.
pub fn small_args(ctx: &Path, out: &Path, strategies: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "run",
        "--context",
        ctx.to_str().unwrap(),
        "--state",
        "cold",
        "--change",
        "none",
        "--reps",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for s in strategies {
        a.push("--strategy".into());
        a.push(s.to_string());
    }
    a
}
