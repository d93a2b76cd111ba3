//! The change mix the Decision weighs changes by: `--change-mix source=0.8,deps=0.2`
//! (`run.change_mix`, and `report --change-mix`), shares or percentages, by default
//! [`DEFAULT_CHANGE_MIX`]. A pipeline cannot switch its cache per commit, so each CI
//! situation gets one answer across the changes measured, weighed by this mix.

use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// The change mix the Decision weighs changes by when none is given: most commits
/// touch the sources, some the dependencies.
pub const DEFAULT_CHANGE_MIX: [(&str, f64); 2] = [("source", 0.8), ("deps", 0.2)];

/// [`DEFAULT_CHANGE_MIX`] as a map.
pub fn default_mix() -> BTreeMap<String, f64> {
    DEFAULT_CHANGE_MIX
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect()
}

/// Parses `source=0.8,deps=0.2` (shares or percentages: `source=80,deps=20`);
/// `what` names the flag or key in errors.
pub fn parse_mix(text: &str, what: &str) -> Result<BTreeMap<String, f64>> {
    let mut mix = BTreeMap::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((change, weight)) = part.split_once('=') else {
            return Err(Error::usage(format!(
                "{what}: `{part}` is not CHANGE=WEIGHT; give e.g. source=0.8,deps=0.2"
            )));
        };
        let change = change.trim();
        if !["none", "source", "deps"].contains(&change) {
            return Err(Error::usage(format!(
                "{what}: `{change}` is not a change; use none, source or deps"
            )));
        }
        let w: f64 = weight.trim().parse().map_err(|_| {
            Error::usage(format!(
                "{what}: `{}` is not a number; give a share such as 0.8 or 80",
                weight.trim()
            ))
        })?;
        if !(w.is_finite() && w >= 0.0) {
            return Err(Error::usage(format!(
                "{what}: the weight of {change} must be 0 or more"
            )));
        }
        mix.insert(change.to_string(), w);
    }
    if mix.values().sum::<f64>() <= 0.0 {
        return Err(Error::usage(format!(
            "{what}: `{text}` weighs no change; give e.g. source=0.8,deps=0.2"
        )));
    }
    Ok(mix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixes_parse_as_shares_or_percentages_and_bad_ones_name_the_flag() {
        let m = parse_mix("source=80, deps=20", "--change-mix").unwrap();
        assert_eq!(m["source"] / (m["source"] + m["deps"]), 0.8);
        assert_eq!(default_mix()["source"], 0.8);
        let e = parse_mix("src=1", "--change-mix").unwrap_err().to_string();
        assert!(e.contains("--change-mix: `src` is not a change"), "{e}");
        let e = parse_mix("source=x", "run.change_mix")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("run.change_mix: `x` is not a number"), "{e}");
        assert!(parse_mix("source=0", "m").is_err());
        assert!(parse_mix("deps", "m").is_err());
    }
}
