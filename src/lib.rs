//! cachebench: benchmarks Docker build cache strategies against a real engine and a
//! real registry, and reports which one a team should adopt.
//!
//! Flow (as in hyperfine): [`cli`] → [`options`] → [`plan`] → [`runner`] (one run)
//! → [`scheduler`] (the matrix, through the [`executor`] seam) → [`results`]
//! (records on disk) → `report` (statistics and exporters, re-rendered from records
//! alone). [`phases`] turns a build's output into the time of each phase.

pub mod app;
pub mod builder;
pub mod buildkit_image;
pub mod cli;
pub mod console;
pub mod doctor;
pub mod engine;
pub mod error;
pub mod executor;
pub mod http;
pub mod leftovers;
pub mod matrix;
pub mod network;
pub mod options;
pub mod phases;
pub mod pipe;
pub mod plan;
pub mod policy;
pub mod process;
pub mod record;
pub mod redact;
pub mod registry;
pub mod report;
pub mod reporting;
pub mod results;
pub mod resume;
pub mod runner;
pub mod scenario;
pub mod scheduler;
pub mod state_check;
pub mod store;
pub mod strategy;
pub mod transcript;
pub mod workspace;
