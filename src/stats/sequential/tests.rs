use super::*;
use crate::stats::two_cells::RunTime;
use crate::stats::verdict::Verdict;

/// Fixed standard-normal-like deviates, so the data are known and the tests exact.
const E: [f64; 10] = [-1.1, 0.4, 0.9, -0.2, 1.3, -0.7, 0.1, -1.4, 0.6, 0.05];

/// `n` run times around `median` seconds with coefficient of variation `cv`,
/// the deviates taken from `E` starting at `shift`.
fn cell(median: f64, cv: f64, n: usize, shift: usize) -> Vec<f64> {
    (0..n)
        .map(|i| median * (1.0 + cv * E[(i + shift) % E.len()]))
        .collect()
}

/// The rule these tests were written for: ±3%, no floor (run times of 10–20 s
/// would put a 0.25 s floor below 3% anyway), 3 to 10 runs.
fn rule() -> StopRule {
    StopRule {
        margin: 0.03,
        margin_floor_s: 0.0,
        ..StopRule::default()
    }
}

fn winner(v: &Verdict<usize>) -> Option<usize> {
    match v {
        Verdict::Winner { option, .. } => Some(*option),
        _ => None,
    }
}

fn tie_group(v: &Verdict<usize>) -> Vec<usize> {
    match v {
        Verdict::Tie { options } => {
            let mut o = options.clone();
            o.sort_unstable();
            o
        }
        _ => vec![],
    }
}

/// The first number of runs per cell at which the rule settles, and how.
fn first_settled(r: &StopRule, cells: &[(f64, f64, usize)]) -> Option<(u32, Verdict<usize>)> {
    (1..=r.max_reps).find_map(|n| {
        let s: Vec<Vec<f64>> = cells
            .iter()
            .map(|&(m, cv, sh)| cell(m, cv, n as usize, sh))
            .collect();
        let v = r.judge_unblocked(&s);
        (v.is_settled() && n >= r.effective_min()).then_some((n, v))
    })
}

#[test]
fn clear_winner_settles_at_min_reps() {
    let s = vec![
        cell(12.0, 0.03, 3, 0),
        cell(10.0, 0.03, 3, 3),
        cell(13.0, 0.03, 3, 6),
    ];
    assert_eq!(winner(&rule().judge_unblocked(&s)), Some(1));
    let two: Vec<Vec<f64>> = s.iter().map(|c| c[..2].to_vec()).collect();
    assert!(matches!(
        rule().judge_unblocked(&two),
        Verdict::Leaning {
            option: 1,
            more_runs: Some(1),
            futile: false,
            ..
        }
    ));
}

#[test]
fn twenty_percent_at_three_percent_cv_settles_by_four_reps_with_four_cells() {
    // The bar: min_reps = 3, a clear 20% difference at 3% CV settles at 3–4 runs.
    for shift in 0..E.len() {
        let cells = [
            (10.0, 0.03, shift),
            (12.0, 0.03, shift + 1),
            (12.5, 0.03, shift + 4),
            (14.0, 0.03, shift + 7),
        ];
        let (n, v) = first_settled(&rule(), &cells).expect("settles");
        assert_eq!(winner(&v), Some(0), "shift {shift}");
        assert!((3..=4).contains(&n), "shift {shift}: settled at {n}");
    }
}

#[test]
fn identical_distributions_settle_tie() {
    // Same median, ±1% noise, different orders of the deviates.
    let cells = [(20.0, 0.01, 0), (20.0, 0.01, 5), (20.0, 0.01, 2)];
    let (n, v) = first_settled(&rule(), &cells).expect("settles within max_reps");
    assert_eq!(tie_group(&v), [0, 1, 2]);
    assert!(n >= 3, "never before min_reps: {n}");
}

#[test]
fn close_overlapping_cells_stay_open_leaning_with_finite_more_runs() {
    // 4% apart at 3% CV: neither a winner nor a ±3% tie after 3 runs.
    let s = vec![cell(10.4, 0.03, 3, 0), cell(10.0, 0.03, 3, 4)];
    match rule().judge_unblocked(&s) {
        Verdict::Leaning {
            option: 1,
            runner_up: 0,
            more_runs: Some(m),
            ..
        } => assert!((1..1000).contains(&m), "{m}"),
        other => panic!("expected open leaning to cell 1, got {other:?}"),
    }
}

#[test]
fn a_single_cell_is_alone_and_nothing_is_no_data() {
    assert_eq!(
        rule().judge_unblocked(&[cell(10.0, 0.03, 3, 0)]),
        Verdict::Alone { option: 0 }
    );
    assert_eq!(
        rule().judge_unblocked(&[vec![], cell(10.0, 0.03, 1, 0)]),
        Verdict::Alone { option: 1 }
    );
    assert_eq!(rule().judge_unblocked(&[]), Verdict::NoData);
    assert_eq!(rule().judge_unblocked(&[vec![]]), Verdict::NoData);
}

#[test]
fn a_cell_with_fewer_than_two_samples() {
    let s = vec![cell(10.0, 0.03, 3, 0), vec![12.0]];
    assert_eq!(
        rule().judge_unblocked(&s),
        Verdict::Leaning {
            option: 0,
            runner_up: 1,
            more_runs: Some(2),
            futile: false
        }
    );
    // A cell with no sample at all (every run failed) is left out, as in the report.
    let s = vec![vec![], cell(12.0, 0.03, 3, 0), cell(10.0, 0.03, 3, 3)];
    assert_eq!(winner(&rule().judge_unblocked(&s)), Some(2));
    // Values that are not positive finite seconds are ignored.
    let s = vec![vec![f64::NAN, 0.0, -1.0], cell(10.0, 0.03, 3, 3)];
    assert_eq!(rule().judge_unblocked(&s), Verdict::Alone { option: 1 });
}

#[test]
fn zero_variance_is_exact_and_never_nan() {
    assert_eq!(
        winner(&rule().judge_unblocked(&[vec![10.0; 3], vec![12.0; 3]])),
        Some(0)
    );
    assert_eq!(
        tie_group(&rule().judge_unblocked(&[vec![10.0; 3], vec![10.0; 3]])),
        [0, 1]
    );
    // One cell without spread, the other with.
    let s = vec![vec![10.0; 3], cell(12.0, 0.02, 3, 0)];
    assert_eq!(winner(&rule().judge_unblocked(&s)), Some(0));
    let s = vec![vec![10.0; 3], cell(10.2, 0.05, 3, 0)];
    assert!(matches!(
        rule().judge_unblocked(&s),
        Verdict::Leaning { option: 0, .. }
    ));
}

#[test]
fn effect_about_zero_with_wide_spread_has_no_estimate() {
    // Same medians, 40% CV: no winner can be reached and a ±3% tie is far.
    let s = vec![vec![5.0, 10.0, 15.0], vec![15.0, 10.0, 5.0]];
    match rule().judge_unblocked(&s) {
        Verdict::Leaning { more_runs, .. } => {
            // the tie estimate exists but is large; the winner one does not
            assert!(more_runs.map_or(true, |m| m > 100), "{more_runs:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn single_look_leaning_is_less_conservative_than_the_sequential_rule() {
    // 2 cells 10% apart at 3% CV with 3 runs each: the one-look reading may settle
    // where the rule shared over 8 looks does not; never the other way round.
    let s = vec![cell(11.0, 0.03, 3, 0), cell(10.0, 0.03, 3, 5)];
    let once = rule().single_look().judge_unblocked(&s);
    let seq = rule().judge_unblocked(&s);
    assert!(once.is_settled() || !seq.is_settled());
    assert_eq!(winner(&once), Some(1));
}

#[test]
fn looks_and_validation() {
    assert_eq!(rule().looks(), 8);
    assert_eq!(rule().single_look().looks(), 1);
    assert!(rule().validate().is_ok());
    let bad = |f: fn(&mut StopRule)| {
        let mut r = rule();
        f(&mut r);
        r.validate().unwrap_err()
    };
    assert!(bad(|r| r.confidence = 1.0).contains("--confidence"));
    assert!(bad(|r| r.margin = 0.0).contains("--margin"));
    assert!(bad(|r| r.margin_floor_s = -1.0).contains("--margin-floor"));
    assert!(bad(|r| r.min_reps = 1).contains("--min-reps"));
    assert!(bad(|r| r.max_reps = 2).contains("--max-reps"));
}

/// Six cells: three identical leaders and three 25% slower, at `cv`.
fn three_leaders_three_slower(cv: f64, n: usize) -> Vec<Vec<f64>> {
    [
        (10.0, 0),
        (10.0, 3),
        (10.0, 6),
        (12.5, 1),
        (12.5, 4),
        (12.5, 7),
    ]
    .iter()
    .map(|&(m, sh)| cell(m, cv, n, sh))
    .collect()
}

/// The first number of runs per cell at which `--reps auto` would stop (settled at
/// `min_reps` or later, or futile), and the verdict; at `max_reps` the last one.
fn first_stop(r: &StopRule, data: impl Fn(usize) -> Vec<Vec<f64>>) -> (u32, Verdict<usize>) {
    let mut last = Verdict::NoData;
    for n in 1..=r.max_reps {
        let v = r.judge_unblocked(&data(n as usize));
        let stops = (v.is_settled() && n >= r.effective_min())
            || matches!(v, Verdict::Leaning { futile: true, .. });
        if stops {
            return (n, v);
        }
        last = v;
    }
    (r.max_reps, last)
}

#[test]
fn three_identical_leaders_settle_as_their_tie_group() {
    // Three cells doing identical work, three 25% slower, 3% CV. A TOST tie within
    // ±8% settles within a few runs; the group is the three leaders.
    let r = StopRule {
        margin: 0.08,
        ..rule()
    };
    let (n, d) = first_stop(&r, |n| three_leaders_three_slower(0.03, n));
    assert_eq!(tie_group(&d), [0, 1, 2]);
    assert!((3..=6).contains(&n), "settled at {n}");
    // At ±3% the same data cannot be shown tied within 10 runs (the TOST half-width
    // at 3% CV is wider than the margin): futile, early, not run to max_reps.
    let (n, d) = first_stop(&rule(), |n| three_leaders_three_slower(0.03, n));
    assert!(n < rule().max_reps, "{n}");
    match d {
        Verdict::Leaning {
            option: l,
            more_runs: Some(m),
            futile: true,
            ..
        } => assert!(l < 3 && m + n > rule().max_reps, "{l} {m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_same_state_at_fifteen_percent_cv_is_futile_early() {
    let r = StopRule {
        margin: 0.08,
        ..rule()
    };
    let (n, d) = first_stop(&r, |n| three_leaders_three_slower(0.15, n));
    assert!(n <= 4, "futile at {n}");
    assert!(
        matches!(d, Verdict::Leaning { option: l, more_runs: Some(m), futile: true, .. } if l < 3 && m > 10),
        "{d:?}"
    );
    // futility is no verdict: settle still says open
    let s = three_leaders_three_slower(0.15, n as usize);
    assert!(!r.judge_unblocked(&s).is_settled());
}

#[test]
fn a_real_winner_still_wins_through_decide() {
    let data = |n: usize| {
        vec![
            cell(12.0, 0.03, n, 0),
            cell(10.0, 0.03, n, 3),
            cell(12.0, 0.03, n, 6),
            cell(12.5, 0.03, n, 1),
        ]
    };
    let (n, d) = first_stop(&rule(), data);
    assert_eq!(winner(&d), Some(1));
    assert!((3..=4).contains(&n), "{n}");
}

#[test]
fn futility_does_not_stop_what_would_settle_at_five_or_six_runs() {
    // Every 2- and 3-cell configuration (effects 4..20%, CV 2..6%, all shifts) whose
    // verdict settles at 5 or 6 runs: decide never says futile before.
    let mut seen = 0;
    for effect in [1.04, 1.06, 1.08, 1.10, 1.12, 1.15, 1.20] {
        for cv in [0.02, 0.03, 0.04, 0.05, 0.06] {
            for shift in 0..E.len() {
                for third in [false, true] {
                    let data = |n: usize| {
                        let mut s = vec![
                            cell(10.0, cv, n, shift),
                            cell(10.0 * effect, cv, n, shift + 3),
                        ];
                        if third {
                            s.push(cell(10.0 * effect * effect, cv, n, shift + 6));
                        }
                        s
                    };
                    let settles = (3..=10).find(|&n| rule().judge_unblocked(&data(n)).is_settled());
                    if !matches!(settles, Some(5 | 6)) {
                        continue;
                    }
                    seen += 1;
                    let (n, d) = first_stop(&rule(), data);
                    assert!(
                        d.is_settled() && Some(n as usize) == settles,
                        "effect {effect} cv {cv} shift {shift}: {d:?} at {n}, settles at {settles:?}"
                    );
                }
            }
        }
    }
    assert!(seen >= 10, "only {seen} configurations settle at 5-6 runs");
}

#[test]
fn the_margin_is_the_larger_of_the_relative_one_and_the_floor() {
    let r = StopRule::default();
    assert!((r.margin_at(1.0) - 0.25).abs() < 1e-12, "0.25 s of 1 s");
    assert!((r.margin_at(20.0) - 0.05).abs() < 1e-12, "5% of 20 s");
    assert_eq!(r.margin_words(20.0), "within ±5%");
    assert_eq!(r.margin_words(1.0), "within 0.25 s of each other (±25%)");
    // Builds of about 1 s, 15% apart at 3% CV: within 0.25 s of each other, a tie
    // by default; with no floor, a ±5% margin makes the faster one the winner.
    let s = vec![cell(1.0, 0.03, 6, 0), cell(1.15, 0.03, 6, 3)];
    assert_eq!(tie_group(&r.judge_unblocked(&s)), [0, 1]);
    let strict = StopRule {
        margin_floor_s: 0.0,
        ..r.clone()
    };
    assert_eq!(winner(&strict.judge_unblocked(&s)), Some(0));
}

#[test]
fn runs_of_the_same_round_pair_and_what_slows_a_round_cancels() {
    // Two cells 6% apart whose runs share each round's slowdown (±20% from round to
    // round, 1% noise of their own): unpaired the spread hides the difference;
    // paired by round it is plain.
    let round_effect = [1.0, 1.25, 0.85, 1.15, 0.9, 1.2, 0.95, 1.1];
    let own = |i: usize, shift: usize| 1.0 + 0.01 * E[(i + shift) % E.len()];
    let runs = |base: f64, shift: usize, blocked: bool| -> Vec<RunTime> {
        round_effect
            .iter()
            .enumerate()
            .map(|(i, f)| RunTime {
                block: blocked.then_some(i as u64),
                seconds: base * f * own(i, shift),
            })
            .collect()
    };
    let r = rule();
    let paired = r.judge(&[runs(10.0, 0, true), runs(10.6, 3, true)]);
    assert_eq!(winner(&paired), Some(0), "{paired:?}");
    let unpaired = r.judge(&[runs(10.0, 0, false), runs(10.6, 3, false)]);
    assert!(!unpaired.is_settled(), "{unpaired:?}");
    // Runs of different rounds (blocks that do not match) fall back to Welch.
    let other_rounds: Vec<RunTime> = runs(10.6, 3, true)
        .into_iter()
        .map(|mut t| {
            t.block = t.block.map(|b| b + 100);
            t
        })
        .collect();
    assert!(!r.judge(&[runs(10.0, 0, true), other_rounds]).is_settled());
}
