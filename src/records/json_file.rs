//! The small JSON files cachebench writes beside the records in OUT
//! (report-settings.json, shard.json): written pretty, read back as `None` when
//! absent, and refused with one line naming the file when they are not what
//! cachebench wrote.

use crate::error::{Error, Result};
use serde::{de::DeserializeOwned, Serialize};
use std::path::Path;

/// Writes `value` as `out/name`.
pub fn write<T: Serialize>(out: &Path, name: &str, value: &T) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    std::fs::write(out.join(name), text)
}

/// Reads `out/name`; `None` when the file is absent.
pub fn read<T: DeserializeOwned>(out: &Path, name: &str) -> Result<Option<T>> {
    let path = out.join(name);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Error::usage(format!(
                "{}: not a {name} cachebench wrote: {e}",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Internal(
            anyhow::Error::new(e).context(format!("reading {}", path.display())),
        )),
    }
}
