//! How a `source` or `deps` change keeps its file valid for its kind: the comment
//! syntax of each kind of file (by name, by extension, by a script's `#!` line),
//! a key set in a JSON object, and the lock files a change must not touch (a tool
//! writes them; a real change edits the manifest beside them).
//!
//! Pure data and a lookup: the options refuse a file it has no way to change
//! before anything runs ([`crate::config::options`]), `plan` says what each change
//! will do, and `run/change` applies it and checks the file still parses.

use std::path::Path;
use table::{
    BY_EXTENSION, BY_NAME, BY_PREFIX, DASHES, HASH, HASH_INTERPRETERS, JS_INTERPRETERS, LOCKS,
    SLASHES,
};

mod table;

/// The top-level key a change sets in a JSON object, to the change's nonce.
pub const JSON_KEY: &str = "cachebenchChange";

/// How a change edits a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// A line `{open}cachebench change <nonce>{close}` appended.
    Comment {
        open: &'static str,
        close: &'static str,
    },
    /// PHP: `// cachebench change <nonce>` inside PHP code, or
    /// `<?php /* cachebench change <nonce> */ ?>` after a closing `?>` (text after
    /// it would be output).
    Php,
    /// The top-level key [`JSON_KEY`] of a JSON object set to the nonce (added
    /// first, then its value replaced by later changes).
    JsonKey,
}

/// The parser that proves the file still valid after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grammar {
    Json,
    Toml,
    Yaml,
    /// Nothing cachebench can parse: the comment syntax is the guarantee.
    Unchecked,
}

impl Grammar {
    pub fn name(self) -> &'static str {
        match self {
            Grammar::Json => "JSON",
            Grammar::Toml => "TOML",
            Grammar::Yaml => "YAML",
            Grammar::Unchecked => "",
        }
    }
}

/// How one kind of file is changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Syntax {
    pub edit: Edit,
    /// The kind of file, for messages: `JavaScript/TypeScript`.
    pub kind: &'static str,
    pub grammar: Grammar,
}

impl Edit {
    /// The comment line a change appends (for [`Edit::Php`], the one inside PHP
    /// code); `None` for a JSON key.
    pub fn line(self, nonce: &str) -> Option<String> {
        match self {
            Edit::Comment { open, close } => {
                Some(format!("{open}cachebench change {nonce}{close}"))
            }
            Edit::Php => Some(format!("// cachebench change {nonce}")),
            Edit::JsonKey => None,
        }
    }
}

/// Why a file cannot be changed by appending or setting anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A lock file its tool writes and checks: the change belongs in `manifest`.
    Lock {
        tool: &'static str,
        manifest: &'static str,
    },
    /// No comment syntax known for `what` (`a `.bin` file`).
    Unknown { what: String },
    /// A `.json` file whose top level is not an object (`an array`).
    NotAnObject { found: &'static str },
    /// A `.json` file that is not JSON to begin with.
    NotJson { error: String },
}

/// How a change edits `path`, whose content is `content` (its `#!` line decides
/// for a file of no known name or extension; a `.json` must be an object).
pub fn syntax_of(path: &Path, content: &[u8]) -> Result<Syntax, Refusal> {
    let name = file_name(path);
    if let Some((_, tool, manifest)) = LOCKS.iter().find(|(n, _, _)| *n == name) {
        return Err(Refusal::Lock { tool, manifest });
    }
    let Some(syntax) = lookup(path, content) else {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        return Err(Refusal::Unknown {
            what: match (&ext, interpreter(content)) {
                (_, Some(i)) => format!("a `#!` script run by `{i}`"),
                (Some(e), None) => format!("a `.{e}` file"),
                (None, None) => format!("a file named `{name}` with no `#!` line"),
            },
        });
    };
    if syntax.edit == Edit::JsonKey {
        match serde_json::from_slice::<serde_json::Value>(without_bom(content)) {
            Err(e) => {
                return Err(Refusal::NotJson {
                    error: e.to_string(),
                })
            }
            Ok(serde_json::Value::Object(_)) => {}
            Ok(v) => {
                return Err(Refusal::NotAnObject {
                    found: match v {
                        serde_json::Value::Array(_) => "an array",
                        serde_json::Value::String(_) => "a string",
                        serde_json::Value::Number(_) => "a number",
                        serde_json::Value::Bool(_) => "a boolean",
                        _ => "null",
                    },
                })
            }
        }
    }
    Ok(syntax)
}

/// `bytes` without a leading UTF-8 byte order mark (which JSON tools skip).
pub fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)
}

/// The parser a file of `path`'s kind is checked with after any change (also one a
/// change script made, and of a lock file cachebench would not edit itself).
pub fn grammar_of(path: &Path) -> Grammar {
    lookup(path, b"").map_or(Grammar::Unchecked, |s| s.grammar)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The kind of `path` by its name, a name prefix, its extension, then its `#!` line.
fn lookup(path: &Path, content: &[u8]) -> Option<Syntax> {
    let name = file_name(path);
    let found = |table: &[(&[&str], Edit, &'static str, Grammar)], key: &str| {
        table
            .iter()
            .find(|(keys, ..)| keys.contains(&key))
            .map(|&(_, edit, kind, grammar)| Syntax {
                edit,
                kind,
                grammar,
            })
    };
    let prefixed = BY_PREFIX
        .iter()
        .find(|(p, _)| name.starts_with(p))
        .map(|(_, n)| *n);
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    found(BY_NAME, &name)
        .or_else(|| prefixed.and_then(|n| found(BY_NAME, n)))
        .or_else(|| ext.as_deref().and_then(|e| found(BY_EXTENSION, e)))
        .or_else(|| shebang(content))
}

/// The syntax a `#!` line gives, if its interpreter is known.
fn shebang(content: &[u8]) -> Option<Syntax> {
    let i = interpreter(content)?;
    let base = i.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    let (edit, kind) = if HASH_INTERPRETERS.contains(&base) {
        (HASH, "script")
    } else if JS_INTERPRETERS.contains(&base) {
        (SLASHES, "JavaScript")
    } else if base == "php" {
        (Edit::Php, "PHP")
    } else if base == "lua" || base == "luajit" {
        (DASHES, "Lua")
    } else {
        return None;
    };
    Some(Syntax {
        edit,
        kind,
        grammar: Grammar::Unchecked,
    })
}

/// The interpreter a `#!` line names (`#!/usr/bin/env -S node --x` gives `node`),
/// lowercase.
fn interpreter(content: &[u8]) -> Option<String> {
    let first = content.split(|&b| b == b'\n').next()?;
    let line = std::str::from_utf8(first).ok()?.strip_prefix("#!")?;
    let mut words = line.split_whitespace();
    let program = words.next()?;
    let base = program.rsplit('/').next().unwrap_or(program);
    let name = if base == "env" {
        words.find(|w| !w.starts_with('-') && !w.contains('='))?
    } else {
        base
    };
    Some(name.to_ascii_lowercase())
}

/// What a change with `nonce` does to `file` with `syntax`, for `plan` (with
/// `<nonce>`) and the run's log:
/// `appends "// cachebench change <nonce>" to app/main.ts (JavaScript/TypeScript comment)`.
pub fn describe(file: &Path, syntax: &Syntax, nonce: &str) -> String {
    let what = match syntax.edit {
        Edit::JsonKey => format!(
            "adds the key \"{JSON_KEY}\" (its value \"{nonce}\") to {} ({} object)",
            file.display(),
            syntax.kind
        ),
        Edit::Php => format!(
            "appends \"// cachebench change {nonce}\" to {} (PHP comment; \
             \"<?php /* … */ ?>\" after a closing ?> tag)",
            file.display()
        ),
        edit => format!(
            "appends \"{}\" to {} ({} comment)",
            edit.line(nonce).unwrap_or_default(),
            file.display(),
            syntax.kind
        ),
    };
    match syntax.grammar {
        Grammar::Unchecked => what,
        g => format!("{what}, then checks it still parses as {}", g.name()),
    }
}

/// The refusal as the end of an error message about `file`, given by `flag`
/// (`--source-file` or `workload.source_file`), with the fix; `script` names the
/// escape hatch (`--change-script` or `workload.change_script`).
pub fn refusal_text(r: &Refusal, file: &Path, flag: &str, script: &str) -> String {
    let f = file.display();
    let hatch = format!("give a {script} that makes the change");
    match r {
        Refusal::Lock { tool, manifest } => {
            let beside = match file.parent().filter(|p| !p.as_os_str().is_empty()) {
                Some(dir) if !manifest.starts_with("the ") => {
                    dir.join(manifest).display().to_string()
                }
                _ => manifest.to_string(),
            };
            format!(
                "{f} is a lock file {tool} writes, so cachebench does not edit it: point {flag} \
                 at {beside}, the manifest beside it (a real deps change edits the manifest; \
                 when one COPY copies both, the same layers rebuild), or {hatch}"
            )
        }
        Refusal::Unknown { what } => format!(
            "{f} has no comment syntax cachebench knows ({what}): {hatch}, or point {flag} at \
             a file of a known type (docs/changes.md lists them)"
        ),
        Refusal::NotAnObject { found } => format!(
            "{f} is JSON whose top level is {found}, and cachebench can only add a key to an \
             object: {hatch}, or point {flag} at another file"
        ),
        Refusal::NotJson { error } => format!(
            "{f} is not valid JSON to begin with ({error}): fix it, {hatch}, or point {flag} at \
             another file"
        ),
    }
}

#[cfg(test)]
mod tests;
