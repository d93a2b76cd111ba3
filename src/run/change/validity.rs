//! After a change, before the build: a JSON, TOML or YAML file must still parse, or
//! the run fails saying the change broke it (a build would fail later, or worse,
//! pass with a file its tool reads differently). A file that did not parse before
//! the change either is not held against the change.

use crate::config::change_syntax::Grammar;

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Still parses (or there is nothing to parse it with).
    Valid,
    /// It did not parse before the change either: not checked (the note says why).
    NotChecked(String),
    /// The change broke it: the parse error.
    Broken(String),
}

/// Checks `after` against `grammar`, given the file was `before`.
pub fn check(grammar: Grammar, before: &[u8], after: &[u8]) -> Verdict {
    if grammar == Grammar::Unchecked {
        return Verdict::Valid;
    }
    if let Err(e) = parse(grammar, before) {
        return Verdict::NotChecked(format!(
            "it did not parse as {} before the change either ({e}), so it is not checked",
            grammar.name()
        ));
    }
    match parse(grammar, after) {
        Ok(()) => Verdict::Valid,
        Err(e) => Verdict::Broken(e),
    }
}

/// Parses `bytes` as `grammar`; the error is one line, with the position.
pub fn parse(grammar: Grammar, bytes: &[u8]) -> Result<(), String> {
    let text = || std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"));
    match grammar {
        Grammar::Unchecked => Ok(()),
        Grammar::Json => serde_json::from_slice::<serde_json::Value>(
            crate::config::change_syntax::without_bom(bytes),
        )
        .map(drop)
        .map_err(|e| format!("invalid JSON: {e}")),
        Grammar::Toml => {
            let t = text()?;
            t.parse::<toml::Table>().map(drop).map_err(|e| {
                let at = e
                    .span()
                    .map(|s| format!(" at line {}", crate::config::scenario::line_at(t, s.start)))
                    .unwrap_or_default();
                format!(
                    "invalid TOML{at}: {}",
                    e.message().trim().replace('\n', " ")
                )
            })
        }
        Grammar::Yaml => {
            use serde::Deserialize;
            // Every document of a multi-document file (`---`).
            for doc in serde_norway::Deserializer::from_slice(bytes) {
                serde_norway::Value::deserialize(doc)
                    .map_err(|e| format!("invalid YAML: {}", e.to_string().replace('\n', " ")))?;
            }
            Ok(())
        }
    }
}
