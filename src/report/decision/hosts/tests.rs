use super::*;
use crate::records::record::{RunKind, RunRecord, RunStatus};

fn runs(strategy: &str, state: &str, host: &str, walls: &[u64]) -> Vec<RunRecord> {
    walls
        .iter()
        .enumerate()
        .map(|(i, &w)| {
            let j = serde_json::json!({
                "scenario": "s", "workload": "w", "strategy": strategy, "builder": "docker",
                "state": state, "change": "source", "rep": i + 1, "kind": "measured",
                "status": "ok", "reason": "", "started_at": "", "wall_ms": w, "build_ms": w,
                "prepare_ms": null, "steps_total": null, "steps_cached": null,
                "bytes_down": null, "bytes_up": null, "log": "", "round": i + 1,
                "host": host,
            });
            let mut r: RunRecord = serde_json::from_value(j).unwrap();
            r.status = RunStatus::Ok;
            r.kind = RunKind::Measured;
            r
        })
        .collect()
}

fn records(cold_host: &str) -> Vec<RunRecord> {
    let mut v = runs(
        "buildkit",
        "cold",
        cold_host,
        &[9000, 9100, 9050, 9080, 9020],
    );
    v.extend(runs(
        "registry-cache",
        "warm-remote",
        "a",
        &[3000, 3010, 3020, 2990, 3005],
    ));
    v.extend(runs(
        "local-cache",
        "warm-remote",
        "a",
        &[4000, 4010, 4020, 3990, 4005],
    ));
    v
}

#[test]
fn cells_of_different_hosts_are_not_compared_and_the_decision_says_so() {
    let a = Analysis::from_records(&records("b"));
    assert_eq!(hosts_of(&a), ["b", "a"]);
    let d = Decision::from_analysis(&a);
    let eph = d
        .situations
        .iter()
        .find(|s| s.situation == SituationKind::EphemeralRunner)
        .unwrap();
    assert!(
        eph.recommendation.starts_with("On host a: "),
        "{}",
        eph.recommendation
    );
    assert!(
        eph.recommendation.contains(
            "no cache (buildkit cold) ran on host b and registry-cache (warm-remote), local-cache (warm-remote) on host a: not compared (different hosts)."
        ),
        "{}",
        eph.recommendation
    );
    // The caches are compared with each other (one host), never with no cache.
    for sc in &eph.scopes {
        assert!(sc.no_cache_ms.is_none());
        assert!(sc.options.iter().all(|o| !o.no_cache), "{:?}", sc.options);
        assert_eq!(sc.options.len(), 2);
    }
    assert!(d
        .method
        .contains("only cells measured on the same host are compared"));
    // Rendered, it says the same.
    let md = crate::report::decision::markdown::render(&a, &d);
    assert!(md.contains("not compared (different hosts)"), "{md}");
}

#[test]
fn one_host_is_the_plain_decision() {
    let a = Analysis::from_records(&records("a"));
    assert_eq!(hosts_of(&a), ["a"]);
    let d = Decision::from_analysis(&a);
    assert_eq!(d, Decision::from_one_host(&a));
    let eph = &d.situations[0];
    assert!(eph.scopes[0].no_cache_ms.is_some());
    assert!(
        !eph.recommendation.contains("host"),
        "{}",
        eph.recommendation
    );
    assert!(not_compared(&a, SituationKind::EphemeralRunner).is_empty());
}
