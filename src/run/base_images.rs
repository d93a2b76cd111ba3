//! Base images served offline: images from the host engine (or the engine given
//! with `--docker-host`) pushed into cachebench's registry under their docker.io
//! mirror paths, and the BuildKit image docker-container builders run, resolved and
//! seeded the same way. Every copy runs in its own process group, with a deadline,
//! and stops on a signal.

use crate::infra::engine::Engine;
use crate::infra::process;
use crate::infra::registry::Registry;
use std::time::Duration;
use tokio::sync::watch;

/// Normalises an image name to its path on a docker.io mirror: `busybox` →
/// `library/busybox:latest`, `local/busybox:1` → `local/busybox:1`.
pub fn mirror_path(image: &str) -> Option<String> {
    let image = image.strip_prefix("docker.io/").unwrap_or(image);
    let first = image.split('/').next().unwrap_or("");
    if image.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost") {
        return None; // another registry: a docker.io mirror does not serve it
    }
    let with_ns = if image.contains('/') {
        image.to_string()
    } else {
        format!("library/{image}")
    };
    let last = with_ns.rsplit('/').next().unwrap_or("");
    Some(if last.contains(':') || last.contains('@') {
        with_ns
    } else {
        format!("{with_ns}:latest")
    })
}

/// Copies `image` from the host engine (the user's DOCKER_HOST or default) into
/// cachebench's engine and pushes it to cachebench's registry under its docker.io
/// mirror path, so `FROM image` resolves offline. Touches nothing on the host
/// engine: it is only read (`docker save`).
pub(crate) async fn seed(
    engine: &Engine,
    reg: &Registry,
    image: &str,
    cancel: &mut watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let path = mirror_path(image).ok_or_else(|| {
        anyhow::anyhow!("{image} is not a docker.io image; a docker.io mirror cannot serve it")
    })?;
    let save = process::Spec::new("docker").args(["save", image]);
    let load = process::Spec::new("docker")
        .args(["load", "-q"])
        .envs(&engine.docker_env());
    let (save_done, load_out) =
        match crate::infra::process::pipeline::run(&save, &load, SEED_LIMIT, cancel).await? {
            crate::infra::process::pipeline::PipeEnd::Done { first, second } => (first, second),
            crate::infra::process::pipeline::PipeEnd::Interrupted => {
                return Err(anyhow::Error::new(process::output::Interrupted)
                    .context(format!("seeding {image} was interrupted")))
            }
            crate::infra::process::pipeline::PipeEnd::TimedOut => anyhow::bail!(
                "`docker save {image} | docker load` did not finish within {}s",
                SEED_LIMIT.as_secs()
            ),
        };
    if !save_done.status.success() {
        anyhow::bail!(
            "`docker save {image}` on the host engine failed (is {image} there?){}",
            process::frame(&process::last_lines(
                &String::from_utf8_lossy(&save_done.stderr),
                20
            ))
        );
    }
    if !load_out.status.success() {
        anyhow::bail!(
            "`docker load` into cachebench's engine failed{}",
            process::frame(&process::last_lines(
                &String::from_utf8_lossy(&load_out.stderr),
                20
            ))
        );
    }
    push_to_mirror(engine, reg, image, &path, Some(cancel)).await
}

/// How long `docker save | docker load` of one seed image may take.
const SEED_LIMIT: Duration = Duration::from_secs(900);

/// Pushes `image` from `engine` to cachebench's registry under its docker.io mirror
/// `path` through a tag cachebench makes and removes (the image itself is kept).
async fn push_to_mirror(
    engine: &Engine,
    reg: &Registry,
    image: &str,
    path: &str,
    cancel: Option<&mut watch::Receiver<bool>>,
) -> anyhow::Result<()> {
    let dest = format!("{}/{path}", reg.host);
    engine
        .docker(&["tag", image, &dest], Duration::from_secs(60))
        .await?;
    let push = ["push", "-q", dest.as_str()];
    let limit = Duration::from_secs(600);
    let pushed = match cancel {
        Some(c) => {
            let spec = process::Spec::new("docker")
                .args(push)
                .envs(&engine.docker_env());
            process::output::output_or_cancel(&spec, limit, c).await
        }
        None => engine.docker(&push, limit).await,
    };
    let removed = engine
        .docker(&["image", "rm", &dest], Duration::from_secs(60))
        .await;
    pushed?;
    removed?;
    Ok(())
}

/// On an engine cachebench does not own, docker-container builders pull base images
/// through cachebench's registry (their docker.io mirror): serve the seed images
/// there from that engine. A seed image the engine lacks is left to the builder's
/// own fallback to docker.io, with a warning.
pub(crate) async fn seed_from_external(engine: &Engine, reg: &Registry, images: &[String]) {
    for image in images {
        let Some(path) = mirror_path(image) else {
            continue;
        };
        let r = match engine
            .docker(
                &["image", "inspect", "--format", "{{.Id}}", image],
                Duration::from_secs(20),
            )
            .await
        {
            Ok(_) => push_to_mirror(engine, reg, image, &path, None).await,
            Err(_) => Err(anyhow::anyhow!(
                "it is not on the engine at {}",
                engine.host
            )),
        };
        if let Err(e) = r {
            eprintln!(
                "cachebench: warning: base image {image} is not served to docker-container builders \
                 from cachebench's registry ({e:#}); they pull it from docker.io"
            );
        }
    }
}

/// The BuildKit image docker-container builders run, resolved from `requested`
/// (`auto` or a name) against the host engine (for cachebench's own engine, which
/// then pulls it through its registry as a fresh runner pulls it from Docker Hub) or
/// the engine given with --docker-host; `Err` is why those cells are skipped.
pub(crate) async fn buildkit_image(
    engine: &Engine,
    reg: Option<&Registry>,
    requested: &str,
    cancel: &mut watch::Receiver<bool>,
) -> std::result::Result<crate::infra::buildkit_image::Resolved, String> {
    let source_env = if engine.is_owned() {
        Vec::new() // the host engine: the user's DOCKER_HOST or the default
    } else {
        engine.docker_env()
    };
    let r = crate::infra::buildkit_image::resolve(requested, &source_env).await?;
    if let (true, Some(reg)) = (engine.is_owned(), reg) {
        seed(engine, reg, &r.image, cancel)
            .await
            .map_err(|e| format!("failed to seed the BuildKit image {}: {e:#}", r.image))?;
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_paths() {
        assert_eq!(
            mirror_path("busybox").as_deref(),
            Some("library/busybox:latest")
        );
        assert_eq!(
            mirror_path("local/busybox:latest").as_deref(),
            Some("local/busybox:latest")
        );
        assert_eq!(
            mirror_path("docker.io/moby/buildkit:buildx-stable-1").as_deref(),
            Some("moby/buildkit:buildx-stable-1")
        );
        assert_eq!(mirror_path("ghcr.io/a/b:1"), None);
        assert_eq!(mirror_path("localhost:5000/a"), None);
    }
}
