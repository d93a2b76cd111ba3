//! The replay of a results folder's records through the `--reps auto` stop rule
//! ([`crate::stats::sequential`]): how many measured builds auto would have used,
//! against the builds recorded, and whether its [`Verdict`] agrees with the same
//! rule applied once to all recorded runs (the *fixed* verdict) and with the
//! verdict the report gives these records ([`crate::report::analysis::Group`]).
//! Cheap and repeatable: it reads records only; nothing runs.
//!
//! Groups are the report's: image store × builder × state × change, cells by
//! strategy in the order they first appear. A round is the records' own `round`
//! (older records without one: their `rep`): after each round the rule sees, per
//! cell, the runs so far that are samples ([`RunRecord::sample_seconds`]), paired
//! by round as in a real run, and auto stops at the first settled or futile round,
//! or at round `max_reps`. Builds are counted as the matrix counts them
//! ([`RunRecord::is_build`]).

use crate::records::record::{RunKind, RunRecord, RunStatus};
use crate::records::report_settings::ReportSettings;
use crate::report::analysis::Analysis;
use crate::stats::sequential::race::Race;
use crate::stats::sequential::{StopRule, METHOD};
use crate::stats::summary::round3;
use crate::stats::two_cells::RunTime;
use crate::stats::verdict::Verdict;
use serde::Serialize;

/// What the replay says about one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupReplay {
    pub image_store: String,
    pub builder: String,
    pub state: String,
    pub change: String,
    pub strategies: Vec<String>,
    pub rounds_recorded: u32,
    pub builds_recorded: u32,
    pub rounds_auto: u32,
    pub builds_auto: u32,
    /// Why auto stopped: `settled`, `futile` (unsettled), `max_reps`, or `records
    /// end` (it would have run on).
    pub stopped: String,
    /// Auto's verdict where it stopped.
    pub auto: Verdict<String>,
    /// False when auto had not settled at the last recorded round and would have
    /// run more rounds (up to `max_reps`) than the records hold.
    pub auto_complete: bool,
    /// The same rule applied once to all recorded runs.
    pub fixed: Verdict<String>,
    /// Whether auto's verdict agrees with the fixed one ([`agree`]); `None` when
    /// auto is not complete.
    pub agree: Option<bool>,
    /// Both unsettled, and their leaning cells differ (shown, not a disagreement:
    /// cells doing identical work trade places); `None` unless both are unsettled.
    pub leaning_differs: Option<bool>,
    /// The verdict the report gives these records.
    pub report: Verdict<String>,
    /// Whether auto's verdict agrees with the report's; `None` when not complete.
    pub report_agrees: Option<bool>,
}

/// The whole replay (what `replay --json PATH` writes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replay {
    pub rule: StopRule,
    pub looks: u32,
    pub method: String,
    pub fixed_means: String,
    pub groups: Vec<GroupReplay>,
    pub builds_auto: u32,
    pub builds_recorded: u32,
    pub builds_saved: u32,
    /// builds_auto / builds_recorded, in %.
    pub auto_pct_of_fixed: f64,
    /// Groups where auto is complete, and of those where it agrees with the fixed
    /// verdict and with the report's.
    pub complete: u32,
    pub agree: u32,
    pub report_agrees: u32,
    /// Groups auto stopped as futile (unsettled, before `max_reps`).
    pub futile: u32,
    /// Complete groups where auto and the fixed verdict are both unsettled, and of
    /// those where their leaning cells differ (not counted as disagreement).
    pub both_unsettled: u32,
    pub leaning_differs: u32,
}

/// What the three verdicts of the replay are.
pub const FIXED_MEANS: &str = "the fixed verdict is this stop rule applied once to all recorded \
runs (with the same correction for looks); the report verdict is what the report says of the \
records (read with the rule that stopped them, or once, as the report reads them); two verdicts \
agree on the same winner, the same tie group, or both unsettled (leaning or futile; their leaning \
cells may differ, which is shown, not counted as disagreement)";

type GroupKey = (String, String, String, String);

/// Whether two verdicts say the same: the same winner, the same tie group, the
/// same lone cell, or both unsettled.
pub fn agree(a: &Verdict<String>, b: &Verdict<String>) -> bool {
    match (a, b) {
        (Verdict::Winner { option: x, .. }, Verdict::Winner { option: y, .. }) => x == y,
        (Verdict::Tie { options: x }, Verdict::Tie { options: y }) => {
            let (mut x, mut y) = (x.clone(), y.clone());
            x.sort();
            y.sort();
            x == y
        }
        (Verdict::Alone { option: x }, Verdict::Alone { option: y }) => x == y,
        (x, y) => !x.is_settled() && !y.is_settled(),
    }
}

/// A verdict in a few words: `winner a`, `tie a, b`, `leaning a`, `futile a`.
pub fn words(v: &Verdict<String>) -> String {
    match v {
        Verdict::NoData => "no data".into(),
        Verdict::Tie { options } => format!("tie {}", options.join(", ")),
        _ => format!("{} {}", v.word(), v.option().map_or("", String::as_str)),
    }
}

/// Replays `records` through `rule` (see the module docs).
pub fn replay(records: &[RunRecord], rule: &StopRule, settings: &ReportSettings) -> Replay {
    let measured: Vec<&RunRecord> = records
        .iter()
        .filter(|r| r.kind == RunKind::Measured)
        .collect();
    let mut keys: Vec<GroupKey> = vec![];
    for r in &measured {
        let k = group_key(r);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let stopped_by = None;
    let analysis = Analysis::read(records, stopped_by, settings);
    let groups: Vec<GroupReplay> = keys
        .into_iter()
        .map(|k| {
            let runs: Vec<&RunRecord> = measured
                .iter()
                .copied()
                .filter(|r| group_key(r) == k)
                .collect();
            let report = analysis
                .groups
                .iter()
                .find(|g| {
                    (&g.image_store, &g.builder, &g.state, &g.change) == (&k.0, &k.1, &k.2, &k.3)
                })
                .map_or(Verdict::NoData, |g| g.verdict.clone());
            replay_group(k, &runs, report, rule)
        })
        .collect();
    let builds_auto: u32 = groups.iter().map(|g| g.builds_auto).sum();
    let builds_recorded: u32 = groups.iter().map(|g| g.builds_recorded).sum();
    let count = |f: &dyn Fn(&GroupReplay) -> bool| groups.iter().filter(|g| f(g)).count() as u32;
    Replay {
        rule: rule.clone(),
        looks: rule.looks(),
        method: METHOD.to_string(),
        fixed_means: FIXED_MEANS.to_string(),
        builds_saved: builds_recorded.saturating_sub(builds_auto),
        auto_pct_of_fixed: if builds_recorded == 0 {
            0.0
        } else {
            round3(100.0 * f64::from(builds_auto) / f64::from(builds_recorded))
        },
        complete: count(&|g| g.auto_complete),
        agree: count(&|g| g.agree == Some(true)),
        report_agrees: count(&|g| g.report_agrees == Some(true)),
        futile: count(&|g| g.stopped == "futile"),
        both_unsettled: count(&|g| g.leaning_differs.is_some()),
        leaning_differs: count(&|g| g.leaning_differs == Some(true)),
        builds_auto,
        builds_recorded,
        groups,
    }
}

fn group_key(r: &RunRecord) -> GroupKey {
    (
        r.image_store.clone(),
        r.builder.clone(),
        r.state.clone(),
        r.change.clone(),
    )
}

/// The round a record ran in: its own, or for older records its rep.
fn round_of(r: &RunRecord) -> u32 {
    r.round.unwrap_or(r.rep)
}

fn replay_group(
    key: GroupKey,
    runs: &[&RunRecord],
    report: Verdict<String>,
    rule: &StopRule,
) -> GroupReplay {
    // A cell planned as skipped (every record skipped) never ran: not in the race,
    // as the run left it out of its set.
    let ran = |s: &str| {
        runs.iter()
            .any(|r| r.strategy == s && r.status != RunStatus::Skipped)
    };
    let runs: Vec<&RunRecord> = runs.iter().copied().filter(|r| ran(&r.strategy)).collect();
    let mut names: Vec<String> = vec![];
    for r in &runs {
        if !names.contains(&r.strategy) {
            names.push(r.strategy.clone());
        }
    }
    let mut rounds: Vec<u32> = runs.iter().map(|r| round_of(r)).collect();
    rounds.sort_unstable();
    rounds.dedup();
    let cell_of = |r: &RunRecord| names.iter().position(|s| *s == r.strategy).unwrap_or(0);
    // A cell's records up to round `last`, cut where it left the race.
    let kept = |r: &RunRecord, last: u32, race: &Race| {
        round_of(r) <= race.left_after(cell_of(r)).map_or(last, |l| l.min(last))
    };
    let samples_upto = |last: u32, race: &Race| -> Vec<Vec<RunTime>> {
        names
            .iter()
            .map(|s| {
                let mut rs: Vec<&&RunRecord> = runs
                    .iter()
                    .filter(|r| &r.strategy == s && kept(r, last, race))
                    .collect();
                rs.sort_by_key(|r| round_of(r));
                rs.iter()
                    .filter_map(|r| {
                        Some(RunTime {
                            block: Some(u64::from(round_of(r))),
                            seconds: r.sample_seconds()?,
                        })
                    })
                    .collect()
            })
            .collect()
    };
    let builds_upto = |last: u32, race: &Race| {
        runs.iter()
            .filter(|r| kept(r, last, race) && r.is_build())
            .count() as u32
    };
    let name = |v: Verdict<usize>| v.map(|i| names[i].clone());
    let last = rounds.last().copied().unwrap_or(0);
    let mut race = Race::new(names.len());
    let mut stop: Option<(u32, u32, Verdict<String>, &str)> = None;
    for (i, &round) in rounds.iter().enumerate() {
        let look = i as u32 + 1;
        if look > rule.round_cap(names.len()) {
            break;
        }
        for r in runs.iter().filter(|r| round_of(r) == round) {
            if race.running(cell_of(r)) {
                race.count_run();
            }
        }
        let reading = rule.read(&samples_upto(round, &race));
        let why = match &reading.verdict {
            _ if look < rule.effective_min() && round != last => continue,
            v if v.is_settled() && look >= rule.effective_min() => "settled",
            _ if race.spent(rule, look) => "max_reps",
            Verdict::Leaning { futile: true, .. } => "futile",
            _ if round == last => "records end",
            _ => {
                race.after_round(rule, round, &reading);
                continue;
            }
        };
        stop = Some((look, round, name(reading.verdict), why));
        break;
    }
    let (rounds_auto, stop_round, auto, stopped) =
        stop.unwrap_or((0, 0, Verdict::NoData, "records end"));
    let complete = stopped != "records end";
    let everything = Race::new(names.len());
    let fixed = name(rule.judge(&samples_upto(last, &everything)));
    let both_unsettled = complete && !auto.is_settled() && !fixed.is_settled();
    GroupReplay {
        image_store: key.0,
        builder: key.1,
        state: key.2,
        change: key.3,
        strategies: names.clone(),
        rounds_recorded: rounds.len() as u32,
        builds_recorded: builds_upto(last, &everything),
        rounds_auto,
        builds_auto: builds_upto(stop_round, &race),
        stopped: stopped.to_string(),
        agree: complete.then(|| agree(&auto, &fixed)),
        leaning_differs: both_unsettled.then(|| auto.option() != fixed.option()),
        report_agrees: complete.then(|| agree(&auto, &report)),
        auto,
        auto_complete: complete,
        fixed,
        report,
    }
}

/// The replay as the terminal shows it.
pub fn render(r: &Replay) -> String {
    let mut s = format!(
        "stop rule: confidence {}, margin the larger of ±{}% and {} s per build, {}..{} runs per cell ({} looks)\n{}\n\n",
        r.rule.confidence,
        round3(r.rule.margin * 100.0),
        r.rule.margin_floor_s,
        r.rule.min_reps,
        r.rule.max_reps,
        r.looks,
        FIXED_MEANS
    );
    s.push_str("| group (store/builder/state/change) | cells | builds auto / recorded | auto (round) | fixed | agree | report | agrees |\n");
    s.push_str("|---|--:|--:|---|---|---|---|---|\n");
    for g in &r.groups {
        s.push_str(&format!(
            "| {}/{}/{}/{} | {} | {} / {} | {} ({}{}) | {} | {} | {} | {} |\n",
            g.image_store,
            g.builder,
            g.state,
            g.change,
            g.strategies.len(),
            g.builds_auto,
            g.builds_recorded,
            words(&g.auto),
            g.rounds_auto,
            if g.auto_complete {
                ""
            } else {
                ", records end: auto would run on"
            },
            words(&g.fixed),
            if g.leaning_differs == Some(true) {
                "yes (both unsettled, leaning differs)"
            } else {
                yes(g.agree)
            },
            words(&g.report),
            yes(g.report_agrees),
        ));
    }
    s.push_str(&format!(
        "\nbuilds: auto {} of {} recorded ({}%), {} saved; auto settled or reached max_reps within the records in {} of {} groups, and there agrees with the fixed verdict in {} and with the report's in {}\n",
        r.builds_auto,
        r.builds_recorded,
        r.auto_pct_of_fixed,
        r.builds_saved,
        r.complete,
        r.groups.len(),
        r.agree,
        r.report_agrees,
    ));
    if r.both_unsettled > 0 {
        s.push_str(&format!(
            "both unsettled in {} groups ({} stopped as futile); the leaning differs in {} of them: shown, not counted as disagreement (cells doing identical work trade places)\n",
            r.both_unsettled, r.futile, r.leaning_differs
        ));
    }
    if r.complete < r.groups.len() as u32 {
        s.push_str("groups marked `records end` had not settled when the records end: auto would have run more rounds, so their builds are a lower bound and no agreement is claimed\n");
    }
    s
}

fn yes(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "–",
    }
}

#[cfg(test)]
mod tests;
