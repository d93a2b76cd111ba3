//! Appending `github.md` (the self-contained form) to GitHub's job summary (`$GITHUB_STEP_SUMMARY`).

use crate::error::Result;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The job summary file named by `$GITHUB_STEP_SUMMARY`, when set and non-empty.
pub fn step_summary_path() -> Option<PathBuf> {
    std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Appends `markdown` (followed by a blank line) to the file at `path`, creating it.
pub fn append_step_summary(path: &Path, markdown: &str) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| anyhow::Error::new(e).context(format!("opening {}", path.display())))?;
    f.write_all(markdown.as_bytes())
        .and_then(|_| f.write_all(b"\n\n"))
        .map_err(|e| anyhow::Error::new(e).context(format!("appending to {}", path.display())))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_without_truncating() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("summary.md");
        std::fs::write(&p, "before\n").unwrap();
        append_step_summary(&p, "# report").unwrap();
        append_step_summary(&p, "# again").unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "before\n# report\n\n# again\n\n"
        );
    }
}
