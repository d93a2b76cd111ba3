//! (tests) The v2 protocol end to end over loopback HTTP, as cache_v2.go and the
//! Azure SDK's block-blob client send it: Twirp JSON calls, block uploads and a
//! block list (or one PUT), ranged GETs with `x-ms-range`; scopes, the 429.

use super::server::GhaCacheServer;
use super::tests_client::{data, escape, send, start, Resp};
use super::token::{mint, Scope};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use md5::Digest as _;
use std::time::Duration;

const V: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const MS_VERSION: (&str, &str) = ("x-ms-version", "2024-11-04");

fn rw(scope: &str) -> String {
    mint(&[Scope::read_write(scope)], Duration::from_secs(3600))
}

async fn call(s: &GhaCacheServer, token: &str, method: &str, body: serde_json::Value) -> Resp {
    let url = format!(
        "{}twirp/github.actions.results.api.v1.CacheService/{method}",
        s.url_v2()
    );
    let auth = format!("Bearer {token}");
    let h = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    send("POST", &url, &h, body.to_string().as_bytes()).await
}

async fn create(s: &GhaCacheServer, token: &str, key: &str) -> Resp {
    call(
        s,
        token,
        "CreateCacheEntry",
        serde_json::json!({"key": key, "version": V}),
    )
    .await
}

async fn finalize(s: &GhaCacheServer, token: &str, key: &str, size: usize) -> Resp {
    let body = serde_json::json!({"key": key, "size_bytes": size, "version": V});
    call(s, token, "FinalizeCacheEntryUpload", body).await
}

async fn download_url(s: &GhaCacheServer, token: &str, key: &str, restore: &[&str]) -> Resp {
    let body = serde_json::json!({"key": key, "restore_keys": restore, "version": V});
    call(s, token, "GetCacheEntryDownloadURL", body).await
}

fn block_id(n: u32) -> String {
    // azblob's ids: a UUID prefix and the block number, 64 bytes, base64.
    let mut raw = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab".to_vec();
    raw.extend(n.to_be_bytes());
    STANDARD.encode(raw)
}

#[tokio::test]
async fn v2_blocks_then_block_list_then_finalize_and_ranged_download() {
    let (s, _dir) = start(None).await;
    let token = rw("refs/heads/main");
    let key = "buildkit-blob-1-sha256:def";
    let miss = download_url(&s, &token, key, &[key]).await;
    assert_eq!(miss.status, 200);
    assert_eq!(miss.json()["ok"], false);

    let r = create(&s, &token, key).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["ok"], true);
    let upload = r.json()["signed_upload_url"].as_str().unwrap().to_string();
    assert!(upload.starts_with(&s.base_url()));

    let bytes = data(2_500_000);
    let blocks: Vec<&[u8]> = bytes.chunks(1024 * 1024).collect();
    for (i, b) in blocks.iter().enumerate() {
        let url = format!(
            "{upload}&comp=block&blockid={}",
            escape(&block_id(i as u32))
        );
        let r = send(
            "PUT",
            &url,
            &[MS_VERSION, ("x-ms-client-request-id", "c1")],
            b,
        )
        .await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        assert!(r.header("x-ms-request-id").is_some());
        assert_eq!(r.header("x-ms-version"), Some("2024-11-04"));
        assert_eq!(r.header("x-ms-client-request-id"), Some("c1"));
        let md5 = STANDARD.encode(md5::Md5::digest(b));
        assert_eq!(r.header("content-md5"), Some(md5.as_str()));
    }
    // Finalizing before the block list is refused: the blob is not there yet.
    assert_eq!(finalize(&s, &token, key, bytes.len()).await.status, 400);
    let list: String = (0..blocks.len() as u32)
        .map(|i| format!("<Latest>{}</Latest>", block_id(i)))
        .collect();
    let xml = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BlockList>{list}</BlockList>");
    let r = send(
        "PUT",
        &format!("{upload}&comp=blocklist"),
        &[MS_VERSION],
        xml.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    for h in ["x-ms-request-id", "etag", "last-modified", "date"] {
        assert!(r.header(h).is_some(), "no {h}");
    }

    let r = finalize(&s, &token, key, bytes.len()).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["ok"], true);
    // int64 in protojson is a string, and go-actions-cache reads it into one.
    assert!(r.json()["entry_id"].is_string());

    let r = download_url(&s, &token, key, &[key]).await;
    assert_eq!(r.json()["ok"], true);
    assert_eq!(r.json()["matched_key"], key);
    let url = r.json()["signed_download_url"]
        .as_str()
        .unwrap()
        .to_string();
    let part = send(
        "GET",
        &url,
        &[MS_VERSION, ("x-ms-range", "bytes=1048577-")],
        b"",
    )
    .await;
    assert_eq!(part.status, 206);
    let cr = format!("bytes 1048577-{}/{}", bytes.len() - 1, bytes.len());
    assert_eq!(part.header("content-range"), Some(cr.as_str()));
    assert_eq!(part.body, &bytes[1_048_577..]);
    let some = send("GET", &url, &[("x-ms-range", "bytes=10-19")], b"").await;
    assert_eq!(some.body, &bytes[10..20]);
    let whole = send("GET", &url, &[MS_VERSION], b"").await;
    assert_eq!((whole.status, whole.body == bytes), (200, true));
    assert!(whole.header("last-modified").unwrap().ends_with(" GMT"));
    let head = send("HEAD", &url, &[MS_VERSION], b"").await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("2500000"));
    assert_eq!(head.header("x-ms-blob-type"), Some("BlockBlob"));

    let c = s.counters();
    assert_eq!((c.entries_reserved, c.entries_committed), (1, 1));
    assert_eq!((c.hits, c.misses), (1, 1));
    assert_eq!(c.bytes_uploaded, bytes.len() as u64);
    let down = (bytes.len() - 1_048_577) + 10 + bytes.len();
    assert_eq!(c.bytes_downloaded, down as u64);
    s.stop().await.unwrap();
}

#[tokio::test]
async fn v2_single_put_restore_keys_conflicts_and_md5() {
    let (s, _dir) = start(None).await;
    let token = rw("refs/heads/main");
    let key = "index-x-1-abcd#1";
    let r = create(&s, &token, key).await;
    let upload = r.json()["signed_upload_url"].as_str().unwrap().to_string();
    let body = b"{\"layers\":[]}";
    let wrong = [
        ("x-ms-blob-type", "BlockBlob"),
        ("content-md5", "AAAAAAAAAAAAAAAAAAAAAA=="),
    ];
    let r = send("PUT", &upload, &wrong, body).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.header("x-ms-error-code"), Some("Md5Mismatch"));
    assert!(String::from_utf8_lossy(&r.body).contains("<Code>Md5Mismatch</Code>"));
    assert_eq!(send("PUT", &upload, &[], body).await.status, 400);
    let md5 = STANDARD.encode(md5::Md5::digest(body));
    let ok = [
        ("x-ms-blob-type", "BlockBlob"),
        ("content-md5", md5.as_str()),
    ];
    let r = send("PUT", &upload, &ok, body).await;
    assert_eq!(r.status, 201);
    assert!(r.header("x-ms-request-id").is_some() && r.header("etag").is_some());

    assert_eq!(finalize(&s, &token, key, body.len() + 1).await.status, 400);
    assert_eq!(finalize(&s, &token, key, body.len()).await.status, 200);
    // Finalized: nothing is reserved under the key any more.
    assert_eq!(
        finalize(&s, &token, key, body.len()).await.json()["code"],
        "not_found"
    );

    // SaveMutable's look-up: the prefix `KEY#` finds the newest index.
    let r = download_url(&s, &token, "index-x-1-abcd#", &["index-x-1-abcd#"]).await;
    assert_eq!(r.json()["matched_key"], key);
    let r = download_url(&s, &token, "nope", &["nope", "index-x-1"]).await;
    assert_eq!(r.json()["matched_key"], key);
    let url = r.json()["signed_download_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(send("GET", &url, &[], b"").await.body, body);

    // A second reservation: Twirp already_exists, which the client maps to os.ErrExist.
    let r = create(&s, &token, key).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json()["code"], "already_exists");
    // The committed blob can no longer be written.
    assert_eq!(send("PUT", &upload, &ok, body).await.status, 409);
}

#[tokio::test]
async fn v2_scopes_signatures_content_type_and_limit() {
    let (s, _dir) = start(Some(1)).await;
    let main = rw("refs/heads/main");
    let other = rw("refs/heads/other");
    let read_only = mint(&[Scope::read("refs/heads/main")], Duration::from_secs(3600));

    let r = create(&s, &read_only, "k").await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (403, Some("permission_denied"))
    );
    let r = create(&s, &main, "k").await;
    assert_eq!(r.status, 200);
    let upload = r.json()["signed_upload_url"].as_str().unwrap().to_string();
    // The limit of one reservation a minute: the second is refused with Retry-After.
    let r = create(&s, &main, "k2").await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (429, Some("resource_exhausted"))
    );
    assert!(r.header("retry-after").is_some());

    let put = [("x-ms-blob-type", "BlockBlob")];
    let forged = upload.replace("sig=", "sig=0");
    let r = send("PUT", &forged, &put, b"x").await;
    assert_eq!(
        (r.status, r.header("x-ms-error-code")),
        (403, Some("AuthenticationFailed"))
    );
    assert_eq!(send("PUT", &upload, &put, b"x").await.status, 201);
    // Another write scope cannot finalize it, nor can a read-only token.
    assert_eq!(finalize(&s, &other, "k", 1).await.status, 404);
    assert_eq!(finalize(&s, &read_only, "k", 1).await.status, 403);
    assert_eq!(finalize(&s, &main, "k", 1).await.status, 200);
    assert_eq!(download_url(&s, &other, "k", &[]).await.json()["ok"], false);
    let r = download_url(&s, &read_only, "k", &[]).await;
    let url = r.json()["signed_download_url"]
        .as_str()
        .unwrap()
        .to_string();
    // A download URL does not upload, an upload URL does not download.
    assert_eq!(send("PUT", &url, &put, b"y").await.status, 403);
    assert_eq!(send("GET", &upload, &[], b"").await.status, 403);

    let twirp = format!(
        "{}twirp/github.actions.results.api.v1.CacheService/",
        s.url_v2()
    );
    let auth = format!("Bearer {main}");
    let proto = [
        ("authorization", auth.as_str()),
        ("content-type", "application/protobuf"),
    ];
    let r = send(
        "POST",
        &format!("{twirp}CreateCacheEntry"),
        &proto,
        b"\x1a\x01k",
    )
    .await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (404, Some("bad_route"))
    );
    let r = send(
        "POST",
        &format!("{twirp}CreateCacheEntry"),
        &[("content-type", "application/json")],
        b"{}",
    )
    .await;
    assert_eq!(
        (r.status, r.json()["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    let r = call(
        &s,
        &main,
        "DeleteCacheEntry",
        serde_json::json!({"key": "k"}),
    )
    .await;
    assert_eq!(r.json()["code"], "bad_route");
    let r = call(
        &s,
        &main,
        "CreateCacheEntry",
        serde_json::json!({"nokey": 1}),
    )
    .await;
    assert_eq!(r.json()["code"], "malformed");
}
