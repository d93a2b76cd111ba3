//! The readable transcript of a run, `logs/<cell>-rep-<n>.txt`, written beside its
//! raw log (`.log`, kept as it is). The raw log holds every command's output as it
//! streamed, with `--progress=rawjson` objects whose step output is base64; the
//! transcript gives, for each command, its argv, then each build step: name,
//! status (cached, ran, error), duration and its decoded output lines; and the
//! preparation commands and state changes (prune, image removal, engine
//! reset/restart, builder removal) with their times, as the runner logged them.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

#[derive(Debug, Default)]
struct Step {
    name: String,
    started: Option<chrono::DateTime<chrono::FixedOffset>>,
    completed: Option<chrono::DateTime<chrono::FixedOffset>>,
    cached: bool,
    error: Option<String>,
    output: Vec<String>,
}

/// One command's block of the raw log.
#[derive(Debug, Default)]
struct Block {
    steps: Vec<Step>,
    by_digest: HashMap<String, usize>,
    /// The pretty-printed JSON object being read.
    json: Option<String>,
}

impl Block {
    fn step(&mut self, digest: &str) -> &mut Step {
        let i = *self.by_digest.entry(digest.to_string()).or_insert_with(|| {
            self.steps.push(Step::default());
            self.steps.len() - 1
        });
        &mut self.steps[i]
    }

    fn apply(&mut self, v: &serde_json::Value) {
        let ts = |x: &serde_json::Value| {
            x.as_str()
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        };
        for vx in v["vertexes"].as_array().into_iter().flatten() {
            let Some(d) = vx["digest"].as_str() else {
                continue;
            };
            let st = self.step(d);
            if let Some(n) = vx["name"].as_str() {
                st.name = n.to_string();
            }
            st.cached |= vx["cached"].as_bool().unwrap_or(false);
            if let Some(s) = ts(&vx["started"]) {
                st.started = Some(s);
            }
            if let Some(c) = ts(&vx["completed"]) {
                st.completed = Some(c);
            }
            if let Some(e) = vx["error"].as_str().filter(|e| !e.is_empty()) {
                st.error = Some(e.to_string());
            }
        }
        for l in v["logs"].as_array().into_iter().flatten() {
            let (Some(d), Some(data)) = (l["vertex"].as_str(), l["data"].as_str()) else {
                continue;
            };
            let Some(bytes) = crate::infra::network::diagnose::base64_decode(data) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let st = self.step(d);
            st.output.extend(
                text.split(['\n', '\r'])
                    .map(str::trim_end)
                    .filter(|x| !x.trim().is_empty())
                    .map(str::to_string),
            );
        }
    }

    fn render(&self, out: &mut String) {
        for s in &self.steps {
            let status = if s.error.is_some() {
                "error"
            } else if s.cached {
                "cached"
            } else if s.completed.is_some() {
                "ran"
            } else {
                "not finished"
            };
            let dur = match (s.started, s.completed) {
                (Some(a), Some(b)) => {
                    format!(
                        ", {:.3}s",
                        (b - a).num_microseconds().unwrap_or(0) as f64 / 1e6
                    )
                }
                _ => String::new(),
            };
            let _ = writeln!(out, "  step {}: {status}{dur}", s.name);
            if let Some(e) = &s.error {
                let _ = writeln!(out, "    error: {e}");
            }
            for l in &s.output {
                let _ = writeln!(out, "    | {l}");
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
                if text == "}" {
                    let j = b.json.take().unwrap_or_default();
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&j) {
                        b.apply(&v);
                    }
                }
            }
            None if text == "{" => b.json = Some("{\n".into()),
            None => {
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
mod tests {
    use super::*;

    fn as_log(fixture: &str) -> String {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/rawjson")
                .join(fixture),
        )
        .unwrap();
        let mut log =
            String::from("== measured run ==\n$ docker buildx build --progress=rawjson .\n");
        for l in text.lines() {
            log.push_str(&format!("    0.100 {l}\n"));
        }
        log.push_str("cachebench: Exited(1) in 1.000s\n");
        log
    }

    #[test]
    fn a_failed_steps_output_is_decoded() {
        let t = render(&as_log("failing-run.txt"));
        assert!(t.starts_with("== measured run =="), "{t}");
        assert!(
            t.contains("$ docker buildx build --progress=rawjson ."),
            "{t}"
        );
        assert!(!t.contains("\"data\""), "raw base64 left: {t}");
        let step = t
            .lines()
            .find(|l| l.starts_with("  step ") && l.contains(": error"))
            .unwrap_or_else(|| panic!("no failed step in {t}"));
        assert!(step.contains("RUN"), "{step}");
        assert!(t.contains("    error: "), "{t}");
        assert!(t.contains("    | "), "no decoded output in {t}");
        assert!(t.contains("  result: Exited(1)"), "{t}");
    }

    #[test]
    fn cached_steps_and_plain_lines() {
        let raw = "== prepare: empty local state ==\n\
            cachebench: 10:00:00.000 $ docker buildx prune --all --force (ok, 0.200s)\n\
            $ docker build .\n    0.010 Step 1/2 : FROM x\n    0.020 [stdout]  ---> Using cache\n\
            cachebench: Exited(0) in 0.100s\n";
        let t = render(raw);
        assert!(
            t.contains("  10:00:00.000 $ docker buildx prune --all --force (ok, 0.200s)"),
            "{t}"
        );
        assert!(t.contains("      0.010 Step 1/2 : FROM x"), "{t}");
        assert!(t.contains("  result: Exited(0)"), "{t}");
    }
}
