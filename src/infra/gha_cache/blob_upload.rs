//! Uploads to a v2 signed URL (`PUT /blobs/ID?sig=…`), as the Azure SDK's
//! `blockblob.Client.UploadStream` sends them (`blockblob/chunkwriting.go`): data
//! of a block (1 MiB by default) or more goes as `PUT ?comp=block&blockid=B64`
//! per block, one at a time, then `PUT ?comp=blocklist` with
//! `<BlockList><Latest>B64</Latest>…</BlockList>` naming them in order; less goes
//! as one plain `PUT` with `x-ms-blob-type: BlockBlob`. Each answers 201 (the only
//! status the SDK accepts) with `Content-MD5` of what it received; a request's own
//! `Content-MD5`, if sent, is checked (400 `Md5Mismatch`). A committed entry's
//! blob is immutable (409).

use super::azure::{error, etag, http_date, ms_headers, with, xml_unescape};
use super::blob::{signed_entry, BlobQuery};
use super::counters::{EventKind, Protocol};
use super::signing::{hex, Access};
use super::state::{small_body, Shared};
use super::store::{Entry, Store};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::Utc;
use std::sync::Arc;

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
    let e = match signed_entry(&s, id, q.sig.as_deref(), Access::Write) {
        Ok(e) => e,
        Err(e) => return e.answer(&headers),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_block_lists_in_order() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BlockList><Latest>QUE=</Latest><Committed>Qg==</Committed><Uncommitted>a&amp;b</Uncommitted></BlockList>";
        assert_eq!(block_list(xml).unwrap(), ["QUE=", "Qg==", "a&b"]);
        assert!(block_list("<BlockList><Latest>x</BlockList>").is_err());
    }
}
