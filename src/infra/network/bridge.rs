//! cachebench's bridge `cbXXXXXXXX`: created with a free link-local /24 (never
//! `169.254.169.0/24`, the cloud metadata range), given egress by [`super::firewall`],
//! and removed with its rules once.

use super::firewall::{self, remove_rules, restore_forwarding, sweep_stale};
use crate::infra::network::sync_command::{quick, quick_out, CMD_LIMIT};
use crate::infra::process::{self, Spec};
use anyhow::Context;

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
        process::output::output(
            &Spec::new("ip").args(["link", "add", &name, "type", "bridge"]),
            CMD_LIMIT,
        )
        .await
        .with_context(|| format!("failed to create bridge {name} for cachebench's dockerd"))?;
        if let Ok(mut live) = LIVE.lock() {
            live.push(name.clone());
        }
        let mut bridge = Bridge {
            name,
            cidr,
            subnet,
            egress: Err("not set up".into()),
            iptables: None,
            deleted: false,
        };
        if let Err(e) = process::output::output(
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
        if let Ok(mut live) = LIVE.lock() {
            live.retain(|n| *n != self.name);
        }
        let _ = delete_bridge(&self.name);
        restore_forwarding();
    }
}

/// Bridges of this process not deleted yet, for a hasty exit ([`delete_live_bridges`]).
static LIVE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Deletes a bridge of cachebench's and the firewall rules tagged with its name:
/// the one way a bridge goes, whether its engine stops, a second Ctrl-C exits at
/// once, or `cachebench clean` removes a dead run's. A bridge already gone is fine.
pub fn delete_bridge(name: &str) -> Result<(), String> {
    remove_rules(name);
    if !std::path::Path::new("/sys/class/net").join(name).exists() {
        return Ok(());
    }
    quick("ip", &["link", "del", name]).map(drop)
}

/// Deletes every bridge this process created and has not deleted yet, then puts
/// `ip_forward` back: what a second Ctrl-C does instead of a teardown.
pub fn delete_live_bridges() {
    let live = LIVE.lock().map(|l| l.clone()).unwrap_or_default();
    for name in live {
        let _ = delete_bridge(&name);
    }
    restore_forwarding();
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.delete();
    }
}

/// The third octet of a free `169.254.N.0/24`: N in 100..=249, not 169 (cloud
/// metadata), not in `used` (the output of `ip addr` and `ip route`).
fn pick_third(seed: u32, used: &str) -> Option<u32> {
    let start = seed % 150;
    (0..150)
        .map(|i| 100 + (start + i) % 150)
        .find(|n| *n != 169 && !used.contains(&format!("169.254.{n}.")))
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
