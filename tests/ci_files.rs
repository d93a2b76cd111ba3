//! The CI files as their systems read them, without Docker: the CodeBuild buildspec
//! and its batch build-list, the CloudFormation template's project, the GitHub
//! workflows and the composite action (pins, permissions, no expression inside a
//! `run:`), and the pull request comment's length.

use serde_norway::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn yaml(rel: &str) -> Value {
    serde_norway::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `v[k1][k2]…`, or a panic naming the path.
fn at<'a>(v: &'a Value, rel: &str, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| {
        v.get(*k)
            .unwrap_or_else(|| panic!("{rel}: no key {} ", path.join(".")))
    })
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| {
            s.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn workflow_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(repo().join(".github/workflows"))
        .unwrap()
        .map(|e| {
            format!(
                ".github/workflows/{}",
                e.unwrap().file_name().to_string_lossy()
            )
        })
        .filter(|f| f.ends_with(".yml") || f.ends_with(".yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    files
}

/// A CodeBuild batch identifier: a letter, then letters, digits or `_`, ≤ 127.
fn valid_identifier(id: &str) -> bool {
    let mut c = id.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic())
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
        && id.len() <= 127
}

#[test]
fn the_buildspec_has_what_codebuild_requires() {
    let rel = "ci/codebuild/buildspec.yml";
    let b = yaml(rel);
    let version = at(&b, rel, &["version"]);
    assert!(
        version.as_f64() == Some(0.2) || version.as_str() == Some("0.2"),
        "{rel}: version must be 0.2, got {version:?}"
    );
    for phase in ["install", "pre_build", "build"] {
        let cmds = strings(at(&b, rel, &["phases", phase, "commands"]));
        assert!(!cmds.is_empty(), "{rel}: phases.{phase}.commands is empty");
        // The scripts a phase runs exist.
        for script in cmds.iter().filter_map(|c| c.strip_prefix("bash ")) {
            assert!(
                repo().join(script).is_file(),
                "{rel}: {phase} runs missing {script}"
            );
        }
    }
    let build = strings(at(&b, rel, &["phases", "build", "commands"])).join("\n");
    let shard_script = read("ci/codebuild/run-shard.sh");
    assert!(build.contains("run-shard.sh"), "{build}");
    for must in [
        "--shard \"$CACHEBENCH_SHARD\"",
        "--registry \"$ECR_REPOSITORY_URI\"",
        "--allow-prune",
    ] {
        assert!(shard_script.contains(must), "run-shard.sh lacks {must}");
    }
    let pre = strings(at(&b, rel, &["phases", "pre_build", "commands"])).join("\n");
    assert!(
        pre.contains("aws ecr get-login-password"),
        "{rel}: no ECR login: {pre}"
    );
    assert!(!strings(at(&b, rel, &["artifacts", "files"])).is_empty());
    assert!(at(&b, rel, &["env", "variables"])
        .get("CACHEBENCH_SHARD")
        .is_some());
}

#[test]
fn the_batch_build_list_names_every_shard_once_with_valid_identifiers() {
    let rel = "ci/codebuild/buildspec.yml";
    let b = yaml(rel);
    assert_eq!(
        at(&b, rel, &["batch", "combine-artifacts"]).as_bool(),
        Some(true)
    );
    let list = at(&b, rel, &["batch", "build-list"])
        .as_sequence()
        .expect("build-list is a list");
    assert!(!list.is_empty());
    let n = list.len();
    let mut seen_ids = Vec::new();
    let mut seen_shards = Vec::new();
    for build in list {
        let id = at(build, rel, &["identifier"]).as_str().unwrap();
        assert!(
            valid_identifier(id),
            "{rel}: identifier {id:?} is not valid for CodeBuild"
        );
        assert!(!seen_ids.contains(&id), "{rel}: identifier {id} twice");
        seen_ids.push(id);
        let spec = at(build, rel, &["buildspec"]).as_str().unwrap();
        assert!(
            repo().join(spec).is_file(),
            "{rel}: {id}: buildspec {spec} missing"
        );
        assert!(
            at(build, rel, &["ignore-failure"]).is_bool(),
            "{rel}: {id}: ignore-failure"
        );
        let shard = at(build, rel, &["env", "variables", "CACHEBENCH_SHARD"])
            .as_str()
            .unwrap();
        let (i, count) = shard.split_once('/').expect("CACHEBENCH_SHARD is I/N");
        let (i, count): (usize, usize) = (i.parse().unwrap(), count.parse().unwrap());
        assert_eq!(count, n, "{rel}: {id}: {shard} but {n} builds");
        assert!((1..=n).contains(&i), "{rel}: {id}: {shard}");
        assert_eq!(id, format!("shard_{i}_of_{n}"));
        seen_shards.push(i);
    }
    seen_shards.sort_unstable();
    assert_eq!(seen_shards, (1..=n).collect::<Vec<_>>());
}

/// The committed build-list is what `cachebench plan --format codebuild-batch`
/// prints for the nightly scenario (its plan hash aside).
#[test]
fn the_batch_build_list_is_what_plan_prints() {
    let bin = env!("CARGO_BIN_EXE_cachebench");
    let rel = "ci/codebuild/buildspec.yml";
    let committed = at(&yaml(rel), rel, &["batch", "build-list"]).clone();
    let n = committed.as_sequence().unwrap().len().to_string();
    let o = Command::new(bin)
        .current_dir(repo())
        .args([
            "plan",
            "scenarios/nightly.toml",
            "--format",
            "codebuild-batch",
            "--shards",
            &n,
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let printed: Value = serde_norway::from_slice(&o.stdout).unwrap();
    let mut printed = at(&printed, "plan output", &["batch", "build-list"]).clone();
    for build in printed.as_sequence_mut().unwrap() {
        let vars = build["env"]["variables"].as_mapping_mut().unwrap();
        vars.remove("CACHEBENCH_PLAN_HASH");
    }
    assert_eq!(printed, committed, "regenerate the batch section of {rel}");
}

/// The nightly's bench job reads `matrix.shard` and `matrix.index` from what
/// `cachebench plan --format gha-matrix` prints.
#[test]
fn the_gha_matrix_has_the_keys_the_nightly_reads() {
    let bin = env!("CARGO_BIN_EXE_cachebench");
    let nightly = read(".github/workflows/nightly.yml");
    assert!(nightly.contains("--format gha-matrix --shards \"$SHARDS\""));
    assert!(nightly.contains("matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}"));
    let o = Command::new(bin)
        .current_dir(repo())
        .args([
            "plan",
            "scenarios/nightly.toml",
            "--format",
            "gha-matrix",
            "--shards",
            "4",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let include = m["include"].as_array().expect("include: [...]");
    assert_eq!(include.len(), 4);
    for (i, entry) in include.iter().enumerate() {
        assert_eq!(entry["shard"], format!("{}/4", i + 1), "{entry}");
        assert_eq!(entry["index"], i + 1, "{entry}");
        for key in ["cells", "groups"] {
            assert!(
                nightly.contains(&format!(".{key}")) && entry.get(key).is_some(),
                "{key}: {entry}"
            );
        }
    }
}

#[test]
fn the_template_makes_a_privileged_project_with_local_caches_and_batch_builds() {
    let rel = "ci/codebuild/template.yaml";
    let t = yaml(rel);
    let p = at(&t, rel, &["Resources", "Project"]);
    assert_eq!(
        at(p, rel, &["Type"]).as_str(),
        Some("AWS::CodeBuild::Project")
    );
    let props = at(p, rel, &["Properties"]);
    assert_eq!(
        at(props, rel, &["Environment", "PrivilegedMode"]).as_bool(),
        Some(true)
    );
    assert_eq!(at(props, rel, &["Cache", "Type"]).as_str(), Some("LOCAL"));
    let modes = strings(at(props, rel, &["Cache", "Modes"]));
    for m in ["LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE"] {
        assert!(modes.iter().any(|x| x == m), "{rel}: Cache.Modes lacks {m}");
    }
    // The buildspec's own cache paths need the custom cache mode.
    if yaml("ci/codebuild/buildspec.yml").get("cache").is_some() {
        assert!(
            modes.iter().any(|x| x == "LOCAL_CUSTOM_CACHE"),
            "{rel}: {modes:?}"
        );
    }
    assert_eq!(
        at(props, rel, &["Source", "BuildSpec"]).as_str(),
        Some("ci/codebuild/buildspec.yml")
    );
    assert_eq!(
        at(props, rel, &["BuildBatchConfig", "CombineArtifacts"]).as_bool(),
        Some(true)
    );
    let repo_props = at(&t, rel, &["Resources", "Repository", "Properties"]);
    let lifecycle = at(repo_props, rel, &["LifecyclePolicy", "LifecyclePolicyText"]);
    let text = format!("{lifecycle:?}");
    assert!(
        text.contains("untagged") && text.contains("imageCountMoreThan"),
        "{text}"
    );
    // ECR login needs `*`; every other grant names a resource of the stack.
    let role = format!(
        "{:?}",
        at(
            &t,
            rel,
            &["Resources", "ServiceRole", "Properties", "Policies"]
        )
    );
    assert_eq!(role.matches("String(\"*\")").count(), 1, "{role}");
}

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
