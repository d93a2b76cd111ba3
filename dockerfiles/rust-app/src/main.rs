//! A small HTTP service as teams write it: serde for its JSON, anyhow for errors, the
//! standard library's TcpListener for the rest. This is the file a `source` change
//! rewrites (scenarios/rust-app.toml).

mod store;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use store::{NewTodo, Store};

#[derive(Serialize)]
struct Info {
    service: &'static str,
    version: &'static str,
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

fn read_request(stream: &mut TcpStream) -> Result<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).context("reading the request line")?;
    let mut parts = line.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        bail!("malformed request line {line:?}");
    };
    let (method, path) = (method.to_string(), path.to_string());
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().context("content-length")?;
            }
        }
    }
    if length > 64 * 1024 {
        bail!("body of {length} bytes is too large");
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Request { method, path, body })
}

fn respond(stream: &mut TcpStream, status: u16, body: &impl Serialize) -> Result<()> {
    let json = serde_json::to_vec(body)?;
    let reason = match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Internal Server Error",
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        json.len()
    )?;
    stream.write_all(&json)?;
    Ok(())
}

fn handle(stream: &mut TcpStream, store: &Mutex<Store>) -> Result<()> {
    let req = read_request(stream)?;
    let error = |msg: String| serde_json::json!({ "error": msg });
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/healthz") => respond(stream, 200, &serde_json::json!({ "status": "ok" })),
        ("GET", "/") => respond(stream, 200, &Info { service: "rust-app", version: "1.0.0" }),
        ("GET", "/todos") => respond(stream, 200, &store.lock().unwrap().list()),
        ("POST", "/todos") => match serde_json::from_slice::<NewTodo>(&req.body) {
            Ok(new) => match store.lock().unwrap().add(new) {
                Ok(todo) => respond(stream, 201, &todo),
                Err(e) => respond(stream, 400, &error(e.to_string())),
            },
            Err(e) => respond(stream, 400, &error(e.to_string())),
        },
        _ => respond(stream, 404, &error("not found".into())),
    }
}

fn main() -> Result<()> {
    let addr = std::env::var("LISTEN").unwrap_or_else(|_| "0.0.0.0:3000".into());
    let listener = TcpListener::bind(&addr).with_context(|| format!("binding {addr}"))?;
    let store = Arc::new(Mutex::new(Store::default()));
    eprintln!("rust-app listening on {addr}");
    for stream in listener.incoming() {
        let mut stream = stream?;
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            if let Err(e) = handle(&mut stream, &store) {
                eprintln!("request failed: {e:#}");
            }
        });
    }
    Ok(())
}
