//! Tests of option merging: defaults, names from flags and files, refused paths.

use super::*;

fn ctx() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::create_dir(d.path().join("src")).unwrap();
    std::fs::write(d.path().join("src/a.txt"), "a").unwrap();
    std::fs::write(d.path().join("deps.txt"), "d").unwrap();
    d
}

fn args(ctx: &Path) -> RunArgs {
    RunArgs {
        context: Some(ctx.to_path_buf()),
        source_file: Some("src/a.txt".into()),
        ..Default::default()
    }
}

#[test]
fn defaults() {
    let d = ctx();
    let o = Options::merge(None, &args(d.path())).unwrap();
    assert_eq!(o.strategies, Strategy::ALL.to_vec());
    assert_eq!(o.states, State::ALL.to_vec());
    assert_eq!(o.changes, vec![Change::Source]);
    assert_eq!(o.image_stores, vec![ImageStore::Containerd]);
    assert!(!o.image_stores_given);
    assert_eq!(o.reps, 3);
    assert_eq!(o.scenario_name, "adhoc");
}

#[test]
fn duplicate_strategy_is_refused() {
    let d = ctx();
    let mut a = args(d.path());
    a.strategies = vec![Strategy::Push, Strategy::Push];
    let e = Options::merge(None, &a).unwrap_err().to_string();
    assert!(e.starts_with("--strategy: `push` is given twice"), "{e}");
}

#[test]
fn missing_context_and_dockerfile() {
    let d = ctx();
    let mut a = args(&d.path().join("nope"));
    let e = Options::merge(None, &a).unwrap_err().to_string();
    assert!(e.starts_with("--context: build context"), "{e}");
    a = args(d.path());
    a.dockerfile = Some("Other.Dockerfile".into());
    let e = Options::merge(None, &a).unwrap_err().to_string();
    assert!(e.starts_with("--dockerfile: Dockerfile"), "{e}");
}

#[test]
fn paths_escaping_the_context_are_refused() {
    let d = ctx();
    let mut a = args(d.path());
    a.source_file = Some("../etc/passwd".into());
    let e = Options::merge(None, &a).unwrap_err().to_string();
    assert!(e.contains("without `..`"), "{e}");
    a.source_file = Some("/etc/passwd".into());
    assert!(Options::merge(None, &a).is_err());
    a = args(d.path());
    a.dockerfile = Some("../Dockerfile".into());
    assert!(Options::merge(None, &a).is_err());
}

#[test]
fn build_args_are_checked_and_flags_override() {
    let d = ctx();
    let mut a = args(d.path());
    a.build_args = vec!["A=1".into(), "A=2".into()];
    let o = Options::merge(None, &a).unwrap();
    assert_eq!(o.build_args, vec![("A".into(), "2".into())]);
    a.build_args = vec!["NOEQUALS".into()];
    assert!(Options::merge(None, &a).is_err());
    a.build_args = vec!["A=x\ny".into()];
    let e = Options::merge(None, &a).unwrap_err().to_string();
    assert!(e.contains("newline"), "{e}");
    a.build_args = vec!["A B=1".into()];
    assert!(Options::merge(None, &a).is_err());
}

#[test]
fn scenario_keys_are_named_in_errors() {
    let d = ctx();
    let path = d.path().join("s.toml");
    std::fs::write(
        &path,
        "[workload]\ncontext = \".\"\nsource_file = \"src/a.txt\"\n[matrix]\nstates = [\"cold\", \"hot\"]\n",
    )
    .unwrap();
    let e = Options::resolve(Some(&path), &RunArgs::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("s.toml: line 5: matrix.states[1]: unknown state `hot`"),
        "{e}"
    );
    std::fs::write(
        &path,
        "[workload]\ncontext = \".\"\nsource_file = \"src/a.txt\"\n[run]\nreps = -1\n",
    )
    .unwrap();
    let e = Options::resolve(Some(&path), &RunArgs::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("run.reps: -1 is out of range"), "{e}");
    std::fs::write(
        &path,
        "[workload]\ncontext = \".\"\nsource_file = \"src/a.txt\"\n[run]\nreps = 99999999999\n",
    )
    .unwrap();
    assert!(Options::resolve(Some(&path), &RunArgs::default()).is_err());
}

#[test]
fn image_stores_from_flags_and_file() {
    let d = ctx();
    let mut a = args(d.path());
    a.image_stores = vec![ImageStore::Classic, ImageStore::Containerd];
    let o = Options::merge(None, &a).unwrap();
    assert_eq!(
        o.image_stores,
        vec![ImageStore::Classic, ImageStore::Containerd]
    );
    assert!(o.image_stores_given);
    assert!(o
        .to_toml()
        .contains("image_stores = [\"classic\", \"containerd\"]"));
    let path = d.path().join("s.toml");
    std::fs::write(
        &path,
        "[workload]\ncontext = \".\"\nsource_file = \"src/a.txt\"\n[matrix]\nimage_stores = [\"classic\", \"zfs\"]\n",
    )
    .unwrap();
    let e = Options::resolve(Some(&path), &RunArgs::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("s.toml: line 5: matrix.image_stores[1]: unknown image store `zfs`"),
        "{e}"
    );
}

#[test]
fn egress_probe_values_are_checked() {
    use super::checks::check_egress_probe as check;
    assert!(check("none").is_ok());
    assert!(check("http://mirror.example/debian/").is_ok());
    assert!(check("https://x.example").is_ok());
    for bad in ["", "ftp://x", "http://", "mirror.example", "http://a b"] {
        assert!(check(bad).unwrap_err().contains("is not a URL"), "{bad}");
    }
}

#[test]
fn change_needs_its_file() {
    let d = ctx();
    let mut a = args(d.path());
    a.changes = vec![Change::Deps];
    let e = Options::merge(None, &a).unwrap_err().to_string();
    assert!(e.contains("--deps-file"), "{e}");
}

#[test]
fn bad_timeout_and_registry() {
    let d = ctx();
    let mut a = args(d.path());
    a.timeout = Some("soon".into());
    assert!(Options::merge(None, &a)
        .unwrap_err()
        .to_string()
        .starts_with("--timeout"));
    a = args(d.path());
    a.registry = Some("https://x".into());
    assert!(Options::merge(None, &a).is_err());
}

#[test]
fn container_strategies_limit_docker_container_cells() {
    let d = ctx();
    let path = d.path().join("s.toml");
    let base = "[workload]\ncontext = \".\"\nsource_file = \"src/a.txt\"\n[matrix]\nstrategies = [\"legacy\", \"buildkit\", \"push\"]\nstates = [\"cold\"]\nbuilders = [\"docker\", \"docker-container\"]\n";
    std::fs::write(
        &path,
        format!("{base}container_strategies = [\"buildkit\", \"turbo\"]\n"),
    )
    .unwrap();
    let e = Options::resolve(Some(&path), &RunArgs::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("matrix.container_strategies[1]: unknown strategy `turbo`"),
        "{e}"
    );
    std::fs::write(
        &path,
        format!("{base}container_strategies = [\"buildkit\"]\n"),
    )
    .unwrap();
    let o = Options::resolve(Some(&path), &RunArgs::default()).unwrap();
    assert_eq!(o.container_strategies, Some(vec![Strategy::Buildkit]));
    assert!(o
        .to_toml()
        .contains("container_strategies = [\"buildkit\"]"));
}

/// Options from a scenario file with `text` (written in a fresh folder).
fn from_file(d: &tempfile::TempDir, text: &str, a: &RunArgs) -> Result<Options> {
    let p = d.path().join("s.toml");
    std::fs::write(&p, text).unwrap();
    Options::resolve(Some(&p), a)
}

#[test]
fn cache_mode_defaults_to_max_and_a_bad_one_names_its_key() {
    let d = ctx();
    let a = args(d.path());
    assert_eq!(
        Options::merge(None, &a).unwrap().cache_mode,
        crate::config::matrix::CacheMode::Max
    );
    let o = from_file(&d, "[run]\ncache_mode = \"min\"\n", &a).unwrap();
    assert_eq!(o.cache_mode, crate::config::matrix::CacheMode::Min);
    let e = from_file(&d, "[run]\ncache_mode = \"tiny\"\n", &a)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("line 2: run.cache_mode: unknown cache mode `tiny`"),
        "{e}"
    );
}

#[test]
fn cost_prices_are_read_and_bad_ones_name_their_key() {
    let d = ctx();
    let a = args(d.path());
    assert_eq!(Options::merge(None, &a).unwrap().prices, None);
    let o = from_file(
        &d,
        "[cost]\nstorage_per_gb_month = 0.1\ntransfer_per_gb = 0.09\ncurrency = \"USD\"\n",
        &a,
    )
    .unwrap();
    let p = o.prices.unwrap();
    assert_eq!((p.storage_per_gb_month, p.transfer_per_gb), (0.1, 0.09));
    assert_eq!(p.currency, "USD");
    let e = from_file(&d, "[cost]\nstorage_per_gb_month = -1.0\n", &a)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("line 2: cost.storage_per_gb_month: price -1"),
        "{e}"
    );
    let e = from_file(&d, "[cost]\ncurrency = \"USD\"\n", &a)
        .unwrap_err()
        .to_string();
    assert!(e.contains("cost: give cost.storage_per_gb_month"), "{e}");
    let e = from_file(&d, "[cost]\nstorage_per_gb = 1.0\n", &a)
        .unwrap_err()
        .to_string();
    assert!(e.contains("cost.storage_per_gb"), "{e}");
}

#[test]
fn disturbed_share_defaults_to_ten_percent_and_a_bad_one_names_its_flag_or_key() {
    let d = ctx();
    let mut a = args(d.path());
    let o = Options::merge(None, &a).unwrap();
    assert_eq!(o.disturbed_share, 0.10);
    assert!(
        o.to_toml().contains("disturbed_share = 0.1"),
        "{}",
        o.to_toml()
    );
    let o = from_file(&d, "[run]\ndisturbed_share = 1.0\n", &a).unwrap();
    assert_eq!(o.disturbed_share, 1.0, "1 counts every run");
    let e = from_file(&d, "[run]\ndisturbed_share = 0.0\n", &a)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("line 2: run.disturbed_share: 0 is out of range"),
        "{e}"
    );
    a.disturbed_share = Some(0.25);
    let o = from_file(&d, "[run]\ndisturbed_share = 0.5\n", &a).unwrap();
    assert_eq!(o.disturbed_share, 0.25, "the flag wins over the file");
    a.disturbed_share = Some(10.0);
    let e = Options::merge(None, &a).unwrap_err().to_string();
    assert!(
        e.contains("--disturbed-share: 10 is out of range") && e.contains("e.g. 0.10"),
        "{e}"
    );
}
