//! How much of the CPU the measured runs wanted the hypervisor gave to other guests
//! (the records' `cpu_busy_ms` and `cpu_stolen_ms`): on a shared VM, most CI
//! runners among them, the main source of run-to-run noise. The report warns of it
//! and the Decision names it where a situation did not settle.

use crate::records::record::{RunRecord, STOLEN_WARN_SHARE};
use serde::{Deserialize, Serialize};

/// The CPU stolen from the measured runs of a folder that measured their cell
/// (samples and disturbed runs: [`RunRecord::proven_seconds`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contention {
    /// Samples with both CPU figures.
    pub runs: usize,
    /// Median over them of the share of wanted CPU time (used + stolen) stolen.
    pub median_share: f64,
    pub max_share: f64,
    /// Of them, runs above [`STOLEN_WARN_SHARE`].
    pub runs_over: usize,
    /// Of them, runs the run stage marked disturbed (above `--disturbed-share`):
    /// counted here, not samples. Absent in summaries written before it existed.
    #[serde(default)]
    pub disturbed: usize,
}

impl Contention {
    /// Over the records' samples; `None` when no sample has CPU figures (records
    /// written before they existed, or a machine without `/proc/stat`).
    pub fn of(records: &[RunRecord]) -> Option<Contention> {
        let mut shares: Vec<f64> = records
            .iter()
            .filter(|r| r.proven_seconds().is_some())
            .filter_map(RunRecord::stolen_share)
            .collect();
        if shares.is_empty() {
            return None;
        }
        let median_share = crate::stats::summary::median_f64(&mut shares);
        Some(Contention {
            runs: shares.len(),
            median_share,
            max_share: shares[shares.len() - 1],
            runs_over: shares.iter().filter(|&&s| s > STOLEN_WARN_SHARE).count(),
            disturbed: records
                .iter()
                .filter(|r| r.disturbed && r.proven_seconds().is_some())
                .count(),
        })
    }

    /// Whether the machine was contended: the typical run lost more than
    /// [`STOLEN_WARN_SHARE`] of its CPU, or one run in ten or more did. A few such
    /// runs are enough to keep the rule from settling: its seeded simulation
    /// (`stats/sequential/sim_tests.rs`) settles a quarter as often with one run in
    /// ten slowed as on a quiet machine.
    pub fn is_contended(&self) -> bool {
        self.median_share > STOLEN_WARN_SHARE || self.runs_over * 10 >= self.runs
    }

    /// `1% median, 7 of 82 runs over 10%`.
    pub fn short_words(&self) -> String {
        format!(
            "{} median, {} of {} runs over {}",
            pct(self.median_share),
            self.runs_over,
            self.runs,
            pct(STOLEN_WARN_SHARE)
        )
    }

    /// The figures in words: `the hypervisor gave 26% of the CPU time this machine
    /// wanted to other guests (median of 37 runs; above 10% in 31 of them, at worst
    /// 48%)`.
    pub fn words(&self) -> String {
        format!(
            "the hypervisor gave {} of the CPU time this machine wanted to other guests (median of {} runs; above {} in {} of them, at worst {})",
            pct(self.median_share),
            self.runs,
            pct(STOLEN_WARN_SHARE),
            self.runs_over,
            pct(self.max_share)
        )
    }

    /// The report's warning, when any run lost more than the threshold.
    pub fn warning(&self) -> Option<String> {
        (self.runs_over > 0).then(|| {
            format!(
                "CPU stolen during the measured runs: {}. Neighbours on a shared machine slow runs at random, which widens every interval; on a quiet or dedicated machine verdicts settle in fewer runs{}",
                self.words(),
                self.disturbed_words()
            )
        })
    }

    /// `. 7 runs lost more than --disturbed-share allowed: …`, or nothing.
    fn disturbed_words(&self) -> String {
        match self.disturbed {
            0 => String::new(),
            n => format!(
                ". {n} of these runs lost more than `--disturbed-share` allowed: they are disturbed, shown in the tables and runs.csv but not samples, and the rounds went on without them"
            ),
        }
    }

    /// The Decision's note when a situation did not settle on a contended machine.
    pub fn unsettled_note(&self) -> String {
        format!(
            "Not every answer settled, and the machine was contended: {}. That noise, not the caches, may be what kept them apart; re-run on a quiet or dedicated machine to settle them.",
            self.words()
        )
    }
}

/// `26%`.
fn pct(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::record::{RunKind, RunStatus};

    fn run(busy: Option<u64>, stolen: Option<u64>, status: RunStatus) -> RunRecord {
        let line = r#"{"scenario":"s","workload":"w","strategy":"buildkit","builder":"docker","state":"cold","change":"source","rep":1,"kind":"measured","status":"ok","reason":"","started_at":"t","wall_ms":1000,"build_ms":1000,"prepare_ms":1,"steps_total":1,"steps_cached":0,"bytes_down":0,"bytes_up":0,"log":"l"}"#;
        let mut r: RunRecord = serde_json::from_str(line).unwrap();
        r.cpu_busy_ms = busy;
        r.cpu_stolen_ms = stolen;
        r.status = status;
        r
    }

    #[test]
    fn shares_are_of_the_cpu_time_wanted_over_samples_only() {
        let records = vec![
            run(Some(900), Some(100), RunStatus::Ok),     // 10%
            run(Some(600), Some(400), RunStatus::Ok),     // 40%
            run(Some(1000), Some(0), RunStatus::Ok),      // 0%
            run(Some(100), Some(900), RunStatus::Failed), // not a sample
            run(None, None, RunStatus::Ok),               // not measured
        ];
        let c = Contention::of(&records).unwrap();
        assert_eq!(c.runs, 3);
        assert!((c.median_share - 0.10).abs() < 1e-12);
        assert!((c.max_share - 0.40).abs() < 1e-12);
        assert_eq!(c.runs_over, 1, "10% is not above the 10% threshold");
        assert!(c.is_contended(), "one run in three lost 40%");
        assert_eq!(c.short_words(), "10% median, 1 of 3 runs over 10%");
        let w = c.warning().unwrap();
        assert!(
            w.contains("median of 3 runs; above 10% in 1 of them, at worst 40%"),
            "{w}"
        );
        assert!(!w.contains("disturbed"), "{w}");
    }

    #[test]
    fn disturbed_runs_are_counted_though_they_are_not_samples() {
        let mut records = vec![
            run(Some(900), Some(100), RunStatus::Ok),
            run(Some(600), Some(400), RunStatus::Ok),
            run(Some(1000), Some(0), RunStatus::Ok),
        ];
        records[1].disturbed = true;
        assert_eq!(records[1].sample_seconds(), None);
        let c = Contention::of(&records).unwrap();
        assert_eq!((c.runs, c.runs_over, c.disturbed), (3, 1, 1));
        assert!((c.max_share - 0.40).abs() < 1e-12, "its share still counts");
        let w = c.warning().unwrap();
        assert!(
            w.contains(
                "1 of these runs lost more than `--disturbed-share` allowed: they are disturbed"
            ),
            "{w}"
        );
    }

    #[test]
    fn a_contended_machine_is_one_whose_typical_run_or_one_run_in_ten_lost_much() {
        let busy = |s: u64| run(Some(1000 - s), Some(s), RunStatus::Ok);
        let high = Contention::of(&[busy(300), busy(250), busy(50)]).unwrap();
        assert!(high.is_contended());
        assert!(high.unsettled_note().contains("gave 25% of the CPU time"));
        // A quiet median, but 2 runs in 20 lost 40%: contended.
        let mut runs: Vec<RunRecord> = (0..18).map(|_| busy(5)).collect();
        runs.extend([busy(400), busy(400)]);
        let few = Contention::of(&runs).unwrap();
        assert!(few.median_share < 0.01 && few.is_contended());
        // 1 run in 20: worth a warning, not a contended machine.
        runs.pop();
        runs.push(busy(5));
        let one = Contention::of(&runs).unwrap();
        assert!(!one.is_contended());
        assert!(one.warning().is_some());
        let quiet = Contention::of(&[busy(0), busy(20)]).unwrap();
        assert!(!quiet.is_contended());
        assert_eq!(quiet.warning(), None);
    }

    #[test]
    fn records_without_cpu_figures_give_nothing() {
        let mut warmup = run(Some(1), Some(1), RunStatus::Ok);
        warmup.kind = RunKind::Warmup;
        assert_eq!(
            Contention::of(&[run(None, None, RunStatus::Ok), warmup]),
            None
        );
    }
}
