//! Tests of running children: output lines, timeouts, process groups, errors.

use super::*;
use crate::infra::process::output::output;

struct Collect(Vec<(Stream, String)>);
impl LineSink for Collect {
    fn line(&mut self, s: Stream, l: &str, _: DateTime<Utc>) {
        self.0.push((s, l.to_string()));
    }
}

#[tokio::test]
async fn lines_are_captured_from_both_streams() {
    {
        let dir = tempfile::tempdir().unwrap();
        let mut log = open_log(&dir.path().join("l.log")).unwrap();
        let (_tx, mut rx) = watch::channel(false);
        let mut sink = Collect(vec![]);
        let spec = Spec::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]);
        let o = run(&spec, &mut log, &mut sink, None, &mut rx).await;
        assert_eq!(o.ending, Ending::Exited(3));
        assert!(sink.0.contains(&(Stream::Stdout, "out".into())));
        assert!(sink.0.contains(&(Stream::Stderr, "err".into())));
        let text = std::fs::read_to_string(dir.path().join("l.log")).unwrap();
        assert!(text.contains("$ sh -c"), "{text}");
    }
}

#[tokio::test]
async fn timeout_kills_the_whole_group() {
    {
        let dir = tempfile::tempdir().unwrap();
        let mut log = open_log(&dir.path().join("l.log")).unwrap();
        let (_tx, mut rx) = watch::channel(false);
        let marker = dir.path().join("grandchild-alive");
        // The grandchild would write the marker after 3s unless its group is killed.
        let script = format!("(sleep 3; touch {}) & sleep 30", marker.display());
        let spec = Spec::new("sh").args(["-c", &script]);
        let o = run(
            &spec,
            &mut log,
            &mut (),
            Some(Duration::from_millis(300)),
            &mut rx,
        )
        .await;
        assert_eq!(o.ending, Ending::TimedOut);
        assert!(o.elapsed < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert!(!marker.exists(), "grandchild survived the group kill");
    }
}

#[tokio::test]
async fn interruption_ends_the_child() {
    {
        let dir = tempfile::tempdir().unwrap();
        let mut log = open_log(&dir.path().join("l.log")).unwrap();
        let (tx, mut rx) = watch::channel(false);
        let spec = Spec::new("sleep").arg("30");
        let h = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            tx.send(true).unwrap();
            tx
        });
        let o = run(&spec, &mut log, &mut (), None, &mut rx).await;
        assert_eq!(o.ending, Ending::Interrupted);
        drop(h.await);
    }
}

#[tokio::test]
async fn spawn_failure_is_reported() {
    {
        let dir = tempfile::tempdir().unwrap();
        let mut log = open_log(&dir.path().join("l.log")).unwrap();
        let (_tx, mut rx) = watch::channel(false);
        let o = run(
            &Spec::new("/nonexistent/x"),
            &mut log,
            &mut (),
            None,
            &mut rx,
        )
        .await;
        assert!(matches!(o.ending, Ending::SpawnFailed(_)));
    }
}

#[tokio::test]
async fn output_error_frames_stderr() {
    {
        let e = output(
            &Spec::new("sh").args(["-c", "echo boom >&2; exit 1"]),
            Duration::from_secs(5),
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(e.contains("boom") && e.contains("-- output --"), "{e}");
    }
}
