//! The corpus of real projects (dockerfiles/node-app, rust-app, python-app) on a
//! real engine, each as its scenario describes it: built cold, then after a source
//! change and after a dependency change on a warm host (warm-local, the docker
//! driver), every run ok with its state proven. Their builds download from Debian's
//! archive and the npm, crates and Python package registries through the engine's
//! egress; behind a TLS-intercepting proxy the machine's CA bundle is copied into
//! the context's `certs/ca.crt`, as a team does with its corporate CA.

use super::common::records::records;
use super::common::runs::{repo, run, text};
use super::common::scratch::scratch;
use cachebench::records::record::{RunKind, RunStatus};
use std::path::{Path, PathBuf};

/// The base image the corpus builds on (scripts/setup.sh makes it).
const BASE: &str = "local/debian:trixie";

/// A copy of `dockerfiles/NAME` in `dir`, with the machine's CA bundle as
/// `certs/ca.crt` when it has one.
fn context_copy(name: &str, dir: &Path) -> PathBuf {
    let to = dir.join(name);
    let st = std::process::Command::new("cp")
        .arg("-r")
        .arg(repo().join("dockerfiles").join(name))
        .arg(&to)
        .status()
        .unwrap();
    assert!(st.success(), "cp -r dockerfiles/{name}");
    let bundle = Path::new("/etc/ssl/certs/ca-certificates.crt");
    if bundle.is_file() {
        std::fs::copy(bundle, to.join("certs/ca.crt")).unwrap();
    }
    to
}

fn base_image_present() -> bool {
    std::process::Command::new("docker")
        .args(["image", "inspect", BASE])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs the workload cold, then source and deps changes on warm-local, and checks
/// every run.
fn builds_and_proves(name: &str, source: &str, deps: &str) {
    assert!(
        base_image_present(),
        "{BASE} is missing: run `bash scripts/debian-base-image.sh trixie` (scripts/setup.sh does)"
    );
    let dir = scratch();
    let ctx = context_copy(name, dir.path());
    let out = dir.path().join("out");
    let args: Vec<String> = [
        "run",
        "--context",
        ctx.to_str().unwrap(),
        "--source-file",
        source,
        "--deps-file",
        deps,
        "--strategy",
        "buildkit",
        "--state",
        "cold",
        "--state",
        "warm-local",
        "--change",
        "source",
        "--change",
        "deps",
        "--reps",
        "1",
        "--seed-image",
        BASE,
        "--seed-image",
        "local/busybox:latest",
        "--timeout",
        "15m",
        "--out",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o));
    let rs: Vec<_> = records(&out)
        .into_iter()
        .filter(|r| r.kind == RunKind::Measured)
        .collect();
    let seen: Vec<String> = rs
        .iter()
        .map(|r| format!("{}/{}", r.state, r.change))
        .collect();
    for want in ["cold/source", "warm-local/source", "warm-local/deps"] {
        assert!(
            seen.iter().any(|s| s == want),
            "{name}: no {want} run in {seen:?}"
        );
    }
    for r in &rs {
        assert_eq!(r.status, RunStatus::Ok, "{name} {}: {}", r.cell(), r.reason);
        assert_eq!(r.state_check, "ok", "{name} {}: state not proven", r.cell());
    }
    // A warm change ran only what reads the changed file: fewer steps ran than cold.
    let ran = |state: &str, change: &str| {
        rs.iter()
            .find(|r| r.state == state && r.change == change)
            .and_then(|r| Some(r.steps_total? - r.steps_cached?))
            .unwrap()
    };
    assert!(
        ran("warm-local", "source") < ran("cold", "source"),
        "{name}: a source change reran as much as a cold build"
    );
}

#[test]
fn node_app_builds_cold_and_after_source_and_deps_changes() {
    builds_and_proves("node-app", "src/server.ts", "package.json");
}

#[test]
fn rust_app_builds_cold_and_after_source_and_deps_changes() {
    builds_and_proves("rust-app", "src/main.rs", "Cargo.toml");
}

#[test]
fn python_app_builds_cold_and_after_source_and_deps_changes() {
    builds_and_proves("python-app", "app/main.py", "requirements.txt");
}
