//! The GitHub side: pins, permissions, no expression in a `run:`, the composite
//! action, and the pull request comment's length.

use crate::{at, read, repo, workflow_files, yaml};
use serde_norway::Value;
use std::path::Path;
use std::process::Command;

/// `uses:` lines outside comments: `(line number, value)`.
fn uses_lines(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let t = l.trim_start().trim_start_matches("- ");
            t.strip_prefix("uses:")
                .map(|v| (i + 1, v.trim().to_string()))
        })
        .collect()
}

#[test]
fn every_action_is_pinned_by_a_full_commit_sha_with_its_version() {
    for rel in workflow_files()
        .iter()
        .map(String::as_str)
        .chain(["action.yml"])
    {
        let text = read(rel);
        for (line, value) in uses_lines(&text) {
            if value.starts_with("./") {
                continue;
            }
            let (target, comment) = value.split_once(" # ").unwrap_or((&value, ""));
            let (_, sha) = target
                .split_once('@')
                .unwrap_or_else(|| panic!("{rel}:{line}: {value}: no @"));
            assert!(
                sha.len() == 40
                    && sha
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
                "{rel}:{line}: {value}: pin a full 40-hex commit SHA"
            );
            assert!(
                comment.trim().starts_with('v'),
                "{rel}:{line}: {value}: say the version (# vX.Y.Z)"
            );
        }
    }
}

#[test]
fn workflows_grant_least_permissions_per_job() {
    for rel in workflow_files() {
        let w = yaml(&rel);
        let top = at(&w, &rel, &["permissions"]);
        assert!(
            top.as_mapping().is_some_and(|m| m.is_empty()) || top.as_str() == Some("read-all"),
            "{rel}: top-level permissions must be {{}} (each job asks for its own)"
        );
        for (name, job) in at(&w, &rel, &["jobs"]).as_mapping().unwrap() {
            let name = name.as_str().unwrap();
            let perms = job
                .get("permissions")
                .unwrap_or_else(|| panic!("{rel}: job {name} has no permissions:"));
            for (scope, level) in perms.as_mapping().unwrap() {
                assert!(
                    matches!(level.as_str(), Some("read" | "write" | "none")),
                    "{rel}: {name}: {scope:?}: {level:?}"
                );
            }
            for step in job
                .get("steps")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
            {
                let uses = step.get("uses").and_then(Value::as_str).unwrap_or("");
                if uses.starts_with("actions/checkout@") {
                    assert_eq!(
                        step["with"]["persist-credentials"].as_bool(),
                        Some(false),
                        "{rel}: {name}: checkout without persist-credentials: false"
                    );
                }
            }
        }
    }
}

/// Every `run:` of a workflow's jobs or of the action's steps.
fn run_blocks(rel: &str) -> Vec<String> {
    let v = yaml(rel);
    let mut steps: Vec<&Value> = Vec::new();
    if let Some(jobs) = v.get("jobs").and_then(Value::as_mapping) {
        for job in jobs.values() {
            steps.extend(
                job.get("steps")
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten(),
            );
        }
    }
    if let Some(s) = v
        .get("runs")
        .and_then(|r| r.get("steps"))
        .and_then(Value::as_sequence)
    {
        steps.extend(s);
    }
    steps
        .iter()
        .filter_map(|s| s.get("run").and_then(Value::as_str).map(str::to_string))
        .collect()
}

#[test]
fn no_expression_is_interpolated_into_a_run_block() {
    let mut checked = 0;
    for rel in workflow_files()
        .iter()
        .map(String::as_str)
        .chain(["action.yml"])
    {
        for script in run_blocks(rel) {
            checked += 1;
            assert!(
                !script.contains("${{"),
                "{rel}: an expression inside run: (pass it through env:):\n{script}"
            );
        }
    }
    assert!(checked >= 8, "only {checked} run blocks found");
}

#[test]
fn the_action_is_composite_and_passes_its_inputs_through_env() {
    let rel = "action.yml";
    let a = yaml(rel);
    assert_eq!(at(&a, rel, &["runs", "using"]).as_str(), Some("composite"));
    let inputs = at(&a, rel, &["inputs"]).as_mapping().unwrap();
    for name in [
        "context",
        "dockerfile",
        "source-file",
        "deps-file",
        "strategies",
        "states",
        "reps",
        "link",
        "registry",
    ] {
        assert!(inputs.contains_key(name), "{rel}: no input {name}");
    }
    let text = read(rel);
    // Each input is used, and only inputs that exist are referenced.
    for (name, _) in inputs {
        let name = name.as_str().unwrap();
        assert!(
            text.contains(&format!("inputs.{name} }}}}")),
            "{rel}: input {name} is never used"
        );
    }
    for part in text.split("inputs.").skip(1) {
        let name: String = part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        assert!(
            inputs.contains_key(name.as_str()),
            "{rel}: inputs.{name} is not declared"
        );
    }
    let steps = at(&a, rel, &["runs", "steps"]).as_sequence().unwrap();
    let ids: Vec<&str> = steps
        .iter()
        .filter_map(|s| s.get("id").and_then(Value::as_str))
        .collect();
    for s in steps.iter().filter(|s| s.get("run").is_some()) {
        assert_eq!(
            s["shell"].as_str(),
            Some("bash"),
            "{rel}: a run step needs shell: bash"
        );
        let script = s["run"].as_str().unwrap();
        if let Some(path) = script
            .strip_prefix("bash \"$GITHUB_ACTION_PATH/")
            .and_then(|p| p.strip_suffix('"'))
        {
            assert!(
                Path::new(&repo().join(path)).is_file(),
                "{rel}: {path} missing"
            );
        }
    }
    for (name, out) in at(&a, rel, &["outputs"]).as_mapping().unwrap() {
        let value = out["value"].as_str().unwrap();
        let id = value
            .split("steps.")
            .nth(1)
            .and_then(|r| r.split('.').next())
            .unwrap();
        assert!(
            ids.contains(&id),
            "{rel}: output {name:?} reads step {id}, which has no such id"
        );
    }
}

#[test]
fn the_pull_request_comment_stays_under_githubs_limit_and_says_it_was_cut() {
    let dir = tempfile::tempdir().unwrap();
    let decision = dir.path().join("decision.md");
    std::fs::write(
        &decision,
        "## Decision\n\nOn an ephemeral runner, use **registry-cache**.\n",
    )
    .unwrap();
    let compare = dir.path().join("compare.md");
    let row = "| registry-cache/docker/warm-remote/source | 1.56 s | 1.60 s | +2.6% | -1% … +5% | no change |\n";
    std::fs::write(&compare, row.repeat(2000)).unwrap();
    let out = dir.path().join("comment.md");
    let o = Command::new("python3")
        .arg(repo().join("scripts/ci/pr_comment.py"))
        .args([
            "--compare-exit",
            "0",
            "--artifact-url",
            "https://github.example/artifact/1",
        ])
        .arg("--decision")
        .arg(&decision)
        .arg("--compare")
        .arg(&compare)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("python3");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.chars().count() <= 65_536,
        "{} characters",
        text.chars().count()
    );
    assert!(text.starts_with("<!-- cachebench-pr-comment -->\n"));
    assert!(text.contains("On an ephemeral runner, use **registry-cache**"));
    assert!(
        text.contains("65,536-character comment limit"),
        "no note of the cut"
    );
    assert!(
        text.contains("(https://github.example/artifact/1)"),
        "no link to the artifact"
    );
    // Cut at a line: the last table row kept is whole.
    let before_note = text.split("\n\n> **Cut here**").next().unwrap();
    assert!(
        before_note.ends_with("| no change |"),
        "{}",
        &before_note[before_note.len() - 80..]
    );

    // A short comment is not cut.
    std::fs::write(&compare, row).unwrap();
    let o = Command::new("python3")
        .arg(repo().join("scripts/ci/pr_comment.py"))
        .arg("--decision")
        .arg(&decision)
        .arg("--compare")
        .arg(&compare)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        !text.contains("Cut here") && text.contains(row.trim_end()),
        "{text}"
    );
}
