//! The readable transcript of a run, `logs/<cell>-rep-<n>.txt`, written beside its
//! raw log (`.log`, kept as it is). The raw log holds every command's output as it
//! streamed, with `--progress=rawjson` objects whose step output is base64; the
//! transcript reads like the build's own plain progress: for each command, its
//! argv, then each build step in the order it started (as the record lists
//! steps), with its status (`CACHED`, ran, error), its time exactly as the record
//! counts it ([`crate::phases::rawjson::vertices`]: a cached step reported more
//! than once counts every report, and the transcript says how many), and its
//! output as whole lines in the order they came (BuildKit sends output in
//! fragments that need not end at a line); and the preparation commands and state
//! changes (prune, image removal, engine reset/restart, builder removal) with
//! their times, as the runner logged them.

use crate::phases::rawjson::RawJsonParser;
use crate::phases::timeline::BuildOutputParser;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

/// One vertex's output, joined into whole lines.
#[derive(Debug, Default)]
struct Output {
    lines: Vec<String>,
    /// The end of the last fragment, not yet ended by a newline.
    partial: String,
}

impl Output {
    /// Appends a fragment: complete lines are kept; a carriage return without a
    /// newline rewrites the line, as a terminal shows it.
    fn push(&mut self, fragment: &str) {
        self.partial.push_str(fragment);
        while let Some(i) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=i).collect();
            self.keep(&line[..i]);
        }
    }

    fn keep(&mut self, line: &str) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let shown = line.rsplit('\r').next().unwrap_or(line).trim_end();
        if !shown.trim().is_empty() {
            self.lines.push(shown.to_string());
        }
    }

    fn finish(&mut self) {
        let rest = std::mem::take(&mut self.partial);
        self.keep(&rest);
    }
}

/// One command's block of the raw log.
#[derive(Debug, Default)]
struct Block {
    /// The record's own parser: the steps, their order and times.
    parser: RawJsonParser,
    output: HashMap<String, Output>,
    /// The pretty-printed JSON object being read.
    json: Option<String>,
}

impl Block {
    /// One line of a JSON object (or a plain line) for the parser.
    fn feed(&mut self, text: &str) {
        self.parser
            .feed(text, chrono::DateTime::<chrono::Utc>::UNIX_EPOCH);
    }

    /// The step output of a whole JSON object.
    fn apply_logs(&mut self, v: &serde_json::Value) {
        for l in v["logs"].as_array().into_iter().flatten() {
            let (Some(d), Some(data)) = (l["vertex"].as_str(), l["data"].as_str()) else {
                continue;
            };
            let Some(bytes) = crate::infra::network::diagnose::base64_decode(data) else {
                continue;
            };
            self.output
                .entry(d.to_string())
                .or_default()
                .push(&String::from_utf8_lossy(&bytes));
        }
    }

    fn render(mut self, out: &mut String) {
        for v in self.parser.vertices() {
            let status = if v.error.is_some() {
                "error"
            } else if v.cached {
                "CACHED"
            } else if v.completed {
                "ran"
            } else {
                "not finished"
            };
            let dur = match v.duration_ms {
                Some(ms) if v.runs > 1 => format!(", {:.3}s ({} runs)", ms as f64 / 1e3, v.runs),
                Some(ms) => format!(", {:.3}s", ms as f64 / 1e3),
                None => String::new(),
            };
            let _ = writeln!(out, "  step {}: {status}{dur}", v.name);
            if let Some(e) = &v.error {
                let _ = writeln!(out, "    error: {e}");
            }
            if let Some(mut o) = self.output.remove(&v.digest) {
                o.finish();
                for l in &o.lines {
                    let _ = writeln!(out, "    | {l}");
                }
            }
        }
    }
}

/// `   12.345 [stdout] text` → (`12.345`, `text`).
fn split_time(line: &str) -> Option<(&str, &str)> {
    let t = line.trim_start();
    let (num, rest) = t.split_once(' ')?;
    (!num.is_empty() && num.contains('.') && num.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .then(|| (num, rest.strip_prefix("[stdout] ").unwrap_or(rest)))
}

/// The transcript of a raw run log.
pub fn render(raw: &str) -> String {
    let mut out = String::new();
    let mut block: Option<Block> = None;
    let flush = |b: &mut Option<Block>, out: &mut String| {
        if let Some(b) = b.take() {
            b.render(out);
        }
    };
    for line in raw.lines() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            flush(&mut block, &mut out);
            let _ = writeln!(out, "\n$ {cmd}");
            block = Some(Block::default());
            continue;
        }
        let Some((secs, text)) = split_time(line) else {
            // Section markers, cachebench's own lines (the command's ending,
            // preparation commands and state changes with their times).
            if line.starts_with("== ") {
                flush(&mut block, &mut out);
                let _ = writeln!(out, "\n{line}");
            } else if let Some(rest) = line.strip_prefix("cachebench: ") {
                if rest.starts_with("Exited(") || rest.starts_with("Signalled(") {
                    flush(&mut block, &mut out);
                    let _ = writeln!(out, "  result: {rest}");
                } else {
                    let _ = writeln!(out, "  {rest}");
                }
            } else if !line.trim().is_empty() {
                let _ = writeln!(out, "  {line}");
            }
            continue;
        };
        let b = block.get_or_insert_with(Block::default);
        match b.json.as_mut() {
            Some(j) => {
                j.push_str(text);
                j.push('\n');
                b.feed(text);
                if text == "}" {
                    let j = b.json.take().unwrap_or_default();
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&j) {
                        b.apply_logs(&v);
                    }
                }
            }
            None if text == "{" => {
                b.json = Some("{\n".into());
                b.feed(text);
            }
            None => {
                b.feed(text);
                let _ = writeln!(out, "  {secs:>9} {text}");
            }
        }
    }
    flush(&mut block, &mut out);
    out.trim_start().to_string()
}

/// Writes the transcript of the raw log at `log` (`….log`) beside it (`….txt`).
/// Best effort: a run's record never depends on it. The decoded step output can
/// hold what the raw log only held base64-encoded, so the whole text goes through
/// the redaction pass (see [`crate::records::redact`]) like everything else cachebench writes.
pub fn write_beside(log: &Path) {
    let Ok(raw) = std::fs::read_to_string(log) else {
        return;
    };
    let text = render(&raw);
    let _ = std::fs::write(
        log.with_extension("txt"),
        crate::records::redact::text(&text).as_bytes(),
    );
}

#[cfg(test)]
mod tests;
