//! What a run holds is its user's: the work folder (the copy of the project, the
//! engine's data-root, the registry's blobs) is 0700, and cachebench's registry
//! refuses every local user but root, while cachebench's own builds push to it and
//! pull from it; OUT keeps the user's umask. The other local user is an unassigned
//! uid run with `setpriv` (no account is created on the host), checked against a
//! listener of the test's own so a refusal is the registry's rule, not a broken
//! setup. A killed run's rule is removed by `cachebench clean`.

use super::common::{
    leftovers::assert_no_leftovers,
    records::{logs_containing, records},
    registry::block_on,
    runs::{run_env, small_args, spawn, text, wait_child, wait_until},
    scratch::{context_with, scratch},
};
use cachebench::infra::registry::guard;
use cachebench::records::record::RunStatus;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// A uid no account of this host has.
fn unassigned_uid() -> u32 {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let taken: Vec<u32> = passwd
        .lines()
        .filter_map(|l| l.split(':').nth(2)?.parse().ok())
        .collect();
    (61000..65000)
        .find(|u| !taken.contains(u))
        .expect("a free uid")
}

/// `args` run as `uid` (and its own gid, no supplementary groups).
fn as_user(uid: u32, args: &[&str]) -> Output {
    let id = uid.to_string();
    Command::new("setpriv")
        .args(["--reuid", &id, "--regid", &id, "--clear-groups", "--"])
        .args(args)
        .output()
        .expect("setpriv (util-linux)")
}

/// A raw HTTP GET of `path` on 127.0.0.1:`port`, as `uid`, with bash's /dev/tcp.
fn get_as(uid: u32, port: u16, path: &str) -> Output {
    let script = format!(
        "exec 3<>/dev/tcp/127.0.0.1/{port} && printf 'GET {path} HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3"
    );
    as_user(uid, &["bash", "-c", &script])
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}: {}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The work folder and registry port of the cachebench running with `TMPDIR=tmpdir`.
fn work_and_port(tmpdir: &Path) -> (PathBuf, u16) {
    let work = std::fs::read_dir(tmpdir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("cachebench-"))
        })
        .expect("the work folder");
    let config = std::fs::read_to_string(work.join("registry/config.yml")).unwrap();
    let port = config
        .lines()
        .find_map(|l| l.trim().strip_prefix("addr: 127.0.0.1:"))
        .and_then(|p| p.parse().ok())
        .expect("the registry's port");
    (work, port)
}

fn rules_within(dir: &Path) -> Vec<PathBuf> {
    guard::tagged_rules()
        .into_iter()
        .map(|(d, _)| d)
        .filter(|d| d.starts_with(dir))
        .collect()
}

fn umask() -> u32 {
    // SAFETY: umask(2) swaps the mask; it is put back at once.
    unsafe {
        let m = libc::umask(0o022);
        libc::umask(m);
        m as u32
    }
}

#[test]
fn the_work_folder_and_registry_are_closed_to_other_users() {
    let dir = scratch();
    // The other user may walk into the test's folder, not into cachebench's.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let uid = unassigned_uid();
    let ctx = context_with(
        dir.path(),
        "FROM local/busybox:latest\nRUN echo working && sleep 8\n",
    );
    let out = dir.path().join("out");
    let mut args = small_args(&ctx, &out, &["push", "registry-cache"]);
    args.extend(["--state", "warm-remote"].map(String::from));
    let mut child = spawn(&args, dir.path(), dir.path());
    wait_until(Duration::from_secs(120), "a build to start", || {
        !logs_containing(&out, "RUN echo working").is_empty()
    });
    let (work, port) = work_and_port(dir.path());

    let mode = std::fs::metadata(&work).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{} is {mode:o}", work.display());
    let ls = as_user(uid, &["ls", work.to_str().unwrap()]);
    assert!(
        !ls.status.success() && show(&ls).contains("Permission denied"),
        "{}",
        show(&ls)
    );
    let config = work.join("registry/config.yml");
    let cat = as_user(uid, &["cat", config.to_str().unwrap()]);
    assert!(!cat.status.success(), "{}", show(&cat));

    // The other user reaches a loopback listener of the test's own…
    let control = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let control_port = control.local_addr().unwrap().port();
    let reached = as_user(
        uid,
        &[
            "bash",
            "-c",
            &format!("exec 3<>/dev/tcp/127.0.0.1/{control_port}"),
        ],
    );
    assert!(reached.status.success(), "{}", show(&reached));
    // …but not cachebench's registry, which answers root.
    let refused = get_as(uid, port, "/v2/_catalog");
    assert!(
        !refused.status.success() && show(&refused).contains("Connection refused"),
        "{}",
        show(&refused)
    );
    assert!(!show(&refused).contains("HTTP/1.1"), "{}", show(&refused));
    let catalog = block_on(cachebench::infra::http::tcp(
        "GET",
        &format!("127.0.0.1:{port}"),
        "/v2/_catalog",
        &[],
        Duration::from_secs(5),
    ))
    .expect("root reaches the registry");
    assert_eq!(catalog.status, 200);
    assert!(
        String::from_utf8_lossy(&catalog.body).contains("local/busybox"),
        "the seeded image is served: {}",
        String::from_utf8_lossy(&catalog.body)
    );
    assert_eq!(rules_within(&work).len(), 1, "the registry's rule");

    // cachebench's builds push and pull through it all the same.
    let (code, t) = wait_child(&mut child, dir.path(), Duration::from_secs(300));
    assert_eq!(code, Some(0), "{t}");
    let recs = records(&out);
    let ran: Vec<_> = recs
        .iter()
        .filter(|r| r.status != RunStatus::Skipped)
        .collect();
    assert_eq!(ran.len(), 3, "{recs:#?}");
    for r in &ran {
        assert_eq!(r.status, RunStatus::Ok, "{r:#?}");
        assert_eq!(r.state_check, "ok", "{r:#?}");
    }
    assert!(
        ran.iter()
            .any(|r| r.strategy == "registry-cache" && r.state == "warm-remote"),
        "a run that imported its cache from the registry: {ran:#?}"
    );
    assert!(
        rules_within(dir.path()).is_empty(),
        "the rule is removed at the end"
    );
    // OUT is the user's: its mode follows the umask.
    let out_mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(out_mode, 0o777 & !umask(), "OUT is {out_mode:o}");
    assert_no_leftovers(dir.path(), None);
}

#[test]
fn clean_removes_the_registry_rule_of_a_killed_run() {
    let dir = scratch();
    let ctx = context_with(
        dir.path(),
        "FROM local/busybox:latest\nRUN echo long-step && sleep 60\n",
    );
    let out = dir.path().join("out");
    let args = small_args(&ctx, &out, &["buildkit"]);
    let mut child = spawn(&args, dir.path(), dir.path());
    wait_until(Duration::from_secs(120), "the build", || {
        !logs_containing(&out, "long-step").is_empty()
    });
    assert_eq!(rules_within(dir.path()).len(), 1);
    child.kill().unwrap(); // SIGKILL: no teardown runs
    child.wait().unwrap();
    assert_eq!(rules_within(dir.path()).len(), 1, "left by the killed run");
    let o = run_env(&["clean".to_string()], dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("removed: the firewall rule closing its registry to other users"),
        "{stdout}"
    );
    assert!(rules_within(dir.path()).is_empty(), "{stdout}");
    assert_no_leftovers(dir.path(), None);
}
