//! `/blobs/ID?sig=…`, the URLs both protocols hand out, read the way the Azure
//! SDK's `DownloadStream` (v2) and go-actions-cache's plain GET (v1
//! `archiveLocation`) read them: `GET` whole (200) or from `x-ms-range` (azblob)
//! or `Range` (v1), `bytes=S-[E]` → 206 with `Content-Range: bytes S-E/TOTAL`
//! (v1 checks it starts `bytes S-`); past the end → 416. `HEAD` is
//! GetProperties. Uploads are [`super::blob_upload`]; headers and errors follow
//! [`super::azure`].

use super::azure::{error, etag, fail, http_date, ms_headers, with, AzureError};
use super::counters::EventKind;
use super::signing::Access;
use super::state::Shared;
use super::store::Entry;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

#[derive(Debug, Deserialize)]
pub struct BlobQuery {
    pub sig: Option<String>,
    pub comp: Option<String>,
    pub blockid: Option<String>,
}

/// The entry behind a signed URL, if `sig` grants `access`.
pub fn signed_entry(
    s: &Shared,
    id: u64,
    sig: Option<&str>,
    access: Access,
) -> Result<Entry, AzureError> {
    let e = s.store.get(id);
    match e {
        Some(e) if s.signer.verify(id, access, sig) => Ok(e),
        Some(_) => Err(fail(
            StatusCode::FORBIDDEN,
            "AuthenticationFailed",
            format!("signature does not grant {access:?} on blob {id}"),
        )),
        None => Err(fail(
            StatusCode::NOT_FOUND,
            "BlobNotFound",
            format!("no blob {id}"),
        )),
    }
}

/// `bytes=S-` or `bytes=S-E` → (S, E inclusive), E capped at the end.
fn range(spec: &str, total: u64) -> Option<Result<(u64, u64), ()>> {
    let r = spec.trim().strip_prefix("bytes=")?;
    let (s, e) = r.split_once('-')?;
    let start: u64 = s.trim().parse().ok()?;
    let end = match e.trim() {
        "" => total.saturating_sub(1),
        e => e.parse::<u64>().ok()?.min(total.saturating_sub(1)),
    };
    Some(if start >= total || end < start {
        Err(())
    } else {
        Ok((start, end))
    })
}

/// The headers of a committed blob's GET and HEAD.
fn blob_headers(req: &HeaderMap, e: &Entry) -> HeaderMap {
    let mut h = ms_headers(req);
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::ETAG, etag(e));
    h.insert(
        header::LAST_MODIFIED,
        http_date(e.committed_at.unwrap_or(e.created_at)),
    );
    h.insert("x-ms-creation-time", http_date(e.created_at));
    h.insert("x-ms-blob-type", HeaderValue::from_static("BlockBlob"));
    h.insert("x-ms-server-encrypted", HeaderValue::from_static("false"));
    h
}

fn committed(s: &Shared, id: u64, sig: Option<&str>) -> Result<(Entry, u64), AzureError> {
    let e = signed_entry(s, id, sig, Access::Read)?;
    match (e.committed_at, e.size) {
        (Some(_), Some(size)) => Ok((e, size)),
        _ => Err(fail(
            StatusCode::NOT_FOUND,
            "BlobNotFound",
            format!("blob {id} is not committed"),
        )),
    }
}

pub async fn head(
    State(s): State<Arc<Shared>>,
    Path(id): Path<u64>,
    Query(q): Query<BlobQuery>,
    headers: HeaderMap,
) -> Response {
    let (e, size) = match committed(&s, id, q.sig.as_deref()) {
        Ok(x) => x,
        Err(e) => return e.answer(&headers),
    };
    let mut h = blob_headers(&headers, &e);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    with(StatusCode::OK.into_response(), h)
}

pub async fn get(
    State(s): State<Arc<Shared>>,
    Path(id): Path<u64>,
    Query(q): Query<BlobQuery>,
    headers: HeaderMap,
) -> Response {
    let (e, size) = match committed(&s, id, q.sig.as_deref()) {
        Ok(x) => x,
        Err(e) => return e.answer(&headers),
    };
    let spec = headers
        .get("x-ms-range")
        .or_else(|| headers.get(header::RANGE))
        .and_then(|v| v.to_str().ok());
    let (status, start, end) = match spec.map(|r| range(r, size)) {
        None | Some(None) => (StatusCode::OK, 0, size.saturating_sub(1)),
        Some(Some(Ok((a, b)))) => (StatusCode::PARTIAL_CONTENT, a, b),
        Some(Some(Err(()))) => {
            let mut r = error(
                &headers,
                StatusCode::RANGE_NOT_SATISFIABLE,
                "InvalidRange",
                "the range cannot be satisfied",
            );
            r.headers_mut().insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{size}")).expect("ascii"),
            );
            return r;
        }
    };
    let len = if size == 0 { 0 } else { end - start + 1 };
    let path = s.store.data_path(id);
    let mut file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(err) => {
            return error(
                &headers,
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                err,
            )
        }
    };
    if let Err(err) = file.seek(std::io::SeekFrom::Start(start)).await {
        return error(
            &headers,
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            err,
        );
    }
    s.counters
        .event(EventKind::Download, e.protocol, &e.key, len);
    let mut h = blob_headers(&headers, &e);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if status == StatusCode::PARTIAL_CONTENT {
        let cr = format!("bytes {start}-{end}/{size}");
        h.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&cr).expect("ascii"),
        );
    }
    let body = Body::from_stream(file_stream(file.take(len)));
    with((status, body).into_response(), h)
}

/// A file's bytes as a stream of 64 KiB chunks; it ends after the first error.
fn file_stream(
    reader: tokio::io::Take<tokio::fs::File>,
) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    futures_util::stream::unfold(Some(reader), |state| async move {
        let mut r = state?;
        let mut buf = vec![0u8; 64 * 1024];
        match r.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), Some(r)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ranges() {
        assert_eq!(range("bytes=2-", 10), Some(Ok((2, 9))));
        assert_eq!(range("bytes=2-4", 10), Some(Ok((2, 4))));
        assert_eq!(range("bytes=2-40", 10), Some(Ok((2, 9))));
        assert_eq!(range("bytes=10-", 10), Some(Err(())));
        assert_eq!(range("items=1-2", 10), None);
    }
}
