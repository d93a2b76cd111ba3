//! `cachebench plan`: prints the cells, the commands of each run and how each
//! state is prepared, and runs nothing.

use crate::config::cli::RunCmd;
use crate::config::options::Options;
use crate::error::{exit, Result};
use crate::plan::strategy;
use crate::plan::target::{run_target, Naming};
use crate::{
    plan::cells::Facts,
    plan::{self},
};
use std::path::Path;

pub(crate) fn plan_cmd(c: &RunCmd) -> Result<i32> {
    let mut opts = Options::resolve(c.scenario.as_deref(), &c.args)?;
    if opts
        .builders
        .contains(&crate::config::matrix::BuilderKind::DockerContainer)
    {
        // Show the image `run` would use (it resolves `auto` the same way).
        let env: Vec<(String, String)> = opts
            .docker_host
            .iter()
            .map(|h| ("DOCKER_HOST".to_string(), h.clone()))
            .collect();
        match super::runtime::runtime()?.block_on(crate::infra::buildkit_image::resolve(
            &opts.buildkit_image,
            &env,
        )) {
            Ok(r) => opts.buildkit_image = r.image,
            Err(why) => println!("note: docker-container cells will be skipped: {why}"),
        }
    }
    let cells = plan::cells::expand(&opts, &Facts::from_env());
    let measured = match &opts.auto {
        Some(a) => format!(
            "{} to {} measured runs (--reps auto: rounds until the stop rule settles each state)",
            a.min_reps, a.max_reps
        ),
        None => format!("{} measured runs", opts.reps),
    };
    println!(
        "scenario {} — workload {} — {} cells, {} warm-up + {measured} each; each store × builder × state \
         runs in shuffled rounds",
        opts.scenario_name,
        crate::run::results_folder::workload_id(&opts),
        cells.len(),
        opts.warmup,
    );
    let names = Naming::placeholder(
        opts.registry
            .clone()
            .map(|r| crate::infra::registry::Registry::external(&r).repository)
            .unwrap_or_else(|| "127.0.0.1:<port>/cachebench".into()),
    );
    if opts.docker_host.is_some() && plan::cells::needs_prune(&cells) && !opts.allow_prune {
        println!(
            "note: `run` will refuse this plan without --allow-prune: its cold/warm-remote cells empty the build cache of {}",
            opts.docker_host.as_deref().unwrap_or_default()
        );
    }
    for (i, cell) in cells.iter().enumerate() {
        println!("{:>3}  {}", i + 1, cell.key());
        if let Some(reason) = &cell.skip {
            println!("       skipped: {reason}");
            continue;
        }
        let (ws, id) = crate::run::runner::chain_names(cell, i, "<n>");
        let t = run_target(&opts, cell, &names, &ws, &id, "<n>");
        println!(
            "       prepare: {}",
            prepare_text(cell, opts.docker_host.is_some())
        );
        if let Some(b) = &t.builder {
            if cell.state != crate::config::matrix::State::WarmLocal {
                println!(
                    "       $ {}",
                    crate::infra::builder::create_command(
                        b,
                        &opts.buildkit_image,
                        Path::new("<work>/buildkitd.toml")
                    )
                    .display()
                );
            }
        }
        for cmd in strategy::commands(cell.strategy, &t) {
            println!("       $ {}", cmd.display());
        }
    }
    Ok(exit::OK)
}

/// How a cell's state is prepared, in words: on cachebench's own engine its build
/// cache pruned and every image removed (a restart only for layer-cache); on an
/// engine given with --docker-host (never restarted) its build cache pruned and
/// cachebench's images removed. Warm cells chain: only a chain's first run (or
/// the first after a failed one) has a warming build of its own.
fn prepare_text(cell: &plan::cells::Cell, external: bool) -> String {
    use crate::config::matrix::{State, Strategy};
    let change = match cell.change {
        crate::config::matrix::Change::None => String::new(),
        c => format!(", then rewrite the {c} file"),
    };
    let emptied = if external {
        "build cache pruned (docker buildx prune --all --force), the images cachebench tagged removed"
    } else if std::env::var(crate::run::local_state::EMPTY_ENV).is_ok_and(|v| v == "restart") {
        "fresh data-root"
    } else {
        "build cache pruned, every image and container of cachebench's engine removed, no daemon restart"
    };
    let warming =
        "warming build with the same commands on the chain's first run (and after a failed run); \
                   each next run stands on the state the previous run of the cell left";
    match cell.state {
        State::Cold => format!("empty local state ({emptied}, new registry refs){change}"),
        State::WarmLocal if cell.strategy == Strategy::LayerCache && external => {
            format!("{warming}; layer store kept without a daemon restart (not cachebench's engine){change}")
        }
        State::WarmLocal if cell.strategy == Strategy::LayerCache => {
            format!("{warming}; then daemon restart keeping the layer store{change}")
        }
        State::WarmLocal => format!("{warming}; local state kept{change}"),
        State::WarmRemote => {
            format!("{warming}; then empty local state ({emptied}; remote cache kept){change}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_words_say_what_happens_on_each_engine() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let args = crate::config::cli::RunArgs {
            context: Some(d.path().to_path_buf()),
            changes: vec![crate::config::matrix::Change::None],
            strategies: vec![
                crate::config::matrix::Strategy::Buildkit,
                crate::config::matrix::Strategy::LayerCache,
            ],
            ..Default::default()
        };
        let o = Options::merge(None, &args).unwrap();
        let cells = plan::cells::expand(&o, &Facts::default());
        let cold = cells
            .iter()
            .find(|c| c.key().to_string().contains("buildkit/docker/cold"))
            .unwrap();
        assert!(prepare_text(cold, false).contains("no daemon restart"));
        let ext = prepare_text(cold, true);
        assert!(
            !ext.contains("data-root") && ext.contains("build cache pruned"),
            "{ext}"
        );
        let layer = cells
            .iter()
            .find(|c| {
                c.key()
                    .to_string()
                    .contains("layer-cache/docker/warm-local")
            })
            .unwrap();
        assert!(prepare_text(layer, true).contains("without a daemon restart"));
        assert!(prepare_text(layer, false).contains("daemon restart keeping"));
    }
}
