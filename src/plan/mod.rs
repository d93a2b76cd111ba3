//! Stage 2, the plan: turns validated options into the ordered list of cells to run.
//! Data flows in from [`crate::config`]: [`strategy`] (what each cache strategy adds to
//! a build command) and [`store`] (what an engine on each image store cannot do) →
//! [`cells`] (the matrix expanded into cells, with the facts of the machine) →
//! [`target`] (the names each run uses, for `plan` and `run` alike). Nothing here
//! touches Docker, and it imports only from config.

pub mod cells;
pub mod image_store;
pub mod strategy;
pub mod target;
