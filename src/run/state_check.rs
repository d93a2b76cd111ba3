//! Every run proves its state: after a run, its own step records (BuildKit's
//! `cached` flags, the legacy builder's `Using cache` lines) and byte counts are
//! checked against what the cell claims to measure.
//!
//! - **cold**: no step was served from cache;
//! - **warm** (`warm-local`, `warm-remote`) with no change: every step was cached;
//! - **warm with a change**: the steps that read the changed file ran (they are the
//!   `COPY`/`ADD` steps whose sources cover it, and `RUN --mount=type=bind` steps
//!   that bind it), and the steps before the first of them were cached;
//! - **warm-remote**: a run that reused cached layers downloaded them (`bytes_down`
//!   above zero), so the cache came from the remote, not from local state left over.
//!
//! The result is `ok` or the reason, recorded as `state_check`; statistics leave out
//! runs whose check failed, and the report says so per cell.

use crate::config::matrix::{Change, State};
use crate::records::record::StepRecord;
use std::path::Path;

/// The value of `state_check` for a run whose state was proven.
pub const OK: &str = crate::records::record::STATE_CHECK_OK;

/// What the check needs to know about the run.
pub struct Claim<'a> {
    pub state: State,
    pub change: Change,
    /// The file the change rewrote, relative to the context (None for `none`).
    pub changed_file: Option<&'a Path>,
}

/// What the run's records say.
pub struct Evidence<'a> {
    pub steps: &'a [StepRecord],
    pub bytes_down: u64,
}

/// Checks a finished run; returns [`OK`] or why its state is not what it claims.
pub fn check(claim: &Claim, ev: &Evidence) -> String {
    let steps: Vec<&StepRecord> = ev.steps.iter().filter(|s| !is_metadata(s)).collect();
    if steps.is_empty() {
        return "no build step was recorded, so the state cannot be proven".into();
    }
    let cached: Vec<&&StepRecord> = steps.iter().filter(|s| s.cached).collect();
    if claim.state == State::Cold {
        return match cached.first() {
            None => OK.into(),
            Some(first) => format!(
                "cold run found {} of {} steps cached (first: {}): local state was not empty",
                cached.len(),
                steps.len(),
                short(&first.name)
            ),
        };
    }
    let verdict = match (claim.change, claim.changed_file) {
        (Change::None, _) | (_, None) => match steps.iter().find(|s| !s.cached) {
            None => OK.to_string(),
            Some(s) => format!(
                "warm run with no change rebuilt {} of {} steps (first: {}): the warm state was not reused",
                steps.len() - cached.len(),
                steps.len(),
                short(&s.name)
            ),
        },
        (_, Some(file)) => check_change(&steps, file),
    };
    if verdict != OK {
        return verdict;
    }
    if claim.state == State::WarmRemote
        && ev.bytes_down == 0
        && cached.iter().any(|s| makes_layer(&s.name))
    {
        return format!(
            "warm-remote run reused {} cached steps but downloaded nothing: the cache came from \
             local state, not from the remote (on an engine cachebench does not own, an image \
             it did not make that holds the same layers does this: remove it, or run on \
             cachebench's own engine)",
            cached.len()
        );
    }
    OK.into()
}

fn check_change(steps: &[&StepRecord], file: &Path) -> String {
    let readers: Vec<usize> = (0..steps.len())
        .filter(|&i| reads(&steps[i].name, file))
        .collect();
    let Some(&first) = readers.first() else {
        return format!(
            "no step reads {}, so the change cannot show in the build: name a file the \
             Dockerfile copies (--source-file / --deps-file)",
            file.display()
        );
    };
    if let Some(&i) = readers.iter().find(|&&i| steps[i].cached) {
        return format!(
            "{} reads the changed file {} but was served from cache: the change did not reach the build",
            short(&steps[i].name),
            file.display()
        );
    }
    if let Some(s) = steps[..first].iter().find(|s| !s.cached) {
        return format!(
            "{} comes before the changed file is read but ran: the warm state was not reused",
            short(&s.name)
        );
    }
    OK.into()
}

/// The instruction of a step name: `[deps 3/4] COPY a b` and `Step 3/9 : COPY a b`
/// both give `COPY a b`.
pub fn instruction(name: &str) -> &str {
    let n = name.trim();
    if let Some(rest) = n.strip_prefix('[') {
        if let Some(end) = rest.find("] ") {
            return rest[end + 2..].trim();
        }
    }
    if n.starts_with("Step ") {
        if let Some(i) = n.find(" : ") {
            return n[i + 3..].trim();
        }
    }
    n
}

fn keyword(name: &str) -> String {
    instruction(name)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}

/// Steps that carry no work of their own and are reported inconsistently (the
/// legacy builder's `ARG` before `FROM` never says `Using cache`).
fn is_metadata(s: &StepRecord) -> bool {
    matches!(
        keyword(&s.name).as_str(),
        "ARG"
            | "ENV"
            | "LABEL"
            | "CMD"
            | "ENTRYPOINT"
            | "EXPOSE"
            | "USER"
            | "STOPSIGNAL"
            | "HEALTHCHECK"
            | "SHELL"
            | "VOLUME"
            | "ONBUILD"
            | "MAINTAINER"
    )
}

fn makes_layer(name: &str) -> bool {
    matches!(keyword(name).as_str(), "RUN" | "COPY" | "ADD")
}

/// True when the step reads `file` (relative to the context): a `COPY`/`ADD` from
/// the context whose sources cover it, or a `RUN` that bind-mounts it. A source
/// with a variable in it may cover anything, so it counts.
pub fn reads(name: &str, file: &Path) -> bool {
    let ins = instruction(name);
    let mut words = ins.split_whitespace();
    let kw = words.next().unwrap_or("").to_ascii_uppercase();
    let rest: Vec<&str> = words.collect();
    match kw.as_str() {
        "COPY" | "ADD" => {
            let flags: Vec<&str> = rest
                .iter()
                .copied()
                .take_while(|w| w.starts_with("--"))
                .collect();
            if flags.iter().any(|f| f.starts_with("--from=")) {
                return false; // from another stage or image, not the context
            }
            let args: Vec<&str> = rest[flags.len()..].to_vec();
            let sources = json_or_words(&args);
            let n = sources.len();
            n >= 2 && sources[..n - 1].iter().any(|s| covers(s, file))
        }
        "RUN" => rest
            .iter()
            .take_while(|w| w.starts_with("--"))
            .filter_map(|w| w.strip_prefix("--mount="))
            .any(|m| bind_mount_covers(m, file)),
        _ => false,
    }
}

/// `["a", "b"]` (exec form) or plain words.
fn json_or_words(args: &[&str]) -> Vec<String> {
    let joined = args.join(" ");
    if joined.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Vec<String>>(&joined) {
            return v;
        }
    }
    args.iter().map(|s| s.to_string()).collect()
}

fn bind_mount_covers(spec: &str, file: &Path) -> bool {
    let mut kind = "bind";
    let mut source = None;
    let mut from = false;
    for kv in spec.split(',') {
        match kv.split_once('=') {
            Some(("type", v)) => kind = v,
            Some(("source" | "src", v)) => source = Some(v),
            Some(("from", _)) => from = true,
            _ => {}
        }
    }
    kind == "bind" && !from && covers(source.unwrap_or("."), file)
}

/// True when a context source path (`.`, `src/`, `*.txt`, `requirements*.txt`)
/// covers `file`.
fn covers(source: &str, file: &Path) -> bool {
    if source.contains('$') {
        return true;
    }
    let src = source.trim_start_matches("./").trim_end_matches('/');
    let src = src.trim_start_matches('/');
    if src.is_empty() || src == "." {
        return true;
    }
    let f = file.to_string_lossy();
    let f = f.trim_start_matches("./");
    if src.contains(['*', '?', '[']) {
        // A glob matches a path, or a folder that holds it.
        let parts: Vec<&str> = f.split('/').collect();
        return (1..=parts.len()).any(|k| glob(src, &parts[..k].join("/")));
    }
    f == src || f.starts_with(&format!("{src}/"))
}

/// Shell-style glob (`*`, `?`) that does not cross `/`.
fn glob(pat: &str, s: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], s) || (!s.is_empty() && s[0] != b'/' && go(p, &s[1..])),
            (Some(b'?'), Some(&c)) => c != b'/' && go(&p[1..], &s[1..]),
            (Some(&a), Some(&b)) => a == b && go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    go(pat.as_bytes(), s.as_bytes())
}

fn short(name: &str) -> String {
    let n = name.trim();
    if n.chars().count() > 60 {
        format!("`{}…`", n.chars().take(60).collect::<String>())
    } else {
        format!("`{n}`")
    }
}

#[cfg(test)]
mod tests;
