//! From records to per-cell statistics and verdicts: which runs are samples, status
//! counts and reasons, wall-time and per-phase statistics, outliers, the slow-first-run
//! hint, speed relative to the fastest strategy of the same image store × builder ×
//! state × change, and the verdict (winner, or a tie) of each such group.
//!
//! Samples are measured runs with status `ok` and a `wall_ms`; warm-ups are counted
//! but never sampled. Order is that of first appearance in the records (the order the
//! scenario ran the matrix), so output is deterministic for a given `runs.jsonl`.

use crate::records::record::{CellKey, RunRecord};
use crate::{
    stats::summary::is_tie,
    stats::summary::ratio_of_medians,
    stats::summary::Ratio,
    stats::summary::Summary,
    stats::{self},
};
use serde::{Deserialize, Serialize};

/// Runs of a cell by how they ended (measured runs only) plus the warm-up count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    pub ok: u32,
    pub failed: u32,
    pub timeout: u32,
    pub skipped: u32,
    pub interrupted: u32,
    pub warmup: u32,
    /// Runs that ended ok but whose state check failed: counted, never sampled.
    #[serde(default)]
    pub state_failed: u32,
}

/// One measured, successful run of a cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub rep: u32,
    pub wall_ms: u64,
    /// Modified Z-score within the cell.
    pub z: f64,
    pub outlier: bool,
    /// The run's `steps` phase, ms, when parsed (for the Decision's drift check;
    /// not written to summary.json).
    #[serde(skip)]
    pub steps_ms: Option<u64>,
}

/// Statistics of one phase of a cell (over the samples that have the phase).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseStats {
    pub phase: String,
    pub stats: Summary,
}

/// Speed of a cell relative to the fastest strategy of its group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relative {
    /// The fastest strategy (lowest median) of the same image store × builder ×
    /// state × change.
    pub fastest: String,
    /// This median / fastest median, with the interval from the CI bounds.
    pub ratio: Ratio,
    /// Whether this cell's median interval overlaps the fastest's (or either has none).
    pub tie_with_fastest: bool,
}

/// Everything reported about one cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellStats {
    pub key: CellKey,
    /// Distinct workloads of the cell's runs (one, normally).
    pub workloads: Vec<String>,
    pub counts: StatusCounts,
    /// Distinct `status: reason` of failed, timed-out, skipped or interrupted runs.
    pub reasons: Vec<String>,
    pub samples: Vec<Sample>,
    /// Wall time statistics; `None` when no run succeeded.
    pub wall: Option<Summary>,
    /// Reps of the outlier samples.
    pub outliers: Vec<u32>,
    /// The first measured run is a high outlier: add warm-up runs.
    pub slow_first_run: bool,
    pub phases: Vec<PhaseStats>,
    pub relative: Option<Relative>,
    /// Median share of wall time no phase explains (`other_ms / wall_ms`); the
    /// report flags cells where it exceeds 5%.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_share: Option<f64>,
    /// What the cell's runs left in the registry (medians), when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footprint: Option<FootprintStats>,
}

/// Registry footprint of a cell: medians over its successful measured runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FootprintStats {
    pub manifests: u32,
    pub attestations: u32,
    pub bytes: u64,
}

/// Share above which unattributed time is flagged.
pub const OTHER_FLAG_SHARE: f64 = 0.05;

/// The median of whole numbers (manifest counts, bytes), by the report's one
/// median ([`stats::summary::median`]: the mean of the middle pair for even n), rounded to
/// the nearest whole number.
pub(crate) fn median_u64(mut v: Vec<u64>) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(stats::summary::median(&v).round() as u64)
}

/// What a builder × state × change group says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Verdict {
    /// No strategy of the group has a successful run.
    NoData,
    /// Only one strategy has successful runs.
    Single { strategy: String },
    /// The fastest strategy's median interval is disjoint from every other's.
    Winner {
        strategy: String,
        runner_up: String,
        /// runner-up median / winner median, with its interval.
        ratio: Ratio,
        /// The smaller coverage of the two intervals that decided (e.g. 0.979).
        coverage: f64,
    },
    /// The fastest strategy's interval overlaps others' (or some have n = 1).
    Tie {
        /// Fastest first, then the ones it cannot be told apart from.
        strategies: Vec<String>,
        /// The fastest strategy and the next one by median, with their ratio.
        ratio: Ratio,
    },
}

/// An image store × builder × state × change group and its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub builder: String,
    pub state: String,
    pub change: String,
    pub verdict: Verdict,
    #[serde(default = "default_store")]
    pub image_store: String,
}

fn default_store() -> String {
    crate::records::record::DEFAULT_IMAGE_STORE.to_string()
}

/// The analysis of a whole results folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub scenarios: Vec<String>,
    pub workloads: Vec<String>,
    pub strategies: Vec<String>,
    pub builders: Vec<String>,
    pub states: Vec<String>,
    pub changes: Vec<String>,
    /// Image stores, in order of first appearance (`containerd` for old records).
    #[serde(default)]
    pub image_stores: Vec<String>,
    pub cells: Vec<CellStats>,
    pub groups: Vec<Group>,
    /// The `--reps auto` rule the runs were stopped by (from `stopping.json`), so
    /// that verdicts carry its correction for repeated looks; `None` for runs of a
    /// fixed count, read once.
    #[serde(skip)]
    pub stop_rule: Option<crate::stats::sequential::StopRule>,
}

pub(crate) fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

fn pos(v: &[String], s: &str) -> usize {
    v.iter().position(|x| x == s).unwrap_or(usize::MAX)
}

impl Analysis {
    /// Analyses records (any order; measured runs are taken in `rep` order).
    pub fn from_records(records: &[RunRecord]) -> Analysis {
        let mut a = Analysis {
            scenarios: vec![],
            workloads: vec![],
            strategies: vec![],
            builders: vec![],
            states: vec![],
            changes: vec![],
            image_stores: vec![],
            cells: vec![],
            groups: vec![],
            stop_rule: None,
        };
        let mut keys: Vec<CellKey> = vec![];
        for r in records {
            push_unique(&mut a.scenarios, &r.scenario);
            push_unique(&mut a.workloads, &r.workload);
            push_unique(&mut a.strategies, &r.strategy);
            push_unique(&mut a.builders, &r.builder);
            push_unique(&mut a.states, &r.state);
            push_unique(&mut a.changes, &r.change);
            push_unique(&mut a.image_stores, &r.image_store);
            let k = r.cell();
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys.sort_by_key(|k| {
            (
                pos(&a.image_stores, &k.image_store),
                pos(&a.builders, &k.builder),
                pos(&a.states, &k.state),
                pos(&a.changes, &k.change),
                pos(&a.strategies, &k.strategy),
            )
        });
        a.cells = keys
            .into_iter()
            .map(|k| {
                let runs: Vec<&RunRecord> = records.iter().filter(|r| r.cell() == k).collect();
                crate::report::cell_stats::cell_stats(k, &runs)
            })
            .collect();
        a.compute_groups();
        a
    }

    fn compute_groups(&mut self) {
        let mut groups: Vec<(String, String, String, String)> = vec![];
        for c in &self.cells {
            let g = (
                c.key.image_store.clone(),
                c.key.builder.clone(),
                c.key.state.clone(),
                c.key.change.clone(),
            );
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        for (image_store, builder, state, change) in groups {
            let mut idx: Vec<usize> = (0..self.cells.len())
                .filter(|&i| {
                    let k = &self.cells[i].key;
                    k.image_store == image_store
                        && k.builder == builder
                        && k.state == state
                        && k.change == change
                })
                .filter(|&i| self.cells[i].wall.is_some())
                .collect();
            // Fastest first; equal medians keep scenario order (stable sort).
            idx.sort_by(|&x, &y| {
                let mx = self.cells[x].wall.as_ref().map_or(f64::MAX, |s| s.median);
                let my = self.cells[y].wall.as_ref().map_or(f64::MAX, |s| s.median);
                mx.total_cmp(&my)
            });
            let verdict = match idx.as_slice() {
                [] => Verdict::NoData,
                [only] => Verdict::Single {
                    strategy: self.cells[*only].key.strategy.clone(),
                },
                [first, rest @ ..] => {
                    let best = self.cells[*first].wall.clone().expect("filtered");
                    let best_name = self.cells[*first].key.strategy.clone();
                    let mut tied = vec![best_name.clone()];
                    for &i in rest {
                        if is_tie(self.cells[i].wall.as_ref().expect("filtered"), &best) {
                            tied.push(self.cells[i].key.strategy.clone());
                        }
                    }
                    let second = &self.cells[rest[0]];
                    let second_wall = second.wall.as_ref().expect("filtered");
                    let ratio = ratio_of_medians(second_wall, &best).unwrap_or(Ratio {
                        ratio: f64::INFINITY,
                        lo: None,
                        hi: None,
                    });
                    if tied.len() > 1 {
                        Verdict::Tie {
                            strategies: tied,
                            ratio,
                        }
                    } else {
                        let coverage = match (best.ci, second_wall.ci) {
                            (Some(a), Some(b)) => a.coverage.min(b.coverage),
                            _ => 0.0,
                        };
                        Verdict::Winner {
                            strategy: best_name,
                            runner_up: second.key.strategy.clone(),
                            ratio,
                            coverage,
                        }
                    }
                }
            };
            if let Some(&first) = idx.first() {
                let best = self.cells[first].wall.clone().expect("filtered");
                let name = self.cells[first].key.strategy.clone();
                for &i in &idx {
                    let wall = self.cells[i].wall.as_ref().expect("filtered");
                    if let Some(ratio) = ratio_of_medians(wall, &best) {
                        self.cells[i].relative = Some(Relative {
                            fastest: name.clone(),
                            ratio,
                            tie_with_fastest: i == first || is_tie(wall, &best),
                        });
                    }
                }
            }
            self.groups.push(Group {
                builder,
                state,
                change,
                verdict,
                image_store,
            });
        }
    }

    /// True when some cell's runs left something in the registry: only then are a
    /// footprint table and chart worth showing (a run that pushes nothing measures
    /// zero everywhere).
    pub fn left_anything_in_registry(&self) -> bool {
        self.cells
            .iter()
            .filter_map(|c| c.footprint.as_ref())
            .any(|f| f.manifests > 0 || f.bytes > 0)
    }

    /// The cell with this key.
    pub fn cell(&self, key: &CellKey) -> Option<&CellStats> {
        self.cells.iter().find(|c| &c.key == key)
    }
}
