//! The value checks option merging shares, and [`Keys`], which names a scenario key
//! in errors (file, line and dotted key path).

use crate::config::scenario::{self, LoadedScenario};
use crate::error::{Error, Result};
use std::ops::Range;
use std::time::Duration;
use toml::Spanned;

/// Names a scenario key in errors: `FILE: line N: KEY`, the line being where the
/// value is written (its span); just `KEY` without a file.
pub(super) struct Keys<'a> {
    file: Option<String>,
    text: &'a str,
}

impl<'a> Keys<'a> {
    pub(super) fn new(loaded: Option<&'a LoadedScenario>) -> Keys<'a> {
        Keys {
            file: loaded.map(|l| l.path.display().to_string()),
            text: loaded.map(|l| l.text.as_str()).unwrap_or(""),
        }
    }

    /// `FILE: line N: KEY` for a value written at `span`.
    pub(super) fn at(&self, k: &str, span: Range<usize>) -> String {
        match &self.file {
            Some(f) => format!(
                "{f}: line {}: {k}",
                scenario::line_at(self.text, span.start)
            ),
            None => k.to_string(),
        }
    }

    /// `FILE: KEY` for a key not written in the file (its value is derived).
    pub(super) fn name(&self, k: &str) -> String {
        match &self.file {
            Some(f) => format!("{f}: {k}"),
            None => k.to_string(),
        }
    }

    /// [`Keys::at`] where `value` is written, else [`Keys::name`].
    pub(super) fn of<T>(&self, k: &str, value: &Option<Spanned<T>>) -> String {
        match value {
            Some(v) => self.at(k, v.span()),
            None => self.name(k),
        }
    }
}

/// A registry address `HOST[:PORT][/PREFIX]`: no scheme, no spaces, no tag.
pub(super) fn check_registry(r: &str) -> std::result::Result<(), String> {
    if r.contains("://") {
        return Err(format!(
            "`{}`: give HOST[:PORT][/PREFIX] without a scheme",
            r.escape_debug()
        ));
    }
    if r.is_empty()
        || !r
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:".contains(c))
        || r.ends_with('/')
    {
        return Err(format!(
            "`{}` is not a registry address HOST[:PORT][/PREFIX]",
            r.escape_debug()
        ));
    }
    Ok(())
}

pub(super) fn check_ref(r: &str) -> std::result::Result<(), String> {
    if r.is_empty()
        || r.starts_with('-')
        || !r
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@".contains(c))
    {
        return Err(format!("`{}` is not an image reference", r.escape_debug()));
    }
    Ok(())
}

pub(super) fn count(
    flag: Option<i64>,
    file: Option<i64>,
    flag_name: &str,
    file_key: &str,
    min: u32,
    max: u32,
    default: u32,
) -> Result<u32> {
    let (v, src) = match (flag, file) {
        (Some(v), _) => (v, flag_name),
        (None, Some(v)) => (v, file_key),
        (None, None) => return Ok(default),
    };
    if v < i64::from(min) || v > i64::from(max) {
        return Err(Error::usage(format!(
            "{src}: {v} is out of range; give a whole number from {min} to {max}"
        )));
    }
    Ok(v as u32)
}

pub(super) fn parse_duration(s: &str, src: &str) -> Result<Duration> {
    let d = humantime::parse_duration(s).map_err(|e| {
        Error::usage(format!(
            "{src}: `{}` is not a duration ({e}); write for example 90s or 10m",
            s.escape_debug()
        ))
    })?;
    if d.is_zero() || d > Duration::from_secs(24 * 3600) {
        return Err(Error::usage(format!(
            "{src}: {s} is out of range; give a duration from 1s to 24h"
        )));
    }
    Ok(d)
}

/// Checks an `--egress-probe` value: `none` or an http(s) URL.
pub(super) fn check_egress_probe(value: &str) -> Result<(), String> {
    let ok = value == "none"
        || ((value.starts_with("http://") || value.starts_with("https://"))
            && value.len() > "https://".len()
            && !value.chars().any(|c| c.is_whitespace() || c.is_control()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a URL; give http://HOST/PATH, https://HOST/PATH, or none",
            value.escape_debug()
        ))
    }
}
