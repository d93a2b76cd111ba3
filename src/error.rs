//! The error type shared by every subcommand, and its mapping to exit codes.
//!
//! Messages are lowercase fragments that carry the path, key or command they are
//! about ("failed to start dockerd: …"), so `main` can print them as one line.

use std::fmt;

/// Exit codes, documented in the README.
pub mod exit {
    /// Every cell ran (skipped cells count as ran) and no run failed.
    pub const OK: i32 = 0;
    /// Some runs failed or timed out; or `compare` found a regression.
    pub const RUNS_FAILED: i32 = 1;
    /// Bad input (flags, scenario file, paths) or a missing prerequisite; nothing ran.
    pub const USAGE: i32 = 2;
    /// cachebench itself failed while running (engine or registry died, I/O error).
    pub const INTERNAL: i32 = 3;
    /// `clean` could not remove something it found (each named on stderr).
    pub const CLEAN_INCOMPLETE: i32 = 4;
    /// Interrupted by SIGINT (128 + 2); SIGTERM gives 143.
    pub const INTERRUPTED: i32 = 130;
}

/// What went wrong, by who has to act on it.
#[derive(Debug)]
pub enum Error {
    /// The user's input is wrong: a flag, a scenario key, a path. Exit 2.
    Usage(String),
    /// Something cachebench needs is missing (docker, dockerd, a BuildKit image). Exit 2.
    Missing(String),
    /// Anything else, with its chain of causes. Exit 3.
    Internal(anyhow::Error),
}

impl Error {
    pub fn usage(msg: impl Into<String>) -> Self {
        Error::Usage(msg.into())
    }
    pub fn missing(msg: impl Into<String>) -> Self {
        Error::Missing(msg.into())
    }
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::Missing(_) => exit::USAGE,
            Error::Internal(_) => exit::INTERNAL,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) | Error::Missing(m) => f.write_str(m),
            Error::Internal(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        Error::Internal(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Internal(e.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
