//! Tells a build that failed (or hung) for want of network from any other failed
//! build, from what its RUN steps printed: the errors of wget (busybox and GNU),
//! curl, apt, pip, npm, go and cargo when a name does not resolve, a route is
//! missing or a connection times out, and, for a run that timed out, a tool left
//! "Connecting to HOST". The record's reason then says "no network from the build"
//! with the host it tried, instead of only "build timed out".
//!
//! Reads the run's log as written by [`crate::infra::process::run`]: `--progress=rawjson`
//! step output is base64 in `"data"` fields, decoded here; plain lines (the legacy
//! builder) are read as they are.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// At most this much of the end of a log is read.
const LOG_TAIL_BYTES: u64 = 4 << 20;

/// Error texts (lowercase) that mean the build could not reach the network.
const MARKERS: &[&str] = &[
    "bad address",                          // busybox wget, nslookup
    "could not resolve host",               // curl, cargo
    "couldn't resolve host",                // curl
    "could not resolve hostname",           // cargo
    "temporary failure resolving",          // apt
    "temporary failure in name resolution", // GNU wget, python, pip
    "unable to resolve host address",       // GNU wget
    "name or service not known",            // python, pip
    "no address associated with hostname",  // glibc
    "eai_again",                            // npm, node
    "enotfound",                            // npm, node
    "no such host",                         // go
    "network is unreachable",               // busybox wget, python, go
    "no route to host",                     // everyone
    "connection timed out",                 // curl, apt, busybox wget
    "download timed out",                   // busybox wget -T
    "timeout was reached",                  // curl
    "i/o timeout",                          // go
    "etimedout",                            // npm, node
    "can't connect to remote host",         // busybox wget
    "could not connect to",                 // apt
    "failed to connect to",                 // curl
    "failed to establish a new connection", // pip (urllib3)
    "connecttimeouterror",                  // pip (urllib3)
    "spurious network error",               // cargo
];

/// Progress lines a tool leaves while it waits for the network: a sign only when
/// the run timed out.
const HANG_MARKERS: &[&str] = &["connecting to ", "resolving ", "[waiting for headers]"];

/// Phrases after which a tool names the host it tried (lowercase).
const HOST_AFTER: &[&str] = &[
    "bad address ",
    "temporary failure resolving ",
    "unable to resolve host address ",
    "could not resolve host: ",
    "couldn't resolve host: ",
    "failed to connect to ",
    "could not connect to ",
    "can't connect to remote host ",
    "connecting to ",
    "resolving ",
    "eai_again ",
    "enotfound ",
    "lookup ",
    "host='",
    "connection to ",
];

/// A build that could not reach the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoNetwork {
    /// The host it tried, when the output names it.
    pub host: Option<String>,
    /// The output line that says so.
    pub line: String,
}

impl NoNetwork {
    /// The record's reason: `PREFIX: no network from the build (tried HOST): LINE`,
    /// where PREFIX is what failed and how (`build timed out`).
    pub fn reason(&self, prefix: &str) -> String {
        let tried = match &self.host {
            Some(h) => format!("tried {h}"),
            None => "host not named".to_string(),
        };
        let line: String = self.line.chars().take(300).collect();
        format!("{prefix}: no network from the build ({tried}): {line}")
    }
}

/// Rewrites a failed run's `reason` when its log shows the build had no network;
/// otherwise returns it unchanged.
pub fn amend(reason: &str, log: &Path, timed_out: bool) -> String {
    let Some(text) = read_tail(log) else {
        return reason.to_string();
    };
    match find(&output_lines(&text), timed_out) {
        Some(n) => n.reason(reason.split(':').next().unwrap_or(reason).trim()),
        None => reason.to_string(),
    }
}

fn read_tail(path: &Path) -> Option<String> {
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(LOG_TAIL_BYTES)))
        .ok()?;
    let mut b = Vec::new();
    f.read_to_end(&mut b).ok()?;
    Some(String::from_utf8_lossy(&b).into_owned())
}

/// The output lines of the last command of a run log (after its last `$ …` line),
/// without the time prefix, rawjson step output decoded.
pub fn output_lines(log: &str) -> Vec<String> {
    let mut lines = vec![];
    for raw in log.lines() {
        let l = strip_time(raw);
        if l.starts_with("$ ") {
            lines.clear();
            continue;
        }
        if l.starts_with("cachebench:") {
            continue;
        }
        let t = l.trim_start();
        if let Some(rest) = t.strip_prefix("\"data\": \"") {
            let b64 = rest.split('"').next().unwrap_or("");
            if let Some(bytes) = base64_decode(b64) {
                let s = String::from_utf8_lossy(&bytes);
                lines.extend(
                    s.split(['\n', '\r'])
                        .map(str::trim_end)
                        .filter(|x| !x.trim().is_empty())
                        .map(str::to_string),
                );
            }
        } else if !t.is_empty() {
            lines.push(l.to_string());
        }
    }
    lines
}

/// `   12.345 [stdout] text` → `text`.
fn strip_time(line: &str) -> &str {
    let t = line.trim_start();
    let Some((num, rest)) = t.split_once(' ') else {
        return line;
    };
    if !num.is_empty() && num.chars().all(|c| c.is_ascii_digit() || c == '.') && num.contains('.') {
        rest.strip_prefix("[stdout] ").unwrap_or(rest)
    } else {
        line
    }
}

/// The last line of `lines` that says the network could not be reached (with a
/// timed-out run, also a tool still connecting), and the host it names (or that
/// the nearest URL before it names).
pub fn find(lines: &[String], timed_out: bool) -> Option<NoNetwork> {
    let is_sign = |l: &str| {
        let low = l.to_lowercase();
        MARKERS.iter().any(|m| low.contains(m))
            || (timed_out && HANG_MARKERS.iter().any(|m| low.contains(m)))
    };
    let i = lines.iter().rposition(|l| is_sign(l))?;
    let line = lines[i].trim().to_string();
    let host = host_in(&line).or_else(|| {
        lines[i.saturating_sub(10)..i]
            .iter()
            .rev()
            .find_map(|l| url_host(l))
    });
    Some(NoNetwork { host, line })
}

/// The host a line names: after a known phrase, else in a URL.
pub fn host_in(line: &str) -> Option<String> {
    let low = line.to_lowercase();
    for p in HOST_AFTER {
        let mut from = 0;
        while let Some(at) = low[from..].find(p) {
            let start = from + at + p.len();
            if let Some(h) = host_at(&line[start..]) {
                return Some(h);
            }
            from = start;
        }
    }
    url_host(line)
}

/// The host of the first `scheme://host` in `line`.
fn url_host(line: &str) -> Option<String> {
    let at = line.find("://")?;
    host_at(&line[at + 3..])
}

/// A host name or IPv4 address at the start of `s`, after opening quotes or a
/// parenthesis; the port is left out.
fn host_at(s: &str) -> Option<String> {
    let s = s.trim_start_matches(['\'', '"', '‘', '`', '(', '[', ' ']);
    let h: String = s
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-' || *c == '_')
        .collect();
    let h = h.trim_end_matches('.').to_string();
    (h.contains('.')
        && h.chars()
            .any(|c| c.is_ascii_alphabetic() || c.is_ascii_digit()))
    .then_some(h)
}

/// Standard base64 (padding optional); `None` on anything else.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    crate::records::redact::BASE64
        .decode(s.trim_end_matches('='))
        .ok()
}

#[cfg(test)]
mod tests;
