//! The one vocabulary for what a set of options' run times say: a [`Verdict`].
//! The stop rule ([`crate::stats::sequential`]) gives one over cell indices; the
//! report names the cells (`Verdict<String>`) and may refine a lead that lies only
//! in the build steps into [`Verdict::Noise`]. `--reps auto`, the Decision, the
//! verdict per state, the Results table, summary.json and `replay` all read this
//! type and nothing else.

use serde::{Deserialize, Serialize};

/// What the runs of a set of options say, by the stop rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Verdict<T> {
    /// No option has a usable run.
    NoData,
    /// Only one option has runs: nothing to compare.
    Alone { option: T },
    /// `option` is shown faster than every other option, by more than the margin
    /// or not; `runner_up` is the next by mean.
    Winner { option: T, runner_up: T },
    /// The leader and the options shown within the margin of it (the leader first,
    /// then by mean); every other option is shown slower. More runs would not name
    /// a winner among them.
    Tie { options: Vec<T> },
    /// Not settled: the option it leans to, the closest option it is not yet
    /// classified against, about how many more runs per cell would settle it
    /// (`None`: no estimate), and whether more runs up to the maximum would very
    /// likely not settle it (futile).
    Leaning {
        option: T,
        runner_up: T,
        more_runs: Option<u32>,
        futile: bool,
    },
    /// The leader is ahead of `runner_up` on wall time, but the difference lies in
    /// the build steps (work identical whichever cache is used) and the rest is not
    /// shown to differ: noise in the build, not the cache.
    Noise {
        option: T,
        runner_up: T,
        wall_diff_ms: f64,
        steps_diff_ms: f64,
    },
}

impl<T> Verdict<T> {
    /// The option the verdict points to: the winner, the leaning one, the lone one,
    /// the leader of a tie or of a noisy lead.
    pub fn option(&self) -> Option<&T> {
        match self {
            Verdict::NoData => None,
            Verdict::Alone { option }
            | Verdict::Winner { option, .. }
            | Verdict::Leaning { option, .. }
            | Verdict::Noise { option, .. } => Some(option),
            Verdict::Tie { options } => options.first(),
        }
    }

    /// Whether more runs are not needed: a winner, a tie, a lone option, or a lead
    /// that is noise in the build.
    pub fn is_settled(&self) -> bool {
        !matches!(self, Verdict::Leaning { .. } | Verdict::NoData)
    }

    /// Whether `o` is among the options the verdict cannot tell apart from the one
    /// it points to (a tie's group, or the two sides of a noisy lead).
    pub fn ties(&self, o: &T) -> bool
    where
        T: PartialEq,
    {
        match self {
            Verdict::Tie { options } => options.contains(o),
            Verdict::Noise {
                option, runner_up, ..
            } => option == o || runner_up == o,
            _ => false,
        }
    }

    /// The same verdict over other names (`Verdict<usize>` → `Verdict<String>`).
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Verdict<U> {
        match self {
            Verdict::NoData => Verdict::NoData,
            Verdict::Alone { option } => Verdict::Alone { option: f(option) },
            Verdict::Winner { option, runner_up } => Verdict::Winner {
                option: f(option),
                runner_up: f(runner_up),
            },
            Verdict::Tie { options } => Verdict::Tie {
                options: options.into_iter().map(f).collect(),
            },
            Verdict::Leaning {
                option,
                runner_up,
                more_runs,
                futile,
            } => Verdict::Leaning {
                option: f(option),
                runner_up: f(runner_up),
                more_runs,
                futile,
            },
            Verdict::Noise {
                option,
                runner_up,
                wall_diff_ms,
                steps_diff_ms,
            } => Verdict::Noise {
                option: f(option),
                runner_up: f(runner_up),
                wall_diff_ms,
                steps_diff_ms,
            },
        }
    }

    /// One word for tables and stopping.json: `winner`, `tie`, `leaning`, `futile`,
    /// `alone`, `noise`, `no data`.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::NoData => "no data",
            Verdict::Alone { .. } => "alone",
            Verdict::Winner { .. } => "winner",
            Verdict::Tie { .. } => "tie",
            Verdict::Leaning { futile: true, .. } => "futile",
            Verdict::Leaning { .. } => "leaning",
            Verdict::Noise { .. } => "noise",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_and_settledness_follow_the_variant() {
        let v: Verdict<usize> = Verdict::Tie {
            options: vec![2, 0],
        };
        let named = v.map(|i| ["a", "b", "c"][i].to_string());
        assert_eq!(named.option().map(String::as_str), Some("c"));
        assert!(named.is_settled() && named.ties(&"a".to_string()));
        assert!(!named.ties(&"b".to_string()));
        let open: Verdict<usize> = Verdict::Leaning {
            option: 1,
            runner_up: 0,
            more_runs: Some(4),
            futile: true,
        };
        assert!(!open.is_settled());
        assert_eq!(open.word(), "futile");
        assert!(!Verdict::<usize>::NoData.is_settled());
        assert!(Verdict::Alone { option: 0 }.is_settled());
        let json = serde_json::to_string(&Verdict::Winner {
            option: "x".to_string(),
            runner_up: "y".to_string(),
        })
        .unwrap();
        assert_eq!(json, r#"{"kind":"winner","option":"x","runner_up":"y"}"#);
    }
}
