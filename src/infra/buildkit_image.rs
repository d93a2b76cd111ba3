//! Which BuildKit image docker-container builders run: `--buildkit-image auto`
//! (the default) resolved against the images on the engine the image comes from
//! (`moby/buildkit:buildx-stable-1` where present, else the highest
//! `cachebench/buildkit:*` that scripts/build-buildkit-image.sh built), the skip
//! reason when there is none, and the image's BuildKit version (its
//! `org.opencontainers.image.version` label).

use crate::infra::process::{self, Spec};
use std::time::Duration;

/// The default of `--buildkit-image`: resolve from what the engine has.
pub const AUTO: &str = crate::config::options::DEFAULT_BUILDKIT_IMAGE;
/// What `docker buildx create` pulls when no image is given.
pub const MOBY: &str = "moby/buildkit:buildx-stable-1";
/// The repository scripts/build-buildkit-image.sh tags.
pub const LOCAL_REPO: &str = "cachebench/buildkit";
/// How to get an image, for skip reasons and hints.
pub const HOW_TO_GET: &str =
    "build one with `bash scripts/build-buildkit-image.sh`, or give --buildkit-image IMAGE";

/// The resolved image and its BuildKit version (when its label says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub image: String,
    pub version: Option<String>,
}

/// Picks the image for `requested` among `present` (`REPOSITORY:TAG` of the images
/// on the engine). An explicit image is used as given when present; `auto` prefers
/// moby's image, then the highest `cachebench/buildkit` version tag. `Err` is the
/// reason docker-container cells are skipped.
pub fn pick(requested: &str, present: &[String]) -> Result<String, String> {
    let has = |name: &str| {
        let bare = name.strip_prefix("docker.io/").unwrap_or(name);
        present
            .iter()
            .any(|p| p == bare || p.strip_prefix("docker.io/") == Some(bare))
    };
    if requested != AUTO {
        return if has(requested) {
            Ok(requested.to_string())
        } else {
            Err(format!(
                "the BuildKit image {requested} that docker-container builders need is not on the \
                 host engine and cannot be pulled here; {HOW_TO_GET}"
            ))
        };
    }
    if has(MOBY) {
        return Ok(MOBY.to_string());
    }
    let prefix = format!("{LOCAL_REPO}:");
    present
        .iter()
        .filter_map(|p| {
            let tag = p.strip_prefix(&prefix)?;
            (tag != "<none>").then(|| (version_key(tag), p.clone()))
        })
        .max()
        .map(|(_, image)| image)
        .ok_or_else(|| {
            format!(
                "no BuildKit image for docker-container builders (--buildkit-image auto): neither \
                 {MOBY} nor a {LOCAL_REPO}:* image is on the host engine; {HOW_TO_GET}"
            )
        })
}

/// Orders tags by their numbers (`v0.13.2` < `v0.13.10`), then by the tag text.
fn version_key(tag: &str) -> (Vec<u64>, String) {
    let nums = tag
        .trim_start_matches('v')
        .split(|c: char| !c.is_ascii_digit())
        .take_while(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    (nums, tag.to_string())
}

/// `REPOSITORY:TAG` of every image on the engine that `env` points the docker CLI
/// at (empty when it does not answer).
pub async fn list(env: &[(String, String)]) -> Vec<String> {
    let spec = Spec::new("docker")
        .args(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"])
        .envs(env);
    process::output::output(&spec, Duration::from_secs(30))
        .await
        .map(|out| out.lines().map(|l| l.trim().to_string()).collect())
        .unwrap_or_default()
}

/// The image's `org.opencontainers.image.version` label, if it has one.
pub async fn version(image: &str, env: &[(String, String)]) -> Option<String> {
    let spec = Spec::new("docker")
        .args([
            "image",
            "inspect",
            "--format",
            "{{index .Config.Labels \"org.opencontainers.image.version\"}}",
            image,
        ])
        .envs(env);
    let out = process::output::output(&spec, Duration::from_secs(20))
        .await
        .ok()?;
    let v = out.trim();
    (!v.is_empty() && v != "<no value>").then(|| v.to_string())
}

/// Resolves `requested` against the engine at `env`, with the image's version.
pub async fn resolve(requested: &str, env: &[(String, String)]) -> Result<Resolved, String> {
    let image = pick(requested, &list(env).await)?;
    let version = version(&image, env).await;
    Ok(Resolved { image, version })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imgs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn auto_prefers_moby_then_the_highest_local_version() {
        let both = imgs(&[
            "cachebench/buildkit:v0.13.2",
            "moby/buildkit:buildx-stable-1",
        ]);
        assert_eq!(pick(AUTO, &both).unwrap(), MOBY);
        let local = imgs(&[
            "local/busybox:latest",
            "cachebench/buildkit:v0.9.10",
            "cachebench/buildkit:v0.13.2",
            "cachebench/buildkit:v0.13.10",
            "cachebench/buildkit:<none>",
        ]);
        assert_eq!(pick(AUTO, &local).unwrap(), "cachebench/buildkit:v0.13.10");
    }

    #[test]
    fn auto_without_an_image_says_how_to_get_one() {
        let e = pick(AUTO, &imgs(&["local/busybox:latest"])).unwrap_err();
        assert!(e.contains("bash scripts/build-buildkit-image.sh"), "{e}");
        assert!(e.contains("--buildkit-image"), "{e}");
    }

    #[test]
    fn an_explicit_image_is_used_as_given_or_skipped_with_its_name() {
        let present = imgs(&[
            "cachebench/buildkit:v0.13.2",
            "moby/buildkit:buildx-stable-1",
        ]);
        assert_eq!(
            pick("cachebench/buildkit:v0.13.2", &present).unwrap(),
            "cachebench/buildkit:v0.13.2"
        );
        assert_eq!(
            pick("docker.io/moby/buildkit:buildx-stable-1", &present).unwrap(),
            "docker.io/moby/buildkit:buildx-stable-1"
        );
        let e = pick("cachebench/does-not-exist:1", &present).unwrap_err();
        assert!(e.contains("cachebench/does-not-exist:1"), "{e}");
        assert!(e.contains("build-buildkit-image.sh"), "{e}");
    }
}
