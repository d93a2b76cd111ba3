//! The Decision: what a team should put in its workflow, per CI situation, from the
//! cells' statistics. Three situations:
//!
//! - **ephemeral runner** (every job starts empty): building with no cache (the cold
//!   cell of a plain build) against each remote cache in warm-remote;
//! - **warm host** (self-hosted, or a CodeBuild host whose local cache hit): the
//!   warm-local cells;
//! - **best-effort local cache** (CodeBuild `LOCAL_DOCKER_LAYER_CACHE`): the expected
//!   time E(p) = p·warm + (1 − p)·cold at hit probability p, and the p above which it
//!   beats each remote cache (see [`crate::report::decision::local`]).
//!
//! Each situation is decided per image store × builder × change (what changed is a
//! dimension of the decision). A cold state makes the change irrelevant, so cold
//! cells are matched by strategy, builder and store whatever their change, and the
//! samples of a strategy's cold cells are pooled. Verdicts are settled by
//! [`crate::report::decision::settle`].

pub mod local;
pub mod markdown;
pub mod options;
pub mod per_state;
pub mod sentences;
pub mod settle;
#[cfg(test)]
mod tests;

use crate::report::analysis::Analysis;
use crate::report::decision::local::BestEffort;
use crate::report::decision::options::{cells_of, cold_median, no_cache, option, OptionStats};
use crate::report::decision::per_state::StateVerdict;
use crate::report::decision::settle::{reading_rule, settle_with_no_cache, steps_noise, Call};
use crate::stats;
use serde::{Deserialize, Serialize};

/// Strategies that export a remote cache a fresh runner can import.
pub const REMOTE_CACHES: [&str; 4] = ["registry-cache", "local-cache", "inline-cache", "gha-cache"];

/// Plain builds that export no cache, in order of preference as the "no cache"
/// baseline (`buildkit` is what `docker build` does today).
pub const NO_CACHE: [&str; 3] = ["buildkit", "legacy", "layer-cache"];

/// One image store × builder × change of a situation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scope {
    pub image_store: String,
    pub builder: String,
    pub change: String,
    /// Fastest first.
    pub options: Vec<OptionStats>,
    /// The no-cache median, ms, when a plain cold build was measured.
    pub no_cache_ms: Option<f64>,
    pub call: Call,
    /// Plain sentences: a cache that does not pay, a difference that is noise.
    pub notes: Vec<String>,
}

impl Scope {
    /// The option the call recommends (the winner, the leaning one, or the fastest
    /// of a tie).
    pub fn pick(&self) -> Option<&OptionStats> {
        let name = self.call.strategy()?;
        self.options.iter().find(|o| o.id() == name)
    }
}

/// Which CI situation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SituationKind {
    EphemeralRunner,
    WarmHost,
    BestEffortLocal,
}

impl SituationKind {
    pub fn title(self) -> &'static str {
        match self {
            SituationKind::EphemeralRunner => "Ephemeral runner",
            SituationKind::WarmHost => "Warm host",
            SituationKind::BestEffortLocal => "Best-effort local cache",
        }
    }
}

/// One CI situation and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Situation {
    pub situation: SituationKind,
    /// The recommendation, one sentence (Markdown: names in bold).
    pub recommendation: String,
    /// True when the recommended option differs between changes.
    pub differs_by_change: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<Scope>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub best_effort: Vec<BestEffort>,
}

/// The Decision of a results folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The coverage a verdict needs (0.95).
    pub confidence: f64,
    /// How verdicts are settled, in words.
    pub method: String,
    pub situations: Vec<Situation>,
    /// The verdict of every image store × builder × state × change by the same rule.
    pub per_state: Vec<StateVerdict>,
}

/// Every image store × builder × change that has cells of `state`, in report order.
fn scopes_of(a: &Analysis, state: &str) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = vec![];
    for c in a.cells.iter().filter(|c| c.key.state == state) {
        let k = (
            c.key.image_store.clone(),
            c.key.builder.clone(),
            c.key.change.clone(),
        );
        if !v.contains(&k) {
            v.push(k);
        }
    }
    v
}

fn with_savings(mut o: OptionStats, base: Option<f64>) -> OptionStats {
    if let Some(b) = base.filter(|b| *b > 0.0) {
        let s = b - o.median_ms;
        o.saving_ms = Some(stats::summary::round3(s));
        o.saving_pct = Some(stats::summary::round3(s / b * 100.0));
    }
    o
}

fn sort_fastest(v: &mut [OptionStats]) {
    v.sort_by(|x, y| x.median_ms.total_cmp(&y.median_ms));
}

/// A scope's options, decided: the call, and the notes on caches that do not pay
/// and on differences that lie in the build steps.
fn decide(
    (store, builder, change): (String, String, String),
    mut options: Vec<OptionStats>,
    no_cache_ms: Option<f64>,
    rule: &crate::stats::sequential::StopRule,
) -> Scope {
    sort_fastest(&mut options);
    let call = settle_with_no_cache(&options, rule);
    let mut notes = vec![];
    for o in options.iter().filter(|o| o.pays == Some(false)) {
        notes.push(crate::report::decision::sentences::does_not_pay(
            o,
            no_cache_ms.unwrap_or(0.0),
        ));
    }
    let call = match steps_noise(&call, &options) {
        Some((noise, note)) => {
            notes.push(note);
            noise
        }
        None => call,
    };
    Scope {
        image_store: store,
        builder,
        change,
        options,
        no_cache_ms,
        call,
        notes,
    }
}

fn ephemeral(a: &Analysis) -> Vec<Scope> {
    scopes_of(a, "warm-remote")
        .into_iter()
        .filter_map(|(store, builder, change)| {
            let base = no_cache(a, &builder, &store);
            let base_ms = base.as_ref().map(|b| b.median_ms);
            let mut options: Vec<OptionStats> = REMOTE_CACHES
                .iter()
                .filter_map(|s| {
                    let mut o = option(
                        &cells_of(a, s, &builder, &store, "warm-remote", &change),
                        false,
                    )?;
                    o.miss_ms = cold_median(a, s, &builder, &store);
                    o.pays = base_ms.map(|b| o.median_ms < b);
                    Some(with_savings(o, base_ms))
                })
                .collect();
            if options.is_empty() {
                return None;
            }
            options.extend(base.map(|b| with_savings(b, base_ms)));
            let unmeasured = not_measured(a, &builder, &store, &change);
            let mut scope = decide((store, builder, change), options, base_ms, &reading_rule(a));
            scope.notes.extend(unmeasured);
            Some(scope)
        })
        .collect()
}

/// Notes on remote caches planned in warm-remote that have no successful run, with
/// the first reason recorded (skipped on this runner, failed, …).
fn not_measured(a: &Analysis, builder: &str, store: &str, change: &str) -> Vec<String> {
    a.cells
        .iter()
        .filter(|c| {
            c.key.state == "warm-remote"
                && c.key.builder == builder
                && c.key.image_store == store
                && c.key.change == change
                && c.wall.is_none()
                && REMOTE_CACHES.contains(&c.key.strategy.as_str())
        })
        .map(|c| match c.reasons.first() {
            Some(r) => format!("{} was not measured: {r}.", c.key.strategy),
            None => format!("{} was not measured.", c.key.strategy),
        })
        .collect()
}

fn warm_host(a: &Analysis) -> Vec<Scope> {
    scopes_of(a, "warm-local")
        .into_iter()
        .filter_map(|(store, builder, change)| {
            let base_ms = no_cache(a, &builder, &store).map(|b| b.median_ms);
            let options: Vec<OptionStats> = a
                .cells
                .iter()
                .filter(|c| {
                    c.key.state == "warm-local"
                        && c.key.builder == builder
                        && c.key.image_store == store
                        && c.key.change == change
                })
                .filter_map(|c| option(&[c], false))
                .map(|o| with_savings(o, base_ms))
                .collect();
            (!options.is_empty())
                .then(|| decide((store, builder, change), options, base_ms, &reading_rule(a)))
        })
        .collect()
}

/// True when the recommended strategy differs between the changes of one image
/// store × builder.
fn differs_by_change(scopes: &[Scope]) -> bool {
    scopes.iter().any(|s| {
        scopes.iter().any(|t| {
            s.image_store == t.image_store
                && s.builder == t.builder
                && s.change != t.change
                && s.call.strategy() != t.call.strategy()
        })
    })
}

/// How verdicts are settled, for the report's Methods and `decision.method`.
pub const METHOD: &str = "per situation, the options (no cache and each cache, or the warm-local cells) are compared by the stop rule of --reps auto looked at once (Welch's t-tests on log wall times at 95% confidence, see stats::sequential): a winner is shown faster than every other option; otherwise the options the leading one is not shown faster than are a tie when every pair of them is shown within +-3% (TOST), else the answer is leaning, with about how many more runs per cell would settle it; a win whose difference lies only in the build steps (work identical whichever cache is used, the rest not shown to differ by a one-sided Welch interval) is called noise in the build, not the cache";

/// [`METHOD`], and for records a `--reps auto` run stopped, the correction for its
/// looks the verdicts carry ([`crate::report::decision::settle::reading_rule`]).
pub fn method(a: &Analysis) -> String {
    match &a.stop_rule {
        Some(r) => format!(
            "{METHOD}; the records come from a --reps auto run, so every test is at the level of its stop rule, corrected for its {} looks ({}..{} runs per cell), as the run was stopped",
            r.looks(),
            r.effective_min(),
            r.max_reps
        ),
        None => METHOD.to_string(),
    }
}

impl Decision {
    /// The Decision of an analysis.
    pub fn from_analysis(a: &Analysis) -> Decision {
        let mut situations = vec![];
        let eph = ephemeral(a);
        if !eph.is_empty() {
            situations.push(situation(SituationKind::EphemeralRunner, a, eph, vec![]));
        }
        let warm = warm_host(a);
        if !warm.is_empty() {
            situations.push(situation(SituationKind::WarmHost, a, warm, vec![]));
        }
        let be = crate::report::decision::local::best_effort(a);
        if !be.is_empty() {
            situations.push(situation(SituationKind::BestEffortLocal, a, vec![], be));
        }
        Decision {
            confidence: reading_rule(a).confidence,
            method: method(a),
            situations,
            per_state: crate::report::decision::per_state::per_state(a),
        }
    }
}

fn situation(
    kind: SituationKind,
    a: &Analysis,
    scopes: Vec<Scope>,
    best_effort: Vec<BestEffort>,
) -> Situation {
    let differs = differs_by_change(&scopes);
    Situation {
        situation: kind,
        recommendation: crate::report::decision::sentences::recommendation(
            kind,
            a,
            &scopes,
            &best_effort,
            differs,
        ),
        differs_by_change: differs,
        scopes,
        best_effort,
    }
}
