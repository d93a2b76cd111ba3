//! The v1 cache API (`_apis/artifactcache`), as go-actions-cache's cache.go
//! speaks it (BuildKit before v0.20, v0.13.2 included; `Accept:
//! application/json;api-version=6.0-preview.1`, `Authorization: Bearer TOKEN`):
//!
//! - `GET cache?keys=K1,K2&version=V`: 200 with `{"cacheKey", "scope",
//!   "archiveLocation", …}` on a hit; 204 with no body on a miss (the client
//!   returns "no entry" for an empty body).
//! - `POST caches` `{"key","version"}`: 201 `{"cacheId": N}` (Go reads `cacheID`
//!   case-insensitively); 409 with `typeKey: ArtifactCacheItemAlreadyExistsException`
//!   if the key exists, which the client maps to `os.ErrExist` (BuildKit then skips
//!   that blob, or `SaveMutable` tries the next index number).
//! - `PATCH caches/ID` with `Content-Range: bytes S-E/*`: a chunk (32 MiB, four
//!   at once, in any order); 204.
//! - `POST caches/ID` `{"size": N}`: commit; 204.
//!
//! The archive is then fetched from `archiveLocation` with a plain GET and no
//! token, `Range: bytes=N-` for a resumed read, expecting a `Content-Range`
//! starting `bytes N-` ([`super::blob`] serves it). Errors are GitHub's JSON
//! (`message`, `typeKey`); a 429 makes the client back off and retry.

use super::counters::{EventKind, Protocol};
use super::signing::Access;
use super::state::{json, small_body, Shared};
use super::store::{Entry, Store, StoreError};
use super::token::{self, Claims};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json as j;
use std::sync::Arc;

/// A v1 error: GitHub's JSON body (`message`, `typeKey`), and `Retry-After` on 429.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    type_key: &'static str,
    message: String,
    retry_after: Option<u64>,
}

fn err(status: StatusCode, type_key: &'static str, message: impl std::fmt::Display) -> ApiError {
    ApiError {
        status,
        type_key,
        message: message.to_string(),
        retry_after: None,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let key = self.type_key;
        let mut r = json(
            self.status,
            &j!({
                "$id": "1",
                "innerException": null,
                "message": self.message,
                "typeName": format!("GitHub.Services.Cache.{key}, GitHub.Services.Cache"),
                "typeKey": key,
                "errorCode": 0,
                "eventId": 3000,
            }),
        );
        if let Some(wait) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        r
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        let (status, key) = match &e {
            StoreError::Exists { .. } => (
                StatusCode::CONFLICT,
                "ArtifactCacheItemAlreadyExistsException",
            ),
            StoreError::NotFound(_) => (StatusCode::NOT_FOUND, "ArtifactCacheNotFoundException"),
            StoreError::Committed(_) => (
                StatusCode::CONFLICT,
                "ArtifactCacheItemAlreadyCommittedException",
            ),
            StoreError::NotUploaded(_) | StoreError::SizeMismatch { .. } => {
                (StatusCode::BAD_REQUEST, "InvalidCacheSizeException")
            }
            StoreError::Io { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerException"),
        };
        err(status, key, e)
    }
}

type Answer = Result<Response, ApiError>;

fn claims(headers: &HeaderMap) -> Result<Claims, ApiError> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    token::from_authorization(auth)
        .map_err(|e| err(StatusCode::UNAUTHORIZED, "UnauthorizedException", e))
}

/// The scope the request's token writes to.
fn writable(headers: &HeaderMap) -> Result<String, ApiError> {
    claims(headers)?
        .writable()
        .map(str::to_string)
        .ok_or_else(|| {
            err(
                StatusCode::FORBIDDEN,
                "AccessDeniedException",
                "the runtime token has no scope with write permission",
            )
        })
}

async fn json_body<T: serde::de::DeserializeOwned>(body: Body, what: &str) -> Result<T, ApiError> {
    let bad = |m: String| err(StatusCode::BAD_REQUEST, "ArgumentException", m);
    let bytes = small_body(body, 64 * 1024).await.map_err(bad)?;
    serde_json::from_slice(&bytes).map_err(|e| bad(format!("bad {what} body: {e}")))
}

#[derive(Debug, Deserialize)]
pub struct LookupQuery {
    keys: Option<String>,
    version: Option<String>,
}

pub async fn lookup(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<LookupQuery>,
) -> Answer {
    let c = claims(&headers)?;
    let keys: Vec<String> = q
        .keys
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect();
    let (Some(first), Some(version)) = (keys.first().cloned(), q.version) else {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "ArgumentException",
            "cache look-up needs keys and version",
        ));
    };
    let Some(e) = s.store.lookup(&c.readable(), &keys, &version) else {
        s.counters.event(EventKind::Miss, Protocol::V1, &first, 0);
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    s.counters.event(EventKind::Hit, Protocol::V1, &first, 0);
    let location = format!(
        "{}blobs/{}?sig={}",
        s.base_url(),
        e.id,
        s.signer.sign(e.id, Access::Read)
    );
    Ok(json(
        StatusCode::OK,
        &j!({
            "scope": e.scope,
            "cacheKey": e.key,
            "cacheVersion": e.version,
            "creationTime": e.committed_at,
            "archiveLocation": location,
        }),
    ))
}

#[derive(Debug, Deserialize)]
struct ReserveBody {
    key: String,
    version: String,
}

pub async fn reserve(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Answer {
    let scope = writable(&headers)?;
    let req: ReserveBody = json_body(body, "reserve").await?;
    if let Err(wait) = s.limiter.admit() {
        s.counters
            .event(EventKind::RateLimited, Protocol::V1, &req.key, 0);
        return Err(ApiError {
            retry_after: Some(wait),
            ..err(
                StatusCode::TOO_MANY_REQUESTS,
                "RateLimitExceededException",
                format!("cache entry upload rate limit exceeded; retry after {wait}s"),
            )
        });
    }
    let e = s
        .store
        .reserve(&scope, &req.key, &req.version, Protocol::V1)
        .inspect_err(|_| {
            s.counters
                .event(EventKind::Conflict, Protocol::V1, &req.key, 0)
        })?;
    s.counters
        .event(EventKind::Reserved, Protocol::V1, &e.key, 0);
    Ok(json(StatusCode::CREATED, &j!({ "cacheId": e.id })))
}

/// `bytes S-E/*` (or `/TOTAL`) → (S, E).
fn content_range(headers: &HeaderMap) -> Option<(u64, u64)> {
    let v = headers.get(header::CONTENT_RANGE)?.to_str().ok()?;
    let (range, _) = v.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (s, e) = range.split_once('-')?;
    let (s, e) = (s.trim().parse().ok()?, e.trim().parse().ok()?);
    (s <= e).then_some((s, e))
}

/// The uncommitted entry `id`, if the request's token writes its scope.
fn own_entry(s: &Shared, headers: &HeaderMap, id: u64) -> Result<Entry, ApiError> {
    let scope = writable(headers)?;
    let e = s.store.get(id).ok_or(StoreError::NotFound(id))?;
    if e.scope != scope {
        return Err(err(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            format!("cache entry {id} belongs to scope {}, not {scope}", e.scope),
        ));
    }
    if e.committed_at.is_some() {
        return Err(StoreError::Committed(id).into());
    }
    Ok(e)
}

pub async fn upload(
    State(s): State<Arc<Shared>>,
    Path(id): Path<u64>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let e = own_entry(&s, &headers, id)?;
    let Some((start, end)) = content_range(&headers) else {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "ArgumentException",
            "chunk upload needs content-range: bytes START-END/*",
        ));
    };
    let written = Store::write_body(&s.store.data_path(id), Some(start), body).await?;
    s.counters
        .event(EventKind::Upload, Protocol::V1, &e.key, written.bytes);
    if written.bytes != end - start + 1 {
        return Err(err(
            StatusCode::BAD_REQUEST,
            "ArgumentException",
            format!(
                "chunk {start}-{end} of cache entry {id} carried {} bytes",
                written.bytes
            ),
        ));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
struct CommitBody {
    size: u64,
}

pub async fn commit(
    State(s): State<Arc<Shared>>,
    Path(id): Path<u64>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let e = own_entry(&s, &headers, id)?;
    let req: CommitBody = json_body(body, "commit").await?;
    s.store.commit(id, req.size).await?;
    s.counters
        .event(EventKind::Committed, Protocol::V1, &e.key, req.size);
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_content_range() {
        let mut h = HeaderMap::new();
        assert_eq!(content_range(&h), None);
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_static("bytes 0-9/*"),
        );
        assert_eq!(content_range(&h), Some((0, 9)));
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_static("bytes 5-1/*"),
        );
        assert_eq!(content_range(&h), None);
    }
}
