//! `run.cache_mode` / `--cache-mode` (what cache exports keep) and the `[cost]`
//! table (the optional cost estimate's prices), merged and checked with the key
//! path in every error.

use super::checks::Keys;
use crate::config::cli::RunArgs;
use crate::config::cost::{check_currency, check_price, Prices, DEFAULT_CURRENCY};
use crate::config::matrix::CacheMode;
use crate::config::scenario::Scenario;
use crate::error::{Error, Result};

/// `--cache-mode`, else `run.cache_mode`, else `max` (what cachebench always used).
pub(super) fn cache_mode(sc: &Scenario, args: &RunArgs, keys: &Keys) -> Result<CacheMode> {
    match (&args.cache_mode, &sc.run.cache_mode) {
        (Some(m), _) => Ok(*m),
        (None, Some(v)) => v
            .get_ref()
            .parse()
            .map_err(|e| Error::usage(format!("{}: {e}", keys.at("run.cache_mode", v.span())))),
        (None, None) => Ok(CacheMode::Max),
    }
}

/// The `[cost]` prices, or `None` when the table is absent. A table without any
/// price is refused: it would estimate nothing.
pub(super) fn prices(sc: &Scenario, keys: &Keys) -> Result<Option<Prices>> {
    let Some(c) = &sc.cost else {
        return Ok(None);
    };
    let price = |k: &str, v: &Option<toml::Spanned<f64>>| -> Result<f64> {
        match v {
            None => Ok(0.0),
            Some(v) => check_price(*v.get_ref())
                .map_err(|e| Error::usage(format!("{}: {e}", keys.at(k, v.span())))),
        }
    };
    if c.storage_per_gb_month.is_none() && c.transfer_per_gb.is_none() {
        return Err(Error::usage(format!(
            "{}: give cost.storage_per_gb_month and/or cost.transfer_per_gb, or remove [cost]",
            keys.name("cost")
        )));
    }
    let currency = match &c.currency {
        None => DEFAULT_CURRENCY.to_string(),
        Some(v) => check_currency(v.get_ref())
            .map_err(|e| Error::usage(format!("{}: {e}", keys.at("cost.currency", v.span()))))?,
    };
    Ok(Some(Prices {
        storage_per_gb_month: price("cost.storage_per_gb_month", &c.storage_per_gb_month)?,
        transfer_per_gb: price("cost.transfer_per_gb", &c.transfer_per_gb)?,
        currency,
    }))
}
