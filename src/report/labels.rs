//! How cells and groups are named in the report, charts and benchmark.json: the
//! builder only when several are present, the image store when several are present
//! or when it is not the default (containerd), so a single-store containerd run
//! reads exactly as before the store was an axis.

use crate::records::cell_key::CellKey;
use crate::records::cell_key::DEFAULT_IMAGE_STORE;
use crate::report::analysis::{Analysis, Group};

/// True when cells must name their image store.
pub fn shows_store(a: &Analysis) -> bool {
    a.image_stores.len() > 1 || a.image_stores.iter().any(|s| s != DEFAULT_IMAGE_STORE)
}

/// What a cell ran on, when that needs saying: `docker-container`,
/// `classic store`, `docker, containerd store`; `None` when nothing tells cells
/// apart beyond the strategy, state and change.
pub fn runs_on(a: &Analysis, builder: &str, store: &str) -> Option<String> {
    let mut parts: Vec<String> = vec![];
    if a.builders.len() > 1 {
        parts.push(builder.to_string());
    }
    if shows_store(a) {
        parts.push(format!("{store} store"));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// A cell's key for lists and tables: the store named whenever [`shows_store`].
pub fn cell(a: &Analysis, key: &CellKey) -> String {
    if shows_store(a) {
        key.with_store()
    } else {
        key.to_string()
    }
}

/// `strategy [builder, store]`: the stable name of a cell's series in
/// benchmark.json, where names are time series, so a containerd cell keeps its
/// name when another store is added; other stores are always named.
pub fn benchmark_name(key: &CellKey) -> String {
    let on = if key.image_store == DEFAULT_IMAGE_STORE {
        key.builder.clone()
    } else {
        format!("{}, {}", key.builder, key.image_store)
    };
    format!(
        "{} [{on}] {} / {}{}",
        key.strategy,
        key.state,
        key.change,
        key.link_suffix()
    )
}

/// The title of a group: its state and change, its builder and store where they
/// tell groups apart, and its link when the records have links (`over same-region`,
/// `with no link`).
pub fn group_title(a: &Analysis, g: &Group) -> String {
    let link = if !a.has_links() {
        String::new()
    } else if g.link == crate::records::cell_key::DEFAULT_LINK {
        " with no link".to_string()
    } else {
        format!(" over {}", g.link)
    };
    format!("{}{link}", title_without_link(a, g))
}

fn title_without_link(a: &Analysis, g: &Group) -> String {
    let mut on: Vec<String> = vec![];
    if a.builders.len() > 1 {
        on.push(format!("builder {}", g.builder));
    }
    if shows_store(a) {
        on.push(format!("{} image store", g.image_store));
    }
    if on.is_empty() {
        format!("{} × {}", g.state, g.change)
    } else {
        format!("{} × {} ({})", g.state, g.change, on.join(", "))
    }
}
