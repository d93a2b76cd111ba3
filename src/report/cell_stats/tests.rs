use super::*;

fn record(line: &str) -> RunRecord {
    serde_json::from_str(line).unwrap()
}

#[test]
fn actions_cache_transfers_are_phases_after_the_builds() {
    let base = r#""scenario":"s","workload":"w","strategy":"local-cache","builder":"docker","state":"warm-remote","change":"source","kind":"measured","status":"ok","reason":"","started_at":"t","wall_ms":1000,"build_ms":1000,"prepare_ms":1,"steps_total":2,"steps_cached":1,"bytes_down":0,"bytes_up":0,"log":"l","state_check":"ok","steps_ms":600,"other_ms":400"#;
    let a = record(&format!(
        "{{{base},\"rep\":1,\"cache_restore_ms\":300,\"cache_save_ms\":500}}"
    ));
    let b = record(&format!(
        "{{{base},\"rep\":2,\"cache_restore_ms\":100,\"cache_save_ms\":700}}"
    ));
    assert_eq!(a.phases.transfers_ms(), Some(800));
    let c = cell_stats(a.cell(), &[&a, &b]);
    let names: Vec<&str> = c.phases.iter().map(|p| p.phase.as_str()).collect();
    assert_eq!(
        names.last_chunk::<2>(),
        Some(&["cache_restore", "cache_save"])
    );
    let restore = c
        .phases
        .iter()
        .find(|p| p.phase == "cache_restore")
        .unwrap();
    assert_eq!(restore.stats.median, 200.0);
    // The wall (the build alone) is unchanged by them.
    assert_eq!(c.wall.unwrap().median, 1000.0);
    // A build without transfers has none.
    let plain = record(&format!("{{{base},\"rep\":1}}"));
    assert_eq!(plain.phases.transfers_ms(), None);
    let c = cell_stats(plain.cell(), &[&plain]);
    assert!(!c
        .phases
        .iter()
        .any(|p| p.phase.starts_with("cache_re") || p.phase == "cache_save"));
}

#[test]
fn a_disturbed_run_is_counted_and_kept_apart_from_the_samples() {
    let base = r#""scenario":"s","workload":"w","strategy":"buildkit","builder":"docker","state":"warm-local","change":"source","kind":"measured","status":"ok","reason":"","started_at":"t","build_ms":1000,"prepare_ms":1,"steps_total":2,"steps_cached":1,"bytes_down":0,"bytes_up":0,"log":"l","state_check":"ok""#;
    let runs: Vec<RunRecord> = [(1, 1000, false), (2, 1100, false), (3, 2400, true)]
        .iter()
        .map(|(rep, wall, disturbed)| {
            record(&format!(
                "{{{base},\"rep\":{rep},\"wall_ms\":{wall},\"disturbed\":{disturbed}}}"
            ))
        })
        .collect();
    let refs: Vec<&RunRecord> = runs.iter().collect();
    let c = cell_stats(runs[0].cell(), &refs);
    assert_eq!((c.counts.ok, c.counts.disturbed), (3, 1));
    assert_eq!(c.samples.len(), 2);
    assert_eq!(c.disturbed_ms, [2400]);
    assert_eq!(
        c.wall.unwrap().max,
        1100,
        "the disturbed run is not a sample"
    );
}
