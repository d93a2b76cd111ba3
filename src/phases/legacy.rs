//! Parser of the legacy builder's output (`DOCKER_BUILDKIT=0 docker build`), which
//! carries no times: every segment is timed by when its lines arrived.
//!
//! | line                                        | effect |
//! |---------------------------------------------|--------|
//! | `Sending build context to Docker daemon …`  | starts `context` (until the next segment) |
//! | `Step k/N : FROM …`                          | starts `base_pull` (pull output, if any, follows) |
//! | `Step k/N : INSTR …`                         | starts step k (`steps`) |
//! | ` ---> Using cache`                          | marks the current step cached |
//! | `Successfully built …`                       | ends the last step; tagging until the end is `image_export` |
//! | `The command '…' returned a non-zero code: …`, `Error response from daemon: …`, `ERROR: …`, `error …` | the error, on the current step |
//!
//! A segment lasts from its line to the next segment's line, or to `finish`.

use super::interval::Ns;
use super::phase::Phase;
use super::timeline::{from_ns, merged_intervals, ns_to_ms, to_ns, BuildOutputParser, Timeline};
use crate::records::record::StepRecord;
use chrono::{DateTime, Utc};

#[derive(Debug)]
enum Seg {
    Phase(Phase),
    Step { name: String, cached: bool },
}

/// Parser for legacy builder output. See [`BuildOutputParser`].
#[derive(Debug, Default)]
pub struct LegacyParser {
    current: Option<(Seg, Ns)>,
    raw: Vec<(Phase, Ns, Ns)>,
    steps: Vec<StepRecord>,
    steps_cached: u32,
    error: Option<String>,
    error_vertex: Option<String>,
    first: Option<Ns>,
    last: Option<Ns>,
}

impl LegacyParser {
    pub fn new() -> Self {
        Self::default()
    }

    fn close(&mut self, at: Ns) {
        if let Some((seg, start)) = self.current.take() {
            let end = at.max(start);
            match seg {
                Seg::Phase(p) => self.raw.push((p, start, end)),
                Seg::Step { name, cached } => {
                    self.raw.push((Phase::Steps, start, end));
                    self.steps_cached += u32::from(cached);
                    self.steps.push(StepRecord {
                        name,
                        duration_ms: ns_to_ms(end - start),
                        cached,
                    });
                }
            }
        }
    }

    fn open(&mut self, seg: Seg, at: Ns) {
        self.close(at);
        self.current = Some((seg, at));
    }
}

/// `Step 3/4 : RUN x` → `("3/4", "RUN x")`.
fn step_line(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("Step ")?;
    let (num, instr) = rest.split_once(" : ")?;
    let (n, m) = num.split_once('/')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(n) && digits(m)).then_some((num, instr))
}

fn is_error_line(line: &str) -> bool {
    (line.starts_with("The command '") && line.contains("returned a non-zero code"))
        || line.starts_with("Error response from daemon:")
        || line.starts_with("ERROR:")
        || line.starts_with("error ")
        || line.starts_with("failed to ")
}

impl BuildOutputParser for LegacyParser {
    fn feed(&mut self, line: &str, arrived: DateTime<Utc>) {
        let line = line.trim_end_matches(['\r', '\n']);
        let at = to_ns(arrived);
        self.first = Some(self.first.map_or(at, |f| f.min(at)));
        self.last = Some(self.last.map_or(at, |l| l.max(at)));
        if line.starts_with("Sending build context to Docker daemon") {
            if !matches!(self.current, Some((Seg::Phase(Phase::Context), _))) {
                self.open(Seg::Phase(Phase::Context), at);
            }
        } else if let Some((num, instr)) = step_line(line) {
            let seg = if instr.trim_start().to_ascii_uppercase().starts_with("FROM") {
                Seg::Phase(Phase::BasePull)
            } else {
                Seg::Step {
                    name: format!("Step {num} : {instr}"),
                    cached: false,
                }
            };
            self.open(seg, at);
        } else if line.trim() == "---> Using cache" {
            if let Some((Seg::Step { cached, .. }, _)) = &mut self.current {
                *cached = true;
            }
        } else if line.starts_with("Successfully built ") {
            self.open(Seg::Phase(Phase::ImageExport), at);
        } else if is_error_line(line) && self.error.is_none() {
            self.error = Some(line.to_string());
            self.error_vertex = match &self.current {
                Some((Seg::Step { name, .. }, _)) => Some(name.clone()),
                Some((Seg::Phase(p), _)) => Some(p.name().to_string()),
                None => None,
            };
        }
    }

    fn finish(&mut self, ended: DateTime<Utc>) -> Timeline {
        let end = to_ns(ended).max(self.last.unwrap_or(Ns::MIN));
        self.close(end);
        let me = std::mem::take(self);
        Timeline {
            intervals: merged_intervals(me.raw),
            steps_total: me.steps.len() as u32,
            steps_cached: me.steps_cached,
            steps: me.steps,
            error: me.error,
            error_vertex: me.error_vertex,
            first_event: me.first.map(from_ns),
            last_event: me.last.map(from_ns),
            ..Timeline::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn segments_are_timed_by_arrival() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let at = |ms| t0 + TimeDelta::milliseconds(ms);
        let mut p = LegacyParser::new();
        for (ms, l) in [
            (0, "Sending build context to Docker daemon  2.048kB\r\r"),
            (5, "Sending build context to Docker daemon  3.072kB\r\r"),
            (10, "Step 1/3 : FROM local/busybox:latest"),
            (30, " ---> 2b29a940f823"),
            (30, "Step 2/3 : RUN x"),
            (35, " ---> Using cache"),
            (40, "Step 3/3 : RUN y"),
            (
                100,
                "The command '/bin/sh -c y' returned a non-zero code: 3",
            ),
        ] {
            p.feed(l, at(ms));
        }
        p.feed("garbage \u{0}\u{7f} ünïcode", at(101));
        let t = p.finish(at(110));
        assert_eq!(t.phase_ms(Phase::Context), 10);
        assert_eq!(t.phase_ms(Phase::BasePull), 20);
        assert_eq!(t.phase_ms(Phase::Steps), 80);
        assert_eq!((t.steps_total, t.steps_cached), (2, 1));
        assert_eq!(t.steps[0].duration_ms, 10);
        assert!(t.steps[0].cached);
        assert_eq!(t.steps[1].duration_ms, 70);
        assert_eq!(t.error_vertex.as_deref(), Some("Step 3/3 : RUN y"));
        assert!(t.error.unwrap().contains("non-zero code: 3"));
    }

    #[test]
    fn successfully_built_ends_steps() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let at = |ms| t0 + TimeDelta::milliseconds(ms);
        let mut p = LegacyParser::new();
        p.feed("Step 1/2 : FROM a", at(0));
        p.feed("Step 2/2 : RUN b", at(10));
        p.feed("Successfully built 123", at(50));
        p.feed("Successfully tagged x:y", at(55));
        let t = p.finish(at(60));
        assert_eq!(t.phase_ms(Phase::Steps), 40);
        assert_eq!(t.phase_ms(Phase::ImageExport), 10);
        assert_eq!(t.error, None);
    }
}
