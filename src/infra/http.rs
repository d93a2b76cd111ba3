//! A minimal HTTP/1.1 client over TCP and Unix sockets, for loopback only: the
//! registry's `/v2/` API and the engine's `/_ping`. Plain HTTP, one request per
//! connection (`Connection: close`), bodies read to the end; nothing here speaks TLS
//! or carries credentials.
//!
//! It is async (tokio::net) and every exchange, connect included, runs under one
//! deadline, so a silent socket never blocks the runtime the signal handler runs
//! on. Why not a crate: hyper 1 with hyper-util would bring about ten crates
//! (hyper, http, http-body, http-body-util, httparse, tower-service, …) and a
//! connector of our own for the Unix socket, for three requests on loopback; ureq
//! (2.x) has no Unix sockets and, run in `spawn_blocking`, would leave a thread
//! stuck on a silent socket after its deadline (a blocking read cannot be
//! cancelled). The protocol surface used here is tiny (status line, headers,
//! identity or chunked body until close) and is covered by the tests below.

use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A response: status code, lower-cased headers, body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn request_bytes(method: &str, host: &str, path: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nUser-Agent: cachebench\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.into_bytes()
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    req: &[u8],
) -> std::io::Result<Response> {
    s.write_all(req).await?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await?;
    parse(&buf)
}

/// Runs `fut` under `timeout`: a timed-out exchange is an I/O error naming what.
async fn within<T>(
    timeout: Duration,
    what: &str,
    fut: impl std::future::Future<Output = std::io::Result<T>>,
) -> std::io::Result<T> {
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("{what}: no answer within {}ms", timeout.as_millis()),
        )),
    }
}

/// `GET`/`HEAD`/`DELETE` against `host:port` over TCP; `timeout` bounds the whole
/// exchange (connect, request, response).
pub async fn tcp(
    method: &str,
    host_port: &str,
    path: &str,
    headers: &[(&str, &str)],
    timeout: Duration,
) -> std::io::Result<Response> {
    let req = request_bytes(method, host_port, path, headers);
    within(timeout, &format!("{method} {host_port}{path}"), async {
        let s = tokio::net::TcpStream::connect(host_port).await?;
        exchange(s, &req).await
    })
    .await
}

/// A request carrying `body` (with its `Content-Length`) against `host:port` over
/// TCP, bounded by `timeout` (the actions/cache client's uploads and Twirp calls).
pub async fn tcp_with_body(
    method: &str,
    host_port: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<Response> {
    let len = body.len().to_string();
    let mut all = headers.to_vec();
    all.push(("Content-Length", &len));
    let mut req = request_bytes(method, host_port, path, &all);
    req.extend_from_slice(body);
    within(timeout, &format!("{method} {host_port}{path}"), async {
        let s = tokio::net::TcpStream::connect(host_port).await?;
        exchange(s, &req).await
    })
    .await
}

/// A request over a Unix socket (the engine's API socket), bounded by `timeout`.
pub async fn unix(
    method: &str,
    socket: &std::path::Path,
    path: &str,
    timeout: Duration,
) -> std::io::Result<Response> {
    let req = request_bytes(method, "docker", path, &[]);
    within(
        timeout,
        &format!("{method} {path} on {}", socket.display()),
        async {
            let s = tokio::net::UnixStream::connect(socket).await?;
            exchange(s, &req).await
        },
    )
    .await
}

fn parse(buf: &[u8]) -> std::io::Result<Response> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| bad("headers not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or_else(|| bad("no status line"))?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let raw = &buf[end + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked { dechunk(raw)? } else { raw.to_vec() };
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut raw: &[u8]) -> std::io::Result<Vec<u8>> {
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "bad chunked body");
    let mut out = Vec::new();
    loop {
        let nl = raw.windows(2).position(|w| w == b"\r\n").ok_or_else(bad)?;
        let size_str = std::str::from_utf8(&raw[..nl]).map_err(|_| bad())?;
        let size = usize::from_str_radix(size_str.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| bad())?;
        raw = &raw[nl + 2..];
        if size == 0 {
            return Ok(out);
        }
        if raw.len() < size {
            return Err(bad());
        }
        out.extend_from_slice(&raw[..size]);
        raw = raw.get(size + 2..).ok_or_else(bad)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked() {
        let r = parse(b"HTTP/1.1 200 OK\r\nContent-Type: x\r\n\r\nhello").unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("x"));
        assert_eq!(r.body, b"hello");
        let r = parse(b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").unwrap();
        assert_eq!(r.status, 404);
        assert_eq!(r.body, b"abcde");
    }

    #[tokio::test]
    async fn talks_to_a_real_listener() {
        use std::io::{Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let h = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut buf = [0u8; 1024];
            let n = s.read(&mut buf).unwrap();
            assert!(std::str::from_utf8(&buf[..n])
                .unwrap()
                .starts_with("GET /v2/ HTTP/1.1"));
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
                .unwrap();
        });
        let r = tcp("GET", &addr, "/v2/", &[], Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"{}");
        h.join().unwrap();
    }

    /// A peer that accepts and never answers: the exchange ends at its deadline,
    /// and the runtime keeps running other tasks meanwhile.
    #[tokio::test]
    async fn a_silent_peer_times_out_without_blocking_the_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("silent.sock");
        let l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let h = std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            std::thread::sleep(Duration::from_secs(3));
            drop(s);
        });
        {
            let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
            let t = ticks.clone();
            let ticker = tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    t.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
            let t0 = std::time::Instant::now();
            let e = unix("GET", &sock, "/_ping", Duration::from_millis(600))
                .await
                .unwrap_err();
            let took = t0.elapsed();
            ticker.abort();
            assert_eq!(e.kind(), std::io::ErrorKind::TimedOut, "{e}");
            assert!(e.to_string().contains("/_ping"), "{e}");
            assert!(took < Duration::from_secs(2), "{took:?}");
            // A blocking read would have starved the ticker for the whole wait.
            let n = ticks.load(std::sync::atomic::Ordering::Relaxed);
            assert!(n >= 5, "the runtime was blocked: {n} ticks in {took:?}");
        }
        h.join().unwrap();
    }
}
