//! How an Azure Storage blob service answers, as far as the Azure SDK for Go
//! (azblob v1.5.0 in BuildKit's vendor tree, `internal/generated/zz_*_client.go`)
//! reads it: every answer carries `x-ms-request-id` (cache_v2.go dereferences the
//! upload response's `RequestID`, so a missing header is a nil-pointer panic in
//! BuildKit), `x-ms-version` (the request's, echoed) and `x-ms-client-request-id`
//! (echoed); `Date` is hyper's and `Last-Modified` is written here, both RFC 1123
//! in GMT, the form azblob parses with `time.RFC1123` (a header it cannot parse
//! fails the call). Errors are XML `<Error><Code>…</Code><Message>…</Message>`
//! with the code also in `x-ms-error-code`, where azcore's `ResponseError` looks
//! first.

use super::store::Entry;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicU64, Ordering};

/// The storage service version azblob v1.5 sends; echoed when a request names none.
const SERVICE_VERSION: &str = "2024-11-04";

/// `x-ms-request-id` (a fresh UUID-shaped id), `x-ms-version`, and the client's
/// `x-ms-client-request-id` echoed.
pub fn ms_headers(req: &HeaderMap) -> HeaderMap {
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

pub fn with(mut r: Response, headers: HeaderMap) -> Response {
    r.headers_mut().extend(headers);
    r
}

/// An Azure error not yet answered: [`AzureError::answer`] needs the request's
/// headers (to echo them).
#[derive(Debug)]
pub struct AzureError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

pub fn fail(status: StatusCode, code: &'static str, message: impl std::fmt::Display) -> AzureError {
    AzureError {
        status,
        code,
        message: message.to_string(),
    }
}

impl AzureError {
    pub fn answer(self, req: &HeaderMap) -> Response {
        error(req, self.status, self.code, self.message)
    }
}

/// Azure's error answer.
pub fn error(
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

pub fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// RFC 1123 with `GMT`, the form azblob parses (`time.RFC1123`).
pub fn http_date(t: DateTime<Utc>) -> HeaderValue {
    HeaderValue::from_str(&t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).expect("ascii")
}

pub fn etag(e: &Entry) -> HeaderValue {
    let t = e.committed_at.unwrap_or(e.created_at);
    let n = t.timestamp_nanos_opt().unwrap_or(0) as u64 ^ e.id;
    HeaderValue::from_str(&format!("\"0x8D{n:X}\"")).expect("ascii")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc1123_in_gmt_and_errors_carry_their_code() {
        assert_eq!(
            http_date(DateTime::from_timestamp(0, 0).unwrap()),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
        let mut req = HeaderMap::new();
        req.insert("x-ms-version", HeaderValue::from_static("2020-01-01"));
        let r = error(&req, StatusCode::NOT_FOUND, "BlobNotFound", "no <blob>");
        assert_eq!(r.headers()["x-ms-error-code"], "BlobNotFound");
        assert_eq!(r.headers()["x-ms-version"], "2020-01-01");
        assert!(r.headers().contains_key("x-ms-request-id"));
        assert_eq!(xml_unescape("a&amp;b&lt;"), "a&b<");
    }
}
