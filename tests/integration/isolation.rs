//! Isolation: nothing is lost that cachebench did not create — on an engine it does
//! not own (`--docker-host`), on the host engine while it uses its own, and on a
//! registry it does not own (`--registry`).

use super::common::{
    host::{host_docker, host_docker_ok, host_lock},
    leftovers::{assert_no_leftovers, bridge_of_engine},
    records::records,
    registry::{block_on, TestRegistry},
    runs::{
        assert_usage_error, run_env, small_args, spawn, text, tiny_args, wait_child, wait_until,
    },
    scratch::{context_with, nonce, scratch},
};
use cachebench::records::record::RunStatus;

/// `REPOSITORY:TAG IMAGE-ID` of every image on the host engine, sorted.
fn host_images() -> Vec<String> {
    let mut v: Vec<String> = host_docker_ok(&[
        "image",
        "ls",
        "--all",
        "--no-trunc",
        "--format",
        "{{.Repository}}:{{.Tag}} {{.ID}}",
    ])
    .lines()
    .map(String::from)
    .collect();
    v.sort();
    v
}

/// The host engine is shared (CI jobs, other users may build on it while a test
/// runs), so "untouched" is checked as: everything there before is there after,
/// and nothing of cachebench's (`…/cachebench:` tags) is left.
fn assert_kept(before: &[String], after: &[String], what: &str) {
    let lost: Vec<&String> = before.iter().filter(|b| !after.contains(b)).collect();
    assert!(lost.is_empty(), "{what} lost: {lost:#?}");
    let ours: Vec<&String> = after
        .iter()
        .filter(|a| a.contains("/cachebench:") && !before.contains(a))
        .collect();
    assert!(ours.is_empty(), "{what}: cachebench left {ours:#?}");
}

/// IDs of the host engine's build cache records.
fn host_cache_ids() -> Vec<String> {
    host_docker_ok(&["buildx", "du", "--verbose"])
        .lines()
        .filter_map(|l| l.strip_prefix("ID:"))
        .map(|l| l.trim().to_string())
        .collect()
}

/// Sentinels a test put on the host engine, removed when it ends (pass or fail).
struct Sentinels(Vec<String>);

impl Drop for Sentinels {
    fn drop(&mut self) {
        for t in &self.0 {
            let _ = host_docker(&["image", "rm", t]);
        }
    }
}

/// With `--docker-host` (the host engine): refused without `--allow-prune`; with
/// it, a cold + warm matrix removes only cachebench's own tags — the sentinel image
/// and tag survive and the image list is exactly as before. (Its build cache is
/// emptied: that is what `--allow-prune` allows, see the README's Safety section.)
#[test]
fn external_engine_keeps_everything_cachebench_did_not_create() {
    let _lock = host_lock();
    let n = nonce();
    let dir = scratch();
    let tag = format!("cachebench-sentinel/tag:{n}");
    let built = format!("cachebench-sentinel/img:{n}");
    let _cleanup = Sentinels(vec![tag.clone(), built.clone()]);
    host_docker_ok(&["tag", "local/busybox:latest", &tag]);
    // An unrelated build: a sentinel image of its own, and build cache.
    let sctx = context_with(
        &dir.path().join("sentinel"),
        &format!("FROM local/busybox:latest\nLABEL cachebench.sentinel={n}\nCOPY nonce /nonce\n"),
    );
    std::fs::write(sctx.join("nonce"), &n).unwrap();
    host_docker_ok(&["build", "-q", "-t", &built, sctx.to_str().unwrap()]);
    let again = host_docker(&[
        "build",
        "--progress=plain",
        "-t",
        &built,
        sctx.to_str().unwrap(),
    ]);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("CACHED"),
        "the sentinel build cache is not there: {}",
        String::from_utf8_lossy(&again.stderr)
    );
    let before = host_images();
    let id_of = |r: &str| host_docker_ok(&["image", "inspect", "--format", "{{.Id}}", r]);
    let (tag_id, built_id) = (id_of(&tag), id_of(&built));

    // A workload without RUN steps: the host engine's networking is not this
    // test's business (and may be absent on a CI host).
    let ctx = context_with(
        &dir.path().join("workload"),
        "FROM local/busybox:latest\nCOPY big.bin /big.bin\nCOPY src.txt /src.txt\n",
    );
    std::fs::write(ctx.join("big.bin"), vec![7u8; 1 << 20]).unwrap();
    std::fs::write(ctx.join("src.txt"), &n).unwrap();
    let out = dir.path().join("out");
    let mut args = small_args(&ctx, &out, &["buildkit", "registry-cache"]);
    args.extend(
        [
            "--docker-host",
            "unix:///var/run/docker.sock",
            "--state",
            "warm-local",
            "--state",
            "cold",
        ]
        .map(String::from),
    );
    let i = args.iter().position(|a| a == "--state").unwrap();
    args.drain(i..i + 2);
    let o = run_env(&args, dir.path(), &[]);
    assert_usage_error(&o, "--allow-prune");
    assert!(!out.join("runs.jsonl").exists());
    assert_kept(&before, &host_images(), "a refused run: images");

    args.push("--allow-prune".into());
    let o = run_env(&args, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let recs = records(&out);
    assert_eq!(recs.len(), 4, "{recs:#?}");
    assert!(recs.iter().all(|r| r.status == RunStatus::Ok), "{recs:#?}");
    assert!(
        recs.iter()
            .any(|r| r.note.contains("external engine: build cache pruned")),
        "{recs:#?}"
    );
    assert_eq!(id_of(&tag), tag_id, "sentinel tag lost");
    assert_eq!(id_of(&built), built_id, "sentinel image lost");
    assert_kept(&before, &host_images(), "images");
    assert_no_leftovers(dir.path(), None);
}

/// With its own engine, cachebench leaves the host engine untouched: the same
/// images and the same build cache usage before and after; and its own engine,
/// bridge and work folder are gone.
#[test]
fn own_engine_leaves_the_host_engine_untouched() {
    let _lock = host_lock();
    let dir = scratch();
    let (images, cache) = (host_images(), host_cache_ids());
    let out = dir.path().join("out");
    let mut args = vec!["run".to_string()];
    args.extend(tiny_args(&out));
    args.extend(
        [
            "--strategy",
            "buildkit",
            "--strategy",
            "local-cache",
            "--state",
            "cold",
            "--state",
            "warm-local",
        ]
        .map(String::from),
    );
    let mut child = spawn(&args, dir.path(), dir.path());
    let needle = dir.path().display().to_string();
    let mut bridge = None;
    wait_until(
        std::time::Duration::from_secs(120),
        "cachebench's dockerd",
        || {
            bridge = bridge_of_engine(&needle);
            bridge.is_some() || child.try_wait().unwrap().is_some()
        },
    );
    let (code, t) = wait_child(&mut child, dir.path(), std::time::Duration::from_secs(300));
    assert_eq!(code, Some(0), "{t}");
    assert_eq!(records(&out).len(), 4);
    assert_kept(&images, &host_images(), "host images");
    assert_kept(&cache, &host_cache_ids(), "host build cache");
    assert_no_leftovers(dir.path(), bridge.as_deref());
}

/// On a registry cachebench does not own, an unrelated repository survives and the
/// run's own tags are deleted at the end (HEAD for the digest, DELETE by digest).
#[test]
fn external_registry_keeps_unrelated_repositories_and_loses_the_run_tags() {
    let reg = TestRegistry::start();
    {
        let _lock = host_lock();
        let keep = format!("{}/unrelated/keep:1", reg.host);
        let _cleanup = Sentinels(vec![keep.clone()]);
        host_docker_ok(&["tag", "local/busybox:latest", &keep]);
        host_docker_ok(&["push", "-q", &keep]);
    }
    assert_eq!(reg.manifest_status("unrelated/keep", "1"), 200);
    let dir = scratch();
    let out = dir.path().join("out");
    let mut args = vec!["run".to_string()];
    args.extend(tiny_args(&out));
    args.extend(
        [
            "--registry",
            &reg.host,
            "--strategy",
            "push",
            "--strategy",
            "registry-cache",
            "--state",
            "cold",
            "--state",
            "warm-remote",
        ]
        .map(String::from),
    );
    let o = run_env(&args, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let recs = records(&out);
    assert!(
        recs.iter()
            .filter(|r| r.status != RunStatus::Skipped)
            .all(|r| r.status == RunStatus::Ok),
        "{recs:#?}"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("deleted this run's"), "{}", text(&o));
    assert_eq!(
        reg.manifest_status("unrelated/keep", "1"),
        200,
        "the unrelated repository was touched"
    );
    assert_eq!(reg.tags("unrelated/keep"), vec!["1".to_string()]);
    let left = reg.tags("cachebench");
    assert!(left.is_empty(), "run tags left: {left:?}");
}

/// Two tags of a run that name one manifest (as a run's `-img` and `-cache` tags
/// can): deleting the first deletes the manifest of both, and the second counts as
/// deleted, not as a tag left "without a manifest digest".
#[test]
fn run_tags_sharing_a_manifest_are_deleted_without_a_warning() {
    let reg = TestRegistry::start();
    let run = format!("r{}", nonce());
    let tags: Vec<String> = ["a-img", "a-cache"]
        .iter()
        .map(|s| format!("{}/cachebench:{run}-{s}", reg.host))
        .collect();
    let other = format!("{}/cachebench:someone-else", reg.host);
    {
        let _lock = host_lock();
        let _cleanup = Sentinels(tags.clone());
        for t in &tags {
            host_docker_ok(&["tag", "local/busybox:latest", t]);
            host_docker_ok(&["push", "-q", t]);
        }
    }
    assert_eq!(reg.tags("cachebench").len(), 2);
    let c = block_on(
        cachebench::infra::registry::Registry::external(&reg.host)
            .delete_run_tags(&format!("{run}-")),
    )
    .unwrap();
    assert!(c.failed.is_empty() && c.kept.is_empty(), "{c:?}");
    assert_eq!(c.deleted.len(), 2, "{c:?}");
    assert!(reg.tags("cachebench").is_empty());
    // A tag outside the run on the same manifest keeps it, and says so.
    {
        let _lock = host_lock();
        let _cleanup = Sentinels(vec![tags[0].clone(), other.clone()]);
        for t in [&tags[0], &other] {
            host_docker_ok(&["tag", "local/busybox:latest", t]);
            host_docker_ok(&["push", "-q", t]);
        }
    }
    let c = block_on(
        cachebench::infra::registry::Registry::external(&reg.host)
            .delete_run_tags(&format!("{run}-")),
    )
    .unwrap();
    assert!(c.deleted.is_empty() && c.failed.is_empty(), "{c:?}");
    assert_eq!(c.kept.len(), 1, "{c:?}");
    assert_eq!(reg.manifest_status("cachebench", "someone-else"), 200);
}
