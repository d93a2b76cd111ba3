//! The footprint fields of a run's record: what the run left, split into image and
//! cache (registry bytes, blobs, manifests and tags of each), the artifacts an ECR
//! lifecycle rule counts, a local cache folder's size, and the cache export's
//! `mode`. Flattened into the run record (`RunRecord`), so runs.jsonl
//! carries them as plain fields; every one is absent in records written before
//! they existed.

use serde::{Deserialize, Serialize};

/// The split footprint of one run (all absent where nothing was measured).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FootprintFields {
    /// `max` or `min`: the `mode=` of the run's cache export (`min` for
    /// inline-cache, which exports only the image's layers); empty for a strategy
    /// that exports no cache.
    #[serde(default)]
    pub cache_mode: String,
    /// Bytes of the distinct blobs and manifests the image's tag reaches.
    #[serde(default)]
    pub image_bytes: Option<u64>,
    /// Distinct blobs (config and layers) the image's tag reaches.
    #[serde(default)]
    pub image_blobs: Option<u32>,
    /// Manifests the image's tag reaches (index, image and attestation manifests).
    #[serde(default)]
    pub image_manifests: Option<u32>,
    /// Image tags the run left (0 or 1).
    #[serde(default)]
    pub image_tags: Option<u32>,
    /// Bytes the registry cache's tag reaches (0 for inline-cache: its cache is in
    /// the image).
    #[serde(default)]
    pub cache_bytes: Option<u64>,
    #[serde(default)]
    pub cache_blobs: Option<u32>,
    #[serde(default)]
    pub cache_manifests: Option<u32>,
    #[serde(default)]
    pub cache_tags: Option<u32>,
    /// What an ECR lifecycle rule counts as images: every manifest either tag
    /// reaches (index, image manifests, attestation manifests, the cache manifest).
    #[serde(default)]
    pub ecr_artifacts: Option<u32>,
    /// local-cache: bytes of the cache folder after the run (after rotation).
    #[serde(default)]
    pub local_cache_bytes: Option<u64>,
    /// local-cache: files in that folder.
    #[serde(default)]
    pub local_cache_files: Option<u64>,
}

/// The CSV columns of these fields, appended to runs.csv's, in this order.
pub const FOOTPRINT_CSV_COLUMNS: &[&str] = &[
    "cache_mode",
    "image_bytes",
    "image_blobs",
    "image_manifests",
    "image_tags",
    "cache_bytes",
    "cache_blobs",
    "cache_manifests",
    "cache_tags",
    "ecr_artifacts",
    "local_cache_bytes",
    "local_cache_files",
];

impl FootprintFields {
    /// The CSV cells, in [`FOOTPRINT_CSV_COLUMNS`] order.
    pub fn csv_cells(&self) -> Vec<String> {
        fn opt<T: ToString>(v: Option<T>) -> String {
            v.map(|x| x.to_string()).unwrap_or_default()
        }
        vec![
            self.cache_mode.clone(),
            opt(self.image_bytes),
            opt(self.image_blobs),
            opt(self.image_manifests),
            opt(self.image_tags),
            opt(self.cache_bytes),
            opt(self.cache_blobs),
            opt(self.cache_manifests),
            opt(self.cache_tags),
            opt(self.ecr_artifacts),
            opt(self.local_cache_bytes),
            opt(self.local_cache_files),
        ]
    }
}

/// Bytes and regular files under `dir` (symlinks not followed); `None` when the
/// folder does not exist.
pub fn folder_size(dir: &std::path::Path) -> std::io::Result<Option<(u64, u64)>> {
    if !dir.exists() {
        return Ok(None);
    }
    let (mut bytes, mut files) = (0u64, 0u64);
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            let t = e.file_type()?;
            if t.is_dir() {
                todo.push(e.path());
            } else if t.is_file() {
                bytes += e.metadata()?.len();
                files += 1;
            }
        }
    }
    Ok(Some((bytes, files)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_records_have_no_footprint_fields() {
        let f: FootprintFields = serde_json::from_str("{}").unwrap();
        assert_eq!(f, FootprintFields::default());
        assert_eq!(f.csv_cells().len(), FOOTPRINT_CSV_COLUMNS.len());
    }

    #[test]
    fn folder_size_counts_files_below() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(folder_size(&d.path().join("absent")).unwrap(), None);
        std::fs::create_dir_all(d.path().join("blobs/sha256")).unwrap();
        std::fs::write(d.path().join("index.json"), b"{}").unwrap();
        std::fs::write(d.path().join("blobs/sha256/ab"), vec![0u8; 100]).unwrap();
        assert_eq!(folder_size(d.path()).unwrap(), Some((102, 2)));
    }
}
