//! The break-even link: for each store × builder × state × change, and each remote
//! cache, the lowest swept bandwidth at which the cache's median (the job's time:
//! actions/cache's restore and save counted for a local cache folder) beats building
//! with no cache by the rule's practical margin (the larger of the relative margin
//! and the floor per build), or "not within the swept links". Only when the
//! records swept or set a link; links are ordered by their down rate (cache → build,
//! what a warm-remote build's import pays), then their round-trip time.
//!
//! The no-cache baseline is the plain cold build ([`NO_CACHE`], the first
//! measured) on the same store and builder over the same link, or with no link
//! where that link has none (a plain build talks to no cache, so its time does not
//! depend on the link). The records carry each link's figures (`link_figures`), so
//! presets are placed by their figures; this reads them without the link's parser.

use crate::report::analysis::Analysis;
use crate::report::cell_stats::CellStats;
use crate::report::decision::{NO_CACHE, REMOTE_CACHES};
use serde::{Deserialize, Serialize};

/// One remote cache's break-even link in one store × builder × state × change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakEven {
    pub workloads: Vec<String>,
    pub image_store: String,
    pub builder: String,
    pub state: String,
    pub change: String,
    pub strategy: String,
    /// The no-cache baseline: `buildkit cold`.
    pub baseline: String,
    /// The lowest swept link (by down rate) at which the cache beats the
    /// baseline; `None`: not within the swept links.
    pub link: Option<String>,
    /// Its down rate, Mbit/s.
    pub down_mbit: Option<f64>,
    /// The links swept with a rate, lowest first.
    pub swept: Vec<String>,
}

impl BreakEven {
    /// `from 20mbit/40ms (20 Mbit/s down)` or `not within the swept links`.
    pub fn words(&self) -> String {
        match (&self.link, self.down_mbit) {
            (Some(l), Some(m)) => format!("from {l} ({} Mbit/s down)", trim(m)),
            (Some(l), None) => format!("from {l}"),
            _ => "not within the swept links".into(),
        }
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A link's down rate (Mbit/s) and round-trip time (ms) from its figures
/// (`200mbit/20ms`, `up=20mbit,down=100mbit,rtt=50ms`); `None` without a down rate.
pub fn rate_and_rtt(figures: &str) -> Option<(f64, f64)> {
    let rate = |s: &str| -> Option<f64> {
        let s = s.trim();
        let (num, per) = [("kbit", 1e-3), ("mbit", 1.0), ("gbit", 1e3)]
            .iter()
            .find_map(|(u, per)| s.strip_suffix(u).map(|n| (n, *per)))?;
        num.parse::<f64>().ok().map(|n| n * per)
    };
    let time = |s: &str| -> Option<f64> {
        let s = s.trim();
        if let Some(n) = s.strip_suffix("ms") {
            return n.parse().ok();
        }
        s.strip_suffix('s')?.parse::<f64>().ok().map(|n| n * 1e3)
    };
    if let Some((r, t)) = figures.split_once('/') {
        return Some((rate(r)?, time(t)?));
    }
    let mut down = None;
    let mut rtt = 0.0;
    for part in figures.split(',') {
        match part.split_once('=') {
            Some(("down", v)) => down = rate(v),
            Some(("rtt", v)) => rtt = time(v)?,
            _ => {}
        }
    }
    Some((down?, rtt))
}

/// The links of the analysis that have a down rate, with it and their RTT,
/// lowest rate first (then lowest RTT).
pub fn rated_links(a: &Analysis) -> Vec<(String, f64, f64)> {
    let mut v: Vec<(String, f64, f64)> = a
        .links
        .iter()
        .filter_map(|l| {
            let figures = a.link_figures.get(l).map(String::as_str).unwrap_or(l);
            rate_and_rtt(figures).map(|(r, t)| (l.clone(), r, t))
        })
        .collect();
    v.sort_by(|x, y| x.1.total_cmp(&y.1).then(x.2.total_cmp(&y.2)));
    v
}

fn median(c: &CellStats) -> Option<f64> {
    c.wall.as_ref().map(|s| s.median)
}

/// A cache's median as the job pays it: with actions/cache's restore and save for a
/// local cache folder on an ephemeral runner (they go through the link too).
fn job_median(c: &CellStats) -> Option<f64> {
    crate::report::decision::options::option_with_transfers(&[c]).map(|o| o.median_ms)
}

/// The no-cache baseline of a store × builder over `link` (else with no link).
fn baseline<'a>(a: &'a Analysis, of: &CellStats, link: &str) -> Option<&'a CellStats> {
    let find = |link: &str| {
        NO_CACHE.iter().find_map(|s| {
            a.cells.iter().find(|c| {
                c.key.strategy == *s
                    && c.key.state == "cold"
                    && c.key.builder == of.key.builder
                    && c.key.image_store == of.key.image_store
                    && c.key.link == link
                    && c.wall.is_some()
            })
        })
    };
    find(link).or_else(|| find(crate::records::cell_key::DEFAULT_LINK))
}

/// Every remote cache's break-even link (empty when no link was swept or set).
pub fn break_even(a: &Analysis) -> Vec<BreakEven> {
    let rated = rated_links(a);
    if rated.is_empty() {
        return vec![];
    }
    let rule = a.reading_rule();
    let mut out: Vec<BreakEven> = vec![];
    for c in a
        .cells
        .iter()
        .filter(|c| REMOTE_CACHES.contains(&c.key.strategy.as_str()) && c.key.state != "cold")
    {
        let same = |b: &BreakEven| {
            (&b.image_store, &b.builder, &b.state, &b.change, &b.strategy)
                == (
                    &c.key.image_store,
                    &c.key.builder,
                    &c.key.state,
                    &c.key.change,
                    &c.key.strategy,
                )
        };
        if out.iter().any(same) {
            continue;
        }
        let mut found: Option<(String, f64)> = None;
        let mut base_name = String::new();
        for (link, down, _) in &rated {
            let cell = a.cells.iter().find(|x| {
                x.key.link == *link
                    && (
                        &x.key.image_store,
                        &x.key.builder,
                        &x.key.state,
                        &x.key.change,
                        &x.key.strategy,
                    ) == (
                        &c.key.image_store,
                        &c.key.builder,
                        &c.key.state,
                        &c.key.change,
                        &c.key.strategy,
                    )
            });
            let (Some(cell), Some(base)) = (cell, baseline(a, c, link)) else {
                continue;
            };
            base_name = format!("{} cold", base.key.strategy);
            let (Some(m), Some(b)) = (job_median(cell), median(base)) else {
                continue;
            };
            let margin = (rule.margin * b).max(rule.margin_floor_s * 1000.0);
            if m < b - margin {
                found = Some((link.clone(), *down));
                break;
            }
        }
        out.push(BreakEven {
            workloads: a.workloads.clone(),
            image_store: c.key.image_store.clone(),
            builder: c.key.builder.clone(),
            state: c.key.state.clone(),
            change: c.key.change.clone(),
            strategy: c.key.strategy.clone(),
            baseline: base_name,
            link: found.as_ref().map(|f| f.0.clone()),
            down_mbit: found.map(|f| f.1),
            swept: rated.iter().map(|r| r.0.clone()).collect(),
        });
    }
    out
}

/// The break-even table (Markdown), or nothing when no link was swept.
pub fn markdown(a: &Analysis, heading: &str) -> String {
    let rows = break_even(a);
    if rows.is_empty() {
        return String::new();
    }
    let mut s = format!(
        "{heading} Break-even link\n\nThe lowest swept link at which each remote cache's median, as a job pays it (actions/cache's restore and save counted), beats building with no cache by the practical margin ({}); links swept: {}. Workload: {}.\n\n| store × builder | state × change | cache | no cache | break-even link |\n|---|---|---|---|---|\n",
        crate::report::decision::margin_words(a),
        rows[0].swept.join(", "),
        rows[0].workloads.join(", ")
    );
    for r in &rows {
        s.push_str(&format!(
            "| {} × {} | {} × {} | {} | {} | {} |\n",
            r.image_store,
            r.builder,
            r.state,
            r.change,
            r.strategy,
            r.baseline,
            r.words()
        ));
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests;
