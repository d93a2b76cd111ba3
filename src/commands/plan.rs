//! `cachebench plan`: prints what each change does to which file, the cells, the
//! commands of each run and how each state is prepared, how many builds the matrix
//! runs and, from an earlier results folder, how long they take ([`estimate`]);
//! with `--shard I/N` one part of the split, and with `--format gha-matrix|
//! codebuild-batch` the shards as a CI system takes them ([`shards`]); runs nothing.

use crate::config::cli::{PlanCmd, PlanFormat};
use crate::config::options::Options;
use crate::error::{exit, Result};
use crate::plan::strategy;
use crate::plan::target::{run_target, Naming};
use crate::{
    plan::cells::Facts,
    plan::{self},
};
use std::path::Path;

pub(crate) fn plan_cmd(p: &PlanCmd) -> Result<i32> {
    let (c, estimate_from) = (&p.run, p.estimate_from.as_deref());
    let recorded = estimate_from
        .map(|out| recorded_in(out, "--estimate-from"))
        .transpose()?;
    let mut opts = Options::resolve(c.scenario.as_deref(), &c.args)?;
    crate::run::link_route::canonical_links(&mut opts)?;
    if p.format != PlanFormat::Text {
        return print_shards(p, &opts);
    }
    let asked = shards::asked(&opts, &c.shard)?;
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
    let mut cells = plan::cells::expand(&opts, &Facts::from_env());
    if let Some((spec, split)) = &asked {
        println!("{}", split.header(*spec));
        cells.retain(|cell| split.contains(*spec, cell));
    }
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
    for line in change_lines(&opts) {
        println!("{line}");
    }
    if let Some(line) = crate::run::link_route::plan_line(&opts) {
        println!("{line}");
    }
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
        let mut t = run_target(&opts, cell, &names, &ws, &id, "<n>");
        if cell.strategy == crate::config::matrix::Strategy::GhaCache
            && !plan::cells::Facts::runner_gha_service()
        {
            // cachebench's stand-in: its port, token and protocol are the run's.
            t.gha_attrs = Some(format!(
                "type=gha,url=http://127.0.0.1:<gha-port>/,url_v2=http://127.0.0.1:<gha-port>/,\
                 version=<1|2>,token=<token>,scope={}",
                t.gha_scope
            ));
        }
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
        if strategy::uses_actions_cache(cell.strategy, cell.state) {
            println!(
                "       actions/cache: the folder restored before the build (timed: cache_restore), \
                 saved after it (timed: cache_save)"
            );
        }
        for cmd in strategy::commands(cell.strategy, &t) {
            println!("       $ {}", cmd.display());
        }
    }
    let chains = !std::env::var(crate::run::scheduler::CHAINS_ENV).is_ok_and(|v| v == "off");
    for line in cost_lines(&opts, &cells, chains, recorded.as_ref().zip(estimate_from)) {
        println!("{line}");
    }
    Ok(exit::OK)
}

/// What each change of the matrix will do to which file: cachebench's own edit
/// ([`crate::config::change_syntax`]) or the change script.
fn change_lines(opts: &Options) -> Vec<String> {
    use crate::config::change_syntax::{describe, grammar_of, syntax_of, Grammar};
    use crate::config::matrix::Change;
    let mut lines = Vec::new();
    for &c in &opts.changes {
        let file = match c {
            Change::None => continue,
            Change::Source => opts.source_file.as_deref(),
            Change::Deps => opts.deps_file.as_deref(),
        };
        let Some(file) = file else { continue };
        let what = match &opts.change_script {
            Some(script) => {
                let check = match grammar_of(file) {
                    Grammar::Unchecked => String::new(),
                    g => format!(
                        ", then checks {} still parses as {}",
                        file.display(),
                        g.name()
                    ),
                };
                format!(
                    "runs {} in the copy of the context (CACHEBENCH_CHANGE={c}, \
                     CACHEBENCH_NONCE=<nonce>, CACHEBENCH_FILE={}){check}",
                    script.display(),
                    file.display()
                )
            }
            None => {
                let content = std::fs::read(opts.context.join(file)).unwrap_or_default();
                match syntax_of(file, &content) {
                    Ok(syntax) => describe(file, &syntax, "<nonce>"),
                    Err(_) => format!("cannot change {} (see docs/changes.md)", file.display()),
                }
            }
        };
        lines.push(format!("{c} change: {what}"));
    }
    lines
}

/// `plan --format gha-matrix|codebuild-batch`: the shards of `--shards N` (or
/// of `--shard I/N`'s N).
fn print_shards(p: &PlanCmd, opts: &Options) -> Result<i32> {
    let from_shard = match &p.run.shard.shard {
        Some(text) => Some(shards::parse_spec(text)?.count),
        None => None,
    };
    let count = p.shards.or(from_shard).ok_or_else(|| {
        crate::error::Error::usage(
            "--format: gha-matrix and codebuild-batch list shards; give --shards N (how many)",
        )
    })?;
    if count == 0 {
        return Err(crate::error::Error::usage("--shards: 0 shards; give N ≥ 1"));
    }
    let split = shards::split(opts, count, p.run.shard.balance_from.as_deref(), "--shards")?;
    let text = match p.format {
        PlanFormat::GhaMatrix => serde_json::to_string(&split.gha_matrix()),
        _ => {
            let v = split.codebuild_batch(&p.buildspec);
            println!(
                "{}",
                serde_norway::to_string(&v).map_err(|e| crate::error::Error::Internal(e.into()))?
            );
            return Ok(exit::OK);
        }
    }
    .map_err(|e| crate::error::Error::Internal(e.into()))?;
    println!("{text}");
    Ok(exit::OK)
}

/// The records of an earlier results folder, for `flag` (`--estimate-from`,
/// `--balance-from`).
pub(crate) fn recorded_in(out: &Path, flag: &str) -> Result<estimate::Recorded> {
    let runs = out.join(crate::records::results_writer::RUNS_JSONL);
    if !runs.is_file() {
        return Err(crate::error::Error::usage(format!(
            "{flag} {}: no runs.jsonl there; give a results folder written by `cachebench run`",
            out.display()
        )));
    }
    let (records, _) =
        crate::records::results_writer::read_runs(out).map_err(crate::error::Error::Internal)?;
    Ok(estimate::Recorded::from_records(&records))
}

/// How many builds the plan runs and, with an earlier folder's records, how long.
fn cost_lines(
    opts: &Options,
    cells: &[plan::cells::Cell],
    chains: bool,
    recorded: Option<(&estimate::Recorded, &Path)>,
) -> Vec<String> {
    let counts: Vec<u32> = match &opts.auto {
        Some(a) => vec![a.min_reps, a.max_reps],
        None => vec![opts.reps],
    };
    let said = |reps: u32| {
        let b = estimate::builds(cells, opts.warmup, reps, chains);
        format!(
            "{} builds ({} measured, {} warm-up, {} warming)",
            b.total(),
            b.measured,
            b.warmup,
            b.warming
        )
    };
    let mut lines = vec![match counts.as_slice() {
        [min, max] => format!(
            "builds: between {} at {min} and {} at {max} measured runs per cell (--reps auto)",
            said(*min),
            said(*max)
        ),
        _ => format!("builds: {}", said(opts.reps)),
    }];
    let Some((rec, from)) = recorded else {
        return lines;
    };
    let times: Vec<estimate::Expected> = counts
        .iter()
        .filter_map(|&r| estimate::expected(cells, opts.warmup, r, chains, rec))
        .collect();
    match times.as_slice() {
        [] => lines.push(format!(
            "expected time: unknown, {} recorded no run that ran",
            from.display()
        )),
        [one] => lines.push(format!(
            "expected time: {} from the median times recorded in {} (plus setup)",
            crate::run::eta::short(one.time),
            from.display()
        )),
        [lo, hi, ..] => lines.push(format!(
            "expected time: {} to {} from the median times recorded in {} (plus setup)",
            crate::run::eta::short(lo.time),
            crate::run::eta::short(hi.time),
            from.display()
        )),
    }
    if let Some(t) = times.first().filter(|t| !t.unrecorded.is_empty()) {
        lines.push(format!(
            "  no record there of {} cell(s), each timed at the median of all the runs there: {}",
            t.unrecorded.len(),
            t.unrecorded.join(", ")
        ));
    }
    lines
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

pub mod estimate;
pub mod shards;

#[cfg(test)]
mod tests;
