//! Secrets: values of token-like environment variables never reach anything
//! cachebench writes (logs, records, scenario.toml, env.json, reports), even when
//! a build echoes one.

use super::common::{
    records::{logs_containing, records},
    runs::{bin, run_env, small_args, text},
    scratch::{context_with, nonce, scratch},
};
use cachebench::records::record::RunStatus;
use std::path::Path;

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn token_like_values_are_never_written() {
    let n = nonce();
    let secrets = [
        ("ACTIONS_RUNTIME_TOKEN", format!("actions-{n}-tok")),
        ("AWS_SECRET_ACCESS_KEY", format!("awssecret/{n}+x")),
        ("AWS_SESSION_TOKEN", format!("awssession-{n}")),
        ("CB_TEST_PASSWORD", format!("hunter2-{n}")),
        ("NPM_AUTH_TOKEN", format!("npm_{n}_abc")),
    ];
    let dir = scratch();
    // The build echoes a secret (given as a build arg) into its output.
    let ctx = context_with(
        dir.path(),
        "FROM local/busybox:latest\nARG ECHO_ME\nRUN echo \"the value is $ECHO_ME\"\n",
    );
    let out = dir.path().join("out");
    let mut args = small_args(&ctx, &out, &["legacy", "buildkit"]);
    args.extend(["--build-arg".into(), format!("ECHO_ME={}", secrets[3].1)]);
    let env: Vec<(&str, &str)> = secrets.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let o = run_env(&args, dir.path(), &env);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(records(&out).iter().all(|r| r.status == RunStatus::Ok));
    let rep = std::process::Command::new(bin())
        .args(["report", out.to_str().unwrap()])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert_eq!(rep.status.code(), Some(0), "{}", text(&rep));

    let mut files = vec![];
    files_under(&out, &mut files);
    assert!(files.len() > 5, "{files:?}");
    let mut redacted_somewhere = false;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let mut t = String::from_utf8_lossy(&bytes).into_owned();
        // BuildKit's step output sits base64-encoded in the raw rawjson logs: look
        // at it decoded too.
        if f.extension().is_some_and(|e| e == "log") {
            t.push_str(&cachebench::infra::network::diagnose::output_lines(&t).join("\n"));
        }
        for (k, v) in &secrets {
            assert!(
                !t.contains(v.as_str()),
                "{k}'s value written to {}",
                f.display()
            );
        }
        redacted_somewhere |= t.contains("ECHO_ME=***");
    }
    assert!(redacted_somewhere, "the echoed build arg was not redacted");
    // The legacy builder printed the echoed value: it is masked in its log.
    let legacy_log = logs_containing(&out, "the value is ***");
    assert!(!legacy_log.is_empty(), "no masked echo in any log");
    for o in [&o, &rep] {
        let t = text(o);
        for (k, v) in &secrets {
            assert!(!t.contains(v.as_str()), "{k}'s value printed");
        }
    }
}
