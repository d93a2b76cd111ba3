//! Stage 4, the matrix and one run: drives the plan's cells through the
//! infrastructure. Data flows: [`scheduler`] (the matrix loop, through the
//! [`executor`] seam) → [`policy`] (retries and what a failure means) →
//! [`workspace`] (the build context of one run) → [`runner`] (one build) →
//! [`state_check`] (the run proves its state from the build's own records) →
//! [`transcript`] and [`console`] (what the user reads while it runs).

pub mod console;
pub mod executor;
pub mod policy;
pub mod runner;
pub mod scheduler;
pub mod state_check;
pub mod transcript;
pub mod workspace;
