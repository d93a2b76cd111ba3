//! The proxy against local servers on plain threads: bytes arrive intact both ways,
//! shaping only ever slows things down (lower bounds on time only: a shaped
//! transfer has a floor; its ceiling depends on the machine), counts, and stop.

use crate::infra::link::counters::LinkSnapshot;
use crate::infra::link::proxy::Link;
use crate::infra::link::shape::Shape;
use crate::infra::link::spec::LinkSpec;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

fn shape(s: &str) -> Shape {
    s.parse::<LinkSpec>().unwrap().shape().unwrap()
}

fn stop(link: Link) -> LinkSnapshot {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(link.stop())
}

/// A server on its own threads: each connection is handed to `serve`.
fn server(serve: fn(TcpStream)) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    thread::spawn(move || {
        for s in l.incoming().flatten() {
            thread::spawn(move || serve(s));
        }
    });
    addr
}

/// Echoes until the end of the stream, then closes.
fn echo(mut s: TcpStream) {
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 || s.write_all(&buf[..n]).is_err() {
            break;
        }
    }
}

/// Reads an 8-byte length, then sends that many bytes of [`pattern`] and closes.
fn source(mut s: TcpStream) {
    let mut len = [0u8; 8];
    if s.read_exact(&mut len).is_ok() {
        let _ = s.write_all(&pattern(u64::from_le_bytes(len) as usize));
    }
}

/// Reads to the end of the stream, then answers with the byte count.
fn sink(mut s: TcpStream) {
    let mut all = Vec::new();
    if s.read_to_end(&mut all).is_ok() {
        let _ = s.write_all(&(all.len() as u64).to_le_bytes());
    }
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 251) as u8).collect()
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    // A guard against a hung test, not a bound on the time measured.
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

/// Sends `data`, half-closes, reads to the end: what came back.
fn round_trip(addr: SocketAddr, data: Vec<u8>) -> Vec<u8> {
    let s = connect(addr);
    let mut w = s.try_clone().unwrap();
    let writer = thread::spawn(move || {
        w.write_all(&data).unwrap();
        w.shutdown(Shutdown::Write).unwrap();
    });
    let mut back = Vec::new();
    (&s).read_to_end(&mut back).unwrap();
    writer.join().unwrap();
    back
}

#[test]
fn bytes_arrive_intact_both_ways_and_are_counted() {
    let upstream = server(echo);
    for s in ["passthrough", "1gbit/2ms", "up=50mbit,rtt=1ms", "rtt=2ms"] {
        let link = Link::start(shape(s)).unwrap();
        let addr = link.proxy(upstream).unwrap();
        assert_ne!(addr, upstream);
        assert!(addr.ip().is_loopback());
        let data = pattern(300_000);
        assert!(
            round_trip(addr, data.clone()) == data,
            "{s}: the echo differs"
        );
        // A second connection, a small exchange.
        assert_eq!(round_trip(addr, b"ping".to_vec()), b"ping", "{s}");
        let snap = stop(link);
        let t = snap.total;
        assert_eq!(
            (t.connections, t.open, t.upstream_failures),
            (2, 0, 0),
            "{s}"
        );
        assert_eq!((t.bytes_up, t.bytes_down), (300_004, 300_004), "{s}");
        assert_eq!(snap.routes.len(), 1);
        assert_eq!(snap.routes[0].listen, addr);
        assert_eq!(snap.routes[0].upstream, upstream);
        assert_eq!(snap.shape, shape(s).to_string());
    }
}

#[test]
fn a_rate_is_a_floor_on_transfer_time_each_way_and_shared_by_connections() {
    // 8 Mbit/s is 1 MB/s: 1 MiB each way cannot arrive in under ~1.05 s; 0.9 s
    // leaves the bucket's burst and a chunk of slack.
    let link = Link::start(shape("8mbit/0ms")).unwrap();
    let down = link.proxy(server(source)).unwrap();
    let up = link.proxy(server(sink)).unwrap();
    let fetch = |len: usize| {
        thread::spawn(move || {
            let t0 = Instant::now();
            let mut s = connect(down);
            s.write_all(&(len as u64).to_le_bytes()).unwrap();
            let mut got = Vec::new();
            s.read_to_end(&mut got).unwrap();
            assert!(got == pattern(len), "download differs");
            t0.elapsed()
        })
    };
    let t0 = Instant::now();
    // Two downloads of half a MiB share the down rate.
    let (a, b) = (fetch(512 * 1024), fetch(512 * 1024));
    let mut s = connect(up);
    s.write_all(&pattern(1024 * 1024)).unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut count = [0u8; 8];
    s.read_exact(&mut count).unwrap();
    let upload = t0.elapsed();
    assert_eq!(u64::from_le_bytes(count), 1024 * 1024);
    let downloads = a.join().unwrap().max(b.join().unwrap());
    let floor = Duration::from_millis(900);
    assert!(upload >= floor, "1 MiB up at 8 Mbit/s took {upload:?}");
    assert!(
        downloads >= floor,
        "2 × 512 KiB down at 8 Mbit/s took {downloads:?}"
    );
    let t = stop(link).total;
    assert_eq!(
        (t.bytes_up, t.bytes_down),
        (1024 * 1024 + 16, 1024 * 1024 + 8)
    );
}

#[test]
fn a_round_trip_time_is_a_floor_on_each_exchange_and_a_new_connection_pays_one_more() {
    let link = Link::start(shape("rtt=100ms")).unwrap();
    let addr = link.proxy(server(echo)).unwrap();
    let t0 = Instant::now();
    let mut s = connect(addr);
    let mut byte = [0u8; 1];
    s.write_all(b"a").unwrap();
    s.read_exact(&mut byte).unwrap();
    let first = t0.elapsed();
    let t1 = Instant::now();
    s.write_all(b"b").unwrap();
    s.read_exact(&mut byte).unwrap();
    let second = t1.elapsed();
    // The handshake's round trip, then the request's: 200 ms, never less (1 ms
    // of slack for the clock reads); then 100 ms on the open connection.
    assert!(
        first >= Duration::from_millis(199),
        "first response after {first:?}"
    );
    assert!(
        second >= Duration::from_millis(99),
        "second response after {second:?}"
    );
    assert_eq!(byte, *b"b");
    drop(link);
}

#[test]
fn an_unreachable_upstream_closes_the_client_and_is_counted() {
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let link = Link::start(Shape::PASSTHROUGH).unwrap();
    let addr = link.proxy(dead).unwrap();
    let mut s = connect(addr);
    let mut rest = Vec::new();
    // Closed without a byte (a reset is as good as the end here).
    let _ = s.read_to_end(&mut rest);
    assert!(rest.is_empty());
    let t = stop(link).total;
    assert_eq!((t.connections, t.upstream_failures, t.open), (1, 1, 0));
}

#[test]
fn stop_ends_the_listener_and_open_connections() {
    let link = Link::start(shape("100mbit/2ms")).unwrap();
    let addr = link.proxy(server(echo)).unwrap();
    let mut s = connect(addr);
    s.write_all(b"x").unwrap();
    let mut b = [0u8; 1];
    s.read_exact(&mut b).unwrap();
    assert_eq!(link.snapshot().total.open, 1);
    let snap = stop(link);
    assert_eq!(snap.total.open, 0);
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert!(rest.is_empty());
    assert!(
        TcpStream::connect(addr).is_err(),
        "the listener is still there"
    );
}

#[test]
fn dropping_the_link_ends_it_too() {
    let link = Link::start(Shape::PASSTHROUGH).unwrap();
    let addr = link.proxy(server(echo)).unwrap();
    drop(link);
    // The link's thread ends on its own; wait for it without bounding the time.
    let t0 = Instant::now();
    while TcpStream::connect(addr).is_ok() {
        assert!(t0.elapsed() < Duration::from_secs(30), "still listening");
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn the_snapshot_is_serde() {
    let link = Link::start(shape("same-region")).unwrap();
    link.proxy(server(echo)).unwrap();
    let snap = stop(link);
    let json = serde_json::to_value(&snap).unwrap();
    assert_eq!(json["shape"], "400mbit/2ms");
    assert_eq!(json["routes"][0]["bytes_down"], 0);
    let back: LinkSnapshot = serde_json::from_value(json).unwrap();
    assert_eq!(back, snap);
}
