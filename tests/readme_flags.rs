//! The README's flag table is checked against clap's own list of `cachebench run`'s
//! flags, both ways: every flag clap accepts has a row, and every row names a flag
//! clap accepts. So the table cannot drift from the code again.

use clap::CommandFactory;
use std::collections::BTreeSet;

/// `--flag` names in the first column of the README's flag table (rows that start
/// with a flag in backticks).
fn documented(readme: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_table = false;
    for line in readme.lines() {
        if line.starts_with("| flag | scenario key | meaning |") {
            in_table = true;
            continue;
        }
        if in_table && !line.starts_with('|') {
            break;
        }
        if !in_table {
            continue;
        }
        let first = line
            .trim_start_matches('|')
            .split(" | ")
            .next()
            .unwrap_or("");
        for code in first.split('`').skip(1).step_by(2) {
            if let Some(flag) = code.strip_prefix("--") {
                let name: String = flag
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '-')
                    .collect();
                out.insert(name);
            }
        }
    }
    out
}

/// The long flags clap accepts for `cachebench run` (help and version aside).
fn accepted() -> BTreeSet<String> {
    let cmd = cachebench::config::cli::Cli::command();
    let run = cmd
        .get_subcommands()
        .find(|s| s.get_name() == "run")
        .expect("a run subcommand");
    run.get_arguments()
        .filter_map(|a| a.get_long())
        .filter(|l| *l != "help" && *l != "version")
        .map(String::from)
        .collect()
}

#[test]
fn the_readme_flag_table_is_clap_s_list_of_run_flags() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let (doc, cli) = (documented(&readme), accepted());
    assert!(cli.len() > 20, "clap lists only {cli:?}");
    let missing: Vec<&String> = cli.difference(&doc).collect();
    let unknown: Vec<&String> = doc.difference(&cli).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "README.md's flag table against `cachebench run --help`: no row for {missing:?}; rows for flags run does not take: {unknown:?}"
    );
}

#[test]
fn the_table_parser_reads_every_flag_of_a_row() {
    let t = "| flag | scenario key | meaning |\n|---|---|---|\n| `--a N` | `x` | m `--not-this` |\n| `--b-c DUR`, `--d` | y | z |\n| – | `k` | no flag |\n\nafter\n| `--e` | | |\n";
    let d: Vec<String> = documented(t).into_iter().collect();
    assert_eq!(d, ["a", "b-c", "d"]);
}
