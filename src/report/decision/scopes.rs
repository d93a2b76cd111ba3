//! A situation's scopes: for each image store × builder × change, its options
//! (each with its median, interval, saving against no cache and registry weight)
//! settled by the one rule ([`crate::report::judge`]), with the plain notes beside
//! it: a cache that does not pay for itself, a lead that is noise in the build, a
//! cache that was planned but not measured.
//!
//! - Ephemeral runner: each remote cache in warm-remote, and no cache (the cold
//!   build of a plain strategy); the caches are settled among themselves, then the
//!   leading one against no cache ([`crate::report::judge::judge_against_no_cache`]).
//! - Warm host: the warm-local cells, among them a plain build (`buildkit`, no
//!   cache export), which is what "no cache" means on a host that keeps its layers.

use crate::report::analysis::Analysis;
use crate::report::decision::options::{
    cells_of, cold_median, no_cache, option, option_with_transfers, OptionStats,
};
use crate::report::decision::{Scope, SituationKind, REMOTE_CACHES};
use crate::report::judge::{judge, judge_against_no_cache, Contender};
use crate::stats::summary::round3;

/// Every image store × builder × change that has cells of `state`, in report order.
fn keys_of(a: &Analysis, state: &str) -> Vec<(String, String, String)> {
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
        o.saving_ms = Some(round3(s));
        o.saving_pct = Some(round3(s / b * 100.0));
    }
    o
}

/// The scopes of a situation (none for the best-effort local cache).
pub fn scopes(a: &Analysis, kind: SituationKind) -> Vec<Scope> {
    match kind {
        SituationKind::EphemeralRunner => ephemeral(a),
        SituationKind::WarmHost => warm_host(a),
        SituationKind::BestEffortLocal => vec![],
    }
}

fn settle_scope(
    a: &Analysis,
    (image_store, builder, change): (String, String, String),
    mut options: Vec<OptionStats>,
    no_cache_ms: Option<f64>,
    against_no_cache: bool,
) -> Scope {
    options.sort_by(|x, y| x.median_ms.total_cmp(&y.median_ms));
    let rule = a.reading_rule();
    let contenders: Vec<Contender> = options.iter().map(OptionStats::contender).collect();
    let (verdict, noise) = if against_no_cache {
        judge_against_no_cache(&contenders, &rule)
    } else {
        judge(&contenders, &rule)
    };
    let mut notes: Vec<String> = options
        .iter()
        .filter(|o| o.pays == Some(false))
        .map(|o| crate::report::decision::sentences::does_not_pay(o, no_cache_ms.unwrap_or(0.0)))
        .collect();
    notes.extend(noise);
    Scope {
        image_store,
        builder,
        change,
        options,
        no_cache_ms,
        verdict,
        notes,
    }
}

fn ephemeral(a: &Analysis) -> Vec<Scope> {
    keys_of(a, "warm-remote")
        .into_iter()
        .filter_map(|(store, builder, change)| {
            let base = no_cache(a, &builder, &store);
            let base_ms = base.as_ref().map(|b| b.median_ms);
            // Each cache twice: as the job pays it (actions/cache's restore and
            // save counted), and as the build alone.
            let (mut options, mut alone): (Vec<OptionStats>, Vec<OptionStats>) = REMOTE_CACHES
                .iter()
                .filter_map(|s| {
                    let cells = cells_of(a, s, &builder, &store, "warm-remote", &change);
                    let miss = cold_median(a, s, &builder, &store);
                    let finish = |mut o: OptionStats| {
                        o.miss_ms = miss;
                        o.pays = base_ms.map(|b| o.median_ms < b);
                        with_savings(o, base_ms)
                    };
                    Some((
                        finish(option_with_transfers(&cells)?),
                        finish(option(&cells, false)?),
                    ))
                })
                .unzip();
            if options.is_empty() {
                return None;
            }
            let counted = options.iter().any(|o| o.transfers_ms.is_some());
            options.extend(base.clone().map(|b| with_savings(b, base_ms)));
            alone.extend(base.map(|b| with_savings(b, base_ms)));
            let unmeasured = not_measured(a, &builder, &store, &change);
            let key = (store, builder, change.clone());
            let mut scope = settle_scope(a, key.clone(), options, base_ms, true);
            if counted {
                let build_alone = settle_scope(a, key, alone, base_ms, true);
                scope
                    .notes
                    .push(build_alone_note(&scope, &build_alone, &change));
            }
            scope.notes.extend(unmeasured);
            Some(scope)
        })
        .collect()
}

/// What the build alone would have suggested, beside the answer that counts
/// actions/cache's restore and save (the issue a plain `docker build` timing hides),
/// for one change: a situation holds one note per change.
fn build_alone_note(job: &Scope, build_alone: &Scope, change: &str) -> String {
    let name = |o: Option<&OptionStats>| match o {
        Some(o) if o.no_cache => "no cache".to_string(),
        Some(o) => o.strategy.clone(),
        None => "no option".to_string(),
    };
    let (now, then) = (name(job.pick()), name(build_alone.pick()));
    if now == then {
        format!(
            "On {change} changes, counted on the build alone, without actions/cache's restore \
             and save, the answer is the same: {then}."
        )
    } else {
        format!(
            "On {change} changes, counted on the build alone, without actions/cache's restore \
             and save, the answer would have been {then}, not {now}: the transfers around the \
             build change it."
        )
    }
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
    keys_of(a, "warm-local")
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
                .then(|| settle_scope(a, (store, builder, change), options, base_ms, false))
        })
        .collect()
}

#[cfg(test)]
mod tests;
