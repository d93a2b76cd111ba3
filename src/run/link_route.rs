//! The one door between a build (or a transfer cachebench makes for it) and a
//! remote cache: [`Session::through_link`] returns the address to use in place of
//! the cache's own. This version is a pass-through: the address is the cache's
//! own, nothing is in the path. The shaped version (`--link`, over
//! [`crate::infra::link`]) keeps this signature, so its callers (the gha cache
//! stand-in, actions/cache's transfers) need no change.

use crate::infra::link::spec::LinkSpec;
use crate::run::runner::Session;
use std::net::SocketAddr;

impl Session {
    /// The address a build reaches `upstream` at over `link`; here always
    /// `upstream` itself (no proxy).
    pub fn through_link(
        &mut self,
        link: &LinkSpec,
        upstream: SocketAddr,
    ) -> anyhow::Result<SocketAddr> {
        let _ = link;
        Ok(upstream)
    }

    /// The link the running cell's remote caches sit behind (`none` until the link
    /// is an axis of the matrix).
    pub fn cell_link(&self) -> LinkSpec {
        LinkSpec::None
    }
}
