use super::*;

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from([&["cachebench"], args].concat())
}

#[test]
fn matrix_flags_take_the_axes_names() {
    let Command::Run(c) = parse(&[
        "run",
        "--strategy",
        "registry-cache",
        "--state",
        "warm-local",
        "--change",
        "deps",
        "--builder",
        "docker-container",
        "--image-store",
        "classic",
        "--registry-cache-output",
        "push",
    ])
    .unwrap()
    .command
    else {
        panic!("not run");
    };
    assert_eq!(c.args.strategies, [Strategy::RegistryCache]);
    assert_eq!(c.args.states, [State::WarmLocal]);
    assert_eq!(c.args.changes, [Change::Deps]);
    assert_eq!(c.args.builders, [BuilderKind::DockerContainer]);
    assert_eq!(c.args.image_stores, [ImageStore::Classic]);
    assert_eq!(c.args.registry_cache_output, Some(CacheOutput::Push));
}

#[test]
fn a_bad_matrix_name_is_one_line_naming_the_flag() {
    let e = parse(&["run", "--strategy", "turbo"]).unwrap_err();
    assert_eq!(
        value_error(&e).unwrap(),
        format!(
            "--strategy: unknown strategy `turbo`; expected one of: {}",
            Strategy::names()
        )
    );
    let e = parse(&["plan", "--image-store", "btrfs"]).unwrap_err();
    assert_eq!(
        value_error(&e).unwrap(),
        "--image-store: unknown image store `btrfs`; expected one of: containerd, classic"
    );
    let e = parse(&["run", "--registry-cache-output", "zip"]).unwrap_err();
    assert!(value_error(&e)
        .unwrap()
        .starts_with("--registry-cache-output: unknown registry cache output `zip`"));
    // Other mistakes are clap's to explain.
    let e = parse(&["run", "--no-such-flag"]).unwrap_err();
    assert_eq!(value_error(&e), None);
}

#[test]
fn help_lists_the_accepted_names() {
    let help = <Cli as clap::CommandFactory>::command()
        .find_subcommand_mut("run")
        .unwrap()
        .render_long_help()
        .to_string()
        // Joined as one line: help wraps to the terminal.
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for names in [
        Strategy::names(),
        State::names(),
        Change::names(),
        BuilderKind::names(),
        ImageStore::names(),
    ] {
        assert!(
            help.contains(&format!("[possible values: {names}]")),
            "{names}\n{help}"
        );
    }
}
