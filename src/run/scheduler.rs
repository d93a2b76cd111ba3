//! The scheduler: sets up the engine and registry a matrix runs on, walks the plan
//! cell by cell (warm-up runs, then measured runs), writes every record as soon as
//! its run ends, shows progress, and tears down only what it started.

use crate::console;
use crate::engine::Engine;
use crate::error::{exit, Error, Result};
use crate::executor::{CellExecutor, EngineWatch};
use crate::matrix::BuilderKind;
use crate::options::Options;
use crate::plan::{Cell, Facts};
use crate::process;
use crate::record::{RunKind, RunRecord, RunStatus};
use crate::registry::Registry;
use crate::results::RecordWriter;
use crate::runner::Session;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::watch;

/// How a matrix ended.
#[derive(Debug)]
pub struct MatrixOutcome {
    pub records: Vec<RunRecord>,
    /// The signal that interrupted it, if one did.
    pub interrupted_by: Option<i32>,
    /// Set when the engine died again after one restart (or could not be
    /// restarted): the runs after that failed fast with this cause.
    pub engine_dead: Option<String>,
}

impl MatrixOutcome {
    pub fn exit_code(&self) -> i32 {
        if let Some(sig) = self.interrupted_by {
            return 128 + sig;
        }
        if self.engine_dead.is_some() {
            return exit::INTERNAL;
        }
        if self
            .records
            .iter()
            .any(|r| matches!(r.status, RunStatus::Failed | RunStatus::Timeout) || r.state_failed())
        {
            exit::RUNS_FAILED
        } else {
            exit::OK
        }
    }
}

/// The default results folder: `results/<UTC timestamp>-<host>`.
pub fn default_out() -> PathBuf {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    let host: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    PathBuf::from("results").join(format!(
        "{}-{host}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
    ))
}

/// Checks OUT before anything runs: creatable, writable, and not already holding
/// records (unless resuming).
pub fn check_out(out: &Path, resuming: bool) -> Result<()> {
    if out.join(crate::results::RUNS_JSONL).exists() && !resuming {
        return Err(Error::usage(format!(
            "--out: {} already holds runs; give a new folder, or --resume {} to continue it",
            out.display(),
            out.display()
        )));
    }
    std::fs::create_dir_all(out).map_err(|e| {
        Error::usage(format!(
            "--out: cannot create results folder {}: {e}; give a writable folder",
            out.display()
        ))
    })?;
    let probe = out.join(".cachebench-write-test");
    std::fs::write(&probe, b"").map_err(|e| {
        Error::usage(format!(
            "--out: cannot write in results folder {}: {e}; give a writable folder",
            out.display()
        ))
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// A stable identity of the workload: Dockerfile path, a hash of the context's
/// files and of the build args.
pub fn workload_id(o: &Options) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let mut files = Vec::new();
    collect_files(&o.context, &o.context, &mut files);
    files.sort();
    for rel in &files {
        h.update(rel.as_bytes());
        h.update([0]);
        if let Ok(b) = std::fs::read(o.context.join(rel)) {
            h.update(&b);
        }
        h.update([0]);
    }
    if o.dockerfile.is_absolute() {
        if let Ok(b) = std::fs::read(&o.dockerfile) {
            h.update(&b);
        }
    }
    for (k, v) in &o.build_args {
        h.update(format!("{k}={v}\n").as_bytes());
    }
    let name = o
        .context
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "context".into());
    format!(
        "{name}/{}@{}",
        o.dockerfile.display(),
        &crate::util::hex(&h.finalize())[..12]
    )
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => collect_files(root, &p, out),
            Ok(t) if t.is_file() => {
                if let Ok(rel) = p.strip_prefix(root) {
                    out.push(rel.to_string_lossy().into_owned());
                }
            }
            _ => {}
        }
    }
}

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

/// Everything set up for a matrix, torn down by [`Setup::teardown`].
pub struct Setup {
    pub session: Session,
    /// The registry that serves base images to cachebench's engine (its own).
    pub mirror: Option<Registry>,
    pub work: tempfile::TempDir,
    pub facts: Facts,
    /// The BuildKit image docker-container builders run (resolved from
    /// `--buildkit-image`), when the plan has such builders and one was found.
    pub buildkit: Option<crate::buildkit_image::Resolved>,
    /// The local-cache folder root, when `CACHEBENCH_CACHE_DIR` puts it elsewhere.
    pub cache_dir: Option<tempfile::TempDir>,
    /// The egress probe run before the matrix.
    pub probe: crate::network::probe::ProbeResult,
    /// The lock on `work` that tells `cachebench clean` this run is alive.
    _claim: crate::leftovers::Claim,
}

/// Environment variable naming the folder local-cache exports go to (default: the
/// temporary work folder, under `$TMPDIR`).
pub const CACHE_DIR_ENV: &str = "CACHEBENCH_CACHE_DIR";

/// Reason prefix of runs not run because the engine is gone.
pub const ENGINE_GONE: &str = "not run: ";

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
    let work = tempfile::Builder::new()
        .prefix("cachebench-")
        .tempdir()
        .map_err(|e| {
            Error::Internal(anyhow::anyhow!("failed to create a temporary folder: {e}"))
        })?;
    process::register_dir(work.path());
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
    probe: crate::network::probe::ProbeResult,
    opts: Options,
    buildkit: Option<crate::buildkit_image::Resolved>,
    mirror_host: Option<String>,
    /// The lock on the work folder that tells `cachebench clean` this run is alive.
    claim: crate::leftovers::Claim,
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
    let claim = crate::leftovers::Claim::take(work.path()).map_err(Error::Internal)?;
    // Registry: our own whenever we need a mirror (own engine) or no --registry.
    if opts.registry.is_none() || opts.docker_host.is_none() {
        started.registry = Some(
            Registry::start_owned(&work.path().join("registry"))
                .await
                .map_err(|e| Error::missing(format!("failed to start the registry: {e:#}")))?,
        );
    }
    let mirror_host = started.registry.as_ref().map(|r| r.host.clone());
    if let Some(o) = started.registry.as_ref().and_then(|r| r.owned.as_ref()) {
        crate::leftovers::note_pid("registry", o.process.pid());
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
                .unwrap_or(crate::matrix::ImageStore::Containerd);
            Engine::start_owned(
                &work.path().join("engine"),
                mirror_host.clone(),
                insecure,
                store,
            )
            .await
            .map_err(|e| Error::Missing(format!("{e:#}")))?
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
            crate::store::parse_docker_info(&info).map(|s| (engine.host.clone(), s));
    }
    // Seed base images (and the BuildKit image) into our registry from the host engine.
    let own_registry = started.registry.as_ref();
    if engine.is_owned() {
        let reg = own_registry.expect("own registry with own engine");
        for img in &opts.seed_images {
            seed(engine, reg, img, &mut cancel).await.map_err(|e| {
                if e.is::<process::Interrupted>() || interrupted(&cancel) {
                    return interrupted_setup();
                }
                Error::missing(format!(
                    "failed to seed base image {img} into cachebench's registry: {e:#}\nhint: scripts/setup.sh \
                     imports local/busybox:latest into the host engine; give --seed-image NAME for your own base images"
                ))
            })?;
        }
    }
    if interrupted(&cancel) {
        return Err(interrupted_setup());
    }
    let probe = crate::network::probe::run(engine, opts.egress_probe.as_deref()).await;
    let mut opts = opts.clone();
    let mut buildkit = None;
    if opts.builders.contains(&BuilderKind::DockerContainer) {
        if let (false, Some(reg)) = (engine.is_owned(), own_registry) {
            seed_from_external(engine, reg, &opts.seed_images).await;
        }
        match buildkit_image(engine, own_registry, &opts.buildkit_image, &mut cancel).await {
            Ok(r) => {
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
        crate::leftovers::note_cache_dir(d.path());
        session.cache_root = d.path().to_path_buf();
    }
    Ok(Setup {
        session,
        mirror,
        work,
        facts,
        buildkit,
        cache_dir,
        probe,
        _claim: claim,
    })
}

/// Copies `image` from the host engine (the user's DOCKER_HOST or default) into
/// cachebench's engine and pushes it to cachebench's registry under its docker.io
/// mirror path, so `FROM image` resolves offline. Touches nothing on the host
/// engine: it is only read (`docker save`).
async fn seed(
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
    let (save_done, load_out) = match crate::pipe::run(&save, &load, SEED_LIMIT, cancel).await? {
        crate::pipe::PipeEnd::Done { first, second } => (first, second),
        crate::pipe::PipeEnd::Interrupted => {
            return Err(anyhow::Error::new(process::Interrupted)
                .context(format!("seeding {image} was interrupted")))
        }
        crate::pipe::PipeEnd::TimedOut => anyhow::bail!(
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
            process::output_or_cancel(&spec, limit, c).await
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
async fn seed_from_external(engine: &Engine, reg: &Registry, images: &[String]) {
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
async fn buildkit_image(
    engine: &Engine,
    reg: Option<&Registry>,
    requested: &str,
    cancel: &mut watch::Receiver<bool>,
) -> std::result::Result<crate::buildkit_image::Resolved, String> {
    let source_env = if engine.is_owned() {
        Vec::new() // the host engine: the user's DOCKER_HOST or the default
    } else {
        engine.docker_env()
    };
    let r = crate::buildkit_image::resolve(requested, &source_env).await?;
    if let (true, Some(reg)) = (engine.is_owned(), reg) {
        seed(engine, reg, &r.image, cancel)
            .await
            .map_err(|e| format!("failed to seed the BuildKit image {}: {e:#}", r.image))?;
    }
    Ok(r)
}

impl Setup {
    /// Stops what cachebench started and removes its temporary folders.
    pub async fn teardown(mut self) {
        self.remove_run_artefacts().await;
        self.session.engine.shutdown().await;
        self.session.registry.stop().await;
        if let Some(m) = self.mirror.as_mut() {
            m.stop().await;
        }
        if let Some(d) = self.cache_dir.take() {
            let _ = d.close();
        }
        // Mounts left by a killed engine are detached first.
        process::remove_tree(self.work.path());
    }
}

impl Setup {
    /// On an engine or registry cachebench does not own: finds the images this run
    /// tagged (`REPOSITORY:RUNID-…`, failed runs included) so the engine's shutdown
    /// removes them, and deletes this run's tags from the registry.
    async fn remove_run_artefacts(&mut self) {
        let prefix = format!("{}-", self.session.run_id);
        if !self.session.engine.is_owned() {
            let mine = format!("{}:{prefix}", self.session.registry.repository);
            if let Ok(list) = self
                .session
                .engine
                .docker(
                    &["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"],
                    Duration::from_secs(60),
                )
                .await
            {
                for image in list.lines().map(str::trim).filter(|l| l.starts_with(&mine)) {
                    self.session.engine.note_tag(image);
                }
            }
        }
        if self.session.registry.owned.is_none() {
            match self.session.registry.delete_run_tags(&prefix).await {
                Ok(c) => {
                    if !c.deleted.is_empty() {
                        eprintln!(
                            "cachebench: deleted this run's {} tag(s) from {}",
                            c.deleted.len(),
                            self.session.registry.repository
                        );
                    }
                    for k in c.kept.iter().chain(&c.failed) {
                        eprintln!("cachebench: warning: registry tag left: {k}");
                    }
                }
                Err(e) => eprintln!(
                    "cachebench: warning: {}",
                    crate::redact::text(&format!("{e:#}"))
                ),
            }
        }
    }
}

/// Runs every cell of the plan through `exec`, appending each record to OUT as
/// soon as it ends; returns this pass's records (runs in `done` are not run again).
pub async fn run_matrix<E: CellExecutor>(
    exec: &mut E,
    cells: &[Cell],
    writer: &mut RecordWriter,
    done: &std::collections::HashSet<(String, u32, RunKind)>,
    signal: &watch::Receiver<Option<i32>>,
) -> Result<MatrixOutcome> {
    let (warmup, reps) = exec.runs_per_cell();
    let per_cell = u64::from(warmup + reps);
    let total: u64 = cells
        .iter()
        .map(|c| if c.skip.is_some() { 1 } else { per_cell })
        .sum();
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} runs, ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut records = Vec::new();
    let mut policy = crate::policy::FailurePolicy::new();
    let mut engine = EngineWatch::default();
    'cells: for cell in cells {
        let key = cell.key().to_string();
        if let Some(reason) = &cell.skip {
            if !done.contains(&(key.clone(), 1, RunKind::Measured)) {
                let r = exec.skipped(cell, reason);
                writer.append(&r)?;
                records.push(r);
            }
            bar.inc(1);
            continue;
        }
        // All cells of one store are planned together: the engine switches once.
        let store_failed = match exec.switch_store(cell.image_store).await {
            Ok(_) => None,
            Err(e) => Some(format!("{e:#}")),
        };
        let runs = (1..=warmup)
            .map(|i| (i, RunKind::Warmup))
            .chain((1..=reps).map(|i| (i, RunKind::Measured)));
        for (rep, kind) in runs {
            if done.contains(&(key.clone(), rep, kind)) {
                bar.inc(1);
                continue;
            }
            if signal.borrow().is_some() {
                break 'cells;
            }
            bar.set_message(format!("{key} {kind} {rep}"));
            let not_run = match (&engine.dead, &store_failed) {
                (Some(cause), _) => Some((RunStatus::Failed, format!("{ENGINE_GONE}{cause}"))),
                (None, Some(cause)) => Some((RunStatus::Failed, cause.clone())),
                (None, None) => policy
                    .give_up(&cell.strategy.to_string())
                    .map(|why| (RunStatus::Skipped, why)),
            };
            let ran = not_run.is_none();
            let r = match not_run {
                Some((status, why)) => {
                    let mut r = exec.skipped(cell, &why);
                    r.rep = rep;
                    r.kind = kind;
                    r.status = status;
                    r
                }
                None => exec.run(cell, rep, kind).await,
            };
            policy.observe(&r);
            writer.append(&r)?;
            let line = crate::redact::text(&console::run_line(&r)).into_owned();
            bar.suspend(|| eprintln!("{line}"));
            let interrupted = r.status == RunStatus::Interrupted;
            records.push(r);
            bar.inc(1);
            if interrupted {
                break 'cells;
            }
            if ran {
                let say = |m: &str| bar.suspend(|| eprintln!("cachebench: {m}"));
                let during = format!("{key} {kind} {rep}");
                engine.after_run(exec, &during, &records, say).await;
            }
        }
    }
    bar.finish_and_clear();
    let interrupted_by = *signal.borrow();
    Ok(MatrixOutcome {
        records,
        interrupted_by,
        engine_dead: engine.dead,
    })
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

    #[test]
    fn out_with_records_is_refused_unless_resuming() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("runs.jsonl"), "").unwrap();
        assert!(check_out(d.path(), false).is_err());
        assert!(check_out(d.path(), true).is_ok());
    }
}
