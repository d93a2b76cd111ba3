//! `cachebench run --resume OUT`: the options of a matrix continued from what OUT
//! recorded (its resolved `scenario.toml`), the flags given with it checked against
//! that record key by key, and which runs of it are already done, with their records
//! ([`Done`]: the scheduler skips them, and `--reps auto`'s stop rule counts them).

use crate::config::cli::RunArgs;
use crate::config::options::Options;
use crate::error::{Error, Result};
use crate::records::record::{RunKind, RunRecord, RunStatus};
use crate::records::results_writer;
use std::collections::HashMap;
use std::path::Path;

/// A run of the matrix: its cell's key, its rep and its kind.
pub type RunId = (String, u32, RunKind);

/// The runs OUT already holds (every record but the interrupted ones), by run.
pub type Done = HashMap<RunId, RunRecord>;

/// Scenario keys and the flag that sets each, to name the flag in a refusal.
const FLAGS: &[(&str, &str)] = &[
    ("workload.context", "--context"),
    ("workload.dockerfile", "--dockerfile"),
    ("workload.source_file", "--source-file"),
    ("workload.deps_file", "--deps-file"),
    ("workload.change_script", "--change-script"),
    ("workload.build_args", "--build-arg"),
    ("matrix.strategies", "--strategy"),
    ("matrix.states", "--state"),
    ("matrix.changes", "--change"),
    ("matrix.builders", "--builder"),
    ("matrix.image_stores", "--image-store"),
    ("run.reps", "--reps"),
    ("run.min_reps", "--min-reps"),
    ("run.max_reps", "--max-reps"),
    ("run.confidence", "--confidence"),
    ("run.margin", "--margin"),
    ("run.margin_floor", "--margin-floor"),
    ("run.race", "--no-race"),
    ("run.change_mix", "--change-mix"),
    ("run.disturbed_share", "--disturbed-share"),
    ("run.warmup", "--warmup"),
    ("run.timeout", "--timeout"),
    ("run.registry_cache_output", "--registry-cache-output"),
    ("run.local_cache_rotate", "--local-cache-rotate"),
    ("run.gha_protocol", "--gha-protocol"),
    ("run.cache_mode", "--cache-mode"),
    ("engine.docker_host", "--docker-host"),
    ("engine.allow_prune", "--allow-prune"),
    ("engine.buildkit_image", "--buildkit-image"),
    ("engine.seed_images", "--seed-image"),
    ("engine.egress_probe", "--egress-probe"),
    ("registry.address", "--registry"),
];

/// The options of `run --resume OUT`: OUT's recorded scenario with the flags given
/// now merged over it (or, when a scenario file is given, that file and the flags).
/// Refuses, naming the key, when they differ from the record.
pub fn options(scenario: Option<&Path>, args: &RunArgs, out: &Path) -> Result<Options> {
    let recorded_path = out.join("scenario.toml");
    if !recorded_path.is_file() {
        return Err(Error::usage(format!(
            "--resume: {} has no scenario.toml; it is not a cachebench results folder",
            out.display()
        )));
    }
    if let Some(o) = &args.out {
        if !same_folder(o, out) {
            return Err(Error::usage(format!(
                "--out: {} is not the folder --resume continues ({}); give only --resume OUT",
                o.display(),
                out.display()
            )));
        }
    }
    let recorded = crate::config::scenario::load(&recorded_path)
        .map_err(|e| Error::usage(format!("--resume: {e}")))?;
    for (k, v) in &recorded.scenario.workload.build_args {
        let given = args
            .build_args
            .iter()
            .any(|a| a.split('=').next() == Some(k));
        if v.get_ref().contains(crate::records::redact::MASK) && !given && scenario.is_none() {
            return Err(Error::usage(format!(
                "--resume: build arg {k} is redacted in {}; give it again with --build-arg {k}=VALUE",
                recorded_path.display()
            )));
        }
    }
    let opts = match scenario {
        Some(s) => Options::resolve(Some(s), args)?,
        None => Options::merge(Some(&recorded), args)?,
    };
    let now = crate::records::redact::text(&opts.to_toml()).into_owned();
    if let Some((key, given, was)) = first_difference(&recorded.text, &now) {
        let what = match FLAGS.iter().find(|(k, _)| *k == key) {
            Some((_, flag)) if scenario.is_none() => format!("{flag} ({key})"),
            _ => key.clone(),
        };
        return Err(Error::usage(format!(
            "--resume: {what} is {given} now but {was} in {}; drop it to continue as recorded, \
             or run a new matrix with --out",
            recorded_path.display()
        )));
    }
    Ok(opts)
}

fn same_folder(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// The first dotted key (other than `run.out`) whose value differs between two
/// resolved scenarios, with the value in `now` and in `recorded` (`unset` when
/// absent).
fn first_difference(recorded: &str, now: &str) -> Option<(String, String, String)> {
    let parse = |t: &str| t.parse::<toml::Table>().unwrap_or_default();
    let (a, b) = (parse(recorded), parse(now));
    let mut keys: Vec<String> = vec![];
    flatten("", &a, &mut keys);
    flatten("", &b, &mut keys);
    keys.sort();
    keys.dedup();
    let get = |t: &toml::Table, k: &str| -> Option<toml::Value> {
        let mut cur = toml::Value::Table(t.clone());
        for part in k.split('.') {
            cur = cur.get(part)?.clone();
        }
        Some(cur)
    };
    let show = |v: Option<toml::Value>| -> String {
        let s = v.map(|v| v.to_string()).unwrap_or_else(|| "unset".into());
        if s.chars().count() > 80 {
            format!("{}…", s.chars().take(80).collect::<String>())
        } else {
            s
        }
    };
    keys.into_iter()
        .filter(|k| k != "run.out")
        .find(|k| get(&a, k) != get(&b, k))
        .map(|k| {
            let (n, r) = (show(get(&b, &k)), show(get(&a, &k)));
            (k, n, r)
        })
}

/// Leaf keys of `t` (a table's keys are dotted; arrays and inline values are leaves;
/// `workload.build_args` counts as one value).
fn flatten(prefix: &str, t: &toml::Table, out: &mut Vec<String>) {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(sub) if key != "workload.build_args" => flatten(&key, sub, out),
            _ => out.push(key),
        }
    }
}

/// Which runs of an earlier matrix are complete, with their records; refuses when
/// the scenario or workload changed since.
pub fn done_runs(out: &Path, resolved: &str, workload: &str) -> Result<Done> {
    let previous = std::fs::read_to_string(out.join("scenario.toml")).map_err(|e| {
        Error::usage(format!(
            "--resume: {} has no scenario.toml ({e}); it is not a cachebench results folder",
            out.display()
        ))
    })?;
    // scenario.toml is written redacted: compare redacted with redacted.
    if strip_out(&previous) != strip_out(&crate::records::redact::text(resolved)) {
        return Err(Error::usage(format!(
            "--resume: the scenario changed since {} was started (compare its scenario.toml); \
             run it as a new matrix with --out instead",
            out.display()
        )));
    }
    let (records, warning) = if out.join(results_writer::RUNS_JSONL).exists() {
        results_writer::read_runs(out).map_err(|e| Error::usage(format!("--resume: {e:#}")))?
    } else {
        (vec![], None)
    };
    if let Some(w) = warning {
        eprintln!("cachebench: {w}");
    }
    if let Some(r) = records.iter().find(|r| r.workload != workload) {
        return Err(Error::usage(format!(
            "--resume: the workload changed since {} was started ({} then, {} now); run it as a new matrix",
            out.display(),
            r.workload,
            workload
        )));
    }
    Ok(records
        .into_iter()
        .filter(|r| r.status != RunStatus::Interrupted)
        .map(|r| ((r.cell().to_string(), r.rep, r.kind), r))
        .collect())
}

fn strip_out(toml_text: &str) -> String {
    toml_text
        .lines()
        .filter(|l| !l.starts_with("out ="))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(dir: &Path) -> std::path::PathBuf {
        let ctx = dir.join("ctx");
        std::fs::create_dir_all(ctx.join("src")).unwrap();
        std::fs::write(ctx.join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::write(ctx.join("src/a.txt"), "a").unwrap();
        let args = RunArgs {
            context: Some(ctx),
            source_file: Some("src/a.txt".into()),
            strategies: vec![crate::config::matrix::Strategy::Buildkit],
            reps: Some(crate::config::reps::RepsArg::Count(2)),
            ..Default::default()
        };
        let out = dir.join("out");
        std::fs::create_dir_all(&out).unwrap();
        let mut o = Options::merge(None, &args).unwrap();
        o.out = Some(out.clone());
        std::fs::write(out.join("scenario.toml"), o.to_toml()).unwrap();
        out
    }

    #[test]
    fn resume_alone_continues_what_was_recorded() {
        let d = tempfile::tempdir().unwrap();
        let out = recorded(d.path());
        let args = RunArgs {
            resume: Some(out.clone()),
            ..Default::default()
        };
        let o = options(None, &args, &out).unwrap();
        assert_eq!(o.reps, 2);
        assert_eq!(
            o.strategies,
            vec![crate::config::matrix::Strategy::Buildkit]
        );
        assert_eq!(
            o.context,
            std::fs::canonicalize(d.path().join("ctx")).unwrap()
        );
    }

    #[test]
    fn a_differing_flag_is_refused_by_name() {
        let d = tempfile::tempdir().unwrap();
        let out = recorded(d.path());
        let mut args = RunArgs {
            resume: Some(out.clone()),
            reps: Some(crate::config::reps::RepsArg::Count(2)),
            ..Default::default()
        };
        assert!(options(None, &args, &out).is_ok(), "the same value agrees");
        args.reps = Some(crate::config::reps::RepsArg::Count(5));
        let e = options(None, &args, &out).unwrap_err().to_string();
        assert!(
            e.starts_with("--resume: --reps (run.reps) is 5 now but 2 in"),
            "{e}"
        );
        args.reps = None;
        args.strategies = vec![crate::config::matrix::Strategy::Push];
        let e = options(None, &args, &out).unwrap_err().to_string();
        assert!(e.contains("--strategy (matrix.strategies)"), "{e}");
        args.strategies = vec![];
        args.out = Some(d.path().join("elsewhere"));
        let e = options(None, &args, &out).unwrap_err().to_string();
        assert!(e.starts_with("--out:"), "{e}");
    }

    #[test]
    fn a_folder_without_scenario_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let args = RunArgs::default();
        let e = options(None, &args, d.path()).unwrap_err().to_string();
        assert!(e.contains("has no scenario.toml"), "{e}");
    }
}
