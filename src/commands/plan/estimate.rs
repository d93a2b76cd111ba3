//! What `cachebench plan` says a matrix costs: how many builds it runs (measured
//! runs, warm-up runs, and the warming builds warm chains start with; with `--reps
//! auto`, between its least and most), and, with `--estimate-from OUT`, how long
//! they take from what an earlier results folder recorded: per cell, the median of
//! its runs' time (preparation and measured commands) and of its warming builds;
//! a cell OUT has no record of takes the median over every cell there, and is
//! named.

use crate::config::matrix::State;
use crate::plan::cells::Cell;
use crate::records::cell_key::CellKey;
use crate::records::record::{RunRecord, RunStatus};
use std::collections::HashMap;
use std::time::Duration;

/// The builds of a plan at one count of measured runs per cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Builds {
    pub measured: u64,
    pub warmup: u64,
    /// Warming builds of their own (a warm chain's first run; every warm run
    /// without chains). Not counted: a chain warmed again after a failed run.
    pub warming: u64,
}

impl Builds {
    pub fn total(&self) -> u64 {
        self.measured + self.warmup + self.warming
    }
}

/// The builds of `cells` with `warmup` warm-up and `reps` measured runs per cell;
/// `chains`: warm chains on (the default).
pub fn builds(cells: &[Cell], warmup: u32, reps: u32, chains: bool) -> Builds {
    let mut b = Builds::default();
    for c in cells.iter().filter(|c| c.skip.is_none()) {
        b.measured += u64::from(reps);
        b.warmup += u64::from(warmup);
        if c.state != State::Cold {
            b.warming += if chains { 1 } else { u64::from(warmup + reps) };
        }
    }
    b
}

/// Medians of what an earlier results folder recorded.
#[derive(Debug, Default)]
pub struct Recorded {
    /// Per cell: the median of a run's preparation and measured commands (runs
    /// without a warming build of their own), and of a warming build's preparation.
    cells: HashMap<CellKey, (Option<u64>, Option<u64>)>,
    overall_run: Option<u64>,
    overall_warming: Option<u64>,
}

fn median(mut v: Vec<u64>) -> Option<u64> {
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2),
    }
}

impl Recorded {
    /// The medians of `records` (runs that ran: ok, failed or timed out with a
    /// wall time).
    pub fn from_records(records: &[RunRecord]) -> Recorded {
        let mut runs: HashMap<CellKey, Vec<u64>> = HashMap::new();
        let mut warming: HashMap<CellKey, Vec<u64>> = HashMap::new();
        for r in records {
            let ran = matches!(
                r.status,
                RunStatus::Ok | RunStatus::Failed | RunStatus::Timeout
            );
            let (Some(wall), true) = (r.wall_ms, ran) else {
                continue;
            };
            let prepare = r.prepare_ms.unwrap_or(0);
            if r.warmed_by == "prepare" {
                warming.entry(r.cell()).or_default().push(prepare);
                runs.entry(r.cell()).or_default().push(wall);
            } else {
                runs.entry(r.cell()).or_default().push(wall + prepare);
            }
        }
        let overall_run = median(runs.values().flatten().copied().collect());
        let overall_warming = median(warming.values().flatten().copied().collect());
        let mut cells: HashMap<CellKey, (Option<u64>, Option<u64>)> = HashMap::new();
        for (k, v) in runs {
            cells.entry(k).or_default().0 = median(v);
        }
        for (k, v) in warming {
            cells.entry(k).or_default().1 = median(v);
        }
        Recorded {
            cells,
            overall_run,
            overall_warming,
        }
    }
}

/// How long a plan is expected to take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub time: Duration,
    /// Cells with no record in the folder (the overall median stands in).
    pub unrecorded: Vec<String>,
}

/// The time of `cells` at `warmup` + `reps` runs per cell from `rec`; `None` when
/// the folder recorded no run at all.
pub fn expected(
    cells: &[Cell],
    warmup: u32,
    reps: u32,
    chains: bool,
    rec: &Recorded,
) -> Option<Expected> {
    let overall_run = rec.overall_run?;
    let mut ms = 0u64;
    let mut unrecorded = Vec::new();
    for c in cells.iter().filter(|c| c.skip.is_none()) {
        let mine = rec.cells.get(&c.key()).copied();
        let run = match mine.and_then(|m| m.0) {
            Some(v) => v,
            None => {
                unrecorded.push(c.key().to_string());
                overall_run
            }
        };
        // A warming build costs what it recorded, else what a run of the cell does.
        let warming = mine
            .and_then(|m| m.1)
            .or(rec.overall_warming.filter(|_| mine.is_none()))
            .unwrap_or(run);
        let one = builds(std::slice::from_ref(c), warmup, reps, chains);
        ms += run * (one.measured + one.warmup) + warming * one.warming;
    }
    Some(Expected {
        time: Duration::from_millis(ms),
        unrecorded,
    })
}
