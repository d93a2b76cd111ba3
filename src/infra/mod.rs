//! Stage 3, Docker-facing infrastructure: the real parts a plan runs against. Low
//! level first: [`process`] (children in their own process group), [`pipe`], [`http`]
//! → [`network`] (bridge, firewall, probes) → [`engine`] (the dockerd cachebench
//! starts), [`registry`], [`buildkit_image`], [`builder`] → [`leftovers`] (finding
//! and removing only what cachebench created). In the imports it sits above
//! config, plan, records and phases (it redacts with the records' rules and fills
//! env.json's layout); it knows nothing of the matrix loop or reports.

pub mod builder;
pub mod buildkit_image;
pub mod engine;
pub mod gha_cache;
pub mod http;
pub mod leftovers;
pub mod network;
pub mod pipe;
pub mod process;
pub mod registry;
