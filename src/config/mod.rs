//! Stage 1, configuration: everything a run is asked to do, before anything touches
//! Docker. Data flows in this order: [`cli`] (flags) → [`options`] (flags merged with
//! the options file, validated) → [`scenario`] (the project to build and its changes)
//! → [`matrix`] (the axes: strategies, builders, states, changes), with [`reps`]
//! (`--reps N|auto` and the settings of `--reps auto`).

pub mod cli;
pub mod matrix;
pub mod options;
pub mod reps;
pub mod scenario;
