//! What cachebench prints while and after it runs: one line per finished run, and
//! the end-of-run table of median, min and max wall time per cell.

use crate::records::record::{RunKind, RunRecord, RunStatus};
use crate::records::record::{OTHER_WARN_SHARE, STOLEN_WARN_SHARE};
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
    if let Some(share) = r
        .stolen_share()
        .filter(|&s| r.disturbed || s > STOLEN_WARN_SHARE)
    {
        let disturbed = if r.disturbed {
            ": disturbed, not a sample"
        } else {
            ""
        };
        s.push_str(&format!(
            " ({:.0}% of its CPU stolen{disturbed})",
            share * 100.0
        ));
    }
    if !r.reason.is_empty() {
        s.push_str(&format!(" ({})", r.reason));
    }
    if r.state_failed() {
        s.push_str(&format!(
            " [state check failed, left out of statistics: {}]",
            r.state_check
        ));
    }
    s
}

/// The end-of-run table: per cell, in run order, the median, min and max wall time
/// of the measured runs that succeeded, and what happened to the others.
pub fn summary_table(records: &[RunRecord]) -> String {
    let mut order: Vec<String> = Vec::new();
    let mut cells: BTreeMap<String, (Vec<u64>, Vec<String>)> = BTreeMap::new();
    let mut phase_runs: BTreeMap<String, Vec<&RunRecord>> = BTreeMap::new();
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
            (RunStatus::Ok, _) if r.state_failed() => e.1.push("state check failed".into()),
            (RunStatus::Ok, _) if r.disturbed => e.1.push("disturbed".into()),
            (RunStatus::Ok, Some(ms)) => {
                e.0.push(ms);
                phase_runs.entry(r.cell().to_string()).or_default().push(r);
            }
            (s, _) => e.1.push(s.to_string()),
        }
    }
    let width = order.iter().map(|k| k.len()).max().unwrap_or(4).max(4);
    let mut s = format!(
        "{:<width$}  {:>4}  {:>9}  {:>9}  {:>9}  {:<44}  {}\n",
        "cell", "n", "median", "min", "max", "biggest phases (share of wall)", "other runs"
    );
    for key in order {
        let (v, others) = cells.remove(&key).unwrap_or_default();
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
        let Some(st) = crate::stats::summary::summarize(&v) else {
            s.push_str(&format!(
                "{key:<width$}  {:>4}  {:>9}  {:>9}  {:>9}  {:<44}  {others}\n",
                0, "-", "-", "-", ""
            ));
            continue;
        };
        let shares = phase_shares(phase_runs.get(&key).map(Vec::as_slice).unwrap_or(&[]));
        s.push_str(&format!(
            "{key:<width$}  {:>4}  {:>8.2}s  {:>8.2}s  {:>8.2}s  {shares:<44}  {others}\n",
            st.n,
            st.median / 1000.0,
            st.min as f64 / 1000.0,
            st.max as f64 / 1000.0
        ));
    }
    s
}

/// The three biggest phases of a cell as shares of wall time (sums of each phase
/// over the runs divided by the summed wall time), e.g. `steps 61%, load 14%,
/// other 9%`; an `other` above [`OTHER_WARN_SHARE`] (5%) is marked with `!`.
pub fn phase_shares(runs: &[&RunRecord]) -> String {
    let wall: u64 = runs.iter().filter_map(|r| r.wall_ms).sum();
    if wall == 0 || runs.iter().all(|r| r.phases.other_ms.is_none()) {
        return String::new();
    }
    let mut totals: Vec<(&'static str, u64)> = Vec::new();
    for r in runs {
        for (name, v) in r.phases.named() {
            let v = v.unwrap_or(0);
            match totals.iter_mut().find(|(n, _)| *n == name) {
                Some(t) => t.1 += v,
                None => totals.push((name, v)),
            }
        }
    }
    totals.sort_by_key(|t| std::cmp::Reverse(t.1));
    totals
        .iter()
        .take(3)
        .filter(|(_, v)| *v > 0)
        .map(|(n, v)| {
            let share = *v as f64 / wall as f64;
            let flag = if *n == "other" && share > OTHER_WARN_SHARE {
                "!"
            } else {
                ""
            };
            format!("{n} {:.0}%{flag}", share * 100.0)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_line_says_when_the_hypervisor_took_much_of_its_cpu() {
        let line = r#"{"scenario":"s","workload":"w","strategy":"buildkit","builder":"docker","state":"cold","change":"source","rep":2,"kind":"measured","status":"ok","reason":"","started_at":"t","wall_ms":6430,"build_ms":6430,"prepare_ms":1,"steps_total":1,"steps_cached":0,"bytes_down":0,"bytes_up":0,"log":"l","cpu_busy_ms":7000,"cpu_stolen_ms":3000}"#;
        let mut r: RunRecord = serde_json::from_str(line).unwrap();
        assert_eq!(
            run_line(&r),
            "ok          buildkit/docker/cold/source measured 2: 6.43s (30% of its CPU stolen)"
        );
        r.disturbed = true;
        assert!(
            run_line(&r).ends_with("6.43s (30% of its CPU stolen: disturbed, not a sample)"),
            "{}",
            run_line(&r)
        );
        assert!(
            summary_table(std::slice::from_ref(&r)).contains("1 disturbed"),
            "{}",
            summary_table(std::slice::from_ref(&r))
        );
        r.disturbed = false;
        r.cpu_stolen_ms = Some(500);
        assert!(!run_line(&r).contains("stolen"), "5% is not worth a word");
    }
}
