//! The executor: one run of one cell — prepare its state (untimed, but its time
//! recorded), run the measured docker commands, and turn what happened into a
//! [`RunRecord`]. A failure here is a failed run, never an error of the matrix.

use crate::builder;
use crate::engine::Engine;
use crate::matrix::{BuilderKind, Change, State, Strategy};
use crate::options::Options;
use crate::phases::bootstrap::{Bootstrap, BootstrapParser};
use crate::phases::{self, BuildOutputParser, Phase, PhaseInterval, Timeline};
use crate::plan::Cell;
use crate::process::{self, Ending, LineSink, Outcome, Spec};
use crate::record::{CommandRecord, RunKind, RunRecord, RunStatus};
use crate::registry::Registry;
use crate::state_check;
use crate::strategy::{self, DockerCommand, OutputFormat, Role, RunTarget};
use crate::workspace::Workspace;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// What every run of a matrix shares.
pub struct Session {
    pub opts: Options,
    pub engine: Engine,
    pub registry: Registry,
    /// The results folder.
    pub out: PathBuf,
    /// cachebench's scratch folder for this matrix (workspaces, cache folders).
    pub work: PathBuf,
    /// Unique to this matrix: part of every tag, ref and builder name.
    pub run_id: String,
    pub workload: String,
    pub cancel: watch::Receiver<bool>,
    /// buildkitd.toml for docker-container builders.
    pub buildkitd_config: PathBuf,
    /// Where local-cache folders are exported (`work/cache`, or
    /// `$CACHEBENCH_CACHE_DIR/cachebench-cache-*`).
    pub cache_root: PathBuf,
    counter: u32,
    /// The image a warming build `--load`ed from a docker-container builder into an
    /// engine cachebench does not own: the measured build's load takes its tag and
    /// leaves it dangling, so the run's cleanup removes it.
    warm_image_id: Option<String>,
}

/// Feeds a command's output lines to a build-output parser.
struct ParserSink(Box<dyn BuildOutputParser>);

impl LineSink for ParserSink {
    fn line(&mut self, _stream: process::Stream, line: &str, at: DateTime<Utc>) {
        self.0.feed(line, at);
    }
}

impl Session {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        opts: Options,
        engine: Engine,
        registry: Registry,
        out: PathBuf,
        work: PathBuf,
        run_id: String,
        workload: String,
        cancel: watch::Receiver<bool>,
        mirror_host: Option<&str>,
    ) -> anyhow::Result<Session> {
        let http: Vec<&str> = registry
            .is_loopback()
            .then_some(registry.host.as_str())
            .into_iter()
            .collect();
        let buildkitd_config = builder::write_config(&work.join("buildkitd"), &http, mirror_host)?;
        Ok(Session {
            cache_root: work.join("cache"),
            opts,
            engine,
            registry,
            out,
            work,
            run_id,
            workload,
            cancel,
            buildkitd_config,
            counter: 0,
            warm_image_id: None,
        })
    }

    fn interrupted(&self) -> bool {
        *self.cancel.borrow()
    }

    /// A record for a cell that is not run.
    pub fn skipped(&self, cell: &Cell, reason: &str) -> RunRecord {
        self.blank(cell, 1, RunKind::Measured, RunStatus::Skipped, reason)
    }

    fn blank(
        &self,
        cell: &Cell,
        rep: u32,
        kind: RunKind,
        status: RunStatus,
        reason: &str,
    ) -> RunRecord {
        RunRecord::blank(
            &self.opts.scenario_name,
            &self.workload,
            cell,
            rep,
            kind,
            status,
            reason,
        )
    }

    /// Runs one rep of `cell`, returning its record (never an error: a failure is
    /// a failed run).
    pub async fn run(&mut self, cell: &Cell, rep: u32, kind: RunKind) -> RunRecord {
        self.counter += 1;
        let n = self.counter;
        let tag_base = format!("{}-{}-{}", self.run_id, cell.slug(), n);
        let log_rel = format!(
            "logs/{}-{}-{}.log",
            cell.slug(),
            match kind {
                RunKind::Warmup => "warmup",
                RunKind::Measured => "rep",
            },
            rep
        );
        let mut rec = self.blank(cell, rep, kind, RunStatus::Ok, "");
        rec.log = log_rel.clone();
        let mut log = match process::open_log(&self.out.join(&log_rel)) {
            Ok(f) => f,
            Err(e) => {
                rec.status = RunStatus::Failed;
                rec.reason = format!(
                    "failed to open log {}: {e}",
                    self.out.join(&log_rel).display()
                );
                return rec;
            }
        };
        let _ = self.engine.take_journal(); // setup's commands, not this run's
        let builder_name = (cell.builder == BuilderKind::DockerContainer)
            .then(|| format!("cachebench-{}-{n}", self.run_id));
        let target = RunTarget {
            context: self.work.join(format!("ws/{n}/ctx")),
            dockerfile: self.dockerfile_in(&self.work.join(format!("ws/{n}/ctx"))),
            build_args: self.opts.build_args.clone(),
            image: self.registry.tag(&format!("{tag_base}-img")),
            cache_ref: self.registry.tag(&format!("{tag_base}-cache")),
            cache_dir: self.cache_root.join(format!("{n}/d")),
            gha_scope: format!("cachebench-{tag_base}"),
            builder: builder_name.clone(),
            builder_kind: cell.builder,
            registry_cache_output: self.opts.registry_cache_output,
        };
        let deadline = self.opts.timeout.map(|t| Instant::now() + t);
        // Unique across the whole invocation (and across --resume, whose run id
        // differs): a change never repeats one an earlier run left cached.
        let nonce = format!("{}-{n}", self.run_id);

        // ---- prepare (untimed) ----
        let t_prep = Instant::now();
        let prep = self
            .prepare(cell, &target, &nonce, &mut log, deadline)
            .await;
        rec.prepare_ms = Some(t_prep.elapsed().as_millis() as u64);
        match prep {
            Ok(note) => rec.note = note,
            Err(fail) => {
                rec.status = fail.status;
                rec.reason = fail.reason;
                self.amend_network_reason(&mut rec);
                self.cleanup_run(&target).await;
                self.journal_to(&mut log);
                crate::transcript::write_beside(&self.out.join(&rec.log));
                return rec;
            }
        }

        // ---- measured ----
        use std::io::Write;
        let _ = writeln!(log, "== measured run ==");
        let mut cmds: Vec<DockerCommand> = Vec::new();
        let create_builder = builder_name.is_some() && cell.state != State::WarmLocal;
        if let (true, Some(name)) = (create_builder, &builder_name) {
            cmds.push(builder::create_command(
                name,
                &self.opts.buildkit_image,
                &self.buildkitd_config,
            ));
        }
        cmds.extend(strategy::commands(cell.strategy, &target));
        let mut timelines: Vec<Timeline> = Vec::new();
        let mut extra: Vec<PhaseInterval> = Vec::new();
        // (wall-clock start, monotonic start, monotonic end) of the measured commands.
        let mut window: Option<(DateTime<Utc>, Instant, Instant)> = None;
        let mut build_ms = 0u64;
        let mut failure: Option<(String, Ending, String)> = None;
        let mut bootstrap: Option<Bootstrap> = None;
        for c in &cmds {
            let role = c.role.name();
            let (o, timeline) = if c.role == Role::BuilderCreate {
                let mut p = BootstrapParser::default();
                let o = self.exec_into(c, &mut log, deadline, &mut p).await;
                bootstrap = Some(p.finish());
                (o, None)
            } else {
                self.exec_parsed(c, &mut log, deadline).await
            };
            let ms = o.elapsed.as_millis() as u64;
            let mono_end = o.began + o.elapsed;
            window = Some(match window {
                None => (o.started, o.began, mono_end),
                Some((s, b, _)) => (s, b, mono_end),
            });
            match c.role {
                Role::Build => build_ms += ms,
                Role::Push => extra.push(PhaseInterval::new(Phase::Push, o.started, o.ended)),
                Role::BuilderCreate => {
                    extra.push(PhaseInterval::new(Phase::BuilderCreate, o.started, o.ended))
                }
            }
            rec.commands.push(CommandRecord {
                role: role.to_string(),
                argv: std::iter::once("docker".to_string())
                    .chain(c.args.iter().cloned())
                    .collect(),
                duration_ms: ms,
                exit_code: o.exit_code(),
            });
            let build_error = timeline.as_ref().and_then(|t| {
                t.error.as_ref().map(|e| match &t.error_vertex {
                    Some(v) => format!("{v}: {e}"),
                    None => e.clone(),
                })
            });
            if let Some(t) = timeline {
                // The client's own start and end, around the progress stream.
                if let Some(first) = t.first_event {
                    extra.push(PhaseInterval::new(Phase::ClientStart, o.started, first));
                }
                if let Some(last) = t.last_event {
                    extra.push(PhaseInterval::new(Phase::ClientEnd, last, o.ended));
                }
                timelines.push(t);
            }
            if !o.success() {
                failure = Some((
                    role.to_string(),
                    o.ending.clone(),
                    build_error.unwrap_or_else(|| o.framed_tail()),
                ));
                break;
            }
        }
        if let Some((start, began, mono_end)) = window {
            // wall_ms is the monotonic time of the measured commands; timestamps
            // only attribute phases inside that window (a wall-clock step, NTP or
            // manual, cannot stretch or shrink it), and the phases sum to it.
            let end = start + monotonic_span(began, mono_end);
            let b = phases::compute_phases(start, end, &timelines, &extra);
            rec.wall_ms = Some(b.wall_ms);
            rec.phases = b.phases;
            rec.steps_total = Some(b.steps_total);
            rec.steps_cached = Some(b.steps_cached);
            rec.bytes_down = Some(b.bytes_down);
            rec.bytes_up = Some(b.bytes_up);
            rec.step_details = b.steps;
            if let (Some(boot), Some(create)) = (&bootstrap, rec.phases.builder_create_ms) {
                let (pull, rest) = boot.split(create);
                rec.builder_pull_ms = Some(pull);
                rec.builder_boot_ms = Some(rest);
            }
            if !b.unclassified.is_empty() {
                use std::io::Write;
                let _ = writeln!(
                    log,
                    "cachebench: unclassified vertices (counted in other): {:?}",
                    b.unclassified
                );
            }
        }
        rec.build_ms = (build_ms > 0).then_some(build_ms);
        if failure.is_none() {
            rec.state_check = self.check_state(cell, &rec);
            if rec.state_check != state_check::OK {
                let _ = writeln!(log, "cachebench: state check failed: {}", rec.state_check);
            }
        }
        if let Some((role, ending, detail)) = failure {
            rec.status = run_status(&ending);
            rec.reason = failure_reason(&role, &ending, &detail);
            self.amend_network_reason(&mut rec);
        }
        let wall = rec.wall_ms.unwrap_or(0);
        if rec.status == RunStatus::Ok && cell.strategy == Strategy::LocalCache {
            if let Err(e) = rotate_cache(&target) {
                rec.note = format!("{} local cache rotation failed: {e}", rec.note)
                    .trim()
                    .to_string();
            }
        }
        if rec.commands.iter().any(|c| c.role == "build") {
            self.engine.note_built(&target.image).await;
        }
        if rec.status == RunStatus::Ok {
            // What the strategy left in the registry (untimed; loopback only).
            if self.registry.is_loopback() {
                match self
                    .registry
                    .footprint(&[target.image.clone(), target.cache_ref.clone()])
                    .await
                {
                    Ok(fp) => {
                        rec.registry_manifests = Some(fp.manifests);
                        rec.registry_attestations = Some(fp.attestations);
                        rec.registry_bytes = Some(fp.bytes);
                    }
                    Err(e) => {
                        let _ = writeln!(log, "cachebench: registry footprint not measured: {e:#}");
                    }
                }
            }
        }
        let _ = writeln!(log, "== {} ({} ms) ==", rec.status, wall);
        self.cleanup_run(&target).await;
        let _ = writeln!(log, "== cleanup ==");
        self.journal_to(&mut log);
        crate::transcript::write_beside(&self.out.join(&rec.log));
        rec
    }

    /// Writes the engine's preparation commands and state changes to the log.
    fn journal_to(&self, log: &mut std::fs::File) {
        use std::io::Write;
        for l in self.engine.take_journal() {
            let _ = writeln!(log, "cachebench: {}", crate::redact::text(&l));
        }
    }

    /// Proves the run's state from its own step records (see [`state_check`]).
    fn check_state(&self, cell: &Cell, rec: &RunRecord) -> String {
        let changed_file = match cell.change {
            Change::None => None,
            Change::Source => self.opts.source_file.as_deref(),
            Change::Deps => self.opts.deps_file.as_deref(),
        };
        state_check::check(
            &state_check::Claim {
                state: cell.state,
                change: cell.change,
                changed_file,
            },
            &state_check::Evidence {
                steps: &rec.step_details,
                bytes_down: rec.bytes_down.unwrap_or(0),
            },
        )
    }

    fn dockerfile_in(&self, ctx: &Path) -> PathBuf {
        if self.opts.dockerfile.is_absolute() {
            self.opts.dockerfile.clone()
        } else {
            ctx.join(&self.opts.dockerfile)
        }
    }

    /// Brings the engine, builder, registry and cache folder into the cell's state
    /// and applies its change.
    async fn prepare(
        &mut self,
        cell: &Cell,
        t: &RunTarget,
        nonce: &str,
        log: &mut std::fs::File,
        deadline: Option<Instant>,
    ) -> Result<String, Failure> {
        use std::io::Write;
        let mut notes: Vec<String> = Vec::new();
        let n = t
            .context
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let _ = std::fs::remove_dir_all(&n);
        let mut ws = Workspace::create(
            &self.opts.context,
            &t.context,
            self.opts.source_file.as_deref(),
            self.opts.deps_file.as_deref(),
        )
        .map_err(|e| Failure::failed(format!("{e:#}")))?;
        std::fs::create_dir_all(t.cache_dir.parent().unwrap_or(Path::new("/")))
            .map_err(|e| Failure::failed(format!("failed to create cache folder: {e}")))?;

        // Start from empty local state, where cachebench may.
        let must_reset = matches!(cell.state, State::Cold | State::WarmRemote);
        if must_reset || self.engine.is_owned() {
            let _ = writeln!(log, "== prepare: empty local state ==");
            let r = self.engine.reset().await;
            self.journal_to(log);
            keep_note(&mut notes, r, "failed to empty local state")?;
        }
        if cell.state == State::Cold {
            ws.apply(cell.change, nonce)
                .map_err(|e| Failure::failed(format!("{e:#}")))?;
            return Ok(notes.join("; "));
        }

        // Warming build: the same commands, on a builder kept for warm-local.
        let _ = writeln!(log, "== prepare: warming build ==");
        if let Some(name) = &t.builder {
            let c =
                builder::create_command(name, &self.opts.buildkit_image, &self.buildkitd_config);
            let o = self.exec(&c, log, deadline).await;
            if !o.success() {
                return Err(Failure::from_outcome(
                    "creating the builder for the warming build",
                    &o,
                ));
            }
        }
        for c in strategy::commands(cell.strategy, t) {
            let o = self.exec(&c, log, deadline).await;
            if !o.success() {
                return Err(Failure::from_outcome("warming build", &o));
            }
        }
        // On an engine cachebench does not own, emptying local state must remove
        // the warming build's image too, or a warm-remote run reuses its layers
        // instead of downloading the cache.
        self.engine.note_built(&t.image).await;
        if cell.strategy == Strategy::LocalCache {
            rotate_cache(t).map_err(|e| Failure::failed(format!("local cache rotation: {e}")))?;
        }
        if t.builder.is_some() && !self.engine.is_owned() {
            self.warm_image_id = self.image_id(&t.image).await;
        }
        match cell.state {
            State::WarmLocal => {
                if cell.strategy == Strategy::LayerCache {
                    let _ = writeln!(log, "== prepare: daemon restart, layer store kept ==");
                    let r = self.engine.restart_keep().await;
                    self.journal_to(log);
                    keep_note(&mut notes, r, "engine restart")?;
                }
            }
            State::WarmRemote => {
                let _ = writeln!(log, "== prepare: empty local state, keep remote ==");
                if let Some(name) = &t.builder {
                    self.remove_builder(name).await;
                }
                let r = self.engine.reset().await;
                self.journal_to(log);
                keep_note(&mut notes, r, "failed to empty local state")?;
            }
            State::Cold => unreachable!("handled above"),
        }
        if cell.change != Change::None {
            ws.apply(cell.change, nonce)
                .map_err(|e| Failure::failed(format!("{e:#}")))?;
        }
        notes.dedup();
        Ok(notes.join("; "))
    }

    /// Runs one docker command against the engine, within the run's deadline.
    async fn exec(
        &mut self,
        c: &DockerCommand,
        log: &mut std::fs::File,
        deadline: Option<Instant>,
    ) -> Outcome {
        self.exec_parsed(c, log, deadline).await.0
    }

    /// Runs one docker command, parsing its output as it arrives when it is a
    /// build; returns the build's timeline.
    async fn exec_parsed(
        &mut self,
        c: &DockerCommand,
        log: &mut std::fs::File,
        deadline: Option<Instant>,
    ) -> (Outcome, Option<Timeline>) {
        let parser = match c.format {
            OutputFormat::RawJson => Some(phases::parser_for(phases::OutputFormat::RawJson)),
            OutputFormat::Legacy => Some(phases::parser_for(phases::OutputFormat::Legacy)),
            OutputFormat::Plain => None,
        };
        match parser {
            Some(p) => {
                let mut sink = ParserSink(p);
                let o = self.exec_into(c, log, deadline, &mut sink).await;
                let t = sink.0.finish(o.ended);
                (o, Some(t))
            }
            None => (self.exec_into(c, log, deadline, &mut ()).await, None),
        }
    }

    /// Runs one docker command within the run's deadline, feeding its output lines
    /// to `sink`.
    async fn exec_into(
        &mut self,
        c: &DockerCommand,
        log: &mut std::fs::File,
        deadline: Option<Instant>,
        sink: &mut dyn LineSink,
    ) -> Outcome {
        let spec = Spec::new("docker")
            .args(c.args.iter())
            .envs(&self.engine.docker_env())
            .envs(&c.env);
        let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if timeout == Some(Duration::ZERO) {
            let now: DateTime<Utc> = Utc::now();
            return Outcome {
                ending: Ending::TimedOut,
                started: now,
                ended: now,
                began: Instant::now(),
                elapsed: Duration::ZERO,
                tail: vec![],
            };
        }
        process::run(&spec, log, sink, timeout, &mut self.cancel).await
    }

    /// Removes a docker-container builder cachebench created (best effort).
    async fn remove_builder(&mut self, name: &str) {
        let args = builder::remove_args(name);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let _ = self.engine.docker(&refs, Duration::from_secs(120)).await;
    }

    /// The ID of `image` on the engine, if it is there.
    async fn image_id(&self, image: &str) -> Option<String> {
        let args = ["image", "inspect", "--format", "{{.Id}}", image];
        let id = self
            .engine
            .docker(&args, Duration::from_secs(30))
            .await
            .ok()?;
        Some(id.trim().to_string()).filter(|s| !s.is_empty())
    }

    /// Removes the run's builder, workspace and cache folder, and the warming
    /// build's image when the measured build's load left it untagged.
    async fn cleanup_run(&mut self, t: &RunTarget) {
        if let Some(old) = self.warm_image_id.take() {
            if self.image_id(&t.image).await.as_deref() != Some(old.as_str()) {
                let _ = self
                    .engine
                    .docker(&["image", "rm", &old], Duration::from_secs(60))
                    .await;
            }
        }
        if let Some(name) = &t.builder {
            self.remove_builder(name).await;
        }
        if let Some(ws) = t.context.parent() {
            let _ = std::fs::remove_dir_all(ws);
        }
        if let Some(c) = t.cache_dir.parent() {
            let _ = std::fs::remove_dir_all(c);
        }
        let _ = self.interrupted();
    }
}

impl Session {
    /// A failed or timed-out run whose build could not reach the network says so,
    /// with the host it tried ([`crate::network::diagnose`]).
    fn amend_network_reason(&self, rec: &mut RunRecord) {
        if matches!(rec.status, RunStatus::Failed | RunStatus::Timeout) && !rec.log.is_empty() {
            let timed_out = rec.status == RunStatus::Timeout;
            rec.reason =
                crate::network::diagnose::amend(&rec.reason, &self.out.join(&rec.log), timed_out);
        }
    }
}

/// Keeps the note of a state change that worked, or turns its error into the
/// run's failure.
fn keep_note(
    notes: &mut Vec<String>,
    r: anyhow::Result<String>,
    what: &str,
) -> Result<(), Failure> {
    match r {
        Ok(note) if !note.is_empty() => {
            notes.push(note);
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e) => Err(Failure::failed(format!("{what}: {e:#}"))),
    }
}

/// Why preparation failed, as a run status and reason.
struct Failure {
    status: RunStatus,
    reason: String,
}

impl Failure {
    fn failed(reason: String) -> Failure {
        Failure {
            status: RunStatus::Failed,
            reason,
        }
    }
    fn from_outcome(what: &str, o: &Outcome) -> Failure {
        Failure {
            status: run_status(&o.ending),
            reason: failure_reason(what, &o.ending, &o.framed_tail()),
        }
    }
}

/// The status of a run whose command ended unsuccessfully in `ending`.
fn run_status(ending: &Ending) -> RunStatus {
    match ending {
        Ending::TimedOut => RunStatus::Timeout,
        Ending::Interrupted => RunStatus::Interrupted,
        _ => RunStatus::Failed,
    }
}

/// One line for the record: what failed, how, and the last error line of its
/// output (the full output is in the run's log).
fn failure_reason(what: &str, ending: &Ending, framed_tail: &str) -> String {
    let how = match ending {
        Ending::Exited(c) => format!("exited with code {c}"),
        Ending::Signalled(s) => format!("killed by signal {s}"),
        Ending::TimedOut => "timed out".into(),
        Ending::Interrupted => "interrupted".into(),
        Ending::SpawnFailed(e) => format!("could not start: {e}"),
    };
    // A parsed build error is one line; otherwise pick the last error-like line
    // of the framed output tail.
    let last_error = if !framed_tail.contains('\n') {
        Some(framed_tail.trim().to_string())
    } else {
        framed_tail
            .lines()
            .rev()
            .find(|l| l.starts_with("ERROR:") || l.contains("error") || l.contains("Error"))
            .map(|l| l.trim().trim_start_matches("ERROR:").trim().to_string())
    };
    match last_error {
        Some(e) if !e.is_empty() => {
            let e: String = e.chars().take(400).collect();
            format!("{what} {how}: {e}")
        }
        _ => format!("{what} {how}"),
    }
}

/// actions/cache rotation: the exported `D-new` replaces `D`, so the cache does not
/// grow without bound.
fn rotate_cache(t: &RunTarget) -> std::io::Result<()> {
    let new = t.cache_dir_new();
    if !new.exists() {
        return Ok(());
    }
    if t.cache_dir.exists() {
        std::fs::remove_dir_all(&t.cache_dir)?;
    }
    std::fs::rename(new, &t.cache_dir)
}

/// `to - from` on the monotonic clock, as a chrono duration (0 if reversed).
fn monotonic_span(from: Instant, to: Instant) -> chrono::Duration {
    chrono::Duration::from_std(to.saturating_duration_since(from)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wall window is the monotonic span of the commands: phases attributed
    /// from timestamps are clipped to it and, with `other`, sum to it exactly.
    #[test]
    fn wall_ms_is_the_monotonic_span() {
        let began = Instant::now();
        let span = monotonic_span(began, began + Duration::from_millis(1234));
        assert_eq!(span.num_milliseconds(), 1234);
        assert_eq!(
            monotonic_span(began + Duration::from_secs(1), began),
            chrono::Duration::zero()
        );
        let start: DateTime<Utc> = "2024-01-01T00:00:00Z".parse().unwrap();
        // A push the wall clock says lasted 5 s (the clock stepped) is cut at the
        // monotonic end.
        let push = PhaseInterval::new(
            Phase::Push,
            start + chrono::Duration::milliseconds(1000),
            start + chrono::Duration::milliseconds(6000),
        );
        let b = phases::compute_phases(start, start + span, &[], &[push]);
        assert_eq!(b.wall_ms, 1234);
        assert_eq!(b.sum_ms(), 1234);
        assert_eq!(b.phases.push_ms, Some(234));
    }

    #[test]
    fn a_run_ends_timed_out_interrupted_or_failed() {
        assert_eq!(run_status(&Ending::TimedOut), RunStatus::Timeout);
        assert_eq!(run_status(&Ending::Interrupted), RunStatus::Interrupted);
        assert_eq!(run_status(&Ending::Exited(1)), RunStatus::Failed);
        assert_eq!(run_status(&Ending::Signalled(9)), RunStatus::Failed);
    }

    #[test]
    fn failure_reason_picks_the_error_line() {
        let tail = "x\nERROR: failed to solve: process \"/bin/sh -c false\" did not complete successfully: exit code: 1\n---";
        let r = failure_reason("build", &Ending::Exited(1), tail);
        assert_eq!(
            r,
            "build exited with code 1: failed to solve: process \"/bin/sh -c false\" did not complete successfully: exit code: 1"
        );
        assert_eq!(
            failure_reason("push", &Ending::TimedOut, ""),
            "push timed out"
        );
    }
}
