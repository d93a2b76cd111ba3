//! `cachebench replay OUT`: parses its flags, replays OUT's records through the
//! `--reps auto` stop rule ([`crate::report::replay`]), prints the table and, with
//! `--json PATH`, writes the replay there. It writes nothing into OUT, which may be
//! read-only or committed.

use crate::error::{exit, Error, Result};
use crate::report::replay::{render, replay, Replay};
use crate::stats::sequential::StopRule;
use std::path::Path;

/// `cachebench replay OUT [--json PATH]`: prints the replay, and writes it as JSON
/// to PATH when asked; nothing is written into OUT.
pub fn replay_cmd(c: &crate::config::cli::ReplayCmd) -> Result<i32> {
    let rule = StopRule {
        confidence: c.confidence,
        margin: c.margin,
        margin_floor_s: c.margin_floor.as_secs_f64(),
        min_reps: c.min_reps,
        max_reps: c.max_reps,
        race: !c.no_race,
    };
    rule.validate().map_err(Error::usage)?;
    let runs = c.out.join(crate::records::results_writer::RUNS_JSONL);
    let loaded = crate::records::results_reader::load_runs(&runs)?;
    for w in &loaded.warnings {
        eprintln!("cachebench: warning: {w}");
    }
    let settings = crate::records::report_settings::read(&c.out)?.unwrap_or_default();
    let r = replay(&loaded.records, &rule, &settings);
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
