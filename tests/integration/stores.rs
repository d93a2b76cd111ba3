//! The image store axis on real engines: cachebench's own dockerd on the classic
//! (overlay2) store and on the containerd store, the skip reason checked against
//! the real error, the registry footprint per store × builder, and an engine
//! cachebench does not own kept on its own store.

use super::common::{
    host::{host_docker, host_docker_ok},
    leftovers::assert_no_leftovers,
    records::records,
    runs::{run_env, text, tiny_args},
    scratch::scratch,
};
use cachebench::plan::image_store::{CLASSIC_CACHE_EXPORT_ERROR, UNSUPPORTED_CELLS_ENV};
use cachebench::records::record::{RunRecord, RunStatus};

const BUILDKIT_IMAGE: &str = "cachebench/buildkit:v0.13.2";

fn tiny(out: &std::path::Path, extra: &[&str]) -> Vec<String> {
    let mut a = vec!["run".to_string()];
    a.extend(tiny_args(out));
    a.extend(["--state", "cold", "--change", "none"].map(String::from));
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn find<'a>(recs: &'a [RunRecord], strategy: &str, builder: &str, store: &str) -> &'a RunRecord {
    recs.iter()
        .find(|r| r.strategy == strategy && r.builder == builder && r.image_store == store)
        .unwrap_or_else(|| panic!("no record {strategy}/{builder}/{store} in {recs:#?}"))
}

/// On the classic store the docker driver's cache export is planned skipped with
/// buildx's own words; run anyway (CACHEBENCH_UNSUPPORTED_CELLS=run), the real
/// build fails with exactly those words, so the reason is not assumed.
#[test]
fn classic_store_cache_export_skip_quotes_the_real_error() {
    let tmp = scratch();
    let out = tmp.path().join("planned");
    let args = tiny(
        &out,
        &[
            "--image-store",
            "classic",
            "--strategy",
            "registry-cache",
            "--strategy",
            "inline-cache",
        ],
    );
    let o = run_env(&args, tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let recs = records(&out);
    let skipped = find(&recs, "registry-cache", "docker", "classic");
    assert_eq!(skipped.status, RunStatus::Skipped, "{skipped:#?}");
    assert!(
        skipped.reason.contains(CLASSIC_CACHE_EXPORT_ERROR),
        "{}",
        skipped.reason
    );
    // inline cache works there, and the record says which store it ran on.
    let inline = find(&recs, "inline-cache", "docker", "classic");
    assert_eq!(inline.status, RunStatus::Ok, "{}", inline.reason);
    assert!(inline.log.ends_with("-classic-rep-1.log"), "{}", inline.log);
    let env = std::fs::read_to_string(out.join("env.json")).unwrap();
    assert!(env.contains("graphdriver:overlay2"), "{env}");

    let out = tmp.path().join("forced");
    let args = tiny(
        &out,
        &["--image-store", "classic", "--strategy", "registry-cache"],
    );
    let o = run_env(&args, tmp.path(), &[(UNSUPPORTED_CELLS_ENV, "run")]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = &records(&out)[0];
    assert_eq!(r.status, RunStatus::Failed, "{r:#?}");
    assert!(
        r.reason.contains(CLASSIC_CACHE_EXPORT_ERROR),
        "{}",
        r.reason
    );
    let log = std::fs::read_to_string(out.join(&r.log)).unwrap();
    assert!(log.contains("--cache-to type=registry"), "{log}");
    assert_no_leftovers(tmp.path(), None);
}

/// What push, load-push and inline-cache leave in the registry, per store and
/// builder (counted from the registry itself after each run).
#[test]
fn registry_footprint_per_store_and_builder() {
    let tmp = scratch();
    let out = tmp.path().join("out");
    let container = host_docker(&["image", "inspect", BUILDKIT_IMAGE])
        .status
        .success();
    let mut extra = vec![
        "--image-store",
        "classic",
        "--image-store",
        "containerd",
        "--strategy",
        "push",
        "--strategy",
        "load-push",
        "--strategy",
        "inline-cache",
        "--builder",
        "docker",
    ];
    if container {
        extra.extend([
            "--builder",
            "docker-container",
            "--buildkit-image",
            BUILDKIT_IMAGE,
        ]);
    } else {
        eprintln!("{BUILDKIT_IMAGE} is not on the host engine: docker-container cells not checked");
    }
    let o = run_env(&tiny(&out, &extra), tmp.path(), &[]);
    let recs = records(&out);
    // Engine flakes (moby/buildkit#6521) are failed runs; anything else must pass.
    for r in &recs {
        assert!(
            r.status == RunStatus::Ok || r.reason.contains("parent snapshot"),
            "{}: {}\n{}",
            r.cell(),
            r.reason,
            text(&o)
        );
    }
    // All cells of one store run together, classic first as asked.
    let stores: Vec<&str> = recs.iter().map(|r| r.image_store.as_str()).collect();
    let first_containerd = stores.iter().position(|s| *s == "containerd").unwrap();
    assert!(
        stores[..first_containerd].iter().all(|s| *s == "classic")
            && stores[first_containerd..]
                .iter()
                .all(|s| *s == "containerd"),
        "{stores:?}"
    );
    // (strategy, builder, store) → (manifests, attestations).
    let mut expected = vec![
        ("push", "docker", "classic", 1, 0),
        ("load-push", "docker", "classic", 1, 0),
        ("inline-cache", "docker", "classic", 1, 0),
        ("push", "docker", "containerd", 3, 1),
        ("load-push", "docker", "containerd", 3, 1),
        ("inline-cache", "docker", "containerd", 3, 1),
    ];
    if container {
        for store in ["classic", "containerd"] {
            expected.extend([
                ("push", "docker-container", store, 3, 1),
                // `--load` from a docker-container builder carries no attestation.
                ("load-push", "docker-container", store, 1, 0),
                ("inline-cache", "docker-container", store, 3, 1),
            ]);
        }
    }
    let mut checked = 0;
    for (strategy, builder, store, manifests, attestations) in expected {
        let r = find(&recs, strategy, builder, store);
        if r.status != RunStatus::Ok {
            eprintln!("not checked (engine flake): {}: {}", r.cell(), r.reason);
            continue;
        }
        assert_eq!(
            (r.registry_manifests, r.registry_attestations),
            (Some(manifests), Some(attestations)),
            "{}",
            r.cell()
        );
        assert!(r.registry_bytes.unwrap() > 1_000_000, "{}", r.cell());
        checked += 1;
    }
    assert!(checked >= 4, "too few cells ran to check the footprint");
    assert_no_leftovers(tmp.path(), None);
}

/// An engine cachebench does not own keeps its store: cells asking for the other
/// one are skipped with the reason, and nothing is built on it.
#[test]
fn an_engine_not_owned_is_not_switched_to_another_store() {
    let info = host_docker_ok(&["info", "--format", "{{json .}}"]);
    let has = cachebench::plan::image_store::parse_docker_info(&info).expect("host engine store");
    let other = match has {
        cachebench::config::matrix::ImageStore::Containerd => "classic",
        cachebench::config::matrix::ImageStore::Classic => "containerd",
    };
    let tmp = scratch();
    let out = tmp.path().join("out");
    let mut args = vec!["run".to_string()];
    args.extend(tiny_args(&out));
    args.extend(
        [
            "--docker-host",
            "unix:///var/run/docker.sock",
            "--state",
            "warm-local",
            "--change",
            "none",
            "--strategy",
            "buildkit",
            "--image-store",
            other,
        ]
        .map(String::from),
    );
    let o = run_env(&args, tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let recs = records(&out);
    assert_eq!(recs.len(), 1, "{recs:#?}");
    assert_eq!(recs[0].status, RunStatus::Skipped);
    assert_eq!(recs[0].image_store, other);
    let want = format!(
        "the engine at unix:///var/run/docker.sock uses the {has} image store; cachebench does \
         not reconfigure an engine it does not own"
    );
    assert!(recs[0].reason.starts_with(&want), "{}", recs[0].reason);
    assert_no_leftovers(tmp.path(), None);
}
