//! The expanded matrix: every cell (builder × strategy × state × change) in run
//! order, with the reason when a cell is planned as skipped instead of run.

use crate::matrix::{BuilderKind, Change, State, Strategy};
use crate::options::Options;
use crate::record::CellKey;

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub strategy: Strategy,
    pub builder: BuilderKind,
    pub state: State,
    pub change: Change,
    /// Why the cell is not run, when it is not.
    pub skip: Option<String>,
}

impl Cell {
    pub fn key(&self) -> CellKey {
        CellKey {
            strategy: self.strategy.to_string(),
            builder: self.builder.to_string(),
            state: self.state.to_string(),
            change: self.change.to_string(),
        }
    }

    /// A short, file-name-safe id: `push-docker-cold-source`.
    pub fn slug(&self) -> String {
        format!(
            "{}-{}-{}-{}",
            self.strategy, self.builder, self.state, self.change
        )
    }
}

/// What the planner knows about the machine (found out before planning, so a plan
/// is a pure function of it and the options).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Why docker-container builders cannot run here (the BuildKit image missing).
    pub container_builder_unavailable: Option<String>,
    /// Why the gha cache cannot be used (no ACTIONS_CACHE_URL / token).
    pub gha_unavailable: Option<String>,
}

impl Facts {
    /// The gha cache needs the runner's cache service; only its presence is
    /// checked, the token is never read.
    pub fn from_env() -> Facts {
        let has = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        Facts {
            container_builder_unavailable: None,
            gha_unavailable: if has("ACTIONS_RUNTIME_TOKEN")
                && (has("ACTIONS_CACHE_URL") || has("ACTIONS_RESULTS_URL"))
            {
                None
            } else {
                Some(
                    "the gha cache needs ACTIONS_CACHE_URL and ACTIONS_RUNTIME_TOKEN, which only a \
                     GitHub Actions runner provides (expose them with crazy-max/ghaction-github-runtime)"
                        .into(),
                )
            },
        }
    }
}

/// Why a combination makes no sense, if it does not.
pub fn static_skip(strategy: Strategy, builder: BuilderKind, state: State) -> Option<String> {
    use Strategy::*;
    if builder == BuilderKind::DockerContainer {
        match strategy {
            Legacy => {
                return Some("the legacy builder does not run on buildx builders".into());
            }
            LayerCache => return Some(
                "layer-cache is the engine's own layer store; a docker-container builder keeps \
                     its cache in its container"
                    .into(),
            ),
            _ => {}
        }
    }
    if state == State::WarmRemote {
        match strategy {
            Legacy | Buildkit | LoadPush | Push => {
                return Some(format!(
                    "{strategy} imports no remote cache, so warm-remote is the same as cold"
                ))
            }
            LayerCache => {
                return Some(
                    "layer-cache is local to the host; there is no remote state to warm".into(),
                )
            }
            _ => {}
        }
    }
    None
}

/// Expands the matrix in run order: builder, strategy, state, change.
pub fn expand(o: &Options, facts: &Facts) -> Vec<Cell> {
    let mut cells = Vec::new();
    for &builder in &o.builders {
        for &strategy in &o.strategies {
            if builder == BuilderKind::DockerContainer
                && o.container_strategies
                    .as_ref()
                    .is_some_and(|only| !only.contains(&strategy))
            {
                continue; // not asked for on docker-container builders
            }
            for &state in &o.states {
                for &change in &o.changes {
                    let mut skip = static_skip(strategy, builder, state);
                    if skip.is_none() && builder == BuilderKind::DockerContainer {
                        skip = facts.container_builder_unavailable.clone();
                    }
                    if skip.is_none() && strategy == Strategy::GhaCache {
                        skip = facts.gha_unavailable.clone();
                    }
                    cells.push(Cell {
                        strategy,
                        builder,
                        state,
                        change,
                        skip,
                    });
                }
            }
        }
    }
    cells
}

/// True when running `cells` needs emptying local build state (a cold or
/// warm-remote cell that is not skipped). Warm-local cells build on whatever the
/// engine holds, so they need no pruning.
pub fn needs_prune(cells: &[Cell]) -> bool {
    cells
        .iter()
        .any(|c| c.skip.is_none() && matches!(c.state, State::Cold | State::WarmRemote))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonsense_cells_are_skipped_with_a_reason() {
        let r = static_skip(Strategy::Legacy, BuilderKind::Docker, State::WarmRemote).unwrap();
        assert!(r.contains("warm-remote is the same as cold"), "{r}");
        assert!(static_skip(
            Strategy::RegistryCache,
            BuilderKind::Docker,
            State::WarmRemote
        )
        .is_none());
        assert!(static_skip(
            Strategy::LayerCache,
            BuilderKind::DockerContainer,
            State::Cold
        )
        .is_some());
        assert!(static_skip(Strategy::Push, BuilderKind::Docker, State::WarmLocal).is_none());
    }
}
