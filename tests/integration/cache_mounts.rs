//! The cache-mount variant of the synthetic workload (Dockerfile.mounts) on a real
//! engine: on a `deps` change, a warm-local build finds the mount it filled before
//! (the step prints `cachebench-mount: hit`), and a warm-remote build with the
//! registry cache does not (`miss`): no cache export carries a cache mount
//! (docker/build-push-action#716, #1011). Hit or miss is read from the build's own
//! output (the run's transcript), not inferred from its time.

use super::common::records::records;
use super::common::runs::{run, text, tiny_args};
use cachebench::records::record::RunStatus;

#[test]
fn warm_local_reuses_the_mount_and_warm_remote_with_registry_cache_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut args = vec!["run".to_string()];
    args.extend(tiny_args(&out));
    args.extend(
        [
            "--dockerfile",
            "Dockerfile.mounts",
            "--strategy",
            "registry-cache",
            "--state",
            "warm-local",
            "--state",
            "warm-remote",
            "--change",
            "deps",
        ]
        .map(String::from),
    );
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let recs = records(&out);
    assert_eq!(recs.len(), 2, "{recs:#?}");
    for r in &recs {
        assert_eq!(r.status, RunStatus::Ok, "{}: {}", r.cell(), r.reason);
        assert_eq!(r.state_check, "ok", "{}: {}", r.cell(), r.state_check);
        // The measured build's own output (its transcript beside the raw log).
        let txt = out.join(&r.log).with_extension("txt");
        let txt =
            std::fs::read_to_string(&txt).unwrap_or_else(|e| panic!("{}: {e}", txt.display()));
        let step = r
            .step_details
            .iter()
            .find(|s| s.name.contains("--mount=type=cache"))
            .unwrap_or_else(|| panic!("no cache-mount step in {:#?}", r.step_details));
        assert!(!step.cached, "{}: a deps change reruns the step", r.cell());
        // The step's output lines (`    | …`) of the measured build only: the
        // warming build before it filled the mount (a miss), and the step's
        // name quotes both words.
        let measured = txt
            .split_once("== measured run ==")
            .unwrap_or_else(|| panic!("{}: no measured run in\n{txt}", r.cell()))
            .1;
        let (want, not) = match r.state.as_str() {
            "warm-local" => ("| cachebench-mount: hit", "| cachebench-mount: miss"),
            _ => ("| cachebench-mount: miss", "| cachebench-mount: hit"),
        };
        assert!(
            measured.contains(want),
            "{}: no `{want}` in\n{txt}",
            r.cell()
        );
        assert!(!measured.contains(not), "{}: `{not}` in\n{txt}", r.cell());
    }
}
