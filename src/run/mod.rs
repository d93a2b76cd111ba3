//! The matrix and one run: drives the plan's cells through the infrastructure.
//! [`results_folder`] (OUT and the workload id) → [`setup`] (engine, registry,
//! [`base_images`]; teardown; [`environment_capture`] writes env.json) →
//! [`daemons`] (cachebench's own registry checked and restarted, the daemons' logs
//! kept in OUT) →
//! [`scheduler`] (the matrix loop, through the [`executor`] seam: groups in
//! [`rounds`], each cell's runs a warm [`chain`], `--reps auto` in
//! [`adaptive_reps`], the ETA in [`eta`], repeated failures in [`failure_policy`])
//! → [`runner`] (one run: [`workspace`], [`prepare`] and its [`change`],
//! [`local_state`], [`measure`], over [`docker_exec`]; the gha cache it talks to
//! in [`gha_service`], actions/cache's transfers in [`actions_cache`], every
//! remote cache reached through [`link_route`]) → [`state_check`] (the run
//! proves its state from the build's own records) → [`transcript`], [`console`] and
//! [`progress`] (what the user reads).
//!
//! May import: config, plan, records, phases, infra (the layers are stated once, in
//! the crate root).

pub mod actions_cache;
pub mod adaptive_reps;
pub mod base_images;
pub mod chain;
pub mod change;
pub mod console;
pub mod daemons;
pub mod docker_exec;
pub mod environment_capture;
pub mod eta;
pub mod executor;
pub mod failure_policy;
pub mod gha_service;
pub mod link_route;
pub mod local_state;
pub mod measure;
pub mod prepare;
pub mod progress;
pub mod results_folder;
pub mod rounds;
pub mod runner;
pub mod scheduler;
pub mod setup;
pub mod state_check;
pub mod transcript;
pub mod workspace;
