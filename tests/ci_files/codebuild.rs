//! The CodeBuild side: the buildspec, its batch build-list against `plan`'s own
//! output, the gha matrix the nightly reads, and the CloudFormation template.

use crate::{at, read, repo, strings, valid_identifier, yaml};
use serde_norway::Value;
use std::process::Command;

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
