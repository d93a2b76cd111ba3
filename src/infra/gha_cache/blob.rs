//! `/blobs/ID?sig=…`: the signed URLs both protocols hand out, served the way the
//! Azure SDK for Go (azblob, as vendored in BuildKit) expects a block blob:
//!
//! - `PUT ?comp=block&blockid=B64` stages a block (201); `PUT ?comp=blocklist`
//!   with `<BlockList><Latest>B64</Latest>…</BlockList>` joins staged blocks in
//!   that order into the blob (201). `UploadStream` does this for anything of
//!   1 MiB (its default block size) or more, one block at a time.
//! - Plain `PUT` with `x-ms-blob-type: BlockBlob` writes the whole blob (201):
//!   `UploadStream`'s path for a blob under one block.
//! - `GET` reads it, whole (200) or from `x-ms-range` / `Range: bytes=S-[E]` (206
//!   with `Content-Range: bytes S-E/TOTAL`); `HEAD` is GetProperties.
//!
//! Every answer carries `x-ms-request-id` (cache_v2.go dereferences the upload
//! response's `RequestID`, so a missing header is a nil-pointer panic in
//! BuildKit), `x-ms-version`, and `Date` (hyper's, RFC 1123 as azblob parses it);
//! PUTs and GETs carry `ETag` and `Last-Modified` (RFC 1123, GMT). A request's
//! `Content-MD5`, if sent, is checked (400 `Md5Mismatch`), and every PUT answers
//! with the MD5 of what it received. Errors are Azure's XML `<Error><Code>` with
//! `x-ms-error-code`. v1's `archiveLocation` is the same GET without the `x-ms-`
//! headers, which it ignores.

use super::counters::{EventKind, Protocol};
use super::server::{small_body, Shared};
use super::store::{hex, Access, Entry, Store};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// The storage service version azblob v1.5 sends; echoed when a request names none.
const SERVICE_VERSION: &str = "2024-11-04";

#[derive(Debug, Deserialize)]
pub struct BlobQuery {
    sig: Option<String>,
    comp: Option<String>,
    blockid: Option<String>,
}

/// `x-ms-request-id` (a fresh UUID-shaped id), `x-ms-version`, and the client's
/// `x-ms-client-request-id` echoed.
fn ms_headers(req: &HeaderMap) -> HeaderMap {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut h = HeaderMap::new();
    let id = format!("00000000-0000-4000-8000-{n:012x}");
    h.insert(
        "x-ms-request-id",
        HeaderValue::from_str(&id).expect("ascii"),
    );
    let version = req
        .get("x-ms-version")
        .cloned()
        .unwrap_or(HeaderValue::from_static(SERVICE_VERSION));
    h.insert("x-ms-version", version);
    if let Some(v) = req.get("x-ms-client-request-id") {
        h.insert("x-ms-client-request-id", v.clone());
    }
    h
}

fn with(mut r: Response, headers: HeaderMap) -> Response {
    r.headers_mut().extend(headers);
    r
}

/// Azure's error answer.
fn error(
    req: &HeaderMap,
    status: StatusCode,
    code: &str,
    message: impl std::fmt::Display,
) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{}</Message></Error>",
        xml_escape(&message.to_string())
    );
    let mut h = ms_headers(req);
    h.insert(
        "x-ms-error-code",
        HeaderValue::from_str(code).expect("ascii code"),
    );
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    with((status, body).into_response(), h)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// RFC 1123 with `GMT`, the form azblob parses (`time.RFC1123`).
fn http_date(t: DateTime<Utc>) -> HeaderValue {
    HeaderValue::from_str(&t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).expect("ascii")
}

fn etag(e: &Entry) -> HeaderValue {
    let t = e.committed_at.unwrap_or(e.created_at);
    let n = t.timestamp_nanos_opt().unwrap_or(0) as u64 ^ e.id;
    HeaderValue::from_str(&format!("\"0x8D{n:X}\"")).expect("ascii")
}

/// The entry behind a signed URL, if `sig` grants `access`.
fn entry(
    s: &Shared,
    req: &HeaderMap,
    id: u64,
    sig: Option<&str>,
    access: Access,
) -> Result<Entry, Response> {
    let e = s.store.get(id);
    match e {
        Some(e) if s.store.verify(id, access, sig) => Ok(e),
        Some(_) => Err(error(
            req,
            StatusCode::FORBIDDEN,
            "AuthenticationFailed",
            format!("signature does not grant {access:?} on blob {id}"),
        )),
        None => Err(error(
            req,
            StatusCode::NOT_FOUND,
            "BlobNotFound",
            format!("no blob {id}"),
        )),
    }
}

/// The block IDs of a `<BlockList>`, in order (`Latest`, `Committed` and
/// `Uncommitted` alike: only uncommitted blocks exist here).
fn block_list(xml: &str) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').ok_or("unterminated tag in block list")?;
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if let name @ ("Latest" | "Committed" | "Uncommitted") = tag {
            let close = format!("</{name}>");
            let j = rest
                .find(&close)
                .ok_or(format!("no {close} in block list"))?;
            ids.push(xml_unescape(rest[..j].trim()));
            rest = &rest[j + close.len()..];
        }
    }
    Ok(ids)
}

fn block_file(s: &Shared, id: u64, block_id: &str) -> Result<std::path::PathBuf, String> {
    let raw = STANDARD
        .decode(block_id)
        .map_err(|_| format!("block id {block_id:?} is not base64"))?;
    if raw.is_empty() || raw.len() > 64 {
        return Err(format!("block id {block_id:?} must decode to 1-64 bytes"));
    }
    Ok(s.store.block_dir(id).join(hex(&raw)))
}

pub async fn put(
    State(s): State<Arc<Shared>>,
    Path(id): Path<u64>,
    Query(q): Query<BlobQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let e = match entry(&s, &headers, id, q.sig.as_deref(), Access::Write) {
        Ok(e) => e,
        Err(r) => return r,
    };
    if e.committed_at.is_some() {
        return error(
            &headers,
            StatusCode::CONFLICT,
            "BlobImmutable",
            format!("blob {id} is committed"),
        );
    }
    let bad = |code: &str, m: String| error(&headers, StatusCode::BAD_REQUEST, code, m);
    let (path, block) = match q.comp.as_deref() {
        Some("block") => {
            let Some(block_id) = q.blockid.as_deref() else {
                return bad(
                    "MissingRequiredQueryParameter",
                    "comp=block needs blockid".into(),
                );
            };
            let file = match block_file(&s, id, block_id) {
                Ok(f) => f,
                Err(m) => return bad("InvalidQueryParameterValue", m),
            };
            if let Err(err) = tokio::fs::create_dir_all(s.store.block_dir(id)).await {
                return error(
                    &headers,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    err,
                );
            }
            (file, true)
        }
        Some("blocklist") => return commit_block_list(&s, &e, &headers, body).await,
        Some(other) => {
            return bad(
                "InvalidQueryParameterValue",
                format!("comp={other} is not served here"),
            )
        }
        None => {
            let blob_type = headers.get("x-ms-blob-type").and_then(|v| v.to_str().ok());
            if blob_type != Some("BlockBlob") {
                return bad(
                    "MissingRequiredHeader",
                    "put blob needs x-ms-blob-type: BlockBlob".into(),
                );
            }
            (s.store.data_path(id), false)
        }
    };
    let written = match Store::write_body(&path, None, body).await {
        Ok(w) => w,
        Err(err) => {
            return error(
                &headers,
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                err,
            )
        }
    };
    let md5 = STANDARD.encode(written.md5);
    if let Some(sent) = headers.get("content-md5").and_then(|v| v.to_str().ok()) {
        if sent != md5 {
            let _ = tokio::fs::remove_file(&path).await;
            return bad(
                "Md5Mismatch",
                format!("content-md5 {sent} does not match the body's {md5}"),
            );
        }
    }
    s.counters
        .event(EventKind::Upload, Protocol::V2, &e.key, written.bytes);
    let mut h = ms_headers(&headers);
    h.insert("content-md5", HeaderValue::from_str(&md5).expect("base64"));
    h.insert(
        "x-ms-request-server-encrypted",
        HeaderValue::from_static("false"),
    );
    if !block {
        s.store.set_blob_size(id, written.bytes);
        h.insert(header::ETAG, etag(&e));
        h.insert(header::LAST_MODIFIED, http_date(Utc::now()));
    }
    with(StatusCode::CREATED.into_response(), h)
}

async fn commit_block_list(s: &Shared, e: &Entry, headers: &HeaderMap, body: Body) -> Response {
    let bad = |code: &str, m: String| error(headers, StatusCode::BAD_REQUEST, code, m);
    let internal = |m: String| {
        error(
            headers,
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            m,
        )
    };
    let xml = match small_body(body, 8 * 1024 * 1024).await {
        Ok(b) => b,
        Err(m) => return bad("InvalidInput", m),
    };
    let ids = match std::str::from_utf8(&xml)
        .map_err(|_| "block list is not utf-8".to_string())
        .and_then(block_list)
    {
        Ok(ids) => ids,
        Err(m) => return bad("InvalidXmlDocument", m),
    };
    let mut files = Vec::new();
    for b in &ids {
        match block_file(s, e.id, b) {
            Ok(f) if tokio::fs::try_exists(&f).await.unwrap_or(false) => files.push(f),
            Ok(_) => return bad("InvalidBlockList", format!("block {b} was not staged")),
            Err(m) => return bad("InvalidBlockList", m),
        }
    }
    let path = s.store.data_path(e.id);
    let mut out = match tokio::fs::File::create(&path).await {
        Ok(f) => f,
        Err(err) => return internal(format!("failed to create {}: {err}", path.display())),
    };
    let mut size = 0;
    for f in &files {
        let copied = match tokio::fs::File::open(f).await {
            Ok(mut block) => tokio::io::copy(&mut block, &mut out).await,
            Err(err) => Err(err),
        };
        match copied {
            Ok(n) => size += n,
            Err(err) => return internal(format!("failed to append {}: {err}", f.display())),
        }
    }
    drop(out);
    let _ = tokio::fs::remove_dir_all(s.store.block_dir(e.id)).await;
    s.store.set_blob_size(e.id, size);
    let mut h = ms_headers(headers);
    use md5::Digest as _;
    let md5 = STANDARD.encode(md5::Md5::digest(&xml));
    h.insert("content-md5", HeaderValue::from_str(&md5).expect("base64"));
    h.insert(
        "x-ms-request-server-encrypted",
        HeaderValue::from_static("false"),
    );
    h.insert(header::ETAG, etag(e));
    h.insert(header::LAST_MODIFIED, http_date(Utc::now()));
    with(StatusCode::CREATED.into_response(), h)
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

fn committed(
    s: &Shared,
    req: &HeaderMap,
    id: u64,
    sig: Option<&str>,
) -> Result<(Entry, u64), Response> {
    let e = entry(s, req, id, sig, Access::Read)?;
    match (e.committed_at, e.size) {
        (Some(_), Some(size)) => Ok((e, size)),
        _ => Err(error(
            req,
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
    let (e, size) = match committed(&s, &headers, id, q.sig.as_deref()) {
        Ok(x) => x,
        Err(r) => return r,
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
    let (e, size) = match committed(&s, &headers, id, q.sig.as_deref()) {
        Ok(x) => x,
        Err(r) => return r,
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
    fn reads_block_lists_and_ranges() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BlockList><Latest>QUE=</Latest><Committed>Qg==</Committed><Uncommitted>a&amp;b</Uncommitted></BlockList>";
        assert_eq!(block_list(xml).unwrap(), ["QUE=", "Qg==", "a&b"]);
        assert!(block_list("<BlockList><Latest>x</BlockList>").is_err());
        assert_eq!(range("bytes=2-", 10), Some(Ok((2, 9))));
        assert_eq!(range("bytes=2-4", 10), Some(Ok((2, 4))));
        assert_eq!(range("bytes=2-40", 10), Some(Ok((2, 9))));
        assert_eq!(range("bytes=10-", 10), Some(Err(())));
        assert_eq!(range("items=1-2", 10), None);
        assert_eq!(
            http_date(DateTime::from_timestamp(0, 0).unwrap()),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }
}
