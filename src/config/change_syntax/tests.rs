use super::*;

fn of(name: &str, content: &str) -> Result<Syntax, Refusal> {
    syntax_of(Path::new(name), content.as_bytes())
}

fn line(name: &str, content: &str) -> String {
    let s = of(name, content).unwrap_or_else(|r| panic!("{name}: {r:?}"));
    s.edit
        .line("N")
        .unwrap_or_else(|| panic!("{name}: not a comment"))
}

#[test]
fn every_comment_family_by_extension() {
    for (names, want) in [
        (
            &[
                "a.py",
                "run.sh",
                "pyproject.toml",
                "x.yaml",
                "ci.yml",
                "requirements.txt",
                "lib.rb",
                "a.pl",
                "a.R",
                "nginx.conf",
                "setup.cfg",
                "app.properties",
                "prod.dockerfile",
                "main.tf",
            ][..],
            "# cachebench change N",
        ),
        (
            &[
                "a.js",
                "a.mjs",
                "a.cjs",
                "a.ts",
                "a.tsx",
                "a.jsx",
                "main.rs",
                "main.go",
                "A.java",
                "a.kt",
                "a.c",
                "a.h",
                "a.cc",
                "a.cpp",
                "a.cs",
                "a.swift",
                "a.scala",
                "a.dart",
                "build.gradle",
            ][..],
            "// cachebench change N",
        ),
        (
            &["q.sql", "init.lua", "Main.hs"][..],
            "-- cachebench change N",
        ),
        (
            &[
                "index.html",
                "pom.xml",
                "logo.svg",
                "README.md",
                "App.vue",
                "app.csproj",
            ][..],
            "<!-- cachebench change N -->",
        ),
        (
            &["a.css", "a.scss", "a.less"][..],
            "/* cachebench change N */",
        ),
        (&["php.ini"][..], "; cachebench change N"),
    ] {
        for n in names {
            assert_eq!(line(n, ""), want, "{n}");
        }
    }
    assert_eq!(of("index.php", "").unwrap().edit, Edit::Php);
    assert_eq!(
        of("index.php", "").unwrap().edit.line("N").unwrap(),
        "// cachebench change N"
    );
}

#[test]
fn files_without_an_extension_by_name_prefix_or_shebang() {
    for n in [
        "Dockerfile",
        "Dockerfile.prod",
        "Containerfile",
        "Makefile",
        "Gemfile",
        "BUILD",
        ".env.local",
        ".dockerignore",
    ] {
        assert_eq!(line(n, "x\n"), "# cachebench change N", "{n}");
    }
    assert_eq!(line("Jenkinsfile", ""), "// cachebench change N");
    assert_eq!(line("run", "#!/bin/sh\necho\n"), "# cachebench change N");
    assert_eq!(
        line("tool", "#!/usr/bin/env python3.12\n"),
        "# cachebench change N"
    );
    assert_eq!(
        line("cli", "#!/usr/bin/env -S node --no-warnings\n"),
        "// cachebench change N"
    );
    assert_eq!(line("x", "#!/usr/bin/lua5.4\n"), "-- cachebench change N");
    // An extension wins over the #! line.
    assert_eq!(line("x.js", "#!/bin/sh\n"), "// cachebench change N");
    // A known #! gives an unknown extension its syntax.
    assert_eq!(line("x.cgi", "#!/usr/bin/perl\n"), "# cachebench change N");
}

#[test]
fn toml_yaml_and_json_are_parsed_after_a_change() {
    assert_eq!(of("Cargo.toml", "").unwrap().grammar, Grammar::Toml);
    assert_eq!(of("Cargo.lock", "").unwrap().grammar, Grammar::Toml);
    assert_eq!(of("Pipfile", "").unwrap().grammar, Grammar::Toml);
    assert_eq!(of("pnpm-lock.yaml", "").unwrap().grammar, Grammar::Yaml);
    let j = of("package.json", "{\"name\": \"x\"}").unwrap();
    assert_eq!((j.edit, j.grammar), (Edit::JsonKey, Grammar::Json));
    assert_eq!(j.edit.line("N"), None);
    assert_eq!(of("a.py", "").unwrap().grammar, Grammar::Unchecked);
}

#[test]
fn json_must_be_an_object() {
    assert_eq!(
        of("list.json", "[1, 2]"),
        Err(Refusal::NotAnObject { found: "an array" })
    );
    assert!(matches!(
        of("broken.json", "{\"a\": "),
        Err(Refusal::NotJson { .. })
    ));
    assert!(of("tsconfig.jsonc", "{ // c\n}").is_ok());
}

#[test]
fn lock_files_and_unknown_kinds_are_refused() {
    assert_eq!(
        of("package-lock.json", "{}"),
        Err(Refusal::Lock {
            tool: "npm",
            manifest: "package.json"
        })
    );
    for n in [
        "composer.lock",
        "Pipfile.lock",
        "go.sum",
        "Gemfile.lock",
        "bun.lockb",
    ] {
        assert!(matches!(of(n, ""), Err(Refusal::Lock { .. })), "{n}");
    }
    // Locks whose format has `#` comments are changed.
    for n in ["yarn.lock", "Cargo.lock", "poetry.lock", "uv.lock"] {
        assert!(of(n, "").is_ok(), "{n}");
    }
    assert_eq!(
        of("model.bin", ""),
        Err(Refusal::Unknown {
            what: "a `.bin` file".into()
        })
    );
    assert_eq!(
        of("VERSION", "1.2.3\n"),
        Err(Refusal::Unknown {
            what: "a file named `VERSION` with no `#!` line".into()
        })
    );
    assert_eq!(
        of("run", "#!/usr/bin/env tclx\n"),
        Err(Refusal::Unknown {
            what: "a `#!` script run by `tclx`".into()
        })
    );
}

#[test]
fn refusals_name_the_flag_and_the_fix() {
    let lock = of("app/package-lock.json", "{}").unwrap_err();
    let t = refusal_text(
        &lock,
        Path::new("app/package-lock.json"),
        "--deps-file",
        "--change-script",
    );
    assert!(
        t.contains("point --deps-file at app/package.json, the manifest beside it"),
        "{t}"
    );
    assert!(
        t.contains("give a --change-script that makes the change"),
        "{t}"
    );
    let unknown = of("model.bin", "").unwrap_err();
    let t = refusal_text(
        &unknown,
        Path::new("model.bin"),
        "workload.source_file",
        "workload.change_script",
    );
    assert_eq!(
        t,
        "model.bin has no comment syntax cachebench knows (a `.bin` file): give a \
         workload.change_script that makes the change, or point workload.source_file at a file \
         of a known type (docs/changes.md lists them)"
    );
}

#[test]
fn plan_words_say_what_changes_where() {
    let ts = of("app/main.ts", "").unwrap();
    assert_eq!(
        describe(Path::new("app/main.ts"), &ts, "<nonce>"),
        "appends \"// cachebench change <nonce>\" to app/main.ts (JavaScript/TypeScript comment)"
    );
    let j = of("package.json", "{}").unwrap();
    assert_eq!(
        describe(Path::new("package.json"), &j, "<nonce>"),
        "adds the key \"cachebenchChange\" (its value \"<nonce>\") to package.json (JSON \
         object), then checks it still parses as JSON"
    );
    let y = of("ci.yaml", "").unwrap();
    assert!(
        describe(Path::new("ci.yaml"), &y, "N").ends_with("then checks it still parses as YAML")
    );
}

/// Every entry of the table is reached by its own name or extension (none is
/// shadowed by another), and its comment holds the nonce between its delimiters.
#[test]
fn every_entry_of_the_table_is_reachable() {
    let content = |edit: Edit| if edit == Edit::JsonKey { "{}" } else { "x\n" };
    let mut seen = std::collections::HashSet::new();
    for &(exts, edit, kind, grammar) in table::BY_EXTENSION {
        for ext in exts {
            assert!(seen.insert(*ext), ".{ext} is listed twice");
            let name = format!("f.{ext}");
            let want = Syntax {
                edit,
                kind,
                grammar,
            };
            assert_eq!(of(&name, content(edit)), Ok(want), "{name}");
            assert_eq!(
                of(&format!("F.{}", ext.to_uppercase()), content(edit)),
                Ok(want)
            );
            if let Edit::Comment { open, close } = edit {
                let l = edit.line("N1").unwrap();
                assert!(
                    l.starts_with(open) && l.ends_with(close) && l.contains(" N1"),
                    "{l}"
                );
            }
        }
    }
    for &(names, edit, kind, grammar) in table::BY_NAME {
        for name in names {
            assert!(seen.insert(*name), "{name} is listed twice");
            let want = Syntax {
                edit,
                kind,
                grammar,
            };
            assert_eq!(of(name, content(edit)), Ok(want), "{name}");
        }
    }
    for (name, _, _) in table::LOCKS {
        assert!(
            matches!(of(name, "{}"), Err(Refusal::Lock { .. })),
            "{name}"
        );
    }
}
