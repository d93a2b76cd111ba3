//! Tests of the break-even link and of the Decision per link, on synthetic records.

use super::*;
use crate::records::record::RunRecord;
use crate::report::decision::Decision;

fn runs(strategy: &str, state: &str, link: &str, figures: &str, walls: &[u64]) -> Vec<RunRecord> {
    walls
        .iter()
        .enumerate()
        .map(|(i, &w)| {
            serde_json::from_value(serde_json::json!({
                "scenario": "t", "workload": "w", "strategy": strategy, "builder": "docker",
                "state": state, "change": "source", "rep": i + 1, "kind": "measured",
                "status": "ok", "reason": "", "started_at": "", "wall_ms": w, "build_ms": w,
                "prepare_ms": null, "steps_total": null, "steps_cached": null,
                "bytes_down": null, "bytes_up": null, "log": "", "state_check": "ok",
                "link": link, "link_figures": figures,
            }))
            .unwrap()
        })
        .collect()
}

fn spread(base: u64) -> Vec<u64> {
    (0..6u64).map(|i| base + i * 10).collect()
}

/// No cache takes 20 s whatever the link; the registry cache takes 5 s with no
/// link, 8 s at 400 Mbit/s, 19.9 s at 20 Mbit/s (within the margin: no gain),
/// 30 s at 5 Mbit/s.
fn swept() -> Analysis {
    let mut all = runs("buildkit", "cold", "none", "", &spread(20_000));
    all.extend(runs(
        "registry-cache",
        "warm-remote",
        "none",
        "",
        &spread(5_000),
    ));
    for (link, figures, wall) in [
        ("same-region", "400mbit/2ms", 8_000),
        ("20mbit/40ms", "20mbit/40ms", 19_900),
        (
            "up=1mbit,down=5mbit,rtt=80ms",
            "up=1mbit,down=5mbit,rtt=80ms",
            30_000,
        ),
    ] {
        all.extend(runs("buildkit", "cold", link, figures, &spread(20_000)));
        all.extend(runs(
            "registry-cache",
            "warm-remote",
            link,
            figures,
            &spread(wall),
        ));
    }
    Analysis::from_records(&all)
}

#[test]
fn figures_give_the_down_rate_and_rtt() {
    assert_eq!(rate_and_rtt("200mbit/20ms"), Some((200.0, 20.0)));
    assert_eq!(rate_and_rtt("1gbit/1s"), Some((1000.0, 1000.0)));
    assert_eq!(
        rate_and_rtt("up=20mbit,down=100mbit,rtt=50ms"),
        Some((100.0, 50.0))
    );
    assert_eq!(rate_and_rtt("down=500kbit"), Some((0.5, 0.0)));
    assert_eq!(rate_and_rtt("up=20mbit,rtt=5ms"), None);
    assert_eq!(rate_and_rtt("none"), None);
    assert_eq!(rate_and_rtt("passthrough"), None);
}

#[test]
fn the_break_even_is_the_lowest_link_that_beats_no_cache_by_the_margin() {
    let a = swept();
    let rows = break_even(&a);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let r = &rows[0];
    assert_eq!(r.strategy, "registry-cache");
    assert_eq!(r.baseline, "buildkit cold");
    assert_eq!(
        r.swept,
        ["up=1mbit,down=5mbit,rtt=80ms", "20mbit/40ms", "same-region"]
    );
    // 20 Mbit/s is within the margin of no cache, so the break-even is 400.
    assert_eq!(r.link.as_deref(), Some("same-region"));
    assert_eq!(r.words(), "from same-region (400 Mbit/s down)");
    let md = markdown(&a, "##");
    assert!(md.starts_with("## Break-even link"), "{md}");
    assert!(md.contains("| containerd × docker | warm-remote × source | registry-cache | buildkit cold | from same-region (400 Mbit/s down) |"), "{md}");
}

#[test]
fn a_cache_that_never_pays_is_not_within_the_swept_links() {
    let mut all = runs("buildkit", "cold", "none", "", &spread(20_000));
    all.extend(runs(
        "registry-cache",
        "warm-remote",
        "5mbit/80ms",
        "5mbit/80ms",
        &spread(25_000),
    ));
    let rows = break_even(&Analysis::from_records(&all));
    assert_eq!(rows[0].link, None);
    assert_eq!(rows[0].words(), "not within the swept links");
    // The baseline came from the no-link cell: a plain build talks to no cache.
    assert_eq!(rows[0].baseline, "buildkit cold");
}

#[test]
fn without_links_there_is_no_break_even_and_the_decision_is_as_before() {
    let mut all = runs("buildkit", "cold", "none", "", &spread(20_000));
    all.extend(runs(
        "registry-cache",
        "warm-remote",
        "none",
        "",
        &spread(5_000),
    ));
    let a = Analysis::from_records(&all);
    assert!(break_even(&a).is_empty());
    assert_eq!(markdown(&a, "##"), "");
    let d = Decision::from_analysis(&a);
    assert!(d.situations.iter().all(|s| s.link == "none"));
    assert!(
        !d.situations[0].recommendation.contains("link"),
        "{:?}",
        d.situations[0]
    );
    let json = serde_json::to_string(&d).unwrap();
    assert!(
        !json.contains("\"link\"") && !json.contains("break_even"),
        "{json}"
    );
}

#[test]
fn the_decision_answers_each_link_and_names_it() {
    let a = swept();
    let d = Decision::from_analysis(&a);
    let links: Vec<&str> = d.situations.iter().map(|s| s.link.as_str()).collect();
    assert_eq!(
        links,
        [
            "none",
            "same-region",
            "20mbit/40ms",
            "up=1mbit,down=5mbit,rtt=80ms"
        ]
    );
    let recs: Vec<&str> = d
        .situations
        .iter()
        .map(|s| s.recommendation.as_str())
        .collect();
    assert!(
        recs[0].starts_with("With no link (caches on loopback): "),
        "{recs:?}"
    );
    assert!(
        recs[1].starts_with("Over the same-region link (400mbit/2ms): "),
        "{recs:?}"
    );
    assert!(recs[2].starts_with("Over a 20mbit/40ms link: "), "{recs:?}");
    assert!(
        recs[1].contains(": on an ephemeral runner, use **registry-cache**"),
        "{recs:?}"
    );
    assert!(!recs[3].contains("**registry-cache**"), "{recs:?}");
    assert_eq!(d.break_even.len(), 1);
    let md = crate::report::decision::markdown::render(&a, &d);
    assert!(
        md.contains("### Ephemeral runner (every job starts empty) over a 20mbit/40ms link"),
        "{md}"
    );
}

#[test]
fn the_link_sweep_chart_is_drawn_when_links_were_swept() {
    let a = swept();
    let dir = tempfile::tempdir().unwrap();
    let (drawn, warnings) =
        crate::report::charts::write_charts(&dir.path().join("charts"), &a, None, None, false);
    let stems: Vec<&str> = drawn.iter().map(|c| c.stem.as_str()).collect();
    assert!(
        stems.contains(&"charts/link-sweep"),
        "{stems:?} {warnings:?}"
    );
    let svg = std::fs::read_to_string(dir.path().join("charts/link-sweep.svg")).unwrap();
    assert!(svg.contains("registry-cache warm-remote / source"), "{svg}");
    // The rtt was swept too (2, 40 and 80 ms): a second panel.
    assert!(svg.contains("round-trip time"), "{svg}");
}
