//! The gha cache offline: gha-cache cells against cachebench's stand-in of the
//! GitHub Actions cache service, on both protocols, with real builds. A cold build
//! stores entries in the stand-in; a warm-remote build (its builder removed, the
//! engine emptied) imports them, its state check passing from the build's own
//! records. v1 runs on BuildKit v0.13.2 (setup builds it from Debian trixie) on a
//! docker-container builder and on the docker driver (dockerd 26's vendored
//! BuildKit); v2 on a BuildKit v0.20+ image (`scripts/build-buildkit-image.sh
//! forky`), and is skipped, with its reason printed, only when no such image is on
//! the host engine.

use crate::common::{
    host::{host_docker_ok, host_lock},
    records::records,
    runs::{run, text, tiny_run_args},
};
use cachebench::records::record::{RunRecord, RunStatus};

/// `cachebench/buildkit:vX.Y.Z` images on the host engine at or above `min`
/// (major, minor), highest first.
fn buildkit_images(min: (u64, u64), below: Option<(u64, u64)>) -> Vec<String> {
    let tags = host_docker_ok(&["image", "ls", "--format", "{{.Tag}}", "cachebench/buildkit"]);
    let mut v: Vec<((u64, u64, u64), String)> = tags
        .lines()
        .filter_map(|t| {
            let n: Vec<u64> = t
                .trim()
                .strip_prefix('v')?
                .split('.')
                .map(|x| x.parse().ok())
                .collect::<Option<_>>()?;
            (n.len() == 3).then(|| {
                (
                    (n[0], n[1], n[2]),
                    format!("cachebench/buildkit:{}", t.trim()),
                )
            })
        })
        .filter(|((a, b, _), _)| (*a, *b) >= min && below.map_or(true, |m| (*a, *b) < m))
        .collect();
    v.sort();
    v.into_iter().rev().map(|(_, i)| i).collect()
}

/// Runs gha-cache cold and warm-remote (source change) with `extra` flags and
/// checks what the stand-in saw: entries stored by the cold build, the
/// warm-remote build's dependency layer imported from it.
fn cold_then_warm_remote(extra: &[&str], protocol: &str) -> Vec<RunRecord> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut more = vec![
        "--strategy",
        "gha-cache",
        "--state",
        "cold",
        "--state",
        "warm-remote",
        "--change",
        "source",
    ];
    more.extend_from_slice(extra);
    let o = run(&tiny_run_args(&out, "1", &more));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let recs = records(&out);
    assert!(!recs.is_empty());
    for r in &recs {
        let cell = r.cell().to_string();
        assert_eq!(r.status, RunStatus::Ok, "{cell}: {}", r.reason);
        assert_eq!(r.state_check, "ok", "{cell}: {}", r.state_check);
        assert_eq!(r.gha_service, format!("stand-in {protocol}"), "{cell}");
        let log = std::fs::read_to_string(out.join(&r.log)).unwrap();
        assert!(
            log.contains(&format!("version={}", &protocol[1..])),
            "{cell}"
        );
        let deps = r
            .step_details
            .iter()
            .find(|s| s.name.contains("RUN dd"))
            .unwrap_or_else(|| panic!("{cell}: no dependency step"));
        match r.state.as_str() {
            "cold" => {
                assert!(!deps.cached, "{cell}");
                assert!(r.gha_entries_created.unwrap() > 0, "{cell}: {r:#?}");
                // The dependency layer (1 MB of random bytes) went up.
                assert!(r.gha_bytes_uploaded.unwrap() > 1_000_000, "{cell}: {r:#?}");
            }
            "warm-remote" => {
                assert!(
                    deps.cached,
                    "{cell}: the dependency layer must come from the stand-in"
                );
                assert!(
                    r.gha_bytes_downloaded.unwrap() > 1_000_000,
                    "{cell}: {r:#?}"
                );
            }
            s => panic!("unexpected state {s}"),
        }
        assert!(r.gha_peak_entries_per_minute.unwrap() >= 1, "{cell}");
    }
    recs
}

#[test]
fn v1_on_buildkit_v0_13_stores_and_imports_entries() {
    let _lock = host_lock();
    let image = buildkit_images((0, 0), Some((0, 20)))
        .into_iter()
        .next()
        .expect(
            "no cachebench/buildkit image before v0.20 on the host engine: run scripts/setup.sh",
        );
    let recs = cold_then_warm_remote(
        &[
            "--builder",
            "docker-container",
            "--builder",
            "docker",
            "--buildkit-image",
            &image,
        ],
        "v1",
    );
    assert_eq!(recs.len(), 4, "{recs:#?}");
}

#[test]
fn v2_on_buildkit_v0_20_or_later_stores_and_imports_entries() {
    let _lock = host_lock();
    let Some(image) = buildkit_images((0, 20), None).into_iter().next() else {
        eprintln!(
            "SKIPPED v2_on_buildkit_v0_20_or_later_stores_and_imports_entries: no \
             cachebench/buildkit:v0.20+ image on the host engine (build one with \
             `bash scripts/build-buildkit-image.sh forky`)"
        );
        return;
    };
    let recs = cold_then_warm_remote(
        &["--builder", "docker-container", "--buildkit-image", &image],
        "v2",
    );
    assert_eq!(recs.len(), 2, "{recs:#?}");
}

/// local-cache on an ephemeral runner (warm-remote) with actions/cache: the folder
/// is restored before the build and saved after it, both timed, and the archive
/// really went through the stand-in (its counters saw it down and up).
#[test]
fn actions_cache_restore_and_save_are_timed_through_the_stand_in() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = run(&tiny_run_args(
        &out,
        "2",
        &[
            "--strategy",
            "local-cache",
            "--state",
            "warm-remote",
            "--change",
            "source",
        ],
    ));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let recs = records(&out);
    assert_eq!(recs.len(), 2, "{recs:#?}");
    for r in &recs {
        let cell = r.cell().to_string();
        assert_eq!(r.status, RunStatus::Ok, "{cell}: {}", r.reason);
        assert_eq!(r.state_check, "ok", "{cell}: {}", r.state_check);
        assert!(r.phases.cache_restore_ms.unwrap() > 0, "{cell}: {r:#?}");
        assert!(r.phases.cache_save_ms.unwrap() > 0, "{cell}: {r:#?}");
        let archive = r.actions_cache_archive_bytes.unwrap();
        // The 1 MB random dependency layer does not compress.
        assert!(archive > 1_000_000, "{cell}: {archive}");
        assert!(
            r.gha_bytes_downloaded.unwrap() > 1_000_000,
            "{cell}: {r:#?}"
        );
        assert_eq!(r.gha_bytes_uploaded, Some(archive), "{cell}: {r:#?}");
        assert!(r.footprint.local_cache_bytes.unwrap() > 1_000_000, "{cell}");
        let log = std::fs::read_to_string(out.join(&r.log)).unwrap();
        assert!(
            log.contains("the runner starts without it"),
            "{cell}: {log}"
        );
    }
}
