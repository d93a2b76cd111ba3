//! The "Repetitions" section of the reports: with `--reps auto`, why each state
//! stopped (a winner, a tie, futility, `max_reps`), after how many rounds, and how
//! many builds that took against a fixed run of `max_reps` repetitions, read from
//! the run's `stopping.json` ([`crate::records::stopping::Stopping`]), and which
//! cells left the race ([`crate::stats::sequential::race`]).

use crate::records::stopping::Stopping;
use std::fmt::Write;

/// Why a set of cells stopped, in words; cell keys are shortened to the strategy.
fn why(s: &Stopping) -> String {
    let short = |k: &str| k.split('/').next().unwrap_or(k).to_string();
    let leaning = || match (&s.leaning, s.more_runs) {
        (Some(l), Some(n)) => format!(
            ", leaning {} (~{n} more run{} per cell)",
            short(l),
            if n == 1 { "" } else { "s" }
        ),
        (Some(l), None) => format!(", leaning {}", short(l)),
        _ => String::new(),
    };
    let said = match s.reason.as_str() {
        "winner" => format!(
            "settled: **{}** wins",
            s.winner.as_deref().map(short).unwrap_or_default()
        ),
        "tie" => format!(
            "settled: tie of {}",
            s.tied
                .iter()
                .map(|k| short(k))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "futile" => format!("futile: max_reps would not settle it{}", leaning()),
        "max_reps" => format!("unsettled at max_reps{}", leaning()),
        "single cell" => "one cell: nothing to compare".to_string(),
        other => format!("{other}{}", leaning()),
    };
    if s.left_race.is_empty() {
        return said;
    }
    let left: Vec<String> = s
        .left_race
        .iter()
        .map(|l| format!("{} after round {}", short(&l.cell), l.after_round))
        .collect();
    format!("{said}; shown slower, left the race: {}", left.join(", "))
}

/// Writes the section (nothing without `stopping.json`).
pub fn section(out: &mut String, stopping: &[Stopping], heading: &str) {
    if stopping.is_empty() {
        return;
    }
    let _ = writeln!(out, "{heading} Repetitions (`--reps auto`)\n");
    // One store and builder: said once above the table, so the table stays narrow.
    let one = stopping
        .iter()
        .all(|s| (&s.image_store, &s.builder) == (&stopping[0].image_store, &stopping[0].builder));
    if one {
        let _ = writeln!(
            out,
            "On {} · {}:\n",
            stopping[0].image_store, stopping[0].builder
        );
    }
    let first = if one {
        "state × change"
    } else {
        "store · builder · state × change"
    };
    let _ = writeln!(out, "| {first} | stopped | rounds | builds (fixed) |");
    out.push_str("|---|---|--:|--:|\n");
    let (mut builds, mut fixed) = (0u32, 0u32);
    for s in stopping {
        builds += s.builds;
        fixed += s.fixed_builds;
        let scope = if one {
            format!("{} × {}", s.state, s.change)
        } else {
            format!(
                "{} · {} · {} × {}",
                s.image_store, s.builder, s.state, s.change
            )
        };
        let _ = writeln!(
            out,
            "| {scope} | {} | {} | {} ({}) |",
            why(s),
            s.rounds,
            s.builds,
            s.fixed_builds
        );
    }
    let saved = fixed.saturating_sub(builds);
    let pct = if fixed > 0 {
        100.0 * f64::from(builds) / f64::from(fixed)
    } else {
        0.0
    };
    let _ = writeln!(
        out,
        "\n{builds} measured builds, {pct:.0}% of the {fixed} a fixed run of `max_reps` repetitions would take ({saved} saved).\n"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop(reason: &str, builds: u32) -> Stopping {
        Stopping {
            image_store: "containerd".into(),
            builder: "docker".into(),
            state: "cold".into(),
            change: "source".into(),
            reason: reason.into(),
            winner: None,
            tied: vec![],
            leaning: None,
            more_runs: None,
            rounds: 3,
            builds,
            fixed_builds: 60,
            cells: vec![],
            left_race: vec![],
            rule: None,
        }
    }

    #[test]
    fn says_why_each_state_stopped_and_the_builds_saved() {
        let mut w = stop("winner", 18);
        w.winner = Some("buildkit/docker/cold/source".into());
        let mut t = stop("tie", 24);
        t.tied = vec![
            "registry-cache/docker/warm-remote/source".into(),
            "inline-cache/docker/warm-remote/source".into(),
        ];
        t.left_race = vec![crate::records::stopping::LeftRace {
            cell: "local-cache/docker/warm-remote/source".into(),
            after_round: 3,
        }];
        let mut f = stop("futile", 18);
        f.leaning = Some("layer-cache/docker/warm-local/source".into());
        f.more_runs = Some(31);
        let mut out = String::new();
        section(&mut out, &[w, t, f], "##");
        assert!(out.contains("settled: **buildkit** wins"), "{out}");
        assert!(
            out.contains("tie of registry-cache, inline-cache; shown slower, left the race: local-cache after round 3 |"),
            "{out}"
        );
        assert!(
            out.contains("futile: max_reps would not settle it, leaning layer-cache (~31 more runs per cell)"),
            "{out}"
        );
        assert!(
            out.contains("60 measured builds, 33% of the 180 a fixed run"),
            "{out}"
        );
        assert!(out.contains("(120 saved)"), "{out}");
        assert!(out.contains("On containerd · docker:"), "{out}");
        assert!(out.contains("| cold × source | settled"), "{out}");
    }

    #[test]
    fn nothing_without_stopping_json() {
        let mut out = String::new();
        section(&mut out, &[], "##");
        assert!(out.is_empty());
    }
}
