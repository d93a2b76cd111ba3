//! The stage folders import only from the folders before them, in the order a run's
//! data flows: config → plan → records → phases → infra → run → report → commands,
//! with util, error and stats beneath all of them (and importing no stage).
//!
//! Reads the source as text: every `crate::X` path outside comment lines (`use`
//! groups `crate::{a, b::c}` included) is resolved to its folder, either directly
//! (`crate::infra::…`) or through the crate-root re-exports in `src/lib.rs`
//! (`pub use infra::{engine, …}` makes `crate::infra::engine` mean infra). A path to a
//! later folder fails the test, naming the file and the edge. A `crate::X` that is
//! neither a folder, a foundation module nor a re-export also fails, so a new alias
//! cannot hide an edge.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The stage folders, in import order.
const STAGES: &[&str] = &[
    "config", "plan", "records", "phases", "infra", "run", "report", "commands",
];
/// Modules every stage may use; they use no stage.
const FOUNDATION: &[&str] = &["util", "error", "stats"];

/// `crate::NAME` → the folder NAME lives in (a stage, or a foundation module).
fn aliases(lib_rs: &str) -> BTreeMap<String, String> {
    let mut m: BTreeMap<String, String> = BTreeMap::new();
    for s in STAGES.iter().chain(FOUNDATION) {
        m.insert(s.to_string(), s.to_string());
    }
    let code = code_only(lib_rs);
    for stmt in code.split(';') {
        let stmt = stmt.trim();
        let Some(rest) = stmt.strip_prefix("pub use ") else {
            continue;
        };
        let Some((folder, names)) = rest.split_once("::") else {
            continue;
        };
        let names = names.trim().trim_start_matches('{').trim_end_matches('}');
        for n in names.split(',') {
            // `a`, or `a as b`: the name used is the last word.
            if let Some(n) = n.split_whitespace().last() {
                m.insert(n.to_string(), folder.trim().to_string());
            }
        }
    }
    m
}

/// The text without comment lines (`//`, `//!`, `///`): doc links are not imports.
fn code_only(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first segment of every `crate::` path in `text`: `crate::a::b` gives `a`,
/// `crate::{a::x, b}` gives `a` and `b`.
fn crate_roots(text: &str) -> Vec<String> {
    let code = code_only(text);
    let mut out = Vec::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        // `mycrate::x` is not `crate::x`.
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            out.extend(group_roots(group));
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

/// The first segment of each path at the top level of a `{…}` group (the text
/// after the opening brace).
fn group_roots(group: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut at_start = true;
    let mut word = String::new();
    for c in group.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            if depth == 0 && at_start {
                out.push(word.clone());
            }
            at_start = false;
            word.clear();
        }
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_start = true,
            _ => {}
        }
    }
    out
}

/// Back-edges (and unknown `crate::` roots) of one file in `folder`.
fn violations(
    file: &str,
    folder: &str,
    text: &str,
    aliases: &BTreeMap<String, String>,
) -> Vec<String> {
    let rank = |f: &str| STAGES.iter().position(|s| *s == f);
    let mut out = Vec::new();
    for root in crate_roots(text) {
        let Some(target) = aliases.get(&root) else {
            out.push(format!(
                "{file}: `crate::{root}` is neither a stage folder, a foundation module nor a re-export in src/lib.rs"
            ));
            continue;
        };
        if target == folder || FOUNDATION.contains(&target.as_str()) {
            continue;
        }
        let back = match (rank(folder), rank(target)) {
            // A foundation module imports a stage.
            (None, _) => true,
            (Some(from), Some(to)) => to > from,
            (Some(_), None) => false,
        };
        if back {
            out.push(format!(
                "{file}: {folder} -> {target} (`crate::{root}`): {folder} may import only from folders before it ({})",
                STAGES.join(", ")
            ));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn stage_folders_import_only_from_earlier_folders() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let aliases = aliases(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut found = Vec::new();
    let mut checked = 0;
    for p in &files {
        let rel = p.strip_prefix(&src).unwrap();
        let folder = match rel.components().count() {
            // lib.rs declares the folders and main.rs is the binary on top (it
            // uses `cachebench::`); the foundation modules sit beside them.
            1 if rel == Path::new("lib.rs") || rel == Path::new("main.rs") => continue,
            1 => rel.file_stem().unwrap().to_string_lossy().into_owned(),
            _ => rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .into_owned(),
        };
        assert!(
            STAGES.contains(&folder.as_str()) || FOUNDATION.contains(&folder.as_str()),
            "src/{}: {folder} is neither a stage folder nor a foundation module; add it to STAGES or FOUNDATION in tests/architecture.rs",
            rel.display()
        );
        let text = std::fs::read_to_string(p).unwrap();
        found.extend(violations(
            &format!("src/{}", rel.display()),
            &folder,
            &text,
            &aliases,
        ));
        checked += 1;
    }
    assert!(
        checked > 50,
        "only {checked} files read under {}",
        src.display()
    );
    assert!(found.is_empty(), "back-edges:\n{}", found.join("\n"));
}

#[test]
fn the_check_finds_back_edges_through_aliases_and_groups() {
    let aliases = aliases(
        "pub mod infra;\npub use infra::{\n    engine, process,\n};\npub use run::state_check;\n// pub use report::x;\n",
    );
    assert_eq!(aliases["engine"], "infra");
    assert_eq!(aliases["state_check"], "run");
    assert!(!aliases.contains_key("x"));
    let text = "//! see [`crate::report`]\nuse crate::{\n    error::Result,\n    matrix::{A, B},\n    engine::Engine,\n};\nfn f() { crate::run::state_check::OK; crate::infra::process::x(); }\n";
    let v = violations("src/records/x.rs", "records", text, &aliases);
    assert_eq!(v.len(), 4, "{v:#?}");
    assert!(
        v[0].starts_with("src/records/x.rs: `crate::config::matrix` is neither"),
        "{v:#?}"
    );
    assert!(
        v[1].starts_with("src/records/x.rs: records -> infra (`crate::infra::engine`)"),
        "{v:#?}"
    );
    assert!(
        v[2].starts_with("src/records/x.rs: records -> infra (`crate::infra`)"),
        "{v:#?}"
    );
    assert!(
        v[3].starts_with("src/records/x.rs: records -> run (`crate::run::state_check`)"),
        "{v:#?}"
    );
    // Earlier folders, the foundation and the folder itself are fine; so is `mycrate::`.
    let ok =
        "use crate::{error::Error, stats};\nuse crate::infra::x;\nfn g() { mycrate::run::y(); }\n";
    assert!(violations("src/run/y.rs", "run", ok, &aliases).is_empty());
    // The foundation imports no stage.
    let v = violations("src/util.rs", "util", "use crate::config::x;\n", &aliases);
    assert_eq!(v.len(), 1, "{v:#?}");
}
