//! The machine's CPU time from `/proc/stat`, read around each measured run: how
//! much CPU time the machine used and how much the hypervisor gave to other guests
//! while this one wanted to run (`steal`). On a shared VM (most CI runners) that
//! stolen time is the main source of run-to-run noise, so every record carries it
//! and the report says when it was high. Linux only: elsewhere, or when the file
//! cannot be read, nothing is recorded.

/// Cumulative CPU time of all CPUs, in clock ticks (`USER_HZ`), since boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTimes {
    /// user + nice + system + irq + softirq (guest time is already in user).
    pub busy_ticks: u64,
    /// Time this machine wanted to run but the hypervisor ran another guest.
    pub stolen_ticks: u64,
}

/// CPU time used and stolen between two readings, in milliseconds (summed over
/// CPUs: two busy CPUs for one second are 2000 ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuSpent {
    pub busy_ms: u64,
    pub stolen_ms: u64,
}

impl CpuTimes {
    /// The aggregate `cpu` line of a `/proc/stat` text; `None` when there is none
    /// or it has fewer than the eight fields every kernel since 2.6.11 writes.
    pub fn parse(stat: &str) -> Option<CpuTimes> {
        let line = stat.lines().find(|l| l.starts_with("cpu "))?;
        let v: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        // user nice system idle iowait irq softirq steal …
        if v.len() < 8 {
            return None;
        }
        Some(CpuTimes {
            busy_ticks: v[0] + v[1] + v[2] + v[5] + v[6],
            stolen_ticks: v[7],
        })
    }

    /// Reads `/proc/stat` now; `None` where it cannot be read or parsed.
    pub async fn now() -> Option<CpuTimes> {
        let text = tokio::fs::read_to_string("/proc/stat").await.ok()?;
        CpuTimes::parse(&text)
    }

    /// What was used and stolen from `before` to `self`, at `ticks_per_second`.
    pub fn since(&self, before: &CpuTimes, ticks_per_second: u64) -> CpuSpent {
        let ms = |ticks: u64| ticks.saturating_mul(1000) / ticks_per_second.max(1);
        CpuSpent {
            busy_ms: ms(self.busy_ticks.saturating_sub(before.busy_ticks)),
            stolen_ms: ms(self.stolen_ticks.saturating_sub(before.stolen_ticks)),
        }
    }
}

/// The kernel's clock ticks per second for `/proc/stat` (`USER_HZ`, 100 on every
/// common build).
pub fn ticks_per_second() -> u64 {
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(hz).ok().filter(|&h| h > 0).unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "cpu  2426236 166535 538924 8632217 76578 0 24045 339312 0 0\n\
                        cpu0 1213118 83267 269462 4316108 38289 0 12022 169656 0 0\n\
                        intr 1 2 3\n";

    #[test]
    fn the_aggregate_line_gives_busy_and_stolen_ticks() {
        let t = CpuTimes::parse(STAT).unwrap();
        assert_eq!(t.busy_ticks, 2426236 + 166535 + 538924 + 24045);
        assert_eq!(t.stolen_ticks, 339312);
    }

    #[test]
    fn a_text_without_a_full_cpu_line_gives_nothing() {
        assert_eq!(CpuTimes::parse("cpu0 1 2 3 4 5 6 7 8\n"), None);
        assert_eq!(CpuTimes::parse("cpu  1 2 3 4 5 6 7\n"), None);
        assert_eq!(CpuTimes::parse("cpu  1 2 x 4 5 6 7 8\n"), None);
        assert_eq!(CpuTimes::parse(""), None);
    }

    #[test]
    fn the_difference_is_in_milliseconds_and_never_negative() {
        let before = CpuTimes {
            busy_ticks: 1000,
            stolen_ticks: 50,
        };
        let after = CpuTimes {
            busy_ticks: 1150,
            stolen_ticks: 80,
        };
        assert_eq!(
            after.since(&before, 100),
            CpuSpent {
                busy_ms: 1500,
                stolen_ms: 300
            }
        );
        assert_eq!(
            before.since(&after, 100),
            CpuSpent {
                busy_ms: 0,
                stolen_ms: 0
            }
        );
    }

    #[tokio::test]
    async fn this_machine_has_a_readable_proc_stat() {
        if cfg!(target_os = "linux") {
            let t = CpuTimes::now().await.expect("/proc/stat parses on Linux");
            assert!(t.busy_ticks > 0);
        }
    }
}
