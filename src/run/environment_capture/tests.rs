//! Tests of the environment capture: parsers of docker's answers, the BuildKit
//! version of the docker driver, the scenario's hash, deadlines.

use super::*;

#[test]
fn parses_docker_version_json() {
    let mut env = EnvInfo::default();
    env.apply_docker_version(
        r#"{"Client":{"Version":"26.1.5+dfsg1"},"Server":{"Version":"26.1.5+dfsg1","Components":[{"Name":"Engine","Version":"26.1.5+dfsg1"},{"Name":"containerd","Version":"1.7.24~ds1"}]}}"#,
    );
    assert_eq!(env.docker_cli_version.as_deref(), Some("26.1.5+dfsg1"));
    assert_eq!(env.engine_version.as_deref(), Some("26.1.5+dfsg1"));
    assert_eq!(env.containerd_version.as_deref(), Some("1.7.24~ds1"));
    env.apply_docker_version("not json"); // ignored
    assert_eq!(env.engine_version.as_deref(), Some("26.1.5+dfsg1"));
}

#[test]
fn parses_docker_info_image_store() {
    let mut env = EnvInfo::default();
    env.apply_docker_info(
        r#"{"Driver":"overlayfs","DriverStatus":[["driver-type","io.containerd.snapshotter.v1"]],"KernelVersion":"6.1.0","NCPU":2,"MemTotal":1024}"#,
    );
    assert_eq!(env.image_store.as_deref(), Some("containerd-snapshotter"));
    assert_eq!(env.kernel.as_deref(), Some("6.1.0"));
    assert_eq!((env.cpu_cores, env.memory_bytes), (Some(2), Some(1024)));
    let mut env = EnvInfo::default();
    env.apply_docker_info(
        r#"{"Driver":"overlay2","DriverStatus":[["Backing Filesystem","extfs"]]}"#,
    );
    assert_eq!(env.image_store.as_deref(), Some("graphdriver:overlay2"));
}

#[test]
fn parses_buildx() {
    assert_eq!(
        parse_buildx_version("github.com/docker/buildx 0.13.1+ds1-3 0.13.1+ds1-3\n").as_deref(),
        Some("0.13.1+ds1-3")
    );
    let mut env = EnvInfo::default();
    env.apply_buildx_inspect(
        "Name:          default\nDriver:        docker\nLast Activity: x\n\nNodes:\nName:      default\nEndpoint:  default\nStatus:    running\nBuildKit version: v0.13.2\nPlatforms: linux/amd64\n",
    );
    assert_eq!(env.driver.as_deref(), Some("docker"));
    assert_eq!(env.buildkit_version.as_deref(), Some("v0.13.2"));
}

#[test]
fn flags_only_runs_hash_the_resolved_scenario() {
    let mut env = EnvInfo::default();
    env.hash_resolved_scenario("[workload]\ncontext = \"/x\"\n");
    let h = env.scenario_sha256.clone().unwrap();
    assert_eq!(h.len(), 64);
    assert_eq!(h, sha256_hex(b"[workload]\ncontext = \"/x\"\n"));
    // A scenario file's own hash is kept.
    env.scenario_sha256 = Some("f".repeat(64));
    env.hash_resolved_scenario("other");
    assert_eq!(env.scenario_sha256, Some("f".repeat(64)));
}

#[test]
fn an_unstamped_docker_driver_buildkit_takes_the_engines_version() {
    let mut env = EnvInfo {
        engine_version: Some("26.1.5+dfsg1".into()),
        ..EnvInfo::default()
    };
    env.apply_buildx_inspect(
        "Name:          default\nDriver:        docker\n\nNodes:\nBuildKit version: v0.0.0+unknown\n",
    );
    env.settle_buildkit_version();
    assert_eq!(
        env.buildkit_version.as_deref(),
        Some("vendored in dockerd 26.1.5+dfsg1")
    );
    let note = env.buildkit_version_note.as_deref().unwrap();
    assert!(
        note.contains("v0.0.0+unknown") && note.contains("26.1.5+dfsg1"),
        "{note}"
    );
    // A real version is kept, and so is a docker-container builder's.
    let mut env = EnvInfo {
        engine_version: Some("27.0.1".into()),
        buildkit_version: Some("v0.13.2".into()),
        driver: Some("docker".into()),
        ..EnvInfo::default()
    };
    env.settle_buildkit_version();
    assert_eq!(env.buildkit_version.as_deref(), Some("v0.13.2"));
    assert_eq!(env.buildkit_version_note, None);
    let mut env = EnvInfo {
        buildkit_version: Some("v0.0.0+unknown".into()),
        driver: Some("docker".into()),
        ..EnvInfo::default()
    };
    env.settle_buildkit_version();
    assert_eq!(env.buildkit_version, None);
    assert!(env
        .buildkit_version_note
        .unwrap()
        .contains("could not be read"));
}

#[test]
fn proc_parsers_and_ci() {
    assert_eq!(
        parse_cpu_model("processor\t: 0\nmodel name\t: AMD EPYC 7B13\n").as_deref(),
        Some("AMD EPYC 7B13")
    );
    assert_eq!(
        parse_mem_total("MemTotal:       2048 kB\n"),
        Some(2048 * 1024)
    );
    assert_eq!(
        ci_provider(|k| k == "CODEBUILD_BUILD_ID").as_deref(),
        Some("codebuild")
    );
    assert_eq!(ci_provider(|_| true).as_deref(), Some("github-actions"));
    assert_eq!(ci_provider(|_| false), None);
}

#[tokio::test]
async fn capture_without_docker_gives_nones_not_errors() {
    let env = EnvInfo::capture(
        &[("PATH".to_string(), "/nonexistent".to_string())],
        None,
        None,
        Some("distribution"),
    )
    .await;
    assert_eq!(env.schema_version, ENV_SCHEMA_VERSION);
    assert_eq!(env.registry_kind.as_deref(), Some("distribution"));
    assert!(env.cachebench_version.is_some());
    // Everything a docker command would have told is `None`.
    let from_docker = [
        ("docker_cli_version", &env.docker_cli_version),
        ("engine_version", &env.engine_version),
        ("buildx_version", &env.buildx_version),
        ("buildkit_version", &env.buildkit_version),
        ("containerd_version", &env.containerd_version),
        ("driver", &env.driver),
        ("image_store", &env.image_store),
    ];
    for (field, value) in from_docker {
        assert_eq!(*value, None, "{field}");
    }
    // So is what nobody gave: no scenario file, no egress.
    assert_eq!(env.scenario_sha256, None);
    assert_eq!((env.egress, env.egress_probe_ok), (None, None));
    // What the machine tells without docker is still read.
    assert!(env.cpu_cores.is_some_and(|n| n > 0));
}

/// is cut at the deadline, all of them concurrently, and the fields are `None`.
#[tokio::test]
async fn a_hanging_docker_costs_one_deadline_not_four() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("docker");
    std::fs::write(&fake, "#!/bin/sh\nsleep 60\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", dir.path().display());
    let t0 = std::time::Instant::now();
    let env = EnvInfo::capture(&[("PATH".to_string(), path)], None, None, None).await;
    let took = t0.elapsed();
    assert!(took >= DOCKER_LIMIT, "{took:?}");
    assert!(
        took < DOCKER_LIMIT * 2,
        "commands ran one after another: {took:?}"
    );
    assert_eq!(env.engine_version, None);
    assert_eq!(env.buildx_version, None);
    assert!(env.cachebench_version.is_some());
}
