//! The v2 cache API: Twirp service `github.actions.results.api.v1.CacheService`
//! at `twirp/…/METHOD`, as go-actions-cache's cache_v2.go speaks it (BuildKit
//! v0.20 and later): always `POST` with `Content-Type: application/json` (Twirp's
//! JSON encoding; the client never sends protobuf, so this stand-in answers
//! protobuf with `bad_route`), `Authorization: Bearer TOKEN`.
//!
//! - `CreateCacheEntry {key, version}` → `{ok, signed_upload_url}`; the bytes then
//!   go to that URL as Azure block-blob PUTs ([`super::blob`]).
//! - `FinalizeCacheEntryUpload {key, size_bytes, version}` → `{ok, entry_id}`;
//!   `entry_id` is a proto int64, which protojson writes as a *string*, and Go
//!   unmarshals it into a string field: a number would fail there.
//! - `GetCacheEntryDownloadURL {key, restore_keys, version}` → `{ok,
//!   signed_download_url, matched_key}`; a miss is `ok: false` with status 200.
//!
//! Requests are read in the field names go-actions-cache sends (proto names,
//! `size_bytes`) or protojson's (`sizeBytes`), int64 as number or string; unknown
//! fields (`metadata`, …) are ignored. Responses use the proto names, which Go
//! reads. Errors are Twirp's `{"code","msg"}`: `already_exists` (409) is what the
//! client maps to `os.ErrExist`; `resource_exhausted` is 429 with `Retry-After`.

use super::counters::{EventKind, Protocol};
use super::signing::Access;
use super::state::{json, small_body, Shared};
use super::store::StoreError;
use super::token::{self, Claims};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Deserializer};
use serde_json::json as j;
use std::sync::Arc;

/// A Twirp error (`{"code","msg"}`): its code fixes the HTTP status.
#[derive(Debug)]
pub struct TwirpError {
    code: &'static str,
    msg: String,
    retry_after: Option<u64>,
}

fn twirp(code: &'static str, msg: impl std::fmt::Display) -> TwirpError {
    TwirpError {
        code,
        msg: msg.to_string(),
        retry_after: None,
    }
}

impl IntoResponse for TwirpError {
    fn into_response(self) -> Response {
        let status = match self.code {
            "invalid_argument" | "malformed" | "failed_precondition" | "out_of_range" => {
                StatusCode::BAD_REQUEST
            }
            "unauthenticated" => StatusCode::UNAUTHORIZED,
            "permission_denied" => StatusCode::FORBIDDEN,
            "not_found" | "bad_route" => StatusCode::NOT_FOUND,
            "already_exists" | "aborted" => StatusCode::CONFLICT,
            "resource_exhausted" => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut r = json(status, &j!({ "code": self.code, "msg": self.msg }));
        if let Some(wait) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        r
    }
}

impl From<StoreError> for TwirpError {
    fn from(e: StoreError) -> TwirpError {
        let code = match &e {
            StoreError::Exists { .. } | StoreError::Committed(_) => "already_exists",
            StoreError::NotFound(_) => "not_found",
            StoreError::NotUploaded(_) => "failed_precondition",
            StoreError::SizeMismatch { .. } => "invalid_argument",
            StoreError::Io { .. } => "internal",
        };
        twirp(code, e)
    }
}

type Answer = Result<Response, TwirpError>;

fn int64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Num(u64),
        Str(String),
    }
    match N::deserialize(d)? {
        N::Num(n) => Ok(n),
        N::Str(s) => s.parse().map_err(serde::de::Error::custom),
    }
}

#[derive(Debug, Deserialize)]
struct CreateReq {
    key: String,
    version: String,
}

#[derive(Debug, Deserialize)]
struct FinalizeReq {
    key: String,
    #[serde(alias = "sizeBytes", deserialize_with = "int64")]
    size_bytes: u64,
    version: String,
}

#[derive(Debug, Deserialize)]
struct DownloadReq {
    key: String,
    #[serde(default, alias = "restoreKeys")]
    restore_keys: Vec<String>,
    version: String,
}

fn claims(headers: &HeaderMap) -> Result<Claims, TwirpError> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    token::from_authorization(auth).map_err(|e| twirp("unauthenticated", e))
}

fn writable(c: &Claims) -> Result<String, TwirpError> {
    c.writable().map(str::to_string).ok_or_else(|| {
        twirp(
            "permission_denied",
            "the runtime token has no scope with write permission",
        )
    })
}

async fn parse<T: serde::de::DeserializeOwned>(body: Body, method: &str) -> Result<T, TwirpError> {
    let bytes = small_body(body, 1024 * 1024)
        .await
        .map_err(|m| twirp("malformed", m))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| twirp("malformed", format!("bad {method} request: {e}")))
}

pub async fn call(
    State(s): State<Arc<Shared>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err(twirp(
            "bad_route",
            format!("unsupported content-type {ct:?}: this stand-in speaks twirp json only"),
        ));
    }
    let c = claims(&headers)?;
    match method.as_str() {
        "CreateCacheEntry" => create(&s, &c, body).await,
        "FinalizeCacheEntryUpload" => finalize(&s, &c, body).await,
        "GetCacheEntryDownloadURL" => download_url(&s, &c, body).await,
        other => Err(twirp(
            "bad_route",
            format!("no method {other} in this stand-in's CacheService"),
        )),
    }
}

async fn create(s: &Shared, c: &Claims, body: Body) -> Answer {
    let scope = writable(c)?;
    let req: CreateReq = parse(body, "CreateCacheEntry").await?;
    if let Err(wait) = s.limiter.admit() {
        s.counters
            .event(EventKind::RateLimited, Protocol::V2, &req.key, 0);
        return Err(TwirpError {
            retry_after: Some(wait),
            ..twirp(
                "resource_exhausted",
                format!("cache entry upload rate limit exceeded; retry after {wait}s"),
            )
        });
    }
    let e = s
        .store
        .reserve(&scope, &req.key, &req.version, Protocol::V2)
        .inspect_err(|_| {
            s.counters
                .event(EventKind::Conflict, Protocol::V2, &req.key, 0)
        })?;
    s.counters
        .event(EventKind::Reserved, Protocol::V2, &e.key, 0);
    let url = format!(
        "{}blobs/{}?sp=cw&sig={}",
        s.base_url(),
        e.id,
        s.signer.sign(e.id, Access::Write)
    );
    Ok(json(
        StatusCode::OK,
        &j!({ "ok": true, "signed_upload_url": url }),
    ))
}

async fn finalize(s: &Shared, c: &Claims, body: Body) -> Answer {
    let scope = writable(c)?;
    let req: FinalizeReq = parse(body, "FinalizeCacheEntryUpload").await?;
    let e = s
        .store
        .reserved(&scope, &req.key, &req.version)
        .ok_or_else(|| {
            twirp(
                "not_found",
                format!(
                    "no reserved cache entry for key {} version {} in scope {scope}",
                    req.key, req.version
                ),
            )
        })?;
    let e = s.store.commit(e.id, req.size_bytes).await?;
    s.counters
        .event(EventKind::Committed, Protocol::V2, &e.key, req.size_bytes);
    Ok(json(
        StatusCode::OK,
        &j!({ "ok": true, "entry_id": e.id.to_string() }),
    ))
}

async fn download_url(s: &Shared, c: &Claims, body: Body) -> Answer {
    let req: DownloadReq = parse(body, "GetCacheEntryDownloadURL").await?;
    let mut keys = vec![req.key.clone()];
    keys.extend(req.restore_keys.into_iter().filter(|k| *k != req.key));
    match s.store.lookup(&c.readable(), &keys, &req.version) {
        Some(e) => {
            s.counters.event(EventKind::Hit, Protocol::V2, &req.key, 0);
            let url = format!(
                "{}blobs/{}?sp=r&sig={}",
                s.base_url(),
                e.id,
                s.signer.sign(e.id, Access::Read)
            );
            Ok(json(
                StatusCode::OK,
                &j!({ "ok": true, "signed_download_url": url, "matched_key": e.key }),
            ))
        }
        None => {
            s.counters.event(EventKind::Miss, Protocol::V2, &req.key, 0);
            Ok(json(
                StatusCode::OK,
                &j!({ "ok": false, "signed_download_url": "", "matched_key": "" }),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_json_spellings_of_int64() {
        let a: FinalizeReq =
            serde_json::from_str(r#"{"key":"k","size_bytes":5,"version":"v"}"#).unwrap();
        let b: FinalizeReq = serde_json::from_str(
            r#"{"key":"k","sizeBytes":"5","version":"v","metadata":{"repository_id":"1"}}"#,
        )
        .unwrap();
        assert_eq!((a.size_bytes, b.size_bytes), (5, 5));
        let d: DownloadReq =
            serde_json::from_str(r#"{"key":"k","restoreKeys":["k","p"],"version":"v"}"#).unwrap();
        assert_eq!(d.restore_keys, ["k", "p"]);
    }
}
