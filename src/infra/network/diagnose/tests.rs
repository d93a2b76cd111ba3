//! Error lines as the tools print them. Those of busybox wget, curl, GNU wget,
//! apt (name resolution), npm and cargo were captured on the development machine,
//! each tool run in a network namespace without egress (no DNS answer, or no NAT)
//! and busybox in a container with `--network none`; the pip, go and apt
//! connect-timeout lines are in the formats those tools print (no PyPI index or Go
//! toolchain was at hand to capture them).

use super::*;

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

fn host_of(text: &str, timed_out: bool) -> Option<String> {
    find(&lines(text), timed_out).and_then(|n| n.host)
}

#[test]
fn busybox_wget() {
    let t = "Connecting to 203.0.113.80 (203.0.113.80:80)\nwget: can't connect to remote host (203.0.113.80): Network is unreachable";
    assert_eq!(host_of(t, false).as_deref(), Some("203.0.113.80"));
    let n = find(&lines("wget: bad address 'deb.mirror.example'"), false).unwrap();
    assert_eq!(n.host.as_deref(), Some("deb.mirror.example"));
    assert_eq!(n.line, "wget: bad address 'deb.mirror.example'");
}

#[test]
fn curl() {
    for (t, h) in [
        ("curl: (6) Could not resolve host: deb.mirror.example", "deb.mirror.example"),
        ("curl: (7) Failed to connect to 203.0.113.80 port 80 after 0 ms: Couldn't connect to server", "203.0.113.80"),
        ("curl: (28) Failed to connect to 203.0.113.80 port 80 after 3000 ms: Timeout was reached", "203.0.113.80"),
    ] {
        assert_eq!(host_of(t, false).as_deref(), Some(h), "{t}");
    }
    // No host in the line: the URL of the command before it.
    let t = "+ curl -sS -m 5 -o /dev/null http://203.0.113.80/\ncurl: (28) Connection timed out after 5000 milliseconds";
    assert_eq!(host_of(t, false).as_deref(), Some("203.0.113.80"));
}

#[test]
fn gnu_wget() {
    let t = "--2026-11-26 10:39:38--  http://deb.mirror.example/debian/dists/trixie/Release\n\
             Resolving deb.mirror.example (deb.mirror.example)... failed: Temporary failure in name resolution.\n\
             wget: unable to resolve host address ‘deb.mirror.example’";
    let n = find(&lines(t), false).unwrap();
    assert_eq!(n.host.as_deref(), Some("deb.mirror.example"));
    assert!(n.line.starts_with("wget: unable to resolve"));
}

#[test]
fn apt() {
    let t = "Ign:1 http://deb.mirror.example/debian trixie InRelease\n\
             Err:1 http://deb.mirror.example/debian trixie InRelease\n  Temporary failure resolving 'deb.mirror.example'\n\
             Reading package lists...\n\
             W: Failed to fetch http://deb.mirror.example/debian/dists/trixie/InRelease  Temporary failure resolving 'deb.mirror.example'\n\
             W: Some index files failed to download. They have been ignored, or old ones used instead.\n\
             E: Unable to locate package flask";
    let n = find(&lines(t), false).unwrap();
    assert_eq!(n.host.as_deref(), Some("deb.mirror.example"));
    assert!(n.line.starts_with("W: Failed to fetch"));
    let t = "Err:2 http://deb.mirror.example/debian bookworm InRelease\n  Could not connect to deb.mirror.example:80 (203.0.113.80), connection timed out";
    assert_eq!(host_of(t, false).as_deref(), Some("deb.mirror.example"));
}

#[test]
fn npm_pip_go_cargo() {
    let npm = "npm error code EAI_AGAIN\nnpm error syscall getaddrinfo\nnpm error errno EAI_AGAIN\n\
               npm error request to https://npm.mirror.example/express failed, reason: getaddrinfo EAI_AGAIN npm.mirror.example\n\
               npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log";
    assert_eq!(host_of(npm, false).as_deref(), Some("npm.mirror.example"));
    let pip = "ERROR: Could not install packages due to an OSError: HTTPSConnectionPool(host='pypi.mirror.example', port=443): Max retries exceeded with url: /simple/flask/ (Caused by NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno 101] Network is unreachable'))";
    assert_eq!(host_of(pip, false).as_deref(), Some("pypi.mirror.example"));
    let go = "go: github.com/pkg/errors@v0.9.1: Get \"https://go.mirror.example/github.com/pkg/errors/@v/v0.9.1.mod\": dial tcp: lookup go.mirror.example on 10.255.255.53:53: read udp 169.254.120.2:40000->10.255.255.53:53: i/o timeout";
    assert_eq!(host_of(go, false).as_deref(), Some("go.mirror.example"));
    let cargo = "    Updating `mirror` index\nerror: download of config.json failed\n\nCaused by:\n  failed to download from `https://crates.mirror.example/config.json`\n\nCaused by:\n  [6] Could not resolve hostname (Could not resolve host: crates.mirror.example)";
    assert_eq!(
        host_of(cargo, false).as_deref(),
        Some("crates.mirror.example")
    );
}

#[test]
fn a_hang_counts_only_when_the_run_timed_out() {
    let t =
        "Get:1 http://deb.mirror.example/debian bookworm InRelease\n0% [Connecting to deb.mirror.example]";
    assert_eq!(find(&lines(t), false), None);
    assert_eq!(host_of(t, true).as_deref(), Some("deb.mirror.example"));
    let bb = "Connecting to deb.mirror.example (203.0.113.80:80)";
    assert_eq!(host_of(bb, true).as_deref(), Some("deb.mirror.example"));
}

#[test]
fn other_failures_are_not_network_failures() {
    for t in [
        "ERROR: failed to solve: process \"/bin/sh -c make\" did not complete successfully: exit code: 2",
        "wget: server returned error: HTTP/1.1 404 Not Found",
        "E: Unable to locate package flask",
        "curl: (22) The requested URL returned error: 404",
    ] {
        assert_eq!(find(&lines(t), true), None, "{t}");
    }
}

#[test]
fn rawjson_log_is_decoded_and_only_the_last_command_read() {
    // "wget: bad address 'deb.mirror.example'\n" in base64, as rawjson carries step output.
    let log = "$ docker buildx build --load -t x /ctx\n    0.500 {\n    0.500   \"logs\": [\n    0.500     {\n\
               \x20   0.500       \"data\": \"d2dldDogYmFkIGFkZHJlc3MgJ2RlYi5taXJyb3IuZXhhbXBsZScK\",\n    0.500     }\n    0.500   ]\n    0.500 }\n\
               cachebench: Exited(1) in 0.600s\n";
    let out = output_lines(log);
    assert!(
        out.iter()
            .any(|l| l == "wget: bad address 'deb.mirror.example'"),
        "{out:?}"
    );
    let n = find(&out, false).unwrap();
    assert_eq!(n.host.as_deref(), Some("deb.mirror.example"));
    assert_eq!(
        n.reason("build exited with code 1"),
        "build exited with code 1: no network from the build (tried deb.mirror.example): wget: bad address 'deb.mirror.example'"
    );
    // An earlier command's output (the warming build) is not read.
    let two = format!(
        "{log}$ docker push x\n    0.100 denied: requested access to the resource is denied\n"
    );
    assert_eq!(find(&output_lines(&two), false), None);
}

#[test]
fn amend_rewrites_only_network_failures() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("run.log");
    std::fs::write(
        &p,
        "$ docker build .\n    1.000 [stdout] Connecting to deb.mirror.example (203.0.113.80:80)\n",
    )
    .unwrap();
    assert_eq!(
        amend("build timed out", &p, true),
        "build timed out: no network from the build (tried deb.mirror.example): Connecting to deb.mirror.example (203.0.113.80:80)"
    );
    assert_eq!(
        amend("build exited with code 1: x", &p, false),
        "build exited with code 1: x"
    );
    assert_eq!(amend("r", &d.path().join("missing"), true), "r");
}

#[test]
fn base64_round_trips() {
    assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
    assert_eq!(base64_decode("aGVsbG8").unwrap(), b"hello");
    assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
    assert!(base64_decode("a$==").is_none());
}
