//! The registry runs push to and pull from: cachebench's own (Debian's
//! `docker-registry serve`, or `registry serve`, on a free loopback port with its
//! storage in a temporary folder) or an existing one given with `--registry`.
//!
//! Every run writes only under tags unique to it (`REPOSITORY:<run>-<cell>-<n>`,
//! see [`crate::plan::target`]); on an existing registry nothing else is touched.
//! What a run left in a registry (its footprint) is measured in [`footprint`].
//!
//! cachebench's own registry can be restarted ([`Registry::restart`]) on the same
//! port, configuration and storage folder after it died: `docker-registry` keeps
//! every blob and manifest on disk under `rootdirectory` (nothing in memory), so
//! what earlier runs pushed (seeded base images, caches of warm chains) is served
//! again as it was.

use crate::infra::http;
use crate::util::which;
use crate::{infra::process::background::Background, infra::process::Spec};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
pub mod footprint;
pub mod guard;

/// A registry cachebench started, and owns.
#[derive(Debug)]
pub struct OwnedRegistry {
    pub process: Background,
    pub dir: PathBuf,
    pub port: u16,
    pub config: PathBuf,
    /// The binary it was started with (a restart uses the same).
    pub bin: PathBuf,
    /// The firewall rule that lets only root connect to it ([`guard`]); `None`
    /// when it could not be added (a warning said so).
    pub guard: Option<guard::Guard>,
}

impl OwnedRegistry {
    /// Its log (every start of it appends to the same file).
    pub fn log(&self) -> PathBuf {
        self.dir.join(LOG_FILE)
    }
}

/// The log file of cachebench's own registry, in its folder.
pub const LOG_FILE: &str = "registry.log";
/// How long a (re)started registry gets to answer `/v2/`.
const START_LIMIT: Duration = Duration::from_secs(15);

#[derive(Debug)]
pub struct Registry {
    /// HOST:PORT (no prefix).
    pub host: String,
    /// Repository images and caches are written to: `HOST[:PORT]/PREFIX`.
    pub repository: String,
    pub owned: Option<OwnedRegistry>,
}

/// The registry binary found on PATH.
pub fn find_binary() -> Option<PathBuf> {
    ["docker-registry", "registry"]
        .iter()
        .find_map(|b| which(b))
}

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> std::io::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

impl Registry {
    /// Starts cachebench's own registry with storage under `dir`.
    pub async fn start_owned(dir: &Path) -> anyhow::Result<Registry> {
        let bin = find_binary().context(
            "no registry binary (docker-registry or registry) on PATH; run scripts/setup.sh \
             (apt-get install docker-registry) or give --registry HOST[:PORT]",
        )?;
        std::fs::create_dir_all(dir.join("data"))
            .with_context(|| format!("failed to create {}", dir.display()))?;
        let mut last_err = None;
        for _ in 0..3 {
            let port = free_port().context("failed to find a free loopback port")?;
            let config = dir.join("config.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  \
                     filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n  \
                     maintenance:\n    uploadpurging:\n      enabled: false\nhttp:\n  addr: 127.0.0.1:{port}\n",
                    dir.join("data").display()
                ),
            )
            .with_context(|| format!("failed to write {}", config.display()))?;
            let host = format!("127.0.0.1:{port}");
            // Closed to other users before it listens.
            let guard = match guard::restrict(port, dir) {
                Ok(g) => Some(g),
                Err(why) => {
                    eprintln!(
                        "cachebench: warning: cachebench's registry on {host} is open to every \
                         local user while the run lasts: {why}"
                    );
                    None
                }
            };
            let spec = Spec::new(bin.as_os_str()).arg("serve").arg(&config);
            let mut process = Background::spawn(&spec, "registry", &dir.join(LOG_FILE))?;
            match wait_ready(&host, &mut process, START_LIMIT).await {
                Ok(()) => {
                    return Ok(Registry {
                        repository: format!("{host}/cachebench"),
                        host,
                        owned: Some(OwnedRegistry {
                            process,
                            dir: dir.to_path_buf(),
                            port,
                            config,
                            bin,
                            guard,
                        }),
                    })
                }
                Err(e) => {
                    process.kill().await;
                    last_err = Some(e);
                }
            }
        }
        Err(last_err.unwrap_or_else(|| anyhow::anyhow!("registry did not start")))
    }

    /// An existing registry: `HOST[:PORT][/PREFIX]`.
    pub fn external(address: &str) -> Registry {
        let (host, prefix) = match address.split_once('/') {
            Some((h, p)) => (h.to_string(), Some(p.to_string())),
            None => (address.to_string(), None),
        };
        let repository = match prefix {
            Some(p) => format!("{host}/{p}"),
            None => format!("{host}/cachebench"),
        };
        Registry {
            host,
            repository,
            owned: None,
        }
    }

    /// True when the registry speaks plain HTTP on loopback (cachebench's own, or a
    /// local one), which BuildKit must be told about.
    pub fn is_loopback(&self) -> bool {
        self.host.starts_with("127.") || self.host.starts_with("localhost")
    }

    /// Answers `GET /v2/` with 200 or 401.
    pub async fn ping(&self) -> bool {
        self.is_loopback()
            && http::tcp("GET", &self.host, "/v2/", &[], Duration::from_secs(2))
                .await
                .map(|r| r.status == 200 || r.status == 401)
                .unwrap_or(false)
    }

    /// The repository name inside the registry (`cachebench`, or the PREFIX of
    /// `--registry HOST/PREFIX`).
    pub fn repo_name(&self) -> &str {
        self.repository
            .strip_prefix(&format!("{}/", self.host))
            .unwrap_or("cachebench")
    }

    /// Deletes the tags of this run (those starting with `prefix`, which is unique
    /// to the run) through the registry API: `HEAD` each manifest for its digest,
    /// then `DELETE` it by digest. A digest that a tag not of this run also points
    /// to is left alone (deleting it would delete that tag too). Only over plain
    /// HTTP on loopback; elsewhere the tags are left and the summary says so.
    /// Blobs stay until the registry's garbage collection runs.
    pub async fn delete_run_tags(&self, prefix: &str) -> anyhow::Result<TagCleanup> {
        let mut c = TagCleanup::default();
        if prefix.is_empty() {
            bail!("refusing to delete tags without a run prefix");
        }
        if !self.is_loopback() {
            bail!(
                "tags {}:{prefix}* left on {}: cachebench deletes tags only on a loopback registry \
                 (it never handles credentials)",
                self.repository,
                self.host
            );
        }
        let repo = self.repo_name().to_string();
        let t = Duration::from_secs(10);
        let r = http::tcp("GET", &self.host, &format!("/v2/{repo}/tags/list"), &[], t)
            .await
            .with_context(|| format!("failed to list tags of {}", self.repository))?;
        if r.status == 404 {
            return Ok(c);
        }
        if r.status != 200 {
            bail!(
                "listing tags of {} answered HTTP {}",
                self.repository,
                r.status
            );
        }
        let v: serde_json::Value = serde_json::from_slice(&r.body)
            .with_context(|| format!("bad tag list from {}", self.repository))?;
        let tags: Vec<String> = v["tags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let (mine, others): (Vec<String>, Vec<String>) =
            tags.into_iter().partition(|t| t.starts_with(prefix));
        let mut foreign = std::collections::HashSet::new();
        if !mine.is_empty() {
            for o in &others {
                if let Ok(Some(d)) = self.digest_of(&repo, o, t).await {
                    foreign.insert(d);
                }
            }
        }
        // Digests already deleted, with the answer: tags sharing one are deleted with it.
        let mut done: std::collections::HashMap<String, bool> = Default::default();
        for tag in mine {
            let d = match self.digest_of(&repo, &tag, t).await {
                Ok(Some(d)) => d,
                // Already gone: nothing left to delete, nothing to warn about.
                Ok(None) => {
                    c.deleted.push(tag);
                    continue;
                }
                Err(e) => {
                    c.failed.push(format!("{tag}: {e}"));
                    continue;
                }
            };
            if foreign.contains(&d) {
                c.kept
                    .push(format!("{tag}: {d} is also tagged outside this run"));
                continue;
            }
            if let Some(ok) = done.get(&d) {
                if *ok {
                    c.deleted.push(tag);
                } else {
                    c.failed
                        .push(format!("{tag}: {d} could not be deleted (above)"));
                }
                continue;
            }
            let outcome = match http::tcp(
                "DELETE",
                &self.host,
                &format!("/v2/{repo}/manifests/{d}"),
                &[],
                t,
            )
            .await
            {
                Ok(r) if r.status == 202 || r.status == 200 || r.status == 404 => Ok(()),
                Ok(r) if r.status == 405 => {
                    Err("the registry does not allow deletion (HTTP 405)".to_string())
                }
                Ok(r) => Err(format!("DELETE answered HTTP {}", r.status)),
                Err(e) => Err(e.to_string()),
            };
            done.insert(d, outcome.is_ok());
            match outcome {
                Ok(()) => c.deleted.push(tag),
                Err(e) => c.failed.push(format!("{tag}: {e}")),
            }
        }
        Ok(c)
    }

    /// The digest `HEAD /v2/REPO/manifests/TAG` answers; `Ok(None)` when the
    /// manifest is gone (HTTP 404), e.g. deleted with a tag of this run that shared
    /// its digest.
    async fn digest_of(
        &self,
        repo: &str,
        tag: &str,
        t: Duration,
    ) -> anyhow::Result<Option<String>> {
        let r = http::tcp(
            "HEAD",
            &self.host,
            &format!("/v2/{repo}/manifests/{tag}"),
            &[("Accept", MANIFEST_MEDIA_TYPES)],
            t,
        )
        .await?;
        match r.status {
            404 => Ok(None),
            200 => r
                .header("docker-content-digest")
                .map(|d| Some(d.to_string()))
                .ok_or_else(|| anyhow::anyhow!("HEAD answered no Docker-Content-Digest")),
            s => bail!("HEAD answered HTTP {s}"),
        }
    }

    /// For cachebench's own registry: whether its process is alive and `GET /v2/`
    /// answers (200 or 401) within 2 s. An external registry is not cachebench's to
    /// judge: always true.
    pub async fn answers(&mut self) -> bool {
        let Some(o) = self.owned.as_mut() else {
            return true;
        };
        o.process.alive() && self.ping().await
    }

    /// Restarts cachebench's own registry after it died (or stopped answering): the
    /// old process, if any is left, is killed, and the same binary is started with
    /// the same configuration, so on the same port and storage folder; waits until
    /// it answers. Its log is appended to.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        let host = self.host.clone();
        let Some(o) = self.owned.as_mut() else {
            bail!("registry {host} is not cachebench's to restart");
        };
        o.process.kill().await;
        let spec = Spec::new(o.bin.as_os_str()).arg("serve").arg(&o.config);
        let mut process = Background::spawn(&spec, "registry", &o.log())?;
        if let Err(e) = wait_ready(&host, &mut process, START_LIMIT).await {
            process.kill().await;
            return Err(e);
        }
        o.process = process;
        Ok(())
    }

    /// Stops an owned registry (a no-op for an external one).
    pub async fn stop(&mut self) {
        if let Some(o) = self.owned.as_mut() {
            o.process.stop(Duration::from_secs(5)).await;
            if let Some(g) = o.guard.as_mut() {
                g.lift();
            }
        }
    }
}

/// The manifest media types cachebench asks a registry for (`Accept`), for tags
/// resolved to digests and for footprints: indexes and image manifests, OCI and
/// Docker v2. One list, also used by the tests.
pub const MANIFEST_MEDIA_TYPES: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// What [`Registry::delete_run_tags`] did.
#[derive(Debug, Default)]
pub struct TagCleanup {
    pub deleted: Vec<String>,
    /// Left because another tag shares the manifest.
    pub kept: Vec<String>,
    pub failed: Vec<String>,
}

async fn wait_ready(host: &str, process: &mut Background, limit: Duration) -> anyhow::Result<()> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if !process.alive() {
            bail!("registry exited at start{}", process.log_tail());
        }
        if let Ok(r) = http::tcp("GET", host, "/v2/", &[], Duration::from_secs(1)).await {
            if r.status == 200 {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!(
        "registry did not answer on {host} within {}s{}",
        limit.as_secs(),
        process.log_tail()
    )
}

#[cfg(test)]
mod tests;
