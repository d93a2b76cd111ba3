//! The measured part of one run, timed: the run's docker commands (creating its
//! docker-container builder where the state has none, the build, a separate push),
//! their phases from the parsed output, the machine's CPU time used and stolen
//! during them (a run that lost more than `--disturbed-share` is disturbed), the
//! state check on the build's own records, and what the run left in the registry.
//! A warm build that fails only after its change says so
//! ([`crate::run::change::broken_build`]).

use crate::config::matrix::Strategy;
use crate::infra::builder;
use crate::infra::cpu_time::{self, CpuTimes};
use crate::infra::process::Ending;
use crate::phases::bootstrap::{Bootstrap, BootstrapParser};
use crate::plan::cells::Cell;
use crate::plan::strategy::{self, DockerCommand, Role, RunTarget};
use crate::records::record::{CommandRecord, RunRecord, RunStatus};
use crate::run::docker_exec::{failure_reason, monotonic_span, run_status};
use crate::run::prepare::rotate_cache;
use crate::run::runner::Session;
use crate::run::state_check;
use crate::{
    phases::phase::Phase,
    phases::timeline::PhaseInterval,
    phases::timeline::Timeline,
    phases::{self},
};
use chrono::{DateTime, Utc};
use std::time::Instant;

impl Session {
    /// Runs the measured commands of `cell` on `target` into `rec` (creating the
    /// builder first when `create_builder`): wall time, phases, steps, the state
    /// check, and on success the registry footprint. A failed command ends the
    /// run as failed, never as an error.
    pub(crate) async fn measure(
        &mut self,
        cell: &Cell,
        target: &RunTarget,
        create_builder: bool,
        rec: &mut RunRecord,
        log: &mut std::fs::File,
        deadline: Option<Instant>,
    ) {
        use std::io::Write;
        let _ = writeln!(log, "== measured run ==");
        let mut cmds: Vec<DockerCommand> = Vec::new();
        if let (true, Some(name)) = (create_builder, &target.builder) {
            cmds.push(builder::create_command(
                name,
                &self.opts.buildkit_image,
                &self.buildkitd_config,
            ));
        }
        cmds.extend(strategy::commands(cell.strategy, target));
        // What earlier builds wrote is still being written back to disk for up to
        // 30 s (the kernel's dirty expiry): flush it now, outside the timing, so no
        // run pays for the one before it.
        self.stage.now("flushing earlier writes (sync)");
        let _ = tokio::task::spawn_blocking(|| {
            // SAFETY: sync(2) takes no arguments and cannot fail.
            unsafe { libc::sync() }
        })
        .await;
        // The machine's CPU time around the measured commands: what the hypervisor
        // took from it is the noise a shared VM adds (read outside the timing).
        let cpu_before = CpuTimes::now().await;
        let mut timelines: Vec<Timeline> = Vec::new();
        let mut extra: Vec<PhaseInterval> = Vec::new();
        // (wall-clock start, monotonic start, monotonic end) of the measured commands.
        let mut window: Option<(DateTime<Utc>, Instant, Instant)> = None;
        let mut build_ms = 0u64;
        let mut failure: Option<(String, Ending, String)> = None;
        let mut bootstrap: Option<Bootstrap> = None;
        for c in &cmds {
            let role = c.role.name();
            match (&c.role, &target.builder) {
                (Role::BuilderCreate, Some(name)) => {
                    self.stage.now(&format!("creating builder {name}"))
                }
                _ => self.stage.now(&format!("measured {role}")),
            }
            let (o, timeline) = if c.role == Role::BuilderCreate {
                let mut p = BootstrapParser::default();
                let o = self.exec_into(c, log, deadline, &mut p).await;
                bootstrap = Some(p.finish());
                (o, None)
            } else {
                self.exec_parsed(c, log, deadline).await
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
        if let (Some(before), Some(after)) = (cpu_before, CpuTimes::now().await) {
            let spent = after.since(&before, cpu_time::ticks_per_second());
            rec.cpu_busy_ms = Some(spent.busy_ms);
            rec.cpu_stolen_ms = Some(spent.stolen_ms);
            rec.mark_disturbed(self.opts.disturbed_share);
        }
        if let Some((start, began, mono_end)) = window {
            // wall_ms is the monotonic time of the measured commands; timestamps
            // only attribute phases inside that window (a wall-clock step, NTP or
            // manual, cannot stretch or shrink it), and the phases sum to it.
            let end = start + monotonic_span(began, mono_end);
            let b = phases::compute::compute_phases(start, end, &timelines, &extra);
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
            rec.state_check = self.check_state(cell, rec);
            if rec.state_check != state_check::OK {
                let _ = writeln!(log, "cachebench: state check failed: {}", rec.state_check);
            }
        }
        if let Some((role, ending, detail)) = failure {
            rec.status = run_status(&ending);
            rec.reason = failure_reason(&role, &ending, &detail);
            let plain = rec.reason.clone();
            self.amend_network_reason(rec);
            // A warm build that passed before its change and fails after it.
            if rec.reason == plain {
                if let Some(r) = crate::run::change::broken_build::reason(
                    cell.state,
                    cell.change,
                    &role,
                    &ending,
                    timelines.last(),
                    &self.out.join(&rec.log),
                ) {
                    rec.reason = r;
                }
            }
        }
        if rec.status == RunStatus::Ok && cell.strategy == Strategy::LocalCache {
            if let Err(e) = rotate_cache(target) {
                rec.note = format!("{} local cache rotation failed: {e}", rec.note)
                    .trim()
                    .to_string();
            }
        }
        if rec.commands.iter().any(|c| c.role == "build") {
            self.engine.note_built(&target.image).await;
        }
        rec.footprint.cache_mode = match cell.strategy {
            Strategy::RegistryCache | Strategy::LocalCache | Strategy::GhaCache => {
                target.cache_mode.name().to_string()
            }
            // Inline cache only exports the image's own layers.
            Strategy::InlineCache => "min".to_string(),
            _ => String::new(),
        };
        if rec.status == RunStatus::Ok {
            // What the strategy left in the registry (untimed; loopback only),
            // split into the image's tag and the cache's.
            if self.registry.is_loopback() {
                match self
                    .registry
                    .footprint_split(
                        &[self.real_ref(&target.image)],
                        &[self.real_ref(&target.cache_ref)],
                    )
                    .await
                {
                    Ok(fp) => {
                        rec.registry_manifests = Some(fp.total.manifests);
                        rec.registry_attestations = Some(fp.total.attestations);
                        rec.registry_bytes = Some(fp.total.bytes);
                        let f = &mut rec.footprint;
                        f.image_bytes = Some(fp.image.bytes);
                        f.image_blobs = Some(fp.image.blobs);
                        f.image_manifests = Some(fp.image.manifests);
                        f.image_tags = Some(fp.image.tags);
                        f.cache_bytes = Some(fp.cache.bytes);
                        f.cache_blobs = Some(fp.cache.blobs);
                        f.cache_manifests = Some(fp.cache.manifests);
                        f.cache_tags = Some(fp.cache.tags);
                        f.ecr_artifacts = Some(fp.total.manifests);
                    }
                    Err(e) => {
                        let _ = writeln!(log, "cachebench: registry footprint not measured: {e:#}");
                    }
                }
            }
            // The local cache folder as actions/cache would save it (after rotation).
            if cell.strategy == Strategy::LocalCache {
                match crate::records::footprint::folder_size(&target.cache_dir) {
                    Ok(Some((bytes, files))) => {
                        rec.footprint.local_cache_bytes = Some(bytes);
                        rec.footprint.local_cache_files = Some(files);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        let _ = writeln!(
                            log,
                            "cachebench: local cache folder {} not measured: {e}",
                            target.cache_dir.display()
                        );
                    }
                }
            }
        }
    }
}
