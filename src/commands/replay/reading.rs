//! A verdict of the stop rule with cell names, as `cachebench replay` prints and
//! writes it ([`Reading`]), and when two of them agree: both settled on the same
//! winner or the same tie group, or both unsettled (open at `max_reps`, or futile).

use crate::stats::sequential::{Decision, Settled};
use serde::Serialize;

/// A verdict with cell names.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Reading {
    Winner {
        strategy: String,
    },
    /// The leader's group, tied within the margin (every other cell slower).
    Tie {
        group: Vec<String>,
    },
    /// Not settled when the rule stopped looking (at `max_reps`, or the records end).
    Open {
        leaning: Option<String>,
        more_runs: Option<u32>,
    },
    /// Stopped early as futile (non-binding): not settled, and would very likely
    /// not be by `max_reps`.
    Futile {
        leaning: Option<String>,
        more_runs: Option<u32>,
    },
}

impl Reading {
    /// `group` is the rule's tied group for these samples (used for a tie).
    pub fn of(s: &Settled, group: &[usize], names: &[String]) -> Reading {
        match s {
            Settled::Winner { cell } => Reading::Winner {
                strategy: names[*cell].clone(),
            },
            Settled::Tie => Reading::Tie {
                group: group.iter().map(|&i| names[i].clone()).collect(),
            },
            Settled::Open { leaning, more_runs } => Reading::Open {
                leaning: leaning.map(|i| names[i].clone()),
                more_runs: *more_runs,
            },
        }
    }

    /// A decision that stopped early as futile, else the verdict `s`.
    pub fn of_decision(d: &Decision, s: &Settled, group: &[usize], names: &[String]) -> Reading {
        match d {
            Decision::Futile { leaning, more_runs } => Reading::Futile {
                leaning: leaning.map(|i| names[i].clone()),
                more_runs: *more_runs,
            },
            _ => Reading::of(s, group, names),
        }
    }

    pub fn is_settled(&self) -> bool {
        matches!(self, Reading::Winner { .. } | Reading::Tie { .. })
    }

    /// Both settled on the same winner or the same tie group, or both unsettled
    /// (the leaning may differ then: cells doing identical work trade places).
    pub fn agrees(&self, other: &Reading) -> bool {
        match (self.is_settled(), other.is_settled()) {
            (false, false) => true,
            (true, true) => self == other,
            _ => false,
        }
    }

    /// The leaning cell of an unsettled reading.
    pub fn leaning(&self) -> Option<&str> {
        match self {
            Reading::Open { leaning, .. } | Reading::Futile { leaning, .. } => leaning.as_deref(),
            _ => None,
        }
    }

    pub fn winner(&self) -> Option<&str> {
        match self {
            Reading::Winner { strategy } => Some(strategy),
            _ => None,
        }
    }
}

impl std::fmt::Display for Reading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (word, leaning, more_runs) = match self {
            Reading::Winner { strategy } => return write!(f, "winner {strategy}"),
            Reading::Tie { group } => return write!(f, "tie {}", group.join("=")),
            Reading::Open { leaning, more_runs } => ("open", leaning, more_runs),
            Reading::Futile { leaning, more_runs } => ("futile", leaning, more_runs),
        };
        write!(f, "{word}")?;
        if let Some(l) = leaning {
            write!(f, ", leaning {l}")?;
        }
        if let Some(m) = more_runs {
            write!(f, ", ~{m} more/cell")?;
        }
        Ok(())
    }
}
