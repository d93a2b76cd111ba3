//! Bad and hostile input: one clear line naming file, line and key, exit 2,
//! nothing run or created; build args passed verbatim (argv, never a shell); and a
//! property test that the scenario parser and the options merge never panic.

use super::common::{
    records::records,
    runs::{assert_usage_error, cachebench, run_env, small_args, text},
    scratch::{context_with, nonce, scratch},
};
use cachebench::records::record::RunStatus;
use proptest::prelude::*;

/// A scenario file next to a minimal context; returns (file, out).
fn scenario(dir: &std::path::Path, body: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let ctx = dir.join("ctx");
    std::fs::create_dir_all(ctx.join("src")).unwrap();
    std::fs::write(ctx.join("Dockerfile"), "FROM local/busybox:latest\n").unwrap();
    std::fs::write(ctx.join("src/a.txt"), "a").unwrap();
    let f = dir.join("hostile.toml");
    std::fs::write(
        &f,
        format!("[workload]\ncontext = \"ctx\"\nsource_file = \"src/a.txt\"\n{body}"),
    )
    .unwrap();
    (f, dir.join("out"))
}

#[test]
fn hostile_scenario_files_get_one_line_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str)] = &[
        (
            "[run]\nreps = \"three\"\n",
            "hostile.toml: line 5, key `run.reps`",
        ),
        ("[run]\nrepz = 3\n", "hostile.toml: line 5, key `run.repz`"),
        (
            "[matrix]\nstrategies = [\"push\", \"push\"]\n",
            "hostile.toml: line 5: matrix.strategies[1]: `push` is given twice",
        ),
        (
            "[run]\nreps = -1\n",
            "hostile.toml: line 5: run.reps: -1 is out of range",
        ),
        (
            "[run]\nreps = 4000000000\n",
            "hostile.toml: line 5: run.reps: 4000000000 is out of range",
        ),
        (
            "[run]\ntimeout = \"forever\"\n",
            "hostile.toml: line 5: run.timeout",
        ),
        (
            "[workload.build_args]\nK = \"a\\nb\"\n",
            "hostile.toml: line 5: workload.build_args.K",
        ),
        (
            "[engine]\nallow_prune = \"yes\"\n",
            "key `engine.allow_prune`",
        ),
    ];
    for (body, needle) in cases {
        let (f, out) = scenario(dir.path(), body);
        let o = cachebench(&["run", f.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert_usage_error(&o, needle);
        assert!(!out.exists(), "{body}: created {}", out.display());
    }
    // Paths escaping the context: `..` and absolute.
    for (key, val, needle) in [
        ("source_file", "../../etc/passwd", "workload.source_file"),
        ("source_file", "/etc/passwd", "workload.source_file"),
        ("dockerfile", "../Dockerfile", "workload.dockerfile"),
    ] {
        let f = dir.path().join("escape.toml");
        let mut body = format!("[workload]\ncontext = \"ctx\"\n{key} = \"{val}\"\n");
        if key != "source_file" {
            body.push_str("source_file = \"src/a.txt\"\n");
        }
        std::fs::write(&f, body).unwrap();
        let out = dir.path().join("out");
        let o = cachebench(&["run", f.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert_usage_error(&o, &format!("escape.toml: line 3: {needle}"));
        assert!(!out.exists());
    }
    // Not UTF-8.
    let f = dir.path().join("latin1.toml");
    std::fs::write(&f, b"name = \"x\"\n[run]\nnote = \"caf\xe9\"\n").unwrap();
    let o = cachebench(&["run", f.to_str().unwrap()]);
    assert_usage_error(&o, "latin1.toml: line 3: not valid UTF-8");
    // 100 MB: refused from its size, before it is read.
    let f = dir.path().join("huge.toml");
    std::fs::File::create(&f)
        .unwrap()
        .set_len(100 * 1024 * 1024)
        .unwrap();
    let o = cachebench(&["run", f.to_str().unwrap()]);
    assert_usage_error(
        &o,
        "huge.toml is 104857600 bytes; scenario files are limited to",
    );
    // Build args with a newline on the command line.
    let (_, out) = scenario(dir.path(), "");
    let o = cachebench(&[
        "run",
        "--context",
        dir.path().join("ctx").to_str().unwrap(),
        "--build-arg",
        "K=a\nb",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_usage_error(&o, "--build-arg");
}

/// A build arg full of shell metacharacters arrives verbatim (checked inside the
/// build) and nothing is executed on the host.
#[test]
fn build_args_with_shell_metacharacters_are_passed_verbatim() {
    let n = nonce();
    let marker = format!("/tmp/pwned-{n}");
    let value = format!("$(touch {marker}); rm -rf \"$HOME\"/nothing `touch {marker}` | & > <");
    let dir = scratch();
    let quoted = value.replace('\'', "'\\''");
    let ctx = context_with(
        dir.path(),
        &format!(
            "FROM local/busybox:latest\nARG X\nRUN test \"$X\" = '{quoted}' && echo verbatim\n"
        ),
    );
    let out = dir.path().join("out");
    let mut args = small_args(&ctx, &out, &["buildkit", "legacy"]);
    args.extend(["--build-arg".into(), format!("X={value}")]);
    let o = run_env(&args, dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in records(&out) {
        assert_eq!(r.status, RunStatus::Ok, "{r:#?}");
        assert!(r.commands[0].argv.contains(&format!("X={value}")), "{r:#?}");
    }
    assert!(
        !std::path::Path::new(&marker).exists(),
        "{marker} was created"
    );
}

fn tomlish() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "name",
        "context",
        "dockerfile",
        "source_file",
        "deps_file",
        "strategies",
        "states",
        "changes",
        "builders",
        "reps",
        "warmup",
        "timeout",
        "out",
        "registry_cache_output",
        "docker_host",
        "allow_prune",
        "buildkit_image",
        "seed_images",
        "address",
        "K",
        "x",
    ]);
    let table = prop::sample::select(vec![
        "",
        "[workload]\n",
        "[workload.build_args]\n",
        "[matrix]\n",
        "[run]\n",
        "[engine]\n",
        "[registry]\n",
        "[[run]]\n",
        "[bogus]\n",
    ]);
    let value = prop_oneof![
        "-?[0-9]{1,22}".prop_map(|s| s),
        "\"[ -~]{0,12}\"".prop_map(|s| s.replace('\\', "")),
        Just("true".to_string()),
        Just("[\"push\", \"cold\", \"buildkit\"]".to_string()),
        Just("[]".to_string()),
        Just("\"../..\"".to_string()),
        Just("\"/etc/passwd\"".to_string()),
        Just("\"10m\"".to_string()),
        Just("{ a = 1 }".to_string()),
        Just("1e400".to_string()),
    ];
    prop::collection::vec((table, key, value), 0..8).prop_map(|v| {
        v.into_iter()
            .map(|(t, k, val)| format!("{t}{k} = {val}\n"))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary bytes never panic the parser; its error is one line.
    #[test]
    fn parser_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = cachebench::config::scenario::parse(&bytes) {
            prop_assert!(!e.contains('\n'));
        }
    }

    /// TOML-ish scenarios never panic the parser nor the merge with flags; every
    /// refusal is a usage error (exit 2) on one line.
    #[test]
    fn parse_and_merge_never_panic(text in tomlish(), reps in proptest::option::of(0u32..5000), strategy in proptest::option::of(proptest::sample::select(cachebench::config::matrix::Strategy::ALL))) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::write(dir.path().join("src/a.txt"), "a").unwrap();
        let f = dir.path().join("p.toml");
        std::fs::write(&f, &text).unwrap();
        let args = cachebench::config::cli::RunArgs {
            context: Some(dir.path().to_path_buf()),
            source_file: Some("src/a.txt".into()),
            reps: reps.map(cachebench::config::reps::RepsArg::Count),
            strategies: strategy.into_iter().collect(),
            ..Default::default()
        };
        if let Err(e) = cachebench::config::options::Options::resolve(Some(&f), &args) {
            prop_assert_eq!(e.exit_code(), 2);
            prop_assert!(!e.to_string().contains('\n'), "{}", e);
        }
    }
}
