//! The subcommands, from parsed arguments to an exit code: `run`, `plan`, `doctor`,
//! `report`, `compare` and `clean`. `main` only maps what comes back to the process exit.

use crate::cli::{Cli, Command, DoctorCmd, RunCmd};
use crate::error::{exit, Error, Result};
use crate::options::Options;
use crate::plan::{self, Facts};
use crate::results::{self, RecordWriter};
use crate::scheduler;
use crate::strategy::{self, RunTarget};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use tokio::sync::watch;

/// Runs the command and returns the exit code.
pub fn main(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Plan(c) => plan_cmd(&c),
        Command::Run(c) => runtime()?.block_on(run_cmd(c)),
        Command::Doctor(c) => runtime()?.block_on(doctor_cmd(&c)),
        Command::Report(c) => crate::reporting::render_cmd(&c.out),
        Command::Compare(c) => {
            crate::reporting::compare_cmd(&c.base, &c.new, &c.threshold, c.force)
        }
        Command::Clean(c) => Ok(crate::leftovers::clean_cmd(c.dry_run)),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(anyhow::anyhow!("failed to start the async runtime: {e}")))
}

fn plan_cmd(c: &RunCmd) -> Result<i32> {
    let mut opts = Options::resolve(c.scenario.as_deref(), &c.args)?;
    if opts
        .builders
        .contains(&crate::matrix::BuilderKind::DockerContainer)
    {
        // Show the image `run` would use (it resolves `auto` the same way).
        let env: Vec<(String, String)> = opts
            .docker_host
            .iter()
            .map(|h| ("DOCKER_HOST".to_string(), h.clone()))
            .collect();
        match runtime()?.block_on(crate::buildkit_image::resolve(&opts.buildkit_image, &env)) {
            Ok(r) => opts.buildkit_image = r.image,
            Err(why) => println!("note: docker-container cells will be skipped: {why}"),
        }
    }
    let cells = plan::expand(&opts, &Facts::from_env());
    println!(
        "scenario {} — workload {} — {} cells, {} warm-up + {} measured runs each",
        opts.scenario_name,
        scheduler::workload_id(&opts),
        cells.len(),
        opts.warmup,
        opts.reps
    );
    let registry = opts
        .registry
        .clone()
        .map(|r| crate::registry::Registry::external(&r).repository)
        .unwrap_or_else(|| "127.0.0.1:<port>/cachebench".into());
    if opts.docker_host.is_some() && plan::needs_prune(&cells) && !opts.allow_prune {
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
        let ctx = PathBuf::from("<work>/ctx");
        let t = RunTarget {
            dockerfile: if opts.dockerfile.is_absolute() {
                opts.dockerfile.clone()
            } else {
                ctx.join(&opts.dockerfile)
            },
            context: ctx,
            build_args: opts.build_args.clone(),
            image: format!("{registry}:<run>-{}-img", cell.slug()),
            cache_ref: format!("{registry}:<run>-{}-cache", cell.slug()),
            cache_dir: PathBuf::from("<work>/cache/d"),
            gha_scope: format!("cachebench-<run>-{}", cell.slug()),
            builder: (cell.builder == crate::matrix::BuilderKind::DockerContainer)
                .then(|| "cachebench-<run>".to_string()),
            builder_kind: cell.builder,
            registry_cache_output: opts.registry_cache_output,
        };
        println!(
            "       prepare: {}",
            prepare_text(cell, opts.docker_host.is_some())
        );
        if let Some(b) = &t.builder {
            if cell.state != crate::matrix::State::WarmLocal {
                println!(
                    "       $ {}",
                    crate::builder::create_command(
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

/// How a cell's state is prepared, in words: on cachebench's own engine a fresh
/// data-root or a restart; on an engine given with --docker-host (never
/// restarted) its build cache pruned and cachebench's images removed.
fn prepare_text(cell: &plan::Cell, external: bool) -> String {
    use crate::matrix::{State, Strategy};
    let change = match cell.change {
        crate::matrix::Change::None => String::new(),
        c => format!(", then rewrite the {c} file"),
    };
    let emptied = if external {
        "build cache pruned (docker buildx prune --all --force), the images cachebench tagged removed"
    } else {
        "fresh data-root"
    };
    match cell.state {
        State::Cold => format!("empty local state ({emptied}, new registry refs){change}"),
        State::WarmLocal if cell.strategy == Strategy::LayerCache && external => {
            format!("warming build, layer store kept without a daemon restart (not cachebench's engine){change}")
        }
        State::WarmLocal if cell.strategy == Strategy::LayerCache => {
            format!("warming build, then daemon restart keeping the layer store{change}")
        }
        State::WarmLocal => {
            format!("warming build with the same commands, local state kept{change}")
        }
        State::WarmRemote => {
            format!("warming build, then empty local state ({emptied}; remote cache kept){change}")
        }
    }
}

async fn doctor_cmd(c: &DoctorCmd) -> Result<i32> {
    let image = c
        .buildkit_image
        .clone()
        .unwrap_or_else(|| crate::options::DEFAULT_BUILDKIT_IMAGE.to_string());
    let checks = crate::doctor::checks(c.docker_host.as_deref(), &image).await;
    Ok(if crate::doctor::print(&checks) {
        exit::OK
    } else {
        exit::USAGE
    })
}

/// Listens for SIGINT/SIGTERM: the first ends the running build and stops the
/// matrix; the second kills cachebench's children and exits at once.
fn install_signal_handler(
    cancel: watch::Sender<bool>,
    signal_tx: watch::Sender<Option<i32>>,
) -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt()).map_err(|e| Error::Internal(e.into()))?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| Error::Internal(e.into()))?;
    tokio::spawn(async move {
        let mut seen = 0;
        loop {
            let sig = tokio::select! {
                _ = int.recv() => libc::SIGINT,
                _ = term.recv() => libc::SIGTERM,
            };
            seen += 1;
            if seen == 1 {
                eprintln!(
                    "\ncachebench: interrupted; ending the running build, keeping finished runs (again to exit at once)"
                );
                let _ = signal_tx.send(Some(sig));
                let _ = cancel.send(true);
            } else {
                crate::process::kill_registered_groups();
                crate::process::remove_registered_leftovers();
                std::process::exit(128 + sig);
            }
        }
    });
    Ok(())
}

async fn run_cmd(c: RunCmd) -> Result<i32> {
    let mut opts = match &c.args.resume {
        Some(out) => crate::resume::options(c.scenario.as_deref(), &c.args, out)?,
        None => Options::resolve(c.scenario.as_deref(), &c.args)?,
    };
    let resuming = opts.resume.is_some();
    let out = opts
        .resume
        .clone()
        .or(opts.out.clone())
        .unwrap_or_else(scheduler::default_out);
    opts.out = Some(out.clone());
    scheduler::check_out(&out, resuming)?;
    let resolved = opts.to_toml();
    let workload = scheduler::workload_id(&opts);
    let done = if resuming {
        crate::resume::done_runs(&out, &resolved, &workload)?
    } else {
        HashSet::new()
    };

    let (cancel_tx, cancel_rx) = watch::channel(false);
    let (sig_tx, sig_rx) = watch::channel(None::<i32>);
    install_signal_handler(cancel_tx, sig_tx)?;

    let mut cells = plan::expand(&opts, &Facts::from_env());
    crate::leftovers::sweep_before_run();
    let mut setup = match scheduler::setup(&opts, plan::needs_prune(&cells), &out, cancel_rx).await
    {
        Ok(s) => s,
        // Interrupted while setting up (seeding, engine start): what was started is
        // already stopped; nothing ran, nothing was recorded.
        Err(e) => match *sig_rx.borrow() {
            Some(sig) => {
                eprintln!("cachebench: interrupted during setup ({e}); nothing ran");
                return Ok(128 + sig);
            }
            None => return Err(e),
        },
    };
    cells = plan::expand(&opts, &setup.facts);

    std::fs::write(
        out.join("scenario.toml"),
        crate::redact::text(&resolved).as_bytes(),
    )
    .map_err(|e| {
        Error::Internal(anyhow::anyhow!(
            "failed to write {}: {e}",
            out.join("scenario.toml").display()
        ))
    })?;
    let mut env = crate::reporting::capture_env(
        &setup.session.engine.docker_env(),
        &opts,
        setup.session.registry.owned.is_some(),
    )
    .await;
    env.image_stores = plan::stores_run(&cells)
        .iter()
        .map(|s| s.to_string())
        .collect();
    crate::network::record_env(&mut env, &setup.session.engine, &setup.probe);
    if let Some(bk) = &setup.buildkit {
        env.container_buildkit_image = Some(bk.image.clone());
        env.container_buildkit_version = bk.version.clone();
    }
    let _ = std::fs::write(
        out.join("env.json"),
        crate::redact::text(&serde_json::to_string_pretty(&env).unwrap_or_default()).as_bytes(),
    );

    let mut writer = match RecordWriter::open(&out) {
        Ok(w) => w,
        Err(e) => {
            setup.teardown().await;
            return Err(Error::Internal(e));
        }
    };
    eprintln!(
        "cachebench: {} cells, results in {} (engine {}, registry {})",
        cells.len(),
        out.display(),
        setup.session.engine.host,
        setup.session.registry.repository
    );
    let result =
        scheduler::run_matrix(&mut setup.session, &cells, &mut writer, &done, &sig_rx).await;
    setup.teardown().await;
    let engine_dead = result?.engine_dead;
    let interrupted_by = *sig_rx.borrow();
    let (all, warning) = results::read_runs(&out).map_err(Error::Internal)?;
    if let Some(w) = warning {
        eprintln!("cachebench: warning: {w}");
    }
    println!("{}", crate::console::summary_table(&all));
    if let Err(e) = crate::reporting::render_quiet(&out) {
        eprintln!("cachebench: warning: failed to render the report: {e}");
    }
    println!("results: {}", out.display());
    if interrupted_by.is_none() {
        if let Some(cause) = &engine_dead {
            eprintln!("cachebench: error: {cause}");
        }
    }
    let outcome = scheduler::MatrixOutcome {
        records: all,
        interrupted_by,
        engine_dead,
    };
    Ok(outcome.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_words_say_what_happens_on_each_engine() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let args = crate::cli::RunArgs {
            context: Some(d.path().to_path_buf()),
            changes: vec!["none".into()],
            strategies: vec!["buildkit".into(), "layer-cache".into()],
            ..Default::default()
        };
        let o = Options::merge(None, &args).unwrap();
        let cells = plan::expand(&o, &Facts::default());
        let cold = cells
            .iter()
            .find(|c| c.key().to_string().contains("buildkit/docker/cold"))
            .unwrap();
        assert!(prepare_text(cold, false).contains("fresh data-root"));
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
