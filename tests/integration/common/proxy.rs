//! A fault-injecting TCP proxy in front of a registry: one that answers 500 to
//! everything, and one that kills the registry in the middle of a blob upload.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A fault-injecting TCP proxy on a free loopback port, in front of a registry.
pub struct FaultProxy {
    pub host: String,
    /// Set once the fault was injected.
    pub tripped: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Answers `HTTP/1.1 500` to every request.
    pub fn always_500() -> FaultProxy {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let host = l.local_addr().unwrap().to_string();
        let tripped = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (t, st) = (tripped.clone(), stop.clone());
        l.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                match l.accept() {
                    Ok((mut s, _)) => {
                        t.store(true, Ordering::SeqCst);
                        std::thread::spawn(move || {
                            let _ = s.set_nonblocking(false);
                            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                            let mut buf = [0u8; 65536];
                            let _ = s.read(&mut buf);
                            let body = "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"injected fault\"}]}";
                            let _ = write!(
                                s,
                                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                                body.len()
                            );
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        FaultProxy {
            host,
            tripped,
            stop,
        }
    }

    /// Forwards to `upstream`; once more than `after` bytes went towards it (only
    /// a blob upload is that big), calls `fault` (kills the registry) and drops
    /// every connection, then refuses all later ones.
    pub fn kill_mid_upload(
        upstream: &str,
        after: u64,
        fault: impl Fn() + Send + Sync + 'static,
    ) -> FaultProxy {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let host = l.local_addr().unwrap().to_string();
        let tripped = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let fault = Arc::new(fault);
        let upstream = upstream.to_string();
        let (t, st) = (tripped.clone(), stop.clone());
        l.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                let Ok((client, _)) = l.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let _ = client.set_nonblocking(false);
                if t.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                // Upstream → client.
                std::thread::spawn(move || pipe(s2, c2, None));
                // Client → upstream, counted.
                let (t, sent, fault) = (t.clone(), sent.clone(), fault.clone());
                std::thread::spawn(move || {
                    pipe(
                        client,
                        server,
                        Some(Box::new(move |n| {
                            let total = sent.fetch_add(n, Ordering::SeqCst) + n;
                            if total > after && !t.swap(true, Ordering::SeqCst) {
                                fault();
                            }
                            t.load(Ordering::SeqCst)
                        })),
                    )
                });
            }
        });
        FaultProxy {
            host,
            tripped,
            stop,
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Copies `from` to `to`; `count` is told each chunk's size and returns true to
/// cut the connection.
fn pipe(mut from: TcpStream, mut to: TcpStream, count: Option<Box<dyn Fn(u64) -> bool + Send>>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(c) = &count {
            if c(n as u64) {
                break;
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(std::net::Shutdown::Both);
    let _ = to.shutdown(std::net::Shutdown::Both);
}
