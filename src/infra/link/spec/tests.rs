//! `--link` parsing: the accepted forms, their canonical strings, the errors, the
//! presets.

use crate::infra::link::presets::PRESETS;
use crate::infra::link::shape::{Rate, Shape};
use crate::infra::link::spec::LinkSpec;
use proptest::prelude::*;
use std::time::Duration;

fn parse(s: &str) -> LinkSpec {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn err(s: &str) -> String {
    match s.parse::<LinkSpec>() {
        Ok(l) => panic!("{s} parsed as {l:?}"),
        Err(e) => e.to_string(),
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn none_is_the_default_and_has_no_shape() {
    assert_eq!(LinkSpec::default(), LinkSpec::None);
    assert_eq!(parse("none"), LinkSpec::None);
    assert_eq!(parse(" None "), LinkSpec::None);
    assert_eq!(LinkSpec::None.shape(), None);
    assert_eq!(LinkSpec::None.to_string(), "none");
}

#[test]
fn passthrough_is_a_proxy_without_shaping() {
    let l = parse("passthrough");
    assert_eq!(l.shape(), Some(Shape::PASSTHROUGH));
    assert!(l.shape().unwrap().is_passthrough());
    assert_eq!(l.to_string(), "passthrough");
    // Every key left out is the same thing.
    assert_eq!(parse("rtt=0ms"), l);
}

#[test]
fn symmetric_rate_and_round_trip_time() {
    let l = parse("200mbit/20ms");
    let s = l.shape().unwrap();
    assert_eq!(s.up, Some(Rate::mbit(200)));
    assert_eq!(s.down, Some(Rate::mbit(200)));
    assert_eq!(s.rtt, ms(20));
    assert_eq!(s.one_way(), ms(10));
    assert_eq!(l.to_string(), "200mbit/20ms");
    assert_eq!(parse(" 200Mbit / 20MS ").to_string(), "200mbit/20ms");
}

#[test]
fn asymmetric_keys_in_any_order_and_subsets() {
    let l = parse("up=50mbit,down=500mbit,rtt=40ms");
    let s = l.shape().unwrap();
    assert_eq!(
        (s.up, s.down, s.rtt),
        (Some(Rate::mbit(50)), Some(Rate::mbit(500)), ms(40))
    );
    assert_eq!(l.to_string(), "up=50mbit,down=500mbit,rtt=40ms");
    assert_eq!(parse("rtt=40ms, down=500mbit ,up=50mbit"), l);
    // A rate left out is not limited; a round-trip time left out is 0.
    let d = parse("down=100mbit").shape().unwrap();
    assert_eq!(
        (d.up, d.down, d.rtt),
        (None, Some(Rate::mbit(100)), Duration::ZERO)
    );
    assert_eq!(parse("down=100mbit").to_string(), "down=100mbit");
    assert_eq!(parse("rtt=20ms").to_string(), "rtt=20ms");
    // The same rate both ways is written the short way.
    assert_eq!(
        parse("up=1gbit,down=1000mbit,rtt=1s").to_string(),
        "1gbit/1s"
    );
}

#[test]
fn canonical_units() {
    for (given, canonical) in [
        ("1000mbit/1000ms", "1gbit/1s"),
        ("0.5gbit/1.5s", "500mbit/1500ms"),
        ("1.5mbit/0.5ms", "1500kbit/0.5ms"),
        ("1234kbit/0ms", "1234kbit/0ms"),
        ("1.2346kbit/0.25ms", "1.235kbit/0.25ms"),
        ("2.5GBIT/2S", "2500mbit/2s"),
    ] {
        assert_eq!(parse(given).to_string(), canonical, "{given}");
    }
}

#[test]
fn presets_parse_by_name_and_carry_their_sources() {
    assert!(PRESETS.len() >= 4);
    for p in PRESETS {
        let l = parse(p.name);
        assert_eq!(l, LinkSpec::Preset(p));
        assert_eq!(l.to_string(), p.name);
        assert_eq!(l.shape(), Some(p.shape));
        assert_eq!(parse(&l.figures()).shape(), Some(p.shape), "{}", p.name);
        assert!(p.source.contains("https://"), "{} cites no source", p.name);
        assert!(!p.about.is_empty());
    }
    assert_eq!(parse("cross-continent").figures(), "400mbit/80ms");
    assert_eq!(parse("OFFICE").figures(), "up=20mbit,down=100mbit,rtt=50ms");
}

#[test]
fn errors_name_the_bad_part_and_what_is_accepted() {
    let cases = [
        ("200mbt/20ms", "link `200mbt/20ms`: unknown rate unit `mbt`; use kbit, mbit or gbit"),
        ("200mbit/20", "link `200mbit/20`: round-trip time `20` has no unit; use ms or s"),
        ("200/20ms", "link `200/20ms`: rate `200` has no unit; use kbit, mbit or gbit"),
        ("200mbit/20min", "link `200mbit/20min`: unknown time unit `min`; use ms or s"),
        ("200mbit/11s", "link `200mbit/11s`: round-trip time `11s` is over 10s"),
        ("0mbit/20ms", "link `0mbit/20ms`: rate `0mbit` is out of range; give 1kbit to 100gbit"),
        ("-5mbit/2ms", "link `-5mbit/2ms`: rate `-5mbit` does not start with a number"),
        ("1.2.3mbit/2ms", "link `1.2.3mbit/2ms`: rate `1.2.3mbit` does not start with a number"),
        ("mbit/2ms", "link `mbit/2ms`: rate `mbit` does not start with a number"),
        ("200mbit", "link `200mbit`: a rate needs a round-trip time (`200mbit/20ms`), or name the direction (`down=200mbit`)"),
        ("up=5mbit,up=6mbit", "link `up=5mbit,up=6mbit`: `up` is given twice"),
        ("up=5mbit,bw=6mbit", "link `up=5mbit,bw=6mbit`: unknown key `bw`; use up, down and rtt"),
        ("up=5mbit,rtt", "link `up=5mbit,rtt`: `rtt` is not KEY=VALUE; use up=, down= and rtt="),
        ("up=,rtt=5ms", "link `up=,rtt=5ms`: rate `` does not start with a number"),
        ("", "link ``: empty; use none, passthrough, a preset, RATE/RTT (200mbit/20ms) or up=RATE,down=RATE,rtt=TIME"),
    ];
    for (given, want) in cases {
        assert_eq!(err(given), want, "{given}");
    }
    let unknown = err("fast");
    assert!(
        unknown.starts_with("link `fast`: unknown link; use none, passthrough"),
        "{unknown}"
    );
    for p in PRESETS {
        assert!(unknown.contains(p.name), "{unknown}");
    }
}

#[test]
fn serde_carries_the_canonical_string() {
    let l = parse("up=50mbit,down=500mbit,rtt=40ms");
    let json = serde_json::to_string(&l).unwrap();
    assert_eq!(json, "\"up=50mbit,down=500mbit,rtt=40ms\"");
    assert_eq!(serde_json::from_str::<LinkSpec>(&json).unwrap(), l);
    let preset: LinkSpec = serde_json::from_str("\"same-region\"").unwrap();
    assert_eq!(preset.to_string(), "same-region");
    let bad = serde_json::from_str::<LinkSpec>("\"200mbt/20ms\"").unwrap_err();
    assert!(bad.to_string().contains("unknown rate unit `mbt`"), "{bad}");
}

fn rate() -> impl Strategy<Value = Option<Rate>> {
    prop_oneof![
        Just(None),
        (1u64..=100_000_000).prop_map(|k| Some(Rate::kbit(k))),
        (1u64..=100).prop_map(|g| Some(Rate::mbit(g * 1000))),
    ]
}

proptest! {
    #[test]
    fn display_parses_back_to_the_same_link(
        up in rate(),
        down in rate(),
        rtt_us in prop_oneof![Just(0u64), 1u64..=10_000_000, (0u64..=10_000).prop_map(|m| m * 1000)],
        same in any::<bool>(),
    ) {
        let down = if same { up } else { down };
        let l = LinkSpec::Proxy(Shape { up, down, rtt: Duration::from_micros(rtt_us) });
        let text = l.to_string();
        prop_assert_eq!(text.parse::<LinkSpec>().unwrap(), l, "{}", text);
    }
}
