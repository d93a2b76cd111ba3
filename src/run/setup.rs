//! Setup and teardown of what a matrix runs on: the registry (cachebench's own, or
//! the one given), the engine (cachebench's own dockerd, or `--docker-host`), base
//! images seeded offline ([`crate::run::base_images`]), the egress probe and the BuildKit
//! image; then the [`Session`] over them. Teardown stops only what cachebench
//! started and removes only the tags and images this run made. The work folder
//! (and a local-cache folder elsewhere) is 0700 ([`private`]); who may connect to
//! cachebench's registry is [`crate::infra::registry::guard`].

use crate::config::matrix::BuilderKind;
use crate::config::options::Options;
use crate::error::{Error, Result};
use crate::infra::engine::Engine;
use crate::infra::process;
use crate::infra::registry::Registry;
use crate::plan::cells::Facts;
use crate::run::base_images::{buildkit_image, seed, seed_from_external};
use crate::run::progress::spinner;
use crate::run::results_folder::workload_id;
use crate::run::runner::Session;
use std::path::Path;
use std::time::Duration;
use tokio::sync::watch;

/// Everything set up for a matrix, torn down by [`Setup::teardown`].
pub struct Setup {
    pub session: Session,
    pub work: tempfile::TempDir,
    pub facts: Facts,
    /// The BuildKit image docker-container builders run (resolved from
    /// `--buildkit-image`), when the plan has such builders and one was found.
    pub buildkit: Option<crate::infra::buildkit_image::Resolved>,
    /// The local-cache folder root, when `CACHEBENCH_CACHE_DIR` puts it elsewhere.
    pub cache_dir: Option<tempfile::TempDir>,
    /// The egress probe run before the matrix.
    pub probe: crate::infra::egress_probe::ProbeResult,
    /// The lock on `work` that tells `cachebench clean` this run is alive.
    _claim: crate::infra::leftovers::Claim,
}

/// The mode of cachebench's folders (the work folder, a local-cache folder
/// elsewhere): 0700, only their owner may enter them. OUT is the user's and keeps
/// the user's umask.
pub fn private() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o700)
}

/// Environment variable naming the folder local-cache exports go to (default: the
/// temporary work folder, under `$TMPDIR`).
pub const CACHE_DIR_ENV: &str = "CACHEBENCH_CACHE_DIR";

/// Starts (or connects to) the registry and engine and seeds base images.
pub async fn setup(
    opts: &Options,
    cells_need_prune: bool,
    out: &Path,
    cancel: watch::Receiver<bool>,
) -> Result<Setup> {
    if opts.docker_host.is_some() && cells_need_prune && !opts.allow_prune {
        return Err(Error::usage(format!(
            "the plan has cold or warm-remote cells, which empty the build cache of the engine at {}; \
             cachebench refuses to do that to an engine it does not own: add --allow-prune to allow it \
             (only images cachebench tagged are removed), or run only warm-local cells (--state warm-local), \
             or drop --docker-host to use cachebench's own engine",
            opts.docker_host.as_deref().unwrap_or_default()
        )));
    }
    if crate::util::which("docker").is_none() {
        return Err(Error::missing(
            "docker CLI not found on PATH; run scripts/setup.sh (apt-get install docker-cli)",
        ));
    }
    if opts.docker_host.is_none() {
        Engine::can_own()?;
    }
    // Only its owner may read it: the copy of the project, the engine's data-root
    // and the registry's blobs are in it.
    let work = tempfile::Builder::new()
        .prefix("cachebench-")
        .permissions(private())
        .tempdir()
        .map_err(|e| {
            Error::Internal(anyhow::anyhow!("failed to create a temporary folder: {e}"))
        })?;
    process::groups::register_dir(work.path());
    let run_id = format!(
        "{}{:04x}",
        chrono::Utc::now().format("%Y%m%d%H%M%S"),
        std::process::id() & 0xffff
    );

    let mut started = Started::default();
    match start_parts(opts, &work, cancel.clone(), &mut started).await {
        Ok(parts) => {
            let (engine, own_registry) = started.take();
            finish_setup(out, cancel, work, run_id, engine, own_registry, parts)
        }
        Err(e) => {
            // Stopped here, awaited: a second Ctrl-C meanwhile still exits at once.
            started.stop().await;
            Err(e)
        }
    }
}

/// What setup started so far, stopped (awaited) when a later step fails or the run
/// is interrupted during setup.
#[derive(Default)]
struct Started {
    registry: Option<Registry>,
    engine: Option<Engine>,
}

impl Started {
    fn take(&mut self) -> (Engine, Option<Registry>) {
        (
            self.engine.take().expect("engine set by start_parts"),
            self.registry.take(),
        )
    }

    async fn stop(&mut self) {
        if let Some(mut e) = self.engine.take() {
            e.shutdown().await;
        }
        if let Some(mut r) = self.registry.take() {
            r.stop().await;
        }
    }
}

/// What setup found besides the engine and registry.
struct Parts {
    facts: Facts,
    probe: crate::infra::egress_probe::ProbeResult,
    opts: Options,
    buildkit: Option<crate::infra::buildkit_image::Resolved>,
    mirror_host: Option<String>,
    /// The lock on the work folder that tells `cachebench clean` this run is alive.
    claim: crate::infra::leftovers::Claim,
}

/// The error of a setup a signal interrupted (the caller exits 128 + signal).
fn interrupted_setup() -> Error {
    Error::Internal(anyhow::anyhow!("interrupted during setup; nothing ran"))
}

/// Starts the registry and engine into `started`, seeds base images, probes
/// egress and resolves the BuildKit image; stops at the first step after a signal.
async fn start_parts(
    opts: &Options,
    work: &tempfile::TempDir,
    mut cancel: watch::Receiver<bool>,
    started: &mut Started,
) -> Result<Parts> {
    let interrupted = |c: &watch::Receiver<bool>| *c.borrow();
    let claim = crate::infra::leftovers::Claim::take(work.path()).map_err(Error::Internal)?;
    // Registry: our own whenever we need a mirror (own engine) or no --registry.
    if opts.registry.is_none() || opts.docker_host.is_none() {
        let sp = spinner("starting cachebench's registry");
        let reg = Registry::start_owned(&work.path().join("registry"))
            .await
            .map_err(|e| Error::missing(format!("failed to start the registry: {e:#}")))?;
        sp.done(&format!("registry up on {}", reg.host));
        started.registry = Some(reg);
    }
    let mirror_host = started.registry.as_ref().map(|r| r.host.clone());
    if let Some(o) = started.registry.as_ref().and_then(|r| r.owned.as_ref()) {
        crate::infra::leftovers::note_pid("registry", o.process.pid());
    }
    if interrupted(&cancel) {
        return Err(interrupted_setup());
    }

    let engine = match &opts.docker_host {
        Some(h) => Engine::external(h, opts.allow_prune, work.path())?,
        None => {
            let mut insecure: Vec<String> = mirror_host.iter().cloned().collect();
            if let Some(r) = &opts.registry {
                let ext = Registry::external(r);
                if ext.is_loopback() {
                    insecure.push(ext.host);
                }
            }
            // The first store of the plan; `run_matrix` switches to the next.
            let store = opts
                .image_stores
                .first()
                .copied()
                .unwrap_or(crate::config::matrix::ImageStore::Containerd);
            let sp = spinner("starting cachebench's engine (its bridge, containerd, dockerd)");
            let e = Engine::start_owned(
                &work.path().join("engine"),
                mirror_host.clone(),
                insecure,
                store,
            )
            .await
            .map_err(|e| Error::Missing(format!("{e:#}")))?;
            let bridge = e
                .owned
                .as_ref()
                .map(|o| o.bridge.name.clone())
                .unwrap_or_default();
            sp.done(&format!(
                "engine up: containerd and dockerd ({store} image store) on bridge {bridge}"
            ));
            e
        }
    };
    let engine = &*started.engine.insert(engine);
    if interrupted(&cancel) {
        return Err(interrupted_setup());
    }
    if !engine.healthy().await {
        return Err(Error::missing(format!(
            "the engine at {} does not answer; start it (scripts/setup.sh starts one) or fix --docker-host",
            engine.host
        )));
    }

    let mut facts = Facts::from_env();
    if !engine.is_owned() {
        // Used as it is: cells asking for the other store are planned skipped.
        let info = engine
            .docker(&["info", "--format", "{{json .}}"], Duration::from_secs(30))
            .await
            .unwrap_or_default();
        facts.external_store =
            crate::plan::image_store::parse_docker_info(&info).map(|s| (engine.host.clone(), s));
    }
    // Seed base images (and the BuildKit image) into our registry from the host engine.
    let own_registry = started.registry.as_ref();
    if engine.is_owned() {
        let reg = own_registry.expect("own registry with own engine");
        let n = opts.seed_images.len();
        for (i, img) in opts.seed_images.iter().enumerate() {
            let of = format!("{}/{n}", i + 1);
            let sp = spinner(&format!(
                "seeding base image {img} ({of}): docker save | docker load, push to cachebench's registry"
            ));
            seed(engine, reg, img, &mut cancel).await.map_err(|e| {
                if e.is::<process::output::Interrupted>() || interrupted(&cancel) {
                    return interrupted_setup();
                }
                Error::missing(format!(
                    "failed to seed base image {img} into cachebench's registry: {e:#}\nhint: scripts/setup.sh \
                     imports local/busybox:latest into the host engine; give --seed-image NAME for your own base images"
                ))
            })?;
            sp.done(&format!("seeded base image {img} ({of})"));
        }
    }
    if interrupted(&cancel) {
        return Err(interrupted_setup());
    }
    let sp = spinner("egress probe: can builds on the engine download?");
    let probe =
        crate::infra::egress_probe::run(engine, opts.egress_probe.as_deref(), &opts.seed_images)
            .await;
    drop(sp);
    eprintln!(
        "{}",
        crate::infra::egress_probe::say(&probe, opts.egress_probe.as_deref(), &engine.host)
    );
    let mut opts = opts.clone();
    let mut buildkit = None;
    if opts.builders.contains(&BuilderKind::DockerContainer) {
        if let (false, Some(reg)) = (engine.is_owned(), own_registry) {
            seed_from_external(engine, reg, &opts.seed_images).await;
        }
        let sp = spinner("resolving the BuildKit image of docker-container builders");
        match buildkit_image(engine, own_registry, &opts.buildkit_image, &mut cancel).await {
            Ok(r) => {
                sp.done(&format!(
                    "BuildKit image {} for docker-container builders",
                    r.image
                ));
                opts.buildkit_image = r.image.clone();
                buildkit = Some(r);
            }
            Err(why) => facts.container_builder_unavailable = Some(why),
        }
    }
    if interrupted(&cancel) {
        return Err(interrupted_setup());
    }
    Ok(Parts {
        facts,
        probe,
        opts,
        buildkit,
        mirror_host,
        claim,
    })
}

/// The rest of setup (nothing left to start): the session over `engine` and the
/// registry. Errors here drop what was started (a blocking best-effort stop).
fn finish_setup(
    out: &Path,
    cancel: watch::Receiver<bool>,
    work: tempfile::TempDir,
    run_id: String,
    engine: Engine,
    own_registry: Option<Registry>,
    parts: Parts,
) -> Result<Setup> {
    let Parts {
        facts,
        probe,
        opts,
        buildkit,
        mirror_host,
        claim,
    } = parts;
    let (registry, mirror) = match &opts.registry {
        Some(r) => (Registry::external(r), own_registry),
        None => (own_registry.expect("started above"), None),
    };
    let cache_dir = match std::env::var_os(CACHE_DIR_ENV) {
        Some(d) if !d.is_empty() => Some(
            tempfile::Builder::new()
                .prefix("cachebench-cache-")
                .permissions(private())
                .tempdir_in(&d)
                .map_err(|e| {
                    Error::usage(format!(
                        "{CACHE_DIR_ENV}: cannot create a folder in {}: {e}; give an existing, writable folder",
                        std::path::Path::new(&d).display()
                    ))
                })?,
        ),
        _ => None,
    };
    let mut session = Session::new(
        opts.clone(),
        engine,
        registry,
        out.to_path_buf(),
        work.path().to_path_buf(),
        run_id,
        workload_id(&opts),
        cancel,
        mirror_host.as_deref(),
    )?;
    if let Some(d) = &cache_dir {
        crate::infra::leftovers::note_cache_dir(d.path());
        session.cache_root = d.path().to_path_buf();
    }
    // The registry that serves base images beside one given with --registry.
    session.mirror = mirror;
    session.container_buildkit_version = buildkit.as_ref().and_then(|b| b.version.clone());
    Ok(Setup {
        session,
        work,
        facts,
        buildkit,
        cache_dir,
        probe,
        _claim: claim,
    })
}

mod teardown;
