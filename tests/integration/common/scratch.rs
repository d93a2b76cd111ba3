//! Scratch space of a test's own: a short folder under /tmp (given as TMPDIR), a
//! unique token for names and values, and a build context with one Dockerfile.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

/// A unique token for names and values of this test.
pub fn nonce() -> String {
    use std::sync::atomic::AtomicU32;
    static N: AtomicU32 = AtomicU32::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{:x}{:x}{}",
        std::process::id(),
        t & 0xffff_ffff,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// A short scratch folder under /tmp (unix socket paths below it must stay short),
/// given to cachebench as TMPDIR so its work folder can be found and checked.
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("cbt-")
        .tempdir_in("/tmp")
        .expect("scratch folder")
}

/// A build context holding only `Dockerfile` with `body`.
pub fn context_with(dir: &Path, body: &str) -> PathBuf {
    let ctx = dir.join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("Dockerfile"), body).unwrap();
    ctx
}
