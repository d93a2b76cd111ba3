//! The composite action (`action.yml`) run as a GitHub runner would run it, by
//! `scripts/ci/run-action-locally.sh`: its default inputs (only the project's own
//! files named, and a smaller dependency layer), the runner's files, each `run:`
//! step with its shell, `uses:` steps skipped. Against the host engine, the
//! action's default `docker-host`, so it holds the host lock.

use crate::common::{
    host::{host_docker_ok, host_lock},
    runs::{bin, repo},
    scratch::scratch,
};
use cachebench::records::record::RunStatus;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// A GITHUB_OUTPUT file: `k=v` lines and `k<<DELIM … DELIM` blocks.
fn github_outputs(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((key, delim)) = line.split_once("<<") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| *l != delim).collect();
            out.insert(key.to_string(), body.join("\n"));
        } else if let Some((key, value)) = line.split_once('=') {
            out.insert(key.to_string(), value.to_string());
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

#[test]
fn the_action_runs_with_its_default_inputs_and_outputs_the_decision() {
    let _host = host_lock();
    let images = || host_docker_ok(&["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]);
    let images_before = images();
    let dir = scratch();
    let workspace = dir.path().join("workspace");
    copy_dir(&repo().join("dockerfiles/synthetic"), &workspace);
    let state = dir.path().join("state");
    let path = format!(
        "{}:{}",
        bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("bash")
        .arg(repo().join("scripts/ci/run-action-locally.sh"))
        .arg("--state")
        .arg(&state)
        .arg("--workspace")
        .arg(&workspace)
        .args(["--input", "source-file=src/main.txt"])
        .args(["--input", "deps-file=deps.txt"])
        .args([
            "--input",
            "args=--build-arg\nDEPS_MB=1\n--build-arg\nDEPS_ROUNDS=1",
        ])
        .env("PATH", path)
        .env("TMPDIR", dir.path())
        .env_remove("DOCKER_HOST")
        .output()
        .expect("run scripts/ci/run-action-locally.sh");
    let log = format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(0), "{log}");
    // The cachebench under test was used, not a fresh build of it.
    assert!(log.contains(&format!("using {}", bin().display())), "{log}");
    // Its `uses:` steps are named as skipped, never run.
    for skipped in ["actions/github-script@", "actions/upload-artifact@"] {
        assert!(log.contains(&format!("`uses: {skipped}")), "{log}");
    }
    // The default matrix reached cachebench: each default strategy and state.
    for flag in [
        "--strategy buildkit",
        "--strategy registry-cache",
        "--strategy local-cache",
        "--strategy inline-cache",
        "--strategy gha-cache",
        "--state cold",
        "--state warm-remote",
        "--reps 3",
        "--docker-host unix:///var/run/docker.sock --allow-prune",
    ] {
        assert!(log.contains(flag), "{flag} not in the command: {log}");
    }

    let outputs = github_outputs(&std::fs::read_to_string(state.join("outputs")).unwrap());
    assert_eq!(outputs["exit-code"], "0", "{outputs:#?}");
    let decision = &outputs["decision"];
    assert!(decision.starts_with("## Decision"), "{decision}");
    // The answer itself is the run's: a cache, or no cache when none earns its keep.
    assert!(
        decision.contains("On an ephemeral runner, use **")
            || decision.contains("On an ephemeral runner, build with **no cache**"),
        "{decision}"
    );
    assert!(
        !decision.contains("\n## Results"),
        "the Decision alone: {decision}"
    );
    let decision_file = std::fs::read_to_string(&outputs["decision-file"]).unwrap();
    assert_eq!(decision_file.trim_end(), decision.trim_end());

    let results = Path::new(&outputs["results"]);
    for file in ["runs.jsonl", "github.md", "summary.json", "benchmark.json"] {
        assert!(
            results.join(file).is_file(),
            "{file} in {}",
            results.display()
        );
    }
    // Every run that ran proved its state (gha-cache against cachebench's stand-in:
    // the script sets no ACTIONS_RUNTIME_TOKEN, so there is no real service).
    let records = crate::common::records::records(results);
    let ok: Vec<_> = records
        .iter()
        .filter(|r| r.status == RunStatus::Ok)
        .collect();
    assert!(!ok.is_empty(), "{records:#?}");
    for r in ok {
        assert_eq!(r.state_check, "ok", "{r:#?}");
    }
    // The job summary holds github.md once, which opens with the same Decision.
    let summary = std::fs::read_to_string(state.join("step-summary.md")).unwrap();
    let github_md = std::fs::read_to_string(results.join("github.md")).unwrap();
    assert_eq!(summary.trim_end(), github_md.trim_end());
    assert_eq!(summary.matches("\n## Decision\n").count(), 1, "{summary}");
    assert!(summary.contains(decision.trim_end()), "{summary}");
    // The runner's engine keeps no image of the run's (its tags are removed).
    let left: Vec<String> = images()
        .lines()
        .filter(|l| !images_before.lines().any(|b| b == *l))
        .map(str::to_string)
        .collect();
    assert!(left.is_empty(), "images left on the host engine: {left:?}");
    // The run knew it was on a (stand-in) GitHub runner.
    let env = std::fs::read_to_string(results.join("env.json")).unwrap();
    assert!(env.contains("\"ci_provider\": \"github-actions\""), "{env}");
}
