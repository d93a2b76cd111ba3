//! Reading the results folder for a report: `runs.jsonl` through the tolerant
//! loader of the record store ([`crate::records::load`]), and `env.json`.

use crate::error::{Error, Result};
use crate::report::env::EnvInfo;
use std::path::Path;

pub use crate::records::load::{load_runs, parse_runs, LoadedRuns};

/// Reads `env.json`; `Ok(None)` when the file does not exist.
pub fn load_env(path: &Path) -> Result<Option<EnvInfo>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::usage(format!("{}: unparsable environment: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Internal(
            anyhow::Error::new(e).context(format!("reading {}", path.display())),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_env_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_env(&dir.path().join("env.json")).unwrap().is_none());
    }
}
