//! The nameservers containers on cachebench's bridge get (what `env.json` records
//! beside the bridge's egress and the probe).

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
