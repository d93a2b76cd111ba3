//! What `--link` says: `none`, `passthrough`, a preset name, `RATE/RTT`
//! (`200mbit/20ms`, the same rate both ways) or `up=RATE,down=RATE,rtt=TIME` (any
//! subset, in any order: a rate left out is not limited, a round-trip time left out
//! is 0). Parsed into a [`LinkSpec`], whose `Display` is the canonical string
//! records and CSV carry (`parse(display(x)) == x`); errors name the bad part and
//! what is accepted.

use super::presets::{Preset, PRESETS};
use super::shape::{Millis, Rate, Shape};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The `--link` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinkSpec {
    /// No link: the build talks to the caches directly, no proxy in the path.
    #[default]
    None,
    /// A proxy with this shape (pass-through when [`Shape::is_passthrough`]).
    Proxy(Shape),
    /// A named preset (see [`PRESETS`]).
    Preset(&'static Preset),
}

impl LinkSpec {
    /// The shape to start a [`Link`](crate::infra::link::proxy::Link) with; `None` for `none`, where the
    /// caller puts no proxy in the path and uses each cache's own address.
    pub fn shape(&self) -> Option<Shape> {
        match self {
            LinkSpec::None => None,
            LinkSpec::Proxy(s) => Some(*s),
            LinkSpec::Preset(p) => Some(p.shape),
        }
    }
    /// The figures, a preset expanded (`same-region` → `400mbit/2ms`).
    pub fn figures(&self) -> String {
        match self.shape() {
            None => "none".into(),
            Some(s) => s.to_string(),
        }
    }
}

impl fmt::Display for LinkSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkSpec::None => f.write_str("none"),
            LinkSpec::Proxy(s) => s.fmt(f),
            LinkSpec::Preset(p) => f.write_str(p.name),
        }
    }
}

/// A `--link` value that does not parse; the message is one line, starting with
/// ``link `VALUE`: ``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError(String);

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecError {}

const FORMS: &str = "use none, passthrough, a preset, RATE/RTT (200mbit/20ms) or \
                     up=RATE,down=RATE,rtt=TIME";
const RATE_UNITS: &str = "use kbit, mbit or gbit";
const TIME_UNITS: &str = "use ms or s";
/// The longest round-trip time accepted.
const MAX_RTT: Duration = Duration::from_secs(10);

impl FromStr for LinkSpec {
    type Err = SpecError;

    fn from_str(input: &str) -> Result<LinkSpec, SpecError> {
        let err = |why: String| SpecError(format!("link `{input}`: {why}"));
        let s = input.trim();
        let lower = s.to_ascii_lowercase();
        match lower.as_str() {
            "" => return Err(err(format!("empty; {FORMS}"))),
            "none" => return Ok(LinkSpec::None),
            "passthrough" => return Ok(LinkSpec::Proxy(Shape::PASSTHROUGH)),
            _ => {}
        }
        if let Some(p) = PRESETS.iter().find(|p| p.name == lower) {
            return Ok(LinkSpec::Preset(p));
        }
        if s.contains('=') {
            return keyed(s).map(LinkSpec::Proxy).map_err(err);
        }
        if let Some((rate, rtt)) = s.split_once('/') {
            let rate = parse_rate(rate.trim()).map_err(err)?;
            let rtt = parse_rtt(rtt.trim()).map_err(err)?;
            return Ok(LinkSpec::Proxy(Shape {
                up: Some(rate),
                down: Some(rate),
                rtt,
            }));
        }
        if s.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(err(format!(
                "a rate needs a round-trip time (`{s}/20ms`), or name the direction \
                 (`down={s}`)"
            )));
        }
        let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        Err(err(format!(
            "unknown link; {FORMS} (presets: {})",
            names.join(", ")
        )))
    }
}

/// `up=RATE,down=RATE,rtt=TIME`, each key at most once, at least one.
fn keyed(s: &str) -> Result<Shape, String> {
    let mut shape = Shape::PASSTHROUGH;
    let mut seen: Vec<String> = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        let Some((key, value)) = part.split_once('=') else {
            return Err(format!(
                "`{part}` is not KEY=VALUE; use up=, down= and rtt="
            ));
        };
        let key = key.trim().to_ascii_lowercase();
        if seen.contains(&key) {
            return Err(format!("`{key}` is given twice"));
        }
        let value = value.trim();
        match key.as_str() {
            "up" => shape.up = Some(parse_rate(value)?),
            "down" => shape.down = Some(parse_rate(value)?),
            "rtt" => shape.rtt = parse_rtt(value)?,
            _ => return Err(format!("unknown key `{key}`; use up, down and rtt")),
        }
        seen.push(key);
    }
    Ok(shape)
}

/// A decimal number and its unit: `1.5mbit` → (1.5, "mbit").
fn number_and_unit<'a>(what: &str, s: &'a str) -> Result<(f64, &'a str), String> {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(end);
    let well_formed =
        !num.is_empty() && num.matches('.').count() <= 1 && num.chars().any(|c| c.is_ascii_digit());
    if !well_formed {
        return Err(format!("{what} `{s}` does not start with a number"));
    }
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{what} `{s}` does not start with a number"))?;
    Ok((n, unit))
}

fn parse_rate(s: &str) -> Result<Rate, String> {
    let (n, unit) = number_and_unit("rate", s)?;
    let per = match unit.to_ascii_lowercase().as_str() {
        "kbit" => 1e3,
        "mbit" => 1e6,
        "gbit" => 1e9,
        "" => return Err(format!("rate `{s}` has no unit; {RATE_UNITS}")),
        _ => return Err(format!("unknown rate unit `{unit}`; {RATE_UNITS}")),
    };
    let bits = (n * per).round();
    if bits < Rate::MIN.0 as f64 || bits > Rate::MAX.0 as f64 {
        return Err(format!(
            "rate `{s}` is out of range; give {} to {}",
            Rate::MIN,
            Rate::MAX
        ));
    }
    Ok(Rate(bits as u64))
}

fn parse_rtt(s: &str) -> Result<Duration, String> {
    let (n, unit) = number_and_unit("round-trip time", s)?;
    let micros = match unit.to_ascii_lowercase().as_str() {
        "ms" => n * 1e3,
        "s" => n * 1e6,
        "" => return Err(format!("round-trip time `{s}` has no unit; {TIME_UNITS}")),
        _ => return Err(format!("unknown time unit `{unit}`; {TIME_UNITS}")),
    };
    let rtt = Duration::from_micros(micros.round() as u64);
    if rtt > MAX_RTT {
        return Err(format!("round-trip time `{s}` is over {}", Millis(MAX_RTT)));
    }
    Ok(rtt)
}

impl serde::Serialize for LinkSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for LinkSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<LinkSpec, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
