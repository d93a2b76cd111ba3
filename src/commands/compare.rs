//! `cachebench compare BASE NEW`: the compare table, exit 1 on a regression.

use crate::error::{exit, Error, Result};
use crate::report;
use std::path::Path;

/// `cachebench compare BASE NEW`: exit 1 on a regression.
pub fn compare_cmd(base: &Path, new: &Path, threshold: &str, force: bool) -> Result<i32> {
    let pct: f64 = threshold
        .trim()
        .trim_end_matches('%')
        .parse()
        .ok()
        .filter(|p: &f64| p.is_finite() && *p >= 0.0)
        .ok_or_else(|| {
            Error::usage(format!(
                "--threshold `{}`: give a percentage such as 10%",
                threshold.escape_debug()
            ))
        })?;
    let o = report::compare::compare(base, new, pct, force)?;
    for w in &o.warnings {
        eprintln!("cachebench: warning: {w}");
    }
    println!("{}", o.markdown);
    Ok(if o.regression {
        exit::RUNS_FAILED
    } else {
        exit::OK
    })
}
