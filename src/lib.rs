//! cachebench: benchmarks Docker build cache strategies against a real engine and a
//! real registry, and reports which one a team should adopt.
//!
//! Flow (as in hyperfine): [`cli`] → [`options`] → [`plan`] → [`runner`] (one run)
//! → [`scheduler`] (the matrix) → [`results`] (records on disk) → [`report`]
//! (statistics and exporters, re-rendered from records alone).

pub mod error;
pub mod record;
pub mod report;
