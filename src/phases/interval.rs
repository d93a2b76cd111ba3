//! Interval arithmetic on nanosecond timestamps: union of overlapping intervals
//! and the precedence sweep that gives each instant to at most one phase.

use super::phase::Phase;

/// Nanoseconds since the Unix epoch.
pub type Ns = i64;

/// Merges overlapping or touching `[start, end)` intervals; drops empty ones.
/// The result is sorted and disjoint.
pub fn union(mut spans: Vec<(Ns, Ns)>) -> Vec<(Ns, Ns)> {
    spans.retain(|(s, e)| e > s);
    spans.sort_unstable();
    let mut out: Vec<(Ns, Ns)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Total length of a union of intervals (for [`super::timeline::Timeline::phase_ms`],
/// in tests).
#[cfg(test)]
pub fn union_len(spans: Vec<(Ns, Ns)>) -> Ns {
    union(spans).iter().map(|(s, e)| e - s).sum()
}

/// Clips every interval to `[lo, hi)` and attributes each instant to the active
/// phase of highest precedence ([`Phase::PRECEDENCE`]). Returns nanoseconds per
/// phase, indexed by [`Phase::index`]. The sum never exceeds `hi - lo`.
pub fn attribute(intervals: &[(Phase, Ns, Ns)], lo: Ns, hi: Ns) -> [Ns; Phase::COUNT] {
    let mut out = [0; Phase::COUNT];
    if hi <= lo {
        return out;
    }
    // (time, +1/-1, phase); ends sort before starts at the same instant.
    let mut events: Vec<(Ns, i8, Phase)> = Vec::with_capacity(intervals.len() * 2);
    for &(p, s, e) in intervals {
        let (s, e) = (s.max(lo), e.min(hi));
        if e > s {
            events.push((s, 1, p));
            events.push((e, -1, p));
        }
    }
    events.sort_unstable_by_key(|&(t, d, _)| (t, d));
    let mut active = [0u32; Phase::COUNT];
    let mut prev: Option<Ns> = None;
    for (t, d, p) in events {
        if let Some(pt) = prev {
            if t > pt {
                if let Some(w) = Phase::PRECEDENCE.iter().find(|w| active[w.index()] > 0) {
                    out[w.index()] += t - pt;
                }
            }
        }
        let a = &mut active[p.index()];
        if d > 0 {
            *a += 1;
        } else {
            *a = a.saturating_sub(1);
        }
        prev = Some(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Phase::*;

    #[test]
    fn union_merges_overlaps_and_touching() {
        assert_eq!(
            union(vec![(5, 7), (0, 2), (1, 3), (3, 4), (9, 9), (8, 6)]),
            vec![(0, 4), (5, 7)]
        );
        assert_eq!(union_len(vec![(0, 10), (2, 5), (20, 25)]), 15);
        assert!(union(vec![]).is_empty());
    }

    #[test]
    fn parallel_same_phase_counted_once() {
        let r = attribute(&[(Steps, 0, 10), (Steps, 5, 15)], 0, 100);
        assert_eq!(r[Steps.index()], 15);
    }

    #[test]
    fn push_inside_export_counts_as_push() {
        let r = attribute(
            &[(ImageExport, 0, 100), (Push, 20, 70), (Load, 60, 80)],
            0,
            100,
        );
        assert_eq!(r[Push.index()], 50);
        assert_eq!(r[Load.index()], 10);
        assert_eq!(r[ImageExport.index()], 40);
    }

    #[test]
    fn clipped_to_window_and_never_more_than_wall() {
        let r = attribute(
            &[(Context, -50, 10), (Steps, 90, 500), (BasePull, 0, 100)],
            0,
            100,
        );
        assert_eq!(r.iter().sum::<i64>(), 100);
        assert_eq!(r[BasePull.index()], 100);
        let r = attribute(&[(Context, 0, 10)], 10, 5);
        assert_eq!(r.iter().sum::<i64>(), 0);
    }

    #[test]
    fn every_precedence_pair() {
        for (i, hi) in Phase::PRECEDENCE.iter().enumerate() {
            for lo in &Phase::PRECEDENCE[i + 1..] {
                let r = attribute(&[(*lo, 0, 10), (*hi, 2, 8)], 0, 10);
                assert_eq!(r[hi.index()], 6, "{hi} over {lo}");
                assert_eq!(r[lo.index()], 4, "{hi} over {lo}");
            }
        }
    }
}
