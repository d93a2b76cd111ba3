//! Statistics beneath every stage: [`summary`] describes one sample of run times
//! (median, intervals, outliers, ratios); [`verdict`] is the one vocabulary for what
//! a set of options' runs say; [`sequential`] is the rule that gives it (the stop
//! rule of `--reps auto`, which every reading of the data shares); [`two_cells`]
//! compares two cells beneath it (paired by round, else Welch); [`drift`] says
//! whether a cell's advantage lies only in `steps` (drift in the build, not the
//! cache).

pub mod drift;
pub mod sequential;
pub mod summary;
pub mod two_cells;
pub mod verdict;
