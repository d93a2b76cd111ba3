//! The link axis on the real engine: a warm-remote registry-cache build over
//! `--link none` and over a slow link, on the docker driver and a docker-container
//! builder. The linked runs' cache traffic went through the link (its counters,
//! taken across the measured commands, are in the record) and their state check
//! passed; the `none` runs have no proxy in the path (no counters).

use super::common::{
    records::records,
    runs::{run_env, text, tiny_args},
    scratch::scratch,
};
use cachebench::records::record::{RunKind, RunStatus, STATE_CHECK_OK};

const SLOW: &str = "20mbit/40ms";

#[test]
fn a_warm_remote_registry_cache_goes_through_the_link() {
    let tmp = scratch();
    let out = tmp.path().join("out");
    let mut args = vec!["run".to_string()];
    args.extend(tiny_args(&out));
    args.extend(
        [
            "--strategy",
            "registry-cache",
            "--state",
            "warm-remote",
            "--change",
            "source",
            "--builder",
            "docker",
            "--builder",
            "docker-container",
            "--buildkit-image",
            "cachebench/buildkit:v0.13.2",
            "--link",
            "none",
            "--link",
            SLOW,
        ]
        .map(String::from),
    );
    let o = run_env(&args, tmp.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let recs: Vec<_> = records(&out)
        .into_iter()
        .filter(|r| r.kind == RunKind::Measured)
        .collect();
    assert_eq!(recs.len(), 4, "{recs:#?}");
    for builder in ["docker", "docker-container"] {
        let of = |link: &str| {
            recs.iter()
                .find(|r| r.builder == builder && r.link == link)
                .unwrap_or_else(|| panic!("no {builder} run over {link} in {recs:#?}"))
        };
        let (none, slow) = (of("none"), of(SLOW));
        for r in [none, slow] {
            assert_eq!(r.status, RunStatus::Ok, "{r:#?}");
            assert_eq!(r.state_check, STATE_CHECK_OK, "{r:#?}");
            // The footprint was read from the real registry, proxied refs too.
            assert!(r.registry_manifests.unwrap_or(0) > 0, "{r:#?}");
        }
        assert_eq!(none.link_bytes_down, None, "{none:#?}");
        assert_eq!(none.link_connections, None, "{none:#?}");
        // The cache came down through the link, and the new cache went up it.
        let down = slow.link_bytes_down.unwrap_or(0);
        let up = slow.link_bytes_up.unwrap_or(0);
        assert!(down > 0 && up > 0, "{slow:#?}");
        assert!(slow.link_connections.unwrap_or(0) > 0, "{slow:#?}");
        assert!(
            down >= slow.bytes_down.unwrap_or(0) / 2,
            "link down {down} vs the build's own bytes_down {:?}",
            slow.bytes_down
        );
    }
    let csv = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert!(
        csv.lines().next().unwrap().contains(",link,link_bytes_up,"),
        "{csv}"
    );
    assert!(csv.contains(SLOW), "{csv}");
}
