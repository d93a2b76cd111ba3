//! `cachebench merge OUT… --out OUT`: the results folders of `run --shard I/N`
//! merged into one results folder, and its report rendered.
//!
//! Shards belong together when their shard.json agree on scenario, workload, plan
//! hash and count; a folder that disagrees is refused, naming it and the field.
//! A shard given twice is refused; a shard not given is noted (its cells are not
//! in the merged folder). Every record is kept as its shard wrote it, with the
//! shard's host in `host` and its log under `logs/shard-I/`; env.json is the first
//! shard's, with every shard's environment in `hosts`; stopping.json is the
//! shards' together (each state's cells ran in one shard); report-settings.json
//! must agree, and it and scenario.toml are the first shard's. The report then says
//! which host ran which cells, and the Decision compares only cells of one host.

use crate::config::cli::MergeCmd;
use crate::error::{exit, Error, Result};
use crate::records::environment::{load_env, HostEnv};
use crate::records::record::{RunRecord, RunStatus};
use crate::records::shard_manifest::{self, ShardManifest};
use std::path::{Path, PathBuf};

/// What a merge did.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The shards merged, in shard order.
    pub shards: Vec<ShardManifest>,
    /// `3/3` for a shard of the split that was not given.
    pub missing: Vec<String>,
    pub records: Vec<RunRecord>,
    /// Things to say: a missing shard, hosts that differ.
    pub notes: Vec<String>,
}

/// One shard folder, read and checked on its own.
struct Part {
    folder: PathBuf,
    manifest: ShardManifest,
    records: Vec<RunRecord>,
}

fn read_part(folder: &Path) -> Result<Part> {
    let shown = folder.display();
    if !folder
        .join(crate::records::results_writer::RUNS_JSONL)
        .is_file()
    {
        return Err(Error::usage(format!(
            "{shown}: no runs.jsonl; give results folders written by `cachebench run --shard I/N`"
        )));
    }
    let manifest = shard_manifest::read(folder)?.ok_or_else(|| {
        Error::usage(format!(
            "{shown}: no shard.json; it was not run with --shard I/N, so it is no shard to merge"
        ))
    })?;
    let (records, warning) =
        crate::records::results_writer::read_runs(folder).map_err(Error::Internal)?;
    if let Some(w) = warning {
        eprintln!("cachebench: warning: {w}");
    }
    for r in &records {
        for (field, got, want) in [
            ("scenario", &r.scenario, &manifest.scenario),
            ("workload", &r.workload, &manifest.workload),
        ] {
            if got != want {
                return Err(Error::usage(format!(
                    "{shown}: runs.jsonl has a run of {field} `{got}`, its shard.json says `{want}`"
                )));
            }
        }
        let key = r.cell().to_string();
        if !manifest.cells.contains(&key) {
            return Err(Error::usage(format!(
                "{shown}: runs.jsonl has a run of cell {key}, which is not in shard {}",
                manifest.shard
            )));
        }
    }
    Ok(Part {
        folder: folder.to_path_buf(),
        manifest,
        records,
    })
}

/// Checks the parts belong to one split, each once; sorts them by shard.
fn check_together(parts: &mut [Part]) -> Result<()> {
    parts.sort_by_key(|p| p.manifest.index);
    let first = &parts[0];
    for p in parts.iter().skip(1) {
        let (a, b) = (&first.manifest, &p.manifest);
        for (field, x, y) in [
            ("scenario", &a.scenario, &b.scenario),
            ("workload", &a.workload, &b.workload),
            ("plan_hash", &a.plan_hash, &b.plan_hash),
            ("count", &a.count.to_string(), &b.count.to_string()),
        ] {
            if x != y {
                return Err(Error::usage(format!(
                    "{}: shard.json's {field} is `{y}`, {}'s is `{x}`: not shards of one plan \
                     (split the same scenario, workload and flags with the same --shard N and --balance-from)",
                    p.folder.display(),
                    first.folder.display()
                )));
            }
        }
    }
    for w in parts.windows(2) {
        if w[0].manifest.index == w[1].manifest.index {
            return Err(Error::usage(format!(
                "{} and {} are both shard {}; give each shard once",
                w[0].folder.display(),
                w[1].folder.display(),
                w[0].manifest.shard
            )));
        }
    }
    Ok(())
}

/// Merges the shard folders into `out` (which must hold no runs yet). The report
/// is not rendered here.
pub fn merge(folders: &[PathBuf], out: &Path) -> Result<Merged> {
    let mut parts = folders
        .iter()
        .map(|f| read_part(f))
        .collect::<Result<Vec<Part>>>()?;
    if parts.is_empty() {
        return Err(Error::usage("merge: give the shards' results folders"));
    }
    check_together(&mut parts)?;
    if out
        .join(crate::records::results_writer::RUNS_JSONL)
        .exists()
    {
        return Err(Error::usage(format!(
            "--out: {} already holds runs; give a new folder",
            out.display()
        )));
    }
    std::fs::create_dir_all(out).map_err(|e| {
        Error::usage(format!(
            "--out: cannot create {}: {e}; give a writable folder",
            out.display()
        ))
    })?;
    let count = parts[0].manifest.count;
    let missing: Vec<String> = (1..=count)
        .filter(|i| !parts.iter().any(|p| p.manifest.index == *i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    let mut notes: Vec<String> = missing
        .iter()
        .map(|s| {
            format!(
                "shard {s} was not given: its cells are not in {}",
                out.display()
            )
        })
        .collect();

    let settings = agreed_file(
        &parts,
        crate::records::report_settings::REPORT_SETTINGS_JSON,
    )?;
    // Each part's names its own OUT: the plan's hash says they agree on the rest.
    let scenario = std::fs::read(parts[0].folder.join("scenario.toml")).ok();
    for (name, bytes) in [
        (
            crate::records::report_settings::REPORT_SETTINGS_JSON,
            settings,
        ),
        ("scenario.toml", scenario),
    ] {
        if let Some(b) = bytes {
            write(&out.join(name), &b)?;
        }
    }

    let mut writer =
        crate::records::results_writer::RecordWriter::open(out).map_err(Error::Internal)?;
    let mut records = Vec::new();
    let mut stopping = Vec::new();
    let mut hosts = Vec::new();
    for p in &parts {
        let logs = format!("logs/shard-{}", p.manifest.index);
        copy_tree(&p.folder.join("logs"), &out.join(&logs))?;
        for r in &p.records {
            let mut r = r.clone();
            r.host = p.manifest.host.clone();
            if let Some(rest) = r.log.strip_prefix("logs/") {
                r.log = format!("{logs}/{rest}");
            }
            writer.append(&r).map_err(Error::Internal)?;
            records.push(r);
        }
        stopping.extend(crate::records::stopping::read(&p.folder)?);
        hosts.push(HostEnv {
            shard: p.manifest.shard.clone(),
            folder: p.folder.display().to_string(),
            host: p.manifest.host.clone(),
            units: p.manifest.units.clone(),
            cells: p.manifest.cells.clone(),
            env: load_env(&p.folder.join("env.json"))?.unwrap_or_default(),
        });
    }
    if !stopping.is_empty() {
        crate::records::stopping::write(out, &stopping).map_err(|e| Error::Internal(e.into()))?;
    }
    notes.extend(
        crate::records::environment::host_differences(&hosts)
            .into_iter()
            .map(|d| format!("hosts differ in {d}")),
    );
    let mut env = hosts[0].env.clone();
    for h in &hosts[1..] {
        for s in &h.env.image_stores {
            if !env.image_stores.contains(s) {
                env.image_stores.push(s.clone());
            }
        }
    }
    env.hosts = hosts;
    let text = serde_json::to_string_pretty(&env).map_err(|e| Error::Internal(e.into()))?;
    write(
        &out.join("env.json"),
        crate::records::redact::text(&text).as_bytes(),
    )?;
    let shards: Vec<ShardManifest> = parts.into_iter().map(|p| p.manifest).collect();
    let summary = serde_json::json!({
        "plan_hash": shards[0].plan_hash,
        "count": count,
        "merged": shards.iter().map(|m| serde_json::json!({"shard": m.shard, "host": m.host})).collect::<Vec<_>>(),
        "missing": missing,
    });
    write(
        &out.join("shards.json"),
        serde_json::to_string_pretty(&summary)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    Ok(Merged {
        shards,
        missing,
        records,
        notes,
    })
}

/// A file every shard must hold alike (or none): its bytes, or the folder that differs.
fn agreed_file(parts: &[Part], name: &str) -> Result<Option<Vec<u8>>> {
    let read = |p: &Part| std::fs::read(p.folder.join(name)).ok();
    let first = read(&parts[0]);
    for p in &parts[1..] {
        if read(p) != first {
            return Err(Error::usage(format!(
                "{}: its {name} differs from {}'s: not shards of one run (give every shard the same flags)",
                p.folder.display(),
                parts[0].folder.display()
            )));
        }
    }
    Ok(first)
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| {
        Error::Internal(anyhow::Error::new(e).context(format!("writing {}", path.display())))
    })
}

/// Copies a folder's files (recursively); nothing when it does not exist.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(());
    };
    std::fs::create_dir_all(to).map_err(|e| {
        Error::Internal(anyhow::Error::new(e).context(format!("creating {}", to.display())))
    })?;
    for e in entries.flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        match e.file_type() {
            Ok(t) if t.is_dir() => copy_tree(&src, &dst)?,
            Ok(t) if t.is_file() => {
                std::fs::copy(&src, &dst).map_err(|err| {
                    Error::Internal(
                        anyhow::Error::new(err).context(format!("copying {}", src.display())),
                    )
                })?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// `cachebench merge OUT… --out OUT`.
pub fn merge_cmd(c: &MergeCmd) -> Result<i32> {
    let m = merge(&c.shards, &c.out)?;
    for n in &m.notes {
        eprintln!("cachebench: note: {n}");
    }
    let hosts: Vec<String> = m
        .shards
        .iter()
        .map(|s| format!("{} on {} ({} cells)", s.shard, s.host, s.cells.len()))
        .collect();
    println!(
        "merged {} of {} shards of plan {}: {}; {} records",
        m.shards.len(),
        m.shards[0].count,
        m.shards[0].plan_hash,
        hosts.join(", "),
        m.records.len()
    );
    println!("{}", crate::run::console::summary_table(&m.records));
    super::report::render_quiet(&c.out)?;
    println!("results: {}", c.out.display());
    let failed = m
        .records
        .iter()
        .any(|r| matches!(r.status, RunStatus::Failed | RunStatus::Timeout) || r.state_failed());
    Ok(if failed { exit::RUNS_FAILED } else { exit::OK })
}

#[cfg(test)]
mod tests;
