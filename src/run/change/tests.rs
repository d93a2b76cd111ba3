use super::*;
use crate::config::change_syntax::{Grammar, JSON_KEY};
use crate::config::matrix::State;
use crate::infra::process::Ending;
use crate::records::record::RunStatus;
use std::path::PathBuf;

/// A file `rel` with `content` in a scratch context, changed by cachebench with
/// each nonce in turn; gives the text after every change.
fn changed(rel: &str, content: &str, nonces: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let rel = Path::new(rel);
    let path = dir.path().join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    nonces
        .iter()
        .map(|n| {
            let before = std::fs::read(&path).unwrap();
            own_edit(dir.path(), rel, &before, n).unwrap_or_else(|e| panic!("{e}"));
            let after = std::fs::read(&path).unwrap();
            assert_eq!(checked(rel, &before, &after), Ok(None), "{}", rel.display());
            String::from_utf8(after).unwrap()
        })
        .collect()
}

/// Each kind of file: after three changes it differs each time, holds the last
/// nonce, and still parses where cachebench has a parser.
#[test]
fn every_syntax_keeps_its_file_valid_change_after_change() {
    let files: &[(&str, &str, &str)] = &[
        ("app.py", "print('hi')\n", "# cachebench change "),
        (
            "Cargo.toml",
            "[package]\nname = \"x\"\n",
            "# cachebench change ",
        ),
        ("Cargo.lock", "version = 3\n", "# cachebench change "),
        ("ci.yaml", "a:\n  b: |\n    text\n", "# cachebench change "),
        ("k8s.yml", "a: 1\n---\nb: 2\n", "# cachebench change "),
        ("requirements.txt", "flask==3.0.0", "# cachebench change "),
        ("Dockerfile", "FROM x\n", "# cachebench change "),
        ("main.ts", "export const a = 1;\n", "// cachebench change "),
        ("main.rs", "fn main() {}\n", "// cachebench change "),
        ("main.go", "package main\n", "// cachebench change "),
        ("q.sql", "select 1;\n", "-- cachebench change "),
        ("index.html", "<p>x</p>\n", "<!-- cachebench change "),
        ("pom.xml", "<project/>\n", "<!-- cachebench change "),
        ("a.css", "p {}\n", "/* cachebench change "),
        ("php.ini", "[x]\n", "; cachebench change "),
        (
            "bin/tool",
            "#!/usr/bin/env node\nconsole.log(1)\n",
            "// cachebench change ",
        ),
    ];
    for (rel, content, prefix) in files {
        let texts = changed(rel, content, &["r1-1", "r1-2", "r1-3"]);
        assert!(texts[0].starts_with(content), "{rel}: {}", texts[0]);
        assert_ne!(texts[0], texts[1], "{rel}");
        assert_ne!(texts[1], texts[2], "{rel}");
        let last = texts[2].lines().last().unwrap();
        assert!(
            last.starts_with(prefix) && last.contains("r1-3"),
            "{rel}: {last}"
        );
        let grammar = crate::config::change_syntax::grammar_of(Path::new(rel));
        if grammar != Grammar::Unchecked {
            validity::parse(grammar, texts[2].as_bytes()).unwrap();
        }
    }
}

fn json_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap()
}

/// A JSON object gets the key, first, as its other keys are indented; later
/// changes replace its value; the rest of the text is kept as it was.
#[test]
fn json_objects_get_the_key_and_keep_their_text() {
    let pkg =
        "{\n  \"name\": \"app\",\n  \"dependencies\": {\n    \"is-number\": \"7.0.0\"\n  }\n}\n";
    let t = changed("package.json", pkg, &["r1-1", "r1-2"]);
    assert_eq!(
        t[0],
        "{\n  \"cachebenchChange\": \"r1-1\",\n  \"name\": \"app\",\n  \"dependencies\": {\n    \"is-number\": \"7.0.0\"\n  }\n}\n"
    );
    assert_eq!(t[1], t[0].replace("r1-1", "r1-2"));
    assert_eq!(t[1].matches(JSON_KEY).count(), 1);
    for (content, first) in [
        ("{\"a\":1}", "{\"cachebenchChange\":\"N\",\"a\":1}"),
        ("{ \"a\": 1 }", "{ \"cachebenchChange\": \"N\", \"a\": 1 }"),
        ("{}", "{\"cachebenchChange\": \"N\"}"),
        ("{\n}\n", "{\"cachebenchChange\": \"N\"\n}\n"),
        (
            "\u{feff}{\r\n\t\"a\": 1\r\n}\r\n",
            "\u{feff}{\r\n\t\"cachebenchChange\": \"N\",\r\n\t\"a\": 1\r\n}\r\n",
        ),
    ] {
        let t = changed("x.json", content, &["N", "M"]);
        assert_eq!(t[0], first, "{content:?}");
        assert_eq!(json_value(&t[1])[JSON_KEY], "M", "{content:?}");
    }
    // A key of the same name further down would win over the one set first.
    let e = edit::edited(
        crate::config::change_syntax::Edit::JsonKey,
        b"{\"a\": 1, \"cachebenchChange\": \"x\"}",
        "N",
    )
    .unwrap_err();
    assert!(e.contains("further down"), "{e}");
}

#[test]
fn php_after_a_closing_tag_and_crlf_files() {
    let t = changed("index.php", "<?php echo 1; ?>\n", &["N"]);
    assert_eq!(
        t[0],
        "<?php echo 1; ?>\n<?php /* cachebench change N */ ?>\n"
    );
    let t = changed("lib.php", "<?php\nfunction f() {}\n", &["N"]);
    assert!(t[0].ends_with("}\n// cachebench change N\n"), "{}", t[0]);
    let t = changed("a.py", "x = 1\r\ny = 2", &["N"]);
    assert_eq!(t[0], "x = 1\r\ny = 2\r\n# cachebench change N\r\n");
}

#[test]
fn a_file_cachebench_cannot_change_is_refused_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("package-lock.json"), "{}").unwrap();
    let e = own_edit(dir.path(), Path::new("package-lock.json"), b"{}", "N").unwrap_err();
    assert!(
        e.contains("point --source-file/--deps-file at package.json"),
        "{e}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("package-lock.json")).unwrap(),
        "{}"
    );
}

#[test]
fn the_validity_check_names_the_file_and_the_parse_error() {
    let e = checked(
        Path::new("Cargo.toml"),
        b"[package]\nname = \"x\"\n",
        b"[package]\nname = \"x\"\nname = = 1\n",
    )
    .unwrap_err();
    assert!(
        e.starts_with("the change broke Cargo.toml: invalid TOML at line 3"),
        "{e}"
    );
    let e = checked(Path::new("package.json"), b"{}", b"{} # x\n").unwrap_err();
    assert!(
        e.starts_with("the change broke package.json: invalid JSON: trailing characters at line 1"),
        "{e}"
    );
    let e = checked(Path::new("a.yaml"), b"a: 1\n", b"a: 1\n b: [\n").unwrap_err();
    assert!(
        e.starts_with("the change broke a.yaml: invalid YAML"),
        "{e}"
    );
    // Broken before the change too: not held against it.
    let note = checked(Path::new("a.toml"), b"= x", b"= x\n# c\n").unwrap();
    assert!(
        note.unwrap()
            .contains("did not parse as TOML before the change either"),
        "not checked"
    );
    assert_eq!(checked(Path::new("a.py"), b"x", b"( ( ("), Ok(None));
}

fn run_script(
    dir: &Path,
    body: &str,
    timeout: Option<std::time::Duration>,
) -> (Result<(), (RunStatus, String)>, String) {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("change.sh");
    std::fs::write(&script, body).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ctx = dir.join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    let log_path = dir.join("run.log");
    let mut log = std::fs::File::create(&log_path).unwrap();
    let (_tx, mut rx) = tokio::sync::watch::channel(false);
    let inv = script::Invocation {
        script: &script,
        dir: &ctx,
        change: Change::Deps,
        nonce: "r9-4",
        file: Some(Path::new("package.json")),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let r = rt.block_on(script::run(&inv, &mut log, timeout, &mut rx));
    (r, std::fs::read_to_string(&log_path).unwrap())
}

#[test]
fn the_change_script_runs_in_the_copy_with_the_change_in_its_environment() {
    let dir = tempfile::tempdir().unwrap();
    let (r, log) = run_script(
        dir.path(),
        "#!/bin/sh\necho \"$CACHEBENCH_CHANGE $CACHEBENCH_NONCE $CACHEBENCH_FILE $(pwd)\" > seen\n\
         echo done\n",
        None,
    );
    assert_eq!(r, Ok(()), "{log}");
    let seen = std::fs::read_to_string(dir.path().join("ctx/seen")).unwrap();
    let ctx: PathBuf = std::fs::canonicalize(dir.path().join("ctx")).unwrap();
    assert_eq!(
        seen.trim(),
        format!("deps r9-4 package.json {}", ctx.display())
    );
    assert!(log.contains("[stdout] done"), "{log}");
}

#[test]
fn a_failing_change_script_fails_the_run_with_its_first_stderr_line() {
    let dir = tempfile::tempdir().unwrap();
    let (r, log) = run_script(
        dir.path(),
        "#!/bin/sh\necho working\necho 'npm error code E404' >&2\necho 'more' >&2\nexit 3\n",
        None,
    );
    assert_eq!(
        r,
        Err((
            RunStatus::Failed,
            "the change script failed: npm error code E404 (exited with code 3)".into()
        ))
    );
    assert!(
        log.contains("cachebench: the change script exited with code 3\n---"),
        "{log}"
    );
    assert!(log.contains("------ output ------"), "{log}");
    let (r, _) = run_script(dir.path(), "#!/bin/sh\nexit 1\n", None);
    assert_eq!(
        r,
        Err((
            RunStatus::Failed,
            "the change script failed: exited with code 1".into()
        ))
    );
    let (r, log) = run_script(
        dir.path(),
        "#!/bin/sh\nsleep 30\n",
        Some(std::time::Duration::from_millis(300)),
    );
    assert_eq!(
        r,
        Err((RunStatus::Timeout, "the change script timed out".into())),
        "{log}"
    );
}

fn failing_log() -> String {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rawjson/failing-run.txt"),
    )
    .unwrap();
    let mut log = String::from("== measured run ==\n$ docker buildx build --progress=rawjson .\n");
    for l in text.lines() {
        log.push_str(&format!("    0.100 {l}\n"));
    }
    log.push_str("cachebench: Exited(3) in 1.000s\n");
    log
}

/// A warm build that failed in a Dockerfile step after a change is the change's
/// failure, with the step's first error line; anything else is left as it was.
#[test]
fn a_build_broken_by_the_change_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("run.log");
    std::fs::write(&log, failing_log()).unwrap();
    let t = crate::phases::timeline::Timeline {
        error: Some("process \"/bin/sh -c x\" did not complete successfully: exit code: 3".into()),
        error_vertex: Some("[3/3] RUN echo \"about to fail\" && exit 3".into()),
        ..Default::default()
    };
    let r = |state, change, role: &str, ending| {
        broken_build::reason(state, change, role, &ending, Some(&t), &log)
    };
    let got = r(State::WarmLocal, Change::Source, "build", Ending::Exited(1)).unwrap();
    assert_eq!(
        got,
        "the change broke the build: about to fail (in `[3/3] RUN echo \"about to fail\" && exit 3`; \
         the same build passed before the change)"
    );
    assert!(r(State::WarmRemote, Change::Deps, "build", Ending::Exited(1)).is_some());
    assert_eq!(
        r(State::Cold, Change::Source, "build", Ending::Exited(1)),
        None
    );
    assert_eq!(
        r(State::WarmLocal, Change::None, "build", Ending::Exited(1)),
        None
    );
    assert_eq!(
        r(State::WarmLocal, Change::Source, "push", Ending::Exited(1)),
        None
    );
    assert_eq!(
        r(State::WarmLocal, Change::Source, "build", Ending::TimedOut),
        None
    );
    let export = crate::phases::timeline::Timeline {
        error_vertex: Some("exporting to image".into()),
        ..t.clone()
    };
    assert_eq!(
        broken_build::reason(
            State::WarmLocal,
            Change::Source,
            "build",
            &Ending::Exited(1),
            Some(&export),
            &log
        ),
        None
    );
    assert!(broken_build::is_dockerfile_step("Step 3/9 : RUN x"));
    assert!(broken_build::is_dockerfile_step("[deps 2/3] RUN npm ci"));
    assert!(!broken_build::is_dockerfile_step(
        "[internal] load build definition from Dockerfile"
    ));
    let lines: Vec<String> = [
        "> app@1.0.0 build",
        "npm error code EJSONPARSE",
        "npm error x",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(
        broken_build::first_error_line(&lines).as_deref(),
        Some("npm error code EJSONPARSE")
    );
}

#[test]
fn changes_touch_only_the_copy() {
    let src = tempfile::tempdir().unwrap();
    std::fs::create_dir(src.path().join("src")).unwrap();
    std::fs::write(src.path().join("src/a.txt"), "a").unwrap();
    let work = tempfile::tempdir().unwrap();
    let ws = Workspace::create(
        src.path(),
        &work.path().join("ctx"),
        Some(Path::new("src/a.txt")),
        None,
    )
    .unwrap();
    let rel = ws.source_file.clone().unwrap();
    own_edit(&ws.dir, &rel, b"a", "r1-1").unwrap();
    assert_eq!(
        std::fs::read_to_string(src.path().join("src/a.txt")).unwrap(),
        "a"
    );
    let a = std::fs::read_to_string(work.path().join("ctx/src/a.txt")).unwrap();
    assert_eq!(a, "a\n# cachebench change r1-1\n");
}

#[test]
fn the_legacy_builders_failing_step_output() {
    assert_eq!(
        broken_build::without_colours("\u{1b}[91merror: x\u{1b}[0m"),
        "error: x"
    );
    let raw = "== measured run ==\n$ docker build .\n    0.010 Step 1/2 : FROM x\n\
        0.020 [stdout]  ---> Using cache\n    0.030 Step 2/2 : RUN check\n\
        0.040 [stdout]  ---> Running in abc\n    0.050 error: main.txt must be one line\n\
        0.060 The command '/bin/sh -c check' returned a non-zero code: 4\n\
        cachebench: Exited(1) in 0.100s\n";
    let out = broken_build::failing_output(&crate::run::transcript::render(raw));
    assert_eq!(
        out,
        vec![
            "error: main.txt must be one line".to_string(),
            "The command '/bin/sh -c check' returned a non-zero code: 4".to_string()
        ]
    );
}
