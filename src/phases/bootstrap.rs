//! Splits `docker buildx create --driver docker-container --bootstrap` (the
//! `builder_create` phase) into pulling the BuildKit image and booting the builder,
//! from its plain progress on stderr:
//!
//! ```text
//! #1 [internal] booting buildkit
//! #1 pulling image cachebench/buildkit:v0.13.2
//! #1 pulling image cachebench/buildkit:v0.13.2 1.3s done
//! #1 creating container buildx_buildkit_NAME0
//! #1 creating container buildx_buildkit_NAME0 0.5s done
//! #1 DONE 1.7s
//! ```
//!
//! The durations are the ones buildx measured (`%.1fs`, 0.1 s resolution): the
//! plain printer emits a status line up to ~150 ms after the status starts, so
//! arrival times would understate the pull. There is no pull line when the image
//! is already on the engine (the pull is then 0).

/// What the bootstrap output showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bootstrap {
    /// Milliseconds of every finished `pulling image …` status (0 when none).
    pub pull_ms: u64,
    /// The `booting buildkit` vertex's own `DONE` time, if it finished.
    pub done_ms: Option<u64>,
}

impl Bootstrap {
    /// `(builder_pull_ms, builder_boot_ms)` of a `builder_create` phase that took
    /// `create_ms`: the pull, and the rest (container creation, buildkitd start-up,
    /// the CLI's own start), so the two add up to `create_ms`.
    pub fn split(&self, create_ms: u64) -> (u64, u64) {
        let pull = self.pull_ms.min(create_ms);
        (pull, create_ms - pull)
    }
}

/// Streams the output lines of `docker buildx create --bootstrap`.
#[derive(Debug, Default)]
pub struct BootstrapParser {
    seen: Bootstrap,
}

impl BootstrapParser {
    pub fn feed(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix('#') else {
            return;
        };
        // `#N text`: drop the vertex number.
        let Some((index, text)) = rest.split_once(' ') else {
            return;
        };
        if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
            return;
        }
        if let Some(d) = text.strip_prefix("DONE ") {
            self.seen.done_ms = seconds_ms(d.trim());
            return;
        }
        if let Some(status) = text.strip_prefix("pulling image ") {
            // `IMAGE [bytes] 1.3s done`
            if let Some(head) = status.strip_suffix(" done") {
                if let Some(ms) = head.rsplit(' ').next().and_then(seconds_ms) {
                    self.seen.pull_ms += ms;
                }
            }
        }
    }

    pub fn finish(self) -> Bootstrap {
        self.seen
    }
}

/// `1.3s` → 1300; `62.0s` → 62000.
fn seconds_ms(s: &str) -> Option<u64> {
    let secs: f64 = s.strip_suffix('s')?.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| (secs * 1000.0).round() as u64)
}

/// Parses a whole captured output.
pub fn parse(text: &str) -> Bootstrap {
    let mut p = BootstrapParser::default();
    for l in text.lines() {
        p.feed(l);
    }
    p.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_pull_line_means_no_pull() {
        let b = parse("#1 [internal] booting buildkit\n#1 starting container buildx_buildkit_x0\n#1 starting container buildx_buildkit_x0 0.4s done\n#1 DONE 0.4s\n");
        assert_eq!(b.pull_ms, 0);
        assert_eq!(b.done_ms, Some(400));
        assert_eq!(b.split(612), (0, 612));
    }

    #[test]
    fn pull_with_bytes_and_odd_lines() {
        let b = parse("#1 pulling image moby/buildkit:buildx-stable-1\n#1 pulling image moby/buildkit:buildx-stable-1 12.3MB / 45.6MB 12.0s done\nWARNING: x\n#x DONE 1s\n#1 DONE 13.4s\n");
        assert_eq!(b.pull_ms, 12_000);
        assert_eq!(b.done_ms, Some(13_400));
        // A pull reported longer than the timed command (rounding) is capped.
        assert_eq!(b.split(11_950), (11_950, 0));
    }

    #[test]
    fn seconds() {
        assert_eq!(seconds_ms("1.3s"), Some(1300));
        assert_eq!(seconds_ms("0.0s"), Some(0));
        assert_eq!(seconds_ms("done"), None);
        assert_eq!(seconds_ms("-1s"), None);
    }
}
