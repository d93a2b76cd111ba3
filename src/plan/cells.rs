//! The expanded matrix: every cell (image store × builder × strategy × state ×
//! change × link) in plan order, with the reason when a cell is planned as skipped instead
//! of run.
//!
//! A cold state rebuilds everything, so what changed makes no difference to it: a
//! cold cell is planned once per strategy × builder × store, with the first change
//! of the matrix as its change and every change in [`Cell::stands_for`], and the
//! report reuses it in each change's comparison.

use crate::config::matrix::{BuilderKind, Change, ImageStore, State, Strategy};
use crate::config::options::Options;

/// One cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub strategy: Strategy,
    pub builder: BuilderKind,
    pub state: State,
    pub change: Change,
    pub image_store: ImageStore,
    /// Why the cell is not run, when it is not.
    pub skip: Option<String>,
    /// For a cold cell, every change of the matrix: it stands for all of them
    /// (empty for warm cells).
    pub stands_for: Vec<Change>,
    /// The link between the build and every remote cache, by its canonical name
    /// (`none`: no proxy in the path; see `infra/link`).
    pub link: String,
}

/// A cell's key, as records name it, is `Cell::key` (in `records/record.rs`: the
/// record store owns the names; the plan comes before it).
impl Cell {
    /// [`Cell::stands_for`] as the record writes it: space-separated.
    pub fn stands_for_text(&self) -> String {
        self.stands_for
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A short, file-name-safe id: `push-docker-cold-source`, with `-classic`
    /// appended on the classic store.
    pub fn slug(&self) -> String {
        let base = format!(
            "{}-{}-{}-{}",
            self.strategy, self.builder, self.state, self.change
        );
        let base = match self.image_store {
            ImageStore::Containerd => base,
            s => format!("{base}-{s}"),
        };
        match self.has_link() {
            false => base,
            true => format!("{base}-link-{}", file_safe(&self.link)),
        }
    }

    /// Whether the cell's caches are reached through a link (not `none`).
    pub fn has_link(&self) -> bool {
        self.link != crate::config::matrix::NO_LINK
    }
}

/// A link's name as part of a file name or tag: `200mbit/20ms` → `200mbit-20ms`,
/// `up=50mbit,down=500mbit,rtt=40ms` → `up50mbit-down500mbit-rtt40ms`.
fn file_safe(link: &str) -> String {
    link.chars()
        .filter(|c| *c != '=')
        .map(|c| match c {
            c if c.is_ascii_alphanumeric() || c == '.' => c,
            _ => '-',
        })
        .collect()
}

/// What the planner knows about the machine (found out before planning, so a plan
/// is a pure function of it and the options).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Why docker-container builders cannot run here (the BuildKit image missing).
    pub container_builder_unavailable: Option<String>,
    /// Why the gha cache cannot be used (none today: where no runner provides the
    /// service, cachebench's stand-in does).
    pub gha_unavailable: Option<String>,
    /// The host and image store of an engine cachebench does not own.
    pub external_store: Option<(String, ImageStore)>,
    /// Run cells the engine cannot run, to record the real failure
    /// ([`crate::plan::image_store::UNSUPPORTED_CELLS_ENV`]).
    pub run_unsupported: bool,
}

impl Facts {
    /// The gha cache runs everywhere: on a GitHub runner against the runner's cache
    /// service (`ACTIONS_CACHE_URL` / `ACTIONS_RESULTS_URL` and
    /// `ACTIONS_RUNTIME_TOKEN`, only their presence is checked), elsewhere against
    /// cachebench's stand-in of it (`run/gha_service.rs`).
    pub fn from_env() -> Facts {
        Facts {
            container_builder_unavailable: None,
            external_store: None,
            run_unsupported: crate::plan::image_store::run_unsupported_from_env(),
            gha_unavailable: None,
        }
    }

    /// True on a GitHub runner that exposes its cache service (the real one is
    /// then used instead of the stand-in).
    pub fn runner_gha_service() -> bool {
        let has = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        has("ACTIONS_RUNTIME_TOKEN") && (has("ACTIONS_CACHE_URL") || has("ACTIONS_RESULTS_URL"))
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

/// Expands the matrix in run order: image store (so that cells of one store run
/// together and the engine switches store at most once per store), builder,
/// strategy, state, change, link (cells that differ only by their link are
/// separate cells, next to each other).
pub fn expand(o: &Options, facts: &Facts) -> Vec<Cell> {
    let mut cells = Vec::new();
    let external = facts.external_store.as_ref().map(|(_, s)| *s);
    for image_store in
        crate::plan::image_store::planned(&o.image_stores, o.image_stores_given, external)
    {
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
                    // Cold: one cell, standing for every change.
                    let changes = match state {
                        State::Cold => &o.changes[..o.changes.len().min(1)],
                        _ => &o.changes[..],
                    };
                    let stands_for = match state {
                        State::Cold => o.changes.clone(),
                        _ => vec![],
                    };
                    for &change in changes {
                        let mut skip = static_skip(strategy, builder, state);
                        if let (None, Some((host, has))) = (&skip, &facts.external_store) {
                            skip = crate::plan::image_store::foreign_store_skip(
                                host,
                                *has,
                                image_store,
                            );
                        }
                        if skip.is_none() && !facts.run_unsupported {
                            skip = crate::plan::image_store::engine_skip(
                                strategy,
                                builder,
                                image_store,
                            );
                        }
                        if skip.is_none() && builder == BuilderKind::DockerContainer {
                            skip = facts.container_builder_unavailable.clone();
                        }
                        if skip.is_none() && strategy == Strategy::GhaCache {
                            skip = facts.gha_unavailable.clone();
                        }
                        for link in o.link_names() {
                            cells.push(Cell {
                                strategy,
                                builder,
                                state,
                                change,
                                image_store,
                                skip: skip.clone(),
                                stands_for: stands_for.clone(),
                                link,
                            });
                        }
                    }
                }
            }
        }
    }
    cells
}

/// The image stores of the cells that run, in run order.
pub fn stores_run(cells: &[Cell]) -> Vec<ImageStore> {
    let mut v: Vec<ImageStore> = Vec::new();
    for c in cells.iter().filter(|c| c.skip.is_none()) {
        if !v.contains(&c.image_store) {
            v.push(c.image_store);
        }
    }
    v
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

    fn opts(stores: &[&str]) -> (tempfile::TempDir, Options) {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let a = crate::config::cli::RunArgs {
            context: Some(d.path().to_path_buf()),
            strategies: vec![Strategy::RegistryCache, Strategy::Push],
            states: vec![State::Cold],
            changes: vec![Change::None],
            image_stores: stores.iter().map(|s| s.parse().unwrap()).collect(),
            ..Default::default()
        };
        let o = Options::merge(None, &a).unwrap();
        (d, o)
    }

    #[test]
    fn stores_run_together_and_classic_cache_export_is_skipped() {
        let (_d, o) = opts(&["classic", "containerd"]);
        let cells = expand(&o, &Facts::default());
        let order: Vec<String> = cells.iter().map(|c| c.key().to_string()).collect();
        assert_eq!(
            order,
            [
                "registry-cache/docker/cold/none/classic",
                "push/docker/cold/none/classic",
                "registry-cache/docker/cold/none",
                "push/docker/cold/none",
            ]
        );
        let r = cells[0].skip.as_deref().unwrap();
        assert!(
            r.contains(crate::plan::image_store::CLASSIC_CACHE_EXPORT_ERROR),
            "{r}"
        );
        assert!(cells[1..].iter().all(|c| c.skip.is_none()));
        assert_eq!(cells[1].slug(), "push-docker-cold-none-classic");
        assert_eq!(cells[3].slug(), "push-docker-cold-none");
        assert_eq!(
            stores_run(&cells),
            vec![ImageStore::Classic, ImageStore::Containerd]
        );
        let facts = Facts {
            run_unsupported: true,
            ..Facts::default()
        };
        assert!(expand(&o, &facts)[0].skip.is_none());
    }

    #[test]
    fn cold_is_planned_once_per_strategy_for_every_change() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        std::fs::write(d.path().join("s.txt"), "s").unwrap();
        std::fs::write(d.path().join("d.txt"), "d").unwrap();
        let a = crate::config::cli::RunArgs {
            context: Some(d.path().to_path_buf()),
            strategies: vec![Strategy::RegistryCache],
            states: vec![State::Cold, State::WarmRemote],
            changes: vec![Change::Source, Change::Deps],
            source_file: Some("s.txt".into()),
            deps_file: Some("d.txt".into()),
            ..Default::default()
        };
        let o = Options::merge(None, &a).unwrap();
        let cells = expand(&o, &Facts::default());
        let keys: Vec<String> = cells.iter().map(|c| c.key().to_string()).collect();
        assert_eq!(
            keys,
            [
                "registry-cache/docker/cold/source",
                "registry-cache/docker/warm-remote/source",
                "registry-cache/docker/warm-remote/deps",
            ]
        );
        assert_eq!(cells[0].stands_for, [Change::Source, Change::Deps]);
        assert_eq!(cells[0].stands_for_text(), "source deps");
        assert!(cells[1].stands_for.is_empty() && cells[2].stands_for.is_empty());
    }

    #[test]
    fn container_strategies_limit_docker_container_cells() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let a = crate::config::cli::RunArgs {
            context: Some(d.path().to_path_buf()),
            strategies: vec![Strategy::Legacy, Strategy::Buildkit, Strategy::Push],
            states: vec![State::Cold],
            changes: vec![Change::None],
            builders: vec![BuilderKind::Docker, BuilderKind::DockerContainer],
            ..Default::default()
        };
        let mut o = Options::merge(None, &a).unwrap();
        o.container_strategies = Some(vec![Strategy::Buildkit]);
        let cells = expand(&o, &Facts::default());
        let dc: Vec<String> = cells
            .iter()
            .filter(|c| c.builder == BuilderKind::DockerContainer)
            .map(|c| c.strategy.to_string())
            .collect();
        assert_eq!(dc, ["buildkit"]);
        assert_eq!(cells.len(), 4);
    }

    #[test]
    fn an_engine_not_owned_is_used_with_its_own_store() {
        let facts = Facts {
            external_store: Some(("tcp://h:2375".into(), ImageStore::Classic)),
            ..Facts::default()
        };
        let (_d, o) = opts(&[]);
        let cells = expand(&o, &facts);
        assert!(cells.iter().all(|c| c.image_store == ImageStore::Classic));
        let (_d, o) = opts(&["containerd"]);
        let cells = expand(&o, &facts);
        let r = cells[1].skip.as_deref().unwrap();
        assert!(
            r.starts_with("the engine at tcp://h:2375 uses the classic image store"),
            "{r}"
        );
    }
}
