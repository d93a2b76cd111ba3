//! docker-container builders that cachebench creates and removes: their create
//! command (timed as the `builder_create` phase), and the buildkitd.toml that points
//! them at cachebench's loopback registry over plain HTTP.
//!
//! Builders live under cachebench's own BUILDX_CONFIG and are created without
//! `--use`, so the user's current builder is never changed.

use crate::infra::process::{LineSink, Stream};
use crate::phases::bootstrap::BootstrapParser;
use crate::plan::strategy::{DockerCommand, OutputFormat, Role};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

/// `docker buildx create --bootstrap`'s output goes to the bootstrap parser as it
/// arrives (it splits the `builder_create` phase into pull and boot).
impl LineSink for BootstrapParser {
    fn line(&mut self, _stream: Stream, line: &str, _at: DateTime<Utc>) {
        self.feed(line);
    }
}

/// The buildkitd.toml for loopback registries at `http_hosts` (HOST:PORT) that
/// speak plain HTTP, with `mirror` (cachebench's own registry, which serves the
/// seeded base images and the BuildKit image) as the docker.io mirror.
pub fn buildkitd_toml(http_hosts: &[&str], mirror: Option<&str>) -> String {
    let mut s = String::from("# written by cachebench\n");
    if let Some(m) = mirror {
        s.push_str(&format!(
            "[registry.\"docker.io\"]\n  mirrors = [\"{m}\"]\n\n"
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    for h in http_hosts.iter().copied().chain(mirror) {
        if !seen.contains(&h) {
            seen.push(h);
            s.push_str(&format!(
                "[registry.\"{h}\"]\n  http = true\n  insecure = true\n\n"
            ));
        }
    }
    s
}

/// Writes the buildkitd.toml into `dir` and returns its path.
pub fn write_config(
    dir: &Path,
    http_hosts: &[&str],
    mirror: Option<&str>,
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let p = dir.join("buildkitd.toml");
    std::fs::write(&p, buildkitd_toml(http_hosts, mirror))?;
    Ok(p)
}

/// `docker buildx create --driver docker-container … --bootstrap` (no `--use`).
pub fn create_command(name: &str, image: &str, config: &Path) -> DockerCommand {
    DockerCommand {
        role: Role::BuilderCreate,
        format: OutputFormat::Plain,
        env: vec![],
        args: vec![
            "buildx".into(),
            "create".into(),
            "--name".into(),
            name.into(),
            "--driver".into(),
            "docker-container".into(),
            "--driver-opt".into(),
            "network=host".into(),
            "--driver-opt".into(),
            format!("image={image}"),
            "--config".into(),
            config.display().to_string(),
            "--bootstrap".into(),
        ],
    }
}

/// `docker buildx rm NAME`.
pub fn remove_args(name: &str) -> Vec<String> {
    vec!["buildx".into(), "rm".into(), "--force".into(), name.into()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_marks_the_registry_http_and_mirrors_docker_io() {
        let t = buildkitd_toml(&["127.0.0.1:5000"], Some("127.0.0.1:5000"));
        assert!(t.contains("[registry.\"docker.io\"]\n  mirrors = [\"127.0.0.1:5000\"]"));
        assert!(t.contains("[registry.\"127.0.0.1:5000\"]\n  http = true"));
        let parsed: toml::Value = toml::from_str(&t).unwrap();
        assert!(parsed.get("registry").is_some());
        // A separate benchmark registry and the mirror are both plain HTTP.
        let t = buildkitd_toml(&["127.0.0.1:6000"], Some("127.0.0.1:5000"));
        let parsed: toml::Value = toml::from_str(&t).unwrap();
        let reg = parsed.get("registry").unwrap();
        assert_eq!(reg["127.0.0.1:6000"]["http"].as_bool(), Some(true));
        assert_eq!(reg["127.0.0.1:5000"]["http"].as_bool(), Some(true));
        assert_eq!(
            reg["docker.io"]["mirrors"][0].as_str(),
            Some("127.0.0.1:5000")
        );
        assert!(!buildkitd_toml(&[], None).contains("[registry"));
    }

    #[test]
    fn create_never_uses_use() {
        let c = create_command("cb", "moby/buildkit:buildx-stable-1", Path::new("/x.toml"));
        assert!(!c.args.iter().any(|a| a == "--use"));
        assert_eq!(c.role, Role::BuilderCreate);
        assert!(c.args.contains(&"network=host".to_string()));
    }
}
