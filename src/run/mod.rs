//! Stage 4, the matrix and one run: drives the plan's cells through the
//! infrastructure. Data flows: [`out`] (the results folder, the workload id) →
//! [`setup`] (engine, registry, [`seed`]ed base images; teardown) → [`scheduler`]
//! (the matrix loop, through the [`executor`] seam: groups in [`rounds`], each
//! cell's runs a warm [`chain`], `--reps auto` stopping in [`auto`], the ETA in
//! [`eta`]) → [`policy`] (what repeated failures mean) → [`runner`] (one run:
//! [`workspace`], [`prepare`], [`empty`], [`measure`], over [`docker_exec`]) →
//! [`state_check`] (the run proves its state from the build's own records) →
//! [`transcript`] and [`console`] (what the user reads while it runs).

pub mod adaptive_reps;
pub mod base_images;
pub mod chain;
pub mod console;
pub mod docker_exec;
pub mod environment_capture;
pub mod eta;
pub mod executor;
pub mod failure_policy;
pub mod local_state;
pub mod measure;
pub mod prepare;
pub mod results_folder;
pub mod rounds;
pub mod runner;
pub mod scheduler;
pub mod setup;
pub mod state_check;
pub mod transcript;
pub mod workspace;
