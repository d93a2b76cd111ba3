//! What a run left in a loopback registry: the manifests its tags reach (indexes,
//! image and attestation manifests) and the bytes of the distinct blobs they
//! reference, read over the registry's HTTP API without credentials; split into
//! what the image's tag holds and what the cache's tag holds ([`SplitFootprint`]).
//!
//! ECR counts every manifest in a repository as an image for its lifecycle rules
//! (an image index, each image manifest under it, each attestation manifest, and a
//! registry cache written with `image-manifest=true`): that is [`Footprint::manifests`].

use super::{Registry, MANIFEST_MEDIA_TYPES};
use crate::infra::http;
use anyhow::Context;
use std::time::Duration;

/// What a run left in the registry: the manifests its tags reach (an index, its
/// image manifests and attestation manifests: what ECR lifecycle rules count) and
/// the bytes of the distinct blobs and manifests they reference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Every manifest reached: indexes, image manifests, attestation manifests.
    pub manifests: u32,
    /// Of `manifests`, image indexes (and Docker manifest lists).
    pub indexes: u32,
    /// Of `manifests`, attestation manifests.
    pub attestations: u32,
    /// Bytes of the distinct blobs and manifests.
    pub bytes: u64,
    /// Distinct blobs (configs and layers) referenced.
    pub blobs: u32,
    /// Of the refs asked about, the tags that exist.
    pub tags: u32,
}

/// The footprint of a run, split by whose tag reaches it: the image's, the
/// cache's, and both together (a blob both reference counts once in `total`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SplitFootprint {
    pub image: Footprint,
    pub cache: Footprint,
    pub total: Footprint,
}

impl Registry {
    /// Measures what the image refs and the cache refs hold, each on its own and
    /// together (three walks of the registry; loopback, so cheap).
    pub async fn footprint_split(
        &self,
        image_refs: &[String],
        cache_refs: &[String],
    ) -> anyhow::Result<SplitFootprint> {
        let all: Vec<String> = image_refs.iter().chain(cache_refs).cloned().collect();
        Ok(SplitFootprint {
            image: self.footprint(image_refs).await?,
            cache: self.footprint(cache_refs).await?,
            total: self.footprint(&all).await?,
        })
    }

    /// Measures what `refs` (`REPOSITORY:TAG`, in this registry) hold. Only for a
    /// loopback registry (cachebench's own or a local one): it reads without
    /// credentials. Tags that do not exist count nothing.
    pub async fn footprint(&self, refs: &[String]) -> anyhow::Result<Footprint> {
        anyhow::ensure!(
            self.is_loopback(),
            "footprint is measured on loopback registries only"
        );
        let mut fp = Footprint::default();
        let mut seen_blobs = std::collections::HashSet::new();
        let mut seen_manifests = std::collections::HashSet::new();
        for r in refs {
            let (repo_full, tag) = r
                .rsplit_once(':')
                .ok_or_else(|| anyhow::anyhow!("reference {r} has no tag"))?;
            let repo = repo_full
                .strip_prefix(&format!("{}/", self.host))
                .ok_or_else(|| anyhow::anyhow!("reference {r} is not in {}", self.host))?;
            // Manifests to read, depth first: (reference, is an attestation).
            let mut todo = vec![(tag.to_string(), false)];
            let mut first = true;
            while let Some((reference, attestation)) = todo.pop() {
                let children = self
                    .walk(
                        repo,
                        &reference,
                        attestation,
                        &mut fp,
                        &mut seen_manifests,
                        &mut seen_blobs,
                    )
                    .await?;
                if std::mem::take(&mut first) && children.found {
                    fp.tags += 1;
                }
                todo.extend(children.list.into_iter().rev());
            }
        }
        Ok(fp)
    }

    /// Counts one manifest (once) and its blobs; returns the manifests it lists and
    /// whether it exists.
    async fn walk(
        &self,
        repo: &str,
        reference: &str,
        attestation: bool,
        fp: &mut Footprint,
        seen_manifests: &mut std::collections::HashSet<String>,
        seen_blobs: &mut std::collections::HashSet<String>,
    ) -> anyhow::Result<Children> {
        let mut children_out = Children::default();
        let path = format!("/v2/{repo}/manifests/{reference}");
        let resp = http::tcp(
            "GET",
            &self.host,
            &path,
            &[("Accept", MANIFEST_MEDIA_TYPES)],
            Duration::from_secs(10),
        )
        .await
        .with_context(|| format!("GET {}{path}", self.host))?;
        if resp.status == 404 {
            return Ok(children_out);
        }
        anyhow::ensure!(
            resp.status == 200,
            "GET {}{path}: HTTP {}",
            self.host,
            resp.status
        );
        let digest = resp
            .header("docker-content-digest")
            .map(str::to_string)
            .unwrap_or_else(|| format!("{repo}@{reference}"));
        children_out.found = true;
        if !seen_manifests.insert(digest) {
            return Ok(children_out);
        }
        fp.manifests += 1;
        if attestation {
            fp.attestations += 1;
        }
        fp.bytes += resp.body.len() as u64;
        let m: serde_json::Value = serde_json::from_slice(&resp.body)
            .with_context(|| format!("manifest {repo}:{reference} is not JSON"))?;
        if let Some(children) = m.get("manifests").and_then(|v| v.as_array()) {
            fp.indexes += 1;
            for c in children {
                let Some(d) = c.get("digest").and_then(|v| v.as_str()) else {
                    continue;
                };
                let is_att = c
                    .pointer("/annotations/vnd.docker.reference.type")
                    .and_then(|v| v.as_str())
                    == Some("attestation-manifest");
                children_out.list.push((d.to_string(), is_att));
            }
        }
        let blobs = m.get("config").into_iter().chain(
            m.get("layers")
                .and_then(|v| v.as_array())
                .into_iter()
                .flatten(),
        );
        for b in blobs {
            if let (Some(d), Some(size)) = (
                b.get("digest").and_then(|v| v.as_str()),
                b.get("size").and_then(|v| v.as_u64()),
            ) {
                if seen_blobs.insert(d.to_string()) {
                    fp.bytes += size;
                    fp.blobs += 1;
                }
            }
        }
        Ok(children_out)
    }
}

/// What one manifest lists: child manifests (digest, is an attestation), and
/// whether the manifest itself exists.
#[derive(Default)]
struct Children {
    list: Vec<(String, bool)>,
    found: bool,
}
