//! The order measured runs are run in: the cells of one image store × builder ×
//! state form a group, and a group's runs go in rounds — round r runs rep r of
//! every cell of the group — each round in its own shuffled order. Drift over time
//! (a network slowing down, the machine warming up) then spreads over every
//! strategy of the state instead of lining up with the one that ran last.
//!
//! Why the group is store × builder × state: cells of one store run together (a
//! store switch is a fresh engine); a state's runs can share the engine without
//! spoiling each other's state (see [`crate::run::chain`]); and docker-container
//! cells run apart from the docker driver's, so a daemon restart that layer-cache
//! needs never stops a docker-container builder a warm chain keeps.
//!
//! The shuffle is a Fisher–Yates over splitmix64, seeded: the seed is recorded in
//! every record (`shuffle_seed`), with each run's `round` and `order`, so an order
//! can be reproduced and checked.

use crate::config::matrix::{BuilderKind, ImageStore, State};
use crate::plan::cells::Cell;
use crate::records::record::RunKind;

/// One group of cells whose runs go in rounds together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub store: ImageStore,
    pub builder: BuilderKind,
    pub state: State,
    /// Indices (into the plan) of the group's cells that are run, in plan order.
    pub run: Vec<usize>,
    /// Indices of its cells planned as skipped.
    pub skipped: Vec<usize>,
}

/// The plan's cells in groups: stores and builders in the order they first appear
/// in the plan (so stores still run one after another), and within each, the
/// states in the order cold, warm-remote, warm-local, whatever the scenario's
/// order. That order is the cheapest to prepare: a cold group leaves its last
/// build on the engine and every warm-remote run empties before it builds, so the
/// next group's first warming build stands on a few images; a warm-local group
/// leaves tens (each rebuild leaves the last image dangling), which only a fresh
/// data-root clears cheaply, and a warming build after it starts from nothing
/// (`Session::begin_group`). The report lists states in the order they ran
/// (first appearance in the records), so this order shows there too.
pub fn groups(cells: &[Cell]) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        let at = out
            .iter()
            .position(|g| (g.store, g.builder, g.state) == (c.image_store, c.builder, c.state));
        let g = match at {
            Some(k) => &mut out[k],
            None => {
                out.push(Group {
                    store: c.image_store,
                    builder: c.builder,
                    state: c.state,
                    run: vec![],
                    skipped: vec![],
                });
                out.last_mut().expect("just pushed")
            }
        };
        if c.skip.is_some() {
            g.skipped.push(i);
        } else {
            g.run.push(i);
        }
    }
    let first_of = |g: &Group| {
        out.iter()
            .position(|h| (h.store, h.builder) == (g.store, g.builder))
            .unwrap_or(usize::MAX)
    };
    let mut keyed: Vec<(usize, u8, Group)> = out
        .iter()
        .map(|g| (first_of(g), preparation_rank(g.state), g.clone()))
        .collect();
    keyed.sort_by_key(|(first, rank, _)| (*first, *rank));
    keyed.into_iter().map(|(_, _, g)| g).collect()
}

/// Where a state's group runs among the groups of one store and builder (see
/// [`groups`]).
fn preparation_rank(state: State) -> u8 {
    match state {
        State::Cold => 0,
        State::WarmRemote => 1,
        State::WarmLocal => 2,
    }
}

/// splitmix64: a small, well-mixed generator, enough to shuffle an order.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The order of one round: a permutation of `0..n` from `seed`, the group and the
/// round (warm-up rounds and measured rounds differ).
pub fn round_order(n: usize, seed: u64, group: usize, kind: RunKind, rep: u32) -> Vec<usize> {
    let kind_bit = u64::from(kind == RunKind::Measured);
    let mut s = seed ^ ((group as u64) << 40) ^ (kind_bit << 39) ^ u64::from(rep);
    let _ = splitmix(&mut s);
    let mut v: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (splitmix(&mut s) % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    v
}

/// A seed from a text (the matrix's run id): FNV-1a.
pub fn seed_from(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::matrix::{Change, Strategy};

    fn cell(
        store: ImageStore,
        strategy: Strategy,
        builder: BuilderKind,
        state: State,
        skip: bool,
    ) -> Cell {
        Cell {
            strategy,
            builder,
            state,
            change: Change::Source,
            image_store: store,
            skip: skip.then(|| "n/a".into()),
            stands_for: vec![],
            link: "none".into(),
        }
    }

    /// Two stores, two builders and every state, in a scrambled plan order: one
    /// group per store × builder × state; stores and builders in the order they
    /// first appear, and within each, cold, warm-remote, warm-local.
    #[test]
    fn cells_group_by_store_builder_and_state_cold_warm_remote_warm_local() {
        use BuilderKind::*;
        use ImageStore::*;
        use State::*;
        use Strategy::{Buildkit, RegistryCache};
        let cells = [
            cell(Containerd, Buildkit, Docker, WarmLocal, false),
            cell(Classic, Buildkit, Docker, Cold, false),
            cell(Containerd, Buildkit, Docker, Cold, false),
            cell(Containerd, RegistryCache, DockerContainer, WarmLocal, false),
            cell(Classic, RegistryCache, Docker, WarmRemote, false),
            cell(Containerd, Buildkit, Docker, WarmRemote, true),
            cell(Classic, RegistryCache, Docker, WarmLocal, false),
            cell(Containerd, RegistryCache, Docker, Cold, false),
        ];
        let shape: Vec<_> = groups(&cells)
            .into_iter()
            .map(|g| (g.store, g.builder, g.state, g.run, g.skipped))
            .collect();
        assert_eq!(
            shape,
            [
                (Containerd, Docker, Cold, vec![2, 7], vec![]),
                (Containerd, Docker, WarmRemote, vec![], vec![5]),
                (Containerd, Docker, WarmLocal, vec![0], vec![]),
                (Classic, Docker, Cold, vec![1], vec![]),
                (Classic, Docker, WarmRemote, vec![4], vec![]),
                (Classic, Docker, WarmLocal, vec![6], vec![]),
                (Containerd, DockerContainer, WarmLocal, vec![3], vec![]),
            ]
        );
    }

    #[test]
    fn rounds_are_permutations_seeded_and_not_all_alike() {
        let a = round_order(6, 42, 0, RunKind::Measured, 1);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..6).collect::<Vec<_>>());
        assert_eq!(a, round_order(6, 42, 0, RunKind::Measured, 1), "seeded");
        let orders: std::collections::HashSet<Vec<usize>> = (1..=10)
            .map(|r| round_order(6, 42, 0, RunKind::Measured, r))
            .collect();
        assert!(orders.len() > 5, "rounds differ: {orders:?}");
        assert_ne!(seed_from("a"), seed_from("b"));
    }
}
