//! Tests of the egress probe: URLs, images, the script's tools, failures read.

use super::*;

#[test]
fn targets() {
    assert!(target(Some("none")).unwrap_err().contains("disabled"));
    assert_eq!(
        target(Some("http://x.example/")).unwrap(),
        "http://x.example/"
    );
}

#[test]
fn failures_are_read() {
    let (ok, d) = judge("`docker run …` exit status: 1\n---- output ----\nwget: bad address 'deb.mirror.example'\n-------");
    assert!(!ok);
    assert_eq!(d, "wget: bad address 'deb.mirror.example'");
    let (ok, _) =
        judge("`docker run …` exit status: 1\nwget: server returned error: HTTP/1.1 404 Not Found");
    assert!(ok);
    let (ok, d) = judge("`docker run …` exit status: 143\n");
    assert!(!ok && d.contains("no answer within 2s"), "{d}");
    let (ok, d) = judge("exit status: 124\nprobe: bash /dev/tcp (connect only)\n");
    assert!(!ok && d.contains("no answer within 2s"), "{d}");
}

#[test]
fn one_line_says_how_it_went_or_why_it_did_not_run() {
    let r = |ok, url: Option<&str>, detail: &str| ProbeResult {
        url: url.map(String::from),
        ok,
        detail: detail.into(),
    };
    let url = Some("http://mirror.example/");
    let l = say(&r(Some(false), url, "wget: bad address"), None, "unix:///e");
    assert!(
        l.starts_with("cachebench: warning: no network from builds on engine unix:///e"),
        "{l}"
    );
    let l = say(&r(Some(true), url, "reachable (300 ms)"), None, "e");
    assert_eq!(
        l,
        "cachebench: egress probe http://mirror.example/: reachable (300 ms)"
    );
    let l = say(
        &r(None, None, "disabled (--egress-probe none)"),
        Some("none"),
        "e",
    );
    assert_eq!(l, "cachebench: egress probe disabled (--egress-probe none)");
    let l = say(
        &r(None, None, "not run: no image on the engine can fetch (…)"),
        None,
        "e",
    );
    assert!(
        l.starts_with("cachebench: warning: egress probe not run: "),
        "{l}"
    );
    assert_eq!(l.lines().count(), 1);
}

#[test]
fn busybox_first_then_the_seeded_images() {
    assert_eq!(candidates(&[]), [PROBE_IMAGE]);
    let seeded = ["rust:1.80".to_string(), PROBE_IMAGE.to_string()];
    assert_eq!(candidates(&seeded), [PROBE_IMAGE, "rust:1.80"]);
}

#[test]
fn hosts_and_ports_of_urls() {
    let hp = |u: &str| host_port(u).map(|(h, p)| format!("{h} {p}"));
    assert_eq!(
        hp("http://mirror.example/debian/").as_deref(),
        Some("mirror.example 80")
    );
    assert_eq!(
        hp("https://mirror.example").as_deref(),
        Some("mirror.example 443")
    );
    assert_eq!(
        hp("http://u@mirror.example:8080/x?y").as_deref(),
        Some("mirror.example 8080")
    );
    assert_eq!(hp("ftp://mirror.example/"), None);
    assert_eq!(hp("mirror.example"), None);
}

#[test]
fn an_image_without_the_tools_is_passed_over() {
    assert!(no_tool(Some(127), NO_TOOL));
    assert!(no_tool(
        Some(127),
        "docker: Error response from daemon: failed to create task for container: \
         exec: \"sh\": executable file not found in $PATH: unknown."
    ));
    assert!(!no_tool(Some(1), "wget: bad address 'mirror.example'"));
    assert_eq!(
        tool_of("probe: curl\ncurl: (6) Could not resolve host"),
        "curl"
    );
}

/// The script picks wget, then curl, then bash, in a shell of this machine
/// with stand-ins on PATH that only say they ran.
#[test]
fn the_script_uses_the_first_tool_it_finds() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path();
    for tool in ["curl", "bash"] {
        let p = bin.join(tool);
        std::fs::write(&p, format!("#!/bin/sh\necho ran {tool} \"$@\"\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let run = |path: &str| {
        let o = std::process::Command::new("/bin/sh")
            .args([
                "-c",
                SCRIPT,
                "sh",
                "http://mirror.example/",
                "mirror.example",
                "80",
                "2",
            ])
            .env("PATH", path)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (_, out, err) = run(&bin.display().to_string());
    assert!(out.starts_with("ran curl"), "{out} {err}");
    assert_eq!(tool_of(&err), "curl");
    std::fs::remove_file(bin.join("curl")).unwrap();
    let (_, out, err) = run(&bin.display().to_string());
    assert!(
        out.contains("/dev/tcp/$0/$1") && out.contains("mirror.example 80"),
        "{out}"
    );
    assert!(tool_of(&err).starts_with("bash"), "{err}");
    std::fs::remove_file(bin.join("bash")).unwrap();
    let (code, _, err) = run(&bin.display().to_string());
    assert_eq!(code, Some(127));
    assert!(no_tool(code, &err), "{err}");
}

#[test]
fn the_machines_apt_mirror_is_recorded_by_that_name_only() {
    let mirror = Some("http://deb.mirror.example/debian");
    for url in [
        "http://deb.mirror.example/debian/",
        "http://deb.mirror.example/debian",
    ] {
        assert_eq!(recorded(url, mirror), APT_MIRROR);
    }
    assert_eq!(
        recorded("wget: bad address 'deb.mirror.example'", mirror),
        "wget: bad address 'the machine's apt mirror'"
    );
    // A proxy's port and path go too; the upstream host in its path with them.
    let proxy = Some("http://apt-proxy.example:3142/deb.mirror.example/debian");
    assert_eq!(
        recorded(
            "http://apt-proxy.example:3142/deb.mirror.example/debian/",
            proxy
        ),
        APT_MIRROR
    );
    let detail = "wget: can't connect to remote host apt-proxy.example";
    assert_eq!(
        recorded(detail, proxy),
        "wget: can't connect to remote host the machine's apt mirror"
    );
    // Any other URL is kept, and nothing is hidden when no mirror was found.
    for url in ["http://127.0.0.1:1/", "https://other.example/debian/"] {
        assert_eq!(recorded(url, mirror), url);
    }
    assert_eq!(
        recorded("http://deb.mirror.example/debian/", None),
        "http://deb.mirror.example/debian/"
    );
}
