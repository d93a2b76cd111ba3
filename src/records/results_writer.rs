//! The results folder: its fixed layout, and the records appended to it after every
//! run, so that a crash or Ctrl-C loses nothing that finished.
//!
//! Layout (criterion-style; `cachebench report` re-renders from it):
//! - `runs.jsonl`: one [`RunRecord`] per line, the source of truth;
//! - `runs.csv`: the same records, flat columns ([`CSV_COLUMNS`]);
//! - `logs/`: the full log of every run;
//! - `scenario.toml`: the resolved scenario; `env.json`: the environment;
//! - `summary.*`, `report.md`, `charts/`, `benchmark.json`: rendered by `report`.

use crate::records::record::RunRecord;
use anyhow::Context;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const RUNS_JSONL: &str = "runs.jsonl";
pub const RUNS_CSV: &str = "runs.csv";
pub const LOGS: &str = "logs";

/// Appends records to `runs.csv` and `runs.jsonl`.
#[derive(Debug)]
pub struct RecordWriter {
    pub out: PathBuf,
    jsonl: File,
    csv: File,
}

impl RecordWriter {
    /// Opens (creating) the record files of `out` for appending.
    pub fn open(out: &Path) -> anyhow::Result<RecordWriter> {
        std::fs::create_dir_all(out.join(LOGS))
            .with_context(|| format!("failed to create results folder {}", out.display()))?;
        let open = |name: &str| {
            let p = out.join(name);
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(&p)
                .with_context(|| format!("failed to open {}", p.display()))
        };
        // A crash may have left a partial last line: cut it before appending.
        trim_partial_line(&out.join(RUNS_JSONL))?;
        trim_partial_line(&out.join(RUNS_CSV))?;
        let jsonl = open(RUNS_JSONL)?;
        let mut csv = open(RUNS_CSV)?;
        if csv.metadata()?.len() == 0 {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(CSV_COLUMNS)?;
            csv.write_all(&w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
            csv.sync_data()?;
        }
        Ok(RecordWriter {
            out: out.to_path_buf(),
            jsonl,
            csv,
        })
    }

    /// Appends one record to both files and syncs them to disk. Each record is
    /// written with a single `write` so a crash leaves at most a truncated last line.
    pub fn append(&mut self, r: &RunRecord) -> anyhow::Result<()> {
        // Nothing that looks like a secret reaches the records (see crate::records::redact).
        let redacted = crate::records::redact::global().value(r)?;
        let r = &redacted;
        let mut line = serde_json::to_vec(r)?;
        line.push(b'\n');
        self.jsonl
            .write_all(&line)
            .with_context(|| format!("failed to write {}", self.out.join(RUNS_JSONL).display()))?;
        self.jsonl.sync_data()?;
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        w.write_record(csv_row(r))?;
        let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        self.csv
            .write_all(&bytes)
            .with_context(|| format!("failed to write {}", self.out.join(RUNS_CSV).display()))?;
        self.csv.sync_data()?;
        Ok(())
    }
}

/// Cuts a file back to its last newline (a no-op when it ends with one or does
/// not exist).
fn trim_partial_line(path: &Path) -> anyhow::Result<()> {
    let Ok(bytes) = std::fs::read(path) else {
        return Ok(());
    };
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(());
    }
    let keep = bytes
        .iter()
        .rposition(|b| *b == b'\n')
        .map(|i| i + 1)
        .unwrap_or(0);
    let f = OpenOptions::new()
        .write(true)
        .open(path)
        .with_context(|| format!("failed to open {}", path.display()))?;
    f.set_len(keep as u64)?;
    Ok(())
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The CSV row of a record, in [`CSV_COLUMNS`] order.
pub fn csv_row(r: &RunRecord) -> Vec<String> {
    let p = &r.phases;
    vec![
        r.scenario.clone(),
        r.workload.clone(),
        r.strategy.clone(),
        r.builder.clone(),
        r.state.clone(),
        r.change.clone(),
        r.rep.to_string(),
        r.kind.to_string(),
        r.status.to_string(),
        r.reason.clone(),
        r.started_at.clone(),
        opt(r.wall_ms),
        opt(r.build_ms),
        opt(r.prepare_ms),
        opt(p.builder_create_ms),
        opt(p.context_ms),
        opt(p.base_pull_ms),
        opt(p.cache_import_ms),
        opt(p.steps_ms),
        opt(p.image_export_ms),
        opt(p.cache_export_ms),
        opt(p.push_ms),
        opt(p.load_ms),
        opt(p.other_ms),
        opt(r.steps_total),
        opt(r.steps_cached),
        opt(r.bytes_down),
        opt(r.bytes_up),
        r.log.clone(),
        r.note.clone(),
        opt(r.registry_manifests),
        opt(r.registry_attestations),
        opt(r.registry_bytes),
        r.state_check.clone(),
        opt(p.client_start_ms),
        opt(p.client_end_ms),
        r.image_store.clone(),
        opt(r.builder_pull_ms),
        opt(r.builder_boot_ms),
        opt(r.round),
        opt(r.order),
        opt(r.shuffle_seed),
        r.warmed_by.clone(),
        r.stands_for.clone(),
        r.link.clone(),
        opt(r.link_bytes_up),
        opt(r.link_bytes_down),
        opt(r.link_connections),
        r.link_figures.clone(),
    ]
    .into_iter()
    .chain(r.footprint.csv_cells())
    .chain([
        opt(r.cpu_busy_ms),
        opt(r.cpu_stolen_ms),
        r.disturbed.to_string(),
    ])
    .collect()
}

/// Reads `runs.jsonl` with the tolerant loader
/// ([`crate::records::results_reader::load_runs`]): a truncated last line (a crash while writing)
/// is ignored and reported in the second value; a bad line elsewhere is an error
/// naming the file and line.
pub fn read_runs(out: &Path) -> anyhow::Result<(Vec<RunRecord>, Option<String>)> {
    let loaded = crate::records::results_reader::load_runs(&out.join(RUNS_JSONL))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let warning = (!loaded.warnings.is_empty()).then(|| loaded.warnings.join("; "));
    Ok((loaded.records, warning))
}

/// The columns of `runs.csv`, in order. Public interface: only append.
pub const CSV_COLUMNS: &[&str] = &[
    "scenario",
    "workload",
    "strategy",
    "builder",
    "state",
    "change",
    "rep",
    "kind",
    "status",
    "reason",
    "started_at",
    "wall_ms",
    "build_ms",
    "prepare_ms",
    "builder_create_ms",
    "context_ms",
    "base_pull_ms",
    "cache_import_ms",
    "steps_ms",
    "image_export_ms",
    "cache_export_ms",
    "push_ms",
    "load_ms",
    "other_ms",
    "steps_total",
    "steps_cached",
    "bytes_down",
    "bytes_up",
    "log",
    "note",
    "registry_manifests",
    "registry_attestations",
    "registry_bytes",
    "state_check",
    "client_start_ms",
    "client_end_ms",
    "image_store",
    "builder_pull_ms",
    "builder_boot_ms",
    "round",
    "order",
    "shuffle_seed",
    "warmed_by",
    "stands_for",
    "link",
    "link_bytes_up",
    "link_bytes_down",
    "link_connections",
    "link_figures",
    // The footprint fields ([`crate::records::footprint::FOOTPRINT_CSV_COLUMNS`]),
    // then the machine's CPU time.
    "cache_mode",
    "image_bytes",
    "image_blobs",
    "image_manifests",
    "image_tags",
    "cache_bytes",
    "cache_blobs",
    "cache_manifests",
    "cache_tags",
    "ecr_artifacts",
    "local_cache_bytes",
    "local_cache_files",
    "cpu_busy_ms",
    "cpu_stolen_ms",
    "disturbed",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_records_are_on_the_containerd_store() {
        let line = r#"{"scenario":"s","workload":"w","strategy":"push","builder":"docker","state":"cold","change":"none","rep":1,"kind":"measured","status":"ok","reason":"","started_at":"t","wall_ms":1,"build_ms":1,"prepare_ms":1,"steps_total":1,"steps_cached":0,"bytes_down":0,"bytes_up":0,"log":"l"}"#;
        let r: RunRecord = serde_json::from_str(line).unwrap();
        assert_eq!(r.image_store, "containerd");
        assert_eq!(r.cell().to_string(), "push/docker/cold/none");
        let mut k = r.cell();
        k.image_store = "classic".into();
        assert_eq!(k.to_string(), "push/docker/cold/none/classic");
        assert_eq!(r.cell().with_store(), "push/docker/cold/none/containerd");
        assert_eq!(r.link, "none");
        assert!(!r.cell().has_link());
        assert_eq!(r.link_bytes_up, None);
    }

    #[test]
    fn runs_csv_has_the_footprint_columns_together_then_the_cpu_time() {
        let footprint = crate::records::footprint::FOOTPRINT_CSV_COLUMNS;
        let before_cpu = &CSV_COLUMNS[..CSV_COLUMNS.len() - 3];
        assert!(before_cpu.ends_with(footprint));
        assert!(CSV_COLUMNS.ends_with(&["cpu_busy_ms", "cpu_stolen_ms", "disturbed"]));
    }

    /// Every CSV column holds the record's JSON field of the same name: a column
    /// added to one list and not the other, or out of order, fails here.
    #[test]
    fn csv_row_matches_the_columns_field_by_field() {
        let mut json = serde_json::json!({});
        // Distinct values for every field, so a swapped column cannot go unnoticed.
        for (i, c) in crate::records::results_writer::CSV_COLUMNS
            .iter()
            .enumerate()
        {
            json[*c] = match *c {
                "kind" => "measured".into(),
                "status" => "ok".into(),
                "disturbed" => true.into(),
                c if c.ends_with("_ms")
                    || c.starts_with("steps_")
                    || c.starts_with("bytes_")
                    || c.starts_with("registry_")
                    || (c.starts_with("link_") && c != "link_figures")
                    || (c.starts_with("image_") && c != "image_store")
                    || (c.starts_with("cache_") && c != "cache_mode")
                    || c.starts_with("local_cache_")
                    || c == "ecr_artifacts"
                    || matches!(c, "rep" | "round" | "order" | "shuffle_seed") =>
                {
                    (1000 + i as u64).into()
                }
                _ => format!("v{i}").into(),
            };
        }
        let r: RunRecord = serde_json::from_value(json.clone()).unwrap();
        let row = csv_row(&r);
        assert_eq!(row.len(), crate::records::results_writer::CSV_COLUMNS.len());
        for (c, v) in crate::records::results_writer::CSV_COLUMNS.iter().zip(&row) {
            let want = match &json[*c] {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            assert_eq!(v, &want, "column {c}");
        }
    }
}
