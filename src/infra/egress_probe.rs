//! The egress probe run before a matrix: one short `wget` from a container on the
//! network of the engine the builds use (`docker run --rm --pull never
//! local/busybox:latest timeout 2 wget -q -O /dev/null URL`), against the Debian
//! archive of the machine's apt sources or the URL given with `--egress-probe`
//! (`none` turns it off). A failure is a one-line warning, never an abort: many
//! workloads need no network. The result goes to `env.json`, where the machine's
//! own apt mirror is named [`APT_MIRROR`], never written out ([`recorded`]).

use crate::infra::engine::Engine;
use crate::infra::process::{self, Spec};
use std::time::{Duration, Instant};

/// The image the probe runs (the default seed image: busybox has `wget`).
pub const PROBE_IMAGE: &str = crate::config::options::DEFAULT_SEED_IMAGE;
/// What `wget` gets. Busybox 1.35's `wget -T` crashes (SIGSEGV) in Debian's
/// busybox-static, so the limit is busybox's `timeout`.
const WGET_SECONDS: u32 = 2;
/// Hard limit of the whole `docker run` (container start included).
const HARD_LIMIT: Duration = Duration::from_secs(20);

/// What the probe found, for `env.json` and the warning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeResult {
    /// The URL probed, `None` when the probe did not run.
    pub url: Option<String>,
    /// `Some(true)`: the URL answered; `Some(false)`: it did not; `None`: not run.
    pub ok: Option<bool>,
    /// How it went, one line.
    pub detail: String,
}

/// Which URL to probe: the one given (`none` disables), else the machine's Debian
/// archive.
pub fn target(given: Option<&str>) -> Result<String, String> {
    match given {
        Some("none") => Err("disabled (--egress-probe none)".into()),
        Some(u) => Ok(u.to_string()),
        None => crate::infra::network::apt::debian_mirror()
            .map(|u| format!("{u}/"))
            .ok_or_else(|| {
                "not run: no Debian archive in /etc/apt/sources.list*; give --egress-probe URL"
                    .into()
            }),
    }
}

/// Runs the probe on `engine`; prints a warning when the URL cannot be reached.
pub async fn run(engine: &Engine, given: Option<&str>) -> ProbeResult {
    let url = match target(given) {
        Ok(u) => u,
        Err(detail) => {
            return ProbeResult {
                url: None,
                ok: None,
                detail,
            }
        }
    };
    let r = probe(engine, &url).await;
    if r.ok == Some(false) {
        eprintln!(
            "cachebench: warning: no network from builds on engine {}: {} ({url}); RUN steps that download will fail (--egress-probe none skips this check)",
            engine.host, r.detail
        );
    }
    r
}

async fn probe(engine: &Engine, url: &str) -> ProbeResult {
    let mut r = ProbeResult {
        url: Some(url.to_string()),
        ..ProbeResult::default()
    };
    let inspect = ["image", "inspect", "--format", "{{.Id}}", PROBE_IMAGE];
    if engine
        .docker(&inspect, Duration::from_secs(20))
        .await
        .is_err()
    {
        r.detail = format!("not run: {PROBE_IMAGE} is not on the engine");
        return r;
    }
    let name = format!("cachebench-probe-{}", std::process::id());
    let secs = WGET_SECONDS.to_string();
    let args = [
        "run",
        "--rm",
        "--pull",
        "never",
        "--name",
        &name,
        PROBE_IMAGE,
        "timeout",
        &secs,
        "wget",
        "-q",
        "-O",
        "/dev/null",
        url,
    ];
    let spec = Spec::new("docker").args(args).envs(&engine.docker_env());
    let t0 = Instant::now();
    let out = process::output::output(&spec, HARD_LIMIT).await;
    let ms = t0.elapsed().as_millis();
    match out {
        Ok(_) => {
            r.ok = Some(true);
            r.detail = format!("reachable ({ms} ms with container start)");
        }
        Err(e) => {
            let text = format!("{e:#}");
            let (ok, detail) = judge(&text);
            r.ok = Some(ok);
            r.detail = detail;
            if text.contains("did not finish within") {
                let _ = engine
                    .docker(&["rm", "-f", &name], Duration::from_secs(20))
                    .await;
            }
        }
    }
    r
}

/// What `env.json` says instead of the machine's apt mirror: results get committed
/// and shared, and a mirror's host can name a company or its proxy.
pub const APT_MIRROR: &str = "the machine's apt mirror";

/// `text` (the probe's URL, or its detail) as `env.json` records it: the Debian
/// archive of the machine's apt sources (`mirror`, as [`target`] derives it),
/// and its host, read [`APT_MIRROR`]; a URL given with `--egress-probe` that is
/// not that mirror is kept as given.
pub fn recorded(text: &str, mirror: Option<&str>) -> String {
    let Some(mirror) = mirror
        .map(|m| m.trim_end_matches('/'))
        .filter(|m| !m.is_empty())
    else {
        return text.to_string();
    };
    if text.trim_end_matches('/') == mirror {
        return APT_MIRROR.to_string();
    }
    let host = mirror
        .split_once("://")
        .map_or(mirror, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default();
    let mut out = text.replace(mirror, APT_MIRROR);
    if !host.is_empty() {
        out = out.replace(host, APT_MIRROR);
        // `host:port` was replaced whole; the bare name too (wget names it alone).
        if let Some((name, _port)) = host.split_once(':') {
            out = out.replace(name, APT_MIRROR);
        }
    }
    out
}

/// Reads a failed probe's error: an HTTP error still proves the network works.
fn judge(text: &str) -> (bool, String) {
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    if let Some(l) = lines.iter().find(|l| l.contains("server returned error")) {
        return (true, format!("reachable ({})", l.trim()));
    }
    if let Some(n) = crate::infra::network::diagnose::find(&lines, true) {
        return (false, n.line);
    }
    if text.contains("exit status: 143") || text.contains("did not finish within") {
        return (false, format!("no answer within {WGET_SECONDS}s"));
    }
    let last = lines
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| !l.is_empty() && !l.starts_with("---"))
        .unwrap_or("failed");
    (false, last.to_string())
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn failures_are_read() {
        let (ok, d) = judge("`docker run …` exit status: 1\n---- output ----\nwget: bad address 'deb.mirror.example'\n-------");
        assert!(!ok);
        assert_eq!(d, "wget: bad address 'deb.mirror.example'");
        let (ok, _) = judge(
            "`docker run …` exit status: 1\nwget: server returned error: HTTP/1.1 404 Not Found",
        );
        assert!(ok);
        let (ok, d) = judge("`docker run …` exit status: 143\n");
        assert!(!ok && d.contains("no answer within 2s"), "{d}");
    }
}
