//! From records to per-cell statistics and verdicts: which runs are samples, status
//! counts and reasons, wall-time and per-phase statistics, outliers, the slow-first-run
//! hint, speed relative to the fastest strategy of the same image store × builder ×
//! state × change, and the verdict (winner, or a tie) of each such group.
//!
//! Samples are measured runs with status `ok` and a `wall_ms`; warm-ups are counted
//! but never sampled. Order is that of first appearance in the records (the order the
//! scenario ran the matrix), so output is deterministic for a given `runs.jsonl`.

use crate::records::record::{CellKey, RunRecord};
use crate::report::cell_stats::{push_unique, CellStats, Relative};
use crate::{stats::summary::is_tie, stats::summary::ratio_of_medians, stats::summary::Ratio};
use serde::{Deserialize, Serialize};

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

fn pos(v: &[String], s: &str) -> usize {
    v.iter().position(|x| x == s).unwrap_or(usize::MAX)
}

impl Analysis {
    /// The cells of one group, in the analysis's order.
    pub fn cells_of<'a>(&'a self, g: &'a Group) -> impl Iterator<Item = &'a CellStats> + 'a {
        self.cells.iter().filter(move |c| {
            c.key.image_store == g.image_store
                && c.key.builder == g.builder
                && c.key.state == g.state
                && c.key.change == g.change
        })
    }

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
