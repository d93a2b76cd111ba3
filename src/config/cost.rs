//! The optional cost estimate's prices: the scenario's `[cost]` table as written
//! ([`CostSection`]) and checked ([`Prices`]). cachebench knows no prices of its
//! own: without the table no cost is estimated or shown.
//!
//! ```toml
//! [cost]
//! storage_per_gb_month = 0.10   # per GB (10^9 bytes) stored for a month
//! transfer_per_gb = 0.09        # per GB moved to or from the cache
//! currency = "USD"              # a label only
//! ```

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// `[cost]` as written in the scenario file.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CostSection {
    /// Price of one GB (10^9 bytes) stored for a month.
    pub storage_per_gb_month: Option<Spanned<f64>>,
    /// Price of one GB transferred to or from the cache.
    pub transfer_per_gb: Option<Spanned<f64>>,
    /// Label printed beside amounts (`USD`, `EUR`); default `currency units`.
    pub currency: Option<Spanned<String>>,
}

/// Checked prices: finite and not negative; a missing price is 0. What they cost
/// is reckoned from the copy in report-settings.json
/// (`CostPrices` in records/report_settings.rs), which the report reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prices {
    pub storage_per_gb_month: f64,
    pub transfer_per_gb: f64,
    pub currency: String,
}

/// The label used when `cost.currency` is not given.
pub const DEFAULT_CURRENCY: &str = "currency units";

/// Checks one price: `Err(why)` when it is not a finite, non-negative number.
pub fn check_price(value: f64) -> std::result::Result<f64, String> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(format!(
            "price {value} must be a finite number of at least 0"
        ))
    }
}

/// Checks a currency label: 1-16 printable characters, no line break.
pub fn check_currency(value: &str) -> std::result::Result<String, String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > 16 || v.chars().any(char::is_control) {
        Err(format!(
            "currency `{}` must be 1-16 printable characters, e.g. \"USD\"",
            value.escape_debug()
        ))
    } else {
        Ok(v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_prices_and_labels_are_refused() {
        assert!(check_price(-1.0).is_err());
        assert!(check_price(f64::NAN).is_err());
        assert_eq!(check_price(0.0), Ok(0.0));
        assert!(check_currency("").is_err());
        assert!(check_currency("a\nb").is_err());
        assert_eq!(check_currency(" USD ").unwrap(), "USD");
    }
}
