//! Statistics of one sample of run times: n, median, mean, standard deviation,
//! min, max, p90, p95, a confidence interval of the median by order statistics,
//! modified Z-scores for outliers, and ratios of medians with their interval.
//!
//! Everything here is pure and works on milliseconds (`u64`); callers decide which
//! runs are samples (measured runs with status `ok`; warm-ups are never samples).
//!
//! Methods (also stated in `report.md` and `docs/summary-schema.md`):
//! - **median**: the middle value, or the mean of the two middle values for even n.
//! - **standard deviation**: the sample standard deviation (divisor n − 1); `None`
//!   when n = 1, never 0.
//! - **p90 / p95**: nearest rank, exact: the observed run time of rank ⌈q·n⌉
//!   (1-based) in the sorted sample, so values are always run times that happened.
//!   No histogram: a cell has tens of runs, held in memory anyway and sorted for the
//!   median interval; an HdrHistogram would only add bucketing (runs within 0.1% of
//!   each other merged) and buys nothing at this size, so the crate was dropped.
//! - **95% CI of the median**: distribution-free, by order statistics. With
//!   B ~ Binomial(n, ½), the interval [x₍ⱼ₎, x₍ₙ₋ⱼ₊₁₎] covers the median with
//!   probability 1 − 2·P(B ≤ j − 1); the largest j whose coverage is ≥ 95% is taken.
//!   For 2 ≤ n ≤ 5 no such interval exists: the interval is then [min, max] with its
//!   actual coverage (1 − 2^(1−n): 50%, 75%, 87.5%, 93.75%) and `nominal = false`.
//!   For n = 1 there is no interval (`None`).
//! - **outliers**: modified Z-score z = 0.6745·(x − median)/MAD with
//!   MAD = median(|x − median|); |z| > 3.5 is an outlier (Iglewicz & Hoaglin). When
//!   MAD = 0 the mean absolute deviation is used instead, z = (x − median)/(1.253314·MeanAD);
//!   when that is 0 too (all samples equal) there are no outliers. Outliers are
//!   flagged, never dropped.

use serde::{Deserialize, Serialize};

/// Threshold on |modified Z-score| above which a sample is an outlier.
pub const OUTLIER_Z: f64 = 3.5;
/// The confidence level aimed at for intervals of the median.
pub const CONFIDENCE: f64 = 0.95;

/// Rounds to three decimals, so that floating-point output is stable and short.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// An interval of the median by order statistics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MedianCi {
    /// Lower bound (an observed value), ms.
    pub lo: u64,
    /// Upper bound (an observed value), ms.
    pub hi: u64,
    /// Actual coverage probability of the interval (e.g. 0.979 for n = 10).
    pub coverage: f64,
    /// Whether the coverage reaches the nominal 95%.
    pub nominal: bool,
}

impl MedianCi {
    /// Whether two intervals share at least one point.
    pub fn overlaps(&self, other: &MedianCi) -> bool {
        self.lo <= other.hi && other.lo <= self.hi
    }
}

/// Summary statistics of one sample, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    pub median: f64,
    pub mean: f64,
    /// Sample standard deviation; `None` when n = 1.
    pub stddev: Option<f64>,
    pub min: u64,
    pub max: u64,
    pub p90: u64,
    pub p95: u64,
    /// Interval of the median; `None` when n = 1.
    pub ci: Option<MedianCi>,
}

/// Summarises a sample; `None` when it is empty.
pub fn summarize(samples: &[u64]) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    let mean = sorted.iter().map(|&x| x as f64).sum::<f64>() / n as f64;
    let stddev = (n > 1).then(|| {
        let ss: f64 = sorted.iter().map(|&x| (x as f64 - mean).powi(2)).sum();
        round3((ss / (n - 1) as f64).sqrt())
    });
    Some(Summary {
        n,
        median: median(&sorted),
        mean: round3(mean),
        stddev,
        min: sorted[0],
        max: sorted[n - 1],
        p90: percentile_sorted(&sorted, 0.90),
        p95: percentile_sorted(&sorted, 0.95),
        ci: median_ci_sorted(&sorted),
    })
}

/// The median of a sorted, non-empty slice: the middle value, or the mean of the two
/// middle values for even n. The one median of every report statistic.
pub fn median(sorted: &[u64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2] as f64
    } else {
        (sorted[n / 2 - 1] as f64 + sorted[n / 2] as f64) / 2.0
    }
}

/// The median of non-empty values (sorted in place), as [`median`] takes it.
pub fn median_f64(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Nearest-rank percentile of a sorted, non-empty slice: rank ⌈q·n⌉, 1-based.
pub fn percentile_sorted(sorted: &[u64], q: f64) -> u64 {
    let n = sorted.len();
    let rank = ((q * n as f64) - 1e-9).ceil().clamp(1.0, n as f64) as usize;
    sorted[rank - 1]
}

/// ln C(n, k).
fn ln_choose(n: usize, k: usize) -> f64 {
    let k = k.min(n - k);
    (0..k)
        .map(|i| ((n - i) as f64).ln() - ((i + 1) as f64).ln())
        .sum()
}

/// P(B ≤ k) for B ~ Binomial(n, ½).
fn binom_half_cdf(n: usize, k: usize) -> f64 {
    let ln_half_n = n as f64 * 0.5f64.ln();
    (0..=k.min(n))
        .map(|i| (ln_choose(n, i) + ln_half_n).exp())
        .sum::<f64>()
        .min(1.0)
}

/// Coverage of [x₍ⱼ₎, x₍ₙ₋ⱼ₊₁₎] (1-based j) as an interval of the median.
pub fn order_stat_coverage(n: usize, j: usize) -> f64 {
    if j == 0 || 2 * j > n + 1 {
        return 0.0;
    }
    1.0 - 2.0 * binom_half_cdf(n, j - 1)
}

/// Interval of the median of a sorted slice (see the module docs for the method).
pub fn median_ci_sorted(sorted: &[u64]) -> Option<MedianCi> {
    let n = sorted.len();
    if n < 2 {
        return None;
    }
    let mut best: Option<usize> = None;
    for j in 1..=n.div_ceil(2) {
        let cov = order_stat_coverage(n, j);
        if cov >= CONFIDENCE {
            best = Some(j);
        } else {
            break;
        }
    }
    let j = best.unwrap_or(1);
    let coverage = order_stat_coverage(n, j);
    Some(MedianCi {
        lo: sorted[j - 1],
        hi: sorted[n - j],
        coverage: round3(coverage),
        nominal: coverage >= CONFIDENCE,
    })
}

/// Modified Z-scores of each sample, in the order given (see the module docs).
pub fn modified_z_scores(samples: &[u64]) -> Vec<f64> {
    if samples.is_empty() {
        return Vec::new();
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let med = median(&sorted);
    let mut dev: Vec<f64> = samples.iter().map(|&x| (x as f64 - med).abs()).collect();
    let mean_ad = dev.iter().sum::<f64>() / dev.len() as f64;
    let mad = median_f64(&mut dev);
    samples
        .iter()
        .map(|&x| {
            let d = x as f64 - med;
            let z = if mad > 0.0 {
                0.6745 * d / mad
            } else if mean_ad > 0.0 {
                d / (1.253314 * mean_ad)
            } else {
                0.0
            };
            round3(z)
        })
        .collect()
}

/// A ratio of two medians (`this / reference`) with an interval from the CI bounds:
/// [this.lo / reference.hi, this.hi / reference.lo].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    pub ratio: f64,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
}

/// Ratio of medians `this / reference`, `None` when the reference median is 0.
pub fn ratio_of_medians(this: &Summary, reference: &Summary) -> Option<Ratio> {
    if reference.median <= 0.0 {
        return None;
    }
    let (lo, hi) = match (this.ci, reference.ci) {
        (Some(a), Some(b)) if b.lo > 0 => (
            Some(round3(a.lo as f64 / b.hi as f64)),
            Some(round3(a.hi as f64 / b.lo as f64)),
        ),
        _ => (None, None),
    };
    Some(Ratio {
        ratio: round3(this.median / reference.median),
        lo,
        hi,
    })
}

/// Whether two samples are indistinguishable at the intervals' level: their median
/// intervals overlap, or either has no interval (n = 1), so no winner can be named.
pub fn is_tie(a: &Summary, b: &Summary) -> bool {
    match (a.ci, b.ci) {
        (Some(x), Some(y)) => x.overlaps(&y),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn n1_has_no_stddev_and_no_interval() {
        let s = summarize(&[1234]).unwrap();
        assert_eq!(s.n, 1);
        assert_eq!(s.median, 1234.0);
        assert_eq!(s.mean, 1234.0);
        assert_eq!(s.stddev, None);
        assert_eq!((s.min, s.max, s.p90, s.p95), (1234, 1234, 1234, 1234));
        assert_eq!(s.ci, None);
        assert_eq!(modified_z_scores(&[1234]), vec![0.0]);
    }

    #[test]
    fn n2_hand_computed() {
        // median (100+200)/2 = 150; mean 150; sd = sqrt((50²+50²)/1) = 70.711
        let s = summarize(&[200, 100]).unwrap();
        assert_eq!(s.median, 150.0);
        assert_eq!(s.mean, 150.0);
        assert_eq!(s.stddev, Some(70.711));
        assert_eq!((s.min, s.max), (100, 200));
        // p90: rank ceil(1.8) = 2 → 200
        assert_eq!((s.p90, s.p95), (200, 200));
        // [min,max] covers the median with 1 − 2·¼ = 0.5
        let ci = s.ci.unwrap();
        assert_eq!(
            (ci.lo, ci.hi, ci.coverage, ci.nominal),
            (100, 200, 0.5, false)
        );
    }

    #[test]
    fn all_equal_samples() {
        let s = summarize(&[500, 500, 500, 500, 500, 500]).unwrap();
        assert_eq!(s.median, 500.0);
        assert_eq!(s.stddev, Some(0.0));
        let ci = s.ci.unwrap();
        assert_eq!((ci.lo, ci.hi), (500, 500));
        assert!(ci.nominal); // n = 6: [x1, x6] covers 1 − 2/64 = 0.969
        assert_eq!(ci.coverage, 0.969);
        assert!(modified_z_scores(&[500; 6]).iter().all(|&z| z == 0.0));
    }

    #[test]
    fn n5_hand_computed() {
        // sorted 10 12 13 15 50: median 13, mean 20,
        // sd = sqrt((100+64+49+25+900)/4) = sqrt(284.5) = 16.867
        let s = summarize(&[13, 50, 10, 15, 12]).unwrap();
        assert_eq!(s.median, 13.0);
        assert_eq!(s.mean, 20.0);
        assert_eq!(s.stddev, Some(16.867));
        // p90: rank ceil(4.5)=5 → 50; p95: rank ceil(4.75)=5 → 50
        assert_eq!((s.p90, s.p95), (50, 50));
        let ci = s.ci.unwrap();
        assert_eq!(
            (ci.lo, ci.hi, ci.coverage, ci.nominal),
            (10, 50, 0.938, false)
        );
        // |x − 13| = 3 1 0 2 37 → MAD 2; z(50) = 0.6745·37/2 = 12.478
        let z = modified_z_scores(&[13, 50, 10, 15, 12]);
        assert_eq!(z, vec![0.0, 12.478, -1.012, 0.675, -0.337]);
    }

    #[test]
    fn n10_interval_uses_second_order_statistics() {
        // n = 10: P(B ≤ 1) = 11/1024, coverage of [x2, x9] = 1 − 22/1024 = 0.9785
        let v: Vec<u64> = (1..=10).map(|i| i * 100).collect();
        let s = summarize(&v).unwrap();
        let ci = s.ci.unwrap();
        assert_eq!((ci.lo, ci.hi), (200, 900));
        assert_eq!(ci.coverage, 0.979);
        assert!(ci.nominal);
        assert_eq!(s.median, 550.0);
        // p90: rank 9 → 900; p95: rank ceil(9.5) = 10 → 1000
        assert_eq!((s.p90, s.p95), (900, 1000));
    }

    #[test]
    fn mad_zero_falls_back_to_mean_absolute_deviation() {
        // median 100, MAD 0, MeanAD = 400/5 = 80; z(500) = 400/(1.253314·80) = 3.989
        let z = modified_z_scores(&[100, 100, 100, 100, 500]);
        assert_eq!(z, vec![0.0, 0.0, 0.0, 0.0, 3.989]);
    }

    #[test]
    fn ties_and_ratios() {
        let a = summarize(&[100, 110, 120, 130, 140, 150]).unwrap(); // CI [100,150]
        let b = summarize(&[145, 160, 170, 180, 190, 200]).unwrap(); // CI [145,200]
        let c = summarize(&[300, 310, 320, 330, 340, 350]).unwrap(); // CI [300,350]
        assert!(is_tie(&a, &b));
        assert!(!is_tie(&a, &c));
        let r = ratio_of_medians(&c, &a).unwrap();
        // medians 325 / 125 = 2.6; interval 300/150 = 2.0 .. 350/100 = 3.5
        assert_eq!(r.ratio, 2.6);
        assert_eq!((r.lo, r.hi), (Some(2.0), Some(3.5)));
        let one = summarize(&[100]).unwrap();
        assert!(is_tie(&one, &c), "no interval means no winner");
        let r = ratio_of_medians(&one, &a).unwrap();
        assert_eq!(r.ratio, 0.8);
        assert_eq!((r.lo, r.hi), (None, None));
    }

    #[test]
    fn coverage_table() {
        assert_eq!(round3(order_stat_coverage(3, 1)), 0.75);
        assert_eq!(round3(order_stat_coverage(4, 1)), 0.875);
        assert_eq!(round3(order_stat_coverage(20, 6)), 0.959); // classic table: (6, 15)
        let v: Vec<u64> = (1..=20).collect();
        let ci = median_ci_sorted(&v).unwrap();
        assert_eq!((ci.lo, ci.hi), (6, 15));
    }

    #[test]
    fn percentiles_are_the_nearest_rank_observed_run() {
        let ten: Vec<u64> = (1..=10).map(|i| i * 100).collect();
        assert_eq!(percentile_sorted(&ten, 0.90), 900); // rank 9
        assert_eq!(percentile_sorted(&ten, 0.95), 1000); // rank ⌈9.5⌉ = 10
        assert_eq!(percentile_sorted(&ten, 0.50), 500); // rank 5
        let twenty: Vec<u64> = (1..=20).collect();
        assert_eq!(percentile_sorted(&twenty, 0.95), 19);
        assert_eq!(percentile_sorted(&[7], 0.9), 7);
        // Runs 0.01% apart stay apart (a 3-digit histogram would merge them).
        let close: Vec<u64> = (0..10).map(|i| 100_000 + 10 * i).collect();
        assert_eq!(percentile_sorted(&close, 0.9), 100_080);
        let s = summarize(&close).unwrap();
        assert_eq!((s.p90, s.p95), (100_080, 100_090));
    }
}
