//! The names one run uses: its build context copy, image tag, cache ref, cache
//! folder, gha scope and docker-container builder. Built here once, from the same
//! inputs, for `cachebench plan` (which prints them with `<run>`, `<port>` and
//! `<work>` standing for what only a run knows) and for `cachebench run`, so the plan
//! shows exactly what runs.

use crate::config::matrix::BuilderKind;
use crate::config::options::Options;
use crate::plan::cells::Cell;
use crate::plan::strategy::RunTarget;
use std::path::{Path, PathBuf};

/// What names depend on besides the cell.
#[derive(Debug, Clone)]
pub struct Naming {
    /// `HOST[:PORT]/REPO` of the registry the run writes to.
    pub repository: String,
    /// Unique to the invocation: part of every tag, ref and builder name.
    pub run_id: String,
    /// cachebench's scratch folder (build context copies).
    pub work: PathBuf,
    /// Where local-cache folders are exported.
    pub cache_root: PathBuf,
}

impl Naming {
    /// The names `cachebench plan` prints: placeholders for what only a run knows;
    /// `repository` is the registry's (`127.0.0.1:<port>/cachebench` for
    /// cachebench's own).
    pub fn placeholder(repository: String) -> Naming {
        Naming {
            repository,
            run_id: "<run>".into(),
            work: PathBuf::from("<work>"),
            cache_root: PathBuf::from("<work>/cache"),
        }
    }

    /// The folder of a context copy `ws`.
    pub fn workspace(&self, ws: &str) -> PathBuf {
        self.work.join(format!("ws/{ws}"))
    }
}

/// The target of run `n` of `cell`: `ws` names its context copy (a chain's runs
/// share one), `id` its cache ref, cache folder and builder (unique to the run, or
/// shared by the runs of a chain that reuse what the previous run left). The image
/// tag is the run's own (`n`), so a run never untags the image of the run before it
/// while building (the containerd store may then collect that image's snapshots
/// under the new build's unpack); only inline-cache, whose cache is the image
/// itself, keeps the chain's image tag.
pub fn run_target(
    o: &Options,
    cell: &Cell,
    names: &Naming,
    ws: &str,
    id: &str,
    n: &str,
) -> RunTarget {
    let context = names.workspace(ws).join("ctx");
    let tag_base = format!("{}-{}-{id}", names.run_id, cell.slug());
    let image_id = match cell.strategy {
        crate::config::matrix::Strategy::InlineCache => id,
        _ => n,
    };
    RunTarget {
        dockerfile: dockerfile_in(o, &context),
        context,
        build_args: o.build_args.clone(),
        image: format!(
            "{}:{}-{}-{image_id}-img",
            names.repository,
            names.run_id,
            cell.slug()
        ),
        cache_ref: format!("{}:{tag_base}-cache", names.repository),
        cache_dir: names.cache_root.join(format!("{}-{id}/d", cell.slug())),
        gha_scope: format!("cachebench-{tag_base}"),
        builder: (cell.builder == BuilderKind::DockerContainer)
            .then(|| format!("cachebench-{}-{}-{id}", names.run_id, cell.slug())),
        registry_cache_output: o.registry_cache_output,
        gha_attrs: None,
        local_cache_rotate: o.local_cache_rotate,
        link: cell.link.clone(),
        cache_mode: o.cache_mode,
    }
}

/// The Dockerfile as given to `-f`: an absolute path as given, else inside the copy.
pub fn dockerfile_in(o: &Options, ctx: &Path) -> PathBuf {
    if o.dockerfile.is_absolute() {
        o.dockerfile.clone()
    } else {
        ctx.join(&o.dockerfile)
    }
}
