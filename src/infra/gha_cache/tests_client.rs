//! (tests) The client side of the protocol tests: one HTTP/1.1 request per
//! connection over loopback through hyper's connection API (the crate's own
//! `infra::http` client sends no request bodies), plus the helpers both
//! protocols' tests share.

use super::server::{Config, GhaCacheServer};
use axum::http::{header, HeaderMap, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use std::time::Duration;

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not json ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// `method url` with `headers` and `body`, within 10 s.
pub async fn send(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
    let uri: Uri = url.parse().expect("url");
    let authority = uri.authority().expect("authority").to_string();
    let path = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    let fut = async {
        let tcp = tokio::net::TcpStream::connect(&authority)
            .await
            .expect("connect");
        let io = hyper_util::rt::TokioIo::new(tcp);
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .expect("handshake");
        tokio::spawn(conn);
        let mut req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(path)
            .header(header::HOST, &authority);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(Full::new(Bytes::copy_from_slice(body)))
            .expect("request");
        let res = sender.send_request(req).await.expect("send");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        Resp {
            status,
            headers,
            body,
        }
    };
    tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .unwrap_or_else(|_| panic!("{method} {url}: no answer within 10 s"))
}

/// A stand-in on a fresh folder, with an optional per-minute entry limit.
pub async fn start(limit: Option<u32>) -> (GhaCacheServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    config.entry_limit_per_minute = limit;
    (GhaCacheServer::start(config).await.unwrap(), dir)
}

/// Query-string escaping for base64 block ids and keys.
pub fn escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `n` bytes that differ at every offset a chunk boundary could hide.
pub fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}
