//! `cachebench clean [--dry-run]`: removes (or lists) what runs killed outright
//! left in $TMPDIR. Finding and removing them is [`crate::infra::leftovers`]' job; this
//! says what was done and picks the exit code.

use crate::error::exit;
use crate::infra::leftovers::{self, SweepReport};
use std::path::Path;

/// `cachebench clean [--dry-run]`: prints what it removed (or would), one line
/// each; `nothing to do` when there are no leftovers. Exit
/// [`exit::CLEAN_INCOMPLETE`] (4) when something it found could not be removed.
pub fn clean_cmd(dry_run: bool) -> i32 {
    let tmp = std::env::temp_dir();
    let r = leftovers::sweep(&tmp, dry_run);
    print(&r, &tmp);
    exit_code(&r)
}

/// What was removed and left alone on stdout, what could not be removed on stderr.
fn print(r: &SweepReport, tmp: &Path) {
    for l in &r.removed {
        println!("{l}");
    }
    for l in &r.left_alone {
        println!("left alone: {l}");
    }
    for l in &r.failed {
        eprintln!("cachebench: error: {l}");
    }
    if r.removed.is_empty() && r.failed.is_empty() {
        println!(
            "nothing to do: no leftovers of killed runs in {}",
            tmp.display()
        );
    }
}

/// 0, or [`exit::CLEAN_INCOMPLETE`] when a removal failed. A live run's folder
/// left alone is not a failure: it is not a leftover.
fn exit_code(r: &SweepReport) -> i32 {
    if r.failed.is_empty() {
        exit::OK
    } else {
        exit::CLEAN_INCOMPLETE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_failed_removal_exits_4_not_runs_failed() {
        let failed = SweepReport {
            removed: lines(&["removed: work folder /tmp/cachebench-AbC123 of a killed run"]),
            left_alone: vec![],
            failed: lines(&["bridge cb0a1b2c3d of a killed run: not permitted"]),
        };
        assert_eq!(exit_code(&failed), exit::CLEAN_INCOMPLETE);
        assert_eq!(exit::CLEAN_INCOMPLETE, 4);
        assert_ne!(exit::CLEAN_INCOMPLETE, exit::RUNS_FAILED);
        let done = SweepReport {
            failed: vec![],
            left_alone: lines(&["/tmp/cachebench-Live01: in use by a live run (pid 1)"]),
            ..failed
        };
        assert_eq!(exit_code(&done), exit::OK);
        assert_eq!(exit_code(&SweepReport::default()), exit::OK);
    }

    /// A real sweep of a dead run's folder: removed, exit 0.
    #[test]
    fn a_removed_leftover_exits_0() {
        let tmp = tempfile::tempdir().unwrap();
        let dead = tmp.path().join("cachebench-dead01");
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join(leftovers::LOCK_FILE), "").unwrap();
        let r = leftovers::sweep(tmp.path(), false);
        assert!(!dead.exists(), "{r:?}");
        assert_eq!(exit_code(&r), exit::OK, "{r:?}");
    }
}
