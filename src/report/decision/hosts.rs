//! The Decision of a folder merged from shards that ran on several hosts
//! (`cachebench merge`): times measured on different machines are not compared.
//! Each host's cells get the Decision of their own (every comparison inside a
//! state is on one host, since a round group never leaves its shard); each
//! situation then says which host its answer comes from, and names the cells it
//! would have compared across hosts ("registry-cache (warm-remote) ran on host a
//! and no cache (buildkit cold) on host b: not compared").

use crate::report::analysis::Analysis;
use crate::report::decision::local::LOCAL;
use crate::report::decision::{Decision, Situation, SituationKind, NO_CACHE, REMOTE_CACHES};

/// The hosts the analysis's cells ran on, in cell order (none for a folder of one
/// run, whose records name no host).
pub fn hosts_of(a: &Analysis) -> Vec<String> {
    let mut v: Vec<String> = vec![];
    for c in &a.cells {
        if let Some(h) = a.hosts.get(&c.key) {
            if !v.contains(h) {
                v.push(h.clone());
            }
        }
    }
    v
}

/// The analysis of the cells that ran on `host` only.
pub fn on_host(a: &Analysis, host: &str) -> Analysis {
    let mut b = a.clone();
    b.cells
        .retain(|c| a.hosts.get(&c.key).map(String::as_str) == Some(host));
    let keep: Vec<bool> = b
        .groups
        .iter()
        .map(|g| b.cells_of(g).next().is_some())
        .collect();
    let mut k = keep.into_iter();
    b.groups.retain(|_| k.next().unwrap_or(false));
    b
}

/// Whether a measured cell takes part in a situation, and its label there.
fn member(kind: SituationKind, strategy: &str, state: &str) -> Option<String> {
    let remote = REMOTE_CACHES.contains(&strategy);
    let plain = NO_CACHE.contains(&strategy);
    let yes = match kind {
        SituationKind::EphemeralRunner => {
            (remote && state == "warm-remote") || (plain && state == "cold")
        }
        SituationKind::WarmHost => state == "warm-local" || (plain && state == "cold"),
        SituationKind::BestEffortLocal => {
            (LOCAL.contains(&strategy) && state != "warm-remote")
                || (remote && state == "warm-remote")
        }
    };
    yes.then(|| match (plain, state) {
        (true, "cold") => format!("no cache ({strategy} cold)"),
        _ => format!("{strategy} ({state})"),
    })
}

/// Per image store × builder, the cells of a situation that ran on different
/// hosts, in one sentence each.
pub fn not_compared(a: &Analysis, kind: SituationKind) -> Vec<String> {
    let mut scopes: Vec<(String, String)> = vec![];
    for c in &a.cells {
        let s = (c.key.image_store.clone(), c.key.builder.clone());
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    let mut out = vec![];
    for (store, builder) in scopes {
        // host → labels, in cell order.
        let mut by_host: Vec<(String, Vec<String>)> = vec![];
        for c in a
            .cells
            .iter()
            .filter(|c| c.key.image_store == store && c.key.builder == builder && c.wall.is_some())
        {
            let (Some(label), Some(host)) = (
                member(kind, &c.key.strategy, &c.key.state),
                a.hosts.get(&c.key),
            ) else {
                continue;
            };
            match by_host.iter_mut().find(|(h, _)| h == host) {
                Some((_, labels)) if labels.contains(&label) => {}
                Some((_, labels)) => labels.push(label),
                None => by_host.push((host.clone(), vec![label])),
            }
        }
        if by_host.len() < 2 {
            continue;
        }
        let parts: Vec<String> = by_host
            .iter()
            .enumerate()
            .map(|(i, (h, labels))| {
                let verb = if i == 0 { " ran" } else { "" };
                format!("{}{verb} on host {h}", labels.join(", "))
            })
            .collect();
        let scope = if crate::report::labels::shows_store(a) {
            format!(" ({builder}, {store})")
        } else {
            String::new()
        };
        out.push(format!(
            "{}{scope}: not compared (different hosts).",
            join_and(&parts)
        ));
    }
    out
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The Decision of an analysis whose cells ran on `hosts` (more than one).
pub fn decision(a: &Analysis, hosts: &[String]) -> Decision {
    let parts: Vec<(&String, Decision)> = hosts
        .iter()
        .map(|h| (h, Decision::from_one_host(&on_host(a, h))))
        .collect();
    let mut situations = vec![];
    for kind in [
        SituationKind::EphemeralRunner,
        SituationKind::WarmHost,
        SituationKind::BestEffortLocal,
    ] {
        let mine: Vec<(&String, &Situation)> = parts
            .iter()
            .filter_map(|(h, d)| {
                d.situations
                    .iter()
                    .find(|s| s.situation == kind)
                    .map(|s| (*h, s))
            })
            .collect();
        let notes = not_compared(a, kind);
        if mine.is_empty() && notes.is_empty() {
            continue;
        }
        let mut words: Vec<String> = mine
            .iter()
            .map(|(h, s)| format!("On host {h}: {}", s.recommendation))
            .collect();
        words.extend(notes);
        situations.push(Situation {
            situation: kind,
            recommendation: words.join(" "),
            answers: mine.iter().flat_map(|(_, s)| s.answers.clone()).collect(),
            scopes: mine.iter().flat_map(|(_, s)| s.scopes.clone()).collect(),
            best_effort: mine
                .iter()
                .flat_map(|(_, s)| s.best_effort.clone())
                .collect(),
            link: mine
                .first()
                .map(|(_, s)| s.link.clone())
                .unwrap_or_else(|| crate::records::cell_key::DEFAULT_LINK.to_string()),
        });
    }
    Decision {
        confidence: a.reading_rule().confidence,
        method: format!(
            "{}; the records come from {} hosts, and only cells measured on the same host are compared",
            crate::report::decision::method(a),
            hosts.len()
        ),
        margin: crate::report::decision::margin_words(a),
        change_mix: a.change_mix.clone(),
        break_even: parts.iter().flat_map(|(_, d)| d.break_even.clone()).collect(),
        situations,
        contention: None,
    }
}

#[cfg(test)]
mod tests;
