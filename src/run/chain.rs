//! Warm chains: where the state allows, measured run k of a cell is the warming
//! build of run k+1, so a warm state is prepared once per cell instead of once per
//! run (a warming build is a whole cold build, the largest part of a matrix's
//! wall time before chains).
//!
//! - **warm-local**: the previous run of the cell left local state warm (its
//!   builder, the engine's build cache and images); the next run applies a new
//!   nonce and builds (change `none`: builds again). layer-cache keeps its daemon
//!   restart before each run: that restart is its state.
//! - **warm-remote**: the previous run exported the remote cache (registry ref,
//!   cache folder, pushed image), under names the chain keeps; the next run empties
//!   local state and builds from that cache.
//! - **cold**: never chained: each run empties local state and uses fresh refs.
//!
//! Rounds ([`crate::run::rounds`]) run other cells between two runs of a chain. That
//! is sound here because of what each state keeps, and where:
//! - warm-remote and cold runs start from empty local state anyway; a warm-remote
//!   chain lives in its remote cache only, which no other cell touches (refs and
//!   folders are the chain's own), so they interleave freely.
//! - warm-local cells of one group share one engine, and nothing in the group
//!   empties it: it is emptied once when the group starts. On the docker driver the
//!   engine's build cache is shared by the group's cells (a warm host building
//!   several pipelines), and every run's change carries a nonce no run used, so no
//!   run is served its changed steps from another cell's build. docker-container
//!   cells keep a builder per chain, which no other cell uses, in a group of their
//!   own (no daemon restart there stops it).
//!
//! A run that failed, or whose state check failed, breaks its chain: the next run
//! of the cell warms again with a warming build of its own (once, on a fresh copy
//! of the context: a change that broke the build is not built again), then chains
//! on.
//! Every run still passes its own state check; `warmed_by` records the build each
//! run stood on, and `prepare_ms` what its preparation took.

use crate::config::matrix::State;
use crate::records::record::{RunRecord, RunStatus};

/// How a run's state is prepared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prep {
    /// Local state emptied, fresh refs: a cold run.
    Fresh,
    /// A warming build of its own first: the first run of a warm chain, or the
    /// first after a broken one.
    Warm,
    /// The previous run of the chain left the state: no warming build.
    Chained,
}

/// What the executor is told about one run besides its cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunPlan {
    /// The chain: the cell's index in the plan (names its workspace, refs, builder).
    pub chain: usize,
    pub prep: Prep,
}

/// One cell's chain across the rounds of its group.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    /// The last run of the cell, when it left a state the next can stand on
    /// (`warmup 1`, `measured 3`).
    last_ok: Option<String>,
}

impl Chain {
    /// How the next run of a cell in `state` is prepared, and the build it will
    /// stand on (for the record's `warmed_by`).
    pub fn next(&self, state: State) -> (Prep, String) {
        match (state, &self.last_ok) {
            (State::Cold, _) => (Prep::Fresh, String::new()),
            (_, Some(prev)) => (Prep::Chained, prev.clone()),
            (_, None) => (Prep::Warm, "prepare".into()),
        }
    }

    /// Takes note of how a run of the chain ended: ok with its state proven keeps
    /// the chain; anything else breaks it. A run not run leaves it as it was.
    pub fn after(&mut self, r: &RunRecord, ran: bool) {
        if !ran {
            return;
        }
        self.last_ok = (r.status == RunStatus::Ok && !r.state_failed())
            .then(|| format!("{} {}", r.kind, r.rep));
    }
}

#[cfg(test)]
mod tests;
