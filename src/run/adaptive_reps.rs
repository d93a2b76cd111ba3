//! `--reps auto`: a group's cells (one store × builder × state) run in rounds, and
//! the cells of each change stop as soon as their verdict is settled: a winner
//! whose interval is disjoint from every other cell's, or a tie within the margin
//! that more runs would not break — or at `max_reps`. The rule itself is the
//! sequential stop rule of [`crate::stats`]; this module keeps the samples (each
//! cell's measured wall seconds of runs that ended ok with their state proven),
//! asks the rule after every measured round from `min_reps` on, and records why
//! each set of cells stopped ([`Stopping`], written to `stopping.json` by the record store).
//!
//! A `--resume`d pass skips the runs OUT already holds and [`Subsets::observe`]s
//! their records in their rounds, as if it had run them: the rule sees every run of
//! the cells so far, so a resumed state stops at the round an uninterrupted pass
//! would have stopped at (given the same records), and `stopping.json`'s rounds and
//! builds count the earlier passes' runs too.

use crate::plan::cells::Cell;
use crate::records::record::{RunKind, RunRecord, RunStatus};
use crate::records::stopping::Stopping;
use crate::run::rounds::Group;
use std::sync::Arc;

/// What the stop rule says about a set of cells' samples.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Cell (index into the samples) wins: its interval is disjoint from the rest.
    Winner(usize),
    /// A tie within the margin that more runs would not break: the leader and the
    /// cells proved within the margin of it.
    Tie(Vec<usize>),
    /// Not settled, and more runs up to `max_reps` would very likely not settle it
    /// (the rule's non-binding futility stop): stop now, unsettled.
    Futile {
        leaning: Option<usize>,
        more_runs: Option<u32>,
    },
    /// Not settled: the cell it leans to, and how many more runs might settle it.
    Open {
        leaning: Option<usize>,
        more_runs: Option<u32>,
    },
}

/// The rule: `samples[i]` is cell i's measured wall seconds so far.
pub type Rule = Arc<dyn Fn(&[Vec<f64>]) -> Verdict + Send + Sync>;

/// The `--reps auto` settings and the rule they make.
#[derive(Clone)]
pub struct AutoReps {
    pub min_reps: u32,
    pub max_reps: u32,
    pub confidence: f64,
    /// A tie's margin, as a fraction (0.03 = ±3%).
    pub margin: f64,
    pub rule: Rule,
}

impl std::fmt::Debug for AutoReps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutoReps")
            .field("min_reps", &self.min_reps)
            .field("max_reps", &self.max_reps)
            .field("confidence", &self.confidence)
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

/// `--reps auto` with the sequential stop rule of [`crate::stats::sequential`]
/// (Welch's t-tests on log wall times, corrected for the repeated looks).
pub fn sequential(s: &crate::config::reps::AutoSettings) -> AutoReps {
    use crate::stats::sequential::{Decision, Settled, StopRule};
    let rule = StopRule {
        confidence: s.confidence,
        margin: s.margin,
        min_reps: s.min_reps,
        max_reps: s.max_reps,
    };
    AutoReps {
        min_reps: s.min_reps,
        max_reps: s.max_reps,
        confidence: s.confidence,
        margin: s.margin,
        // Settled once per look: an open state's leaning comes with the decision.
        rule: Arc::new(
            move |samples: &[Vec<f64>]| match rule.decide_settled(samples) {
                (Decision::Futile { leaning, more_runs }, _) => {
                    Verdict::Futile { leaning, more_runs }
                }
                (_, Settled::Winner { cell }) => Verdict::Winner(cell),
                (_, Settled::Tie) => Verdict::Tie(rule.tied_group(samples)),
                (_, Settled::Open { leaning, more_runs }) => Verdict::Open { leaning, more_runs },
            },
        ),
    }
}

struct Subset {
    cells: Vec<usize>,
    samples: Vec<Vec<f64>>,
    rounds: u32,
    builds: u32,
    stopped: Option<Stopping>,
}

/// The sets of cells of one group that stop together, with their samples.
pub struct Subsets {
    auto: AutoReps,
    keys: Vec<String>,
    sets: Vec<Subset>,
    proto: Stopping,
    changes: Vec<String>,
}

impl Subsets {
    /// The group's cells, one set per change.
    pub fn new(auto: AutoReps, cells: &[Cell], g: &Group) -> Subsets {
        let mut changes: Vec<String> = Vec::new();
        let mut sets: Vec<Subset> = Vec::new();
        for &i in &g.run {
            let ch = cells[i].change.to_string();
            let k = match changes.iter().position(|c| *c == ch) {
                Some(k) => k,
                None => {
                    changes.push(ch);
                    sets.push(Subset {
                        cells: vec![],
                        samples: vec![],
                        rounds: 0,
                        builds: 0,
                        stopped: None,
                    });
                    sets.len() - 1
                }
            };
            sets[k].cells.push(i);
            sets[k].samples.push(vec![]);
        }
        let keys = cells.iter().map(|c| c.key().to_string()).collect();
        let proto = Stopping {
            image_store: g.store.to_string(),
            builder: g.builder.to_string(),
            state: g.state.to_string(),
            change: String::new(),
            reason: String::new(),
            winner: None,
            tied: vec![],
            leaning: None,
            more_runs: None,
            rounds: 0,
            builds: 0,
            fixed_builds: 0,
            cells: vec![],
            rule: Some(crate::stats::sequential::StopRule {
                confidence: auto.confidence,
                margin: auto.margin,
                min_reps: auto.min_reps,
                max_reps: auto.max_reps,
            }),
        };
        Subsets {
            auto,
            keys,
            sets,
            proto,
            changes,
        }
    }

    fn set_of(&self, cell: usize) -> Option<usize> {
        self.sets.iter().position(|s| s.cells.contains(&cell))
    }

    /// True while cell `i` still runs rounds.
    pub fn is_open(&self, i: usize) -> bool {
        self.set_of(i)
            .is_some_and(|k| self.sets[k].stopped.is_none())
    }

    /// Takes note of a run of cell `i`.
    pub fn observe(&mut self, i: usize, r: &RunRecord) {
        let Some(k) = self.set_of(i) else { return };
        if r.kind != RunKind::Measured {
            return;
        }
        let s = &mut self.sets[k];
        if !matches!(r.status, RunStatus::Skipped | RunStatus::Interrupted) {
            s.builds += 1;
        }
        if r.status == RunStatus::Ok && !r.state_failed() {
            if let (Some(ms), Some(at)) = (r.wall_ms, s.cells.iter().position(|&c| c == i)) {
                s.samples[at].push(ms as f64 / 1000.0);
            }
        }
    }

    fn stop(&self, k: usize, reason: &str, rounds: u32) -> Stopping {
        let s = &self.sets[k];
        Stopping {
            change: self.changes[k].clone(),
            reason: reason.into(),
            rounds,
            builds: s.builds,
            fixed_builds: s.cells.len() as u32 * self.auto.max_reps,
            cells: s.cells.iter().map(|&i| self.keys[i].clone()).collect(),
            ..self.proto.clone()
        }
    }

    /// After measured round `rep`: asks the rule about every open set; returns the
    /// cells that stopped now.
    pub fn settle_round(&mut self, rep: u32) -> Vec<usize> {
        let mut stopped_cells = Vec::new();
        for k in 0..self.sets.len() {
            if self.sets[k].stopped.is_some() {
                continue;
            }
            self.sets[k].rounds = rep;
            if rep < self.auto.min_reps {
                continue;
            }
            let stop = if self.sets[k].cells.len() < 2 {
                Some(self.stop(k, "single cell", rep))
            } else {
                let cell_key = |at: usize| self.keys[self.sets[k].cells[at]].clone();
                match (self.auto.rule)(&self.sets[k].samples) {
                    Verdict::Winner(at) => Some(Stopping {
                        winner: Some(cell_key(at)),
                        ..self.stop(k, "winner", rep)
                    }),
                    Verdict::Tie(group) => Some(Stopping {
                        tied: group.into_iter().map(cell_key).collect(),
                        ..self.stop(k, "tie", rep)
                    }),
                    Verdict::Futile { leaning, more_runs } => Some(Stopping {
                        leaning: leaning.map(cell_key),
                        more_runs,
                        ..self.stop(k, "futile", rep)
                    }),
                    Verdict::Open { leaning, more_runs } if rep >= self.auto.max_reps => {
                        Some(Stopping {
                            leaning: leaning.map(cell_key),
                            more_runs,
                            ..self.stop(k, "max_reps", rep)
                        })
                    }
                    Verdict::Open { .. } => None,
                }
            };
            if let Some(s) = stop {
                stopped_cells.extend(self.sets[k].cells.iter().copied());
                self.sets[k].stopped = Some(s);
            }
        }
        stopped_cells
    }

    /// Why every set stopped; a set still open was interrupted.
    pub fn finish(self) -> Vec<Stopping> {
        (0..self.sets.len())
            .map(|k| match &self.sets[k].stopped {
                Some(s) => s.clone(),
                None => self.stop(k, "interrupted", self.sets[k].rounds),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
