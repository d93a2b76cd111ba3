//! Every run proves its state, on an engine cachebench does not own: changes are
//! never repeated within an invocation, warm-remote really downloads its cache, and
//! a change the build never reads is flagged.

use super::common::{
    host::host_lock,
    records::{ok_runs_allowing_the_engine_race, records},
    runs::{run_env, text, tiny_args, tiny_run_args},
    scratch::scratch,
};
use cachebench::records::record::{RunKind, RunRecord, RunStatus};

const HOST: &str = "unix:///var/run/docker.sock";

fn measured(out: &std::path::Path) -> Vec<RunRecord> {
    records(out)
        .into_iter()
        .filter(|r| r.kind == RunKind::Measured && r.status != RunStatus::Skipped)
        .collect()
}

fn source_step(r: &RunRecord) -> &cachebench::records::record::StepRecord {
    r.step_details
        .iter()
        .find(|s| s.name.contains("COPY src/"))
        .unwrap_or_else(|| panic!("no source step in {:#?}", r.step_details))
}

/// Warm-local with a source change, twice in one invocation on the host engine:
/// each run writes a change no earlier run wrote, so the changed step runs both
/// times (it was served from the first run's cache when the nonce repeated).
#[test]
fn external_engine_warm_local_change_runs_every_time() {
    let _lock = host_lock();
    let dir = scratch();
    let out = dir.path().join("out");
    let args = tiny_run_args(
        &out,
        "2",
        &[
            "--docker-host",
            HOST,
            "--state",
            "warm-local",
            "--change",
            "source",
            "--strategy",
            "buildkit",
            "--strategy",
            "legacy",
        ],
    );
    let o = run_env(&args, dir.path(), &[]);
    let runs = measured(&out);
    assert_eq!(runs.len(), 4, "{runs:#?}");
    // Legacy and BuildKit builds interleave on one containerd-store engine here,
    // where the engine's snapshot race can fail an unpack: allowed only as that
    // error, with the cell's next run ok.
    for r in &ok_runs_allowing_the_engine_race(&o, &runs) {
        assert_eq!(r.status, RunStatus::Ok, "{r:#?}");
        assert_eq!(r.state_check, "ok", "{}: {}", r.cell(), r.state_check);
        assert!(
            !source_step(r).cached,
            "{} rep {}: {:#?}",
            r.cell(),
            r.rep,
            r.step_details
        );
        assert!(r.steps_cached.unwrap() > 0, "{r:#?}");
    }
}

/// Warm-remote on the host engine: emptying local state removes the images this
/// run tagged before the measured build, so the cache is read from the registry.
#[test]
fn external_engine_warm_remote_downloads_its_cache() {
    let _lock = host_lock();
    let dir = scratch();
    let out = dir.path().join("out");
    let mut args = vec!["run".to_string()];
    args.extend(tiny_args(&out));
    args.extend(
        [
            "--docker-host",
            HOST,
            "--allow-prune",
            "--state",
            "warm-remote",
            "--strategy",
            "registry-cache",
            "--strategy",
            "inline-cache",
        ]
        .map(String::from),
    );
    let o = run_env(&args, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let runs = measured(&out);
    assert_eq!(runs.len(), 2, "{runs:#?}");
    for r in &runs {
        assert_eq!(r.state_check, "ok", "{}: {}", r.cell(), r.state_check);
        // The 1 MB dependency layer came over the wire.
        assert!(
            r.bytes_down.unwrap() > 500_000,
            "{}: bytes_down {:?}, steps {:#?}",
            r.cell(),
            r.bytes_down,
            r.step_details
        );
        assert!(r.phases.cache_import_ms.unwrap() > 0, "{r:#?}");
    }
}

/// A change to a file the Dockerfile never reads cannot show in the build: the run
/// is flagged, left out of the statistics, and the exit code says so.
#[test]
fn a_change_the_build_never_reads_is_flagged() {
    let _lock = host_lock();
    let dir = scratch();
    let ctx = dir.path().join("ctx");
    std::fs::create_dir_all(ctx.join("src")).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM local/busybox:latest\nCOPY src/ /src/\nRUN cat /src/* > /all\n",
    )
    .unwrap();
    std::fs::write(ctx.join("src/a.txt"), "a\n").unwrap();
    std::fs::write(ctx.join("NOTES.txt"), "never copied\n").unwrap();
    let out = dir.path().join("out");
    let args: Vec<String> = [
        "run",
        "--context",
        ctx.to_str().unwrap(),
        "--source-file",
        "NOTES.txt",
        "--docker-host",
        HOST,
        "--state",
        "warm-local",
        "--change",
        "source",
        "--strategy",
        "buildkit",
        "--reps",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec();
    let o = run_env(&args, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let runs = measured(&out);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, RunStatus::Ok);
    assert!(
        runs[0].state_check.starts_with("no step reads NOTES.txt"),
        "{}",
        runs[0].state_check
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("state check failed"), "{err}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("state check failed"), "{report}");
}
