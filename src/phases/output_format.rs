//! Which output a build command produces, and a fresh parser for it: the one place
//! that knows every parser ([`crate::phases::rawjson`], [`crate::phases::legacy`]).

use crate::phases::timeline::BuildOutputParser;
use serde::{Deserialize, Serialize};

/// Which builder output a command produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// `docker buildx build --progress=rawjson` (stderr).
    RawJson,
    /// `DOCKER_BUILDKIT=0 docker build` (stdout and stderr).
    Legacy,
}

/// A fresh parser for the format.
pub fn parser_for(format: OutputFormat) -> Box<dyn BuildOutputParser> {
    match format {
        OutputFormat::RawJson => Box::new(crate::phases::rawjson::RawJsonParser::new()),
        OutputFormat::Legacy => Box::new(crate::phases::legacy::LegacyParser::new()),
    }
}
