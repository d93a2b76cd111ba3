use super::*;
use std::collections::HashMap;

#[test]
fn missing_env_is_none() {
    let dir = tempfile::tempdir().unwrap();
    assert!(load_env(&dir.path().join("env.json")).unwrap().is_none());
}

/// Every secret a GitHub runner or a CodeBuild container may hold, each with a
/// value of its own that must never reach env.json.
const SECRETS: [&str; 12] = [
    "GITHUB_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_CACHE_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "CODEBUILD_AUTH_TOKEN",
    "NPM_TOKEN",
];

fn job(extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut m: HashMap<String, String> = SECRETS
        .iter()
        .enumerate()
        .map(|(i, k)| (k.to_string(), format!("s3cr3t-value-{i}")))
        .collect();
    for (k, v) in extra {
        m.insert(k.to_string(), v.to_string());
    }
    m
}

fn recorded(vars: &HashMap<String, String>) -> (Option<CiInfo>, String) {
    let ci = CiInfo::detect(|k| vars.get(k).cloned());
    let env = EnvInfo {
        ci: ci.clone(),
        ..EnvInfo::default()
    };
    (ci, serde_json::to_string(&env).unwrap())
}

#[test]
fn github_actions_is_recorded_without_a_secret() {
    let vars = job(&[
        ("GITHUB_ACTIONS", "true"),
        ("RUNNER_ENVIRONMENT", "github-hosted"),
        ("RUNNER_OS", "Linux"),
        ("RUNNER_ARCH", "X64"),
        ("RUNNER_NAME", "GitHub Actions 12"),
        ("GITHUB_RUN_ID", "987654"),
        ("GITHUB_REPOSITORY", "acme/app"),
    ]);
    let (ci, json) = recorded(&vars);
    let ci = ci.unwrap();
    assert_eq!(ci.provider, "github-actions");
    assert_eq!(ci.runner_environment.as_deref(), Some("github-hosted"));
    assert_eq!(ci.run_id.as_deref(), Some("987654"));
    assert_eq!(ci.repository.as_deref(), Some("acme/app"));
    assert_eq!(ci.runner_words(), "github-actions github-hosted Linux X64");
    assert!(!json.contains("s3cr3t"), "{json}");
    for k in SECRETS {
        assert!(
            !json.contains(k) && !json.to_lowercase().contains(&k.to_lowercase()),
            "{k}: {json}"
        );
    }
}

#[test]
fn codebuild_is_recorded_with_region_and_build_id_without_a_secret() {
    let vars = job(&[
        ("CODEBUILD_BUILD_ID", "bench:0f1e2d3c"),
        (
            "CODEBUILD_BUILD_ARN",
            "arn:aws:codebuild:eu-west-1:123456789012:build/bench:0f1e2d3c",
        ),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("CODEBUILD_COMPUTE_TYPE", "BUILD_GENERAL1_MEDIUM"),
        ("CODEBUILD_BATCH_BUILD_IDENTIFIER", "shard_1_of_3"),
    ]);
    let (ci, json) = recorded(&vars);
    let ci = ci.unwrap();
    assert_eq!(ci.provider, "codebuild");
    assert_eq!(ci.build_id.as_deref(), Some("bench:0f1e2d3c"));
    assert_eq!(ci.region.as_deref(), Some("eu-west-1"));
    assert_eq!(ci.compute_type.as_deref(), Some("BUILD_GENERAL1_MEDIUM"));
    assert_eq!(ci.batch_identifier.as_deref(), Some("shard_1_of_3"));
    assert!(!json.contains("s3cr3t"), "{json}");
}

#[test]
fn no_ci_is_none_even_with_secrets_around() {
    assert_eq!(CiInfo::detect(|k| job(&[]).get(k).cloned()), None);
    // An empty GITHUB_ACTIONS is not GitHub Actions.
    assert_eq!(
        CiInfo::detect(|k| (k == "GITHUB_ACTIONS").then(String::new)),
        None
    );
}

#[test]
fn hosts_that_differ_are_named_field_by_field() {
    let host = |name: &str, shard: &str, cpu: &str, engine: &str| HostEnv {
        shard: shard.into(),
        host: name.into(),
        env: EnvInfo {
            cpu_model: Some(cpu.into()),
            engine_version: Some(engine.into()),
            driver: Some("docker".into()),
            ..EnvInfo::default()
        },
        ..HostEnv::default()
    };
    let same = [host("a", "1/2", "X", "26.1"), host("b", "2/2", "X", "26.1")];
    assert!(host_differences(&same).is_empty());
    let differ = [host("a", "1/2", "X", "26.1"), host("b", "2/2", "Y", "26.1")];
    assert_eq!(
        host_differences(&differ),
        ["CPU model: a (1/2) X; b (2/2) Y"]
    );
}
