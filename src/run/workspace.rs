//! cachebench's copy of the user's build context, and the changes applied to it.
//!
//! The user's files are never modified: every run builds from a copy, and a
//! `source` or `deps` change rewrites the copy's file with a fresh nonce.

use crate::config::matrix::Change;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// A copy of the context in a folder cachebench owns.
#[derive(Debug)]
pub struct Workspace {
    pub dir: PathBuf,
    pub source_file: Option<PathBuf>,
    pub deps_file: Option<PathBuf>,
}

impl Workspace {
    /// Copies `context` into `dir` (which must not exist yet). Symlinks are copied
    /// as links; special files are skipped.
    pub fn create(
        context: &Path,
        dir: &Path,
        source_file: Option<&Path>,
        deps_file: Option<&Path>,
    ) -> anyhow::Result<Workspace> {
        copy_tree(context, dir).with_context(|| {
            format!(
                "failed to copy build context {} to {}",
                context.display(),
                dir.display()
            )
        })?;
        Ok(Workspace {
            dir: dir.to_path_buf(),
            source_file: source_file.map(Path::to_path_buf),
            deps_file: deps_file.map(Path::to_path_buf),
        })
    }

    /// A copy made earlier (by the previous run of a chain).
    pub fn existing(dir: &Path, source_file: Option<&Path>, deps_file: Option<&Path>) -> Workspace {
        Workspace {
            dir: dir.to_path_buf(),
            source_file: source_file.map(Path::to_path_buf),
            deps_file: deps_file.map(Path::to_path_buf),
        }
    }

    /// Applies `change` to the copy: appends a line with `nonce` to the source or
    /// deps file, so the layers that copy it (and those after) change. The caller
    /// gives a nonce no earlier run used: a repeated one would be served from the
    /// cache that run left.
    pub fn apply(&mut self, change: Change, nonce: &str) -> anyhow::Result<()> {
        let file = match change {
            Change::None => return Ok(()),
            Change::Source => self.source_file.as_ref(),
            Change::Deps => self.deps_file.as_ref(),
        };
        let Some(rel) = file else {
            anyhow::bail!("change `{change}` has no file to rewrite");
        };
        let path = self.dir.join(rel);
        let mut text =
            std::fs::read(&path).with_context(|| format!("failed to read {}", path.display()))?;
        if !text.is_empty() && !text.ends_with(b"\n") {
            text.push(b'\n');
        }
        text.extend_from_slice(format!("# cachebench change {nonce}\n").as_bytes());
        std::fs::write(&path, text).with_context(|| format!("failed to write {}", path.display()))
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let ft = entry.file_type()?;
        let dst = to.join(entry.file_name());
        if ft.is_dir() {
            copy_tree(&entry.path(), &dst)?;
        } else if ft.is_file() {
            std::fs::copy(entry.path(), &dst)?;
        } else if ft.is_symlink() {
            let target = std::fs::read_link(entry.path())?;
            std::os::unix::fs::symlink(target, &dst)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_touch_only_the_copy() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir(src.path().join("src")).unwrap();
        std::fs::write(src.path().join("src/a.txt"), "a").unwrap();
        std::fs::write(src.path().join("deps.txt"), "d\n").unwrap();
        let work = tempfile::tempdir().unwrap();
        let mut ws = Workspace::create(
            src.path(),
            &work.path().join("ctx"),
            Some(Path::new("src/a.txt")),
            Some(Path::new("deps.txt")),
        )
        .unwrap();
        ws.apply(Change::Source, "r1-1").unwrap();
        ws.apply(Change::Deps, "r1-2").unwrap();
        ws.apply(Change::None, "r1-3").unwrap();
        assert_eq!(
            std::fs::read_to_string(src.path().join("src/a.txt")).unwrap(),
            "a"
        );
        let a = std::fs::read_to_string(work.path().join("ctx/src/a.txt")).unwrap();
        assert_eq!(a, "a\n# cachebench change r1-1\n");
        let d = std::fs::read_to_string(work.path().join("ctx/deps.txt")).unwrap();
        assert_eq!(d, "d\n# cachebench change r1-2\n");
    }
}
