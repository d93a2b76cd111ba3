//! Tests of finding leftovers: folder and bridge names, live and dead owners.

use super::*;

#[test]
fn names() {
    assert!(is_work_folder_name("cachebench-a1B2c3"));
    assert!(!is_work_folder_name("cachebench-cache-a1B2c3"));
    assert!(!is_work_folder_name("cachebench-buildkit-build"));
    assert!(!is_work_folder_name("cachebench-quiet"));
    assert!(is_bridge_name("cb0a1b2c3d"));
    assert!(!is_bridge_name("docker0"));
    assert!(!is_bridge_name("cb0a1b2c3g"));
}

#[test]
fn a_held_lock_is_left_alone_and_a_free_one_is_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let live = tmp.path().join("cachebench-live01");
    let dead = tmp.path().join("cachebench-dead01");
    let foreign = tmp.path().join("cachebench-other1");
    for d in [&live, &dead, &foreign] {
        std::fs::create_dir(d).unwrap();
    }
    let claim = Claim::take(&live).unwrap();
    note_bridge("cb00000000", "169.254.200.0/24");
    let m: Manifest =
        serde_json::from_slice(&std::fs::read(live.join(MANIFEST_FILE)).unwrap()).unwrap();
    assert_eq!(m.pid, std::process::id());
    assert_eq!(m.bridge.as_deref(), Some("cb00000000"));
    // A dead owner: its lock file is there, nobody holds it.
    {
        let _c = Claim::take(&dead).unwrap();
    }
    std::fs::write(dead.join("data"), "x").unwrap();
    let dry = sweep(tmp.path(), true);
    assert!(dead.exists() && live.exists());
    assert_eq!(dry.removed.len(), 1, "{dry:?}");
    assert!(dry.removed[0].starts_with("would remove: work folder"));
    let r = sweep(tmp.path(), false);
    assert!(!dead.exists(), "{r:?}");
    assert!(live.exists() && foreign.exists());
    assert_eq!(r.left_alone.len(), 1, "{r:?}");
    assert!(r.left_alone[0].contains("in use by a live run"));
    assert!(r.failed.is_empty(), "{r:?}");
    drop(claim);
}
