//! A situation the matrix planned but cannot answer: its state's cells ran (or
//! were skipped) and none has a sample. The Decision says so, with why from the
//! runs' own counts (disturbed, failed, state check failed, skipped, interrupted)
//! and what to do, instead of leaving the situation out: a team that reads no
//! ephemeral-runner answer must know it was asked and could not be settled.

use crate::report::analysis::Analysis;
use crate::report::cell_stats::StatusCounts;
use crate::report::decision::sentences::lead;
use crate::report::decision::{SituationKind, REMOTE_CACHES};

/// The state whose cells answer `kind` (none for the best-effort local cache,
/// which is read off the other two).
fn state_of(kind: SituationKind) -> Option<&'static str> {
    match kind {
        SituationKind::EphemeralRunner => Some("warm-remote"),
        SituationKind::WarmHost => Some("warm-local"),
        SituationKind::BestEffortLocal => None,
    }
}

/// The measured runs of the state's cells, summed.
fn counts_of(a: &Analysis, state: &str) -> Option<StatusCounts> {
    let mut sum: Option<StatusCounts> = None;
    // On an ephemeral runner the remote caches are the options (a plain build's
    // warm-remote cell is skipped by design: it has no cache to restore).
    let weighed = |strategy: &str| state != "warm-remote" || REMOTE_CACHES.contains(&strategy);
    for c in a
        .cells
        .iter()
        .filter(|c| c.key.state == state && weighed(&c.key.strategy))
    {
        let s = sum.get_or_insert_with(StatusCounts::default);
        let n = &c.counts;
        s.ok += n.ok;
        s.failed += n.failed;
        s.timeout += n.timeout;
        s.skipped += n.skipped;
        s.interrupted += n.interrupted;
        s.state_failed += n.state_failed;
        s.disturbed += n.disturbed;
    }
    sum
}

/// `On an ephemeral runner: no answer: none of the 30 warm-remote runs is a
/// sample (30 disturbed, …). Re-run …`; `None` when the matrix has no cell of the
/// situation's state (it was not asked).
pub fn sentence(a: &Analysis, kind: SituationKind) -> Option<String> {
    let state = state_of(kind)?;
    let lead = lead(kind);
    let n = counts_of(a, state)?;
    let parts: Vec<String> = [
        (
            n.disturbed,
            "disturbed (more than `--disturbed-share` of their CPU lost to the hypervisor)",
        ),
        (n.state_failed, "failed their state check"),
        (n.failed + n.timeout, "failed or timed out"),
        (n.skipped, "skipped"),
        (n.interrupted, "interrupted"),
    ]
    .into_iter()
    .filter(|(k, _)| *k > 0)
    .map(|(k, what)| format!("{k} {what}"))
    .collect();
    let total = n.ok + n.failed + n.timeout + n.skipped + n.interrupted;
    let mut todo: Vec<&str> = vec![];
    if n.disturbed > 0 {
        todo.push(
            "re-run on a quieter machine, or count disturbed runs with `--disturbed-share 1`",
        );
    }
    if n.state_failed + n.failed + n.timeout + n.skipped > 0 {
        todo.push("see each cell's reasons in the Results and its runs' logs");
    }
    let why = match parts.as_slice() {
        [] => String::new(),
        p => format!(": {}", p.join(", ")),
    };
    let todo = match todo.as_slice() {
        [] => String::new(),
        t => format!(" {}.", crate::report::decision::capital(&t.join("; "))),
    };
    Some(format!(
        "{lead}: **no answer**: none of the {total} {state} run{} is a sample{why}.{todo}",
        if total == 1 { "" } else { "s" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::record::RunRecord;

    fn run(state: &str, status: &str, disturbed: bool) -> RunRecord {
        let line = format!(
            r#"{{"scenario":"s","workload":"w","strategy":"registry-cache","builder":"docker","state":"{state}","change":"source","rep":1,"kind":"measured","status":"{status}","reason":"boom","started_at":"t","wall_ms":1000,"build_ms":1000,"prepare_ms":1,"steps_total":1,"steps_cached":0,"bytes_down":0,"bytes_up":0,"log":"l","state_check":"ok"}}"#
        );
        let mut r: RunRecord = serde_json::from_str(&line).unwrap();
        r.disturbed = disturbed;
        r
    }

    fn analysis(runs: &[RunRecord]) -> Analysis {
        Analysis::from_records(runs)
    }

    #[test]
    fn a_state_of_disturbed_runs_says_so_and_what_to_do() {
        let runs = vec![
            run("warm-remote", "ok", true),
            run("warm-remote", "ok", true),
            run("warm-remote", "failed", false),
            run("warm-local", "ok", false),
        ];
        let a = analysis(&runs);
        let s = sentence(&a, SituationKind::EphemeralRunner).unwrap();
        assert_eq!(
            s,
            "On an ephemeral runner: **no answer**: none of the 3 warm-remote runs is a sample: \
             2 disturbed (more than `--disturbed-share` of their CPU lost to the hypervisor), \
             1 failed or timed out. Re-run on a quieter machine, or count disturbed runs with \
             `--disturbed-share 1`; see each cell's reasons in the Results and its runs' logs."
        );
    }

    #[test]
    fn a_state_not_in_the_matrix_was_not_asked() {
        let a = analysis(&[run("warm-local", "ok", false)]);
        assert_eq!(sentence(&a, SituationKind::EphemeralRunner), None);
        assert_eq!(sentence(&a, SituationKind::BestEffortLocal), None);
    }
}
