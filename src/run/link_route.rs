//! The link axis in a run: every remote cache a linked cell's build talks to is
//! reached through a [`Link`](crate::infra::link::proxy::Link) started for that link value, and only through it.
//!
//! - One [`Link`](crate::infra::link::proxy::Link) per distinct link value of the matrix, started at the first run
//!   that needs it and shared by all its routes (the registry, the gha stand-in,
//!   actions/cache transfers), so the routes share its rate as a runner's one
//!   interface would. `none` starts nothing: no proxy is in the path.
//! - [`Session::through_link`] is the single entry point: the address to give the
//!   build in a cache's stead (one route per link and upstream, made once).
//! - The registry route: a linked cell's image and cache refs name the proxy's
//!   `127.0.0.1:PORT` ([`Session::cell_repository`]); the repository is the same
//!   one, so what the build pushed is in the real registry under the same tags
//!   (footprint and teardown read it there: [`Session::real_ref`]). dockerd
//!   treats every `127.0.0.0/8` registry as insecure (plain HTTP) by default, and
//!   each proxy port is written into buildkitd.toml with `http = true` for
//!   docker-container builders before any builder of the cell is created.
//! - Base images are not shaped: the registry's docker.io mirror stays on the
//!   real port (a base pull is not a cache; a runner pulls it from wherever the
//!   team's base images live).
//! - The run's bytes through the link are the difference of the link's counters
//!   across the measured commands ([`Session::link_counters`]).

use crate::config::options::Options;
use crate::infra::builder;
use crate::infra::link::counters::Counters;
use crate::infra::link::spec::LinkSpec;
use crate::plan::cells::Cell;
use crate::records::record::RunRecord;
use crate::run::runner::Session;
use anyhow::Context;
use std::net::SocketAddr;

/// Turns every value of the link axis into the link's canonical name, refusing a
/// bad one with one line naming `--link` or the `matrix.links` key and the
/// accepted forms.
pub fn canonical_links(opts: &mut Options) -> crate::error::Result<()> {
    opts.canonical_links(|s| {
        s.parse::<LinkSpec>()
            .map(|l| l.to_string())
            .map_err(|e| e.to_string())
    })
}

/// The line `cachebench plan` prints for a matrix with a link (none for a matrix
/// of `none` only): each link with its figures.
pub fn plan_line(opts: &Options) -> Option<String> {
    let names = opts.link_names();
    if names.iter().all(|n| n == crate::config::matrix::NO_LINK) {
        return None;
    }
    let each: Vec<String> = names
        .iter()
        .map(|n| match n.parse::<LinkSpec>() {
            Ok(l @ LinkSpec::Preset(_)) => format!("{n} ({})", l.figures()),
            _ => n.clone(),
        })
        .collect();
    Some(format!(
        "links: {} — a linked cell reaches every remote cache (registry cache, inline cache, \
         pushes, the gha cache) through a shaped proxy; base images are pulled unshaped",
        each.join(", ")
    ))
}

impl Session {
    /// The address to give the build in place of `upstream` (a remote cache on
    /// loopback) for a cell over `link`: `upstream` itself for `none` (no proxy in
    /// the path), else a route of the link's one shared
    /// [`Link`](crate::infra::link::proxy::Link), started on first use. A new
    /// proxy port is added to buildkitd.toml as a plain-HTTP registry.
    pub fn through_link(
        &mut self,
        link: &LinkSpec,
        upstream: SocketAddr,
    ) -> anyhow::Result<SocketAddr> {
        let (listen, new) = self
            .links
            .route(link, upstream)
            .with_context(|| format!("link {link}: failed to proxy {upstream}"))?;
        if new {
            self.note_journal(format!("link {link}: {listen} → {upstream}"));
            self.rewrite_buildkitd_config()?;
        }
        Ok(listen)
    }

    /// buildkitd.toml with every proxy port beside the registry as a plain-HTTP
    /// registry (builders created from now on read it).
    fn rewrite_buildkitd_config(&self) -> anyhow::Result<()> {
        let proxies: Vec<String> = self.links.listens().iter().map(|l| l.to_string()).collect();
        let hosts: Vec<&str> = self
            .links
            .http_hosts
            .iter()
            .chain(&proxies)
            .map(String::as_str)
            .collect();
        let dir = self
            .buildkitd_config
            .parent()
            .context("buildkitd.toml has no folder")?;
        builder::write_config(dir, &hosts, self.links.mirror.as_deref())
            .with_context(|| format!("failed to write {}", self.buildkitd_config.display()))?;
        Ok(())
    }

    /// The link a run's remote caches sit behind: the cell's, which
    /// [`RunTarget::link`](crate::plan::strategy::RunTarget::link) carries (`none`
    /// for a name that does not parse, which plan time has refused already).
    pub fn target_link(t: &crate::plan::strategy::RunTarget) -> LinkSpec {
        t.link.parse().unwrap_or(LinkSpec::None)
    }

    /// The repository a cell's image and cache refs name: the registry's own, or
    /// for a linked cell the same repository on the link's proxy port. A link
    /// needs a registry on loopback (a remote one is reached over its own network,
    /// and over TLS that names its host).
    pub fn cell_repository(&mut self, cell: &Cell) -> anyhow::Result<String> {
        if !cell.has_link() {
            return Ok(self.registry.repository.clone());
        }
        let link: LinkSpec = cell.link.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
        anyhow::ensure!(
            self.registry.is_loopback(),
            "link {}: the registry {} is not on loopback; a link shapes cachebench's own \
             registry (run without --registry, or with --link none)",
            cell.link,
            self.registry.host
        );
        let upstream: SocketAddr = self
            .registry
            .host
            .replace("localhost", "127.0.0.1")
            .parse()
            .with_context(|| format!("registry address {}", self.registry.host))?;
        let listen = self.through_link(&link, upstream)?;
        let repo = self.registry.repo_name().to_string();
        Ok(format!("{listen}/{repo}"))
    }

    /// `reference` (`HOST:PORT/REPO:TAG`) with a proxy's address replaced by the
    /// registry's own, so footprints read the real registry.
    pub fn real_ref(&self, reference: &str) -> String {
        if let Some((host, rest)) = reference.split_once('/') {
            if self.links.upstream_of(host).is_some() {
                return format!("{}/{rest}", self.registry.host);
            }
        }
        reference.to_string()
    }

    /// The counters of the cell's link so far (all its routes), `None` for `none`
    /// or a link not started.
    pub fn link_counters(&self, cell: &Cell) -> Option<Counters> {
        self.links.counters(&cell.link)
    }

    /// Writes what went through the cell's link since `before` (taken with
    /// [`Session::link_counters`] before the measured commands) into the record;
    /// nothing for `none`.
    pub fn record_link_bytes(&self, cell: &Cell, before: Option<Counters>, rec: &mut RunRecord) {
        if let Ok(link) = cell.link.parse::<LinkSpec>() {
            if link.shape().is_some() {
                rec.link_figures = link.figures();
            }
        }
        if let (Some(before), Some(after)) = (before, self.link_counters(cell)) {
            let (up, down, connections) = counters_diff(&before, &after);
            rec.link_bytes_up = Some(up);
            rec.link_bytes_down = Some(down);
            rec.link_connections = Some(connections);
        }
    }
}

/// What went through the link between two snapshots: (up, down, connections).
pub fn counters_diff(before: &Counters, after: &Counters) -> (u64, u64, u64) {
    (
        after.bytes_up.saturating_sub(before.bytes_up),
        after.bytes_down.saturating_sub(before.bytes_down),
        after.connections.saturating_sub(before.connections),
    )
}

#[cfg(test)]
mod tests;
