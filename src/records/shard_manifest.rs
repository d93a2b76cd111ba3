//! `OUT/shard.json`: which part of a split plan a `cachebench run --shard I/N`
//! ran, so that `cachebench merge` can check that shards belong together (one
//! scenario, one workload, one plan hash, each part once) and say which host ran
//! which cells.

use crate::error::Result;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The file in OUT.
pub const SHARD_JSON: &str = "shard.json";

/// What one shard's results folder says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardManifest {
    /// `I/N`.
    pub shard: String,
    pub index: u32,
    pub count: u32,
    /// The split plan's hash (`plan::shard::plan_hash`): equal for every shard
    /// of one split.
    pub plan_hash: String,
    pub scenario: String,
    pub workload: String,
    /// The machine's host name.
    pub host: String,
    /// How the shards were balanced: `static` or `from <OUT>`.
    pub balance: String,
    /// The round groups (image store/builder/state) of this shard.
    pub units: Vec<String>,
    /// Its cells (keys as records name them), in plan order.
    pub cells: Vec<String>,
}

/// Writes the manifest into `out`.
pub fn write(out: &Path, m: &ShardManifest) -> std::io::Result<()> {
    crate::records::json_file::write(out, SHARD_JSON, m)
}

/// The manifest of `out`; `None` when it holds none (a run without `--shard`).
pub fn read(out: &Path) -> Result<Option<ShardManifest>> {
    crate::records::json_file::read(out, SHARD_JSON)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_round_trips_and_a_missing_one_is_none() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(read(d.path()).unwrap(), None);
        let m = ShardManifest {
            shard: "2/3".into(),
            index: 2,
            count: 3,
            plan_hash: "0123456789abcdef".into(),
            scenario: "s".into(),
            workload: "w".into(),
            host: "h".into(),
            balance: "static".into(),
            units: vec!["containerd/docker/cold".into()],
            cells: vec!["buildkit/docker/cold/source".into()],
        };
        write(d.path(), &m).unwrap();
        assert_eq!(read(d.path()).unwrap(), Some(m));
        std::fs::write(d.path().join(SHARD_JSON), "{").unwrap();
        assert!(read(d.path())
            .unwrap_err()
            .to_string()
            .contains("shard.json"));
    }
}
