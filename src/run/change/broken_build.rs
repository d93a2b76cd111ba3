//! A warm run whose build failed in a Dockerfile step after its change: the same
//! commands built the project just before (the warming build, or the previous run
//! of the chain, which ended ok), so it is the change that broke the build, not the
//! cache. Its reason says so, with the first error line the failing step printed
//! (from the run's log), so no reader takes it for a cache's failure.

use crate::config::matrix::{Change, State};
use crate::infra::process::Ending;
use crate::phases::timeline::Timeline;
use std::path::Path;

/// Words that mark a line of a failing step's output as its error.
const ERROR_WORDS: &[&str] = &[
    "error",
    "err!",
    "fatal",
    "failed",
    "invalid",
    "unexpected",
    "cannot",
    "can't",
    "not found",
    "no such",
    "exception",
    "panicked",
];

/// The reason of a run of `state` with `change` whose `role` command ended in
/// `ending`, when it is the change that broke the build; `None` otherwise (cold,
/// no change, not a build, or a build that failed outside a Dockerfile step).
pub fn reason(
    state: State,
    change: Change,
    role: &str,
    ending: &Ending,
    build: Option<&Timeline>,
    log: &Path,
) -> Option<String> {
    if state == State::Cold || change == Change::None || role != "build" {
        return None;
    }
    if !matches!(ending, Ending::Exited(c) if *c != 0) {
        return None;
    }
    let build = build?;
    let step = build
        .error_vertex
        .as_deref()
        .filter(|v| is_dockerfile_step(v))?;
    let raw = std::fs::read_to_string(log).unwrap_or_default();
    let output = failing_output(&crate::run::transcript::render(&raw));
    let line = first_error_line(&output)
        .or(build.error.clone())
        .map(|l| without_colours(&l))
        .unwrap_or_default();
    let line: String = line.chars().take(300).collect();
    Some(format!(
        "the change broke the build: {line} (in `{}`; the same build passed before the change)",
        step.trim()
    ))
}

/// `[deps 2/3] RUN npm ci`, `[2/3] COPY . .` (BuildKit) or `Step 3/9 : RUN x`
/// (legacy): a Dockerfile instruction, not loading the context or exporting.
pub fn is_dockerfile_step(vertex: &str) -> bool {
    let v = vertex.trim();
    if v.starts_with("Step ") {
        return true;
    }
    v.strip_prefix('[')
        .and_then(|r| r.split_once("] "))
        .is_some_and(|(tag, _)| tag.contains('/'))
}

/// The output lines of the failing step in the last command of a transcript
/// ([`crate::run::transcript::render`]): BuildKit's step marked `error`, or the
/// legacy builder's lines after its last `Step N/M :`.
pub fn failing_output(transcript: &str) -> Vec<String> {
    let last = transcript.rsplit("\n$ ").next().unwrap_or(transcript);
    let mut out = Vec::new();
    let mut inside = false;
    for l in last.lines() {
        if l.starts_with("  step ") {
            if inside {
                break;
            }
            inside = l.ends_with(": error") || l.contains(": error, ");
        } else if inside {
            if let Some(text) = l.strip_prefix("    | ") {
                out.push(text.trim().to_string());
            }
        }
    }
    if out.is_empty() {
        // The legacy builder: plain timed lines (`  12.345 text`), the step's own
        // after its `Step N/M :` line.
        let mut step: Option<Vec<String>> = None;
        for text in last.lines().filter_map(timed_text) {
            if text.starts_with("Step ") {
                step = Some(Vec::new());
            } else if let Some(lines) = step.as_mut() {
                if !text.starts_with("--->") && !text.starts_with("Removing intermediate") {
                    lines.push(text.to_string());
                }
            }
        }
        out = step.unwrap_or_default();
    }
    out
}

/// The text of a transcript's timed output line, `  12.345 text`.
fn timed_text(line: &str) -> Option<&str> {
    let (num, text) = line.trim_start().split_once(' ')?;
    let timed = num.contains('.') && num.chars().all(|c| c.is_ascii_digit() || c == '.');
    timed.then(|| text.trim())
}

/// `line` without ANSI colour sequences (`ESC [ 91 m`: the legacy builder colours
/// a step's stderr).
pub fn without_colours(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_string()
}

/// The first line that reads as an error, else the last line.
pub fn first_error_line(lines: &[String]) -> Option<String> {
    lines
        .iter()
        .find(|l| {
            let low = l.to_ascii_lowercase();
            ERROR_WORDS.iter().any(|w| low.contains(w))
        })
        .or(lines.last())
        .cloned()
}
