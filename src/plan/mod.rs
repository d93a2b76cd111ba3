//! The plan: validated options turned into the ordered list of cells to run.
//! [`strategy`] (what each cache strategy adds to a build command) and
//! [`image_store`] (what an engine on each image store cannot do) feed [`cells`]
//! (the matrix expanded into cells, with the facts of the machine); [`target`]
//! names what each run makes, for `plan` and `run` alike; [`shard`] splits the plan
//! into parts that run on separate machines. Nothing here touches
//! Docker.
//!
//! May import: config (the layers are stated once, in the crate root).

pub mod cells;
pub mod image_store;
pub mod shard;
pub mod strategy;
pub mod target;
