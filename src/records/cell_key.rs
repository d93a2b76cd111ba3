//! The key that names a cell of the matrix in records and reports
//! (`strategy/builder/state/change`, its store and link), and how a planned cell
//! makes its key.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The image store of records that do not name one (all were on containerd).
pub const DEFAULT_IMAGE_STORE: &str = "containerd";

pub(crate) fn default_image_store() -> String {
    DEFAULT_IMAGE_STORE.to_string()
}

/// The link of records that do not name one: none, no proxy in the path.
pub const DEFAULT_LINK: &str = "none";

pub(crate) fn default_link() -> String {
    DEFAULT_LINK.to_string()
}

impl crate::plan::cells::Cell {
    /// The key records name this cell by.
    pub fn key(&self) -> CellKey {
        CellKey {
            strategy: self.strategy.to_string(),
            builder: self.builder.to_string(),
            state: self.state.to_string(),
            change: self.change.to_string(),
            image_store: self.image_store.to_string(),
            link: self.link.clone(),
        }
    }
}

/// Identifies a cell of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CellKey {
    pub strategy: String,
    pub builder: String,
    pub state: String,
    pub change: String,
    #[serde(default = "default_image_store")]
    pub image_store: String,
    /// The link (`none` in keys written before links existed).
    #[serde(default = "default_link")]
    pub link: String,
}

impl CellKey {
    /// `strategy/builder/state/change/store`, the store always named (and
    /// ` over LINK` when the cell has a link).
    pub fn with_store(&self) -> String {
        format!(
            "{}/{}/{}/{}/{}{}",
            self.strategy,
            self.builder,
            self.state,
            self.change,
            self.image_store,
            self.link_suffix()
        )
    }

    /// Whether the cell's caches were reached through a link (not `none`).
    pub fn has_link(&self) -> bool {
        self.link != DEFAULT_LINK
    }

    /// ` over LINK`, or nothing for `none`.
    pub fn link_suffix(&self) -> String {
        match self.has_link() {
            true => format!(" over {}", self.link),
            false => String::new(),
        }
    }
}

/// `strategy/builder/state/change`, plus `/store` when the store is not the
/// default one and ` over LINK` when there is a link, so keys (and log names) of
/// containerd cells without a link read as they always did.
impl fmt::Display for CellKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.image_store == DEFAULT_IMAGE_STORE {
            write!(
                f,
                "{}/{}/{}/{}{}",
                self.strategy,
                self.builder,
                self.state,
                self.change,
                self.link_suffix()
            )
        } else {
            f.write_str(&self.with_store())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linked_cell_names_its_link() {
        let mut k = CellKey {
            strategy: "registry-cache".into(),
            builder: "docker".into(),
            state: "warm-remote".into(),
            change: "source".into(),
            image_store: DEFAULT_IMAGE_STORE.into(),
            link: "20mbit/40ms".into(),
        };
        assert_eq!(
            k.to_string(),
            "registry-cache/docker/warm-remote/source over 20mbit/40ms"
        );
        k.image_store = "classic".into();
        assert_eq!(
            k.to_string(),
            "registry-cache/docker/warm-remote/source/classic over 20mbit/40ms"
        );
    }
}
