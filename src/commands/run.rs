//! `cachebench run`: options (or a resumed folder) → plan → setup of the engine,
//! registry and builders → the matrix → records → the closing summary and report.

use crate::config::cli::RunCmd;
use crate::config::options::Options;
use crate::error::{Error, Result};
use crate::records::results_writer::{self, RecordWriter};
use crate::run::scheduler;
use crate::{
    plan::cells::Facts,
    plan::{self},
};
use tokio::sync::watch;

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
                crate::infra::process::groups::kill_registered_groups();
                crate::infra::network::bridge::delete_live_bridges();
                crate::infra::registry::guard::lift_all();
                crate::infra::process::groups::remove_registered_dirs();
                std::process::exit(128 + sig);
            }
        }
    });
    Ok(())
}

pub(crate) async fn run_cmd(c: RunCmd) -> Result<i32> {
    let mut opts = match &c.args.resume {
        Some(out) => crate::records::resume::options(c.scenario.as_deref(), &c.args, out)?,
        None => Options::resolve(c.scenario.as_deref(), &c.args)?,
    };
    crate::run::link_route::canonical_links(&mut opts)?;
    let resuming = opts.resume.is_some();
    let mut shard_args = c.shard.clone();
    if let (Some(out), None) = (&opts.resume, &shard_args.shard) {
        // A resumed shard goes on with its own part of the same split.
        if let Some(m) = crate::records::shard_manifest::read(out)? {
            shard_args.shard = Some(m.shard);
            shard_args.balance_from = m.balance.strip_prefix("from ").map(Into::into);
        }
    }
    let shard = super::plan::shards::asked(&opts, &shard_args)?;
    let out = opts
        .resume
        .clone()
        .or(opts.out.clone())
        .unwrap_or_else(crate::run::results_folder::default_out);
    opts.out = Some(out.clone());
    crate::run::results_folder::check_out(&out, resuming)?;
    let resolved = opts.to_toml();
    let workload = crate::run::results_folder::workload_id(&opts);
    let done = if resuming {
        crate::records::resume::done_runs(&out, &resolved, &workload)?
    } else {
        crate::records::resume::Done::new()
    };

    let (cancel_tx, cancel_rx) = watch::channel(false);
    let (sig_tx, sig_rx) = watch::channel(None::<i32>);
    install_signal_handler(cancel_tx, sig_tx)?;

    let in_shard = |cells: &mut Vec<plan::cells::Cell>| {
        if let Some((spec, split)) = &shard {
            cells.retain(|cell| split.contains(*spec, cell));
        }
    };
    let mut cells = plan::cells::expand(&opts, &Facts::from_env());
    in_shard(&mut cells);
    crate::infra::leftovers::sweep_before_run();
    let mut setup =
        match crate::run::setup::setup(&opts, plan::cells::needs_prune(&cells), &out, cancel_rx)
            .await
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
    cells = plan::cells::expand(&opts, &setup.facts);
    in_shard(&mut cells);
    if let Some((spec, split)) = &shard {
        let host = crate::records::environment::hostname().unwrap_or_else(|| "host".into());
        let manifest = split.manifest(*spec, &opts, &host);
        if let Err(e) = crate::records::shard_manifest::write(&out, &manifest) {
            setup.teardown().await;
            return Err(Error::Internal(anyhow::anyhow!(
                "failed to write {}: {e}",
                out.join(crate::records::shard_manifest::SHARD_JSON)
                    .display()
            )));
        }
        eprintln!("cachebench: {}", split.header(*spec));
    }

    let scenario_toml = crate::records::redact::text(&resolved).into_owned();
    std::fs::write(out.join("scenario.toml"), scenario_toml.as_bytes()).map_err(|e| {
        Error::Internal(anyhow::anyhow!(
            "failed to write {}: {e}",
            out.join("scenario.toml").display()
        ))
    })?;
    let settings = crate::records::report_settings::ReportSettings {
        rule: opts.auto.clone().unwrap_or_default(),
        change_mix: opts.change_mix.clone(),
        prices: opts
            .prices
            .as_ref()
            .map(crate::records::report_settings::CostPrices::from),
    };
    crate::records::report_settings::write(&out, &settings).map_err(|e| {
        Error::Internal(anyhow::anyhow!(
            "failed to write {}: {e}",
            out.join(crate::records::report_settings::REPORT_SETTINGS_JSON)
                .display()
        ))
    })?;
    let mut env = super::report::capture_env(
        &setup.session.engine.docker_env(),
        &opts,
        setup.session.registry.owned.is_some(),
    )
    .await;
    env.hash_resolved_scenario(&scenario_toml);
    env.image_stores = plan::cells::stores_run(&cells)
        .iter()
        .map(|s| s.to_string())
        .collect();
    crate::run::environment_capture::record_egress(&mut env, &setup.session.engine, &setup.probe);
    if let Some(bk) = &setup.buildkit {
        env.container_buildkit_image = Some(bk.image.clone());
        env.container_buildkit_version = bk.version.clone();
    }
    let _ = std::fs::write(
        out.join("env.json"),
        crate::records::redact::text(&serde_json::to_string_pretty(&env).unwrap_or_default())
            .as_bytes(),
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
    let schedule = scheduler::Schedule {
        seed: crate::run::rounds::seed_from(&setup.session.run_id),
        auto: opts.auto.clone().map(crate::run::adaptive_reps::sequential),
        chains: !std::env::var(scheduler::CHAINS_ENV).is_ok_and(|v| v == "off"),
    };
    let result = scheduler::run_matrix(
        &mut setup.session,
        &cells,
        &mut writer,
        &done,
        &sig_rx,
        &schedule,
    )
    .await;
    if let Ok(r) = &result {
        crate::run::daemons::keep_logs_of_failures(&mut setup.session, r);
    }
    setup.teardown().await;
    let result = result?;
    if !result.stopping.is_empty() {
        if let Err(e) = crate::records::stopping::write(&out, &result.stopping) {
            eprintln!(
                "cachebench: warning: failed to write {}: {e}",
                out.join(crate::records::stopping::STOPPING_JSON).display()
            );
        }
    }
    let engine_dead = result.engine_dead;
    let interrupted_by = *sig_rx.borrow();
    let (all, warning) = results_writer::read_runs(&out).map_err(Error::Internal)?;
    if let Some(w) = warning {
        eprintln!("cachebench: warning: {w}");
    }
    println!("{}", crate::run::console::summary_table(&all));
    if let Err(e) = super::report::render_quiet(&out) {
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
        stopping: result.stopping,
    };
    Ok(outcome.exit_code())
}
