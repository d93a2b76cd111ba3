//! The split as `plan` and `run` compute it, and its CI forms checked against the
//! schemas in tests/fixtures/schemas/.

use super::*;
use crate::config::matrix::{Change, State, Strategy};

fn opts(d: &tempfile::TempDir) -> Options {
    std::fs::write(d.path().join("Dockerfile"), "FROM scratch\nCOPY s.txt /\n").unwrap();
    std::fs::write(d.path().join("s.txt"), "s").unwrap();
    let a = crate::config::cli::RunArgs {
        context: Some(d.path().to_path_buf()),
        strategies: vec![
            Strategy::Buildkit,
            Strategy::RegistryCache,
            Strategy::LocalCache,
        ],
        states: vec![State::Cold, State::WarmLocal, State::WarmRemote],
        changes: vec![Change::Source],
        source_file: Some("s.txt".into()),
        reps: Some("2".parse().unwrap()),
        ..Default::default()
    };
    Options::merge(None, &a).unwrap()
}

fn schema(name: &str) -> jsonschema::Validator {
    let path = format!(
        "{}/tests/fixtures/schemas/{name}.schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&s).unwrap()
}

fn assert_valid(v: &jsonschema::Validator, doc: &serde_json::Value) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{doc:#}");
}

#[test]
fn bad_shards_name_the_flag() {
    for bad in ["0/3", "4/3", "x"] {
        let e = parse_spec(bad).unwrap_err().to_string();
        assert!(e.starts_with("--shard: `"), "{e}");
    }
    let d = tempfile::tempdir().unwrap();
    let o = opts(&d);
    // Three round groups: cold, warm-remote, warm-local.
    let e = split(&o, 4, None, "--shard").unwrap_err().to_string();
    assert!(
        e.starts_with("--shard: this plan splits into at most 3 shard(s)"),
        "{e}"
    );
    let args = ShardArgs {
        shard: None,
        balance_from: Some("/nowhere".into()),
    };
    assert!(asked(&o, &args)
        .unwrap_err()
        .to_string()
        .starts_with("--balance-from:"));
    let args = ShardArgs {
        shard: Some("1/2".into()),
        balance_from: Some(d.path().join("no-such-folder")),
    };
    let e = asked(&o, &args).unwrap_err().to_string();
    assert!(
        e.starts_with("--balance-from ") && e.contains("no runs.jsonl"),
        "{e}"
    );
}

#[test]
fn the_shards_of_a_split_hold_the_plan_once_and_agree_on_its_hash() {
    let d = tempfile::tempdir().unwrap();
    let o = opts(&d);
    let s = split(&o, 3, None, "--shard").unwrap();
    assert_eq!(s, split(&o, 3, None, "--shard").unwrap(), "deterministic");
    let plan = crate::plan::cells::expand(&o, &Facts::default());
    let mut seen: Vec<String> = vec![];
    for i in 1..=3 {
        let spec = ShardSpec { index: i, count: 3 };
        let m = s.manifest(spec, &o, "h");
        assert_eq!(m.plan_hash, s.hash);
        assert_eq!(m.shard, format!("{i}/3"));
        let mine: Vec<String> = plan
            .iter()
            .filter(|c| s.contains(spec, c))
            .map(|c| c.key().to_string())
            .collect();
        assert_eq!(mine, m.cells);
        seen.extend(mine);
    }
    seen.sort();
    let mut all: Vec<String> = plan.iter().map(|c| c.key().to_string()).collect();
    all.sort();
    assert_eq!(seen, all);
    assert_eq!(s.balance, "static");
}

#[test]
fn balance_from_an_earlier_folder_is_in_seconds_and_changes_the_hash() {
    use crate::records::record::{RunKind, RunRecord, RunStatus};
    let d = tempfile::tempdir().unwrap();
    let o = opts(&d);
    let earlier = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for c in crate::plan::cells::expand(&o, &Facts::default()) {
        let mut r = RunRecord::blank("s", "w", &c, 1, RunKind::Measured, RunStatus::Ok, "");
        r.wall_ms = Some(if c.state == State::Cold {
            60_000
        } else {
            5_000
        });
        lines.push_str(&serde_json::to_string(&r).unwrap());
        lines.push('\n');
    }
    std::fs::write(earlier.path().join("runs.jsonl"), lines).unwrap();
    let s = split(&o, 2, Some(earlier.path()), "--shard").unwrap();
    assert!(s.in_seconds);
    assert!(s.balance.starts_with("from "), "{}", s.balance);
    // Cold (3 cells × 2 runs × 60 s) outweighs both warm groups together.
    assert_eq!(s.shards[0].units.len(), 1);
    assert_eq!(s.shards[0].units[0].state, State::Cold);
    assert_eq!(s.shards[0].cost(), 360.0);
    assert!(
        s.cost_words(&s.shards[0]).starts_with("about 6m"),
        "{}",
        s.cost_words(&s.shards[0])
    );
    let plain = split(&o, 2, None, "--shard").unwrap();
    assert_ne!(s.hash, plain.hash, "another split, another hash");
    let m = s.gha_matrix();
    assert_eq!(m["include"][0]["estimate_s"], 360);
    assert!(m["include"][0]["builds"].is_null());
}

#[test]
fn the_gha_matrix_is_what_strategy_matrix_takes() {
    let d = tempfile::tempdir().unwrap();
    let s = split(&opts(&d), 3, None, "--shards").unwrap();
    let m = s.gha_matrix();
    assert_valid(&schema("gha-matrix"), &m);
    let include = m["include"].as_array().unwrap();
    assert_eq!(include.len(), 3);
    let shards: Vec<&str> = include
        .iter()
        .map(|e| e["shard"].as_str().unwrap())
        .collect();
    assert_eq!(shards, ["1/3", "2/3", "3/3"]);
    let cells: u64 = include.iter().map(|e| e["cells"].as_u64().unwrap()).sum();
    assert_eq!(cells as usize, s.cells.len());
    // The schema refuses what strategy.matrix would not take.
    let v = schema("gha-matrix");
    assert!(!v.is_valid(&serde_json::json!({"include": []})));
    assert!(!v.is_valid(&serde_json::json!({"include": [{"shard": "0/3"}]})));
}

#[test]
fn the_codebuild_batch_is_a_build_list_codebuild_takes() {
    let d = tempfile::tempdir().unwrap();
    let s = split(&opts(&d), 3, None, "--shards").unwrap();
    // As plan prints it (YAML), parsed back.
    let yaml = serde_norway::to_string(&s.codebuild_batch("ci/codebuild/buildspec.yml")).unwrap();
    assert!(yaml.starts_with("batch:\n  build-list:\n"), "{yaml}");
    let doc: serde_json::Value = serde_norway::from_str(&yaml).unwrap();
    assert_valid(&schema("codebuild-batch"), &doc);
    let list = doc["batch"]["build-list"].as_array().unwrap();
    let ids: std::collections::BTreeSet<&str> = list
        .iter()
        .map(|b| b["identifier"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "identifiers are unique");
    assert_eq!(list[1]["env"]["variables"][SHARD_ENV], "2/3");
    assert_eq!(
        list[1]["env"]["variables"]["CACHEBENCH_PLAN_HASH"],
        s.hash.as_str()
    );
    assert_eq!(list[1]["ignore-failure"], false);
    // A hash that reads as a number in YAML is still a string there.
    let mut numeric = s.clone();
    for hash in ["1234567890123456", "12e4567890123456", "0000000000000000"] {
        numeric.hash = hash.into();
        let yaml = serde_norway::to_string(&numeric.codebuild_batch("b.yml")).unwrap();
        let doc: serde_json::Value = serde_norway::from_str(&yaml).unwrap();
        assert_valid(&schema("codebuild-batch"), &doc);
        assert_eq!(
            doc["batch"]["build-list"][0]["env"]["variables"]["CACHEBENCH_PLAN_HASH"],
            hash
        );
    }
    // CodeBuild's identifier rules, as the schema states them.
    let v = schema("codebuild-batch");
    let with_id = |id: &str| serde_json::json!({"batch": {"build-list": [{"identifier": id, "buildspec": "b.yml", "env": {}, "ignore-failure": false}]}});
    assert!(v.is_valid(&with_id(&identifier(ShardSpec {
        index: 12,
        count: 40
    }))));
    for bad in ["1_of_3", "shard-1", "shard 1", &"a".repeat(128)] {
        assert!(!v.is_valid(&with_id(bad)), "{bad}");
    }
}
