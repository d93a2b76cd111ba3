//! Reading `runs.jsonl` back, tolerant of a truncated last line (as left by an
//! interrupted run). Used by [`crate::records::results_writer`] (resume) and by `report`.

use crate::error::{Error, Result};
use crate::records::record::RunRecord;
use std::path::Path;

/// The records of a results folder, and what the caller should warn about.
#[derive(Debug, Clone, Default)]
pub struct LoadedRuns {
    pub records: Vec<RunRecord>,
    /// Non-fatal problems (a truncated last line), one sentence each.
    pub warnings: Vec<String>,
}

/// Parses the text of a `runs.jsonl`. Blank lines are ignored. An unparsable LAST
/// non-blank line is dropped with a warning (the run was interrupted while writing
/// it); an unparsable line anywhere else is an error naming `file` and the line.
pub fn parse_runs(text: &str, file: &Path) -> Result<LoadedRuns> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let mut out = LoadedRuns::default();
    for (idx, (lineno, line)) in lines.iter().enumerate() {
        match serde_json::from_str::<RunRecord>(line) {
            Ok(r) => out.records.push(r),
            Err(e) if idx + 1 == lines.len() => out.warnings.push(format!(
                "{}:{}: ignoring the last line, which is truncated or unparsable ({e})",
                file.display(),
                lineno + 1
            )),
            Err(e) => {
                return Err(Error::usage(format!(
                    "{}:{}: unparsable run record: {e}",
                    file.display(),
                    lineno + 1
                )))
            }
        }
    }
    Ok(out)
}

/// Reads `path` (a `runs.jsonl`); see [`parse_runs`].
pub fn load_runs(path: &Path) -> Result<LoadedRuns> {
    // Lossy: a crash can cut the last line inside a multi-byte character.
    let bytes = std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::usage(format!(
                "{}: no such file (not a results folder?)",
                path.display()
            ))
        } else {
            Error::Internal(anyhow::Error::new(e).context(format!("reading {}", path.display())))
        }
    })?;
    parse_runs(&String::from_utf8_lossy(&bytes), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"scenario":"s","workload":"w","strategy":"inline","builder":"default","state":"cold","change":"none","rep":1,"kind":"measured","status":"ok","reason":"","started_at":"2024-01-01T00:00:00Z","wall_ms":1000,"build_ms":900,"prepare_ms":5,"builder_create_ms":null,"context_ms":10,"base_pull_ms":null,"cache_import_ms":null,"steps_ms":800,"image_export_ms":null,"cache_export_ms":null,"push_ms":null,"load_ms":null,"other_ms":190,"steps_total":3,"steps_cached":0,"bytes_down":null,"bytes_up":null,"log":"logs/x.log"}"#;

    #[test]
    fn truncated_last_line_is_a_warning() {
        let text = format!("{LINE}\n{LINE}\n{}", &LINE[..40]);
        let got = parse_runs(&text, Path::new("out/runs.jsonl")).unwrap();
        assert_eq!(got.records.len(), 2);
        assert_eq!(got.warnings.len(), 1);
        assert!(got.warnings[0].starts_with("out/runs.jsonl:3: ignoring the last line"));
    }

    #[test]
    fn bad_middle_line_is_an_error_naming_file_and_line() {
        let text = format!("{LINE}\nnot json\n{LINE}\n\n");
        let err = parse_runs(&text, Path::new("out/runs.jsonl")).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("out/runs.jsonl:2: unparsable run record"),
            "{msg}"
        );
        assert_eq!(err.exit_code(), crate::error::exit::USAGE);
    }
}
