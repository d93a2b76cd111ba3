//! What the request handlers share, apart from the server that routes to them:
//! the store, the URL signer, the counters, the limiter and the base URL
//! ([`Shared`]), and the small body and answer helpers every protocol uses.

use super::counters::{Counters, Limiter};
use super::signing::Signer;
use super::store::Store;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// What the handlers share.
#[derive(Debug)]
pub struct Shared {
    pub store: Store,
    pub signer: Signer,
    pub counters: Counters,
    pub limiter: Limiter,
    /// `http://HOST:PORT/`, the prefix of every URL handed out: the server's own
    /// address, or the one clients reach it at ([`Shared::base_url`]).
    pub base_url: std::sync::Mutex<String>,
}

impl Shared {
    /// The prefix of every URL handed out now.
    pub fn base_url(&self) -> String {
        self.base_url
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// A JSON response.
pub fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// A small request body (JSON, a block list), at most `limit` bytes.
pub async fn small_body(body: axum::body::Body, limit: usize) -> Result<axum::body::Bytes, String> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|e| format!("failed to read a request body of at most {limit} bytes: {e}"))
}
