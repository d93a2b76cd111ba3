//! The environment a benchmark ran in (`OUT/env.json`): a FIXED list of fields,
//! captured from `docker version`, `docker info`, `docker buildx version`,
//! `docker buildx inspect` and /proc. The process environment is never captured as a
//! whole; only the CI provider's name is derived from `GITHUB_ACTIONS` /
//! `CODEBUILD_BUILD_ID`, and its job from a fixed list of its variables
//! ([`crate::records::environment::CiInfo::detect`]). No token, password or credential is ever read or stored.
//! Anything that cannot be found is `None`, never an error: the docker commands run
//! concurrently, each under [`DOCKER_LIMIT`], as tokio children in their own
//! process groups, so an engine that does not answer costs at most that long and
//! never blocks the runtime (a Ctrl-C meanwhile is still handled).

use crate::records::environment::{EnvInfo, ENV_SCHEMA_VERSION};
use crate::util::sha256_hex;
use std::path::Path;
use std::time::Duration;

/// How long each docker command of [`EnvInfo::capture`] may take.
pub const DOCKER_LIMIT: Duration = Duration::from_secs(5);

/// Commit of the build, set by `build.rs` when git was available.
const BUILD_COMMIT: Option<&str> = option_env!("CACHEBENCH_GIT_COMMIT");

impl EnvInfo {
    /// Captures the environment. `docker_env` is added to the environment of every
    /// docker command (e.g. `DOCKER_HOST`, `BUILDX_BUILDER`); `builder` is passed to
    /// `docker buildx inspect`; `scenario_file` is hashed; `registry_kind` is
    /// recorded as given. The commands run concurrently, each given
    /// [`DOCKER_LIMIT`]; failures and timeouts give `None`s.
    pub async fn capture(
        docker_env: &[(String, String)],
        builder: Option<&str>,
        scenario_file: Option<&Path>,
        registry_kind: Option<&str>,
    ) -> EnvInfo {
        let mut env = EnvInfo {
            schema_version: ENV_SCHEMA_VERSION,
            cachebench_version: Some(env!("CARGO_PKG_VERSION").to_string()),
            cachebench_commit: BUILD_COMMIT.map(str::to_string),
            scenario_sha256: scenario_file
                .and_then(|p| std::fs::read(p).ok())
                .map(|b| sha256_hex(&b)),
            registry_kind: registry_kind.map(str::to_string),
            ci_provider: ci_provider(|k| std::env::var_os(k).is_some()),
            ci: crate::records::environment::CiInfo::detect(|k| std::env::var(k).ok()),
            hostname: crate::records::environment::hostname(),
            ..EnvInfo::default()
        };
        let mut inspect = vec!["buildx", "inspect"];
        if let Some(b) = builder {
            inspect.push(b);
        }
        let (version, info, buildx, inspected) = tokio::join!(
            run_capture("docker", &["version", "--format", "{{json .}}"], docker_env),
            run_capture("docker", &["info", "--format", "{{json .}}"], docker_env),
            run_capture("docker", &["buildx", "version"], docker_env),
            run_capture("docker", &inspect, docker_env),
        );
        if let Some(out) = version {
            env.apply_docker_version(&out);
        }
        if let Some(out) = info {
            env.apply_docker_info(&out);
        }
        if let Some(out) = buildx {
            env.buildx_version = parse_buildx_version(&out);
        }
        if let Some(out) = inspected {
            env.apply_buildx_inspect(&out);
        }
        env.settle_buildkit_version();
        env.kernel = read_trimmed("/proc/sys/kernel/osrelease").or(env.kernel);
        if let Some(cpuinfo) = read_trimmed("/proc/cpuinfo") {
            env.cpu_model = parse_cpu_model(&cpuinfo).or(env.cpu_model);
        }
        env.cpu_cores = std::thread::available_parallelism()
            .ok()
            .map(|n| n.get() as u32)
            .or(env.cpu_cores);
        if let Some(meminfo) = read_trimmed("/proc/meminfo") {
            env.memory_bytes = parse_mem_total(&meminfo).or(env.memory_bytes);
        }
        env
    }

    /// Fills versions from `docker version --format '{{json .}}'`.
    pub fn apply_docker_version(&mut self, json: &str) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
            return;
        };
        self.docker_cli_version = str_at(&v, &["Client", "Version"]);
        self.engine_version = str_at(&v, &["Server", "Version"]);
        if let Some(components) = v.pointer("/Server/Components").and_then(|c| c.as_array()) {
            for c in components {
                let name = c.get("Name").and_then(|n| n.as_str()).unwrap_or("");
                let version = c
                    .get("Version")
                    .and_then(|n| n.as_str())
                    .map(str::to_string);
                match name {
                    "Engine" if self.engine_version.is_none() => self.engine_version = version,
                    "containerd" => self.containerd_version = version,
                    _ => {}
                }
            }
        }
    }

    /// Fills the image store, and fallbacks for kernel/CPU/memory, from
    /// `docker info --format '{{json .}}'`.
    pub fn apply_docker_info(&mut self, json: &str) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
            return;
        };
        let snapshotter = v
            .get("DriverStatus")
            .and_then(|d| d.as_array())
            .is_some_and(|rows| {
                rows.iter().any(|row| {
                    row.as_array().is_some_and(|kv| {
                        kv.iter().any(|s| {
                            s.as_str()
                                .is_some_and(|s| s.contains("io.containerd.snapshotter"))
                        })
                    })
                })
            });
        let driver = v.get("Driver").and_then(|d| d.as_str());
        self.image_store = if snapshotter {
            Some("containerd-snapshotter".to_string())
        } else {
            driver.map(|d| format!("graphdriver:{d}"))
        };
        self.kernel = self
            .kernel
            .take()
            .or_else(|| str_at(&v, &["KernelVersion"]));
        self.cpu_cores = self
            .cpu_cores
            .or_else(|| v.get("NCPU").and_then(|n| n.as_u64()).map(|n| n as u32));
        self.memory_bytes = self
            .memory_bytes
            .or_else(|| v.get("MemTotal").and_then(|n| n.as_u64()));
    }

    /// Fills driver and BuildKit version from `docker buildx inspect`.
    pub fn apply_buildx_inspect(&mut self, text: &str) {
        for line in text.lines() {
            let Some((k, val)) = line.split_once(':') else {
                continue;
            };
            let val = val.trim();
            if val.is_empty() {
                continue;
            }
            match k.trim() {
                "Driver" if self.driver.is_none() => self.driver = Some(val.to_string()),
                "BuildKit version" | "BuildKit" | "Buildkit" if self.buildkit_version.is_none() => {
                    self.buildkit_version = Some(val.to_string())
                }
                _ => {}
            }
        }
    }
}

/// What a BuildKit built without version stamps reports (Debian's dockerd
/// vendors BuildKit this way).
const UNSTAMPED_BUILDKIT: &str = "v0.0.0";

impl EnvInfo {
    /// A run given by flags only has no scenario file to hash: the resolved
    /// `scenario.toml` cachebench wrote to OUT (`written`) is what ran, and is hashed.
    pub fn hash_resolved_scenario(&mut self, written: &str) {
        if self.scenario_sha256.is_none() {
            self.scenario_sha256 = Some(sha256_hex(written.as_bytes()));
        }
    }

    /// The docker driver's BuildKit is the one built into dockerd; when it reports
    /// no real version (`v0.0.0+unknown`), the engine's version stands for it, with
    /// a note saying so. A real version is kept as it is.
    pub fn settle_buildkit_version(&mut self) {
        let unstamped = self
            .buildkit_version
            .as_deref()
            .is_some_and(|v| v.starts_with(UNSTAMPED_BUILDKIT));
        if !unstamped || self.driver.as_deref().is_some_and(|d| d != "docker") {
            return;
        }
        let reported = self.buildkit_version.take().unwrap_or_default();
        match &self.engine_version {
            Some(engine) => {
                self.buildkit_version = Some(format!("vendored in dockerd {engine}"));
                self.buildkit_version_note = Some(format!(
                    "the docker driver's BuildKit is the one built into dockerd {engine}, which \
                     reports {reported} (built without version stamps); the engine's version stands for it"
                ));
            }
            None => {
                self.buildkit_version_note = Some(format!(
                    "the docker driver's BuildKit reports {reported} (built without version stamps) \
                     and the engine's version could not be read"
                ));
            }
        }
    }
}

fn str_at(v: &serde_json::Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// `github.com/docker/buildx 0.12.1 30feaa1` → `0.12.1`; Debian's
/// `github.com/docker/buildx 0.13.1+ds1-3 …` → `0.13.1+ds1-3`.
pub fn parse_buildx_version(text: &str) -> Option<String> {
    let line = text.lines().next()?;
    let mut words = line.split_whitespace();
    let first = words.next()?;
    if first.contains("buildx") {
        words.next().map(str::to_string)
    } else {
        Some(first.to_string())
    }
}

/// First `model name` of /proc/cpuinfo.
pub fn parse_cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == "model name").then(|| v.trim().to_string())
    })
}

/// `MemTotal` of /proc/meminfo, in bytes.
pub fn parse_mem_total(meminfo: &str) -> Option<u64> {
    meminfo.lines().find_map(|l| {
        let rest = l.strip_prefix("MemTotal:")?;
        let kb: u64 = rest.split_whitespace().next()?.parse().ok()?;
        Some(kb * 1024)
    })
}

/// The CI provider's name from the presence of its marker variable.
pub fn ci_provider(is_set: impl Fn(&str) -> bool) -> Option<String> {
    if is_set("GITHUB_ACTIONS") {
        Some("github-actions".to_string())
    } else if is_set("CODEBUILD_BUILD_ID") {
        Some("codebuild".to_string())
    } else {
        None
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Runs a command (own process group, killed at [`DOCKER_LIMIT`]); its stdout
/// when it exits 0 in time.
async fn run_capture(
    program: &str,
    args: &[&str],
    extra_env: &[(String, String)],
) -> Option<String> {
    let spec = crate::infra::process::Spec::new(program)
        .args(args.iter().copied())
        .envs(extra_env);
    crate::infra::process::output::output(&spec, DOCKER_LIMIT)
        .await
        .ok()
}

/// Records in `env.json` whether builds had egress, for which subnet, and what
/// the probe found; the machine's apt mirror is named
/// [`crate::infra::egress_probe::APT_MIRROR`], not written out.
pub fn record_egress(
    env: &mut crate::records::environment::EnvInfo,
    engine: &crate::infra::engine::Engine,
    probe: &crate::infra::egress_probe::ProbeResult,
) {
    if let Some(o) = &engine.owned {
        let b = &o.bridge;
        env.egress = Some(b.egress.is_ok());
        env.egress_subnet = b.egress.is_ok().then(|| b.subnet.clone());
        env.egress_detail = match &b.egress {
            Ok(()) => b.iptables.clone(),
            Err(e) => Some(e.clone()),
        };
        env.egress_nameservers = Some(crate::infra::network::egress_env::container_nameservers());
    }
    // The machine's apt mirror is recorded by that name, not its URL.
    let mirror = crate::infra::network::apt::debian_mirror();
    let recorded = |t: &str| crate::infra::egress_probe::recorded(t, mirror.as_deref());
    env.egress_probe_url = probe.url.as_deref().map(recorded);
    env.egress_probe_ok = probe.ok;
    env.egress_probe_detail = Some(recorded(&probe.detail)).filter(|d| !d.is_empty());
}

#[cfg(test)]
mod tests;
