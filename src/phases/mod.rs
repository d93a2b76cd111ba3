//! Splits a build's wall time into phases (context, base pull, cache import, steps,
//! image export, cache export, push, load, …) from the builder's own output.
//!
//! Feed each stderr line to a [`BuildOutputParser`] ([`RawJsonParser`] for
//! `docker buildx build --progress=rawjson`, [`LegacyParser`] for
//! `DOCKER_BUILDKIT=0 docker build`), take its [`Timeline`] with `finish`, then
//! call [`compute_phases`] with the wall window of the run. Phases import only
//! config, plan and records: the run (infra, run) feeds them.

pub mod bootstrap;
pub mod classify;
pub mod compute;
pub mod interval;
pub mod legacy;
pub mod phase;
pub mod rawjson;
pub mod timeline;
