//! The firewall rules of cachebench's bridges (see [`super`] for which and why):
//! inserted with `iptables -w`, each tagged `cachebench:BRIDGE`, found again from
//! `iptables -S` by that tag to be removed, and swept when their bridge is gone;
//! `net.ipv4.ip_forward` turned on only if it was off, and put back.

use crate::infra::network::sync_command::{quick_args, quick_out};
use std::sync::atomic::{AtomicBool, Ordering};

/// Prefix of the comment every rule of cachebench carries.
pub const TAG_PREFIX: &str = "cachebench:";
const IP_FORWARD: &str = "/proc/sys/net/ipv4/ip_forward";

/// Set when cachebench turned `ip_forward` on (it was 0).
static FORWARD_CHANGED: AtomicBool = AtomicBool::new(false);

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
pub(super) fn add_rules(bridge: &str, subnet: &str) -> Result<(), String> {
    if crate::util::which("iptables").is_none() {
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
pub fn split_quoted(line: &str) -> Vec<String> {
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
    if crate::util::which("iptables").is_none() {
        return;
    }
    for r in tagged_rules().iter().filter(|r| r.bridge == bridge) {
        delete_rule(r);
    }
}

/// Removes cachebench's rules whose bridge is gone (a run killed with SIGKILL
/// could not remove them). Rules of live bridges (another cachebench) are kept.
pub fn sweep_stale() {
    if crate::util::which("iptables").is_none() {
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
}
