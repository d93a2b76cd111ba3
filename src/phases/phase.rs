//! The attributable build phases, their report names, and the precedence that
//! decides which phase owns an instant when intervals of several phases overlap.

use serde::{Deserialize, Serialize};

/// A phase time can be attributed to. `other` is not a phase: it is whatever part
/// of the wall window no phase covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    BuilderCreate,
    Context,
    BasePull,
    CacheImport,
    Steps,
    ImageExport,
    CacheExport,
    Push,
    Load,
    /// The client's start: process start to the build's first progress event
    /// (CLI start-up, connecting to the builder, session set-up).
    ClientStart,
    /// The client's end: the build's last progress event to the process exit.
    ClientEnd,
}

impl Phase {
    /// How many phases there are (`other` is not one: it is what none explains).
    pub const COUNT: usize = 11;

    /// Every phase, in report order (the order of [`crate::records::phase_times::Phases::named`]).
    pub const ALL: [Phase; Phase::COUNT] = [
        Phase::BuilderCreate,
        Phase::Context,
        Phase::BasePull,
        Phase::CacheImport,
        Phase::Steps,
        Phase::ImageExport,
        Phase::CacheExport,
        Phase::Push,
        Phase::Load,
        Phase::ClientStart,
        Phase::ClientEnd,
    ];

    /// Overlap precedence, highest first. When intervals of several phases cover
    /// the same instant, the instant goes to the phase that comes first here:
    ///
    /// 1. `builder_create` – nothing else can run before the builder exists.
    /// 2. `push` – pushes run inside `exporting to image`; they are the network part.
    /// 3. `load` – `sending tarball` / `unpacking to …` also run inside the exporter.
    /// 4. `cache_import` – cache-manifest import and cached-layer downloads.
    /// 5. `cache_export` – `exporting cache …`, inline-cache preparation.
    /// 6. `base_pull` – base image metadata and layers; wins over a step of another
    ///    stage running at the same time (the pull is the transfer a cache avoids).
    /// 7. `context` – loading the definition and context, often parallel to the pull.
    /// 8. `steps` – executed or cached `[n/m]` steps.
    /// 9. `image_export` – the broadest, enclosing vertex: it only keeps what is
    ///    left of `exporting to image` once pushes, loads and cache work are removed.
    pub const PRECEDENCE: [Phase; Phase::COUNT] = [
        Phase::BuilderCreate,
        Phase::Push,
        Phase::Load,
        Phase::CacheImport,
        Phase::CacheExport,
        Phase::BasePull,
        Phase::Context,
        Phase::Steps,
        Phase::ImageExport,
        Phase::ClientStart,
        Phase::ClientEnd,
    ];

    /// Report name (the `*_ms` column without its suffix).
    pub fn name(self) -> &'static str {
        match self {
            Phase::BuilderCreate => "builder_create",
            Phase::Context => "context",
            Phase::BasePull => "base_pull",
            Phase::CacheImport => "cache_import",
            Phase::Steps => "steps",
            Phase::ImageExport => "image_export",
            Phase::CacheExport => "cache_export",
            Phase::Push => "push",
            Phase::Load => "load",
            Phase::ClientStart => "client_start",
            Phase::ClientEnd => "client_end",
        }
    }

    /// Index into [`Phase::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Rank in [`Phase::PRECEDENCE`]: 0 wins over everything.
    pub fn rank(self) -> usize {
        Phase::PRECEDENCE
            .iter()
            .position(|p| *p == self)
            .unwrap_or(usize::MAX)
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_index_order_and_precedence_is_a_permutation() {
        for (i, p) in Phase::ALL.iter().enumerate() {
            assert_eq!(p.index(), i);
            assert!(p.rank() < Phase::COUNT);
        }
        let mut ranks: Vec<_> = Phase::ALL.iter().map(|p| p.rank()).collect();
        ranks.sort();
        assert_eq!(ranks, (0..Phase::COUNT).collect::<Vec<_>>());
    }

    #[test]
    fn names_match_record_columns() {
        use crate::records::{phase_times::Phases, results_writer::CSV_COLUMNS};
        let named: Vec<&str> = Phases::default().named().iter().map(|(n, _)| *n).collect();
        let mut want: Vec<&str> = Phase::ALL.iter().map(|p| p.name()).collect();
        want.push("other");
        assert_eq!(named, want, "every phase, in order, then `other`");
        for n in named {
            let column = format!("{n}_ms");
            assert!(
                CSV_COLUMNS.contains(&column.as_str()),
                "runs.csv has no column `{column}`"
            );
        }
    }
}
