//! Who may connect to cachebench's own registry: only root, the user its engine,
//! BuildKit and cachebench itself run as. The registry listens on 127.0.0.1 with no
//! authentication; any local user could otherwise read the project's images and
//! caches from it (`GET /v2/_catalog`, then every blob) for as long as a run lasts.
//! One firewall rule, inserted before the registry starts and removed after it
//! stops, refuses new TCP connections to its port from any other user:
//!
//! `iptables -I OUTPUT -o lo -p tcp -d 127.0.0.1 --dport PORT --syn -m owner !
//! --uid-owner 0 -m comment --comment cachebench-registry:DIR -j REJECT
//! --reject-with tcp-reset`
//!
//! (`--syn`: only the first packet of a connection is judged, so a connection's
//! later packets, which the kernel may send with no socket behind them, never
//! are.) Root can read the work folder, the engine's data-root and the registry's
//! blobs anyway; everyone else's connection is refused, and the work folder is
//! 0700 ([`crate::run::setup`]).
//!
//! Why not the other ways, tried for real on this machine (Docker 26.1, Debian's
//! `docker-registry` 2.8):
//! - **htpasswd credentials** (random, given to the engine through a
//!   `DOCKER_CONFIG` of cachebench's): the registry accepts Basic auth over plain
//!   HTTP (401 without), `docker push` sends the credentials and BuildKit's docker
//!   driver pulls through the mirror with them, but dockerd's own pulls through its registry mirror on
//!   the containerd image store (`docker pull`, the legacy builder's `FROM`, so the
//!   `legacy` strategy) send none, even with the credentials also under docker.io's
//!   key: `401 no basic auth credentials`. It would also hide the user's own
//!   `~/.docker/config.json` (credentials for `--registry`), put a password in front
//!   of Docker Hub when a mirror misses, and cost a bcrypt check per request.
//! - **a network namespace**: dockerd and BuildKit run in the host's namespace, so
//!   the registry must be reachable from it, and then from every local user too.
//! - **a Unix socket**: `docker-registry` can listen on one, dockerd cannot pull
//!   from one.
//!
//! The rule needs root and `iptables` (with the `owner` match): cachebench's own
//! engine needs root anyway. Without them (an engine given with `--docker-host`
//! and cachebench not root) the registry stays open to local users, and a warning
//! says so. An engine given with `--docker-host` that runs as another user
//! (rootless Docker) cannot reach the registry: give it `--registry`. Rules of a
//! run killed outright are removed by the next run's sweep or `cachebench clean`
//! (their folder is gone or its owner dead).

use crate::infra::network::firewall::split_quoted;
use crate::infra::network::sync_command::{quick_args, quick_out};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Prefix of the comment of the rule; the registry's folder follows.
pub const TAG_PREFIX: &str = "cachebench-registry:";
/// iptables keeps at most 256 characters of a comment.
const MAX_TAG: usize = 255;

/// Rules this process inserted and has not removed yet (a second Ctrl-C removes them).
static LIVE: Mutex<Vec<Vec<String>>> = Mutex::new(Vec::new());

/// The rule restricting one registry; removed by [`Guard::lift`] or on drop.
#[derive(Debug)]
pub struct Guard {
    spec: Vec<String>,
}

/// The rule's arguments after `iptables -t filter -I`/`-D`.
pub fn rule_spec(port: u16, dir: &Path) -> Vec<String> {
    let tag = format!("{TAG_PREFIX}{}", dir.display());
    [
        "OUTPUT",
        "-o",
        "lo",
        "-p",
        "tcp",
        "-d",
        "127.0.0.1",
        "--dport",
        &port.to_string(),
        "--syn",
        "-m",
        "owner",
        "!",
        "--uid-owner",
        "0",
        "-m",
        "comment",
        "--comment",
        &tag,
        "-j",
        "REJECT",
        "--reject-with",
        "tcp-reset",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Lets only root connect to `127.0.0.1:port` (the registry whose folder is
/// `dir`); `Err` says why it cannot, for the warning.
pub fn restrict(port: u16, dir: &Path) -> Result<Guard, String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("cachebench is not root, and only root may add the firewall rule".into());
    }
    if crate::util::which("iptables").is_none() {
        return Err("iptables not found on PATH (apt-get install iptables)".into());
    }
    let tag_len = TAG_PREFIX.len() + dir.as_os_str().len();
    if tag_len > MAX_TAG || dir.to_string_lossy().contains(char::is_whitespace) {
        return Err(format!(
            "its folder {} is too long (or has blanks) for the rule's tag; use a shorter TMPDIR",
            dir.display()
        ));
    }
    let spec = rule_spec(port, dir);
    let mut args: Vec<String> = ["-w", "5", "-t", "filter", "-I"].map(String::from).to_vec();
    args.extend(spec.iter().cloned());
    quick_args("iptables", &args)?;
    if let Ok(mut l) = LIVE.lock() {
        l.push(spec.clone());
    }
    Ok(Guard { spec })
}

impl Guard {
    /// Removes the rule (once).
    pub fn lift(&mut self) {
        if self.spec.is_empty() {
            return;
        }
        delete(&self.spec);
        if let Ok(mut l) = LIVE.lock() {
            l.retain(|s| *s != self.spec);
        }
        self.spec.clear();
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.lift();
    }
}

fn delete(spec: &[String]) {
    let mut args: Vec<String> = ["-w", "5", "-t", "filter", "-D"].map(String::from).to_vec();
    args.extend(spec.iter().cloned());
    let _ = quick_args("iptables", &args);
}

/// Removes every rule this process inserted and has not removed: what a second
/// Ctrl-C does instead of a teardown.
pub fn lift_all() {
    let live = LIVE.lock().map(|l| l.clone()).unwrap_or_default();
    for spec in live {
        delete(&spec);
    }
}

/// The rules of cachebench's registries in the firewall: (the registry's folder,
/// the rule's `-A OUTPUT …` arguments).
pub fn tagged_rules() -> Vec<(PathBuf, Vec<String>)> {
    if crate::util::which("iptables").is_none() {
        return vec![];
    }
    parse_tagged(&quick_out(
        "iptables",
        &["-w", "5", "-t", "filter", "-S", "OUTPUT"],
    ))
}

/// The `cachebench-registry:`-tagged `-A` lines of `iptables -S` output.
pub fn parse_tagged(text: &str) -> Vec<(PathBuf, Vec<String>)> {
    text.lines()
        .filter(|l| l.starts_with("-A "))
        .filter_map(|l| {
            let args = split_quoted(l);
            let i = args.iter().position(|a| a == "--comment")?;
            let dir = args.get(i + 1)?.strip_prefix(TAG_PREFIX)?;
            Some((PathBuf::from(dir), args))
        })
        .collect()
}

/// Removes the rules of registries whose folder is `within` or below it (a dead
/// run's work folder); returns how many.
pub fn remove_within(within: &Path) -> usize {
    let mut n = 0;
    for (dir, args) in tagged_rules() {
        if dir.starts_with(within) {
            delete(&args[1..]);
            n += 1;
        }
    }
    n
}

/// Removes (with `dry_run`, only lists) the rules whose registry folder is gone
/// (their run ended without removing them); returns one line each.
pub fn sweep_stale(dry_run: bool) -> Vec<String> {
    let verb = if dry_run { "would remove" } else { "removed" };
    let mut lines = vec![];
    for (dir, args) in tagged_rules() {
        if !dir.exists() {
            if !dry_run {
                delete(&args[1..]);
            }
            lines.push(format!(
                "{verb}: the firewall rule closing a registry to other users, whose folder {} is gone",
                dir.display()
            ));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_is_scoped_to_the_port_and_tagged_with_the_folder() {
        let spec = rule_spec(40123, Path::new("/tmp/cachebench-Ab12Cd/registry"));
        assert_eq!(
            spec.join(" "),
            "OUTPUT -o lo -p tcp -d 127.0.0.1 --dport 40123 --syn -m owner ! --uid-owner 0 \
             -m comment --comment cachebench-registry:/tmp/cachebench-Ab12Cd/registry \
             -j REJECT --reject-with tcp-reset"
        );
    }

    #[test]
    fn tagged_rules_are_read_back_from_iptables_s() {
        let text = "-P OUTPUT ACCEPT\n\
            -A OUTPUT -d 127.0.0.1/32 -o lo -p tcp -m tcp --dport 40123 --tcp-flags FIN,SYN,RST,ACK SYN -m owner ! --uid-owner 0 -m comment --comment \"cachebench-registry:/tmp/cachebench-Ab12Cd/registry\" -j REJECT --reject-with tcp-reset\n\
            -A OUTPUT -m comment --comment \"cachebench:cb00000001\" -j ACCEPT\n\
            -A OUTPUT -o lo -j ACCEPT\n";
        let r = parse_tagged(text);
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].0, Path::new("/tmp/cachebench-Ab12Cd/registry"));
        assert_eq!(r[0].1[0], "-A");
        assert!(r[0].1.contains(&"40123".to_string()));
        assert!(r[0].0.starts_with("/tmp/cachebench-Ab12Cd"));
        assert!(!r[0].0.starts_with("/tmp/cachebench-Ab12C"));
    }
}
