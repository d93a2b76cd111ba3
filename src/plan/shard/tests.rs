use super::*;
use crate::config::matrix::{Change, Strategy};

fn cell(store: ImageStore, strategy: Strategy, state: State, change: Change) -> Cell {
    Cell {
        strategy,
        builder: BuilderKind::Docker,
        state,
        change,
        image_store: store,
        skip: None,
        stands_for: vec![],
        link: "none".into(),
    }
}

/// Two stores × three strategies × three states, two changes for warm states.
fn plan() -> Vec<Cell> {
    let mut v = vec![];
    for store in [ImageStore::Containerd, ImageStore::Classic] {
        for strategy in [
            Strategy::Buildkit,
            Strategy::RegistryCache,
            Strategy::LocalCache,
        ] {
            for state in [State::Cold, State::WarmLocal, State::WarmRemote] {
                let changes: &[Change] = match state {
                    State::Cold => &[Change::Source],
                    _ => &[Change::Source, Change::Deps],
                };
                for &change in changes {
                    v.push(cell(store, strategy, state, change));
                }
            }
        }
    }
    v
}

fn weight(c: &Cell) -> f64 {
    match c.state {
        State::Cold => 3.0,
        State::WarmLocal => 1.0,
        State::WarmRemote => 2.0,
    }
}

#[test]
fn bad_shards_are_refused_with_the_form_to_use() {
    for bad in ["0/3", "4/3", "x", "1/0", "1-3", "/3", "2/", "-1/3", ""] {
        let e = bad.parse::<ShardSpec>().unwrap_err();
        assert!(e.contains("is not I/N with 1 ≤ I ≤ N"), "{bad}: {e}");
    }
    let s: ShardSpec = "2/3".parse().unwrap();
    assert_eq!((s.index, s.count), (2, 3));
    assert_eq!(s.to_string(), "2/3");
    assert_eq!(" 3/3".parse::<ShardSpec>().unwrap().index, 3);
}

#[test]
fn every_cell_is_in_exactly_one_shard_and_groups_are_never_cut() {
    let cells = plan();
    for n in 1..=6 {
        let shards = split(&cells, n, weight).unwrap();
        assert_eq!(shards.len(), n as usize);
        let mut all: Vec<usize> = shards.iter().flat_map(Shard::cells).collect();
        all.sort_unstable();
        assert_eq!(all, (0..cells.len()).collect::<Vec<_>>(), "n={n}");
        for s in &shards {
            for i in s.cells() {
                let c = &cells[i];
                // Every cell of its round group is in the same shard.
                for (j, d) in cells.iter().enumerate() {
                    if (d.image_store, d.builder, d.state) == (c.image_store, c.builder, c.state) {
                        assert!(
                            s.cells().contains(&j),
                            "n={n}: {} apart from {}",
                            d.slug(),
                            c.slug()
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_same_plan_and_count_give_the_same_split() {
    let cells = plan();
    let a = split(&cells, 3, weight).unwrap();
    let b = split(&cells, 3, weight).unwrap();
    assert_eq!(a, b);
    assert_eq!(plan_hash("x", &cells, &a), plan_hash("x", &cells, &b));
    // Another count, another plan or another identity: another hash.
    let c = split(&cells, 2, weight).unwrap();
    assert_ne!(plan_hash("x", &cells, &a), plan_hash("x", &cells, &c));
    assert_ne!(plan_hash("x", &cells, &a), plan_hash("y", &cells, &a));
    assert_ne!(
        plan_hash("x", &cells[1..], &split(&cells[1..], 3, weight).unwrap()),
        plan_hash("x", &cells, &a)
    );
}

#[test]
fn shards_are_balanced_by_cost() {
    let cells = plan();
    // Six groups: cold 3 each (3 cells), warm-local 6 (6 cells × 1), warm-remote 12.
    let shards = split(&cells, 3, weight).unwrap();
    let costs: Vec<f64> = shards.iter().map(Shard::cost).collect();
    let total: f64 = cells.iter().map(weight).sum();
    assert_eq!(costs.iter().sum::<f64>(), total);
    // Longest first: 12, 12 go to shards 1 and 2; 9, 9, 6, 6 fill the lightest.
    assert_eq!(costs, [12.0 + 6.0, 12.0 + 6.0, 9.0 + 9.0]);
    // A static estimate (one per cell) balances the number of cells instead.
    let shards = split(&cells, 2, |_| 1.0).unwrap();
    let sizes: Vec<usize> = shards.iter().map(|s| s.cells().len()).collect();
    assert_eq!(sizes.iter().sum::<usize>(), cells.len());
    assert!(sizes[0].abs_diff(sizes[1]) <= 6, "{sizes:?}");
}

#[test]
fn more_shards_than_groups_is_refused_with_the_most_there_can_be() {
    let cells: Vec<Cell> = plan()
        .into_iter()
        .filter(|c| c.image_store == ImageStore::Containerd)
        .collect();
    let e = split(&cells, 4, weight).unwrap_err();
    assert!(
        e.starts_with("this plan splits into at most 3 shard(s)"),
        "{e}"
    );
    assert!(e.contains("containerd/docker/warm-local"), "{e}");
    assert!(split(&cells, 3, weight).is_ok());
}
