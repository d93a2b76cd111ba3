//! Merging shard folders made here: what is kept, what is refused and named.

use super::*;
use crate::config::matrix::{BuilderKind, Change, ImageStore, State, Strategy};
use crate::plan::cells::Cell;
use crate::records::environment::EnvInfo;
use crate::records::record::RunKind;

fn cell(strategy: Strategy, state: State) -> Cell {
    Cell {
        strategy,
        builder: BuilderKind::Docker,
        state,
        change: Change::Source,
        image_store: ImageStore::Containerd,
        skip: None,
        stands_for: vec![],
        link: "none".into(),
    }
}

/// A shard folder: its manifest, two measured runs of each cell, an env.json.
fn shard(root: &Path, index: u32, count: u32, cells: &[Cell], host: &str, cpu: &str) -> PathBuf {
    let dir = root.join(format!("shard-{index}"));
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let m = ShardManifest {
        shard: format!("{index}/{count}"),
        index,
        count,
        plan_hash: "00112233aabbccdd".into(),
        scenario: "s".into(),
        workload: "w".into(),
        host: host.into(),
        balance: "static".into(),
        units: vec![],
        cells: cells.iter().map(|c| c.key().to_string()).collect(),
    };
    shard_manifest::write(&dir, &m).unwrap();
    let mut w = crate::records::results_writer::RecordWriter::open(&dir).unwrap();
    for c in cells {
        for rep in 1..=2 {
            let mut r = RunRecord::blank("s", "w", c, rep, RunKind::Measured, RunStatus::Ok, "");
            r.wall_ms = Some(1000 * u64::from(index) + u64::from(rep));
            r.log = format!("logs/{}-{rep}.log", c.slug());
            std::fs::write(dir.join(&r.log), "log").unwrap();
            w.append(&r).unwrap();
        }
    }
    let env = EnvInfo {
        cpu_model: Some(cpu.into()),
        engine_version: Some("26.1".into()),
        image_stores: vec!["containerd".into()],
        ..EnvInfo::default()
    };
    std::fs::write(dir.join("env.json"), serde_json::to_string(&env).unwrap()).unwrap();
    std::fs::write(dir.join("scenario.toml"), "name = \"s\"\n").unwrap();
    dir
}

fn cells3() -> [Vec<Cell>; 3] {
    [
        vec![
            cell(Strategy::Buildkit, State::Cold),
            cell(Strategy::RegistryCache, State::Cold),
        ],
        vec![cell(Strategy::RegistryCache, State::WarmRemote)],
        vec![
            cell(Strategy::Buildkit, State::WarmLocal),
            cell(Strategy::RegistryCache, State::WarmLocal),
        ],
    ]
}

#[test]
fn shards_merge_into_one_folder_with_every_run_once_and_its_host() {
    let d = tempfile::tempdir().unwrap();
    let c = cells3();
    // Given out of order: merged in shard order.
    let folders = vec![
        shard(d.path(), 3, 3, &c[2], "c", "X"),
        shard(d.path(), 1, 3, &c[0], "a", "X"),
        shard(d.path(), 2, 3, &c[1], "b", "Y"),
    ];
    let out = d.path().join("merged");
    let m = merge(&folders, &out).unwrap();
    assert!(m.missing.is_empty());
    assert_eq!(m.records.len(), 10);
    let (back, _) = crate::records::results_writer::read_runs(&out).unwrap();
    assert_eq!(back, m.records);
    assert_eq!(back[0].host, "a");
    assert_eq!(back[9].host, "c");
    // Logs resolve in the merged folder.
    for r in &back {
        assert!(out.join(&r.log).is_file(), "{}", r.log);
    }
    let env = load_env(&out.join("env.json")).unwrap().unwrap();
    let hosts: Vec<(&str, &str)> = env
        .hosts
        .iter()
        .map(|h| (h.shard.as_str(), h.host.as_str()))
        .collect();
    assert_eq!(hosts, [("1/3", "a"), ("2/3", "b"), ("3/3", "c")]);
    assert_eq!(
        env.hosts[1].cells,
        ["registry-cache/docker/warm-remote/source"]
    );
    assert!(
        m.notes
            .iter()
            .any(|n| n == "hosts differ in CPU model: a (1/3) X; b (2/3) Y; c (3/3) X"),
        "{:?}",
        m.notes
    );
    assert!(out.join("scenario.toml").is_file() && out.join("shards.json").is_file());
    // The merged folder renders.
    crate::report::render::render_with(&out, &Default::default()).unwrap();
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("## Hosts"), "{report}");
    let github = std::fs::read_to_string(out.join("github.md")).unwrap();
    assert!(
        github.contains("## Hosts") && github.contains("- **2/3** on b: Y, "),
        "{github}"
    );
    // Merging again into it is refused.
    let e = merge(&folders, &out).unwrap_err().to_string();
    assert!(
        e.starts_with("--out: ") && e.contains("already holds runs"),
        "{e}"
    );
}

#[test]
fn a_missing_shard_is_noted() {
    let d = tempfile::tempdir().unwrap();
    let c = cells3();
    let folders = vec![
        shard(d.path(), 1, 3, &c[0], "a", "X"),
        shard(d.path(), 3, 3, &c[2], "a", "X"),
    ];
    let m = merge(&folders, &d.path().join("merged")).unwrap();
    assert_eq!(m.missing, ["2/3"]);
    assert!(
        m.notes[0].starts_with("shard 2/3 was not given"),
        "{:?}",
        m.notes
    );
}

#[test]
fn shards_of_other_plans_or_twice_the_same_shard_are_refused_naming_folder_and_field() {
    let d = tempfile::tempdir().unwrap();
    let c = cells3();
    let a = shard(d.path(), 1, 3, &c[0], "a", "X");
    let b = shard(d.path(), 2, 3, &c[1], "b", "X");
    let mut m = shard_manifest::read(&b).unwrap().unwrap();
    m.workload = "other".into();
    shard_manifest::write(&b, &m).unwrap();
    let e = merge(&[a.clone(), b.clone()], &d.path().join("m1"))
        .unwrap_err()
        .to_string();
    // The records of b still say workload `w`: caught in b itself first.
    assert!(
        e.contains(&b.display().to_string()) && e.contains("workload"),
        "{e}"
    );

    let other = d.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    let b2 = shard(&other, 2, 3, &c[1], "b", "X");
    let mut m = shard_manifest::read(&b2).unwrap().unwrap();
    m.plan_hash = "ffffffffffffffff".into();
    shard_manifest::write(&b2, &m).unwrap();
    let e = merge(&[a.clone(), b2], &d.path().join("m2"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("plan_hash") && e.contains("other/shard-2"),
        "{e}"
    );

    let again = d.path().join("again");
    std::fs::create_dir_all(&again).unwrap();
    let a2 = shard(&again, 1, 3, &c[0], "a", "X");
    let e = merge(&[a.clone(), a2], &d.path().join("m3"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("are both shard 1/3; give each shard once"),
        "{e}"
    );

    let plain = d.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::write(plain.join("runs.jsonl"), "").unwrap();
    let e = merge(&[a, plain], &d.path().join("m4"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no shard.json"), "{e}");
}
