//! cachebench's copy of the user's build context, and the changes applied to it.
//!
//! The user's files are never modified: every run builds from a copy, and a
//! `source` or `deps` change ([`crate::run::change`]) rewrites the copy's file
//! with a fresh nonce.

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
