//! The scenario file (TOML): its schema and parsing, with errors that name the file,
//! the line and the key.
//!
//! Only syntax and types are checked here; meaning (paths exist, names are known)
//! is checked in [`crate::config::options`], which keeps the key path in its errors: the
//! values it checks are [`Spanned`], so an error names the line the value is on.
//! A type error found while parsing is named by the key whose value holds the
//! error's position in the parsed document ([`key_path_at`]).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A list of names in the file (`matrix.strategies = [...]`): the list and each
/// name with where it is written.
pub type NameList = Spanned<Vec<Spanned<String>>>;

/// Largest scenario file read; anything bigger is refused before parsing.
pub const MAX_SCENARIO_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name used in records and reports [default: the file stem].
    pub name: Option<Spanned<String>>,
    #[serde(default)]
    pub workload: Workload,
    #[serde(default)]
    pub matrix: Matrix,
    #[serde(default)]
    pub run: RunSection,
    #[serde(default)]
    pub engine: EngineSection,
    #[serde(default)]
    pub registry: RegistrySection,
    /// Prices for the optional cost estimate ([`crate::config::cost`]); absent: no
    /// cost is estimated or shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<crate::config::cost::CostSection>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Build context, relative to the scenario file.
    pub context: Option<Spanned<PathBuf>>,
    /// Dockerfile, relative to the context.
    pub dockerfile: Option<Spanned<PathBuf>>,
    /// File inside the context that a `source` change rewrites.
    pub source_file: Option<Spanned<PathBuf>>,
    /// File inside the context that a `deps` change rewrites.
    pub deps_file: Option<Spanned<PathBuf>>,
    /// Executable that makes each change instead of cachebench, relative to the
    /// scenario file.
    pub change_script: Option<Spanned<PathBuf>>,
    #[serde(default)]
    pub build_args: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Matrix {
    pub strategies: Option<NameList>,
    pub states: Option<NameList>,
    pub changes: Option<NameList>,
    pub builders: Option<NameList>,
    /// `containerd` and/or `classic`: the image store of cachebench's own engine.
    pub image_stores: Option<NameList>,
    /// Of `strategies`, those also run on docker-container builders (default: all).
    pub container_strategies: Option<NameList>,
    /// The links between the build and every remote cache (`--link`), an axis
    /// (default: `["none"]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<NameList>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RunSection {
    /// A number, or "auto" ([`crate::config::reps`]).
    pub reps: Option<Spanned<crate::config::reps::RepsValue>>,
    /// `--reps auto`: at least this many runs per cell before a verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_reps: Option<Spanned<i64>>,
    /// `--reps auto`: at most this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_reps: Option<Spanned<i64>>,
    /// `--reps auto`: confidence of a verdict (0.95).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Spanned<f64>>,
    /// `--reps auto`: a tie's relative margin as a fraction (0.05).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<Spanned<f64>>,
    /// `--reps auto`: the margin's absolute floor per build, humantime ("250ms").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin_floor: Option<Spanned<String>>,
    /// `--reps auto`: race the cells (true): a cell shown slower stops and its
    /// unspent runs go to the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub race: Option<Spanned<bool>>,
    /// The change mix the Decision weighs changes by: "source=0.8,deps=0.2".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_mix: Option<Spanned<String>>,
    /// Above this share of its CPU lost to the hypervisor a run is disturbed, not a
    /// sample (0.10; 1 counts every run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disturbed_share: Option<Spanned<f64>>,
    pub warmup: Option<Spanned<i64>>,
    /// humantime duration, e.g. "10m".
    pub timeout: Option<Spanned<String>>,
    pub out: Option<PathBuf>,
    /// `load` or `push`: how the registry-cache strategy exports the image.
    pub registry_cache_output: Option<Spanned<String>>,
    /// local-cache's `-new` rotation (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_cache_rotate: Option<bool>,
    /// `auto`, `v1` or `v2`: the gha cache stand-in's protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gha_protocol: Option<Spanned<String>>,
    /// `max` or `min`: what registry-cache, local-cache and gha-cache export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_mode: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EngineSection {
    pub docker_host: Option<String>,
    pub allow_prune: Option<bool>,
    pub buildkit_image: Option<String>,
    pub seed_images: Option<Vec<String>>,
    /// URL of the egress probe, or `none`.
    pub egress_probe: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RegistrySection {
    /// `HOST[:PORT][/PREFIX]` of an existing registry.
    pub address: Option<String>,
}

/// A scenario as read from disk, with what is needed to resolve its relative paths.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    pub path: PathBuf,
    pub scenario: Scenario,
    /// sha256 of the file's bytes, hex.
    pub sha256: String,
    /// The file's text, to turn a value's span into its line in errors.
    pub text: String,
}

impl LoadedScenario {
    /// The folder relative paths in the file are resolved against.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or_else(|| Path::new("."))
    }
}

/// The line (1-based) of byte `offset` in `text`.
pub fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Reads and parses a scenario file. Errors name the file, and for TOML errors the
/// line, column and key.
pub fn load(path: &Path) -> Result<LoadedScenario> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Error::usage(format!(
            "cannot read scenario file {}: {e}; give the path of a TOML file",
            path.display()
        ))
    })?;
    if !meta.is_file() {
        return Err(Error::usage(format!(
            "scenario file {} is not a regular file",
            path.display()
        )));
    }
    if meta.len() > MAX_SCENARIO_BYTES {
        return Err(Error::usage(format!(
            "scenario file {} is {} bytes; scenario files are limited to {} bytes",
            path.display(),
            meta.len(),
            MAX_SCENARIO_BYTES
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| Error::usage(format!("cannot read scenario file {}: {e}", path.display())))?;
    let scenario = parse(&bytes)
        .map_err(|msg| Error::usage(format!("invalid scenario file {}: {msg}", path.display())))?;
    let sha256 = crate::util::sha256_hex(&bytes);
    Ok(LoadedScenario {
        path: path.to_path_buf(),
        scenario,
        sha256,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// Parses scenario bytes. The error is one line: position, key and what is wrong.
pub fn parse(bytes: &[u8]) -> std::result::Result<Scenario, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        format!("line {line}: not valid UTF-8; save the file as UTF-8")
    })?;
    toml::from_str::<Scenario>(text).map_err(|e| one_line_toml_error(text, &e))
}

fn one_line_toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let line = line_at(text, span.start);
            let snippet: String = text[span.start.min(text.len())..span.end.min(text.len())]
                .chars()
                .take(60)
                .collect::<String>()
                .replace('\n', " ");
            let key = key_path_at(text, span.start)
                .map(|k| {
                    format!(
                        ", key `{}`",
                        k.chars().take(80).collect::<String>().escape_debug()
                    )
                })
                .unwrap_or_default();
            if snippet.trim().is_empty() {
                format!("line {line}{key}: {msg}")
            } else {
                format!("line {line}{key}, at `{}`: {msg}", snippet.trim())
            }
        }
        None => msg,
    }
}

/// The dotted key path (`run.reps`, `matrix.strategies[1]`) of the innermost key
/// or value at byte `offset`, from the parsed document's own spans. `None` when
/// the text does not parse as TOML (a syntax error: its message names what is
/// wrong) or nothing is written there.
pub fn key_path_at(text: &str, offset: usize) -> Option<String> {
    let doc = toml_edit::ImDocument::parse(text).ok()?;
    path_in_table(doc.as_table(), offset)
}

fn path_in_table(table: &dyn toml_edit::TableLike, offset: usize) -> Option<String> {
    let within = |span: Option<std::ops::Range<usize>>| {
        span.is_some_and(|r| r.start <= offset && offset < r.end.max(r.start + 1))
    };
    for (name, _) in table.iter() {
        let Some((key, item)) = table.get_key_value(name) else {
            continue;
        };
        let key_name = if name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
        {
            name.to_string()
        } else {
            format!("\"{}\"", name.escape_debug())
        };
        let inner = match item {
            toml_edit::Item::Value(toml_edit::Value::Array(a)) => a
                .iter()
                .enumerate()
                .find(|(_, v)| within(v.span()))
                .map(|(i, v)| {
                    let deeper = v
                        .as_inline_table()
                        .and_then(|t| path_in_table(t, offset))
                        .map(|p| format!(".{p}"))
                        .unwrap_or_default();
                    format!("[{i}]{deeper}")
                }),
            toml_edit::Item::ArrayOfTables(a) => a
                .iter()
                .enumerate()
                .find_map(|(i, t)| path_in_table(t, offset).map(|p| format!("[{i}].{p}"))),
            _ => item
                .as_table_like()
                .and_then(|t| path_in_table(t, offset))
                .map(|p| format!(".{p}")),
        };
        if let Some(inner) = inner {
            return Some(format!("{key_name}{inner}"));
        }
        if within(key.span()) || within(item.span()) {
            return Some(key_name);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_scenario() {
        const TEXT: &str = r#"
name = "x"
[workload]
context = "../dockerfiles/synthetic"
source_file = "src/main.txt"
[workload.build_args]
DEPS_MB = "8"
[matrix]
strategies = ["buildkit", "registry-cache"]
states = ["cold"]
[run]
reps = 3
timeout = "5m"
"#;
        let s = parse(TEXT.as_bytes()).unwrap();
        assert_eq!(s.name.as_ref().map(|n| n.get_ref().as_str()), Some("x"));
        assert_eq!(s.workload.build_args["DEPS_MB"].get_ref(), "8");
        assert_eq!(
            s.run.reps.as_ref().map(|r| r.get_ref().clone()),
            Some(crate::config::reps::RepsValue::Count(3))
        );
        // Values keep where they are written.
        let states = s.matrix.states.unwrap();
        assert_eq!(line_at(TEXT, states.get_ref()[0].span().start), 10);
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let err = parse(b"[run]\nreps = 2\nrepz = 3\n").unwrap_err();
        assert!(err.starts_with("line 3"), "{err}");
        assert!(err.contains("repz"), "{err}");
    }

    #[test]
    fn wrong_type_names_line() {
        let err = parse(b"[run]\nreps = \"three\"\n").unwrap_err();
        assert!(err.starts_with("line 2"), "{err}");
    }

    #[test]
    fn non_utf8_names_line() {
        let err = parse(b"name = \"a\"\nname2 = \"\xff\"\n").unwrap_err();
        assert!(err.starts_with("line 2: not valid UTF-8"), "{err}");
    }

    #[test]
    fn errors_name_the_key() {
        let err = parse(b"name = \"x\"\n[run]\nwarmup = 1\nreps = \"three\"\n").unwrap_err();
        assert!(err.starts_with("line 4, key `run.reps`"), "{err}");
        let err = parse(b"[engine]\nallow_prune = \"yes\"\n").unwrap_err();
        assert!(err.contains("key `engine.allow_prune`"), "{err}");
        let err = parse(b"[matrix]\nstrategies = [\n  \"push\",\n  3,\n]\n").unwrap_err();
        assert!(err.contains("matrix.strategies"), "{err}");
        // A syntax error has no parsed document to take a key path from; TOML's
        // own message names the key and its table.
        let err = parse(b"[run]\nreps = 1\nreps = 2\n").unwrap_err();
        assert!(
            err.starts_with("line 3") && err.contains("duplicate key `reps` in table `run`"),
            "{err}"
        );
        let err = parse(b"[matrix]\nstrategies = [\"push\", 3]\n").unwrap_err();
        assert!(
            err.starts_with("line 2, key `matrix.strategies[1]`"),
            "{err}"
        );
        let err = parse(b"[workload]\nbuild_args = { A = \"1\", B = 2 }\n").unwrap_err();
        assert!(err.contains("key `workload.build_args.B`"), "{err}");
        let err = parse(b"[workload.build_args]\nX = 1\n").unwrap_err();
        assert!(err.contains("workload.build_args.X"), "{err}");
        let err = parse(b"reps = 3\n").unwrap_err();
        assert!(
            err.contains("key `reps`") && err.contains("unknown field"),
            "{err}"
        );
    }

    /// Each input parses to what it says, or is refused on one line that starts
    /// with where; none panics.
    #[test]
    fn hostile_inputs_do_not_panic_and_stay_one_line() {
        let ok = |text: &[u8]| {
            parse(text).unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(text)))
        };
        let refused = |text: &[u8], starts: &str, says: &str| {
            let e = parse(text).expect_err(&String::from_utf8_lossy(text));
            assert!(!e.contains('\n'), "more than one line: {e}");
            assert!(e.starts_with(starts), "not `{starts}…`: {e}");
            assert!(e.contains(says), "no `{says}`: {e}");
        };
        assert_eq!(ok(b""), Scenario::default());
        // A byte-order mark is read past, and spans still count it.
        let warmup = ok(b"\xef\xbb\xbf[run]\nwarmup = 1\n").run.warmup.unwrap();
        assert_eq!((*warmup.get_ref(), warmup.span()), (1, 18..19));
        refused(
            b"\xef\xbb\xbf[run]\nwarmup = \"x\"\n",
            "line 2, key `run.warmup`",
            "",
        );
        refused(b"[[run]]\n", "line 1, key `run`", "invalid type");
        refused(b"[run]\nreps = 1e999\n", "line 2", "");
        refused(b"[run]\nreps = 99999999999999999999999\n", "line 2", "");
        refused(
            b"[workload]\ncontext = 3\n",
            "line 2, key `workload.context`",
            "",
        );
        // A NUL is text here; what may be in a name is checked with the flags.
        assert_eq!(ok(b"name = \"\\u0000\"\n").name.unwrap().into_inner(), "\0");
        refused(
            b"a.b.c.d.e.f.g = 1\n",
            "line 1, key `a`",
            "unknown field `a`",
        );
        let args = ok(b"[workload.build_args]\nK = \"\"\"x\ny\"\"\"\n")
            .workload
            .build_args;
        assert_eq!(args["K"].get_ref(), "x\ny");
        assert_eq!(args.len(), 1);
        let deep = "x = ".to_string() + &"[".repeat(5000) + &"]".repeat(5000);
        refused(deep.as_bytes(), "line 1", "recursion limit");
    }

    #[test]
    fn unknown_keys_in_the_table_name_their_path() {
        let e = parse(b"[cost]\nstorage_per_gb = 1.0\n").unwrap_err();
        assert!(e.contains("cost.storage_per_gb"), "{e}");
        let e = parse(b"[cost]\ntransfer_per_gb = \"cheap\"\n").unwrap_err();
        assert!(e.contains("key `cost.transfer_per_gb`"), "{e}");
    }

    #[test]
    fn error_is_one_line() {
        let err = parse(b"[matrix\nstrategies = 1").unwrap_err();
        assert!(!err.contains('\n'), "{err}");
    }
}
