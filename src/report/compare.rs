//! `cachebench compare BASE NEW`: the change of each cell's median wall time between
//! two results folders, with its interval, judged by the one rule
//! ([`crate::stats::sequential`], looked at once): a change is a regression (or an
//! improvement) only when the rule shows one side faster at its confidence AND the
//! change exceeds the threshold; within the threshold (the rule's margin here) it is
//! no change; with fewer than 3 runs on a side, or a difference the rule cannot
//! settle, compare says it cannot tell, never "no change". Cells present on one side
//! only are listed, never failed.

use crate::error::{Error, Result};
use crate::records::cell_key::CellKey;
use crate::report::analysis::Analysis;
use crate::report::cell_stats::CellStats;
use crate::report::format::fmt_ms;
use crate::stats::sequential::StopRule;
use crate::stats::summary::ratio_of_medians;
use crate::stats::two_cells::RunTime;
use crate::stats::verdict::Verdict;
use crate::{records::environment::load_env, records::results_reader::load_runs};
use serde::Serialize;
use std::fmt::Write;
use std::path::Path;

/// How one cell changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    Regression,
    Improvement,
    /// Shown within the threshold (or faster/slower by less than it).
    NoChange,
    /// Too few runs on a side, or the difference is not settled by the rule.
    CannotTell,
    OnlyInBase,
    OnlyInNew,
    /// A side has no successful run.
    NoData,
}

/// One row of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareRow {
    pub key: CellKey,
    pub base_median_ms: Option<f64>,
    pub new_median_ms: Option<f64>,
    /// (new / base − 1) × 100.
    pub change_pct: Option<f64>,
    /// Interval of the change in %, from the median intervals.
    pub change_lo_pct: Option<f64>,
    pub change_hi_pct: Option<f64>,
    pub change: Change,
}

/// What `compare` found.
#[derive(Debug, Clone)]
pub struct CompareOutcome {
    pub rows: Vec<CompareRow>,
    /// The Markdown table and notes, to print.
    pub markdown: String,
    /// Some cell regressed: the CLI exits 1.
    pub regression: bool,
    /// Different engine versions, truncated records, forced workload mismatch…
    pub warnings: Vec<String>,
}

fn pct(r: f64) -> f64 {
    ((r - 1.0) * 1000.0).round() / 10.0
}

/// Compares the results folders `base` and `new`. `threshold_pct` is in percent
/// (10.0 for `--threshold 10%`). Refuses different workloads unless `force`.
pub fn compare(base: &Path, new: &Path, threshold_pct: f64, force: bool) -> Result<CompareOutcome> {
    if !(threshold_pct.is_finite() && threshold_pct >= 0.0) {
        return Err(Error::usage(format!(
            "threshold must be a non-negative percentage, not {threshold_pct}"
        )));
    }
    let b = load_runs(&base.join("runs.jsonl"))?;
    let n = load_runs(&new.join("runs.jsonl"))?;
    let mut warnings: Vec<String> = b.warnings.into_iter().chain(n.warnings).collect();
    let ab = Analysis::from_records(&b.records);
    let an = Analysis::from_records(&n.records);
    let (mut wb, mut wn) = (ab.workloads.clone(), an.workloads.clone());
    wb.sort();
    wn.sort();
    if wb != wn {
        let msg = format!(
            "{} and {} measured different workloads ({} vs {})",
            base.display(),
            new.display(),
            wb.join(", "),
            wn.join(", ")
        );
        if !force {
            return Err(Error::usage(format!(
                "{msg}; pass --force to compare them anyway"
            )));
        }
        warnings.push(format!("{msg}; compared anyway (--force)"));
    }
    let eb = load_env(&base.join("env.json"))?.and_then(|e| e.engine_version);
    let en = load_env(&new.join("env.json"))?.and_then(|e| e.engine_version);
    if eb != en {
        warnings.push(format!(
            "engine versions differ: {} (base) vs {} (new); differences may come from the engine",
            eb.as_deref().unwrap_or("unknown"),
            en.as_deref().unwrap_or("unknown")
        ));
    }
    if let Some(w) = contention_warning(&ab, &an) {
        warnings.push(w);
    }

    let mut keys: Vec<CellKey> = ab.cells.iter().map(|c| c.key.clone()).collect();
    for c in &an.cells {
        if !keys.contains(&c.key) {
            keys.push(c.key.clone());
        }
    }
    let mut rows = vec![];
    for key in keys {
        let cb = ab.cell(&key);
        let cn = an.cell(&key);
        let mut row = CompareRow {
            key: key.clone(),
            base_median_ms: cb.and_then(|c| c.wall.as_ref()).map(|w| w.median),
            new_median_ms: cn.and_then(|c| c.wall.as_ref()).map(|w| w.median),
            change_pct: None,
            change_lo_pct: None,
            change_hi_pct: None,
            change: Change::NoData,
        };
        match (cb, cn) {
            (Some(_), None) => row.change = Change::OnlyInBase,
            (None, Some(_)) => row.change = Change::OnlyInNew,
            (Some(cb), Some(cn)) => {
                if let (Some(wb), Some(wn)) = (&cb.wall, &cn.wall) {
                    if let Some(r) = ratio_of_medians(wn, wb) {
                        row.change_pct = Some(pct(r.ratio));
                        row.change_lo_pct = r.lo.map(pct);
                        row.change_hi_pct = r.hi.map(pct);
                        row.change = judge(cb, cn, r.ratio, threshold_pct);
                    }
                }
            }
            (None, None) => {}
        }
        rows.push(row);
    }
    let regression = rows.iter().any(|r| r.change == Change::Regression);
    let markdown = compare_markdown(&rows, threshold_pct, &warnings);
    Ok(CompareOutcome {
        rows,
        markdown,
        regression,
        warnings,
    })
}

/// A warning when either side ran on a contended machine
/// ([`crate::report::contention::Contention::is_contended`]): a change may then be
/// the machine's.
fn contention_warning(base: &Analysis, new: &Analysis) -> Option<String> {
    let (b, n) = (base.contention.as_ref(), new.contention.as_ref());
    if !b.is_some_and(|c| c.is_contended()) && !n.is_some_and(|c| c.is_contended()) {
        return None;
    }
    let words = |c: Option<&crate::report::contention::Contention>| {
        c.map_or("not measured".to_string(), |c| c.short_words())
    };
    Some(format!(
        "CPU stolen by the hypervisor: {} (base) vs {} (new); on a contended machine runs slow down at random, so a change may be the machine's, not the build's",
        words(b),
        words(n)
    ))
}

/// The rule compare reads two sides with: looked at once, 3 runs a side at the
/// least, the threshold as its margin (no floor: the threshold is the user's).
pub fn compare_rule(threshold_pct: f64) -> StopRule {
    StopRule {
        margin: (threshold_pct / 100.0).clamp(1e-6, 0.999),
        margin_floor_s: 0.0,
        min_reps: 3,
        max_reps: 3,
        ..StopRule::default()
    }
}

/// How one cell changed, by the rule: base's and new's samples are different runs,
/// never paired.
fn judge(base: &CellStats, new: &CellStats, ratio: f64, threshold_pct: f64) -> Change {
    let times = |c: &CellStats| -> Vec<RunTime> {
        c.samples
            .iter()
            .map(|s| RunTime::unblocked(s.wall_ms as f64 / 1000.0))
            .collect()
    };
    let beyond = pct(ratio).abs() > threshold_pct;
    match compare_rule(threshold_pct).judge(&[times(base), times(new)]) {
        Verdict::Winner { option: 0, .. } if beyond => Change::Regression,
        Verdict::Winner { option: 1, .. } if beyond => Change::Improvement,
        Verdict::Winner { .. } | Verdict::Tie { .. } => Change::NoChange,
        _ => Change::CannotTell,
    }
}

fn compare_markdown(rows: &[CompareRow], threshold: f64, warnings: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## cachebench compare\n");
    let _ = writeln!(
        out,
        "Change of the median wall time per cell. A regression or an improvement is a change beyond ±{threshold}% with one side shown faster at 95% confidence (Welch's t on log wall times, read once); within ±{threshold}% it is no change; with fewer than 3 runs on a side, or a difference that is not settled, compare cannot tell.\n"
    );
    out.push_str("| cell | base median | new median | change | interval of change | verdict |\n");
    out.push_str("|---|--:|--:|--:|--:|---|\n");
    let opt_ms = |v: Option<f64>| v.map_or("–".to_string(), fmt_ms);
    for r in rows {
        let change = r.change_pct.map_or("–".to_string(), |p| format!("{p:+}%"));
        let interval = match (r.change_lo_pct, r.change_hi_pct) {
            (Some(lo), Some(hi)) => format!("{lo:+}% … {hi:+}%"),
            _ if r.change_pct.is_some() => "none (n = 1)".to_string(),
            _ => "–".to_string(),
        };
        let verdict = match r.change {
            Change::Regression => "**regression**",
            Change::Improvement => "improvement",
            Change::NoChange => "no change beyond the threshold",
            Change::CannotTell => "cannot tell (too few runs, or not settled)",
            Change::OnlyInBase => "only in base",
            Change::OnlyInNew => "only in new",
            Change::NoData => "no successful run on a side",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {change} | {interval} | {verdict} |",
            r.key,
            opt_ms(r.base_median_ms),
            opt_ms(r.new_median_ms)
        );
    }
    if !warnings.is_empty() {
        out.push_str("\nWarnings:\n\n");
        for w in warnings {
            let _ = writeln!(out, "- {w}");
        }
    }
    out
}
