//! The best-effort local cache of the Decision (CodeBuild `LOCAL_DOCKER_LAYER_CACHE`:
//! the engine's layer store survives only when the job lands on a host that kept it).
//! With hit probability p the expected build time is E(p) = p·warm + (1 − p)·cold,
//! from the measured medians of the local strategy (`layer-cache`, else `buildkit`)
//! warm-local and cold; it beats a remote cache R (its warm-remote median, the job's
//! time: with actions/cache's restore and save for a local cache folder) when p is
//! above p* = (cold − R)/(cold − warm).

use crate::report::analysis::Analysis;
use crate::report::decision::options::{cells_of, cold_median, option_with_transfers};
use crate::report::decision::REMOTE_CACHES;
use crate::stats::summary::round3;
use serde::{Deserialize, Serialize};

/// Local strategies, in order of preference.
pub const LOCAL: [&str; 2] = ["layer-cache", "buildkit"];

/// The hit probabilities of the table.
pub const HIT_PROBABILITIES: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

/// E(p) at one hit probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    pub p: f64,
    pub expected_ms: f64,
}

/// Where the local cache starts to beat one remote cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakEven {
    /// The remote cache.
    pub strategy: String,
    /// Its warm-remote median, ms (the job's time, transfers counted).
    pub remote_ms: f64,
    /// The local cache is faster on average when p > `p_star` (0: always, since the
    /// remote cache is no faster than a miss); `None`: never, since the remote
    /// cache is faster than even a hit.
    pub p_star: Option<f64>,
}

/// The best-effort local cache of one image store × builder × change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BestEffort {
    pub image_store: String,
    pub builder: String,
    pub change: String,
    /// The local strategy whose medians are used.
    pub strategy: String,
    /// Its cold median (a miss), ms.
    pub cold_ms: f64,
    /// Its warm-local median (a hit), ms.
    pub warm_ms: f64,
    pub expected: Vec<Expected>,
    pub break_even: Vec<BreakEven>,
}

/// E(p).
pub fn expected(p: f64, warm: f64, cold: f64) -> f64 {
    p * warm + (1.0 - p) * cold
}

/// p* against a remote cache of median `remote` (see [`BreakEven::p_star`]).
pub fn p_star(warm: f64, cold: f64, remote: f64) -> Option<f64> {
    if remote >= cold {
        return Some(0.0);
    }
    if remote <= warm || cold <= warm {
        return None;
    }
    Some(round3((cold - remote) / (cold - warm)))
}

/// The median wall time of `strategy` in `state` for the store × builder × change `k`.
fn state_median(
    a: &Analysis,
    strategy: &str,
    state: &str,
    k: &(String, String, String),
) -> Option<f64> {
    a.cells
        .iter()
        .find(|c| {
            c.key.strategy == strategy
                && c.key.state == state
                && c.key.image_store == k.0
                && c.key.builder == k.1
                && c.key.change == k.2
        })
        .and_then(|c| c.wall.as_ref())
        .map(|w| w.median)
}

/// The best-effort local cache of every image store × builder × change with a
/// local strategy measured cold and warm-local.
pub fn best_effort(a: &Analysis) -> Vec<BestEffort> {
    let mut scopes: Vec<(String, String, String)> = vec![];
    for c in a.cells.iter().filter(|c| c.key.state == "warm-local") {
        let k = (
            c.key.image_store.clone(),
            c.key.builder.clone(),
            c.key.change.clone(),
        );
        if !scopes.contains(&k) {
            scopes.push(k);
        }
    }
    scopes
        .into_iter()
        .filter_map(|k| {
            let (strategy, warm, cold) = LOCAL.iter().find_map(|s| {
                let warm = state_median(a, s, "warm-local", &k)?;
                let cold = cold_median(a, s, &k.1, &k.0)?;
                Some((s.to_string(), warm, cold))
            })?;
            let break_even = REMOTE_CACHES
                .iter()
                .filter_map(|r| {
                    // The job's time: a local cache restored and saved by
                    // actions/cache pays its transfers on an ephemeral runner.
                    let remote =
                        option_with_transfers(&cells_of(a, r, &k.1, &k.0, "warm-remote", &k.2))?
                            .median_ms;
                    Some(BreakEven {
                        strategy: r.to_string(),
                        remote_ms: remote,
                        p_star: p_star(warm, cold, remote),
                    })
                })
                .collect();
            Some(BestEffort {
                image_store: k.0,
                builder: k.1,
                change: k.2,
                strategy,
                cold_ms: cold,
                warm_ms: warm,
                expected: HIT_PROBABILITIES
                    .iter()
                    .map(|&p| Expected {
                        p,
                        expected_ms: round3(expected(p, warm, cold)),
                    })
                    .collect(),
                break_even,
            })
        })
        .collect()
}
