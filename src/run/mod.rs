//! Stage 4, the matrix and one run: drives the plan's cells through the
//! infrastructure. Data flows: [`out`] (the results folder, the workload id) →
//! [`setup`] (engine, registry, [`seed`]ed base images; teardown) → [`scheduler`]
//! (the matrix loop, through the [`executor`] seam: groups in [`rounds`], each
//! cell's runs a warm [`chain`], `--reps auto` stopping in [`auto`], the ETA in
//! [`eta`]) → [`policy`] (what repeated failures mean) → [`runner`] (one run:
//! [`workspace`], [`prepare`], [`empty`], [`measure`], over [`docker_exec`]) →
//! [`state_check`] (the run proves its state from the build's own records) →
//! [`transcript`] and [`console`] (what the user reads while it runs).

pub mod auto;
pub mod chain;
pub mod console;
pub mod docker_exec;
pub mod empty;
pub mod eta;
pub mod executor;
pub mod measure;
pub mod out;
pub mod policy;
pub mod prepare;
pub mod rounds;
pub mod runner;
pub mod scheduler;
pub mod seed;
pub mod setup;
pub mod state_check;
pub mod transcript;
pub mod workspace;
