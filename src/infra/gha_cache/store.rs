//! The entries and their bytes, in the folder given at start: `data/ID` holds an
//! entry's bytes, `blocks/ID/HEX` the Azure-style blocks staged for it, and
//! `entries.json` the committed entries (rewritten after each commit, read back on
//! start, so a stand-in restarted on the same folder still hits).
//!
//! An entry is `(scope, key, version)`. It is *reserved* first (no other
//! reservation of the same triple is accepted, as GitHub refuses a second upload
//! of a key), then *committed* with its size; only committed entries are found.
//! A look-up (GitHub's rules, as actions/cache documents them) tries each readable
//! scope in the token's order, and in it each key: an exact match, else the newest
//! entry whose key starts with it. go-actions-cache relies on the prefix rule: its
//! `SaveMutable` looks up `KEY#` to find the newest `KEY#N`.

use super::counters::Protocol;
use axum::body::Body;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use md5::{Digest as _, Md5};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: u64,
    pub scope: String,
    pub key: String,
    pub version: String,
    pub protocol: Protocol,
    pub created_at: DateTime<Utc>,
    /// v2: the blob's size once a single-shot PUT or a block list completed it.
    pub blob_size: Option<u64>,
    pub committed_at: Option<DateTime<Utc>>,
    /// The size given at commit (checked against the bytes held).
    pub size: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cache entry already exists: scope {scope}, key {key}, version {version}")]
    Exists {
        scope: String,
        key: String,
        version: String,
    },
    #[error("no cache entry {0}")]
    NotFound(u64),
    #[error("cache entry {0} is already committed")]
    Committed(u64),
    #[error("cache entry {0} has no uploaded bytes to commit")]
    NotUploaded(u64),
    #[error("cache entry {id}: commit says {expected} bytes, {actual} were uploaded")]
    SizeMismatch { id: u64, expected: u64, actual: u64 },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StoreError {
    let what = what.into();
    move |source| StoreError::Io { what, source }
}

/// What [`Store::write_body`] wrote.
#[derive(Debug, Clone, Copy)]
pub struct Written {
    pub bytes: u64,
    pub md5: [u8; 16],
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    entries: BTreeMap<u64, Entry>,
}

#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    inner: Mutex<Inner>,
    persist: tokio::sync::Mutex<()>,
}

impl Store {
    /// Opens (creating) the folder, reading back the entries committed before.
    pub async fn open(dir: &Path) -> Result<Store, StoreError> {
        for sub in ["data", "blocks"] {
            let p = dir.join(sub);
            tokio::fs::create_dir_all(&p)
                .await
                .map_err(io(format!("failed to create {}", p.display())))?;
        }
        let index = dir.join("entries.json");
        let mut inner = Inner {
            next_id: 1,
            ..Inner::default()
        };
        match tokio::fs::read(&index).await {
            Ok(bytes) => {
                let entries: Vec<Entry> = serde_json::from_slice(&bytes).map_err(|e| {
                    io(format!("failed to read {}", index.display()))(std::io::Error::other(e))
                })?;
                for e in entries {
                    inner.next_id = inner.next_id.max(e.id + 1);
                    inner.entries.insert(e.id, e);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(format!("failed to read {}", index.display()))(e)),
        }
        Ok(Store {
            dir: dir.to_path_buf(),
            inner: Mutex::new(inner),
            persist: tokio::sync::Mutex::new(()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn data_path(&self, id: u64) -> PathBuf {
        self.dir.join("data").join(id.to_string())
    }

    pub fn block_dir(&self, id: u64) -> PathBuf {
        self.dir.join("blocks").join(id.to_string())
    }

    pub fn get(&self, id: u64) -> Option<Entry> {
        self.lock().entries.get(&id).cloned()
    }

    /// The committed entry a look-up finds (see the module doc for the order).
    pub fn lookup(&self, scopes: &[&str], keys: &[String], version: &str) -> Option<Entry> {
        let g = self.lock();
        let committed = || {
            g.entries
                .values()
                .filter(|e| e.committed_at.is_some() && e.version == version)
        };
        for scope in scopes {
            for key in keys.iter().filter(|k| !k.is_empty()) {
                let in_scope = || committed().filter(|e| e.scope == *scope);
                if let Some(e) = in_scope().find(|e| &e.key == key) {
                    return Some(e.clone());
                }
                if let Some(e) = in_scope()
                    .filter(|e| e.key.starts_with(key.as_str()))
                    .max_by_key(|e| (e.committed_at, e.id))
                {
                    return Some(e.clone());
                }
            }
        }
        None
    }

    /// Reserves `(scope, key, version)` for an upload.
    pub fn reserve(
        &self,
        scope: &str,
        key: &str,
        version: &str,
        protocol: Protocol,
    ) -> Result<Entry, StoreError> {
        let mut g = self.lock();
        if g.entries
            .values()
            .any(|e| e.scope == scope && e.key == key && e.version == version)
        {
            return Err(StoreError::Exists {
                scope: scope.to_string(),
                key: key.to_string(),
                version: version.to_string(),
            });
        }
        let id = g.next_id;
        g.next_id += 1;
        let e = Entry {
            id,
            scope: scope.to_string(),
            key: key.to_string(),
            version: version.to_string(),
            protocol,
            created_at: Utc::now(),
            blob_size: None,
            committed_at: None,
            size: None,
        };
        g.entries.insert(id, e.clone());
        Ok(e)
    }

    /// The reservation (not yet committed) of `(scope, key, version)`.
    pub fn reserved(&self, scope: &str, key: &str, version: &str) -> Option<Entry> {
        self.lock()
            .entries
            .values()
            .find(|e| {
                e.committed_at.is_none() && e.scope == scope && e.key == key && e.version == version
            })
            .cloned()
    }

    /// Records that entry `id`'s blob is complete at `size` bytes.
    pub fn set_blob_size(&self, id: u64, size: u64) {
        if let Some(e) = self.lock().entries.get_mut(&id) {
            e.blob_size = Some(size);
        }
    }

    /// Commits entry `id` at `size` bytes (checked against `data/ID`), and rewrites
    /// `entries.json`.
    pub async fn commit(&self, id: u64, size: u64) -> Result<Entry, StoreError> {
        let e = self.get(id).ok_or(StoreError::NotFound(id))?;
        if e.committed_at.is_some() {
            return Err(StoreError::Committed(id));
        }
        if e.protocol == Protocol::V2 && e.blob_size.is_none() {
            return Err(StoreError::NotUploaded(id));
        }
        let path = self.data_path(id);
        let actual = match tokio::fs::metadata(&path).await {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && size == 0 => {
                tokio::fs::write(&path, b"")
                    .await
                    .map_err(io(format!("failed to create {}", path.display())))?;
                0
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotUploaded(id))
            }
            Err(e) => return Err(io(format!("failed to stat {}", path.display()))(e)),
        };
        if actual != size {
            return Err(StoreError::SizeMismatch {
                id,
                expected: size,
                actual,
            });
        }
        let committed = {
            let mut g = self.lock();
            let e = g.entries.get_mut(&id).ok_or(StoreError::NotFound(id))?;
            if e.committed_at.is_some() {
                return Err(StoreError::Committed(id));
            }
            e.committed_at = Some(Utc::now());
            e.size = Some(size);
            e.clone()
        };
        self.persist().await?;
        Ok(committed)
    }

    async fn persist(&self) -> Result<(), StoreError> {
        let _one_writer = self.persist.lock().await;
        let committed: Vec<Entry> = self
            .lock()
            .entries
            .values()
            .filter(|e| e.committed_at.is_some())
            .cloned()
            .collect();
        let json = serde_json::to_vec_pretty(&committed).expect("entries serialize");
        let (tmp, index) = (
            self.dir.join("entries.json.tmp"),
            self.dir.join("entries.json"),
        );
        tokio::fs::write(&tmp, json)
            .await
            .map_err(io(format!("failed to write {}", tmp.display())))?;
        tokio::fs::rename(&tmp, &index)
            .await
            .map_err(io(format!("failed to replace {}", index.display())))
    }

    /// Streams `body` into `path`, from `offset` when given (a v1 chunk; the file is
    /// kept) or into a fresh file otherwise.
    pub async fn write_body(
        path: &Path,
        offset: Option<u64>,
        body: Body,
    ) -> Result<Written, StoreError> {
        let what = || format!("failed to write {}", path.display());
        let mut f = match offset {
            Some(off) => {
                let mut f = tokio::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(path)
                    .await
                    .map_err(io(what()))?;
                f.seek(std::io::SeekFrom::Start(off))
                    .await
                    .map_err(io(what()))?;
                f
            }
            None => tokio::fs::File::create(path).await.map_err(io(what()))?,
        };
        let mut stream = body.into_data_stream();
        let (mut bytes, mut md5) = (0u64, Md5::new());
        while let Some(chunk) = stream.next().await {
            let chunk = chunk
                .map_err(|e| io("failed to read the request body")(std::io::Error::other(e)))?;
            md5.update(&chunk);
            bytes += chunk.len() as u64;
            f.write_all(&chunk).await.map_err(io(what()))?;
        }
        f.flush().await.map_err(io(what()))?;
        Ok(Written {
            bytes,
            md5: md5.finalize().into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reserve_commit_lookup_and_reload() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).await.unwrap();
        let a = s.reserve("main", "index#1", "v", Protocol::V1).unwrap();
        assert!(matches!(
            s.reserve("main", "index#1", "v", Protocol::V1),
            Err(StoreError::Exists { .. })
        ));
        // Reserved but not committed: not found.
        assert_eq!(s.lookup(&["main"], &["index#".into()], "v"), None);
        tokio::fs::write(s.data_path(a.id), b"abc").await.unwrap();
        assert!(matches!(
            s.commit(a.id, 4).await,
            Err(StoreError::SizeMismatch { actual: 3, .. })
        ));
        s.commit(a.id, 3).await.unwrap();
        let b = s.reserve("main", "index#2", "v", Protocol::V1).unwrap();
        tokio::fs::write(s.data_path(b.id), b"").await.unwrap();
        s.commit(b.id, 0).await.unwrap();
        // Prefix: the newest; exact wins; another version or scope misses.
        let found = |keys: &[&str], scopes: &[&str], v: &str| {
            let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            s.lookup(scopes, &keys, v).map(|e| e.key)
        };
        assert_eq!(
            found(&["index#"], &["main"], "v").as_deref(),
            Some("index#2")
        );
        assert_eq!(
            found(&["index#1"], &["main"], "v").as_deref(),
            Some("index#1")
        );
        assert_eq!(found(&["index#"], &["main"], "w"), None);
        assert_eq!(found(&["index#"], &["other"], "v"), None);
        assert_eq!(
            found(&["nope", "index#1"], &["other", "main"], "v").as_deref(),
            Some("index#1")
        );
        let again = Store::open(dir.path()).await.unwrap();
        assert_eq!(
            again
                .lookup(&["main"], &["index#2".into()], "v")
                .map(|e| e.id),
            Some(b.id)
        );
        assert!(again.reserve("main", "new", "v", Protocol::V2).unwrap().id > b.id);
    }
}
