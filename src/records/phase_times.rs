//! The time of each phase of one run, as records carry it: the phases the build's
//! own output splits its wall time into ([`crate::phases`]), and actions/cache's
//! transfers around it.

use serde::{Deserialize, Serialize};

/// Time per phase of one run, in milliseconds. `None` where the phase was not
/// measured (for example no phase breakdown for a skipped run).
///
/// Phases are computed from the union of intervals so that parallel vertices are
/// not counted twice; `other_ms` is wall time minus the union of every attributed
/// interval.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Phases {
    pub builder_create_ms: Option<u64>,
    pub context_ms: Option<u64>,
    pub base_pull_ms: Option<u64>,
    pub cache_import_ms: Option<u64>,
    pub steps_ms: Option<u64>,
    pub image_export_ms: Option<u64>,
    pub cache_export_ms: Option<u64>,
    pub push_ms: Option<u64>,
    pub load_ms: Option<u64>,
    /// Process start of a build command to its first progress event.
    #[serde(default)]
    pub client_start_ms: Option<u64>,
    /// Its last progress event to the process exit.
    #[serde(default)]
    pub client_end_ms: Option<u64>,
    pub other_ms: Option<u64>,
    /// actions/cache's restore before the build (download the archive, unpack it):
    /// outside the build's wall window, so not in the sum of [`Phases::named`];
    /// measured for local-cache on warm-remote (an ephemeral runner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_restore_ms: Option<u64>,
    /// actions/cache's save after the build (pack the folder, upload it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_save_ms: Option<u64>,
}

impl Phases {
    /// The phases a CI job pays outside the build (actions/cache's restore and
    /// save), in the order they happen.
    pub fn transfers(&self) -> [(&'static str, Option<u64>); 2] {
        [
            ("cache_restore", self.cache_restore_ms),
            ("cache_save", self.cache_save_ms),
        ]
    }

    /// The transfers' time, when any was measured.
    pub fn transfers_ms(&self) -> Option<u64> {
        let t = self.transfers();
        t.iter()
            .any(|(_, v)| v.is_some())
            .then(|| t.iter().map(|(_, v)| v.unwrap_or(0)).sum())
    }

    /// Phase names in report order, paired with their values.
    pub fn named(&self) -> [(&'static str, Option<u64>); 12] {
        [
            ("builder_create", self.builder_create_ms),
            ("context", self.context_ms),
            ("base_pull", self.base_pull_ms),
            ("cache_import", self.cache_import_ms),
            ("steps", self.steps_ms),
            ("image_export", self.image_export_ms),
            ("cache_export", self.cache_export_ms),
            ("push", self.push_ms),
            ("load", self.load_ms),
            ("client_start", self.client_start_ms),
            ("client_end", self.client_end_ms),
            ("other", self.other_ms),
        ]
    }
}
