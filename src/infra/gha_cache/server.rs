//! Starting and stopping the stand-in: one axum server on `127.0.0.1` (port 0
//! picks a free one) serving both protocols and the blob URLs they hand out, its
//! base URL (the `url=` and `url_v2=` attribute of `type=gha`), its counters.
//!
//! Routes: `/_apis/artifactcache/…` (v1, [`super::v1`]),
//! `/twirp/github.actions.results.api.v1.CacheService/…` (v2, [`super::v2`]),
//! `/blobs/ID` (downloads for both, [`super::blob`]; Azure-style uploads for v2,
//! [`super::blob_upload`]); the handlers share [`super::state`]. Every request is
//! counted before routing.

use super::counters::{Counters, Limiter, Snapshot};
use super::signing::Signer;
use super::state::Shared;
use super::store::Store;
use super::{blob, blob_upload, v1, v2};
use anyhow::Context;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::Router;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How to start the stand-in.
#[derive(Debug, Clone)]
pub struct Config {
    /// Entries and blobs live here (created if missing; reused if it holds entries).
    pub dir: PathBuf,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Answer 429 (with `Retry-After`) to reservations past this many in a sliding
    /// minute; `None` (the default) never does. GitHub's is
    /// [`super::counters::GITHUB_ENTRY_UPLOADS_PER_MINUTE`].
    pub entry_limit_per_minute: Option<u32>,
}

impl Config {
    pub fn new(dir: impl Into<PathBuf>) -> Config {
        Config {
            dir: dir.into(),
            port: 0,
            entry_limit_per_minute: None,
        }
    }
}

/// Which protocol a `type=gha` attribute string selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    /// `url=…`: every BuildKit with the gha backend (v0.13.2 knows only this).
    V1,
    /// `url_v2=…,version=2` (and `url=`, see [`GhaCacheServer::cache_attrs`]):
    /// BuildKit v0.20 and later.
    V2,
}

/// A running stand-in. Dropping it stops the server too (without waiting).
#[derive(Debug)]
pub struct GhaCacheServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl GhaCacheServer {
    /// Opens the store in `config.dir` and listens on 127.0.0.1.
    pub async fn start(config: Config) -> anyhow::Result<GhaCacheServer> {
        let store = Store::open(&config.dir).await.with_context(|| {
            format!(
                "failed to open the gha cache store in {}",
                config.dir.display()
            )
        })?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
            .await
            .with_context(|| format!("failed to listen on 127.0.0.1:{}", config.port))?;
        let addr = listener
            .local_addr()
            .context("failed to read the listening address")?;
        let shared = Arc::new(Shared {
            store,
            signer: Signer::default(),
            counters: Counters::default(),
            limiter: Limiter::new(config.entry_limit_per_minute),
            base_url: std::sync::Mutex::new(format!("http://{addr}/")),
        });
        let app = router(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        Ok(GhaCacheServer {
            addr,
            shared,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/` (or the address given to [`Self::advertise`]).
    /// The trailing slash matters: go-actions-cache as vendored in BuildKit
    /// v0.13.2 appends `_apis/artifactcache/…` to it as is.
    pub fn base_url(&self) -> String {
        self.shared.base_url()
    }

    /// Clients reach the server at `addr` (a proxy in front of it, such as the
    /// shaped link): the attributes and every URL handed out from now on name it,
    /// so blob transfers take the same path as the API calls.
    pub fn advertise(&self, addr: SocketAddr) {
        *self
            .shared
            .base_url
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = format!("http://{addr}/");
    }

    /// The `url=` attribute (v1).
    pub fn url_v1(&self) -> String {
        self.base_url()
    }

    /// The `url_v2=` attribute (v2); the client appends `twirp/…`.
    pub fn url_v2(&self) -> String {
        self.base_url()
    }

    /// `type=gha,…` naming this server, `token` and `scope`, for `--cache-from`; add
    /// `,mode=max` for `--cache-to`. The token and URL hold no comma or quote.
    ///
    /// v2 also carries `url=`: buildx before v0.20 (v0.13.1 here,
    /// `util/buildflags/cache.go`, `addGithubToken`) silently drops a `gha` entry
    /// without `url`, whatever `url_v2` says; BuildKit then takes `url_v2` because
    /// of `version=2` (gha.go, `getConfig`). BuildKit v0.13.2 ignores `version`
    /// and `url_v2` and speaks v1.
    pub fn cache_attrs(&self, version: ApiVersion, token: &str, scope: &str) -> String {
        match version {
            ApiVersion::V1 => format!(
                "type=gha,url={},version=1,token={token},scope={scope}",
                self.url_v1()
            ),
            ApiVersion::V2 => format!(
                "type=gha,url={},url_v2={},version=2,token={token},scope={scope}",
                self.url_v1(),
                self.url_v2()
            ),
        }
    }

    /// The counts since start or the last [`Self::reset_counters`].
    pub fn counters(&self) -> Snapshot {
        self.shared.counters.snapshot()
    }

    /// The counts so far, and a fresh start (call between runs).
    pub fn reset_counters(&self) -> Snapshot {
        self.shared.counters.reset()
    }

    /// Stops accepting, lets requests under way finish (at most 5 s), and returns.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let Some(mut task) = self.task.take() else {
            return Ok(());
        };
        match tokio::time::timeout(Duration::from_secs(5), &mut task).await {
            Ok(joined) => joined
                .context("gha cache server task failed")?
                .context("gha cache server failed"),
            Err(_) => {
                task.abort();
                Ok(())
            }
        }
    }
}

impl Drop for GhaCacheServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_apis/artifactcache/cache", get(v1::lookup))
        .route("/_apis/artifactcache/caches", post(v1::reserve))
        .route(
            "/_apis/artifactcache/caches/{id}",
            patch(v1::upload).post(v1::commit),
        )
        .route(
            "/twirp/github.actions.results.api.v1.CacheService/{method}",
            post(v2::call),
        )
        .route(
            "/blobs/{id}",
            get(blob::get).head(blob::head).put(blob_upload::put),
        )
        .fallback(not_found)
        // Upload bodies are streamed to disk; small ones are read with their own cap.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(shared.clone(), count))
        .with_state(shared)
}

async fn count(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    s.counters.request();
    next.run(req).await
}

async fn not_found(req: Request) -> Response {
    (
        StatusCode::NOT_FOUND,
        format!(
            "gha cache stand-in: no route for {} {}",
            req.method(),
            req.uri().path()
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn attrs_name_the_server_and_v2_keeps_url_for_old_buildx() {
        let dir = tempfile::tempdir().unwrap();
        let s = GhaCacheServer::start(Config::new(dir.path()))
            .await
            .unwrap();
        let base = s.base_url().to_string();
        assert!(base.starts_with("http://127.0.0.1:") && base.ends_with('/'));
        assert_eq!(
            s.cache_attrs(ApiVersion::V1, "T", "x"),
            format!("type=gha,url={base},version=1,token=T,scope=x")
        );
        assert_eq!(
            s.cache_attrs(ApiVersion::V2, "T", "x"),
            format!("type=gha,url={base},url_v2={base},version=2,token=T,scope=x")
        );
        s.stop().await.unwrap();
    }
}
