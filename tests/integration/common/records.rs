//! Reading what a run wrote to OUT: its records (strictly, or tolerating a
//! truncated last line), runs.jsonl's lines and raw logs, and the engine's known
//! snapshot race, which a test allows as the engine's failure, not cachebench's.

use super::runs::text;
use cachebench::records::record::RunRecord;
use std::path::{Path, PathBuf};

/// OUT's records; a warning (a truncated last line) fails the test.
pub fn records(out: &Path) -> Vec<RunRecord> {
    let (r, warning) = cachebench::records::results_writer::read_runs(out).expect("runs.jsonl");
    assert!(warning.is_none(), "{warning:?}");
    r
}

/// Number of complete lines in OUT/runs.jsonl.
pub fn jsonl_lines(out: &Path) -> usize {
    std::fs::read_to_string(out.join("runs.jsonl"))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// Raw log files (`*.log`, not the `.txt` transcripts) in OUT/logs whose text
/// contains `needle`.
pub fn logs_containing(out: &Path, needle: &str) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(out.join("logs")) else {
        return vec![];
    };
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .filter(|p| {
            std::fs::read_to_string(p)
                .map(|t| t.contains(needle))
                .unwrap_or(false)
        })
        .collect();
    v.sort();
    v
}

/// Records, tolerating (and returning) a warning about a truncated last line.
pub fn records_lenient(out: &Path) -> Vec<RunRecord> {
    cachebench::records::results_writer::read_runs(out)
        .expect("runs.jsonl")
        .0
}

/// The containerd image store's known snapshot race (containerd#3787, seen with
/// Docker 29 in ddev#8136): an image unpack whose parent snapshot the engine's
/// garbage collector removed meanwhile. It is the engine's failure, not
/// cachebench's; cachebench records the run as failed and the chain re-warms.
pub fn known_engine_race(reason: &str) -> bool {
    reason.contains("failed to prepare extraction snapshot")
        && reason.contains("parent snapshot")
        && reason.contains("does not exist")
}

/// Exit 0 when every measured run is ok; exit 1 when the only failures are the
/// engine's known snapshot race and every cell that hit it ran ok afterwards (its
/// chain re-warmed). Returns the runs that ended ok.
pub fn ok_runs_allowing_the_engine_race(
    o: &std::process::Output,
    runs: &[cachebench::records::record::RunRecord],
) -> Vec<cachebench::records::record::RunRecord> {
    use cachebench::records::record::RunStatus;
    let raced: Vec<_> = runs.iter().filter(|r| r.status != RunStatus::Ok).collect();
    for r in &raced {
        assert!(known_engine_race(&r.reason), "{r:#?}\n{}", text(o));
        assert!(
            runs.iter()
                .any(|l| l.cell() == r.cell() && l.rep > r.rep && l.status == RunStatus::Ok),
            "{} rep {} hit the engine race and no later run of it was ok:\n{}",
            r.cell(),
            r.rep,
            text(o)
        );
    }
    let want = if raced.is_empty() { 0 } else { 1 };
    assert_eq!(o.status.code(), Some(want), "{}", text(o));
    runs.iter()
        .filter(|r| r.status == RunStatus::Ok)
        .cloned()
        .collect()
}
