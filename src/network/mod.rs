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
pub mod probe;

use crate::process::{self, Spec};
use anyhow::Context;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Prefix of the comment every rule of cachebench carries.
pub const TAG_PREFIX: &str = "cachebench:";
const IP_FORWARD: &str = "/proc/sys/net/ipv4/ip_forward";
/// Limit of one `iptables`/`ip` command (the xtables lock wait included).
const CMD_LIMIT: Duration = Duration::from_secs(10);

/// Set when cachebench turned `ip_forward` on (it was 0).
static FORWARD_CHANGED: AtomicBool = AtomicBool::new(false);

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
        bridge.egress = add_rules(&bridge.name, &bridge.subnet);
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
    env: &mut crate::report::EnvInfo,
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

/// The rules giving `bridge` egress, as `iptables` arguments after `-t TABLE -I`.
pub fn rule_specs(bridge: &str, subnet: &str) -> Vec<(&'static str, Vec<String>)> {
    let tag = format!("{TAG_PREFIX}{bridge}");
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        (
            "nat",
            v(&[
                "POSTROUTING",
                "-s",
                subnet,
                "!",
                "-o",
                bridge,
                "-m",
                "comment",
                "--comment",
                &tag,
                "-j",
                "MASQUERADE",
            ]),
        ),
        (
            "filter",
            v(&[
                "FORWARD",
                "-i",
                bridge,
                "!",
                "-o",
                bridge,
                "-m",
                "comment",
                "--comment",
                &tag,
                "-j",
                "ACCEPT",
            ]),
        ),
        (
            "filter",
            v(&[
                "FORWARD",
                "-o",
                bridge,
                "-m",
                "conntrack",
                "--ctstate",
                "RELATED,ESTABLISHED",
                "-m",
                "comment",
                "--comment",
                &tag,
                "-j",
                "ACCEPT",
            ]),
        ),
    ]
}

/// Inserts the egress rules of `bridge` and turns forwarding on if it is off.
fn add_rules(bridge: &str, subnet: &str) -> Result<(), String> {
    if crate::registry::which("iptables").is_none() {
        return Err("iptables not found on PATH (apt-get install iptables)".into());
    }
    for (table, spec) in rule_specs(bridge, subnet) {
        let mut args = vec![
            "-w".to_string(),
            "5".into(),
            "-t".into(),
            table.into(),
            "-I".into(),
        ];
        args.extend(spec);
        quick_args("iptables", &args)?;
    }
    enable_forwarding()
}

fn enable_forwarding() -> Result<(), String> {
    let now = std::fs::read_to_string(IP_FORWARD)
        .map_err(|e| format!("cannot read {IP_FORWARD}: {e}"))?;
    if now.trim() == "1" {
        return Ok(());
    }
    std::fs::write(IP_FORWARD, "1").map_err(|e| format!("cannot enable {IP_FORWARD}: {e}"))?;
    FORWARD_CHANGED.store(true, Ordering::SeqCst);
    eprintln!("cachebench: enabled {IP_FORWARD} (was 0; set back to 0 at the end)");
    Ok(())
}

/// Sets `ip_forward` back to 0 if cachebench set it to 1 and no other bridge with
/// cachebench's rules is left (another cachebench may still need it).
pub fn restore_forwarding() {
    if !FORWARD_CHANGED.load(Ordering::SeqCst) {
        return;
    }
    let others = tagged_rules().into_iter().any(|r| link_exists(&r.bridge));
    if !others && std::fs::write(IP_FORWARD, "0").is_ok() {
        FORWARD_CHANGED.store(false, Ordering::SeqCst);
    }
}

/// One rule of cachebench found in the firewall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedRule {
    pub table: &'static str,
    pub bridge: String,
    /// The `-A CHAIN …` line of `iptables -S`, split into arguments.
    pub args: Vec<String>,
}

/// Rules tagged `cachebench:*` in the nat and filter tables.
pub fn tagged_rules() -> Vec<TaggedRule> {
    let mut v = vec![];
    for table in ["nat", "filter"] {
        let text = quick_out("iptables", &["-w", "5", "-t", table, "-S"]);
        v.extend(parse_tagged(table, &text));
    }
    v
}

/// The `cachebench:BRIDGE`-tagged `-A` lines of `iptables -t TABLE -S` output.
pub fn parse_tagged(table: &'static str, text: &str) -> Vec<TaggedRule> {
    text.lines()
        .filter(|l| l.starts_with("-A "))
        .filter_map(|l| {
            let args = split_quoted(l);
            let i = args.iter().position(|a| a == "--comment")?;
            let bridge = args.get(i + 1)?.strip_prefix(TAG_PREFIX)?.to_string();
            Some(TaggedRule {
                table,
                bridge,
                args,
            })
        })
        .collect()
}

/// Splits an `iptables -S` line into arguments (double quotes group, `\"` escapes).
fn split_quoted(line: &str) -> Vec<String> {
    let mut out = vec![];
    let mut cur = String::new();
    let (mut quoted, mut any, mut chars) = (false, false, line.chars());
    while let Some(c) = chars.next() {
        match c {
            '\\' if quoted => cur.extend(chars.next()),
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn delete_rule(r: &TaggedRule) {
    let mut args = vec![
        "-w".to_string(),
        "5".into(),
        "-t".into(),
        r.table.into(),
        "-D".into(),
    ];
    args.extend(r.args.iter().skip(1).cloned());
    let _ = quick_args("iptables", &args);
}

/// Removes every rule tagged `cachebench:BRIDGE` (best effort).
pub fn remove_rules(bridge: &str) {
    if crate::registry::which("iptables").is_none() {
        return;
    }
    for r in tagged_rules().iter().filter(|r| r.bridge == bridge) {
        delete_rule(r);
    }
}

/// Removes cachebench's rules whose bridge is gone (a run killed with SIGKILL
/// could not remove them). Rules of live bridges (another cachebench) are kept.
pub fn sweep_stale() {
    if crate::registry::which("iptables").is_none() {
        return;
    }
    for r in tagged_rules().iter().filter(|r| !link_exists(&r.bridge)) {
        eprintln!(
            "cachebench: removing a leftover firewall rule of bridge {} (gone): {}",
            r.bridge,
            r.args.join(" ")
        );
        delete_rule(r);
    }
}

fn link_exists(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('/')
        && std::path::Path::new("/sys/class/net").join(name).exists()
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

fn quick_out(program: &str, args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    quick_args(program, &args).unwrap_or_default()
}

fn quick(program: &str, args: &[&str]) -> Result<String, String> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    quick_args(program, &args)
}

/// Runs a short command synchronously (teardown runs on drop) in its own process
/// group, killed after [`CMD_LIMIT`]; its stdout, or an error with its stderr.
fn quick_args(program: &str, args: &[String]) -> Result<String, String> {
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
    fn tagged_rules_are_parsed_from_iptables_s() {
        let text = "-P FORWARD DROP\n\
            -A FORWARD -o cbab12cd34 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment \"cachebench:cbab12cd34\" -j ACCEPT\n\
            -A FORWARD -i docker0 ! -o docker0 -j ACCEPT\n\
            -A FORWARD -i eth1 -m comment --comment \"not ours\" -j ACCEPT\n";
        let r = parse_tagged("filter", text);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].bridge, "cbab12cd34");
        assert_eq!(
            r[0].args,
            [
                "-A",
                "FORWARD",
                "-o",
                "cbab12cd34",
                "-m",
                "conntrack",
                "--ctstate",
                "RELATED,ESTABLISHED",
                "-m",
                "comment",
                "--comment",
                "cachebench:cbab12cd34",
                "-j",
                "ACCEPT"
            ]
        );
    }

    #[test]
    fn quoted_arguments_are_kept_whole() {
        assert_eq!(
            split_quoted(r#"-A X --comment "a b \"c\"" -j  ACCEPT"#),
            ["-A", "X", "--comment", "a b \"c\"", "-j", "ACCEPT"]
        );
        assert_eq!(
            split_quoted(r#"-A X --comment """#),
            ["-A", "X", "--comment", ""]
        );
    }

    #[test]
    fn rules_are_scoped_to_the_bridge_and_subnet_and_tagged() {
        let specs = rule_specs("cb00000001", "169.254.120.0/24");
        assert_eq!(specs.len(), 3);
        for (_, s) in &specs {
            assert!(
                s.join(" ").contains("--comment cachebench:cb00000001"),
                "{s:?}"
            );
            assert!(s.join(" ").contains("cb00000001"));
        }
        assert_eq!(
            specs[0].1.join(" "),
            "POSTROUTING -s 169.254.120.0/24 ! -o cb00000001 -m comment --comment cachebench:cb00000001 -j MASQUERADE"
        );
    }

    #[test]
    fn subnet_skips_used_ones_and_the_metadata_range() {
        assert_eq!(pick_third(69, ""), Some(170));
        assert_eq!(pick_third(0, "inet 169.254.100.1/24"), Some(101));
        assert_eq!(pick_third(0, "169.254.100.0/24 dev x"), Some(101));
        let all: String = (100..250).map(|n| format!("169.254.{n}.1 ")).collect();
        assert_eq!(pick_third(0, &all), None);
    }
}
