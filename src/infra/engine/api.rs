//! The engine's HTTP API on cachebench's own dockerd socket, for the calls that
//! empty local state between runs (list and remove containers and images, prune
//! the build cache and volumes). A `docker` CLI process costs 15–50 ms to start on
//! this machine kind before it does anything; emptying takes six such calls per
//! run, so talking to the socket directly saves about a tenth of a second on
//! every cold and warm-remote run. Each call is journaled as the CLI's are.

use super::Engine;
use crate::infra::http;
use anyhow::{bail, Context};
use std::path::Path;
use std::time::{Duration, Instant};

impl Engine {
    /// `method path` on cachebench's own engine's API socket; the JSON body (or
    /// `null` for an empty one). A status of 300 or more is an error carrying the
    /// engine's message.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        timeout: Duration,
    ) -> anyhow::Result<serde_json::Value> {
        let Some(o) = &self.owned else {
            bail!("the engine API is used on cachebench's own engine only ({method} {path})");
        };
        let t0 = Instant::now();
        let r = call(&o.socket, method, path, timeout).await;
        let outcome = match &r {
            Ok(_) => "ok".to_string(),
            Err(e) => format!("failed: {}", format!("{e:#}").lines().next().unwrap_or("")),
        };
        self.note_journal(format!(
            "$ {method} {path} on the engine API ({outcome}, {:.3}s)",
            t0.elapsed().as_secs_f64()
        ));
        r
    }

    /// The `Id`s of a listing (`/containers/json?all=1`, `/images/json?all=1`).
    pub async fn api_ids(&self, path: &str, timeout: Duration) -> anyhow::Result<Vec<String>> {
        Ok(ids_of(&self.api("GET", path, timeout).await?))
    }
}

/// One exchange with the API at `socket` (see [`Engine::api`]).
async fn call(
    socket: &Path,
    method: &str,
    path: &str,
    timeout: Duration,
) -> anyhow::Result<serde_json::Value> {
    let resp = http::unix(method, socket, path, timeout)
        .await
        .with_context(|| format!("{method} {path} on {}", socket.display()))?;
    if resp.status >= 300 {
        let body = String::from_utf8_lossy(&resp.body);
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| body.trim().to_string());
        bail!(
            "{method} {path} on the engine: HTTP {}: {message}",
            resp.status
        );
    }
    if resp.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_slice(&resp.body)
        .with_context(|| format!("{method} {path} on the engine: the answer is not JSON"))
}

/// The sorted, distinct `Id`s of a listing's objects; nothing for anything else.
fn ids_of(v: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["Id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A one-shot API at a Unix socket: answers the first request with `answer`
    /// and hands back the request line it got.
    fn serve_once(answer: &'static [u8]) -> (tempfile::TempDir, std::thread::JoinHandle<String>) {
        let dir = tempfile::tempdir().unwrap();
        let l = std::os::unix::net::UnixListener::bind(dir.path().join("api.sock")).unwrap();
        let h = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut buf = [0u8; 2048];
            let n = s.read(&mut buf).unwrap();
            s.write_all(answer).unwrap();
            String::from_utf8_lossy(&buf[..n])
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        });
        (dir, h)
    }

    fn run<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn a_listing_gives_its_ids_sorted_and_distinct() {
        let (dir, h) = serve_once(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n[{\"Id\":\"sha256:b\"},{\"Id\":\"sha256:a\"},{\"Id\":\"sha256:b\"},{\"x\":1}]",
        );
        let v = run(call(
            &dir.path().join("api.sock"),
            "GET",
            "/images/json?all=1",
            Duration::from_secs(5),
        ))
        .unwrap();
        assert_eq!(ids_of(&v), ["sha256:a", "sha256:b"]);
        assert_eq!(h.join().unwrap(), "GET /images/json?all=1 HTTP/1.1");
        assert!(ids_of(&serde_json::json!({"Id": "x"})).is_empty());
    }

    #[test]
    fn an_empty_answer_is_null_and_an_error_carries_the_engines_message() {
        let (dir, h) = serve_once(b"HTTP/1.1 204 No Content\r\n\r\n");
        let sock = dir.path().join("api.sock");
        let v = run(call(
            &sock,
            "DELETE",
            "/containers/c1?force=1",
            Duration::from_secs(5),
        ))
        .unwrap();
        assert!(v.is_null());
        h.join().unwrap();

        let (dir, h) = serve_once(
            b"HTTP/1.1 409 Conflict\r\n\r\n{\"message\":\"conflict: unable to delete abc (must be forced)\"}",
        );
        let sock = dir.path().join("api.sock");
        let e = run(call(&sock, "DELETE", "/images/abc", Duration::from_secs(5))).unwrap_err();
        let e = format!("{e:#}");
        assert!(
            e.contains(
                "DELETE /images/abc on the engine: HTTP 409: conflict: unable to delete abc"
            ),
            "{e}"
        );
        h.join().unwrap();
    }
}
