//! The GitHub Actions cache service a run's gha-cache builds talk to. On a GitHub
//! runner that exposes its service (`ACTIONS_CACHE_URL` or `ACTIONS_RESULTS_URL`
//! with `ACTIONS_RUNTIME_TOKEN`) it is the real one, and buildx fills `url` and
//! `token` itself. Everywhere else it is cachebench's stand-in
//! ([`crate::infra::gha_cache`]): started on first use with its folder in the work
//! folder (`WORK/gha-cache`), given a minted token, reached through
//! [`Session::through_link`], its address and token handed to the build as
//! `type=gha` attributes ([`crate::plan::strategy::RunTarget::gha_attrs`]).
//!
//! The protocol follows the builder's BuildKit ([`protocol_for`]): v2 (Twirp and
//! Azure-style blobs) from BuildKit v0.20 on, v1 (`_apis/artifactcache`) before,
//! unless `--gha-protocol` forces one. The docker driver's BuildKit is the one
//! vendored in dockerd (v0.13 in Docker 26, v0.20 from Docker 28).
//!
//! Its counters are reset before each measured build and read after it into the
//! record (`gha_entries_created`, bytes, the busiest minute's entry uploads); a run
//! whose busiest minute starts more than GitHub's 200 entry uploads per repository
//! is flagged in its note.

use crate::config::matrix::{BuilderKind, GhaProtocol, Strategy};
use crate::infra::gha_cache::counters::{Snapshot, GITHUB_ENTRY_UPLOADS_PER_MINUTE};
use crate::infra::gha_cache::server::{ApiVersion, Config, GhaCacheServer};
use crate::infra::gha_cache::token::{self, Scope};
use crate::plan::cells::{Cell, Facts};
use crate::plan::strategy::RunTarget;
use crate::records::record::RunRecord;
use crate::run::runner::Session;
use std::time::Duration;

/// The scope (a git ref on GitHub) the stand-in's token may read and write.
pub const TOKEN_SCOPE: &str = "refs/heads/main";

/// How long a minted token is valid: longer than any matrix.
const TOKEN_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// The stand-in's protocol for a build on `builder`: forced, or v2 when the
/// builder's BuildKit is v0.20 or later. `container_version` is the BuildKit image's
/// version (`v0.25.2`); `engine_version` dockerd's (`26.1.5+dfsg1`), whose
/// vendored BuildKit the docker driver runs (Docker 28.0 vendors v0.20).
pub fn protocol_for(
    forced: GhaProtocol,
    builder: BuilderKind,
    container_version: Option<&str>,
    engine_version: Option<&str>,
) -> ApiVersion {
    match forced {
        GhaProtocol::V1 => return ApiVersion::V1,
        GhaProtocol::V2 => return ApiVersion::V2,
        GhaProtocol::Auto => {}
    }
    let v2 = match builder {
        BuilderKind::DockerContainer => {
            container_version.is_some_and(|v| version_at_least(v, (0, 20)))
        }
        BuilderKind::Docker => engine_version.is_some_and(|v| version_at_least(v, (28, 0))),
    };
    if v2 {
        ApiVersion::V2
    } else {
        ApiVersion::V1
    }
}

/// True when `version` (`v0.25.2`, `26.1.5+dfsg1`) is at least `major.minor`.
pub fn version_at_least(version: &str, (major, minor): (u64, u64)) -> bool {
    let mut nums = version
        .trim()
        .trim_start_matches('v')
        .split(|c: char| !c.is_ascii_digit())
        .map(|s| s.parse::<u64>().ok());
    match (nums.next().flatten(), nums.next().flatten()) {
        (Some(a), Some(b)) => (a, b) >= (major, minor),
        _ => false,
    }
}

/// The protocol's name as records write it.
pub fn protocol_name(v: ApiVersion) -> &'static str {
    match v {
        ApiVersion::V1 => "v1",
        ApiVersion::V2 => "v2",
    }
}

/// The note of a run whose busiest minute passes GitHub's entry-upload limit.
pub fn limit_note(s: &Snapshot) -> Option<String> {
    s.exceeds_github_limit.then(|| {
        format!(
            "gha cache: {} entry uploads in one minute, past GitHub's {GITHUB_ENTRY_UPLOADS_PER_MINUTE} \
             per minute per repository (GitHub answers 429 past it: the build would lose cache \
             entries or wait)",
            s.peak_entries_per_minute
        )
    })
}

impl Session {
    /// For a gha-cache cell off a GitHub runner: starts the stand-in on first use
    /// and gives `t` its attributes (the protocol of the cell's builder), reached
    /// through the cell's link. On a runner, leaves `t` to buildx and the real
    /// service.
    pub(crate) async fn gha_target(
        &mut self,
        cell: &Cell,
        t: &mut RunTarget,
    ) -> anyhow::Result<()> {
        if cell.strategy != Strategy::GhaCache || Facts::runner_gha_service() {
            return Ok(());
        }
        let version = self.gha_protocol(cell.builder).await;
        self.start_gha_stand_in().await?;
        let link = Session::target_link(t);
        let upstream = self.gha.as_ref().expect("started above").0.addr();
        let reached = self.through_link(&link, upstream)?;
        let (server, token) = self.gha.as_ref().expect("started above");
        server.advertise(reached);
        t.gha_attrs = Some(server.cache_attrs(version, token, &t.gha_scope));
        Ok(())
    }

    /// Starts the stand-in (once per matrix), its folder in the work folder.
    pub(crate) async fn start_gha_stand_in(&mut self) -> anyhow::Result<&GhaCacheServer> {
        if self.gha.is_none() {
            let dir = self.work.join("gha-cache");
            let server = GhaCacheServer::start(Config::new(&dir)).await?;
            let token = token::mint(&[Scope::read_write(TOKEN_SCOPE)], TOKEN_LIFETIME);
            self.note_journal(format!(
                "gha cache stand-in started on {} (folder {})",
                server.addr(),
                dir.display()
            ));
            self.gha = Some((server, token));
        }
        Ok(&self.gha.as_ref().expect("set above").0)
    }

    /// The protocol of `builder`'s BuildKit (`--gha-protocol` forces one).
    async fn gha_protocol(&mut self, builder: BuilderKind) -> ApiVersion {
        if self.opts.gha_protocol == GhaProtocol::Auto
            && builder == BuilderKind::Docker
            && self.engine_version.is_none()
        {
            self.engine_version = self
                .engine
                .docker(
                    &["version", "--format", "{{.Server.Version}}"],
                    Duration::from_secs(30),
                )
                .await
                .ok()
                .map(|v| v.trim().to_string());
        }
        protocol_for(
            self.opts.gha_protocol,
            builder,
            self.container_buildkit_version.as_deref(),
            self.engine_version.as_deref(),
        )
    }

    /// Starts the stand-in's count afresh (before a measured build).
    pub(crate) fn gha_reset(&self) {
        if let Some((server, _)) = &self.gha {
            server.reset_counters();
        }
    }

    /// What the measured build made the stand-in do, into `rec` (and its note,
    /// when the busiest minute passes GitHub's limit).
    pub(crate) fn gha_record(&self, t: &RunTarget, rec: &mut RunRecord) {
        if rec.strategy != Strategy::GhaCache.name() {
            return;
        }
        let Some((server, _)) = self.gha.as_ref().filter(|_| t.gha_attrs.is_some()) else {
            rec.gha_service = "runner".into();
            return;
        };
        let snap = server.counters();
        let v2 = t
            .gha_attrs
            .as_deref()
            .is_some_and(|a| a.contains("version=2"));
        rec.gha_service = format!("stand-in {}", if v2 { "v2" } else { "v1" });
        rec.gha_entries_created = Some(snap.entries_committed);
        rec.gha_peak_entries_per_minute = Some(snap.peak_entries_per_minute);
        rec.gha_bytes_uploaded = Some(snap.bytes_uploaded);
        rec.gha_bytes_downloaded = Some(snap.bytes_downloaded);
        if let Some(n) = limit_note(&snap) {
            rec.note = [rec.note.as_str(), n.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("; ");
        }
    }

    /// Stops the stand-in, if it runs (the end of the matrix).
    pub async fn stop_gha_stand_in(&mut self) {
        if let Some((server, _)) = self.gha.take() {
            let _ = server.stop().await;
        }
    }
}

#[cfg(test)]
mod tests;
