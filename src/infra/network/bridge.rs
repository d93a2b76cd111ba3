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
        process::groups::register_bridge(&name);
        crate::infra::leftovers::note_bridge(&name, &subnet);
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
        remove_rules(&self.name);
        process::groups::unregister_bridge(&self.name);
        let _ = quick("ip", &["link", "del", &self.name]);
        restore_forwarding();
    }
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
