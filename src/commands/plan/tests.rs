//! Tests of `plan`'s words and of what it says a matrix costs.

use super::estimate::{builds, expected, Builds, Recorded};
use super::*;
use crate::config::matrix::{BuilderKind, Change, ImageStore, State, Strategy};
use crate::plan::cells::Cell;
use crate::records::record::{RunKind, RunRecord, RunStatus};
use std::time::Duration;

#[test]
fn prepare_words_say_what_happens_on_each_engine() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let args = crate::config::cli::RunArgs {
        context: Some(d.path().to_path_buf()),
        changes: vec![crate::config::matrix::Change::None],
        strategies: vec![
            crate::config::matrix::Strategy::Buildkit,
            crate::config::matrix::Strategy::LayerCache,
        ],
        ..Default::default()
    };
    let o = Options::merge(None, &args).unwrap();
    let cells = plan::cells::expand(&o, &Facts::default());
    let cold = cells
        .iter()
        .find(|c| c.key().to_string().contains("buildkit/docker/cold"))
        .unwrap();
    assert!(prepare_text(cold, false).contains("no daemon restart"));
    let ext = prepare_text(cold, true);
    assert!(
        !ext.contains("data-root") && ext.contains("build cache pruned"),
        "{ext}"
    );
    let layer = cells
        .iter()
        .find(|c| {
            c.key()
                .to_string()
                .contains("layer-cache/docker/warm-local")
        })
        .unwrap();
    assert!(prepare_text(layer, true).contains("without a daemon restart"));
    assert!(prepare_text(layer, false).contains("daemon restart keeping"));
}

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

fn record(c: &Cell, wall: u64, prepare: u64, warmed_by: &str) -> RunRecord {
    let mut r = RunRecord::blank("s", "w", c, 1, RunKind::Measured, RunStatus::Ok, "");
    r.wall_ms = Some(wall);
    r.prepare_ms = Some(prepare);
    r.warmed_by = warmed_by.into();
    r
}

#[test]
fn builds_count_measured_warmup_and_the_warming_build_of_each_chain() {
    let mut skipped = cell(Strategy::Legacy, State::WarmRemote);
    skipped.skip = Some("no remote cache".into());
    let cells = [
        cell(Strategy::Buildkit, State::Cold),
        cell(Strategy::Buildkit, State::WarmLocal),
        cell(Strategy::RegistryCache, State::WarmRemote),
        skipped,
    ];
    let b = builds(&cells, 1, 5, true);
    assert_eq!(
        b,
        Builds {
            measured: 15,
            warmup: 3,
            warming: 2
        }
    );
    assert_eq!(b.total(), 20);
    // Without chains every warm run warms with a build of its own.
    assert_eq!(builds(&cells, 1, 5, false).warming, 12);
}

#[test]
fn time_from_an_earlier_folder_per_cell_then_overall() {
    let cold = cell(Strategy::Buildkit, State::Cold);
    let warm = cell(Strategy::Buildkit, State::WarmLocal);
    let unseen = cell(Strategy::Push, State::Cold);
    let records = vec![
        record(&cold, 4000, 200, ""),
        record(&cold, 4200, 200, ""),
        record(&cold, 9000, 200, ""), // an outlier the median ignores
        // The chain's first run: its warming build is its preparation.
        record(&warm, 1000, 5000, "prepare"),
        record(&warm, 1000, 100, "measured 1"),
        record(&warm, 1200, 100, "measured 2"),
    ];
    let rec = Recorded::from_records(&records);
    let e = expected(
        &[cold.clone(), warm.clone(), unseen.clone()],
        0,
        3,
        true,
        &rec,
    )
    .unwrap();
    // cold: 3 × 4400; warm: 3 × 1100 + 1 warming × 5000; push (unrecorded): 3 ×
    // the overall run median (1100, 1300, 4200, 4400, 9200 and 1000 → 2750).
    let want = 3 * 4400 + 3 * 1100 + 5000 + 3 * 2750;
    assert_eq!(e.time, Duration::from_millis(want));
    assert_eq!(e.unrecorded, [unseen.key().to_string()]);
    assert!(expected(&[cold], 0, 3, true, &Recorded::default()).is_none());
}

#[test]
fn plan_says_how_many_builds_and_how_long() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let args = crate::config::cli::RunArgs {
        context: Some(d.path().to_path_buf()),
        strategies: vec![Strategy::Buildkit],
        states: vec![State::Cold, State::WarmLocal],
        changes: vec![Change::None],
        reps: Some("auto".parse().unwrap()),
        warmup: Some(1),
        ..Default::default()
    };
    let o = Options::merge(None, &args).unwrap();
    let cells = plan::cells::expand(&o, &Facts::default());
    let lines = cost_lines(&o, &cells, true, None);
    assert_eq!(
        lines,
        [
            "builds: between 9 builds (6 measured, 2 warm-up, 1 warming) at 3 and 23 builds \
          (20 measured, 2 warm-up, 1 warming) at 10 measured runs per cell (--reps auto)"
        ]
    );
    let warm = cells.iter().find(|c| c.state == State::WarmLocal).unwrap();
    let rec = Recorded::from_records(&[record(warm, 2000, 0, "measured 1")]);
    let lines = cost_lines(&o, &cells, true, Some((&rec, Path::new("results/x"))));
    assert_eq!(
        lines[1],
        "expected time: 18s to 46s from the median times recorded in results/x (plus setup)"
    );
    assert!(
        lines[2].starts_with("  no record there of 1 cell(s)")
            && lines[2].ends_with("buildkit/docker/cold/none"),
        "{lines:?}"
    );
}

#[test]
fn each_change_says_what_it_does_to_which_file() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::create_dir(d.path().join("app")).unwrap();
    std::fs::write(d.path().join("app/main.ts"), "export {};\n").unwrap();
    std::fs::write(d.path().join("package.json"), "{}\n").unwrap();
    let mut args = crate::config::cli::RunArgs {
        context: Some(d.path().to_path_buf()),
        source_file: Some("app/main.ts".into()),
        deps_file: Some("package.json".into()),
        changes: vec![
            crate::config::matrix::Change::Source,
            crate::config::matrix::Change::Deps,
        ],
        ..Default::default()
    };
    let o = Options::merge(None, &args).unwrap();
    assert_eq!(
        change_lines(&o),
        vec![
            "source change: appends \"// cachebench change <nonce>\" to app/main.ts \
             (JavaScript/TypeScript comment)"
                .to_string(),
            "deps change: adds the key \"cachebenchChange\" (its value \"<nonce>\") to \
             package.json (JSON object), then checks it still parses as JSON"
                .to_string(),
        ]
    );
    let script = d.path().join("bump.sh");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    args.change_script = Some(script);
    args.changes = vec![crate::config::matrix::Change::Deps];
    let o = Options::merge(None, &args).unwrap();
    let lines = change_lines(&o);
    assert!(
        lines[0].starts_with("deps change: runs /")
            && lines[0].contains(
                "bump.sh in the copy of the context (CACHEBENCH_CHANGE=deps, \
             CACHEBENCH_NONCE=<nonce>, CACHEBENCH_FILE=package.json), then checks \
             package.json still parses as JSON"
            ),
        "{lines:?}"
    );
}
