//! The engine's HTTP API on cachebench's own dockerd socket, for the calls that
//! empty local state between runs (list and remove containers and images, prune
//! the build cache and volumes). A `docker` CLI process costs 15–50 ms to start on
//! this machine kind before it does anything; emptying takes six such calls per
//! run, so talking to the socket directly saves about a tenth of a second on
//! every cold and warm-remote run. Each call is journaled as the CLI's are.

use super::Engine;
use crate::http;
use anyhow::{bail, Context};
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
        let r = http::unix(method, &o.socket, path, timeout).await;
        let outcome = match &r {
            Ok(resp) if resp.status < 300 => "ok".to_string(),
            Ok(resp) => format!("failed: HTTP {}", resp.status),
            Err(e) => format!("failed: {e}"),
        };
        self.note_journal(format!(
            "$ {method} {path} on the engine API ({outcome}, {:.3}s)",
            t0.elapsed().as_secs_f64()
        ));
        let resp = r.with_context(|| format!("{method} {path} on {}", o.socket.display()))?;
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

    /// The `Id`s of a listing (`/containers/json?all=1`, `/images/json?all=1`).
    pub async fn api_ids(&self, path: &str, timeout: Duration) -> anyhow::Result<Vec<String>> {
        let v = self.api("GET", path, timeout).await?;
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
        Ok(ids)
    }
}
