//! `OUT/stopping.json`: why each state of a `--reps auto` run stopped, one
//! [`Stopping`] per store × builder × state × change, with the rule the run used.
//! Written by `run` at the end of the matrix, read by `report` and `replay`.

use crate::error::Result;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The file in OUT that says why each state stopped (`--reps auto`).
pub const STOPPING_JSON: &str = "stopping.json";

/// Why one set of cells (one store × builder × state × change) stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stopping {
    pub image_store: String,
    pub builder: String,
    pub state: String,
    pub change: String,
    /// `winner`, `tie`, `futile` (not settled, and more runs up to `max_reps`
    /// would very likely not settle it), `max_reps` (not settled), `single cell`
    /// (nothing to compare: stopped at `min_reps`), or `interrupted`.
    pub reason: String,
    /// The winning cell's key.
    pub winner: Option<String>,
    /// A tie: the cells of the leader's group (the leader first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tied: Vec<String>,
    /// Futile, at `max_reps` or an interruption: the cell the rule leaned to, and
    /// how many more runs per cell it said might settle it.
    pub leaning: Option<String>,
    pub more_runs: Option<u32>,
    /// Measured rounds run (a `--resume`d run: by every pass).
    pub rounds: u32,
    /// Measured runs run (builds; a `--resume`d run: by every pass), against
    /// `fixed_builds` for a fixed run of `max_reps` reps (a race's budget).
    pub builds: u32,
    pub fixed_builds: u32,
    pub cells: Vec<String>,
    /// The cells that left the race, shown slower than the leader, and the round
    /// after which they ran no more ([`crate::stats::sequential::race`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_race: Vec<LeftRace>,
    /// The rule the state was stopped by (its looks: `min_reps..=max_reps`); the
    /// report reads the records with it. Absent in files written before it was:
    /// the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<crate::stats::sequential::StopRule>,
}

/// A cell that left its state's race.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeftRace {
    pub cell: String,
    pub after_round: u32,
}

/// `stopping.json` (written by a `--reps auto` run), or nothing when it is absent.
pub fn read(out: &Path) -> Result<Vec<Stopping>> {
    let path = &out.join(STOPPING_JSON);
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            anyhow::anyhow!(
                "{}: not a stopping.json cachebench wrote: {e}",
                path.display()
            )
            .into()
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(anyhow::Error::new(e)
            .context(format!("reading {}", path.display()))
            .into()),
    }
}

/// Writes `stopping.json` into `out`; a failure is a warning for the caller.
pub fn write(out: &Path, stopping: &[Stopping]) -> std::io::Result<std::path::PathBuf> {
    let path = out.join(STOPPING_JSON);
    let text = serde_json::to_string_pretty(stopping).map_err(std::io::Error::other)?;
    std::fs::write(&path, text)?;
    Ok(path)
}
