//! What a run left in a loopback registry: the manifests its tags reach (indexes,
//! image and attestation manifests) and the bytes of the distinct blobs they
//! reference, read over the registry's HTTP API without credentials.

use super::{Registry, MANIFEST_MEDIA_TYPES};
use crate::infra::http;
use anyhow::Context;
use std::time::Duration;

/// What a run left in the registry: the manifests its tags reach (an index, its
/// image manifests and attestation manifests: what ECR lifecycle rules count) and
/// the bytes of the distinct blobs and manifests they reference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Footprint {
    pub manifests: u32,
    pub attestations: u32,
    pub bytes: u64,
}

impl Registry {
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
                todo.extend(children.into_iter().rev());
            }
        }
        Ok(fp)
    }

    /// Counts one manifest (once) and its blobs; returns the manifests it lists.
    async fn walk(
        &self,
        repo: &str,
        reference: &str,
        attestation: bool,
        fp: &mut Footprint,
        seen_manifests: &mut std::collections::HashSet<String>,
        seen_blobs: &mut std::collections::HashSet<String>,
    ) -> anyhow::Result<Vec<(String, bool)>> {
        let mut children_out = Vec::new();
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
            for c in children {
                let Some(d) = c.get("digest").and_then(|v| v.as_str()) else {
                    continue;
                };
                let is_att = c
                    .pointer("/annotations/vnd.docker.reference.type")
                    .and_then(|v| v.as_str())
                    == Some("attestation-manifest");
                children_out.push((d.to_string(), is_att));
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
                }
            }
        }
        Ok(children_out)
    }
}
