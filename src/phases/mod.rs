//! Splits a build's wall time into phases (context, base pull, cache import, steps,
//! image export, cache export, push, load, …) from the builder's own output.
//!
//! Feed each stderr line to a [`timeline::BuildOutputParser`] ([`rawjson`] for
//! `docker buildx build --progress=rawjson`, [`legacy`] for `DOCKER_BUILDKIT=0
//! docker build`, [`bootstrap`] for `buildx create --bootstrap`), take its
//! [`timeline::Timeline`] with `finish`, then call [`compute::compute_phases`]
//! with the wall window of the run; [`classify`] names a vertex's phase and
//! [`interval`] does the interval arithmetic.
//!
//! May import: records (the layers are stated once, in the crate root).

pub mod bootstrap;
pub mod classify;
pub mod compute;
pub mod interval;
pub mod legacy;
pub mod output_format;
pub mod phase;
pub mod rawjson;
pub mod timeline;
