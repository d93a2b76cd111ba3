//! The links of one matrix and their routes: one [`Link`] per distinct link value
//! (by its canonical name), started on first use and shared by every route of that
//! value, and one route per link and upstream, made once. What the run layer keeps
//! in its session (`run/link_route.rs` wires it into runs).

use super::counters::Counters;
use super::proxy::Link;
use super::spec::LinkSpec;
use std::net::SocketAddr;

/// The links started so far and their routes.
#[derive(Default)]
pub struct LinkRoutes {
    links: Vec<(String, Link)>,
    /// (link, upstream, the proxy's address).
    routes: Vec<(String, SocketAddr, SocketAddr)>,
    /// The plain-HTTP registries buildkitd.toml lists besides the proxies, and its
    /// docker.io mirror: what it is rewritten with when a route is added.
    pub http_hosts: Vec<String>,
    pub mirror: Option<String>,
}

impl LinkRoutes {
    pub fn new(http_hosts: &[&str], mirror: Option<&str>) -> LinkRoutes {
        LinkRoutes {
            http_hosts: http_hosts.iter().map(|h| h.to_string()).collect(),
            mirror: mirror.map(str::to_string),
            ..Default::default()
        }
    }

    /// The address to use in `upstream`'s stead over `link`: `upstream` itself for
    /// `none`; else the link's route to it, started (link and route) on first use.
    /// The second value is true when a route was made by this call.
    pub fn route(
        &mut self,
        link: &LinkSpec,
        upstream: SocketAddr,
    ) -> std::io::Result<(SocketAddr, bool)> {
        let Some(shape) = link.shape() else {
            return Ok((upstream, false));
        };
        let name = link.to_string();
        if let Some((_, _, listen)) = self
            .routes
            .iter()
            .find(|(l, u, _)| *l == name && *u == upstream)
        {
            return Ok((*listen, false));
        }
        let at = match self.links.iter().position(|(l, _)| *l == name) {
            Some(i) => i,
            None => {
                self.links.push((name.clone(), Link::start(shape)?));
                self.links.len() - 1
            }
        };
        let listen = self.links[at].1.proxy(upstream)?;
        self.routes.push((name, upstream, listen));
        Ok((listen, true))
    }

    /// Every proxy address made so far.
    pub fn listens(&self) -> Vec<SocketAddr> {
        self.routes.iter().map(|(_, _, l)| *l).collect()
    }

    /// The upstream a proxy address forwards to.
    pub fn upstream_of(&self, listen: &str) -> Option<SocketAddr> {
        self.routes
            .iter()
            .find(|(_, _, l)| l.to_string() == listen)
            .map(|(_, u, _)| *u)
    }

    /// The total counts of the link named `name` so far; `None` when it was not
    /// started (or is `none`).
    pub fn counters(&self, name: &str) -> Option<Counters> {
        self.links
            .iter()
            .find(|(l, _)| l == name)
            .map(|(_, link)| link.snapshot().total)
    }
}
