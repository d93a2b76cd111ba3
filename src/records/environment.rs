//! The layout of `OUT/env.json`: what the results were measured on, a FIXED list of
//! optional fields. Captured by `run::environment_capture` and the network stage, read back by
//! `report`.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Version of the `env.json` layout.
pub const ENV_SCHEMA_VERSION: u32 = 1;

/// What the results were measured on. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EnvInfo {
    pub schema_version: u32,
    pub cachebench_version: Option<String>,
    /// Commit cachebench was built from (`git rev-parse HEAD` at build time).
    pub cachebench_commit: Option<String>,
    /// SHA-256 of the scenario file, hex; for a run given by flags only, of the
    /// resolved `scenario.toml` cachebench wrote to OUT.
    pub scenario_sha256: Option<String>,
    pub docker_cli_version: Option<String>,
    pub engine_version: Option<String>,
    pub buildx_version: Option<String>,
    pub buildkit_version: Option<String>,
    /// Where `buildkit_version` comes from when the builder reports no real version
    /// (the docker driver's BuildKit, built into a distribution's dockerd, says
    /// `v0.0.0+unknown`): then `buildkit_version` names the engine it is part of.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buildkit_version_note: Option<String>,
    pub containerd_version: Option<String>,
    /// BuildKit driver of the builder (`docker`, `docker-container`, …).
    pub driver: Option<String>,
    /// Image docker-container builders ran (`--buildkit-image`, `auto` resolved);
    /// `None` when the matrix had none.
    pub container_buildkit_image: Option<String>,
    /// BuildKit version of that image (its `org.opencontainers.image.version` label).
    pub container_buildkit_version: Option<String>,
    /// `containerd-snapshotter` or `graphdriver:<name>`: the engine's store when
    /// env.json was written (the first store of the matrix).
    pub image_store: Option<String>,
    /// The image stores the matrix ran on (`containerd`, `classic`), in run order;
    /// absent in files written before the store was an axis.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_stores: Vec<String>,
    pub kernel: Option<String>,
    pub cpu_model: Option<String>,
    pub cpu_cores: Option<u32>,
    pub memory_bytes: Option<u64>,
    /// Kind of registry the registry strategies pushed to (e.g. `distribution`).
    pub registry_kind: Option<String>,
    /// `github-actions`, `codebuild`, or `None`.
    pub ci_provider: Option<String>,
    /// Whether builds on cachebench's own engine had egress (cachebench's NAT and
    /// forwarding rules); `None` on an engine cachebench does not own.
    pub egress: Option<bool>,
    /// The subnet masqueraded for them (`169.254.N.0/24`).
    pub egress_subnet: Option<String>,
    /// The firewall tool of the rules (`iptables -V`), or why egress is off.
    pub egress_detail: Option<String>,
    /// Nameservers containers on that bridge get (the host's non-loopback ones).
    pub egress_nameservers: Option<Vec<String>>,
    /// URL of the egress probe run before the matrix (`None`: not run); `the
    /// machine's apt mirror` when it was the Debian archive of the machine's apt
    /// sources (the default), whose address is not recorded.
    pub egress_probe_url: Option<String>,
    /// Whether the probe reached its URL from a container on the engine's network.
    pub egress_probe_ok: Option<bool>,
    /// How the probe went (or why it did not run).
    pub egress_probe_detail: Option<String>,
}

/// Reads `env.json`; `Ok(None)` when the file does not exist.
pub fn load_env(path: &Path) -> Result<Option<EnvInfo>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::usage(format!("{}: unparsable environment: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Internal(
            anyhow::Error::new(e).context(format!("reading {}", path.display())),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_env_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_env(&dir.path().join("env.json")).unwrap().is_none());
    }
}
