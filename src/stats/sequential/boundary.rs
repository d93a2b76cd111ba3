//! The level of one test at each look: a Pocock boundary (Pocock 1977) for a test
//! re-checked after every run from `min_reps` to `max_reps`. Its statistic after
//! `n` runs is a random walk's `S_n / √n`; the looks are nested, so the chance that
//! it crosses one constant bound `c` at *some* look is far below the
//! `L · (1 − Φ(c))` that Bonferroni over the `L` looks assumes. This finds the `c`
//! at which that chance is the error the test is given, by numerical integration of
//! the walk's density between looks (Armitage, McPherson & Rowe 1969), and returns
//! the nominal level `1 − Φ(c)` every look uses. A t-test takes its critical value
//! at that level with its own degrees of freedom (the "significance level approach",
//! Jennison & Turnbull 2000, §3.8). Bounds are cached per (looks, error).

use statrs::distribution::{Continuous, ContinuousCDF, Normal};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Grid step of the integration, in units of one run's standard deviation: the
/// crossing chance is within about 2e-5 of the exact one at this step (Pocock's
/// tables in the tests; 0.05 and 0.02 change it by less than 1e-5).
const STEP: f64 = 0.1;
/// Where the walk's lower tail is cut, in standard deviations of the last look.
const LOWER_TAIL_SDS: f64 = 9.0;

/// The first and last look, and the error's bits.
type LevelKey = (u32, u32, u64);

/// Nominal one-sided level per look such that a test checked at every `n` in
/// `min..=max` rejects a true null at some look with probability `error`. With one
/// look it is `error` itself.
pub fn pocock_level(min: u32, max: u32, error: f64) -> f64 {
    if max <= min || !(error > 0.0 && error < 1.0) {
        return error;
    }
    static CACHE: OnceLock<Mutex<HashMap<LevelKey, f64>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (min, max, error.to_bits());
    if let Some(level) = cache.lock().ok().and_then(|c| c.get(&key).copied()) {
        return level;
    }
    let level = solve(min.max(1), max, error);
    if let Ok(mut c) = cache.lock() {
        c.insert(key, level);
    }
    level
}

/// Bisection on the bound between the single-look one (too lax) and Bonferroni's
/// (too strict).
fn solve(min: u32, max: u32, error: f64) -> f64 {
    let std = standard();
    let looks = f64::from(max - min + 1);
    let mut lax = std.inverse_cdf(1.0 - error);
    let mut strict = std.inverse_cdf(1.0 - error / looks);
    for _ in 0..30 {
        let mid = 0.5 * (lax + strict);
        if crossing_chance(min, max, mid) > error {
            lax = mid;
        } else {
            strict = mid;
        }
    }
    1.0 - std.cdf(strict)
}

/// Probability that a standard random walk `S_n` has `S_n > c·√n` for some `n`
/// in `min..=max`. Each look's grid ends exactly on its bound, so the trapezoid
/// rule integrates a smooth function on every piece (error of order `STEP²`).
pub fn crossing_chance(min: u32, max: u32, c: f64) -> f64 {
    let std = standard();
    let low = -LOWER_TAIL_SDS * f64::from(max).sqrt();
    let bound = |n: u32| c * f64::from(n).sqrt();
    let points = |n: u32| ((bound(n) - low) / STEP).floor() as usize + 1;
    // Grid of look n: point i sits at bound(n) − (points(n) − 1 − i)·STEP.
    let at = |n: u32, i: usize| bound(n) - (points(n) - 1 - i) as f64 * STEP;
    // Density of S_min below its bound, and the chance it is already over it.
    let sd = f64::from(min).sqrt();
    let mut density: Vec<f64> = (0..points(min))
        .map(|i| std.pdf(at(min, i) / sd) / sd)
        .collect();
    let mut crossed = 1.0 - std.cdf(c);
    // One more run adds a standard normal step: convolve, split at the next bound.
    for n in min + 1..=max {
        let (before, now) = (density.len(), points(n));
        crossed += (0..before)
            .map(|i| density[i] * weight(i, before) * (1.0 - std.cdf(bound(n) - at(n - 1, i))))
            .sum::<f64>()
            * STEP;
        // y_j − x_i = shift + (j − i)·STEP; kernel[k] is the step's density at
        // j − i = k − (before − 1).
        let shift = at(n, 0) - at(n - 1, 0);
        let kernel: Vec<f64> = (0..before + now - 1)
            .map(|k| std.pdf(shift + (k as f64 - (before - 1) as f64) * STEP))
            .collect();
        let weighted: Vec<f64> = (0..before)
            .map(|i| density[i] * weight(i, before))
            .collect();
        density = (0..now)
            .map(|j| {
                weighted
                    .iter()
                    .enumerate()
                    .map(|(i, f)| f * kernel[j + before - 1 - i])
                    .sum::<f64>()
                    * STEP
            })
            .collect();
    }
    crossed
}

/// Trapezoid weights: half at both ends of the grid.
fn weight(i: usize, len: usize) -> f64 {
    if i == 0 || i + 1 == len {
        0.5
    } else {
        1.0
    }
}

fn standard() -> Normal {
    Normal::new(0.0, 1.0).expect("the standard normal exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_look_is_the_level_itself() {
        assert_eq!(pocock_level(10, 10, 0.0125), 0.0125);
    }

    #[test]
    fn the_walk_crosses_a_bound_no_more_often_than_the_error() {
        // Pocock's constants for equally spaced looks (Jennison & Turnbull 2000,
        // table 2.1, two-sided α = 0.05, i.e. one-sided 0.025): 2 looks 2.178,
        // 5 looks 2.413. Looks at n = 1..=K are equally spaced.
        for (looks, c) in [(2, 2.178), (5, 2.413)] {
            let chance = crossing_chance(1, looks, c);
            assert!((chance - 0.025).abs() < 1e-4, "{looks} looks: {chance}");
        }
    }

    #[test]
    fn the_level_lies_between_bonferroni_and_a_single_look() {
        // Looks at 3..=10 runs, α/k = 0.05/4: Bonferroni would give 0.0125/8.
        let level = pocock_level(3, 10, 0.0125);
        assert!(level > 0.0125 / 8.0 && level < 0.0125, "{level}");
        let back = crossing_chance(3, 10, standard().inverse_cdf(1.0 - level));
        assert!((back - 0.0125).abs() < 1e-4, "{back}");
    }
}
