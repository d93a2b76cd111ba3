//! The house rules, checked on the source as text:
//!
//! - **Layers.** The table in `src/lib.rs` says what each stage folder may import.
//!   Every `crate::…`, `super::…` and `self::…` path outside comments is resolved to
//!   the module it names (`super::super::` and `use` groups included) and checked
//!   against its folder's row; `stats`, `util` and `error` import no folder. Each
//!   folder's `mod.rs` repeats its own row, and docs/architecture.md the table.
//! - **No cycles inside a folder.** At every level, sibling modules (`infra/process`
//!   and `infra/network`, `report/decision/settle` and `…/options`) must not import
//!   each other in a cycle; test-only modules (`#[cfg(test)]`) are left out.
//! - **Folders, not names.** No `#[path]` attribute; a `mod.rs` only declares.
//! - **One path per item.** No `pub use` re-exports anywhere under `src/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The modules beneath every folder; they import no folder.
const FOUNDATION: &[&str] = &["stats", "util", "error"];

/// `folder → folders it may import`, read from the table in `src/lib.rs`
/// (`//! | \`config\` | owns | – |`).
fn layers(lib_rs: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for line in lib_rs.lines() {
        let Some(row) = line.strip_prefix("//! |") else {
            continue;
        };
        let cols: Vec<&str> = row.split('|').map(str::trim).collect();
        let Some(folder) = cols.first().and_then(|c| c.strip_prefix('`')) else {
            continue;
        };
        let folder = folder.trim_end_matches('`').to_string();
        let allowed = cols
            .get(2)
            .map(|c| {
                c.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty() && *s != "–")
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        out.insert(folder, allowed);
    }
    out
}

/// The text without comments (`//` to the end of the line): doc links are not imports.
fn code_only(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module path of a file under `src/`: `infra/process/groups.rs` →
/// `[infra, process, groups]`, `infra/mod.rs` → `[infra]`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut segs: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = segs.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        segs.push(stem.to_string());
    }
    segs
}

/// Every path a file names, resolved to absolute segments (`crate` dropped).
/// `module` is the file's own module path. Lines after the first inline `mod x {`
/// (a file's test module) resolve `super` to the file's module itself.
fn paths_named(module: &[String], text: &str) -> Vec<Vec<String>> {
    let code = code_only(text);
    let inline_at = code
        .lines()
        .scan(0usize, |pos, l| {
            let at = *pos;
            *pos += l.len() + 1;
            Some((at, l))
        })
        .find(|(_, l)| {
            let t = l.trim_start();
            (t.starts_with("mod ") || t.starts_with("pub mod ")) && t.trim_end().ends_with('{')
        })
        .map(|(at, _)| at)
        .unwrap_or(usize::MAX);
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let starts = ["crate::", "super::", "self::"]
            .iter()
            .find(|p| rest.starts_with(**p));
        let boundary = i == 0
            || !(bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':');
        let Some(_) = starts.filter(|_| boundary) else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let base: Vec<String> = if i > inline_at {
            let mut m = module.to_vec();
            m.push("<inline>".into());
            m
        } else {
            module.to_vec()
        };
        let (paths, used) = parse_path(rest);
        for p in paths {
            if let Some(abs) = resolve(&base, &p) {
                out.push(abs);
            }
        }
        i += used.max(1);
    }
    out
}

/// Parses `a::b::{c, d::e}` at the start of `text` into its leaf paths (each a list
/// of segments), and how many bytes it used.
fn parse_path(text: &str) -> (Vec<Vec<String>>, usize) {
    let mut segs = Vec::new();
    let mut i = 0;
    let b = text.as_bytes();
    loop {
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        if i > start {
            segs.push(text[start..i].to_string());
        }
        if text[i..].starts_with("::{") {
            i += 3;
            let mut out = Vec::new();
            loop {
                while i < b.len() && (b[i] as char).is_whitespace() {
                    i += 1;
                }
                if i >= b.len() || b[i] == b'}' {
                    i += 1;
                    break;
                }
                let (inner, used) = parse_path(&text[i..]);
                for p in inner {
                    let mut full = segs.clone();
                    full.extend(p);
                    out.push(full);
                }
                i += used;
                while i < b.len() && b[i] != b',' && b[i] != b'}' {
                    i += 1;
                }
                if i < b.len() && b[i] == b',' {
                    i += 1;
                }
            }
            return (out, i);
        }
        if text[i..].starts_with("::") {
            i += 2;
            continue;
        }
        return (vec![segs], i);
    }
}

/// `crate::a::b` → `[a, b]`; `super::x` from `[a, b, c]` → `[a, b, x]`;
/// `self::x` from `[a, b]` → `[a, b, x]`; a trailing `self` is dropped.
fn resolve(module: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut segs = path.iter().peekable();
    let mut base: Vec<String> = match segs.peek().map(|s| s.as_str()) {
        Some("crate") => {
            segs.next();
            vec![]
        }
        Some("self") => {
            segs.next();
            module.to_vec()
        }
        Some("super") => {
            let mut m = module.to_vec();
            while segs.peek().map(|s| s.as_str()) == Some("super") {
                segs.next();
                m.pop()?;
            }
            m
        }
        _ => return None,
    };
    base.extend(segs.filter(|s| s.as_str() != "self").cloned());
    base.retain(|s| s != "<inline>");
    Some(base)
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

/// The source as `(module path, relative file, text)`.
fn sources(src: &Path) -> Vec<(Vec<String>, String, String)> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    files
        .iter()
        .map(|p| {
            let rel = p.strip_prefix(src).unwrap();
            (
                module_of(rel),
                format!("src/{}", rel.display()),
                std::fs::read_to_string(p).unwrap(),
            )
        })
        .collect()
}

/// Modules declared `#[cfg(test)] mod x;` (their paths): test-only code.
fn test_only(files: &[(Vec<String>, String, String)]) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    for (module, _, text) in files {
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for w in lines.windows(2) {
            if w[0] == "#[cfg(test)]" {
                let decl = w[1]
                    .trim_start_matches("pub ")
                    .trim_start_matches("pub(crate) ");
                if let Some(name) = decl.strip_prefix("mod ").and_then(|d| d.strip_suffix(';')) {
                    let mut m = module.clone();
                    m.push(name.to_string());
                    out.insert(m);
                }
            }
        }
    }
    out
}

/// Layer violations of one file.
fn layer_violations(
    file: &str,
    module: &[String],
    text: &str,
    layers: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let Some(folder) = module.first() else {
        return vec![];
    };
    let mut out = BTreeSet::new();
    for path in paths_named(module, text) {
        let Some(target) = path.first() else { continue };
        if target == folder
            || (FOUNDATION.contains(&target.as_str()) && !FOUNDATION.contains(&folder.as_str()))
        {
            continue;
        }
        if FOUNDATION.contains(&target.as_str()) && FOUNDATION.contains(&folder.as_str()) {
            continue;
        }
        let allowed = layers.get(folder.as_str());
        let ok = allowed.is_some_and(|a| a.contains(target.as_str()));
        if !ok {
            let may = allowed
                .map(|a| a.iter().cloned().collect::<Vec<_>>().join(", "))
                .unwrap_or_else(|| "no folder".into());
            out.insert(format!(
                "{file}: {folder} -> {target} (`{}`): {folder} may import {}",
                path.join("::"),
                if may.is_empty() {
                    "no folder".into()
                } else {
                    may
                }
            ));
        }
    }
    out.into_iter().collect()
}

/// Cycles among sibling modules, at every level.
fn sibling_cycles(files: &[(Vec<String>, String, String)]) -> Vec<String> {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|(m, _, _)| m.clone()).collect();
    let tests = test_only(files);
    let is_test = |m: &[String]| (1..=m.len()).any(|k| tests.contains(&m[..k]));
    // parent → (from sibling → to sibling → a file that makes the edge)
    let mut edges: BTreeMap<Vec<String>, BTreeMap<String, BTreeMap<String, String>>> =
        BTreeMap::new();
    for (module, file, text) in files {
        if is_test(module) {
            continue;
        }
        for path in paths_named(module, text) {
            let k = module.iter().zip(&path).take_while(|(a, b)| a == b).count();
            if k >= module.len() || k >= path.len() || !modules.contains(&path[..=k]) {
                continue;
            }
            edges
                .entry(module[..k].to_vec())
                .or_default()
                .entry(module[k].clone())
                .or_default()
                .entry(path[k].clone())
                .or_insert_with(|| file.clone());
        }
    }
    let mut found = Vec::new();
    for (parent, graph) in &edges {
        for cycle in cycles(graph) {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|w| format!("{} -> {} ({})", w[0], w[1], graph[&w[0]][&w[1]]))
                .collect();
            found.push(format!(
                "cycle inside `{}`: {}",
                if parent.is_empty() {
                    "crate".into()
                } else {
                    parent.join("::")
                },
                steps.join(", ")
            ));
        }
    }
    found
}

/// One cycle (closed: first == last) per strongly connected group of the graph.
fn cycles(graph: &BTreeMap<String, BTreeMap<String, String>>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut reported: BTreeSet<String> = BTreeSet::new();
    for start in graph.keys() {
        if reported.contains(start) {
            continue;
        }
        // Depth-first search for a path back to `start`.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((node, path)) = stack.pop() {
            for next in graph.get(&node).map(|m| m.keys()).into_iter().flatten() {
                if next == start {
                    let mut c = path.clone();
                    c.push(start.clone());
                    reported.extend(c.iter().cloned());
                    out.push(c);
                    stack.clear();
                    break;
                }
                if seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    out
}

/// A `pub use` (or `pub(crate) use`): a second path to an item. One path per item.
fn re_exports(file: &str, text: &str) -> Vec<String> {
    code_only(text)
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            t.starts_with("pub use ")
                || t.starts_with("pub(crate) use ")
                || t.starts_with("pub(super) use ")
        })
        .map(|(i, l)| {
            format!(
                "{file}:{}: `{}`: a re-export; import the item by its own path",
                i + 1,
                l.trim()
            )
        })
        .collect()
}

/// A `mod.rs` line that is more than a declaration.
fn mod_rs_logic(file: &str, text: &str) -> Vec<String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim();
            !(t.is_empty()
                || t.starts_with("//")
                || t.starts_with("#[cfg(")
                || t.starts_with("#[allow(")
                || ((t.starts_with("pub mod ")
                    || t.starts_with("mod ")
                    || t.starts_with("pub(crate) mod "))
                    && t.ends_with(';')))
        })
        .map(|(i, l)| {
            format!(
                "{file}:{}: `{}`: a mod.rs only declares modules",
                i + 1,
                l.trim()
            )
        })
        .collect()
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn every_folder_imports_only_what_its_row_in_lib_rs_allows() {
    let layers = layers(&std::fs::read_to_string(src().join("lib.rs")).unwrap());
    assert_eq!(
        layers.keys().cloned().collect::<Vec<_>>(),
        ["commands", "config", "infra", "phases", "plan", "records", "report", "run"],
        "the table in src/lib.rs"
    );
    let files = sources(&src());
    assert!(files.len() > 80, "only {} files read", files.len());
    let mut found = Vec::new();
    for (module, file, text) in &files {
        let Some(folder) = module.first() else {
            continue;
        };
        assert!(
            layers.contains_key(folder)
                || FOUNDATION.contains(&folder.as_str())
                || module.len() == 1,
            "{file}: folder `{folder}` has no row in the table of src/lib.rs"
        );
        found.extend(layer_violations(file, module, text, &layers));
    }
    assert!(
        found.is_empty(),
        "imports against the layers:\n{}",
        found.join("\n")
    );
}

#[test]
fn each_mod_rs_repeats_its_row_and_the_docs_repeat_the_table() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let layers = layers(&lib);
    for (folder, allowed) in &layers {
        let text = std::fs::read_to_string(src().join(folder).join("mod.rs")).unwrap();
        let line = text
            .split("//!")
            .map(|s| s.trim())
            .collect::<Vec<_>>()
            .join(" ");
        let want = if allowed.is_empty() {
            "May import: –".to_string()
        } else {
            let order = [
                "config", "plan", "records", "phases", "infra", "run", "report",
            ];
            let list: Vec<&str> = order
                .iter()
                .copied()
                .filter(|f| allowed.contains(*f))
                .collect();
            format!("May import: {}", list.join(", "))
        };
        assert!(
            line.contains(&want),
            "src/{folder}/mod.rs: its doc must say `{want}` (its row in src/lib.rs)"
        );
    }
    let table: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//! |"))
        .collect();
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/architecture.md"))
            .unwrap();
    for row in table {
        assert!(
            doc.contains(&format!("|{row}")),
            "docs/architecture.md lacks the row `|{row}` of the table in src/lib.rs"
        );
    }
}

#[test]
fn no_cycles_among_sibling_modules() {
    let found = sibling_cycles(&sources(&src()));
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn no_path_attributes_and_mod_rs_only_declares() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("tests"), &mut files);
    let mut found = Vec::new();
    for p in &files {
        let text = std::fs::read_to_string(p).unwrap();
        let rel = p.strip_prefix(root).unwrap().display().to_string();
        if code_only(&text)
            .lines()
            .any(|l| l.trim_start().starts_with("#[path"))
        {
            found.push(format!(
                "{rel}: a #[path] attribute; make the family a folder"
            ));
        }
        if p.file_name().is_some_and(|n| n == "mod.rs") && rel.starts_with("src/") {
            found.extend(mod_rs_logic(&rel, &text));
        }
        if rel.starts_with("src/") {
            found.extend(re_exports(&rel, &text));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_checks_find_what_they_say() {
    let lib = "//! | `records` | x | config, plan |\n//! | `report` | y | records |\n//! | `infra` | z | records |\n";
    let layers = layers(lib);
    assert_eq!(layers["report"], BTreeSet::from(["records".to_string()]));
    let m = |s: &str| s.split('/').map(String::from).collect::<Vec<_>>();
    // A group, a super::super, a self path and a doc comment.
    let text = "//! see [`crate::run`]\nuse crate::{records::x, infra::{a, b}};\nuse super::super::super::run::y;\nfn f() { self::z(); crate::stats::median(); }\n";
    let v = layer_violations("src/report/a/b.rs", &m("report/a/b"), text, &layers);
    assert_eq!(v.len(), 3, "{v:#?}");
    assert!(v[0].contains("report -> infra (`infra::a`)"), "{v:#?}");
    assert!(v[1].contains("report -> infra (`infra::b`)"), "{v:#?}");
    assert!(v[2].contains("report -> run (`run::y`)"), "{v:#?}");
    // The foundation imports no folder.
    let v = layer_violations(
        "src/stats/a.rs",
        &m("stats/a"),
        "use crate::records::x;\n",
        &layers,
    );
    assert_eq!(v.len(), 1, "{v:#?}");
    // `mycrate::` and `super::` inside a file's inline test module are not edges out.
    let v = layer_violations(
        "src/infra/a.rs",
        &m("infra/a"),
        "fn g() { mycrate::run::y(); }\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n",
        &layers,
    );
    assert!(v.is_empty(), "{v:#?}");
    // A cycle between siblings, through a super:: path; a test-only module is left out.
    let files = vec![
        (
            m("infra/process"),
            "src/infra/process.rs".into(),
            "use crate::infra::network::x;\n#[cfg(test)]\nmod tests;\n".into(),
        ),
        (
            m("infra/process/tests"),
            "src/infra/process/tests.rs".into(),
            "use crate::infra::engine::y;\n".into(),
        ),
        (
            m("infra/network"),
            "src/infra/network/mod.rs".into(),
            "pub mod bridge;\n".into(),
        ),
        (
            m("infra/network/bridge"),
            "src/infra/network/bridge.rs".into(),
            "use super::super::process::Spec;\n".into(),
        ),
        (
            m("infra/engine"),
            "src/infra/engine.rs".into(),
            "use crate::infra::process::z;\n".into(),
        ),
    ];
    let c = sibling_cycles(&files);
    assert_eq!(c.len(), 1, "{c:#?}");
    assert!(c[0].starts_with("cycle inside `infra`: network -> process (src/infra/network/bridge.rs), process -> network"), "{c:#?}");
    // mod.rs logic.
    assert!(mod_rs_logic("m", "//! doc\npub mod a;\n#[cfg(test)]\nmod tests;\n").is_empty());
    assert_eq!(
        mod_rs_logic("m", "pub mod a;\npub use a::X;\nfn f() {}\n").len(),
        2
    );
}
