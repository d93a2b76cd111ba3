//! Builds that need the network, on cachebench's own engine: the `netfetch`
//! workload downloads from the machine's Debian archive (read from its apt
//! sources at test time) during a RUN step. With the docker driver that step runs
//! on cachebench's bridge, which reaches out only through cachebench's egress rules.

use super::common::{
    leftovers::{assert_no_leftovers, firewall_rules_of},
    records::records,
    runs::{assert_usage_error, cachebench, repo, run_env, small_args, text},
    scratch::{context_with, scratch},
};
use cachebench::records::record::RunStatus;
use std::process::Command;

/// A rule tagged for a bridge that does not exist, as a run killed with SIGKILL
/// leaves: matches nothing (its interface is absent), and the next run removes it.
struct StaleRule {
    bridge: String,
}

impl StaleRule {
    fn spec(&self) -> Vec<String> {
        [
            "POSTROUTING",
            "-s",
            "169.254.251.0/24",
            "!",
            "-o",
            &self.bridge,
            "-m",
            "comment",
            "--comment",
            &format!("cachebench:{}", self.bridge),
            "-j",
            "MASQUERADE",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn add() -> StaleRule {
        let r = StaleRule {
            bridge: format!("cbx{:07x}", std::process::id() & 0xfff_ffff),
        };
        let mut a = vec!["-w", "5", "-t", "nat", "-A"];
        let spec = r.spec();
        a.extend(spec.iter().map(String::as_str));
        let o = Command::new("iptables").args(&a).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        r
    }
}

impl Drop for StaleRule {
    fn drop(&mut self) {
        let mut a = vec!["-w", "5", "-t", "nat", "-D"];
        let spec = self.spec();
        a.extend(spec.iter().map(String::as_str));
        let _ = Command::new("iptables").args(&a).output();
    }
}

/// The decoded output of a run's last command (rawjson step output included).
fn build_output(out: &std::path::Path, log: &str) -> Vec<String> {
    let text = std::fs::read_to_string(out.join(log)).unwrap();
    cachebench::infra::network::diagnose::output_lines(&text)
}

#[test]
fn a_build_that_downloads_runs_on_cachebenchs_own_engine() {
    let mirror = cachebench::infra::network::apt::debian_mirror()
        .expect("no Debian archive in this machine's apt sources");
    let host = cachebench::infra::network::diagnose::host_in(&mirror).unwrap();
    let stale = StaleRule::add();
    let dir = scratch();
    let out = dir.path().join("out");
    let ctx = repo().join("dockerfiles/netfetch");
    let mut args: Vec<String> = [
        "run",
        "--context",
        ctx.to_str().unwrap(),
        "--source-file",
        "src/main.txt",
        "--deps-file",
        "deps.txt",
        "--build-arg",
        &format!("MIRROR={mirror}"),
        "--change",
        "source",
        "--reps",
        "1",
        "--timeout",
        "5m",
        "--out",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for s in ["buildkit", "registry-cache"] {
        args.extend(["--strategy".into(), s.into()]);
    }
    for s in ["cold", "warm-local", "warm-remote"] {
        args.extend(["--state".into(), s.into()]);
    }
    let o = run_env(&args, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let recs = records(&out);
    let ran: Vec<_> = recs
        .iter()
        .filter(|r| r.status != RunStatus::Skipped)
        .collect();
    assert_eq!(ran.len(), 5, "{recs:#?}"); // buildkit warm-remote is skipped
    for r in &ran {
        assert_eq!(r.status, RunStatus::Ok, "{}: {}", r.cell(), r.reason);
        let download = r
            .step_details
            .iter()
            .find(|s| s.name.contains("wget -O"))
            .unwrap_or_else(|| panic!("no download step in {:#?}", r.step_details));
        let source = r
            .step_details
            .iter()
            .find(|s| s.name.contains("COPY src/"))
            .unwrap();
        assert!(!source.cached, "{}: the source change rebuilds", r.cell());
        let lines = build_output(&out, &r.log);
        let fetched = lines
            .iter()
            .any(|l| l.contains(&format!("Connecting to {host}")));
        if r.state == "cold" {
            assert!(!download.cached, "{}: cold must download", r.cell());
            assert!(fetched, "{}: no download in {lines:#?}", r.cell());
        } else {
            assert!(
                download.cached,
                "{}: warm must reuse the download",
                r.cell()
            );
            assert!(!fetched, "{}: downloaded again: {lines:#?}", r.cell());
        }
    }

    let env: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("env.json")).unwrap()).unwrap();
    assert_eq!(env["egress"], true, "{env:#}");
    assert_eq!(env["egress_probe_ok"], true, "{env:#}");
    // The machine's mirror is named, not written out: results get committed.
    assert_eq!(
        env["egress_probe_url"],
        cachebench::infra::egress_probe::APT_MIRROR,
        "{env:#}"
    );
    let env_text = std::fs::read_to_string(out.join("env.json")).unwrap();
    assert!(!env_text.contains(&host), "{host} in env.json:\n{env_text}");
    let subnet = env["egress_subnet"].as_str().unwrap().to_string();
    assert!(subnet.starts_with("169.254.") && subnet.ends_with(".0/24"));

    // Nothing of the run stays in the firewall; the stale rule was swept.
    let all = Command::new("sh")
        .args(["-c", "iptables -w 5 -S; iptables -w 5 -t nat -S"])
        .output()
        .unwrap();
    let all = String::from_utf8_lossy(&all.stdout);
    assert!(!all.contains(&subnet), "rules of {subnet} left:\n{all}");
    assert!(firewall_rules_of(&stale.bridge).is_empty(), "{all}");
    assert_no_leftovers(dir.path(), None);
}

/// A probe that fails warns and the matrix still runs; `none` turns it off; a bad
/// value is a usage error naming the flag.
#[test]
fn egress_probe_failure_warns_and_none_disables_it() {
    let dir = scratch();
    let ctx = context_with(dir.path(), "FROM local/busybox:latest\nRUN true\n");
    let read_env = |out: &std::path::Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(out.join("env.json")).unwrap()).unwrap()
    };

    // Nothing listens on port 1 of the container's own loopback.
    let out = dir.path().join("refused");
    let mut args = small_args(&ctx, &out, &["buildkit"]);
    args.extend(["--egress-probe".into(), "http://127.0.0.1:1/".into()]);
    let o = run_env(&args, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning: no network from builds on engine") && err.contains("127.0.0.1"),
        "{err}"
    );
    let env = read_env(&out);
    assert_eq!(env["egress_probe_ok"], false, "{env:#}");
    assert_eq!(env["egress_probe_url"], "http://127.0.0.1:1/", "{env:#}");
    assert_eq!(records(&out)[0].status, RunStatus::Ok);

    let out = dir.path().join("none");
    let mut args = small_args(&ctx, &out, &["buildkit"]);
    args.extend(["--egress-probe".into(), "none".into()]);
    let o = run_env(&args, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let env = read_env(&out);
    assert_eq!(env["egress_probe_url"], serde_json::Value::Null, "{env:#}");
    assert_eq!(env["egress_probe_ok"], serde_json::Value::Null, "{env:#}");
    let detail = env["egress_probe_detail"].as_str().unwrap();
    assert!(detail.contains("disabled"), "{detail}");

    let o = cachebench(&[
        "plan",
        "--context",
        ctx.to_str().unwrap(),
        "--change",
        "none",
        "--egress-probe",
        "mirror.example",
    ]);
    assert_usage_error(
        &o,
        "--egress-probe / engine.egress_probe: `mirror.example` is not a URL",
    );
    assert_no_leftovers(dir.path(), None);
}

/// The downloading workload on both drivers and both image stores: cold runs
/// download and pass their state check; warm-local runs reuse the download and the
/// changed step runs. On the docker driver the RUN step goes out through
/// cachebench's bridge; a docker-container builder (network=host) goes out directly.
#[test]
fn a_build_that_downloads_runs_on_both_drivers_and_both_stores() {
    let mirror = cachebench::infra::network::apt::debian_mirror()
        .expect("no Debian archive in this machine's apt sources");
    let dir = scratch();
    let out = dir.path().join("out");
    let ctx = repo().join("dockerfiles/netfetch");
    let args: Vec<String> = [
        "run",
        "--context",
        ctx.to_str().unwrap(),
        "--source-file",
        "src/main.txt",
        "--deps-file",
        "deps.txt",
        "--build-arg",
        &format!("MIRROR={mirror}"),
        "--change",
        "source",
        "--strategy",
        "buildkit",
        "--state",
        "cold",
        "--state",
        "warm-local",
        "--builder",
        "docker",
        "--builder",
        "docker-container",
        "--image-store",
        "classic",
        "--image-store",
        "containerd",
        "--reps",
        "1",
        "--timeout",
        "5m",
        "--out",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let o = run_env(&args, dir.path(), &[]);
    let recs = records(&out);
    // The containerd store's known unpack flake (moby/buildkit#6521) is the only
    // failure tolerated, and only as a failure with that reason.
    let flaked = recs
        .iter()
        .any(|r| r.status == RunStatus::Failed && r.reason.contains("parent snapshot"));
    assert_eq!(
        o.status.code(),
        Some(if flaked { 1 } else { 0 }),
        "{}",
        text(&o)
    );
    assert_eq!(recs.len(), 8, "{recs:#?}");
    let mut combos = std::collections::BTreeSet::new();
    for r in recs.iter().filter(|r| r.status == RunStatus::Ok) {
        combos.insert((r.image_store.clone(), r.builder.clone()));
        assert_eq!(r.state_check, "ok", "{}: {}", r.cell(), r.state_check);
        let download = r
            .step_details
            .iter()
            .find(|s| s.name.contains("wget -O"))
            .unwrap_or_else(|| panic!("no download step in {:#?}", r.step_details));
        assert_eq!(
            download.cached,
            r.state == "warm-local",
            "{}: {:#?}",
            r.cell(),
            r.step_details
        );
    }
    if !flaked {
        assert_eq!(combos.len(), 4, "{combos:?}");
    }
}
