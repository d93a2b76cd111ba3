//! Statistics beneath every stage: [`summary`] describes one sample of run times
//! (median, intervals, outliers, ratios); [`sequential`] is the stop rule of
//! `--reps auto`, which compares the cells of one state after every round and says
//! whether the verdict is settled (a winner, a tie) or still open (leaning, and
//! about how many more runs would settle it). No logic lives here.

pub mod sequential;
pub mod summary;

pub use sequential::{leaning, Settled, StopRule};
pub use summary::*;
