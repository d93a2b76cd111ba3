//! Tests of the link axis: values from `--link` and `matrix.links` parsed into
//! canonical names (bad ones named by flag or key), cells expanded by link.

use super::*;
use crate::config::cli::RunArgs;
use crate::config::matrix::{Change, State, Strategy};
use crate::plan::cells::{expand, Facts};
use std::path::Path;

fn context() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::write(d.path().join("s.txt"), "s").unwrap();
    d
}

fn args(ctx: &Path, links: &[&str]) -> RunArgs {
    RunArgs {
        context: Some(ctx.to_path_buf()),
        strategies: vec![Strategy::Buildkit, Strategy::RegistryCache],
        states: vec![State::Cold, State::WarmRemote],
        changes: vec![Change::Source],
        source_file: Some("s.txt".into()),
        links: links.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn resolved(ctx: &Path, links: &[&str]) -> crate::error::Result<Options> {
    let mut o = Options::merge(None, &args(ctx, links))?;
    canonical_links(&mut o)?;
    Ok(o)
}

#[test]
fn the_default_is_none_and_cells_look_as_before() {
    let d = context();
    let o = resolved(d.path(), &[]).unwrap();
    assert_eq!(o.link_names(), ["none"]);
    let cells = expand(&o, &Facts::default());
    let keys: Vec<String> = cells.iter().map(|c| c.key().to_string()).collect();
    assert_eq!(
        keys,
        [
            "buildkit/docker/cold/source",
            "buildkit/docker/warm-remote/source",
            "registry-cache/docker/cold/source",
            "registry-cache/docker/warm-remote/source",
        ]
    );
    assert!(cells.iter().all(|c| !c.has_link()));
    assert_eq!(cells[2].slug(), "registry-cache-docker-cold-source");
    assert_eq!(plan_line(&o), None);
    assert!(!o.to_toml().contains("links"), "{}", o.to_toml());
}

#[test]
fn each_link_is_a_cell_of_its_own_with_its_canonical_name() {
    let d = context();
    let o = resolved(
        d.path(),
        &[
            "none",
            "200Mbit/20ms",
            "up=50mbit, down=500mbit,rtt=40ms",
            "office",
        ],
    )
    .unwrap();
    assert_eq!(
        o.link_names(),
        [
            "none",
            "200mbit/20ms",
            "up=50mbit,down=500mbit,rtt=40ms",
            "office"
        ]
    );
    let cells = expand(&o, &Facts::default());
    // 2 strategies x (cold + warm-remote) x 4 links (buildkit warm-remote planned as skipped).
    assert_eq!(cells.len(), 16);
    let rc: Vec<String> = cells
        .iter()
        .filter(|c| c.strategy == Strategy::RegistryCache && c.state == State::WarmRemote)
        .map(|c| c.key().to_string())
        .collect();
    assert_eq!(
        rc,
        [
            "registry-cache/docker/warm-remote/source",
            "registry-cache/docker/warm-remote/source over 200mbit/20ms",
            "registry-cache/docker/warm-remote/source over up=50mbit,down=500mbit,rtt=40ms",
            "registry-cache/docker/warm-remote/source over office",
        ]
    );
    let slugs: Vec<String> = cells[8..12].iter().map(|c| c.slug()).collect();
    assert_eq!(
        slugs,
        [
            "registry-cache-docker-cold-source",
            "registry-cache-docker-cold-source-link-200mbit-20ms",
            "registry-cache-docker-cold-source-link-up50mbit-down500mbit-rtt40ms",
            "registry-cache-docker-cold-source-link-office",
        ]
    );
    let line = plan_line(&o).unwrap();
    assert!(
        line.contains("office (up=20mbit,down=100mbit,rtt=50ms)"),
        "{line}"
    );
    let toml = o.to_toml();
    assert!(toml.contains("links = ["), "{toml}");
}

#[test]
fn a_bad_link_names_the_flag_or_the_key_and_the_accepted_forms() {
    let d = context();
    let e = resolved(d.path(), &["fast"]).unwrap_err().to_string();
    assert!(e.starts_with("--link: link `fast`: unknown link"), "{e}");
    assert!(e.contains("RATE/RTT (200mbit/20ms)"), "{e}");
    assert!(e.contains("same-region"), "{e}");
    let e = resolved(d.path(), &["200mbit"]).unwrap_err().to_string();
    assert!(e.contains("a rate needs a round-trip time"), "{e}");
    let e = resolved(d.path(), &["same-region", "400mbit/2ms", "same-region"])
        .unwrap_err()
        .to_string();
    assert!(e.contains("`same-region` is given twice"), "{e}");

    let path = d.path().join("s.toml");
    std::fs::write(
        &path,
        "[workload]\ncontext = \".\"\nsource_file = \"s.txt\"\n[matrix]\nlinks = [\"none\",\n  \"20mbit/40parsecs\"]\n",
    )
    .unwrap();
    let mut o = Options::resolve(Some(&path), &RunArgs::default()).unwrap();
    let e = canonical_links(&mut o).unwrap_err().to_string();
    assert!(
        e.contains("s.toml: line 6: matrix.links[1]: link `20mbit/40parsecs`: unknown time unit"),
        "{e}"
    );
    std::fs::write(
        &path,
        "[workload]\ncontext = \".\"\nsource_file = \"s.txt\"\n[matrix]\nlinks = []\n",
    )
    .unwrap();
    let e = Options::resolve(Some(&path), &RunArgs::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("matrix.links: the list is empty"), "{e}");
}

#[test]
fn flags_win_over_the_file() {
    let d = context();
    let path = d.path().join("s.toml");
    std::fs::write(
        &path,
        "[workload]\ncontext = \".\"\nsource_file = \"s.txt\"\n[matrix]\nlinks = [\"office\"]\n",
    )
    .unwrap();
    let mut o = Options::resolve(Some(&path), &RunArgs::default()).unwrap();
    canonical_links(&mut o).unwrap();
    assert_eq!(o.link_names(), ["office"]);
    let a = RunArgs {
        links: vec!["10mbit/5ms".into()],
        ..Default::default()
    };
    let mut o = Options::resolve(Some(&path), &a).unwrap();
    canonical_links(&mut o).unwrap();
    assert_eq!(o.link_names(), ["10mbit/5ms"]);
}

#[test]
fn the_diff_is_what_passed_between_snapshots() {
    let before = Counters {
        connections: 2,
        bytes_up: 100,
        bytes_down: 1000,
        ..Default::default()
    };
    let after = Counters {
        connections: 5,
        bytes_up: 150,
        bytes_down: 4000,
        ..Default::default()
    };
    assert_eq!(counters_diff(&before, &after), (50, 3000, 3));
}
