//! The Decision's sentences: each situation's one answer per image store × builder
//! (what to adopt, how settled, what it saves or costs on each change), the
//! qualifier of a verdict (settled, a tie within the margin, leaning with the runs
//! that would settle it, noise in the build, nothing to compare), intervals with
//! their coverage where it is below the stated confidence, and the plain sentence
//! for a cache that does not pay for itself.

use crate::report::analysis::Analysis;
use crate::report::decision::local::BestEffort;
use crate::report::decision::mix::Answer;
use crate::report::decision::options::OptionStats;
use crate::report::decision::{Scope, SituationKind};
use crate::report::format::{fmt_ms, fmt_range};
use crate::report::judge::said;
use crate::report::labels;
use crate::stats::summary::MedianCi;
use crate::stats::verdict::Verdict;

/// More runs per cell than a team would run to settle a verdict: beyond it, the
/// options are as good as equal.
pub const IMPRACTICAL_RUNS: u32 = 50;

/// `8.45 s, interval 8.28–8.81 s`, with the interval's coverage when it is below
/// `confidence` (`min–max of 2 runs, 50% coverage`).
pub fn median_text(median: f64, ci: Option<MedianCi>, confidence: f64) -> String {
    match ci {
        Some(c) => format!(
            "{}, interval {}{}",
            fmt_ms(median),
            fmt_range(c.lo as f64, c.hi as f64),
            coverage_note(c, confidence)
        ),
        None => format!("{} from a single run", fmt_ms(median)),
    }
}

/// ` (only 50% coverage, from 2 runs)` when an interval covers less than asked.
pub fn coverage_note(c: MedianCi, confidence: f64) -> String {
    if c.coverage + 1e-9 < confidence {
        format!(
            " (only {:.0}% coverage: too few runs for {:.0}%)",
            c.coverage * 100.0,
            confidence * 100.0
        )
    } else {
        String::new()
    }
}

/// The plain sentence for a cache that is not faster than no cache.
pub fn does_not_pay(o: &OptionStats, no_cache_ms: f64) -> String {
    let more = o.median_ms - no_cache_ms;
    // What the cache costs around the build steps: its import and export, and for a
    // folder restored and saved by actions/cache those transfers too.
    let transfers = o.transfers_ms.unwrap_or(0.0);
    match o.overhead_ms {
        Some(ov) => {
            let rest = o.median_ms - ov - transfers;
            let saved = no_cache_ms - rest;
            let cost = if transfers > 0.0 {
                format!(
                    "its import and export take {} and actions/cache's restore and save {}",
                    fmt_ms(ov),
                    fmt_ms(transfers)
                )
            } else {
                format!("its import and export take {}", fmt_ms(ov))
            };
            let tail = if saved > 0.0 {
                format!("more than the {} it saves in the build", fmt_ms(saved))
            } else {
                format!(
                    "and it saves nothing in the build (the rest takes {}, no less than a build with no cache)",
                    fmt_ms(rest)
                )
            };
            format!(
                "{} does not pay for itself: {} against {} with no cache; {cost}, {tail}.",
                o.strategy,
                fmt_ms(o.median_ms),
                fmt_ms(no_cache_ms),
            )
        }
        None => format!(
            "{} does not pay for itself: {} against {} with no cache ({} more).",
            o.strategy,
            fmt_ms(o.median_ms),
            fmt_ms(no_cache_ms),
            fmt_ms(more)
        ),
    }
}

/// How settled a verdict is, after the option it recommends (`; settled: …`).
pub fn qualifier(v: &Verdict<String>, confidence: f64, margin: &str) -> String {
    let runs = |n: &Option<u32>| match n {
        Some(n) if *n > IMPRACTICAL_RUNS => {
            format!("only about {n} more runs per cell would settle it, so treat them as equal")
        }
        Some(n) => format!(
            "about {n} more run{} per cell would settle it",
            if *n == 1 { "" } else { "s" }
        ),
        None => "more runs may not settle it".to_string(),
    };
    match v {
        Verdict::NoData => String::new(),
        Verdict::Alone { .. } => "; nothing to compare it with".to_string(),
        Verdict::Winner { runner_up, .. } => format!(
            "; settled: shown faster than {} and every other option at {}% confidence",
            said(runner_up),
            (confidence * 1000.0).round() / 10.0
        ),
        Verdict::Tie { options } => format!(
            "; a tie: {} are {margin}, so either will do",
            options.iter().map(|s| said(s)).collect::<Vec<_>>().join(", "),
        ),
        Verdict::Leaning {
            runner_up,
            more_runs,
            futile,
            ..
        } => format!(
            "; leaning, not settled against {}: {}{}",
            said(runner_up),
            runs(more_runs),
            if *futile { " (the run stopped: more runs up to its maximum would very likely not)" } else { "" }
        ),
        Verdict::Noise { option, runner_up, .. } => format!(
            "; {} and {} are as good: the lead lies in the build steps, noise in the build, not the cache",
            said(option),
            said(runner_up)
        ),
    }
}

/// `source change`, or `source change on docker-container` when builders (or
/// stores) must be told apart.
pub fn change_words(a: &Analysis, change: &str, builder: &str, store: &str) -> String {
    match labels::runs_on(a, builder, store) {
        Some(on) => format!("{change} change on {on}"),
        None => format!("{change} change"),
    }
}

/// What the pick saves or costs on one change: `saves 68% on source changes`,
/// `costs 1.20 s (5%) on deps changes`; for no cache, what the fastest cache took.
fn on_change_words(ans: &Answer, scopes: &[&Scope]) -> Vec<String> {
    ans.on_change
        .iter()
        .filter_map(|c| {
            if ans.pick == crate::report::judge::NO_CACHE_ID {
                let sc = scopes.iter().find(|s| s.change == c.change)?;
                let best = sc.options.iter().find(|o| !o.no_cache)?;
                return Some(format!(
                    "on {} changes the fastest cache, {}, took {} against {} with no cache",
                    c.change,
                    best.strategy,
                    fmt_ms(best.median_ms),
                    fmt_ms(c.median_ms)
                ));
            }
            let (s, p) = (c.saving_ms?, c.saving_pct?);
            Some(if s >= 0.0 {
                format!("saves {} ({p:.0}%) on {} changes", fmt_ms(s), c.change)
            } else {
                format!("costs {} ({:.0}%) on {} changes", fmt_ms(-s), -p, c.change)
            })
        })
        .collect()
}

/// How settled a verdict is, in a few words for one change among several.
fn settledness(v: &Verdict<String>) -> String {
    match v {
        Verdict::Winner { .. } => "settled".to_string(),
        Verdict::Tie { .. } => "a tie within the margin".to_string(),
        Verdict::Alone { .. } => "nothing to compare".to_string(),
        Verdict::Noise { .. } => "noise in the build, not the cache".to_string(),
        Verdict::NoData => "no data".to_string(),
        Verdict::Leaning {
            runner_up,
            more_runs,
            ..
        } => format!(
            "leaning, not settled against {}{}",
            said(runner_up),
            match more_runs {
                Some(n) if *n > IMPRACTICAL_RUNS => " (treat them as equal)".to_string(),
                Some(n) => format!(
                    " (about {n} more run{} per cell)",
                    if *n == 1 { "" } else { "s" }
                ),
                None => String::new(),
            }
        ),
    }
}

/// The clause of one answer.
fn answer_clause(
    a: &Analysis,
    ans: &Answer,
    scopes: &[&Scope],
    confidence: f64,
    margin: &str,
) -> String {
    let head = if ans.pick == crate::report::judge::NO_CACHE_ID {
        format!("build with **no cache** ({})", ans.strategy)
    } else {
        format!("use **{}**", ans.strategy)
    };
    let only_one = ans.expected.len() < 2;
    let settledness = if only_one || (ans.unanimous && ans.on_change.len() == 1) {
        match ans.on_change.first() {
            Some(c) => qualifier(&c.verdict, confidence, margin),
            None => String::new(),
        }
    } else if ans.unanimous {
        let words: Vec<String> = ans
            .on_change
            .iter()
            .map(|c| settledness(&c.verdict))
            .collect();
        if words.windows(2).all(|w| w[0] == w[1]) {
            format!("; every change picks it, {} on each", words[0])
        } else {
            let each: Vec<String> = ans
                .on_change
                .iter()
                .zip(&words)
                .map(|(c, w)| format!("{w} on {} changes", c.change))
                .collect();
            format!("; every change picks it: {}", each.join("; "))
        }
    } else {
        let disagree: Vec<String> = ans
            .on_change
            .iter()
            .filter_map(|c| {
                c.own_pick
                    .as_ref()
                    .map(|p| format!("{} changes alone would pick {}", c.change, said(p)))
            })
            .collect();
        format!(
            "; the lowest expected time over the changes weighed by the mix ({}), not settled: {}",
            ans.expected
                .iter()
                .take(2)
                .map(|(id, ms)| format!("{} {}", said(id), fmt_ms(*ms)))
                .collect::<Vec<_>>()
                .join(" against "),
            disagree.join(", ")
        )
    };
    let figures = on_change_words(ans, scopes);
    let figures = if figures.is_empty() {
        String::new()
    } else if ans.pick == crate::report::judge::NO_CACHE_ID {
        format!(". {}", capitalised(&figures.join("; ")))
    } else {
        format!(". It {}", figures.join(" and "))
    };
    let scope = labels::runs_on(a, &ans.builder, &ans.image_store)
        .map(|on| format!(" on {on}"))
        .unwrap_or_default();
    if only_one && ans.pick != crate::report::judge::NO_CACHE_ID {
        return format!(
            "only **{}** was measured{scope}: there was nothing to compare it with but its own cold build",
            ans.strategy
        );
    }
    format!("{head}{scope}{settledness}{figures}")
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn best_effort_clause(a: &Analysis, b: &BestEffort) -> String {
    let beats: Vec<String> = b
        .break_even
        .iter()
        .map(|e| match e.p_star {
            Some(p) if p <= 0.0 => format!("{} at any hit rate", e.strategy),
            Some(p) => format!(
                "{} when it hits more than {:.0}% of the time",
                e.strategy,
                p * 100.0
            ),
            None => format!("{} never (it is faster than even a hit)", e.strategy),
        })
        .collect();
    let tail = if beats.is_empty() {
        String::new()
    } else {
        format!("; on average it beats {}", beats.join(", "))
    };
    let stand_in = if b.strategy == "layer-cache" {
        String::new()
    } else {
        format!(
            " ({} warm-local stands in for the layer cache, which was not measured)",
            b.strategy
        )
    };
    format!(
        "for a {}, the local layer cache{stand_in} takes {} on a hit and {} on a miss{tail}",
        change_words(a, &b.change, &b.builder, &b.image_store),
        fmt_ms(b.warm_ms),
        fmt_ms(b.cold_ms),
    )
}

/// The recommendation sentence of a situation.
/// How a situation's recommendation opens: `On an ephemeral runner`.
pub fn lead(kind: SituationKind) -> &'static str {
    match kind {
        SituationKind::EphemeralRunner => "On an ephemeral runner",
        SituationKind::WarmHost => "On a warm host",
        SituationKind::BestEffortLocal => "With a best-effort local cache",
    }
}

pub fn recommendation(
    kind: SituationKind,
    a: &Analysis,
    answers: &[Answer],
    scopes: &[Scope],
    best_effort: &[BestEffort],
) -> String {
    let lead = lead(kind);
    let rule = a.reading_rule();
    let margin = crate::report::decision::margin_words(a);
    let margin = format!("within {margin} of each other");
    let clauses: Vec<String> = if kind == SituationKind::BestEffortLocal {
        best_effort
            .iter()
            .map(|b| best_effort_clause(a, b))
            .collect()
    } else {
        answers
            .iter()
            .map(|ans| {
                let these: Vec<&Scope> = scopes
                    .iter()
                    .filter(|s| s.image_store == ans.image_store && s.builder == ans.builder)
                    .collect();
                answer_clause(a, ans, &these, rule.confidence, &margin)
            })
            .collect()
    };
    match clauses.as_slice() {
        [] => format!("{lead}: nothing was measured."),
        many => format!("{lead}, {}.", many.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_below_the_confidence_is_said() {
        let two = MedianCi {
            lo: 9180,
            hi: 9350,
            coverage: 0.5,
            nominal: false,
        };
        let t = median_text(9260.0, Some(two), 0.95);
        assert!(
            t.contains("interval 9.18–9.35 s (only 50% coverage: too few runs for 95%)"),
            "{t}"
        );
        let ok = MedianCi {
            lo: 9180,
            hi: 9350,
            coverage: 0.96,
            nominal: true,
        };
        assert!(!median_text(9260.0, Some(ok), 0.95).contains("coverage"));
    }
}
