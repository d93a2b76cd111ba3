//! `cachebench replay OUT`: replays a results folder's recorded runs through the
//! `--reps auto` stop rule ([`crate::stats::sequential`]) and says how many measured
//! builds it would have used, against the builds recorded, and whether its verdicts
//! agree with the verdicts of all the recorded runs. Cheap and repeatable: it reads
//! `OUT/runs.jsonl` only and prints a table; with `--json PATH` it also writes the
//! replay ([`Replay`]) as JSON to PATH. It writes nothing into OUT, which may be
//! read-only or committed.
//!
//! Groups are the report's: image store × builder × state × change, cells by
//! strategy in the order they first appear. A round is one rep number (records carry
//! no round of their own yet): after each round the rule sees, per cell, the wall
//! times of the measured runs so far that ended ok and passed their state check, and
//! auto stops at the first settled round, or at round `max_reps`. Builds count the
//! measured runs that built (skipped runs do not; warm-ups are not measured).
//!
//! Two references, stated in the output: the *fixed* verdict is the same rule applied
//! once to all recorded reps (with the same look correction); the *report* verdict is
//! what `report.md` bolds today ([`crate::report::analysis`]: a winner when its median
//! interval is disjoint from every other's, else a tie).

use crate::error::{exit, Error, Result};
use crate::records::record::{RunKind, RunRecord, RunStatus};
use crate::report::analysis::{Analysis, Verdict};
use crate::stats::sequential::{Decision, Settled, StopRule, METHOD};
use serde::Serialize;
mod reading;
pub use reading::Reading;
use std::path::Path;

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
    /// Why auto stopped: `settled`, `futile` (non-binding: unsettled), `max_reps`,
    /// or `records end` (it would have run on).
    pub stopped: String,
    /// Auto's verdict where it stopped.
    pub auto: Reading,
    /// False when auto had not settled at the last recorded round and would have
    /// run more rounds (up to `max_reps`) than the records hold.
    pub auto_complete: bool,
    /// The same rule applied to all recorded reps.
    pub fixed: Reading,
    /// Whether auto's verdict agrees with the fixed one: the same winner, the same
    /// tie group, or both unsettled; `None` when auto is not complete (it would
    /// have gone on past the records, so nothing can be compared).
    pub agree: Option<bool>,
    /// Both unsettled, and their leaning cells differ (shown, not a disagreement:
    /// cells doing identical work trade places); `None` unless both are unsettled.
    pub leaning_differs: Option<bool>,
    /// What report.md bolds: `winner X`, `tie`, `single X` or `no data`.
    pub report: String,
    /// Auto names the report's winner (or its single cell), or neither names one;
    /// `None` when auto is not complete.
    pub report_agrees: Option<bool>,
}

/// The whole replay (what `--json PATH` writes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replay {
    pub confidence: f64,
    pub margin: f64,
    pub min_reps: u32,
    pub max_reps: u32,
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

const FIXED_MEANS: &str = "the fixed verdict is this stop rule applied once to all recorded reps \
(with the same correction for looks); auto agrees with it on the same winner, the same tie group, \
or both unsettled (open or futile; their leaning cells may differ, which is shown, not counted as \
disagreement); the report verdict is report.md's bolded win (median intervals disjoint)";

type GroupKey = (String, String, String, String);

/// Replays `records` through `rule` (see the module docs).
pub fn replay(records: &[RunRecord], rule: &StopRule) -> Replay {
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
    let analysis = Analysis::from_records(records);
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
                .map(|g| &g.verdict);
            replay_group(k, &runs, report, rule)
        })
        .collect();
    let builds_auto: u32 = groups.iter().map(|g| g.builds_auto).sum();
    let builds_recorded: u32 = groups.iter().map(|g| g.builds_recorded).sum();
    Replay {
        confidence: rule.confidence,
        margin: rule.margin,
        min_reps: rule.min_reps,
        max_reps: rule.max_reps,
        looks: rule.looks(),
        method: METHOD.to_string(),
        fixed_means: FIXED_MEANS.to_string(),
        builds_saved: builds_recorded.saturating_sub(builds_auto),
        auto_pct_of_fixed: if builds_recorded == 0 {
            0.0
        } else {
            crate::stats::summary::round3(
                100.0 * f64::from(builds_auto) / f64::from(builds_recorded),
            )
        },
        complete: groups.iter().filter(|g| g.auto_complete).count() as u32,
        agree: groups.iter().filter(|g| g.agree == Some(true)).count() as u32,
        report_agrees: groups
            .iter()
            .filter(|g| g.report_agrees == Some(true))
            .count() as u32,
        futile: groups.iter().filter(|g| g.stopped == "futile").count() as u32,
        both_unsettled: groups
            .iter()
            .filter(|g| g.leaning_differs.is_some())
            .count() as u32,
        leaning_differs: groups
            .iter()
            .filter(|g| g.leaning_differs == Some(true))
            .count() as u32,
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

fn replay_group(
    key: GroupKey,
    runs: &[&RunRecord],
    report: Option<&Verdict>,
    rule: &StopRule,
) -> GroupReplay {
    let mut names: Vec<String> = vec![];
    for r in runs {
        if !names.contains(&r.strategy) {
            names.push(r.strategy.clone());
        }
    }
    let mut reps: Vec<u32> = runs.iter().map(|r| r.rep).collect();
    reps.sort_unstable();
    reps.dedup();
    let samples_upto = |last: u32| -> Vec<Vec<f64>> {
        names
            .iter()
            .map(|s| {
                let mut rs: Vec<&&RunRecord> = runs
                    .iter()
                    .filter(|r| &r.strategy == s && r.rep <= last && sampled(r))
                    .collect();
                rs.sort_by_key(|r| r.rep);
                rs.iter()
                    .filter_map(|r| r.wall_ms)
                    .map(|ms| ms as f64 / 1000.0)
                    .collect()
            })
            .collect()
    };
    let builds_upto = |last: u32| runs.iter().filter(|r| r.rep <= last && built(r)).count() as u32;
    let last = reps.last().copied().unwrap_or(0);
    let read = |upto: u32| {
        let s = samples_upto(upto);
        let (d, settled) = rule.decide_settled(&s);
        // The tied group is only read for a tie.
        let group = match settled {
            Settled::Tie => rule.tied_group(&s),
            _ => vec![],
        };
        let reading = Reading::of_decision(&d, &settled, &group, &names);
        (d, reading)
    };
    let mut stop: Option<(u32, u32, Reading, &str)> = None;
    for (i, &rep) in reps.iter().enumerate() {
        let round = i as u32 + 1;
        if round > rule.max_reps {
            break;
        }
        let (d, reading) = read(rep);
        let why = match d {
            Decision::Settled(_) => "settled",
            Decision::Futile { .. } => "futile",
            Decision::Continue if round == rule.max_reps => "max_reps",
            Decision::Continue if rep == last => "records end",
            Decision::Continue => continue,
        };
        stop = Some((round, rep, reading, why));
        break;
    }
    let (rounds_auto, stop_rep, auto, stopped) = stop.unwrap_or((0, 0, read(0).1, "records end"));
    let complete = stopped != "records end";
    let s = samples_upto(last);
    let fixed = Reading::of(&rule.settle(&s), &rule.tied_group(&s), &names);
    let report_winner = match report {
        Some(Verdict::Winner { strategy, .. }) | Some(Verdict::Single { strategy }) => {
            Some(strategy.as_str())
        }
        _ => None,
    };
    let report = match report {
        Some(Verdict::Winner { strategy, .. }) => format!("winner {strategy}"),
        Some(Verdict::Single { strategy }) => format!("single {strategy}"),
        Some(Verdict::Tie { .. }) => "tie".to_string(),
        Some(Verdict::NoData) | None => "no data".to_string(),
    };
    let both_unsettled = complete && !auto.is_settled() && !fixed.is_settled();
    GroupReplay {
        image_store: key.0,
        builder: key.1,
        state: key.2,
        change: key.3,
        strategies: names.clone(),
        rounds_recorded: reps.len() as u32,
        builds_recorded: builds_upto(last),
        rounds_auto,
        builds_auto: builds_upto(stop_rep),
        stopped: stopped.to_string(),
        agree: complete.then(|| auto.agrees(&fixed)),
        leaning_differs: both_unsettled.then(|| auto.leaning() != fixed.leaning()),
        report_agrees: complete.then(|| auto.winner() == report_winner),
        auto,
        auto_complete: complete,
        fixed,
        report,
    }
}

/// A run the statistics sample: ok, with a wall time, its state check passed.
fn sampled(r: &RunRecord) -> bool {
    r.status == RunStatus::Ok && r.wall_ms.is_some() && !r.state_failed()
}

/// A measured run that ran a build (skipped runs did not).
fn built(r: &RunRecord) -> bool {
    r.status != RunStatus::Skipped
}

/// The replay as the terminal shows it.
pub fn render(r: &Replay) -> String {
    let mut s = format!(
        "stop rule: confidence {}, margin ±{}%, {}..{} runs per cell ({} looks)\n{}\n\n",
        r.confidence,
        crate::stats::summary::round3(r.margin * 100.0),
        r.min_reps,
        r.max_reps,
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
            g.auto,
            g.rounds_auto,
            if g.auto_complete {
                ""
            } else {
                ", records end: auto would run on"
            },
            g.fixed,
            if g.leaning_differs == Some(true) {
                "yes (both unsettled, leaning differs)"
            } else {
                yes(g.agree)
            },
            g.report,
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

/// `cachebench replay OUT [--json PATH]`: prints the replay, and writes it as JSON
/// to PATH when asked; nothing is written into OUT.
pub fn replay_cmd(c: &crate::config::cli::ReplayCmd) -> Result<i32> {
    let rule = StopRule {
        confidence: c.confidence,
        margin: c.margin,
        min_reps: c.min_reps,
        max_reps: c.max_reps,
    };
    rule.validate().map_err(Error::usage)?;
    let runs = c.out.join(crate::records::results_writer::RUNS_JSONL);
    let loaded = crate::records::results_reader::load_runs(&runs)?;
    for w in &loaded.warnings {
        eprintln!("cachebench: warning: {w}");
    }
    let r = replay(&loaded.records, &rule);
    // Written before anything is printed: a path that cannot be written is bad
    // input, refused with nothing else done.
    if let Some(path) = &c.json {
        write_json(path, &runs, &r)?;
    }
    print!("{}", render(&r));
    if let Some(path) = &c.json {
        println!("wrote {}", path.display());
    }
    Ok(exit::OK)
}

/// Writes the replay to `path`; refuses to overwrite the records it was read from.
fn write_json(path: &Path, runs: &Path, r: &Replay) -> Result<()> {
    if let (Ok(a), Ok(b)) = (std::fs::canonicalize(path), std::fs::canonicalize(runs)) {
        if a == b {
            return Err(Error::usage(format!(
                "--json: {} is the records being replayed; give another path",
                path.display()
            )));
        }
    }
    let text = serde_json::to_string_pretty(r)
        .map_err(|e| Error::Internal(anyhow::anyhow!("serialising the replay: {e}")))?;
    std::fs::write(path, text + "\n").map_err(|e| {
        Error::usage(format!(
            "--json: cannot write {}: {e}; give a path in a writable folder",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests;
