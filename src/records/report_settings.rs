//! `OUT/report-settings.json`: how the report reads the records of a run, as the
//! run was asked (flags and scenario keys): the rule a fixed number of runs is read
//! with once (confidence and the practical margin; a `--reps auto` run's own rule,
//! in stopping.json, comes first), and the change mix the Decision weighs its
//! changes by ([`crate::config::change_mix`]). `cachebench report` may override both
//! for one rendering. With a `[cost]` table in the scenario, its prices too
//! ([`CostPrices`]), so `report` re-renders the cost estimate without the scenario.

use crate::error::Result;
use crate::stats::sequential::StopRule;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The file in OUT.
pub const REPORT_SETTINGS_JSON: &str = "report-settings.json";

/// How the report reads a run's records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportSettings {
    /// The rule of a reading (confidence, margin, its floor); runs stopped by
    /// `--reps auto` are read with their own rule instead.
    pub rule: StopRule,
    /// Weight of each change (`none`, `source`, `deps`) in the Decision's one
    /// answer per situation; weights are shares of the changes measured.
    pub change_mix: BTreeMap<String, f64>,
    /// The scenario's `[cost]` prices; absent: no cost is estimated or shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices: Option<CostPrices>,
}

/// The prices of the cost estimate, as the scenario gave them (checked by
/// [`crate::config::cost`]); cachebench has none of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostPrices {
    /// Per GB (10^9 bytes) stored for a month.
    pub storage_per_gb_month: f64,
    /// Per GB transferred to or from the cache.
    pub transfer_per_gb: f64,
    /// The label printed beside amounts.
    pub currency: String,
}

impl From<&crate::config::cost::Prices> for CostPrices {
    fn from(p: &crate::config::cost::Prices) -> Self {
        CostPrices {
            storage_per_gb_month: p.storage_per_gb_month,
            transfer_per_gb: p.transfer_per_gb,
            currency: p.currency.clone(),
        }
    }
}

impl CostPrices {
    /// Estimated monthly price of keeping `bytes` stored.
    pub fn storage_per_month(&self, bytes: u64) -> f64 {
        bytes as f64 / 1e9 * self.storage_per_gb_month
    }

    /// Price of moving `bytes`.
    pub fn transfer(&self, bytes: u64) -> f64 {
        bytes as f64 / 1e9 * self.transfer_per_gb
    }

    /// `0.0123 USD`: an amount with its label, four decimals (cache prices are small).
    pub fn amount(&self, value: f64) -> String {
        format!("{value:.4} {}", self.currency)
    }
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            rule: StopRule::default(),
            change_mix: crate::config::change_mix::default_mix(),
            prices: None,
        }
    }
}

/// `source 80%, deps 20%`: a mix in words, as shares of its total.
pub fn mix_words(mix: &BTreeMap<String, f64>) -> String {
    let total: f64 = mix.values().sum();
    let mut parts: Vec<(&String, f64)> = mix.iter().map(|(k, v)| (k, *v / total)).collect();
    parts.sort_by(|a, b| b.1.total_cmp(&a.1));
    parts
        .iter()
        .filter(|(_, w)| *w > 0.0)
        .map(|(k, w)| format!("{k} {:.0}%", w * 100.0))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes the settings into `out`.
pub fn write(out: &Path, s: &ReportSettings) -> std::io::Result<()> {
    crate::records::json_file::write(out, REPORT_SETTINGS_JSON, s)
}

/// The settings a run recorded; `None` when the file is absent (a folder written
/// before it existed: the defaults apply).
pub fn read(out: &Path) -> Result<Option<ReportSettings>> {
    crate::records::json_file::read(out, REPORT_SETTINGS_JSON)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_follow_the_given_prices() {
        let p = CostPrices {
            storage_per_gb_month: 0.5,
            transfer_per_gb: 2.0,
            currency: "EUR".into(),
        };
        assert_eq!(p.storage_per_month(2_000_000_000), 1.0);
        assert_eq!(p.transfer(500_000_000), 1.0);
        assert_eq!(p.amount(1.0), "1.0000 EUR");
    }

    #[test]
    fn mixes_read_in_words_as_shares_of_their_total() {
        let m = crate::config::change_mix::parse_mix("source=80, deps=20", "--change-mix").unwrap();
        assert_eq!(mix_words(&m), "source 80%, deps 20%");
        assert_eq!(
            mix_words(&crate::config::change_mix::default_mix()),
            "source 80%, deps 20%"
        );
    }

    #[test]
    fn settings_round_trip_and_a_missing_file_is_none() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(read(d.path()).unwrap(), None);
        let mut s = ReportSettings::default();
        write(d.path(), &s).unwrap();
        assert_eq!(read(d.path()).unwrap(), Some(s.clone()));
        s.prices = Some(CostPrices {
            storage_per_gb_month: 0.1,
            transfer_per_gb: 0.09,
            currency: "USD".into(),
        });
        write(d.path(), &s).unwrap();
        assert_eq!(read(d.path()).unwrap(), Some(s));
        // A file written before prices existed reads as no prices.
        std::fs::write(
            d.path().join(REPORT_SETTINGS_JSON),
            serde_json::to_string(&serde_json::json!({
                "rule": StopRule::default(), "change_mix": {"source": 1.0}
            }))
            .unwrap(),
        )
        .unwrap();
        assert_eq!(read(d.path()).unwrap().unwrap().prices, None);
    }
}
