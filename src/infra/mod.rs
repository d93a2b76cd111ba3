//! The real parts a plan runs against. Low level first: [`process`] (children in
//! their own process group, pipelines, what a second Ctrl-C ends) and [`http`] (a
//! loopback HTTP client); then [`network`] (the engine's bridge, firewall, probes),
//! [`engine`] (the dockerd cachebench starts, or one it is given), [`registry`],
//! [`buildkit_image`] and [`builder`]; [`cpu_time`] (what the hypervisor took
//! during a run); and [`leftovers`] (finding and removing only
//! what cachebench created). It knows nothing of the matrix loop or reports.
//!
//! May import: config, plan, records, phases (the layers are stated once, in the
//! crate root).

pub mod actions_cache;
pub mod builder;
pub mod buildkit_image;
pub mod cpu_time;
pub mod egress_probe;
pub mod engine;
pub mod gha_cache;
pub mod http;
pub mod leftovers;
pub mod link;
pub mod network;
pub mod process;
pub mod registry;
