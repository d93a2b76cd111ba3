//! What cachebench prints while and after it runs: one line per finished run, and
//! the end-of-run table of median, min and max wall time per cell.

use crate::record::{RunKind, RunRecord, RunStatus};
use std::collections::BTreeMap;

/// One line for a finished run.
pub fn run_line(r: &RunRecord) -> String {
    let cell = r.cell();
    let time = r
        .wall_ms
        .map(|ms| format!("{:.2}s", ms as f64 / 1000.0))
        .unwrap_or_else(|| "-".into());
    let mut s = format!(
        "{:<11} {cell} {} {}: {time}",
        r.status.to_string(),
        r.kind,
        r.rep
    );
    if !r.reason.is_empty() {
        s.push_str(&format!(" ({})", r.reason));
    }
    s
}

fn median(v: &mut [u64]) -> f64 {
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    }
}

/// The end-of-run table: per cell, in run order, the median, min and max wall time
/// of the measured runs that succeeded, and what happened to the others.
pub fn summary_table(records: &[RunRecord]) -> String {
    let mut order: Vec<String> = Vec::new();
    let mut cells: BTreeMap<String, (Vec<u64>, Vec<String>)> = BTreeMap::new();
    for r in records {
        let key = r.cell().to_string();
        if !cells.contains_key(&key) {
            order.push(key.clone());
        }
        let e = cells.entry(key).or_default();
        if r.kind == RunKind::Warmup {
            continue;
        }
        match (r.status, r.wall_ms) {
            (RunStatus::Ok, Some(ms)) => e.0.push(ms),
            (s, _) => e.1.push(s.to_string()),
        }
    }
    let width = order.iter().map(|k| k.len()).max().unwrap_or(4).max(4);
    let mut s = format!(
        "{:<width$}  {:>4}  {:>9}  {:>9}  {:>9}  {}\n",
        "cell", "n", "median", "min", "max", "other runs"
    );
    for key in order {
        let (mut v, others) = cells.remove(&key).unwrap_or_default();
        let others = if others.is_empty() {
            String::new()
        } else {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for o in others {
                *counts.entry(o).or_default() += 1;
            }
            counts
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if v.is_empty() {
            s.push_str(&format!(
                "{key:<width$}  {:>4}  {:>9}  {:>9}  {:>9}  {others}\n",
                0, "-", "-", "-"
            ));
            continue;
        }
        let min = *v.iter().min().unwrap_or(&0);
        let max = *v.iter().max().unwrap_or(&0);
        let n = v.len();
        let med = median(&mut v);
        s.push_str(&format!(
            "{key:<width$}  {n:>4}  {:>8.2}s  {:>8.2}s  {:>8.2}s  {others}\n",
            med / 1000.0,
            min as f64 / 1000.0,
            max as f64 / 1000.0
        ));
    }
    s
}
