use cachebench::report::{render_with, RenderOptions};
use std::path::{Path, PathBuf};

fn fixture_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report");
    for f in ["runs.jsonl", "env.json"] {
        std::fs::copy(src.join(f), out.join(f)).unwrap();
    }
    (dir, out)
}

#[test]
fn render_writes_everything() {
    let (_d, out) = fixture_copy();
    let o = render_with(&out, &RenderOptions::default()).unwrap();
    for w in &o.warnings {
        eprintln!("warning: {w}");
    }
    if let Ok(keep) = std::env::var("CACHEBENCH_KEEP_RENDER") {
        let _ = std::fs::remove_dir_all(&keep);
        std::fs::create_dir_all(&keep).unwrap();
        for p in &o.written {
            let rel = p.strip_prefix(&out).unwrap();
            let dst = Path::new(&keep).join(rel);
            std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
            std::fs::copy(p, dst).unwrap();
        }
    }
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);
}
