//! actions/cache as a job runs it, for a local-cache folder: **save** packs the
//! folder (`tar` piped through `zstd -T0 --long=30`, the compression actions/cache
//! uses where zstd is installed) and uploads the archive to the cache service;
//! **restore** downloads it and unpacks it. It speaks the v2 protocol of the
//! GitHub Actions cache service, as actions/cache v4 (`@actions/cache` 4.x) does:
//! Twirp `CreateCacheEntry` → the archive to the signed URL as Azure block-blob
//! blocks of 32 MiB, four at a time (`uploadCacheArchiveSDK`: `maxConcurrency 4`,
//! `blockSize 32 MiB`), then `comp=blocklist` → `FinalizeCacheEntryUpload`; and
//! `GetCacheEntryDownloadURL` (key, then restore-key prefixes) → ranged GETs of the
//! signed URL in parallel segments (`downloadCacheStorageSDK`, here 32 MiB
//! segments, eight at a time), written into the archive at their offsets.
//!
//! Here the service is cachebench's stand-in ([`crate::infra::gha_cache`]), at the
//! address a run gives (through its link). The archive's bytes really move: the
//! stand-in's counters see them.

use crate::infra::http;
use crate::infra::process::{self, Spec};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Upload block size (actions/cache: 32 MiB).
pub const UPLOAD_BLOCK: u64 = 32 * 1024 * 1024;
/// Blocks uploaded at once (actions/cache: 4).
pub const UPLOAD_CONCURRENCY: usize = 4;
/// Download segment size and how many run at once.
pub const DOWNLOAD_SEGMENT: u64 = 32 * 1024 * 1024;
pub const DOWNLOAD_CONCURRENCY: usize = 8;
/// The `version` of every entry: actions/cache hashes the paths and the
/// compression method into it; one folder, one method here.
pub const VERSION: &str = "cachebench-local-cache-tar-zstd-long30";

/// Bound of one HTTP exchange (a 32 MiB block included).
const EXCHANGE: Duration = Duration::from_secs(300);
/// Bound of packing or unpacking.
const ARCHIVE: Duration = Duration::from_secs(1800);

/// The cache service: `HOST:PORT` (the stand-in, or the link in front of it) and
/// the runtime token.
#[derive(Debug, Clone)]
pub struct Service {
    pub host_port: String,
    pub token: String,
}

/// What one save or restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transfer {
    /// The archive's size.
    pub archive_bytes: u64,
    /// Packing or unpacking.
    pub archive_ms: u64,
    /// The service calls and the bytes' transfer.
    pub transfer_ms: u64,
    /// The key saved, or the key restored from.
    pub key: String,
}

impl Transfer {
    pub fn total_ms(&self) -> u64 {
        self.archive_ms + self.transfer_ms
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

/// Splits `http://HOST:PORT/PATH?QUERY` into `HOST:PORT` and `/PATH?QUERY`.
pub fn split_url(url: &str) -> anyhow::Result<(String, String)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("signed url {url} is not plain http"))?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    Ok((
        host.to_string(),
        if path.is_empty() {
            "/".into()
        } else {
            path.to_string()
        },
    ))
}

impl Service {
    async fn twirp(
        &self,
        method: &str,
        body: serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let path = format!("/twirp/github.actions.results.api.v1.CacheService/{method}");
        let auth = format!("Bearer {}", self.token);
        let r = http::tcp_with_body(
            "POST",
            &self.host_port,
            &path,
            &[
                ("Content-Type", "application/json"),
                ("Authorization", &auth),
            ],
            body.to_string().as_bytes(),
            EXCHANGE,
        )
        .await?;
        if r.status != 200 {
            anyhow::bail!(
                "{method} answered HTTP {}: {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            );
        }
        Ok(serde_json::from_slice(&r.body)?)
    }
}

/// Packs `dir` into `archive` (`tar -cf - -C PARENT NAME | zstd -T0 --long=30`).
pub async fn pack(dir: &Path, archive: &Path) -> anyhow::Result<()> {
    let parent = dir.parent().unwrap_or(Path::new("/"));
    let name = dir
        .file_name()
        .ok_or_else(|| anyhow::anyhow!("cache folder {} has no name", dir.display()))?;
    let tar = Spec::new("tar")
        .args(["-cf", "-", "-C"])
        .arg(parent.as_os_str())
        .arg(name);
    let zstd = Spec::new("zstd")
        .args(["-T0", "--long=30", "-q", "-f", "-o"])
        .arg(archive.as_os_str());
    piped(&tar, &zstd).await
}

/// Unpacks `archive` into `dir`'s parent (`zstd -d --long=30 -c | tar -xf -`).
pub async fn unpack(archive: &Path, dir: &Path) -> anyhow::Result<()> {
    let parent = dir.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent)?;
    let zstd = Spec::new("zstd")
        .args(["-d", "--long=30", "-q", "-c"])
        .arg(archive.as_os_str());
    let tar = Spec::new("tar")
        .args(["-xf", "-", "-C"])
        .arg(parent.as_os_str());
    piped(&zstd, &tar).await
}

async fn piped(first: &Spec, second: &Spec) -> anyhow::Result<()> {
    let (_tx, mut never) = tokio::sync::watch::channel(false);
    match process::pipeline::run(first, second, ARCHIVE, &mut never).await? {
        process::pipeline::PipeEnd::Done {
            first: a,
            second: b,
        } => {
            for (o, s) in [(a, first), (b, second)] {
                if !o.status.success() {
                    anyhow::bail!(
                        "`{}` failed ({}): {}",
                        s.display(),
                        o.status,
                        String::from_utf8_lossy(&o.stderr).trim()
                    );
                }
            }
            Ok(())
        }
        process::pipeline::PipeEnd::TimedOut => {
            anyhow::bail!("`{} | {}` timed out", first.display(), second.display())
        }
        process::pipeline::PipeEnd::Interrupted => anyhow::bail!("interrupted"),
    }
}

/// The block ids of an archive of `size` bytes: base64 of a fixed-width index.
pub fn block_ids(size: u64) -> Vec<String> {
    let n = size.div_ceil(UPLOAD_BLOCK).max(1);
    (0..n)
        .map(|i| STANDARD.encode(format!("block-{i:08}")))
        .collect()
}

/// Saves `dir` under `key`: pack, then upload (see the module doc). `scratch`
/// holds the archive.
pub async fn save(
    svc: &Service,
    dir: &Path,
    scratch: &Path,
    key: &str,
) -> anyhow::Result<Transfer> {
    std::fs::create_dir_all(scratch)?;
    let archive = scratch.join("cache.tzst");
    let t0 = Instant::now();
    pack(dir, &archive).await?;
    let archive_ms = ms(t0.elapsed());
    let size = std::fs::metadata(&archive)?.len();
    let t1 = Instant::now();
    let created = svc
        .twirp(
            "CreateCacheEntry",
            serde_json::json!({"key": key, "version": VERSION}),
        )
        .await?;
    let url = created["signed_upload_url"]
        .as_str()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| anyhow::anyhow!("CreateCacheEntry gave no upload url: {created}"))?;
    let (host, path) = split_url(url)?;
    let ids = block_ids(size);
    let archive = Arc::new(archive);
    let mut set = tokio::task::JoinSet::new();
    for (i, id) in ids.iter().enumerate() {
        if set.len() >= UPLOAD_CONCURRENCY {
            set.join_next().await.expect("a task")??;
        }
        let (host, archive) = (host.clone(), archive.clone());
        let path = format!("{path}&comp=block&blockid={}", encode_query(id));
        set.spawn(async move {
            let offset = i as u64 * UPLOAD_BLOCK;
            let bytes = read_at(&archive, offset, UPLOAD_BLOCK).await?;
            let r = http::tcp_with_body("PUT", &host, &path, &[], &bytes, EXCHANGE).await?;
            anyhow::ensure!(r.status == 201, "block upload answered HTTP {}", r.status);
            anyhow::Ok(())
        });
    }
    while let Some(r) = set.join_next().await {
        r??;
    }
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
    for id in &ids {
        xml.push_str(&format!("<Latest>{id}</Latest>"));
    }
    xml.push_str("</BlockList>");
    let r = http::tcp_with_body(
        "PUT",
        &host,
        &format!("{path}&comp=blocklist"),
        &[],
        xml.as_bytes(),
        EXCHANGE,
    )
    .await?;
    anyhow::ensure!(
        r.status == 201,
        "block list answered HTTP {}: {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    svc.twirp(
        "FinalizeCacheEntryUpload",
        serde_json::json!({"key": key, "version": VERSION, "size_bytes": size.to_string()}),
    )
    .await?;
    let transfer_ms = ms(t1.elapsed());
    let _ = std::fs::remove_file(archive.as_path());
    Ok(Transfer {
        archive_bytes: size,
        archive_ms,
        transfer_ms,
        key: key.to_string(),
    })
}

fn encode_query(s: &str) -> String {
    s.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

async fn read_at(path: &Path, offset: u64, len: u64) -> anyhow::Result<Vec<u8>> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let mut f = tokio::fs::File::open(path).await?;
    f.seek(std::io::SeekFrom::Start(offset)).await?;
    let mut buf = Vec::with_capacity(len as usize);
    f.take(len).read_to_end(&mut buf).await?;
    Ok(buf)
}

/// Restores the newest entry whose key is `key` or starts with `prefix` into
/// `dir` (which must not exist yet): download, then unpack. `None` on a miss.
pub async fn restore(
    svc: &Service,
    dir: &Path,
    scratch: &Path,
    key: &str,
    prefix: &str,
) -> anyhow::Result<Option<Transfer>> {
    std::fs::create_dir_all(scratch)?;
    let archive: PathBuf = scratch.join("cache.tzst");
    let t0 = Instant::now();
    let found = svc
        .twirp(
            "GetCacheEntryDownloadURL",
            serde_json::json!({"key": key, "restore_keys": [prefix], "version": VERSION}),
        )
        .await?;
    let (Some(url), Some(matched)) = (
        found["signed_download_url"]
            .as_str()
            .filter(|u| !u.is_empty()),
        found["matched_key"].as_str(),
    ) else {
        return Ok(None);
    };
    let (host, path) = split_url(url)?;
    let head = http::tcp("HEAD", &host, &path, &[], EXCHANGE).await?;
    anyhow::ensure!(
        head.status == 200,
        "HEAD of the archive answered HTTP {}",
        head.status
    );
    let size: u64 = head
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("HEAD of the archive gave no content-length"))?;
    let file = std::fs::File::create(&archive)?;
    file.set_len(size)?;
    drop(file);
    let archive = Arc::new(archive);
    let mut set = tokio::task::JoinSet::new();
    let mut offset = 0;
    while offset < size {
        if set.len() >= DOWNLOAD_CONCURRENCY {
            set.join_next().await.expect("a task")??;
        }
        let end = (offset + DOWNLOAD_SEGMENT).min(size) - 1;
        let (host, path, archive) = (host.clone(), path.clone(), archive.clone());
        set.spawn(async move {
            let range = format!("bytes={offset}-{end}");
            let r = http::tcp("GET", &host, &path, &[("Range", &range)], EXCHANGE).await?;
            anyhow::ensure!(
                r.status == 206 || (r.status == 200 && offset == 0),
                "ranged download answered HTTP {}",
                r.status
            );
            anyhow::ensure!(
                r.body.len() as u64 == end - offset + 1,
                "segment {range}: {} bytes",
                r.body.len()
            );
            write_at(&archive, offset, &r.body).await
        });
        offset = end + 1;
    }
    while let Some(r) = set.join_next().await {
        r??;
    }
    let transfer_ms = ms(t0.elapsed());
    let t1 = Instant::now();
    unpack(&archive, dir).await?;
    let archive_ms = ms(t1.elapsed());
    let _ = std::fs::remove_file(archive.as_path());
    Ok(Some(Transfer {
        archive_bytes: size,
        archive_ms,
        transfer_ms,
        key: matched.to_string(),
    }))
}

async fn write_at(path: &Path, offset: u64, bytes: &[u8]) -> anyhow::Result<()> {
    use tokio::io::{AsyncSeekExt, AsyncWriteExt};
    let mut f = tokio::fs::OpenOptions::new().write(true).open(path).await?;
    f.seek(std::io::SeekFrom::Start(offset)).await?;
    f.write_all(bytes).await?;
    f.flush().await?;
    Ok(())
}

#[cfg(test)]
mod tests;
