//! The network of cachebench's own engine: its bridge `cbXXXXXXXX` with a free
//! link-local /24, and outbound access ("egress") for the containers and the RUN
//! steps on that bridge, given the way Docker gives it to its default bridge:
//!
//! - `nat POSTROUTING -s SUBNET ! -o BRIDGE -j MASQUERADE`
//! - `filter FORWARD -i BRIDGE ! -o BRIDGE -j ACCEPT` (out)
//! - `filter FORWARD -o BRIDGE -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT` (back)
//!
//! each inserted at the top of its chain with `iptables -w` and tagged
//! `-m comment --comment cachebench:BRIDGE`: nothing else is flushed, reordered or
//! changed. `net.ipv4.ip_forward` is set to 1 only if it was 0 (and put back when the
//! last bridge of cachebench goes). The rules are removed with the bridge (end of
//! the matrix, drop of the engine, a second Ctrl-C through [`crate::process`]'s
//! leftovers) and, for a run killed outright, by the next invocation's
//! [`sweep_stale`]: tagged rules whose bridge no longer exists.
//!
//! A link-local subnet is forwarded and masqueraded by Linux like any other (checked
//! for real: a namespace on such a bridge reaches the Debian mirror with these three
//! rules, and not without either of them); it is kept because it never collides with
//! a routed network of the host. `169.254.169.0/24` is never used: it holds the cloud
//! metadata address.
//!
//! Everything that knows the bridge's name and subnet lives here, so a later link
//! shaper (e.g. `tc` on the bridge, remote-cache realism) hooks into [`Bridge`].

pub mod apt;
pub mod diagnose;
mod firewall;
pub mod probe;

pub use firewall::{
    remove_rules, restore_forwarding, sweep_stale, tagged_rules, TaggedRule, TAG_PREFIX,
};

use crate::process::{self, Spec};
use anyhow::Context;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Limit of one `iptables`/`ip` command (the xtables lock wait included).
const CMD_LIMIT: Duration = Duration::from_secs(10);

/// cachebench's bridge and what it set up for it.
#[derive(Debug)]
pub struct Bridge {
    pub name: String,
    /// The bridge's own address, `169.254.N.1/24`.
    pub cidr: String,
    /// The subnet, `169.254.N.0/24`.
    pub subnet: String,
    /// Whether the egress rules are in place; when not, why.
    pub egress: Result<(), String>,
    /// `iptables -V` (e.g. `iptables v1.8.9 (nf_tables)`), when it ran.
    pub iptables: Option<String>,
    deleted: bool,
}

impl Bridge {
    /// Creates a bridge of cachebench's own with a free link-local /24 and gives it
    /// egress. A failure to set up egress is a warning (many builds need no
    /// network), recorded in `egress`; a failure to create the bridge is an error.
    pub async fn create() -> anyhow::Result<Bridge> {
        sweep_stale();
        let used = [
            quick_out("ip", &["-o", "-4", "addr"]),
            quick_out("ip", &["-4", "route", "show", "table", "all"]),
        ]
        .concat();
        let seed = std::process::id() ^ chrono::Utc::now().timestamp_subsec_nanos();
        let name = format!("cb{seed:08x}")[..10].to_string();
        let third =
            pick_third(seed, &used).context("no free 169.254.N.0/24 for cachebench's bridge")?;
        let cidr = format!("169.254.{third}.1/24");
        let subnet = format!("169.254.{third}.0/24");
        process::output(
            &Spec::new("ip").args(["link", "add", &name, "type", "bridge"]),
            CMD_LIMIT,
        )
        .await
        .with_context(|| format!("failed to create bridge {name} for cachebench's dockerd"))?;
        process::register_bridge(&name);
        crate::leftovers::note_bridge(&name, &subnet);
        let mut bridge = Bridge {
            name,
            cidr,
            subnet,
            egress: Err("not set up".into()),
            iptables: None,
            deleted: false,
        };
        if let Err(e) = process::output(
            &Spec::new("ip").args(["addr", "add", &bridge.cidr, "dev", &bridge.name]),
            CMD_LIMIT,
        )
        .await
        {
            bridge.delete();
            return Err(e.context(format!("failed to address bridge {}", bridge.name)));
        }
        bridge.iptables =
            Some(quick_out("iptables", &["-V"]).trim().to_string()).filter(|v| !v.is_empty());
        bridge.egress = firewall::add_rules(&bridge.name, &bridge.subnet);
        if let Err(e) = &bridge.egress {
            remove_rules(&bridge.name);
            eprintln!(
                "cachebench: warning: no egress for builds on cachebench's engine (bridge {}): {e}",
                bridge.name
            );
        }
        Ok(bridge)
    }

    /// Removes the egress rules and the bridge (once); puts `ip_forward` back when
    /// cachebench changed it and no other bridge of cachebench remains.
    pub fn delete(&mut self) {
        if self.deleted {
            return;
        }
        self.deleted = true;
        remove_rules(&self.name);
        process::unregister_bridge(&self.name);
        let _ = quick("ip", &["link", "del", &self.name]);
        restore_forwarding();
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.delete();
    }
}

/// Records in `env.json` whether builds had egress, for which subnet, and what
/// the probe found.
pub fn record_env(
    env: &mut crate::records::env_info::EnvInfo,
    engine: &crate::engine::Engine,
    probe: &probe::ProbeResult,
) {
    if let Some(o) = &engine.owned {
        let b = &o.bridge;
        env.egress = Some(b.egress.is_ok());
        env.egress_subnet = b.egress.is_ok().then(|| b.subnet.clone());
        env.egress_detail = match &b.egress {
            Ok(()) => b.iptables.clone(),
            Err(e) => Some(e.clone()),
        };
        env.egress_nameservers = Some(container_nameservers());
    }
    env.egress_probe_url = probe.url.clone();
    env.egress_probe_ok = probe.ok;
    env.egress_probe_detail = Some(probe.detail.clone()).filter(|d| !d.is_empty());
}

/// The third octet of a free `169.254.N.0/24`: N in 100..=249, not 169 (cloud
/// metadata), not in `used` (the output of `ip addr` and `ip route`).
fn pick_third(seed: u32, used: &str) -> Option<u32> {
    let start = seed % 150;
    (0..150)
        .map(|i| 100 + (start + i) % 150)
        .find(|n| *n != 169 && !used.contains(&format!("169.254.{n}.")))
}

/// The nameservers containers on the bridge get: the host's, less loopback ones
/// (Docker's rule; systemd-resolved's upstream list when the host has only its
/// stub). Empty: Docker falls back to public resolvers.
pub fn container_nameservers() -> Vec<String> {
    let pick = |path: &str| -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().strip_prefix("nameserver"))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && !s.starts_with("127.") && s != "::1")
            .collect()
    };
    let v = pick("/etc/resolv.conf");
    if v.is_empty() {
        pick("/run/systemd/resolve/resolv.conf")
    } else {
        v
    }
}

pub(crate) fn quick_out(program: &str, args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    quick_args(program, &args).unwrap_or_default()
}

fn quick(program: &str, args: &[&str]) -> Result<String, String> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    quick_args(program, &args)
}

/// Runs a short command synchronously (teardown runs on drop) in its own process
/// group, killed after [`CMD_LIMIT`]; its stdout, or an error with its stderr.
pub(crate) fn quick_args(program: &str, args: &[String]) -> Result<String, String> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let shown = format!("{program} {}", args.join(" "));
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("failed to run `{shown}`: {e}"))?;
    let (mut so, mut se) = (child.stdout.take(), child.stderr.take());
    let reader = std::thread::spawn(move || {
        let (mut a, mut b) = (String::new(), String::new());
        if let Some(s) = so.as_mut() {
            let _ = s.read_to_string(&mut a);
        }
        if let Some(s) = se.as_mut() {
            let _ = s.read_to_string(&mut b);
        }
        (a, b)
    });
    let t0 = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if t0.elapsed() < CMD_LIMIT => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                process::signal_group(child.id() as i32, libc::SIGKILL);
                let _ = child.wait();
                return Err(format!(
                    "`{shown}` did not finish within {}s",
                    CMD_LIMIT.as_secs()
                ));
            }
        }
    };
    let (out, err) = reader.join().unwrap_or_default();
    if status.success() {
        Ok(out)
    } else {
        Err(format!("`{shown}` {status}: {}", err.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnet_skips_used_ones_and_the_metadata_range() {
        assert_eq!(pick_third(69, ""), Some(170));
        assert_eq!(pick_third(0, "inet 169.254.100.1/24"), Some(101));
        assert_eq!(pick_third(0, "169.254.100.0/24 dev x"), Some(101));
        let all: String = (100..250).map(|n| format!("169.254.{n}.1 ")).collect();
        assert_eq!(pick_third(0, &all), None);
    }
}
