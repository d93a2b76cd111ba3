//! Refusals at plan time: a file no change can keep valid, named by its flag or
//! key with the fix; the change script's checks.

use crate::config::cli::RunArgs;
use crate::config::matrix::Change;
use crate::config::options::Options;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn ctx() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::write(d.path().join("package.json"), "{\"name\": \"x\"}\n").unwrap();
    std::fs::write(d.path().join("package-lock.json"), "{}\n").unwrap();
    std::fs::write(d.path().join("model.bin"), [0u8, 1, 2]).unwrap();
    std::fs::write(d.path().join("main.ts"), "export {};\n").unwrap();
    d
}

fn args(ctx: &Path, source: &str, deps: &str) -> RunArgs {
    RunArgs {
        context: Some(ctx.to_path_buf()),
        source_file: Some(source.into()),
        deps_file: Some(deps.into()),
        changes: vec![Change::Source, Change::Deps],
        ..Default::default()
    }
}

fn refused(a: &RunArgs) -> String {
    Options::merge(None, a).unwrap_err().to_string()
}

#[test]
fn files_of_known_kinds_pass() {
    let d = ctx();
    let o = Options::merge(None, &args(d.path(), "main.ts", "package.json")).unwrap();
    assert_eq!(o.change_script, None);
}

#[test]
fn a_json_lock_is_refused_pointing_at_its_manifest() {
    let d = ctx();
    let e = refused(&args(d.path(), "main.ts", "package-lock.json"));
    assert!(
        e.starts_with(
            "--deps-file: package-lock.json is a lock file npm writes, so cachebench does not \
             edit it: point --deps-file at package.json, the manifest beside it"
        ),
        "{e}"
    );
    assert!(
        e.contains("or give a --change-script that makes the change"),
        "{e}"
    );
}

#[test]
fn an_unknown_kind_is_refused_with_the_fix_and_the_key_in_a_scenario() {
    let d = ctx();
    let e = refused(&args(d.path(), "model.bin", "package.json"));
    assert_eq!(
        e,
        "--source-file: model.bin has no comment syntax cachebench knows (a `.bin` file): give a \
         --change-script that makes the change, or point --source-file at a file of a known type \
         (docs/changes.md lists them)"
    );
    let path = d.path().join("s.toml");
    std::fs::write(
        &path,
        "[workload]\ncontext = \".\"\nsource_file = \"model.bin\"\n",
    )
    .unwrap();
    let e = Options::resolve(Some(&path), &RunArgs::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "s.toml: line 3: workload.source_file: model.bin has no comment syntax cachebench \
             knows (a `.bin` file): give a workload.change_script that makes the change, or \
             point workload.source_file at a file of a known type"
        ),
        "{e}"
    );
    // Only the changes of the matrix count.
    let mut a = args(d.path(), "model.bin", "package.json");
    a.changes = vec![Change::Deps];
    assert!(Options::merge(None, &a).is_ok());
}

#[test]
fn a_change_script_lifts_the_refusal_and_must_be_executable() {
    let d = ctx();
    let script = d.path().join("bump.sh");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    let mut a = args(d.path(), "model.bin", "package-lock.json");
    a.change_script = Some(script.clone());
    let e = refused(&a);
    assert!(
        e.starts_with("--change-script: change script ")
            && e.contains("is not executable; run chmod +x"),
        "{e}"
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let o = Options::merge(None, &a).unwrap();
    assert_eq!(
        o.change_script.as_deref(),
        Some(std::fs::canonicalize(&script).unwrap().as_path())
    );
    a.change_script = Some(d.path().join("nope.sh"));
    assert!(refused(&a).contains("does not exist"));
    // In a scenario, relative to the file; written back in the resolved scenario.
    let path = d.path().join("s.toml");
    std::fs::write(
        &path,
        "[workload]\ncontext = \".\"\nsource_file = \"model.bin\"\nchange_script = \"bump.sh\"\n",
    )
    .unwrap();
    let o = Options::resolve(Some(&path), &RunArgs::default()).unwrap();
    assert_eq!(
        o.change_script.as_deref(),
        Some(std::fs::canonicalize(&script).unwrap().as_path())
    );
    assert!(o.to_toml().contains("change_script = "), "{}", o.to_toml());
}
