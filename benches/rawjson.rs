//! Throughput of the streaming rawjson parser on a synthetic ≥ 50 MB stream with
//! thousands of vertices, each re-sent in several states, with layer statuses and
//! base64 logs, in the pretty-printed shape buildx writes.

use cachebench::{phases::rawjson::RawJsonParser, phases::timeline::BuildOutputParser};
use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::json;
use std::time::Duration;

const TARGET_BYTES: usize = 50 << 20;

fn ts(ms: u64) -> String {
    let t = DateTime::<Utc>::UNIX_EPOCH
        + chrono::TimeDelta::milliseconds(1_700_000_000_000 + ms as i64);
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

fn push(out: &mut String, v: serde_json::Value) {
    out.push_str(&serde_json::to_string_pretty(&v).unwrap());
    out.push('\n');
}

/// Builds the stream and returns it with its vertex count.
fn synthetic_stream() -> (String, usize) {
    let mut out = String::with_capacity(TARGET_BYTES + (1 << 20));
    let log = "bG9nIGxpbmUgb2YgYSBidWlsZCBzdGVwLCByZXBlYXRlZCB0byBmaWxsIHRoZSBidWZmZXIK".repeat(6);
    let mut n = 0usize;
    let mut t = 0u64;
    while out.len() < TARGET_BYTES {
        let digest = format!("sha256:{n:064x}");
        let name = match n % 5 {
            0 => format!("[stage{} 1/9] FROM docker.io/library/alpine:3.20", n % 7),
            1 => format!("[stage{} {}/9] RUN make -j4 target-{n}", n % 7, 2 + n % 8),
            2 => "exporting to image".to_string(),
            3 => format!("importing cache manifest from 127.0.0.1:5000/cache:{n}"),
            _ => format!("[internal] unknown vertex {n}"),
        };
        push(
            &mut out,
            json!({"vertexes": [{"digest": digest, "name": name}]}),
        );
        push(
            &mut out,
            json!({"vertexes": [{"digest": digest, "name": name, "started": ts(t)}]}),
        );
        for s in 0..4u64 {
            let id = format!("sha256:{:064x}", n * 8 + s as usize);
            for step in 0..3u64 {
                let mut st = json!({
                    "id": id, "vertex": digest, "name": "downloading",
                    "total": 4_000_000, "current": (step + 1) * 1_000_000,
                    "timestamp": ts(t + s * 3 + step), "started": ts(t + s),
                });
                if step == 2 {
                    st["completed"] = json!(ts(t + s * 3 + step));
                }
                push(&mut out, json!({"statuses": [st]}));
            }
        }
        for l in 0..3u64 {
            push(
                &mut out,
                json!({"logs": [{"vertex": digest, "stream": 1, "data": log, "timestamp": ts(t + l)}]}),
            );
        }
        if n % 11 == 0 {
            out.push_str("WARNING: a plain line between objects\n");
        }
        push(
            &mut out,
            json!({"vertexes": [{"digest": digest, "name": name, "started": ts(t), "completed": ts(t + 20)}]}),
        );
        // a restart of some vertices
        if n % 13 == 0 {
            push(
                &mut out,
                json!({"vertexes": [{"digest": digest, "name": name, "started": ts(t + 30), "completed": ts(t + 35), "cached": true}]}),
            );
        }
        n += 1;
        t += 7;
    }
    (out, n)
}

fn bench(c: &mut Criterion) {
    let (stream, vertices) = synthetic_stream();
    let lines: Vec<&str> = stream.lines().collect();
    eprintln!(
        "synthetic rawjson stream: {:.1} MB, {} lines, {} vertices",
        stream.len() as f64 / 1e6,
        lines.len(),
        vertices
    );
    let now = Utc::now();
    let mut g = c.benchmark_group("rawjson");
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.sample_size(10);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(6));
    g.bench_function("parse_50MB_stream", |b| {
        b.iter(|| {
            let mut p = RawJsonParser::new();
            for l in &lines {
                p.feed(l, now);
            }
            let t = p.finish(now);
            assert!(t.steps_total > 0);
            t
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
