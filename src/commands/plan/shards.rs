//! The split of a plan into shards as `plan` and `run` both compute it, and the
//! forms `plan` prints it in: text, a GitHub Actions matrix, a CodeBuild batch
//! build-list.
//!
//! The split is made on the plan as the options alone give it (no fact of the
//! machine: whether this host has the gha cache or a BuildKit image changes what a
//! cell does, never which shard it is in), so every machine computes the same
//! split. Each cell costs its expected time from `--balance-from OUT` (its
//! recorded median per run and per warming build, [`super::estimate`]), or with
//! the static estimate the number of builds it runs (measured, warm-up, the
//! warming build of a warm chain), every build counted alike.

use crate::config::cli::ShardArgs;
use crate::config::options::Options;
use crate::error::{Error, Result};
use crate::plan::cells::{Cell, Facts};
use crate::plan::shard::{self, Shard, ShardSpec};
use crate::records::shard_manifest::ShardManifest;
use std::path::Path;

/// The variable a CodeBuild batch build gets its shard in.
pub const SHARD_ENV: &str = "CACHEBENCH_SHARD";

/// A plan split into shards.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The plan the split is made on (no fact of the machine).
    pub cells: Vec<Cell>,
    pub shards: Vec<Shard>,
    pub hash: String,
    /// `static` or `from <OUT>`.
    pub balance: String,
    /// Costs are seconds (from `--balance-from`), not builds.
    pub in_seconds: bool,
}

/// `--shard I/N`, or one line naming the flag.
pub fn parse_spec(text: &str) -> Result<ShardSpec> {
    text.parse()
        .map_err(|why| Error::usage(format!("--shard: {why}")))
}

/// Splits the plan of `opts` into `count` shards.
pub fn split(opts: &Options, count: u32, balance_from: Option<&Path>, flag: &str) -> Result<Split> {
    let cells = crate::plan::cells::expand(opts, &Facts::default());
    let chains = !std::env::var(crate::run::scheduler::CHAINS_ENV).is_ok_and(|v| v == "off");
    let reps = opts.auto.as_ref().map_or(opts.reps, |a| a.max_reps);
    let recorded = balance_from
        .map(|out| super::recorded_in(out, "--balance-from"))
        .transpose()?;
    let seconds = |c: &Cell| -> Option<f64> {
        let rec = recorded.as_ref()?;
        super::estimate::expected(std::slice::from_ref(c), opts.warmup, reps, chains, rec)
            .map(|e| e.time.as_secs_f64())
    };
    let in_seconds = recorded
        .as_ref()
        .is_some_and(|r| super::estimate::expected(&[], 0, 0, chains, r).is_some());
    let cost = |c: &Cell| match (in_seconds, seconds(c)) {
        (true, Some(s)) => s,
        _ => super::estimate::builds(std::slice::from_ref(c), opts.warmup, reps, chains).total()
            as f64,
    };
    let shards =
        shard::split(&cells, count, cost).map_err(|why| Error::usage(format!("{flag}: {why}")))?;
    let about = format!(
        "scenario {}\nworkload {}\nreps {} warmup {} auto {:?}",
        opts.scenario_name,
        crate::run::results_folder::workload_id(opts),
        opts.reps,
        opts.warmup,
        opts.auto.as_ref().map(|a| (a.min_reps, a.max_reps)),
    );
    let hash = shard::plan_hash(&about, &cells, &shards);
    let balance = match balance_from {
        Some(out) if in_seconds => format!("from {}", out.display()),
        Some(out) => format!("static ({} recorded no run that ran)", out.display()),
        None => "static".to_string(),
    };
    Ok(Split {
        cells,
        shards,
        hash,
        balance,
        in_seconds,
    })
}

/// The split `--shard I/N` asks for, if it was given.
pub fn asked(opts: &Options, a: &ShardArgs) -> Result<Option<(ShardSpec, Split)>> {
    let Some(text) = &a.shard else {
        if a.balance_from.is_some() {
            return Err(Error::usage(
                "--balance-from: it balances shards; give --shard I/N with it",
            ));
        }
        return Ok(None);
    };
    let spec = parse_spec(text)?;
    let split = split(opts, spec.count, a.balance_from.as_deref(), "--shard")?;
    Ok(Some((spec, split)))
}

impl Split {
    /// Shard `spec`'s part.
    pub fn shard(&self, spec: ShardSpec) -> &Shard {
        &self.shards[(spec.index - 1) as usize]
    }

    /// Whether `cell` (of any plan of the same options, facts aside) is in `spec`.
    pub fn contains(&self, spec: ShardSpec, cell: &Cell) -> bool {
        self.shard(spec)
            .cells()
            .iter()
            .any(|&i| self.cells[i].slug() == cell.slug())
    }

    /// What `run --shard` writes to OUT/shard.json.
    pub fn manifest(&self, spec: ShardSpec, opts: &Options, host: &str) -> ShardManifest {
        let s = self.shard(spec);
        ShardManifest {
            shard: spec.to_string(),
            index: spec.index,
            count: spec.count,
            plan_hash: self.hash.clone(),
            scenario: opts.scenario_name.clone(),
            workload: crate::run::results_folder::workload_id(opts),
            host: host.to_string(),
            balance: self.balance.clone(),
            units: s.units.iter().map(|u| u.label()).collect(),
            cells: s
                .cells()
                .iter()
                .map(|&i| self.cells[i].key().to_string())
                .collect(),
        }
    }

    /// One shard's cost in words: `12 builds` or `about 3m 10s`.
    pub fn cost_words(&self, s: &Shard) -> String {
        if self.in_seconds {
            format!(
                "about {}",
                crate::run::eta::short(std::time::Duration::from_secs_f64(s.cost()))
            )
        } else {
            format!("{} builds", s.cost().round() as u64)
        }
    }

    /// The header `plan --shard I/N` prints.
    pub fn header(&self, spec: ShardSpec) -> String {
        let s = self.shard(spec);
        format!(
            "shard {spec} of plan {} (balance: {}): {} of {} cells, round groups {}, {}",
            self.hash,
            self.balance,
            s.cells().len(),
            self.cells.len(),
            s.units
                .iter()
                .map(|u| u.label())
                .collect::<Vec<_>>()
                .join(", "),
            self.cost_words(s)
        )
    }

    /// `{"include":[{"shard":"1/3",…}]}`: what a GitHub Actions `strategy.matrix`
    /// takes (`matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}`).
    pub fn gha_matrix(&self) -> serde_json::Value {
        let include: Vec<serde_json::Value> = self
            .shards
            .iter()
            .map(|s| {
                serde_json::json!({
                    "shard": s.spec.to_string(),
                    "index": s.spec.index,
                    "count": s.spec.count,
                    "plan_hash": self.hash,
                    "cells": s.cells().len(),
                    "groups": s.units.iter().map(|u| u.label()).collect::<Vec<_>>().join(", "),
                    "builds": if self.in_seconds { serde_json::Value::Null } else { (s.cost().round() as u64).into() },
                    "estimate_s": if self.in_seconds { (s.cost().round() as u64).into() } else { serde_json::Value::Null },
                })
            })
            .collect();
        serde_json::json!({ "include": include })
    }

    /// A CodeBuild `batch: build-list:` with one build per shard, each given its
    /// shard in [`SHARD_ENV`] and the plan's hash in `CACHEBENCH_PLAN_HASH`.
    pub fn codebuild_batch(&self, buildspec: &str) -> serde_json::Value {
        let list: Vec<serde_json::Value> = self
            .shards
            .iter()
            .map(|s| {
                serde_json::json!({
                    "identifier": identifier(s.spec),
                    "buildspec": buildspec,
                    "ignore-failure": false,
                    "env": { "variables": {
                        SHARD_ENV: s.spec.to_string(),
                        "CACHEBENCH_PLAN_HASH": self.hash,
                    }},
                })
            })
            .collect();
        serde_json::json!({ "batch": { "build-list": list } })
    }
}

/// A CodeBuild batch identifier: letters, digits and underscores, starting with a
/// letter, at most 127 characters (`shard_2_of_3`).
pub fn identifier(spec: ShardSpec) -> String {
    format!("shard_{}_of_{}", spec.index, spec.count)
}

#[cfg(test)]
mod tests;
