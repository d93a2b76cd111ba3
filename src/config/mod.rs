//! Configuration: everything a run is asked to do, before anything touches Docker.
//! [`cli`] (flags) and [`scenario`] (the scenario file: the project to build, its
//! changes, the axes) are merged and validated by [`options`], with the axes'
//! names in [`matrix`], `--reps N|auto` in [`reps`], and how a `source` or `deps`
//! change keeps its file valid in [`change_syntax`].
//!
//! May import: – (the layers are stated once, in the crate root).

pub mod change_mix;
pub mod change_syntax;
pub mod cli;
pub mod cost;
pub mod matrix;
pub mod options;
pub mod reps;
pub mod scenario;
