//! Shards: the plan split into N parts that run on separate machines
//! (`cachebench plan|run --shard I/N`), and the plan's hash that tells `merge`
//! which parts belong together.
//!
//! The unit a split never cuts is a **round group**: the cells of one image store ×
//! builder × state. Everything that depends on something else lies inside one:
//! a warm state and the build that warms it, and a warm chain, are one cell's runs
//! ([`crate::plan::cells::Cell`]); one round of the interleaved schedule is rep r of
//! every cell of the group (`run::rounds`); the warm-local cells of a group share
//! one engine. So the cells a state's verdict compares always ran on one host, in
//! the same rounds.
//!
//! Units are balanced by their expected cost (longest first, each to the lightest
//! shard so far; ties to the unit first in the plan and the lowest shard), so the
//! same cells, costs and N always give the same split, and every cell is in exactly
//! one shard.

use crate::config::matrix::{BuilderKind, ImageStore, State};
use crate::plan::cells::Cell;
use std::fmt;
use std::str::FromStr;

/// Part I of N (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for ShardSpec {
    type Err = String;

    /// `I/N` with 1 ≤ I ≤ N.
    fn from_str(s: &str) -> Result<ShardSpec, String> {
        let bad = || format!("`{s}` is not I/N with 1 ≤ I ≤ N (e.g. 2/3: the second of 3 parts)");
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(ShardSpec { index, count })
    }
}

/// One round group of the plan: cells that always run on one host.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub store: ImageStore,
    pub builder: BuilderKind,
    pub state: State,
    /// Indices into the plan, in plan order.
    pub cells: Vec<usize>,
    /// Expected cost (seconds, or builds with the static estimate).
    pub cost: f64,
}

impl Unit {
    /// `containerd/docker/warm-local`.
    pub fn label(&self) -> String {
        format!("{}/{}/{}", self.store, self.builder, self.state)
    }
}

/// One part of a split.
#[derive(Debug, Clone, PartialEq)]
pub struct Shard {
    pub spec: ShardSpec,
    /// Its units, in plan order.
    pub units: Vec<Unit>,
}

impl Shard {
    /// Its cells' indices into the plan, in plan order.
    pub fn cells(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self.units.iter().flat_map(|u| u.cells.clone()).collect();
        v.sort_unstable();
        v
    }

    /// Its expected cost.
    pub fn cost(&self) -> f64 {
        self.units.iter().map(|u| u.cost).sum()
    }
}

/// The plan's round groups, in the order they first appear, each with the sum of
/// its cells' `cost`.
pub fn units(cells: &[Cell], cost: impl Fn(&Cell) -> f64) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        let at = out
            .iter()
            .position(|u| (u.store, u.builder, u.state) == (c.image_store, c.builder, c.state));
        let u = match at {
            Some(k) => &mut out[k],
            None => {
                out.push(Unit {
                    store: c.image_store,
                    builder: c.builder,
                    state: c.state,
                    cells: vec![],
                    cost: 0.0,
                });
                out.last_mut().expect("just pushed")
            }
        };
        u.cells.push(i);
        u.cost += cost(c).max(0.0);
    }
    out
}

/// Splits the plan into `count` shards, balanced by `cost` per cell. Refused (with
/// the largest count possible) when there are fewer units than shards.
pub fn split(
    cells: &[Cell],
    count: u32,
    cost: impl Fn(&Cell) -> f64,
) -> Result<Vec<Shard>, String> {
    let units = units(cells, cost);
    if count == 0 {
        return Err("0 shards: give N ≥ 1".into());
    }
    if (count as usize) > units.len().max(1) {
        return Err(format!(
            "this plan splits into at most {} shard(s): it has {} round group(s) (image store × \
             builder × state: {}), whose cells always run on one host; use N ≤ {}",
            units.len().max(1),
            units.len(),
            units.iter().map(Unit::label).collect::<Vec<_>>().join(", "),
            units.len().max(1)
        ));
    }
    // Longest first (ties: plan order), each to the lightest shard (ties: lowest).
    let mut order: Vec<usize> = (0..units.len()).collect();
    order.sort_by(|&a, &b| units[b].cost.total_cmp(&units[a].cost).then(a.cmp(&b)));
    let mut load = vec![0.0f64; count as usize];
    let mut owner = vec![0usize; units.len()];
    for u in order {
        let lightest = (0..load.len())
            .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
            .expect("count ≥ 1");
        load[lightest] += units[u].cost;
        owner[u] = lightest;
    }
    Ok((0..count)
        .map(|s| Shard {
            spec: ShardSpec {
                index: s + 1,
                count,
            },
            units: units
                .iter()
                .zip(&owner)
                .filter(|(_, &o)| o == s as usize)
                .map(|(u, _)| u.clone())
                .collect(),
        })
        .collect())
}

/// The hash of a split plan (16 hex digits): its identity (`about`: scenario,
/// workload, runs per cell), every cell of the plan, and the shard each is in.
/// Shards of one split share it; shards of plans that differ in any of that do not.
pub fn plan_hash(about: &str, cells: &[Cell], shards: &[Shard]) -> String {
    let mut text = format!("{about}\n{} shards\n", shards.len());
    for s in shards {
        for i in s.cells() {
            text.push_str(&format!("{} {}\n", s.spec, cells[i].slug()));
        }
    }
    crate::util::sha256_hex(text.as_bytes())[..16].to_string()
}

#[cfg(test)]
mod tests;
