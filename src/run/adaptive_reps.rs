//! `--reps auto`: a group's cells (one store × builder × state) run in rounds, and
//! the cells of each change stop as soon as their verdict is settled: a winner
//! shown faster than every other cell, or a tie within the margin — or when their
//! budget is spent. The rule itself is the sequential stop rule of
//! [`crate::stats`]; this module keeps the samples (each cell's measured wall
//! seconds of runs that ended ok with their state proven, not disturbed), asks the
//! rule after every measured round from `min_reps` on, runs the set's race (a cell
//! the rule shows slower runs no more, and the others get its runs within the
//! budget of `max_reps` per cell: [`crate::stats::sequential::race`]), and records
//! why each set of cells stopped and which left the race ([`Stopping`], written to
//! `stopping.json` by the record store).
//!
//! A `--resume`d pass skips the runs OUT already holds and [`Subsets::observe`]s
//! their records in their rounds, as if it had run them: the rule sees every run of
//! the cells so far, so a resumed state stops at the round an uninterrupted pass
//! would have stopped at (given the same records), and `stopping.json`'s rounds and
//! builds count the earlier passes' runs too.

use crate::plan::cells::Cell;
use crate::records::record::{RunKind, RunRecord};
use crate::records::stopping::{LeftRace, Stopping};
use crate::run::rounds::Group;
use crate::stats::sequential::race::{Race, Reading};
use crate::stats::sequential::StopRule;
use crate::stats::two_cells::RunTime;
use crate::stats::verdict::Verdict;
use std::sync::Arc;

/// The judge of a set of cells: `samples[i]` is cell i's runs so far (samples only,
/// each with its round). The real one is the stop rule; tests script their own.
pub type Judge = Arc<dyn Fn(&[Vec<RunTime>]) -> Reading + Send + Sync>;

/// `--reps auto`: the rule (its settings: confidence, margin, reps) and its judge.
#[derive(Clone)]
pub struct AutoReps {
    pub rule: StopRule,
    pub judge: Judge,
}

impl std::fmt::Debug for AutoReps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutoReps")
            .field("rule", &self.rule)
            .finish_non_exhaustive()
    }
}

/// `--reps auto` with the stop rule of [`crate::stats::sequential`].
pub fn sequential(rule: StopRule) -> AutoReps {
    let r = rule.clone();
    AutoReps {
        rule,
        judge: Arc::new(move |samples: &[Vec<RunTime>]| r.read(samples)),
    }
}

struct Subset {
    cells: Vec<usize>,
    samples: Vec<Vec<RunTime>>,
    rounds: u32,
    builds: u32,
    /// Which cells still run, and the runs the set spent ([`Race`]).
    race: Race,
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
                        race: Race::new(0),
                        stopped: None,
                    });
                    sets.len() - 1
                }
            };
            sets[k].cells.push(i);
            sets[k].samples.push(vec![]);
        }
        for s in &mut sets {
            s.race = Race::new(s.cells.len());
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
            left_race: vec![],
            rule: Some(auto.rule.clone()),
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

    /// True while cell `i` still runs rounds: its set is open and the cell has
    /// not left the race.
    pub fn is_open(&self, i: usize) -> bool {
        self.set_of(i).is_some_and(|k| {
            let s = &self.sets[k];
            s.stopped.is_none()
                && s.cells
                    .iter()
                    .position(|&c| c == i)
                    .is_some_and(|at| s.race.running(at))
        })
    }

    /// The most rounds any set of the group can run ([`StopRule::round_cap`]).
    pub fn max_rounds(&self) -> u32 {
        self.sets
            .iter()
            .map(|s| self.auto.rule.round_cap(s.cells.len()))
            .max()
            .unwrap_or(self.auto.rule.max_reps)
    }

    /// Takes note of a run of cell `i`.
    pub fn observe(&mut self, i: usize, r: &RunRecord) {
        let Some(k) = self.set_of(i) else { return };
        if r.kind != RunKind::Measured {
            return;
        }
        let s = &mut self.sets[k];
        s.race.count_run();
        if r.is_build() {
            s.builds += 1;
        }
        if let (Some(secs), Some(at)) = (r.sample_seconds(), s.cells.iter().position(|&c| c == i)) {
            s.samples[at].push(RunTime {
                block: r.round.map(u64::from),
                seconds: secs,
            });
        }
    }

    fn stop(&self, k: usize, reason: &str, rounds: u32) -> Stopping {
        let s = &self.sets[k];
        Stopping {
            change: self.changes[k].clone(),
            reason: reason.into(),
            rounds,
            builds: s.builds,
            fixed_builds: self.auto.rule.budget(s.cells.len()),
            cells: s.cells.iter().map(|&i| self.keys[i].clone()).collect(),
            left_race: (0..s.cells.len())
                .filter_map(|at| {
                    s.race.left_after(at).map(|round| LeftRace {
                        cell: self.keys[s.cells[at]].clone(),
                        after_round: round,
                    })
                })
                .collect(),
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
            if rep < self.auto.rule.min_reps {
                continue;
            }
            let at_max = self.sets[k].race.spent(&self.auto.rule, rep);
            let cell_key = |at: usize| self.keys[self.sets[k].cells[at]].clone();
            let reading = (self.auto.judge)(&self.sets[k].samples);
            let stop = match reading.verdict.clone() {
                _ if self.sets[k].cells.len() < 2 => Some(self.stop(k, "single cell", rep)),
                Verdict::Winner { option, .. } => Some(Stopping {
                    winner: Some(cell_key(option)),
                    ..self.stop(k, "winner", rep)
                }),
                Verdict::Tie { options } => Some(Stopping {
                    tied: options.into_iter().map(cell_key).collect(),
                    ..self.stop(k, "tie", rep)
                }),
                Verdict::Alone { option } => Some(Stopping {
                    leaning: Some(cell_key(option)),
                    ..self.stop(k, "single cell", rep)
                }),
                Verdict::Leaning {
                    option,
                    more_runs,
                    futile,
                    ..
                } if futile || at_max => Some(Stopping {
                    leaning: Some(cell_key(option)),
                    more_runs,
                    // Futility stops early; once the budget is spent the set
                    // stops on that, whatever the last look's futility said.
                    ..self.stop(k, if at_max { "max_reps" } else { "futile" }, rep)
                }),
                Verdict::NoData if at_max => Some(self.stop(k, "max_reps", rep)),
                Verdict::Noise { option, .. } => Some(Stopping {
                    leaning: Some(cell_key(option)),
                    ..self.stop(k, "noise", rep)
                }),
                Verdict::Leaning { .. } | Verdict::NoData => None,
            };
            if let Some(s) = stop {
                stopped_cells.extend(
                    (0..self.sets[k].cells.len())
                        .filter(|&at| self.sets[k].race.running(at))
                        .map(|at| self.sets[k].cells[at]),
                );
                self.sets[k].stopped = Some(s);
            } else {
                let set = &mut self.sets[k];
                set.race.after_round(&self.auto.rule, rep, &reading);
                stopped_cells.extend(
                    (0..set.cells.len())
                        .filter(|&at| set.race.left_after(at) == Some(rep))
                        .map(|at| set.cells[at]),
                );
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

#[cfg(test)]
mod tests_race;
