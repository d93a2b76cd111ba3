//! Changes on a real engine: cachebench's own change keeps a JSON manifest and a
//! JavaScript source valid and the build reads them (its steps check the changed
//! files, and every run proves its state); a change script makes the change in
//! the copy; a failing script, a script that breaks a JSON file and a build that
//! only the change broke are failed runs that say so; a lock file is refused
//! before anything runs.

use super::common::{
    records::{ok_runs_allowing_the_engine_race, records},
    runs::{assert_usage_error, run, run_env, text},
    scratch::{context_with, scratch},
};
use cachebench::records::record::{RunKind, RunRecord, RunStatus};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// A context whose build reads `package.json` (after copying it alone, as a
/// Node.js Dockerfile does) and `src/main.js`, and checks each is still of its
/// kind: the JSON an object with cachebench's key, the JS with its comment.
fn node_like_context(dir: &Path) -> std::path::PathBuf {
    let ctx = context_with(
        dir,
        "ARG BASE=local/busybox:latest\nFROM ${BASE}\nWORKDIR /app\n\
         RUN echo base > /base.txt\n\
         COPY package.json ./\n\
         RUN head -c 1 package.json | grep -q '{' && tail -n 1 package.json | grep -qx '}' \
         && ! grep -q '^#' package.json && echo \"keys: $(grep -c cachebenchChange package.json)\"\n\
         COPY src/ ./src/\n\
         RUN ! grep -q '^#' src/main.js && tail -n 1 src/main.js\n",
    );
    std::fs::create_dir_all(ctx.join("src")).unwrap();
    std::fs::write(
        ctx.join("package.json"),
        "{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {}\n}\n",
    )
    .unwrap();
    std::fs::write(ctx.join("package-lock.json"), "{}\n").unwrap();
    std::fs::write(ctx.join("src/main.js"), "console.log('hi');\n").unwrap();
    ctx
}

fn args(ctx: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "run",
        "--context",
        ctx.to_str().unwrap(),
        "--source-file",
        "src/main.js",
        "--deps-file",
        "package.json",
        "--strategy",
        "buildkit",
        "--state",
        "warm-local",
        "--timeout",
        "5m",
        "--out",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn measured(out: &Path) -> Vec<RunRecord> {
    records(out)
        .into_iter()
        .filter(|r| r.kind == RunKind::Measured && r.status != RunStatus::Skipped)
        .collect()
}

fn transcript_of(out: &Path, r: &RunRecord) -> String {
    let p = out.join(&r.log).with_extension("txt");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn log_of(out: &Path, r: &RunRecord) -> String {
    std::fs::read_to_string(out.join(&r.log)).unwrap_or_else(|e| panic!("{}: {e}", r.log))
}

/// cachebench's own changes, twice per cell (the second run stands on the first):
/// the build's checks pass and every run proves its changed step ran.
#[test]
fn own_changes_keep_json_and_javascript_valid_and_the_build_reads_them() {
    let dir = scratch();
    let ctx = node_like_context(dir.path());
    let out = dir.path().join("out");
    let o = run_env(
        &args(
            &ctx,
            &out,
            &["--change", "source", "--change", "deps", "--reps", "2"],
        ),
        dir.path(),
        &[],
    );
    let runs = measured(&out);
    let ok = ok_runs_allowing_the_engine_race(&o, &runs);
    assert_eq!(runs.len(), 4, "{runs:#?}");
    assert!(!ok.is_empty());
    for r in &ok {
        let cell = format!("{} rep {}", r.cell(), r.rep);
        assert_eq!(r.state_check, "ok", "{cell}: {}", r.state_check);
        let log = log_of(&out, r);
        match r.change.as_str() {
            "deps" => {
                assert!(
                    log.contains(
                        "== prepare: deps change: adds the key \"cachebenchChange\" (its value \""
                    ),
                    "{cell}: {log}"
                );
                let step = r
                    .step_details
                    .iter()
                    .find(|s| s.name.contains("grep -c cachebenchChange"))
                    .unwrap_or_else(|| panic!("{cell}: {:#?}", r.step_details));
                assert!(
                    !step.cached,
                    "{cell}: the step reading package.json must run"
                );
                // The build saw the key, once, in a file that is still an object.
                let txt = transcript_of(&out, r);
                assert!(txt.contains("    | keys: 1"), "{cell}: {txt}");
            }
            _ => assert!(
                log.contains("== prepare: source change: appends \"// cachebench change "),
                "{cell}: {log}"
            ),
        }
    }
    // The user's files are never changed.
    assert_eq!(
        std::fs::read_to_string(ctx.join("package.json")).unwrap(),
        "{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {}\n}\n"
    );
}

fn script(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p.display().to_string()
}

/// A change script makes the deps change (a pinned line, as a team's bump would);
/// one that fails, and one that leaves invalid JSON, fail their run before the
/// build with the reason.
#[test]
fn a_change_script_makes_the_change_and_its_failures_are_the_runs() {
    let dir = scratch();
    let ctx = context_with(
        dir.path(),
        "ARG BASE=local/busybox:latest\nFROM ${BASE}\nWORKDIR /app\n\
         RUN echo base > /base.txt\n\
         COPY requirements.txt ./\n\
         RUN cat requirements.txt\n",
    );
    std::fs::write(ctx.join("requirements.txt"), "flask==3.0.0\n").unwrap();
    std::fs::write(ctx.join("package.json"), "{}\n").unwrap();
    let bump = script(
        dir.path(),
        "bump.sh",
        "#!/bin/sh\nset -e\ntest \"$CACHEBENCH_CHANGE\" = deps\n\
         echo \"extra-package==1.0  # $CACHEBENCH_NONCE\" >> \"$CACHEBENCH_FILE\"\n",
    );
    let out = dir.path().join("out");
    let base = |out: &Path, deps: &str, script: &str| {
        let mut a = args(&ctx, out, &["--change", "deps", "--reps", "1"]);
        let i = a.iter().position(|x| x == "package.json").unwrap();
        a[i] = deps.into();
        let j = a.iter().position(|x| x == "--source-file").unwrap();
        a.drain(j..j + 2);
        a.extend(["--change-script".to_string(), script.to_string()]);
        a
    };
    // Two runs: with the containerd store a warm-local build can hit the engine's
    // snapshot race (moby/buildkit#6521); the second run, re-warmed, then proves it.
    let mut first = base(&out, "requirements.txt", &bump);
    let reps = first.iter().position(|x| x == "--reps").unwrap();
    first[reps + 1] = "2".into();
    let o = run_env(&first, dir.path(), &[]);
    let runs = measured(&out);
    let ok = ok_runs_allowing_the_engine_race(&o, &runs);
    assert!(!ok.is_empty(), "no run ended ok:\n{}", text(&o));
    for r in ok {
        assert_eq!(r.state_check, "ok", "{}", r.state_check);
        let log = log_of(&out, &r);
        assert!(
            log.contains("== prepare: deps change: runs ") && log.contains("bump.sh"),
            "{log}"
        );
        assert!(
            log.contains("cachebench: the change script changed requirements.txt"),
            "{log}"
        );
        // The build read the pinned line the script added, in the copy.
        let txt = transcript_of(&out, &r);
        assert!(txt.contains("    | extra-package==1.0  # "), "{txt}");
    }
    assert_eq!(
        std::fs::read_to_string(ctx.join("requirements.txt")).unwrap(),
        "flask==3.0.0\n"
    );

    let failing = script(
        dir.path(),
        "fail.sh",
        "#!/bin/sh\necho 'bump: no such package' >&2\nexit 3\n",
    );
    let out2 = dir.path().join("out2");
    let o = run_env(&base(&out2, "requirements.txt", &failing), dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = &measured(&out2)[0];
    assert_eq!(r.status, RunStatus::Failed);
    assert_eq!(
        r.reason,
        "the change script failed: bump: no such package (exited with code 3)"
    );
    assert!(
        log_of(&out2, r).contains("--------- output ---------"),
        "{}",
        log_of(&out2, r)
    );

    let breaking = script(
        dir.path(),
        "break.sh",
        "#!/bin/sh\necho '# bumped' >> \"$CACHEBENCH_FILE\"\n",
    );
    let out3 = dir.path().join("out3");
    let o = run_env(&base(&out3, "package.json", &breaking), dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = &measured(&out3)[0];
    assert_eq!(r.status, RunStatus::Failed);
    assert!(
        r.reason
            .starts_with("the change broke package.json: invalid JSON: trailing characters"),
        "{}",
        r.reason
    );
    assert!(
        !log_of(&out3, r).contains("== measured run =="),
        "no build after a broken change"
    );
}

/// A build that passed warm and fails only after the change is reported as the
/// change's failure, with the step's first error line, in the record and report,
/// run after run.
#[test]
fn a_build_only_the_change_broke_says_so() {
    let dir = scratch();
    let ctx = context_with(
        dir.path(),
        "ARG BASE=local/busybox:latest\nFROM ${BASE}\nWORKDIR /app\n\
         RUN echo base > /base.txt\n\
         COPY src/ ./src/\n\
         RUN if [ \"$(wc -l < src/main.txt)\" -ne 1 ]; then \
         echo 'error: main.txt must be one line' >&2; exit 4; fi\n",
    );
    std::fs::create_dir_all(ctx.join("src")).unwrap();
    std::fs::write(ctx.join("src/main.txt"), "one line\n").unwrap();
    let out = dir.path().join("out");
    let mut a = args(
        &ctx,
        &out,
        &["--change", "source", "--reps", "2", "--strategy", "legacy"],
    );
    let i = a.iter().position(|x| x == "src/main.js").unwrap();
    a[i] = "src/main.txt".into();
    let j = a.iter().position(|x| x == "--deps-file").unwrap();
    a.drain(j..j + 2);
    let o = run_env(&a, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // The second run warms again on a fresh copy (not the one the change broke),
    // and its change breaks the build again.
    // BuildKit and the legacy builder alike.
    let runs = measured(&out);
    assert_eq!(runs.len(), 4, "{runs:#?}");
    for r in &runs {
        assert_eq!(r.status, RunStatus::Failed, "{}", r.strategy);
        assert!(
            r.reason
                .starts_with("the change broke the build: error: main.txt must be one line (in `"),
            "{}: {}",
            r.strategy,
            r.reason
        );
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("failed: the change broke the build: error: main.txt must be one line"),
        "{report}"
    );
}

/// A lock file is refused before anything runs, by `plan` and `run` alike.
#[test]
fn a_json_lock_file_is_refused_at_plan_time() {
    let dir = scratch();
    let ctx = node_like_context(dir.path());
    let out = dir.path().join("out");
    for cmd in ["plan", "run"] {
        let mut a = args(&ctx, &out, &["--change", "deps"]);
        a[0] = cmd.into();
        let i = a.iter().position(|x| x == "package.json").unwrap();
        a[i] = "package-lock.json".into();
        let o = run(&a);
        assert_usage_error(
            &o,
            "point --deps-file at package.json, the manifest beside it",
        );
    }
    assert!(!out.join("runs.jsonl").exists());
}
