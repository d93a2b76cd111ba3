//! How faithful `--link` is on this machine (`bash scripts/link-accuracy.sh`, or
//! `cargo run --release --example link_accuracy -- OUT_DIR`): bulk transfers through
//! the shaping proxy at 50, 200 and 1000 Mbit/s each way (achieved rate against the
//! target; bar: within 10%), the round-trip time small pings see at 20 and 100 ms
//! (median against the target; bar: within 2 ms), and the pass-through proxy's cost
//! against direct loopback (bulk throughput; bar: under 5%). Prints a table and
//! writes `OUT_DIR/link-accuracy.json`.
//!
//! The endpoints are plain threads with blocking sockets, in this process: the
//! proxy competes with them for the CPU, as it would with a build.

use cachebench::infra::link::proxy::Link;
use cachebench::infra::link::shape::Shape;
use cachebench::infra::link::spec::LinkSpec;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// Seconds of transfer at the target rate per bulk measurement.
const BULK_SECS: f64 = 2.0;
const PINGS: usize = 40;
const NEW_CONNECTIONS: usize = 10;
const DIRECT_BYTES: u64 = 1 << 30;
const DIRECT_REPS: usize = 5;

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "results/link-accuracy".into());
    std::fs::create_dir_all(&out).expect("create the output folder");
    let source = server(source);
    let sink = server(sink);
    let echo = server(echo);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // Other work on the machine delays every wake-up the proxy depends on: say how
    // busy it was.
    let load_before = loadavg();
    println!("load average (1, 5, 15 min): {load_before}");
    let mut rows: Vec<Value> = Vec::new();
    let mut print = |row: Value| {
        println!(
            "{:<10} {:<28} {:>12} {:>12} {:>9}  {}",
            row["test"].as_str().unwrap(),
            row["case"].as_str().unwrap(),
            row["target"].as_str().unwrap(),
            row["achieved"].as_str().unwrap(),
            row["error"].as_str().unwrap(),
            match row["pass"].as_bool() {
                Some(true) => "ok",
                Some(false) => "MISSED",
                None => "-",
            },
        );
        rows.push(row);
    };
    println!(
        "{:<10} {:<28} {:>12} {:>12} {:>9}  bar",
        "test", "case", "target", "achieved", "error"
    );

    let direct_ping = median(pings(echo, PINGS));
    for rtt_ms in [20u64, 100] {
        let spec = format!("rtt={rtt_ms}ms");
        let link = Link::start(shape(&spec)).unwrap();
        let addr = link.proxy(echo).unwrap();
        // A new connection pays the handshake's round trip before the request's.
        let first = median(
            (0..NEW_CONNECTIONS)
                .map(|_| {
                    let t0 = Instant::now();
                    let mut s = TcpStream::connect(addr).unwrap();
                    ping(&mut s);
                    ms(t0.elapsed())
                })
                .collect(),
        );
        let pinged = median(pings(addr, PINGS));
        rt.block_on(link.stop());
        let target = rtt_ms as f64;
        print(rtt_row(
            format!("{spec}, median of {PINGS} pings"),
            target,
            pinged,
        ));
        let case = format!("{spec}, {NEW_CONNECTIONS} new connections");
        print(rtt_row(case, 2.0 * target, first));
    }

    for mbit in [50u64, 200, 1000] {
        let spec = format!("{mbit}mbit/20ms");
        let link = Link::start(shape(&spec)).unwrap();
        let (down, up) = (link.proxy(source).unwrap(), link.proxy(sink).unwrap());
        let bytes = (mbit as f64 * 1e6 / 8.0 * BULK_SECS) as u64;
        for (dir, bps) in [("down", fetch(down, bytes)), ("up", send(up, bytes))] {
            let achieved = bps / 1e6;
            let err = achieved / mbit as f64 - 1.0;
            print(json!({
                "test": "rate", "case": format!("{spec} {dir}, {} MB", bytes / 1_000_000),
                "target": format!("{mbit} Mbit/s"), "achieved": format!("{achieved:.1} Mbit/s"),
                "error": format!("{:+.1}%", err * 100.0), "pass": err.abs() <= 0.10,
                "target_mbit": mbit, "achieved_mbit": achieved, "error_ratio": err,
            }));
        }
        rt.block_on(link.stop());
    }

    // The same pings right after the bulk transfers: the proxy's wake-ups wait on
    // the scheduler, which makes threads that just used a lot of CPU wait longer
    // when the machine is busy (a build would be using it too).
    let link = Link::start(shape("rtt=20ms")).unwrap();
    let pinged = median(pings(link.proxy(echo).unwrap(), PINGS));
    rt.block_on(link.stop());
    let case = format!("rtt=20ms, median of {PINGS} pings after the bulk");
    print(rtt_row(case, 20.0, pinged));

    // Pass-through against direct, alternating, the median of each.
    let link = Link::start(Shape::PASSTHROUGH).unwrap();
    let via = link.proxy(source).unwrap();
    let via_echo = link.proxy(echo).unwrap();
    let (mut direct, mut proxied) = (Vec::new(), Vec::new());
    for _ in 0..DIRECT_REPS {
        direct.push(fetch(source, DIRECT_BYTES) / 1e6);
        proxied.push(fetch(via, DIRECT_BYTES) / 1e6);
    }
    let proxied_ping = median(pings(via_echo, PINGS));
    rt.block_on(link.stop());
    let (d, p) = (median(direct), median(proxied));
    let cost = 1.0 - p / d;
    print(json!({
        "test": "path", "case": format!("passthrough vs direct, {} x 1 GiB", DIRECT_REPS),
        "target": format!("{d:.0} Mbit/s"), "achieved": format!("{p:.0} Mbit/s"),
        "error": format!("{:+.1}%", -cost * 100.0), "pass": cost < 0.05,
        "direct_mbit": d, "passthrough_mbit": p, "cost_ratio": cost,
    }));
    print(json!({
        "test": "path", "case": format!("passthrough ping, median of {PINGS}"),
        "target": format!("{direct_ping:.3} ms"), "achieved": format!("{proxied_ping:.3} ms"),
        "error": format!("{:+.3} ms", proxied_ping - direct_ping), "pass": null,
        "direct_ms": direct_ping, "passthrough_ms": proxied_ping,
    }));
    print(json!({
        "test": "path", "case": "none (no proxy in the path)",
        "target": "direct", "achieved": "direct", "error": "+0.0%", "pass": null,
    }));

    let report = json!({
        "date": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
        "cores": thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "rows": rows,
    });
    let path = format!("{out}/link-accuracy.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("wrote {path}");
}

/// A round-trip row; bar: within 2 ms of the target.
fn rtt_row(case: String, target: f64, achieved: f64) -> Value {
    let err = achieved - target;
    json!({
        "test": "rtt", "case": case,
        "target": format!("{target:.2} ms"), "achieved": format!("{achieved:.2} ms"),
        "error": format!("{err:+.2} ms"), "pass": err.abs() <= 2.0,
        "target_ms": target, "achieved_ms": achieved, "error_ms": err,
    })
}

fn loadavg() -> String {
    let l = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn shape(s: &str) -> Shape {
    s.parse::<LinkSpec>().unwrap().shape().unwrap()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn server(serve: fn(TcpStream)) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    thread::spawn(move || {
        for s in l.incoming().flatten() {
            let _ = s.set_nodelay(true);
            thread::spawn(move || serve(s));
        }
    });
    addr
}

const BUF: usize = 256 * 1024;

/// Reads an 8-byte length, sends that many bytes, closes.
fn source(mut s: TcpStream) {
    let mut len = [0u8; 8];
    if s.read_exact(&mut len).is_err() {
        return;
    }
    let mut left = u64::from_le_bytes(len);
    let buf = vec![7u8; BUF];
    while left > 0 {
        let n = left.min(BUF as u64) as usize;
        if s.write_all(&buf[..n]).is_err() {
            return;
        }
        left -= n as u64;
    }
}

/// Reads to the end, answers with the bytes after the first read and the time
/// from the first read to the end (ns).
fn sink(mut s: TcpStream) {
    let (bytes, nanos) = receive(&mut s);
    let mut answer = bytes.to_le_bytes().to_vec();
    answer.extend(nanos.to_le_bytes());
    let _ = s.write_all(&answer);
}

fn echo(mut s: TcpStream) {
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 || s.write_all(&buf[..n]).is_err() {
            break;
        }
    }
}

/// Bytes after the first read, and ns from the first read to the end of stream.
fn receive(s: &mut TcpStream) -> (u64, u64) {
    let mut buf = vec![0u8; BUF];
    let (mut bytes, mut first) = (0u64, None);
    loop {
        let n = s.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        match first {
            None => first = Some(Instant::now()),
            Some(_) => bytes += n as u64,
        }
    }
    let nanos = first.map_or(0, |t| t.elapsed().as_nanos() as u64);
    (bytes, nanos)
}

/// Downloads `bytes` from a source at `addr`: bits per second at the receiver.
fn fetch(addr: SocketAddr, bytes: u64) -> f64 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    s.write_all(&bytes.to_le_bytes()).unwrap();
    let (got, nanos) = receive(&mut s);
    got as f64 * 8.0 / (nanos as f64 / 1e9)
}

/// Uploads `bytes` to a sink at `addr`: bits per second at the receiver.
fn send(addr: SocketAddr, bytes: u64) -> f64 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    let buf = vec![9u8; BUF];
    let mut left = bytes;
    while left > 0 {
        let n = left.min(BUF as u64) as usize;
        s.write_all(&buf[..n]).unwrap();
        left -= n as u64;
    }
    s.shutdown(Shutdown::Write).unwrap();
    let mut answer = [0u8; 16];
    s.read_exact(&mut answer).unwrap();
    let got = u64::from_le_bytes(answer[..8].try_into().unwrap());
    let nanos = u64::from_le_bytes(answer[8..].try_into().unwrap());
    got as f64 * 8.0 / (nanos as f64 / 1e9)
}

fn ping(s: &mut TcpStream) {
    let mut b = [0u8; 64];
    s.write_all(&b).unwrap();
    s.read_exact(&mut b).unwrap();
}

/// Round-trip times (ms) of `n` 64-byte pings on an open connection.
fn pings_on(s: &mut TcpStream, n: usize) -> Vec<f64> {
    s.set_nodelay(true).unwrap();
    (0..n)
        .map(|_| {
            let t = Instant::now();
            ping(s);
            ms(t.elapsed())
        })
        .collect()
}

/// Round-trip times (ms) of `n` pings on a new connection, after one that pays
/// for the handshake.
fn pings(addr: SocketAddr, n: usize) -> Vec<f64> {
    let mut s = TcpStream::connect(addr).unwrap();
    ping(&mut s);
    pings_on(&mut s, n)
}
