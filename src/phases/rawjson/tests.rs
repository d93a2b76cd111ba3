//! Tests of the rawjson parser: restarts, truncation, random bytes, errors, bytes.

use super::*;
use crate::phases::phase::Phase;

fn feed_all(p: &mut RawJsonParser, text: &str) {
    let at = DateTime::<Utc>::UNIX_EPOCH;
    for l in text.lines() {
        p.feed(l, at);
    }
}

fn vertex(
    digest: &str,
    name: &str,
    started: Option<&str>,
    completed: Option<&str>,
    extra: &str,
) -> String {
    let mut s = format!("{{\n  \"vertexes\": [\n    {{\n      \"digest\": \"{digest}\",\n      \"name\": \"{name}\"");
    if let Some(t) = started {
        s += &format!(",\n      \"started\": \"2024-01-01T00:00:{t}Z\"");
    }
    if let Some(t) = completed {
        s += &format!(",\n      \"completed\": \"2024-01-01T00:00:{t}Z\"");
    }
    s += extra;
    s += "\n    }\n  ]\n}\n";
    s
}

#[test]
fn restarted_vertex_keeps_both_runs_and_merges() {
    let mut p = RawJsonParser::new();
    let mut text = String::new();
    text += &vertex("d1", "[2/3] RUN x", Some("01"), None, "");
    text += &vertex("d1", "[2/3] RUN x", Some("01"), Some("03"), "");
    text += &vertex("d1", "[2/3] RUN x", Some("05"), None, "");
    text += &vertex("d1", "[2/3] RUN x", Some("05"), Some("06"), "");
    // an overlapping re-report does not double count
    text += &vertex("d1", "[2/3] RUN x", Some("02"), Some("03"), "");
    feed_all(&mut p, &text);
    let t = p.finish(DateTime::<Utc>::UNIX_EPOCH);
    assert_eq!(t.steps_total, 1);
    assert_eq!(t.steps[0].duration_ms, 3000);
    assert_eq!(t.phase_ms(Phase::Steps), 3000);
    assert_eq!(t.intervals.len(), 2);
}

#[test]
fn truncated_object_and_garbage_are_skipped() {
    let mut p = RawJsonParser::new();
    let good = vertex("d2", "exporting to image", Some("01"), Some("02"), "");
    let mut text = String::new();
    text += "{\n  \"vertexes\": [\n    {\n      \"digest\": \"d1\",\n";
    text += "WARNING: something odd\n"; // truncates the object above
    text += "garbage }{ [[[\n";
    text += "   indented garbage outside an object\n";
    text += "{\n  \"vertexes\": [ {\"digest\": 5 } ]\n}\n"; // wrong type
    text += "{\n  this is not json\n";
    text += &good; // `{` restarts: previous object dropped
    text += "{\n  \"unknown\": {\"deep\": [1,2,{}]},\n  \"vertexes\": null\n}\n";
    text += "ERROR: failed to solve: boom\n";
    text += "{\n  \"vertexes\": [\n"; // truncated at the end of the stream
    feed_all(&mut p, &text);
    let t = p.finish(DateTime::<Utc>::UNIX_EPOCH);
    assert_eq!(t.phase_ms(Phase::ImageExport), 1000);
    assert_eq!(t.malformed_objects, 4);
    assert_eq!(
        t.error_line.as_deref(),
        Some("ERROR: failed to solve: boom")
    );
}

#[test]
fn never_panics_on_random_bytes() {
    let mut p = RawJsonParser::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let alphabet = b"{}[]\":,0123456789abcdefsz -T\\\n\tnulltrue";
    let mut s = String::new();
    for _ in 0..200_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push(alphabet[(x % alphabet.len() as u64) as usize] as char);
    }
    feed_all(&mut p, &s);
    let _ = p.finish(Utc::now());
}

#[test]
fn failing_vertex_error_prefers_real_error_over_cancel() {
    let mut p = RawJsonParser::new();
    let mut text = String::new();
    text += &vertex(
        "a",
        "[b 2/2] RUN sleep 9",
        Some("01"),
        Some("02"),
        ",\n      \"error\": \"context canceled\"",
    );
    text += &vertex(
        "b",
        "[a 2/2] RUN false",
        Some("01"),
        Some("02"),
        ",\n      \"error\": \"exit code: 1\"",
    );
    feed_all(&mut p, &text);
    let t = p.finish(DateTime::<Utc>::UNIX_EPOCH);
    assert_eq!(t.error.as_deref(), Some("exit code: 1"));
    assert_eq!(t.error_vertex.as_deref(), Some("[a 2/2] RUN false"));
}

#[test]
fn open_vertex_closed_at_end_of_stream() {
    let mut p = RawJsonParser::new();
    feed_all(
        &mut p,
        &vertex("a", "[2/2] RUN sleep 99", Some("01"), None, ""),
    );
    let end = DateTime::parse_from_rfc3339("2024-01-01T00:00:11Z")
        .unwrap()
        .to_utc();
    let t = p.finish(end);
    assert_eq!(t.phase_ms(Phase::Steps), 10_000);
}

#[test]
fn blob_under_cached_step_is_cache_import_and_bytes_counted_once() {
    let mut p = RawJsonParser::new();
    let mut text = vertex(
        "s",
        "[2/2] RUN x",
        Some("01"),
        Some("01"),
        ",\n      \"cached\": true",
    );
    for (cur, ts) in [(10, "02"), (100, "03"), (100, "04")] {
        text += &format!(
            "{{\n  \"statuses\": [\n    {{\n      \"id\": \"sha256:aa\",\n      \"vertex\": \"s\",\n      \"total\": 100,\n      \"current\": {cur},\n      \"timestamp\": \"2024-01-01T00:00:{ts}Z\",\n      \"started\": \"2024-01-01T00:00:02Z\"\n    }}\n  ]\n}}\n"
        );
    }
    feed_all(&mut p, &text);
    let t = p.finish(DateTime::<Utc>::UNIX_EPOCH);
    assert_eq!(t.bytes_down, 100);
    assert_eq!(t.bytes_up, 0);
    assert_eq!(t.phase_ms(Phase::CacheImport), 2000);
    assert_eq!((t.steps_total, t.steps_cached), (1, 1));
}
