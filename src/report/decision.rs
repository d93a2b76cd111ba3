//! The Decision: what a team should put in its workflow, one answer per CI
//! situation, from the cells' statistics. Three situations:
//!
//! - **ephemeral runner** (every job starts empty): building with no cache (the cold
//!   cell of a plain build) against each remote cache in warm-remote;
//! - **warm host** (self-hosted, or a CodeBuild host whose local cache hit): the
//!   warm-local cells, a plain build (no cache export) among them;
//! - **best-effort local cache** (CodeBuild `LOCAL_DOCKER_LAYER_CACHE`): the expected
//!   time E(p) = p·warm + (1 − p)·cold at hit probability p, and the p above which it
//!   beats each remote cache (see [`crate::report::decision::local`]).
//!
//! A situation whose state was measured but has no sample (every run disturbed,
//! failed or skipped) is not left out: it says so, and why
//! ([`crate::report::decision::unanswered`]).
//!
//! Each situation is settled per image store × builder × change ([`Scope`]) by the
//! one rule ([`crate::report::judge`]), no cache included, then answered once per
//! image store × builder across the changes measured, weighted by the change mix
//! ([`crate::report::decision::mix`]): a pipeline cannot switch its cache per
//! commit. A cold state makes the change irrelevant, so cold cells are matched by
//! strategy, builder and store whatever their change, and pooled.

pub mod break_even;
pub mod hosts;
pub mod local;
pub mod markdown;
pub mod mix;
pub mod options;
pub mod per_state;
pub mod scopes;
pub mod sentences;
#[cfg(test)]
mod tests;
pub mod unanswered;

use crate::records::report_settings::mix_words;
use crate::report::analysis::Analysis;
use crate::report::decision::local::BestEffort;
use crate::report::decision::mix::Answer;
use crate::report::decision::options::OptionStats;
use crate::stats::verdict::Verdict;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Strategies that export a remote cache a fresh runner can import.
pub const REMOTE_CACHES: [&str; 4] = ["registry-cache", "local-cache", "inline-cache", "gha-cache"];

/// Plain builds that export no cache, in order of preference as the "no cache"
/// baseline (`buildkit` is what `docker build` does today).
pub const NO_CACHE: [&str; 3] = ["buildkit", "legacy", "layer-cache"];

/// One image store × builder × change of a situation, settled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scope {
    pub image_store: String,
    pub builder: String,
    pub change: String,
    /// Fastest first.
    pub options: Vec<OptionStats>,
    /// The no-cache median, ms, when a plain cold build was measured.
    pub no_cache_ms: Option<f64>,
    pub verdict: Verdict<String>,
    /// Plain sentences: a cache that does not pay, a difference that is noise.
    pub notes: Vec<String>,
}

impl Scope {
    /// The option the verdict points to (no cache when a tie includes it: a cache
    /// must earn its keep).
    pub fn pick(&self) -> Option<&OptionStats> {
        let id = pick_of(&self.verdict)?;
        self.options.iter().find(|o| o.id() == id)
    }
}

/// The option a verdict recommends. A cache must earn its keep: within a tie, or
/// against a lead that is noise in the build, no cache or a plain build (no cache
/// export, [`NO_CACHE`]) is picked over a cache; else the option it points to.
pub fn pick_of(v: &Verdict<String>) -> Option<&str> {
    let plain = |id: &str| id == crate::report::judge::NO_CACHE_ID || NO_CACHE.contains(&id);
    match v {
        Verdict::Tie { options } => options
            .iter()
            .find(|o| plain(o))
            .or(options.first())
            .map(String::as_str),
        Verdict::Noise {
            option, runner_up, ..
        } if plain(runner_up) && !plain(option) => Some(runner_up),
        _ => v.option().map(String::as_str),
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
    /// One answer per image store × builder, across the changes by the mix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<Answer>,
    /// The figures beneath it: one settled scope per change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<Scope>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub best_effort: Vec<BestEffort>,
    /// The link this answer was measured over (`none`: caches on loopback); a
    /// matrix that swept links has one answer per situation per link.
    #[serde(
        default = "no_link",
        skip_serializing_if = "crate::report::decision::is_no_link"
    )]
    pub link: String,
}

fn no_link() -> String {
    crate::records::cell_key::DEFAULT_LINK.to_string()
}

fn is_no_link(l: &str) -> bool {
    l == crate::records::cell_key::DEFAULT_LINK
}

/// The link in words, for a recommendation: `over a 200mbit/20ms link`, `over the
/// same-region link (400mbit/2ms)`, `with no link (caches on loopback)`.
pub fn link_words(a: &Analysis, link: &str) -> String {
    if is_no_link(link) {
        return "with no link (caches on loopback)".into();
    }
    match a.link_figures.get(link).filter(|f| *f != link) {
        Some(figures) => format!("over the {link} link ({figures})"),
        None => format!("over a {link} link"),
    }
}

/// The Decision of a results folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The confidence a verdict needs (0.95).
    pub confidence: f64,
    /// How verdicts are settled, in words.
    pub method: String,
    /// The practical margin, in words (`the larger of ±5% and 0.25 s per build`).
    pub margin: String,
    /// The change mix the answers weigh changes by (shares of the changes measured).
    pub change_mix: BTreeMap<String, f64>,
    pub situations: Vec<Situation>,
    /// Each remote cache's break-even link, when links were swept
    /// ([`crate::report::decision::break_even`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub break_even: Vec<crate::report::decision::break_even::BreakEven>,
    /// When some answer did not settle and the hypervisor took much of the CPU the
    /// runs wanted: that, in a sentence ([`crate::report::contention`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contention: Option<String>,
}

/// How verdicts are settled, for the report's Methods and `decision.method`.
pub const METHOD: &str = "per situation, the options (no cache and each cache, or the warm-local cells) are settled by the stop rule of --reps auto (t-tests on log wall times, paired by round where options ran in the same rounds, else Welch's): a winner is shown faster than every other option; a tie when the others are each shown slower or within the practical margin of the leader; else leaning, with about how many more runs per cell would settle it; a cache not shown faster than no cache by more than the margin is not recommended; a lead whose difference lies only in the build steps (work identical whichever cache is used) is noise in the build, not the cache, against the runner-up and no cache alike; one answer per situation weighs the changes by the change mix";

/// [`METHOD`], with the level the records are read at.
pub fn method(a: &Analysis) -> String {
    let Some(r) = &a.stop_rule else {
        return format!(
            "{METHOD}; the records are read once, at {}% confidence",
            confidence_pct(a)
        );
    };
    let (raced, looks) = if r.race {
        (
            format!(" that raced its cells (a cell shown slower ran no more, and the others got its runs within the budget of {} runs per cell)", r.max_reps),
            format!(
                "its looks from {} runs per cell to its round cap ({} rounds for two options, {} for four)",
                r.effective_min(),
                r.round_cap(2),
                r.round_cap(4)
            ),
        )
    } else {
        (
            String::new(),
            format!(
                "its {} looks ({}..{} runs per cell)",
                r.looks(),
                r.effective_min(),
                r.max_reps
            ),
        )
    };
    format!("{METHOD}; the records come from a --reps auto run{raced}, so every test is at the level of its stop rule, corrected for {looks}, as the run was stopped")
}

fn confidence_pct(a: &Analysis) -> f64 {
    (a.reading_rule().confidence * 1000.0).round() / 10.0
}

/// `the larger of ±5% and 0.25 s per build`.
pub fn margin_words(a: &Analysis) -> String {
    let r = a.reading_rule();
    format!(
        "the larger of ±{}% and {} s per build",
        (r.margin * 1000.0).round() / 10.0,
        r.margin_floor_s
    )
}

impl Decision {
    /// The Decision of an analysis; of a merged folder whose cells ran on several
    /// hosts, one per host, never comparing cells of different hosts
    /// ([`crate::report::decision::hosts`]).
    pub fn from_analysis(a: &Analysis) -> Decision {
        let hosts = crate::report::decision::hosts::hosts_of(a);
        let mut d = if hosts.len() > 1 {
            crate::report::decision::hosts::decision(a, &hosts)
        } else {
            Decision::from_one_host(a)
        };
        let unsettled = d
            .situations
            .iter()
            .flat_map(|s| &s.scopes)
            .any(|sc| !sc.verdict.is_settled());
        d.contention = a
            .contention
            .as_ref()
            .filter(|c| unsettled && c.is_contended())
            .map(|c| c.unsettled_note());
        d
    }

    /// The Decision of cells measured on one host: one answer per situation, or,
    /// when the records swept or set a link, one per situation per link, each
    /// naming it.
    pub fn from_one_host(a: &Analysis) -> Decision {
        if !a.has_links() {
            return Decision::of_one_link(a);
        }
        let mut d = Decision::of_one_link(&a.for_link(&a.links[0]));
        d.situations.clear();
        d.break_even = crate::report::decision::break_even::break_even(a);
        for link in &a.links {
            let sub = a.for_link(link);
            for mut s in Decision::of_one_link(&sub).situations {
                s.recommendation = format!(
                    "{}: {}",
                    capital(&link_words(a, link)),
                    lower_first(&s.recommendation)
                );
                s.link = link.clone();
                d.situations.push(s);
            }
        }
        d
    }

    fn of_one_link(a: &Analysis) -> Decision {
        let mut situations = vec![];
        for kind in [SituationKind::EphemeralRunner, SituationKind::WarmHost] {
            let scopes = crate::report::decision::scopes::scopes(a, kind);
            if scopes.is_empty() {
                // Asked but not answerable: said, never left out.
                if let Some(why) = crate::report::decision::unanswered::sentence(a, kind) {
                    situations.push(Situation {
                        situation: kind,
                        recommendation: why,
                        answers: vec![],
                        scopes: vec![],
                        best_effort: vec![],
                        link: no_link(),
                    });
                }
                continue;
            }
            let answers = crate::report::decision::mix::answers(a, &scopes);
            situations.push(Situation {
                situation: kind,
                recommendation: crate::report::decision::sentences::recommendation(
                    kind,
                    a,
                    &answers,
                    &scopes,
                    &[],
                ),
                answers,
                scopes,
                best_effort: vec![],
                link: no_link(),
            });
        }
        let be = crate::report::decision::local::best_effort(a);
        if !be.is_empty() {
            situations.push(Situation {
                situation: SituationKind::BestEffortLocal,
                recommendation: crate::report::decision::sentences::recommendation(
                    SituationKind::BestEffortLocal,
                    a,
                    &[],
                    &[],
                    &be,
                ),
                answers: vec![],
                scopes: vec![],
                best_effort: be,
                link: no_link(),
            });
        }
        Decision {
            confidence: a.reading_rule().confidence,
            method: method(a),
            margin: margin_words(a),
            change_mix: a.change_mix.clone(),
            situations,
            break_even: vec![],
            contention: None,
        }
    }

    /// The change mix in words (`source 80%, deps 20%`).
    pub fn mix_words(&self) -> String {
        mix_words(&self.change_mix)
    }
}

/// `on a …` → `On a …`.
pub fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `On an …` → `on an …` (a sentence continued after the link's words); a name in
/// bold or code first is left as it is.
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if f.is_ascii_uppercase() => f.to_ascii_lowercase().to_string() + c.as_str(),
        Some(f) => f.to_string() + c.as_str(),
        None => String::new(),
    }
}
