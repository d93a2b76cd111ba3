//! The egress probe when busybox is not seeded (`--seed-image` names other
//! images): it runs in a seeded image that has a downloader, and when none has,
//! it says so on stderr and in env.json instead of passing over it in silence.

use super::common::{
    host::{host_docker, host_docker_ok, host_lock},
    leftovers::assert_no_leftovers,
    records::records,
    runs::{run_env, small_args, text},
    scratch::{context_with, nonce, scratch},
};
use cachebench::records::record::RunStatus;

/// A local image on the host engine built from `dockerfile`, removed on drop.
struct HostImage(String);

impl HostImage {
    fn build(dir: &std::path::Path, what: &str, dockerfile: &str) -> HostImage {
        let name = format!("local/cbt-probe-{what}-{}:latest", nonce());
        let ctx = dir.join(format!("image-{what}"));
        std::fs::create_dir_all(&ctx).unwrap();
        std::fs::write(ctx.join("Dockerfile"), dockerfile).unwrap();
        // No network needed (nor the host engine's bridge).
        host_docker_ok(&[
            "build",
            "-q",
            "--network",
            "none",
            "-t",
            &name,
            ctx.to_str().unwrap(),
        ]);
        HostImage(name)
    }
}

impl Drop for HostImage {
    fn drop(&mut self) {
        let _ = host_docker(&["image", "rm", &self.0]);
    }
}

fn env_of(out: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("env.json")).unwrap()).unwrap()
}

/// Seeded with another image only (busybox is not on cachebench's engine): the
/// probe runs in that image, and env.json names it and the tool. The URL is the
/// container's own loopback, where nothing listens: the probe runs and fails.
#[test]
fn the_probe_runs_in_a_seeded_image_when_busybox_is_not_seeded() {
    let _host = host_lock();
    let dir = scratch();
    let image = HostImage::build(
        dir.path(),
        "wget",
        "FROM local/busybox:latest\nLABEL cachebench.test=probe\n",
    );
    let ctx = context_with(dir.path(), &format!("FROM {}\nRUN true\n", image.0));
    let out = dir.path().join("out");
    let mut args = small_args(&ctx, &out, &["buildkit"]);
    args.extend(
        [
            "--seed-image",
            &image.0,
            "--egress-probe",
            "http://127.0.0.1:1/",
        ]
        .map(String::from),
    );
    let o = run_env(&args, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let env = env_of(&out);
    assert_eq!(env["egress_probe_ok"], false, "{env:#}");
    let detail = env["egress_probe_detail"].as_str().unwrap();
    assert!(detail.contains(&format!("wget in {}", image.0)), "{detail}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("warning: no network from builds"), "{err}");
    assert_eq!(records(&out)[0].status, RunStatus::Ok);
    assert_no_leftovers(dir.path(), None);
}

/// Seeded only with an image that has no shell (busybox's binary under another
/// name, no `sh`; busybox's own shell would find its `wget` applet without a
/// link): the probe does not run, and one line on stderr (and env.json) says why,
/// naming each image tried.
#[test]
fn without_a_downloader_the_probe_says_why_it_did_not_run() {
    let _host = host_lock();
    let dir = scratch();
    let image = HostImage::build(
        dir.path(),
        "bare",
        "FROM local/busybox:latest AS b\nFROM scratch\nCOPY --from=b /bin/busybox /bin/not-a-shell\n",
    );
    let ctx = context_with(
        dir.path(),
        &format!("FROM {}\nCOPY Dockerfile /\n", image.0),
    );
    let out = dir.path().join("out");
    let mut args = small_args(&ctx, &out, &["buildkit"]);
    args.extend(
        [
            "--seed-image",
            &image.0,
            "--egress-probe",
            "http://127.0.0.1:1/",
        ]
        .map(String::from),
    );
    let o = run_env(&args, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let env = env_of(&out);
    assert_eq!(env["egress_probe_ok"], serde_json::Value::Null, "{env:#}");
    let detail = env["egress_probe_detail"].as_str().unwrap();
    assert!(
        detail.starts_with("not run: no image on the engine can fetch"),
        "{detail}"
    );
    assert!(
        detail.contains("local/busybox:latest: not on the engine")
            && detail.contains(&format!("{}: no shell with wget, curl or bash", image.0)),
        "{detail}"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("egress probe not run"))
        .collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].starts_with("cachebench: warning: "), "{err}");
    assert_eq!(records(&out)[0].status, RunStatus::Ok);
    assert_no_leftovers(dir.path(), None);
}
