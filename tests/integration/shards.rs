//! One small matrix run as 3 shards, each in a `cachebench run --shard i/3` process
//! of its own (its own engine and registry, as every run), one after another (CI
//! has 2 cores), then `cachebench merge`: the merged folder holds every cell of the
//! unsharded plan exactly once with its runs, and the merged summary's statistics
//! are those of the shards' runs together.

use super::common::{
    records::records,
    runs::{cachebench, run_env, text, tiny_run_args},
    scratch::scratch,
};
use cachebench::records::record::{RunKind, RunRecord, RunStatus};
use std::collections::BTreeMap;

/// The matrix: three strategies, three states (three round groups), one change, 2 reps.
const MATRIX: [&str; 14] = [
    "--strategy",
    "buildkit",
    "--strategy",
    "registry-cache",
    "--strategy",
    "local-cache",
    "--state",
    "cold",
    "--state",
    "warm-remote",
    "--state",
    "warm-local",
    "--change",
    "source",
];

/// The unsharded plan's cells (key → skipped), as `plan` expands it.
fn unsharded_plan(out: &std::path::Path) -> BTreeMap<String, bool> {
    let args = tiny_run_args(out, "2", &MATRIX);
    let cmd = <cachebench::config::cli::Cli as clap::Parser>::parse_from(
        std::iter::once("cachebench".to_string()).chain(args),
    );
    let cachebench::config::cli::Command::Run(run) = cmd.command else {
        panic!("not run")
    };
    let o = cachebench::config::options::Options::resolve(None, &run.args).unwrap();
    cachebench::plan::cells::expand(&o, &Default::default())
        .iter()
        .map(|c| (c.key().to_string(), c.skip.is_some()))
        .collect()
}

#[test]
fn a_matrix_run_as_three_shards_merges_into_the_unsharded_plan() {
    let dir = scratch();
    let plan = unsharded_plan(&dir.path().join("unused"));
    assert_eq!(plan.len(), 9, "{plan:?}");

    // The matrix the CI would run, checked against the plan.
    let mut plan_args: Vec<String> = tiny_run_args(&dir.path().join("unused"), "2", &MATRIX);
    plan_args[0] = "plan".into();
    plan_args.extend([
        "--format".into(),
        "gha-matrix".into(),
        "--shards".into(),
        "3".into(),
    ]);
    let refs: Vec<&str> = plan_args.iter().map(String::as_str).collect();
    let o = cachebench(&refs);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let matrix: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let include = matrix["include"].as_array().unwrap();
    assert_eq!(include.len(), 3, "{matrix}");
    let planned: u64 = include.iter().map(|e| e["cells"].as_u64().unwrap()).sum();
    assert_eq!(planned as usize, plan.len());

    let mut folders = vec![];
    let mut union: Vec<RunRecord> = vec![];
    for i in 1..=3 {
        let out = dir.path().join(format!("part-{i}"));
        let shard = format!("{i}/3");
        let mut extra: Vec<&str> = MATRIX.to_vec();
        extra.extend(["--shard", &shard]);
        let o = run_env(&tiny_run_args(&out, "2", &extra), dir.path(), &[]);
        assert_eq!(o.status.code(), Some(0), "shard {shard}: {}", text(&o));
        let m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("shard.json")).unwrap()).unwrap();
        assert_eq!(m["shard"], shard.as_str());
        assert_eq!(m["plan_hash"], include[0]["plan_hash"], "the plan's hash");
        union.extend(records(&out));
        folders.push(out.display().to_string());
    }

    let merged = dir.path().join("merged");
    let mut args = vec!["merge".to_string()];
    args.extend(folders.iter().cloned());
    args.extend(["--out".into(), merged.display().to_string()]);
    let o = run_env(&args, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("merged 3 of 3 shards"),
        "{}",
        text(&o)
    );

    // Every cell of the plan exactly once, with its runs: 2 measured runs ok with
    // their state proven, or the one record of a cell planned as skipped.
    let recs = records(&merged);
    let mut by_cell: BTreeMap<String, Vec<&RunRecord>> = BTreeMap::new();
    for r in &recs {
        by_cell.entry(r.cell().to_string()).or_default().push(r);
    }
    assert_eq!(
        by_cell.keys().collect::<Vec<_>>(),
        plan.keys().collect::<Vec<_>>(),
        "the merged cells are the plan's"
    );
    for (cell, skipped) in &plan {
        let runs = &by_cell[cell];
        if *skipped {
            assert_eq!(runs.len(), 1, "{cell}");
            assert_eq!(runs[0].status, RunStatus::Skipped, "{cell}");
        } else {
            let reps: Vec<u32> = runs.iter().map(|r| r.rep).collect();
            assert_eq!(reps.len(), 2, "{cell}: {runs:#?}");
            for r in runs {
                assert_eq!(r.kind, RunKind::Measured);
                assert_eq!(r.status, RunStatus::Ok, "{cell}: {}", r.reason);
                assert_eq!(r.state_check, "ok", "{cell}: {}", r.state_check);
                assert!(!r.host.is_empty(), "{cell}: no host");
                assert!(merged.join(&r.log).is_file(), "{cell}: {}", r.log);
            }
        }
    }
    assert_eq!(recs.len(), union.len());

    // The merged summary's statistics are those of the shards' runs together.
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(merged.join("summary.json")).unwrap()).unwrap();
    let settings = cachebench::records::report_settings::read(&merged)
        .unwrap()
        .unwrap_or_default();
    let together = cachebench::report::analysis::Analysis::read(&union, None, &settings);
    let stats = |cells: &serde_json::Value| -> BTreeMap<String, serde_json::Value> {
        cells
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let k = &c["key"];
                (
                    format!(
                        "{}/{}/{}/{}",
                        k["strategy"], k["builder"], k["state"], k["change"]
                    ),
                    serde_json::json!([c["counts"], c["wall"], c["samples"], c["relative"]]),
                )
            })
            .collect()
    };
    let want = stats(&serde_json::to_value(&together.cells).unwrap());
    assert_eq!(want.len(), plan.len());
    assert_eq!(stats(&summary["cells"]), want);

    // The report says which host ran which cells.
    let report = std::fs::read_to_string(merged.join("report.md")).unwrap();
    assert!(report.contains("## Hosts"), "{report}");
    for i in 1..=3 {
        assert!(report.contains(&format!("| {i}/3 |")), "{report}");
    }
    let env: serde_json::Value =
        serde_json::from_slice(&std::fs::read(merged.join("env.json")).unwrap()).unwrap();
    assert_eq!(env["hosts"].as_array().unwrap().len(), 3);
}
