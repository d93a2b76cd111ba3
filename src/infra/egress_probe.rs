//! The egress probe run before a matrix: one short download from a container on
//! the network of the engine the builds use, against the Debian archive of the
//! machine's apt sources or the URL given with `--egress-probe` (`none` turns it
//! off). A failure is a one-line warning, never an abort: many workloads need no
//! network. The result goes to `env.json`.
//!
//! It runs in the first image on the engine that can fetch: `local/busybox:latest`
//! (the default seed image), else each `--seed-image` in turn (a matrix seeded with
//! `--seed-image rust:1.80` alone has no busybox). In that image a shell script
//! uses `wget`, else `curl`, else bash's `/dev/tcp` (a TCP connect to the URL's
//! host and port: a plain Debian image has bash and neither downloader). An image
//! without a shell or any of the three is passed over, and when none is left the
//! probe says so: whenever it does not run, one line on stderr says why.
//! The machine's own apt mirror is named [`APT_MIRROR`] in `env.json`, never
//! written out ([`recorded`]).

use crate::infra::engine::Engine;
use crate::infra::process::{self, Spec};
use std::time::{Duration, Instant};

/// The image tried first (the default seed image: busybox has `wget`).
pub const PROBE_IMAGE: &str = crate::config::options::DEFAULT_SEED_IMAGE;
/// What one download (or connect) gets. Busybox 1.35's `wget -T` crashes (SIGSEGV)
/// in Debian's busybox-static, so the limit is the image's `timeout`.
const WGET_SECONDS: u32 = 2;
/// Hard limit of the whole `docker run` (container start included).
const HARD_LIMIT: Duration = Duration::from_secs(20);
/// What the script prints when its image has none of the tools.
const NO_TOOL: &str = "cachebench-probe: no wget, curl or bash";
/// The probe, run as `sh -c SCRIPT sh URL HOST PORT SECONDS`: the first tool the
/// image has; `timeout` where the image has it (the docker run's own limit else).
const SCRIPT: &str = r#"t=""; command -v timeout >/dev/null 2>&1 && t="timeout $4"
if command -v wget >/dev/null 2>&1; then echo "probe: wget" >&2; exec $t wget -q -O /dev/null "$1"; fi
if command -v curl >/dev/null 2>&1; then echo "probe: curl" >&2; exec curl -sS -m "$4" -o /dev/null "$1"; fi
if command -v bash >/dev/null 2>&1; then echo "probe: bash /dev/tcp (connect only)" >&2; exec $t bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$2" "$3"; fi
echo "cachebench-probe: no wget, curl or bash" >&2; exit 127"#;

/// What the probe found, for `env.json` and the warning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeResult {
    /// The URL probed, `None` when the probe did not run.
    pub url: Option<String>,
    /// `Some(true)`: the URL answered; `Some(false)`: it did not; `None`: not run.
    pub ok: Option<bool>,
    /// How it went, one line (with the image and tool it ran with).
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

/// Runs the probe on `engine`, in the first image of [`candidates`] that can
/// fetch (`seeded`: the `--seed-image`s). Prints nothing: [`say`] tells the user.
pub async fn run(engine: &Engine, given: Option<&str>, seeded: &[String]) -> ProbeResult {
    match target(given) {
        Ok(url) => probe(engine, &url, &candidates(seeded)).await,
        Err(detail) => ProbeResult {
            url: None,
            ok: None,
            detail,
        },
    }
}

/// The line the probe leaves on stderr: a warning when the URL cannot be reached,
/// one line whenever the probe did not run, and what it found when it worked.
pub fn say(r: &ProbeResult, given: Option<&str>, engine_host: &str) -> String {
    match (r.ok, &r.url) {
        (Some(false), Some(url)) => format!(
            "cachebench: warning: no network from builds on engine {engine_host}: {} ({url}); RUN steps that download will fail (--egress-probe none skips this check)",
            r.detail
        ),
        (Some(true), Some(url)) => format!("cachebench: egress probe {url}: {}", r.detail),
        (None, _) if given == Some("none") => format!("cachebench: egress probe {}", r.detail),
        _ => format!(
            "cachebench: warning: egress probe {}; whether builds can download is not known",
            r.detail
        ),
    }
}

/// The images the probe may run in, in order: [`PROBE_IMAGE`], then the seeded ones.
pub fn candidates(seeded: &[String]) -> Vec<String> {
    let mut v = vec![PROBE_IMAGE.to_string()];
    for s in seeded {
        if !v.contains(s) {
            v.push(s.clone());
        }
    }
    v
}

/// `http://host:8080/x` → (`host`, 8080); the scheme's port when none is given.
pub fn host_port(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let default = match scheme {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
            Some((h.to_string(), p.parse().ok()?))
        }
        _ => Some((authority.to_string(), default)),
    }
    .filter(|(h, _)| !h.is_empty())
}

async fn probe(engine: &Engine, url: &str, images: &[String]) -> ProbeResult {
    let mut r = ProbeResult {
        url: Some(url.to_string()),
        ..ProbeResult::default()
    };
    let Some((host, port)) = host_port(url) else {
        r.url = None;
        r.detail =
            format!("not run: {url} is not an http(s) URL; give --egress-probe http://HOST/");
        return r;
    };
    let mut passed_over = Vec::new();
    for image in images {
        let inspect = ["image", "inspect", "--format", "{{.Id}}", image.as_str()];
        if engine
            .docker(&inspect, Duration::from_secs(20))
            .await
            .is_err()
        {
            passed_over.push(format!("{image}: not on the engine"));
            continue;
        }
        match probe_in(engine, image, url, &host, port).await {
            Some(found) => return found.with_url(url),
            None => passed_over.push(format!("{image}: no shell with wget, curl or bash")),
        }
    }
    r.url = None;
    r.detail = format!(
        "not run: no image on the engine can fetch ({}); seed one with a shell and wget, curl or \
         bash (--seed-image {PROBE_IMAGE}) or give --egress-probe none",
        passed_over.join("; ")
    );
    r
}

impl ProbeResult {
    fn with_url(mut self, url: &str) -> ProbeResult {
        self.url = Some(url.to_string());
        self
    }
}

/// The probe in `image`; `None` when the image has no shell or none of the tools.
async fn probe_in(
    engine: &Engine,
    image: &str,
    url: &str,
    host: &str,
    port: u16,
) -> Option<ProbeResult> {
    let name = format!("cachebench-probe-{}", std::process::id());
    let secs = WGET_SECONDS.to_string();
    let port = port.to_string();
    let args = [
        "run",
        "--rm",
        "--pull",
        "never",
        "--name",
        &name,
        "--entrypoint",
        "sh",
        image,
        "-c",
        SCRIPT,
        "sh",
        url,
        host,
        &port,
        &secs,
    ];
    let spec = Spec::new("docker").args(args).envs(&engine.docker_env());
    let t0 = Instant::now();
    let out = process::output::finished(&spec, HARD_LIMIT).await;
    let ms = t0.elapsed().as_millis();
    let (ok, detail) = match out {
        Ok(f) if f.status.success() => (
            true,
            format!(
                "reachable ({ms} ms with container start; {} in {image})",
                tool_of(&f.stderr)
            ),
        ),
        Ok(f) if no_tool(f.status.code(), &f.stderr) => return None,
        Ok(f) => {
            let (ok, detail) = judge(&format!("{}\n{}", f.status, f.stderr));
            (ok, format!("{detail} ({} in {image})", tool_of(&f.stderr)))
        }
        Err(e) => {
            // Only the deadline (or a docker CLI that cannot start) ends here.
            let _ = engine
                .docker(&["rm", "-f", &name], Duration::from_secs(20))
                .await;
            let (ok, detail) = judge(&format!("{e:#}"));
            (ok, format!("{detail} (in {image})"))
        }
    };
    Some(ProbeResult {
        url: None,
        ok: Some(ok),
        detail,
    })
}

/// The tool the script said it used (`wget`, `curl`, `bash /dev/tcp …`).
fn tool_of(text: &str) -> String {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("probe: "))
        .unwrap_or("sh")
        .to_string()
}

/// True when the image had no shell (docker cannot start `sh`: 126, 127), or
/// none of the script's tools.
fn no_tool(code: Option<i32>, stderr: &str) -> bool {
    stderr.contains(NO_TOOL) || matches!(code, Some(126 | 127)) && stderr.contains("\"sh\"")
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
    let killed = ["exit status: 143", "exit status: 124"];
    if killed.iter().any(|k| text.contains(k)) || text.contains("did not finish within") {
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
mod tests;
