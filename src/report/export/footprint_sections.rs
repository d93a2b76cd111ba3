//! The report's footprint and cost sections, from the cells' statistics: what each
//! strategy leaves, split into image and cache, with the artifacts an ECR lifecycle
//! rule counts and a local cache folder's size ([`by_strategy`]); the cost estimate
//! beside time, only when the scenario gave prices ([`cost_beside_time`]); and what
//! losing a cache mount costs on a `deps` change ([`cache_mounts`]).

use crate::report::analysis::Analysis;
use crate::report::cell_stats::{CellStats, FootprintStats};
use crate::report::format::fmt_bytes;
use std::fmt::Write;

/// One strategy's footprint: the cell with the largest median registry bytes (the
/// most a run of it leaves), and the largest local cache folder.
struct StrategyFootprint<'a> {
    strategy: &'a str,
    fp: &'a FootprintStats,
    local: Option<(u64, u64)>,
}

fn per_strategy(a: &Analysis) -> Vec<StrategyFootprint<'_>> {
    let mut rows: Vec<StrategyFootprint<'_>> = vec![];
    for s in &a.strategies {
        let cells: Vec<&CellStats> = a.cells.iter().filter(|c| &c.key.strategy == s).collect();
        let Some(fp) = cells
            .iter()
            .filter_map(|c| c.footprint.as_ref())
            .max_by_key(|f| (f.bytes, f.local_cache_bytes))
        else {
            continue;
        };
        let local = cells
            .iter()
            .filter_map(|c| c.footprint.as_ref())
            .filter_map(|f| Some((f.local_cache_bytes?, f.local_cache_files.unwrap_or(0))))
            .max();
        rows.push(StrategyFootprint {
            strategy: s,
            fp,
            local,
        });
    }
    rows
}

fn opt_bytes(v: Option<u64>) -> String {
    v.map_or("–".into(), fmt_bytes)
}

fn opt_n<T: ToString>(v: Option<T>) -> String {
    v.map_or("–".into(), |v| v.to_string())
}

/// What the cache itself weighs: the registry cache's tag, the local folder, or
/// (inline-cache) nothing beyond the image.
fn cache_weight(r: &StrategyFootprint<'_>) -> u64 {
    r.fp.cache_bytes.unwrap_or(0) + r.local.map_or(0, |l| l.0)
}

/// The footprint per strategy, image against cache; false when no run measured
/// one (records written before the split have none).
pub fn by_strategy(out: &mut String, a: &Analysis) -> bool {
    let rows = per_strategy(a);
    if !rows
        .iter()
        .any(|r| r.fp.image_bytes.is_some() || r.local.is_some())
    {
        return false;
    }
    out.push_str("What one run of each strategy leaves (medians; the largest cell of each strategy), split by whose tag reaches it. **ECR artifacts** are what an ECR lifecycle rule counts as images: every manifest either tag reaches (image index, image manifests, attestation manifests, and the registry cache's manifest). Inline cache lives in the image; a local cache is the folder actions/cache would save. See docs/footprint.md.\n\n");
    out.push_str("| strategy | cache mode | image | image manifests | cache | cache manifests | ECR artifacts | local cache folder |\n|---|---|--:|--:|--:|--:|--:|--:|\n");
    for r in &rows {
        let local = r.local.map_or("–".into(), |(b, f)| {
            format!("{} ({f} files)", fmt_bytes(b))
        });
        let mode = if r.fp.cache_mode.is_empty() {
            "–"
        } else {
            &r.fp.cache_mode
        };
        let _ = writeln!(
            out,
            "| {} | {mode} | {} | {} | {} | {} | {} | {local} |",
            r.strategy,
            opt_bytes(r.fp.image_bytes),
            opt_n(r.fp.image_manifests),
            opt_bytes(r.fp.cache_bytes),
            opt_n(r.fp.cache_manifests),
            opt_n(r.fp.ecr_artifacts),
        );
    }
    out.push('\n');
    true
}

/// The cost estimate beside time, when the scenario gave prices: per strategy,
/// its median build time (the slowest state it ran), the monthly price of storing
/// what one run leaves (image and cache), and the price of moving the cache once
/// per run (a warm-remote run downloads at most the whole cache, and every run
/// uploads what changed; the cache's size bounds both). Nothing without prices.
pub fn cost_beside_time(out: &mut String, a: &Analysis) -> bool {
    let Some(p) = &a.prices else {
        return false;
    };
    let rows = per_strategy(a);
    if rows.is_empty() {
        return false;
    }
    let _ = writeln!(
        out,
        "Estimated with the scenario's prices ({} per GB-month stored, {} per GB transferred). Storage: what one run leaves (image and cache) kept for a month; transfer: the cache's size moved once per run, an upper bound for a warm-remote run's download.\n",
        p.amount(p.storage_per_gb_month),
        p.amount(p.transfer_per_gb)
    );
    out.push_str("| strategy | median build | stored | storage per month | transfer per run |\n|---|--:|--:|--:|--:|\n");
    for r in &rows {
        let median = a
            .cells
            .iter()
            .filter(|c| c.key.strategy == r.strategy)
            .filter_map(|c| c.wall.as_ref().map(|w| w.median))
            .fold(None::<f64>, |m, v| Some(m.map_or(v, |m| m.max(v))));
        let stored = r.fp.image_bytes.unwrap_or(0) + cache_weight(r);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            r.strategy,
            median.map_or("–".into(), |m| format!("{:.2} s", m / 1000.0)),
            fmt_bytes(stored),
            p.amount(p.storage_per_month(stored)),
            p.amount(p.transfer(cache_weight(r))),
        );
    }
    out.push('\n');
    true
}

/// What losing a cache mount costs on a `deps` change: the cache-mount step's
/// median duration where the builder kept the mount (warm-local) against where it
/// started empty (warm-remote), per strategy. False when no cell has such a step.
pub fn cache_mounts(out: &mut String, a: &Analysis) -> bool {
    let step = |strategy: &str, state: &str| {
        a.cells
            .iter()
            .find(|c| c.key.strategy == strategy && c.key.state == state && c.key.change == "deps")
            .and_then(|c| c.cache_mount_step_ms)
    };
    if !a.cells.iter().any(|c| c.cache_mount_step_ms.is_some()) {
        return false;
    }
    out.push_str("Cache mounts (`RUN --mount=type=cache`) live in the builder only: **no cache backend exports them — not the registry cache, not the local cache, not the gha cache** (docker/build-push-action#716, #1011). On an ephemeral runner the mount starts empty unless the job saves and restores it itself (reproducible-containers/buildkit-cache-dance is the usual workaround). Below, the cache-mount step's median time on a `deps` change: warm-local kept the builder and its mount, warm-remote had only the remote cache.\n\n");
    out.push_str("| strategy | mount kept (warm-local) | mount lost (warm-remote) | what losing it costs |\n|---|--:|--:|--:|\n");
    let secs = |ms: Option<u64>| ms.map_or("–".into(), |v| format!("{:.2} s", v as f64 / 1000.0));
    for s in &a.strategies {
        let (hit, miss) = (step(s, "warm-local"), step(s, "warm-remote"));
        if hit.is_none() && miss.is_none() {
            continue;
        }
        let cost = match (hit, miss) {
            (Some(h), Some(m)) => format!("{:+.2} s", (m as f64 - h as f64) / 1000.0),
            _ => "–".into(),
        };
        let _ = writeln!(out, "| {s} | {} | {} | {cost} |", secs(hit), secs(miss));
    }
    out.push('\n');
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::record::RunRecord;

    fn analysis(prices: bool) -> Analysis {
        let line = r#"{"scenario":"s","workload":"w","strategy":"registry-cache","builder":"docker","state":"warm-remote","change":"deps","rep":1,"kind":"measured","status":"ok","reason":"","started_at":"t","wall_ms":2000,"build_ms":2000,"prepare_ms":1,"steps_total":2,"steps_cached":1,"bytes_down":0,"bytes_up":0,"log":"l","state_check":"ok","registry_manifests":1,"registry_attestations":0,"registry_bytes":2000000000,"cache_mode":"max","image_bytes":0,"image_manifests":0,"cache_bytes":2000000000,"cache_manifests":1,"ecr_artifacts":1,"step_details":[{"name":"[2/3] RUN --mount=type=cache,target=/c x","duration_ms":1500,"cached":false}]}"#;
        let r: RunRecord = serde_json::from_str(line).unwrap();
        let mut a = Analysis::from_records(&[r]);
        a.prices = prices.then(|| crate::records::report_settings::CostPrices {
            storage_per_gb_month: 0.1,
            transfer_per_gb: 0.5,
            currency: "EUR".into(),
        });
        a
    }

    #[test]
    fn cost_is_shown_only_with_prices_and_follows_them() {
        let mut out = String::new();
        assert!(!cost_beside_time(&mut out, &analysis(false)));
        assert!(out.is_empty());
        assert!(cost_beside_time(&mut out, &analysis(true)));
        // 2 GB stored at 0.1 per GB-month; 2 GB moved at 0.5 per GB.
        assert!(out.contains("| registry-cache | 2.00 s |"), "{out}");
        assert!(out.contains("0.2000 EUR | 1.0000 EUR |"), "{out}");
    }

    #[test]
    fn footprint_and_mount_sections_read_the_records() {
        let a = analysis(false);
        let mut out = String::new();
        assert!(by_strategy(&mut out, &a));
        assert!(
            out.contains("| registry-cache | max | 0 B | 0 | 1.9 GiB | 1 | 1 | – |"),
            "{out}"
        );
        let mut out = String::new();
        assert!(cache_mounts(&mut out, &a));
        assert!(out.contains("not the registry cache, not the local cache, not the gha cache"));
        assert!(out.contains("| registry-cache | – | 1.50 s | – |"), "{out}");
    }
}
