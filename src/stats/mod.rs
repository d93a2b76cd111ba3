//! Statistics beneath every stage: [`summary`] describes one sample of run times
//! (median, intervals, outliers, ratios); [`sequential`] is the stop rule of
//! `--reps auto`, which compares the cells of one state after every round and says
//! whether the verdict is settled (a winner, a tie) or still open (leaning, and
//! about how many more runs would settle it); [`drift`] says whether a cell's
//! advantage lies only in `steps` (drift in the build, not the cache); [`welch`]
//! holds the Welch comparisons beneath both. No logic
//! lives here.

pub mod drift;
pub mod sequential;
pub mod summary;
pub mod welch;
