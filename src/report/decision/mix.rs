//! One answer per situation and image store × builder, across the changes measured:
//! a pipeline cannot switch its cache per commit. Each change's scope is settled by
//! the one rule; when every change picks the same option, that is the answer, as
//! settled as its least settled change. When they differ, the answer is the option
//! with the lowest expected time under the change mix (a scenario key and flag; by
//! default 80% source, 20% deps), weights taken as shares of the changes measured,
//! and the answer says where the per-change verdicts disagree. Beneath it, what the
//! pick saves or costs on each change.

use crate::report::analysis::Analysis;
use crate::report::decision::{pick_of, Scope};
use crate::stats::summary::round3;
use crate::stats::verdict::Verdict;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the pick does on one change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnChange {
    pub change: String,
    /// The weight of the change in the mix (a share of the changes measured).
    pub weight: f64,
    /// The pick's median on this change, ms.
    pub median_ms: f64,
    /// Saved against no cache (negative: it costs), ms and %; absent without a
    /// no-cache measurement.
    pub saving_ms: Option<f64>,
    pub saving_pct: Option<f64>,
    /// The change's own verdict.
    pub verdict: Verdict<String>,
    /// The change's own pick, when it differs from the answer's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_pick: Option<String>,
}

/// The answer of one image store × builder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub image_store: String,
    pub builder: String,
    /// The option to adopt (`no-cache` for building with no cache).
    pub pick: String,
    /// Its strategy (the plain build behind `no-cache`).
    pub strategy: String,
    /// Every change picks it, each settled.
    pub settled: bool,
    /// Every change picks it (settled or not).
    pub unanimous: bool,
    /// Expected time under the mix, ms, of every option measured on every change,
    /// fastest first.
    pub expected: Vec<(String, f64)>,
    pub on_change: Vec<OnChange>,
}

/// Weights of the changes present, as shares: the mix's, or equal shares when the
/// mix weighs none of them.
pub fn weights(mix: &BTreeMap<String, f64>, changes: &[&str]) -> Vec<f64> {
    let raw: Vec<f64> = changes
        .iter()
        .map(|c| mix.get(*c).copied().unwrap_or(0.0))
        .collect();
    let total: f64 = raw.iter().sum();
    if total > 0.0 {
        raw.iter().map(|w| w / total).collect()
    } else {
        vec![1.0 / changes.len().max(1) as f64; changes.len()]
    }
}

/// One answer per image store × builder of the scopes.
pub fn answers(a: &Analysis, scopes: &[Scope]) -> Vec<Answer> {
    let mut keys: Vec<(&str, &str)> = vec![];
    for s in scopes {
        let k = (s.image_store.as_str(), s.builder.as_str());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .filter_map(|(store, builder)| {
            let these: Vec<&Scope> = scopes
                .iter()
                .filter(|s| s.image_store == store && s.builder == builder)
                .collect();
            answer(a, store, builder, &these)
        })
        .collect()
}

fn answer(a: &Analysis, store: &str, builder: &str, scopes: &[&Scope]) -> Option<Answer> {
    let changes: Vec<&str> = scopes.iter().map(|s| s.change.as_str()).collect();
    let w = weights(&a.change_mix, &changes);
    // Options measured on every change, with their expected time under the mix.
    let mut expected: Vec<(String, f64)> = scopes
        .first()?
        .options
        .iter()
        .filter_map(|o| {
            let mut sum = 0.0;
            for (s, wt) in scopes.iter().zip(&w) {
                sum += wt * s.options.iter().find(|x| x.id() == o.id())?.median_ms;
            }
            Some((o.id().to_string(), round3(sum)))
        })
        .collect();
    expected.sort_by(|x, y| x.1.total_cmp(&y.1));
    let picks: Vec<Option<&str>> = scopes.iter().map(|s| pick_of(&s.verdict)).collect();
    let unanimous = picks.windows(2).all(|p| p[0] == p[1]) && picks[0].is_some();
    let pick = if unanimous {
        picks[0]?.to_string()
    } else {
        expected.first()?.0.clone()
    };
    let settled = unanimous && scopes.iter().all(|s| s.verdict.is_settled());
    let on_change: Vec<OnChange> = scopes
        .iter()
        .zip(&w)
        .zip(&picks)
        .filter_map(|((s, wt), own)| {
            let o = s.options.iter().find(|o| o.id() == pick)?;
            Some(OnChange {
                change: s.change.clone(),
                weight: round3(*wt),
                median_ms: o.median_ms,
                saving_ms: o.saving_ms,
                saving_pct: o.saving_pct,
                verdict: s.verdict.clone(),
                own_pick: own.filter(|p| *p != pick).map(String::from),
            })
        })
        .collect();
    let strategy = scopes
        .iter()
        .find_map(|s| s.options.iter().find(|o| o.id() == pick))
        .map(|o| o.strategy.clone())
        .unwrap_or_else(|| pick.clone());
    Some(Answer {
        image_store: store.to_string(),
        builder: builder.to_string(),
        pick,
        strategy,
        settled,
        unanimous,
        expected,
        on_change,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_shares_of_the_changes_measured() {
        let mix: BTreeMap<String, f64> = [("source".into(), 0.8), ("deps".into(), 0.2)].into();
        assert_eq!(weights(&mix, &["source", "deps"]), vec![0.8, 0.2]);
        assert_eq!(weights(&mix, &["source"]), vec![1.0]);
        // A change the mix does not weigh, alone: equal shares.
        assert_eq!(weights(&mix, &["none"]), vec![1.0]);
        let w = weights(&mix, &["none", "deps"]);
        assert_eq!(w, vec![0.0, 1.0]);
    }
}
