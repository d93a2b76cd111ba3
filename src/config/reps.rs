//! How many measured runs each cell gets: `--reps N` (`run.reps = N`), or `--reps
//! auto` (`run.reps = "auto"`), which runs each state's cells in rounds until the
//! stop rule settles them, between `--min-reps` (`run.min_reps`, default 3) and
//! `--max-reps` (`run.max_reps`, default 10), at `--confidence` (`run.confidence`,
//! default 0.95) with a practical margin: the larger of `--margin` (`run.margin`,
//! default 0.05: ±5%) and `--margin-floor` (`run.margin_floor`, default 250ms per
//! build), racing the cells unless `--no-race` (`run.race = false`). The defaults
//! live with the rule ([`crate::stats::sequential`]).

use crate::error::{Error, Result};
use crate::stats::sequential::{self, StopRule};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// `--reps`: a count or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepsArg {
    Count(u32),
    Auto,
}

impl FromStr for RepsArg {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        if s == "auto" {
            return Ok(RepsArg::Auto);
        }
        s.parse::<u32>()
            .map(RepsArg::Count)
            .map_err(|_| format!("`{s}` is neither a whole number of runs nor `auto`"))
    }
}

/// `run.reps` in a scenario file: a number or `"auto"` (any other text is an
/// error at parse time, naming the line and key).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum RepsValue {
    Count(i64),
    Word(String),
}

impl<'de> Deserialize<'de> for RepsValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = RepsValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number of runs or \"auto\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<RepsValue, E> {
                Ok(RepsValue::Count(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<RepsValue, E> {
                Ok(RepsValue::Count(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<RepsValue, E> {
                if v == "auto" {
                    Ok(RepsValue::Word(v.into()))
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// The flags and keys of the repetitions, as given.
#[derive(Debug, Clone, Default)]
pub struct Given<'a> {
    pub reps_flag: Option<RepsArg>,
    pub reps_file: Option<&'a RepsValue>,
    pub min_flag: Option<u32>,
    pub min_file: Option<i64>,
    pub max_flag: Option<u32>,
    pub max_file: Option<i64>,
    pub confidence_flag: Option<f64>,
    pub confidence_file: Option<f64>,
    pub margin_flag: Option<f64>,
    pub margin_file: Option<f64>,
    pub floor_flag: Option<std::time::Duration>,
    pub floor_file: Option<&'a str>,
    /// `--no-race` given.
    pub no_race_flag: bool,
    pub race_file: Option<bool>,
}

/// The count for the fixed-repetition check (flag, file), and the auto settings
/// when `auto` was asked for. `key` names a scenario key in errors.
pub fn resolve(
    g: &Given,
    key: &dyn Fn(&str) -> String,
    max_allowed: u32,
) -> Result<(Option<i64>, Option<i64>, Option<StopRule>)> {
    let file_count = match g.reps_file {
        None => None,
        Some(RepsValue::Count(n)) => Some(*n),
        Some(RepsValue::Word(w)) if w == "auto" => None,
        Some(RepsValue::Word(w)) => {
            return Err(Error::usage(format!(
                "{}: `{w}` is neither a whole number of runs nor \"auto\"",
                key("run.reps")
            )))
        }
    };
    let auto = match g.reps_flag {
        Some(RepsArg::Auto) => true,
        Some(RepsArg::Count(_)) => false,
        None => matches!(g.reps_file, Some(RepsValue::Word(_))),
    };
    let flag_count = match g.reps_flag {
        Some(RepsArg::Count(n)) => Some(i64::from(n)),
        _ => None,
    };
    if !auto {
        return Ok((flag_count, file_count, None));
    }
    let whole = |flag: Option<u32>, file: Option<i64>, name: &str, k: &str, default: u32| {
        let (v, src) = match (flag, file) {
            (Some(v), _) => (i64::from(v), name.to_string()),
            (None, Some(v)) => (v, key(k)),
            (None, None) => return Ok(default),
        };
        if v < 2 || v > i64::from(max_allowed) {
            return Err(Error::usage(format!(
                "{src}: {v} is out of range; give a whole number from 2 to {max_allowed}"
            )));
        }
        Ok(v as u32)
    };
    let min_reps = whole(
        g.min_flag,
        g.min_file,
        "--min-reps",
        "run.min_reps",
        sequential::DEFAULT_MIN_REPS,
    )?;
    let max_reps = whole(
        g.max_flag,
        g.max_file,
        "--max-reps",
        "run.max_reps",
        sequential::DEFAULT_MAX_REPS,
    )?;
    if max_reps < min_reps {
        return Err(Error::usage(format!(
            "--max-reps (run.max_reps) {max_reps} is below --min-reps (run.min_reps) {min_reps}; \
             give a maximum at least the minimum"
        )));
    }
    let fraction = |flag: Option<f64>, file: Option<f64>, name: &str, k: &str, default: f64| {
        let (v, src) = match (flag, file) {
            (Some(v), _) => (v, name.to_string()),
            (None, Some(v)) => (v, key(k)),
            (None, None) => return Ok(default),
        };
        if !(v > 0.0 && v < 1.0) {
            return Err(Error::usage(format!(
                "{src}: {v} is out of range; give a fraction between 0 and 1, e.g. 0.95 (0.03 for ±3%)"
            )));
        }
        Ok(v)
    };
    let confidence = fraction(
        g.confidence_flag,
        g.confidence_file,
        "--confidence",
        "run.confidence",
        sequential::DEFAULT_CONFIDENCE,
    )?;
    let margin = fraction(
        g.margin_flag,
        g.margin_file,
        "--margin",
        "run.margin",
        sequential::DEFAULT_MARGIN,
    )?;
    let margin_floor_s = match (g.floor_flag, g.floor_file) {
        (Some(d), _) => d.as_secs_f64(),
        (None, Some(text)) => humantime::parse_duration(text)
            .map_err(|e| {
                Error::usage(format!(
                    "{}: `{text}` is not a duration ({e}); give e.g. \"250ms\" or \"0s\"",
                    key("run.margin_floor")
                ))
            })?
            .as_secs_f64(),
        (None, None) => sequential::DEFAULT_MARGIN_FLOOR_S,
    };
    let rule = StopRule {
        confidence,
        margin,
        margin_floor_s,
        min_reps,
        max_reps,
        race: !g.no_race_flag && g.race_file.unwrap_or(true),
    };
    Ok((None, None, Some(rule)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> String {
        format!("s.toml: key `{k}`")
    }

    #[test]
    fn reps_is_a_count_or_auto_with_defaults_and_clear_errors() {
        assert_eq!("auto".parse::<RepsArg>(), Ok(RepsArg::Auto));
        assert_eq!("5".parse::<RepsArg>(), Ok(RepsArg::Count(5)));
        assert!("five".parse::<RepsArg>().unwrap_err().contains("`five`"));
        let g = Given {
            reps_flag: Some(RepsArg::Count(4)),
            ..Given::default()
        };
        assert_eq!(resolve(&g, &key, 1000).unwrap(), (Some(4), None, None));
        let word = RepsValue::Word("auto".into());
        let g = Given {
            reps_file: Some(&word),
            max_file: Some(6),
            margin_flag: Some(0.05),
            ..Given::default()
        };
        let (_, _, a) = resolve(&g, &key, 1000).unwrap();
        let a = a.expect("auto");
        assert_eq!((a.min_reps, a.max_reps, a.confidence), (3, 6, 0.95));
        assert!((a.margin - 0.05).abs() < 1e-12);
        // A count on the command line wins over "auto" in the file.
        let g = Given {
            reps_flag: Some(RepsArg::Count(2)),
            reps_file: Some(&word),
            ..Given::default()
        };
        assert_eq!(resolve(&g, &key, 1000).unwrap().2, None);
        let bad = RepsValue::Word("lots".into());
        let g = Given {
            reps_file: Some(&bad),
            ..Given::default()
        };
        let e = resolve(&g, &key, 1000).unwrap_err().to_string();
        assert!(e.contains("key `run.reps`") && e.contains("`lots`"), "{e}");
        let g = Given {
            reps_flag: Some(RepsArg::Auto),
            min_flag: Some(5),
            max_flag: Some(4),
            ..Given::default()
        };
        let e = resolve(&g, &key, 1000).unwrap_err().to_string();
        assert!(e.contains("--max-reps") && e.contains("below"), "{e}");
        let g = Given {
            reps_flag: Some(RepsArg::Auto),
            confidence_flag: Some(1.5),
            ..Given::default()
        };
        let e = resolve(&g, &key, 1000).unwrap_err().to_string();
        assert!(e.contains("--confidence: 1.5 is out of range"), "{e}");
    }
}
