//! `cachebench clean [--dry-run]`: removes (or lists) what runs killed outright
//! left in $TMPDIR. Finding and removing them is [`crate::infra::leftovers`]' job; this
//! says what was done and picks the exit code.

use crate::error::exit;
use crate::infra::leftovers;

/// `cachebench clean [--dry-run]`: prints what it removed (or would), one line
/// each; `nothing to do` when there are no leftovers. Exit 1 when something could
/// not be removed.
pub fn clean_cmd(dry_run: bool) -> i32 {
    let tmp = std::env::temp_dir();
    let r = leftovers::sweep(&tmp, dry_run);
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
    if r.failed.is_empty() {
        exit::OK
    } else {
        exit::RUNS_FAILED
    }
}
