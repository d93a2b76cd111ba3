//! What `env.json` says about the network builds had: egress on cachebench's
//! bridge, its subnet, the nameservers containers get, and the egress probe.

use super::probe;

/// Records in `env.json` whether builds had egress, for which subnet, and what
/// the probe found.
pub fn record_env(
    env: &mut crate::records::environment::EnvInfo,
    engine: &crate::infra::engine::Engine,
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
