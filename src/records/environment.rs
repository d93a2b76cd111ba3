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
    /// The machine's host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The CI job it ran in, from a fixed list of the provider's variables
    /// ([`CiInfo::detect`]); never a token or secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci: Option<CiInfo>,
    /// In a folder `cachebench merge` wrote: each shard's host and environment,
    /// in shard order (the fields above are the first shard's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<HostEnv>,
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

/// The CI job a run ran in. Only these variables are read, each by name: nothing
/// else of the process environment, and never a token, key or password.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CiInfo {
    /// `github-actions` or `codebuild`.
    pub provider: String,
    /// GitHub: `github-hosted` or `self-hosted` (`RUNNER_ENVIRONMENT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner_environment: Option<String>,
    /// GitHub: `RUNNER_OS`, `RUNNER_ARCH`, `RUNNER_NAME`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner_os: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner_arch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner_name: Option<String>,
    /// GitHub: `GITHUB_REPOSITORY`, `GITHUB_WORKFLOW`, `GITHUB_JOB`,
    /// `GITHUB_RUN_ID`, `GITHUB_RUN_ATTEMPT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_attempt: Option<String>,
    /// CodeBuild: `CODEBUILD_BUILD_ID`, `CODEBUILD_BUILD_ARN`,
    /// `CODEBUILD_BUILD_NUMBER`, `CODEBUILD_BATCH_BUILD_IDENTIFIER`,
    /// `CODEBUILD_BUILD_IMAGE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_image: Option<String>,
    /// CodeBuild: `CODEBUILD_COMPUTE_TYPE`, when the project sets it (CodeBuild
    /// itself exports no compute type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compute_type: Option<String>,
    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl CiInfo {
    /// The CI job from `get` (a lookup of one variable by name): GitHub Actions
    /// when `GITHUB_ACTIONS` is set, CodeBuild when `CODEBUILD_BUILD_ID` is;
    /// `None` elsewhere.
    pub fn detect(get: impl Fn(&str) -> Option<String>) -> Option<CiInfo> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        if get("GITHUB_ACTIONS").is_some() {
            return Some(CiInfo {
                provider: "github-actions".into(),
                runner_environment: get("RUNNER_ENVIRONMENT"),
                runner_os: get("RUNNER_OS"),
                runner_arch: get("RUNNER_ARCH"),
                runner_name: get("RUNNER_NAME"),
                repository: get("GITHUB_REPOSITORY"),
                workflow: get("GITHUB_WORKFLOW"),
                job: get("GITHUB_JOB"),
                run_id: get("GITHUB_RUN_ID"),
                run_attempt: get("GITHUB_RUN_ATTEMPT"),
                ..CiInfo::default()
            });
        }
        let build_id = get("CODEBUILD_BUILD_ID")?;
        Some(CiInfo {
            provider: "codebuild".into(),
            build_id: Some(build_id),
            build_arn: get("CODEBUILD_BUILD_ARN"),
            build_number: get("CODEBUILD_BUILD_NUMBER"),
            batch_identifier: get("CODEBUILD_BATCH_BUILD_IDENTIFIER"),
            build_image: get("CODEBUILD_BUILD_IMAGE"),
            compute_type: get("CODEBUILD_COMPUTE_TYPE"),
            region: get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION")),
            ..CiInfo::default()
        })
    }

    /// `github-hosted Linux X64`, `codebuild BUILD_GENERAL1_SMALL us-east-1`.
    pub fn runner_words(&self) -> String {
        let parts: Vec<&str> = [
            Some(self.provider.as_str()),
            self.runner_environment.as_deref(),
            self.runner_os.as_deref(),
            self.runner_arch.as_deref(),
            self.compute_type.as_deref(),
            self.region.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        parts.join(" ")
    }
}

/// One shard's host in a merged folder's env.json.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HostEnv {
    /// `I/N`.
    pub shard: String,
    /// The shard's results folder, as given to `merge`.
    pub folder: String,
    /// Its host name (shard.json).
    pub host: String,
    /// Its round groups and cells (keys as records name them).
    pub units: Vec<String>,
    pub cells: Vec<String>,
    /// Its env.json.
    pub env: EnvInfo,
}

/// What hosts must share for their cells to be compared, and how hosts differ in
/// it: one line per field that differs (`CPU model: a (1/2) X; b (2/2) Y`).
pub fn host_differences(hosts: &[HostEnv]) -> Vec<String> {
    type Field = fn(&EnvInfo) -> Option<String>;
    let fields: [(&str, Field); 6] = [
        ("CPU model", |e| e.cpu_model.clone()),
        ("CPU cores", |e| e.cpu_cores.map(|n| n.to_string())),
        ("engine version", |e| e.engine_version.clone()),
        ("image store", |e| e.image_store.clone()),
        ("driver", |e| e.driver.clone()),
        ("BuildKit version", |e| e.buildkit_version.clone()),
    ];
    let mut out = vec![];
    for (name, get) in fields {
        let values: Vec<Option<String>> = hosts.iter().map(|h| get(&h.env)).collect();
        if values.windows(2).all(|w| w[0] == w[1]) {
            continue;
        }
        let said: Vec<String> = hosts
            .iter()
            .zip(&values)
            .map(|(h, v)| {
                format!(
                    "{} ({}) {}",
                    h.host,
                    h.shard,
                    v.as_deref().unwrap_or("unknown")
                )
            })
            .collect();
        out.push(format!("{name}: {}", said.join("; ")));
    }
    out
}

/// The machine's host name (`/proc/sys/kernel/hostname`).
pub fn hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
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
mod tests;
