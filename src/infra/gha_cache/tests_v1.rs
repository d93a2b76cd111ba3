//! (tests) The v1 protocol end to end over loopback HTTP, in the order and shape
//! go-actions-cache's cache.go sends it: look-up, reserve, chunks, commit,
//! download; scopes, conflicts, the optional 429, the counters.

use super::counters::GITHUB_ENTRY_UPLOADS_PER_MINUTE;
use super::server::GhaCacheServer;
use super::tests_client::{data, escape, send, start, Resp};
use super::token::{mint, mint_at, Scope};
use std::time::Duration;

const ACCEPT: (&str, &str) = ("accept", "application/json;api-version=6.0-preview.1");
const V: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn rw(scope: &str) -> String {
    mint(&[Scope::read_write(scope)], Duration::from_secs(3600))
}

fn api(s: &GhaCacheServer, path: &str) -> String {
    format!("{}_apis/artifactcache/{path}", s.url_v1())
}

async fn lookup(s: &GhaCacheServer, token: &str, keys: &str) -> Resp {
    let url = api(s, &format!("cache?keys={}&version={V}", escape(keys)));
    let auth = format!("Bearer {token}");
    send("GET", &url, &[ACCEPT, ("authorization", &auth)], b"").await
}

async fn reserve(s: &GhaCacheServer, token: &str, key: &str) -> Resp {
    let body = serde_json::json!({"key": key, "version": V}).to_string();
    let auth = format!("Bearer {token}");
    let h = [
        ACCEPT,
        ("authorization", &auth),
        ("content-type", "application/json"),
    ];
    send("POST", &api(s, "caches"), &h, body.as_bytes()).await
}

async fn patch(s: &GhaCacheServer, token: &str, id: u64, bytes: &[u8], start: usize) -> Resp {
    let range = format!("bytes {start}-{}/*", start + bytes.len() - 1);
    let auth = format!("Bearer {token}");
    let h = [
        ACCEPT,
        ("authorization", auth.as_str()),
        ("content-range", &range),
    ];
    send("PATCH", &api(s, &format!("caches/{id}")), &h, bytes).await
}

async fn commit(s: &GhaCacheServer, token: &str, id: u64, size: usize) -> Resp {
    let body = serde_json::json!({ "size": size }).to_string();
    let auth = format!("Bearer {token}");
    let h = [
        ACCEPT,
        ("authorization", &auth),
        ("content-type", "application/json"),
    ];
    send(
        "POST",
        &api(s, &format!("caches/{id}")),
        &h,
        body.as_bytes(),
    )
    .await
}

/// Reserve, upload in chunks (last one first), commit: the entry id.
async fn save(s: &GhaCacheServer, token: &str, key: &str, bytes: &[u8]) -> u64 {
    let r = reserve(s, token, key).await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let id = r.json()["cacheId"].as_u64().unwrap();
    let chunk = bytes.len().div_ceil(3).max(1);
    let mut starts: Vec<usize> = (0..bytes.len()).step_by(chunk).collect();
    starts.reverse();
    for start in starts {
        let end = (start + chunk).min(bytes.len());
        let r = patch(s, token, id, &bytes[start..end], start).await;
        assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    }
    let r = commit(s, token, id, bytes.len()).await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    id
}

#[tokio::test]
async fn v1_reserve_chunks_commit_then_lookup_hits_and_downloads_the_same_bytes() {
    let (s, _dir) = start(None).await;
    let token = rw("refs/heads/main");
    let key = "buildkit-blob-1-sha256:abc";
    let miss = lookup(&s, &token, key).await;
    assert_eq!((miss.status, miss.body.len()), (204, 0));

    let bytes = data(300_001);
    save(&s, &token, key, &bytes).await;
    let hit = lookup(&s, &token, key).await;
    assert_eq!(hit.status, 200);
    let j = hit.json();
    assert_eq!(j["cacheKey"], key);
    assert_eq!(j["scope"], "refs/heads/main");
    let location = j["archiveLocation"].as_str().unwrap().to_string();
    assert!(location.starts_with(&s.base_url()), "{location}");

    // The archive is fetched without the token, whole, then resumed with Range.
    let whole = send("GET", &location, &[], b"").await;
    assert_eq!(whole.status, 200);
    assert_eq!(whole.body, bytes);
    let tail = send("GET", &location, &[("range", "bytes=1000-")], b"").await;
    assert_eq!(tail.status, 206);
    assert!(tail
        .header("content-range")
        .unwrap()
        .starts_with("bytes 1000-"));
    assert_eq!(tail.body, &bytes[1000..]);
    let past = send("GET", &location, &[("range", "bytes=300001-")], b"").await;
    assert_eq!(past.status, 416);

    // A second upload of the key is refused the way the client maps to os.ErrExist.
    let again = reserve(&s, &token, key).await;
    assert_eq!(again.status, 409);
    assert!(again.json()["typeKey"]
        .as_str()
        .unwrap()
        .contains("AlreadyExists"));

    let c = s.reset_counters();
    assert_eq!(
        (c.entries_reserved, c.entries_committed, c.conflicts),
        (1, 1, 1)
    );
    assert_eq!((c.hits, c.misses, c.lookups), (1, 1, 2));
    assert_eq!(c.bytes_uploaded, bytes.len() as u64);
    assert_eq!(c.bytes_downloaded, (bytes.len() * 2 - 1000) as u64);
    assert_eq!(c.requests, 1 + 1 + 3 + 1 + 1 + 3 + 1);
    assert_eq!(c.peak_entries_per_minute, 1);
    assert!(!c.exceeds_github_limit);
    assert!(c.events.iter().all(|e| e.at >= c.since && e.at <= c.taken));
    assert_eq!(s.counters().requests, 0);
    s.stop().await.unwrap();
}

#[tokio::test]
async fn v1_prefix_lookup_finds_the_newest_index_and_empty_entries_commit() {
    let (s, _dir) = start(None).await;
    let token = rw("refs/heads/main");
    save(&s, &token, "index-x-1-abcd#1", b"one").await;
    let r = reserve(&s, &token, "index-x-1-abcd#2").await;
    let id = r.json()["cacheId"].as_u64().unwrap();
    assert_eq!(commit(&s, &token, id, 0).await.status, 204);
    // Committing again, or a wrong size, is refused.
    assert_eq!(commit(&s, &token, id, 0).await.status, 409);
    let r = lookup(&s, &token, "index-x-1-abcd#").await;
    assert_eq!(r.json()["cacheKey"], "index-x-1-abcd#2");
    let r = lookup(&s, &token, "nothing,index-x-1-abcd#1").await;
    assert_eq!(r.json()["cacheKey"], "index-x-1-abcd#1");
    let r = reserve(&s, &token, "k").await;
    let id = r.json()["cacheId"].as_u64().unwrap();
    assert_eq!(patch(&s, &token, id, b"abc", 0).await.status, 204);
    assert_eq!(commit(&s, &token, id, 4).await.status, 400);
}

#[tokio::test]
async fn v1_token_scopes_decide_what_is_read_and_where_entries_go() {
    let (s, _dir) = start(None).await;
    let main = rw("refs/heads/main");
    // A feature branch's token: reads main, writes its own ref (the last write scope).
    let feature = mint(
        &[
            Scope::read("refs/heads/main"),
            Scope::read_write("refs/heads/feature"),
        ],
        Duration::from_secs(3600),
    );
    let read_only = mint(&[Scope::read("refs/heads/main")], Duration::from_secs(3600));
    save(&s, &main, "from-main", b"m").await;
    save(&s, &feature, "from-feature", b"f").await;

    assert_eq!(lookup(&s, &feature, "from-main").await.status, 200);
    let r = lookup(&s, &feature, "from-feature").await;
    assert_eq!(r.json()["scope"], "refs/heads/feature");
    assert_eq!(lookup(&s, &main, "from-feature").await.status, 204);
    assert_eq!(lookup(&s, &read_only, "from-main").await.status, 200);

    // Reading is not writing; a write scope cannot touch another scope's entry.
    assert_eq!(reserve(&s, &read_only, "new").await.status, 403);
    let r = reserve(&s, &feature, "pending").await;
    let id = r.json()["cacheId"].as_u64().unwrap();
    assert_eq!(patch(&s, &main, id, b"x", 0).await.status, 403);
    assert_eq!(commit(&s, &main, id, 1).await.status, 403);

    // No token, an expired one, a garbled one.
    let r = send(
        "GET",
        &api(&s, &format!("cache?keys=a&version={V}")),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 401);
    let expired = mint_at(&[Scope::read_write("refs/heads/main")], 0, 10);
    assert_eq!(lookup(&s, &expired, "from-main").await.status, 401);
    assert_eq!(lookup(&s, "x.y.z", "from-main").await.status, 401);

    // A download URL with another signature is refused.
    let loc = lookup(&s, &main, "from-main").await.json()["archiveLocation"]
        .as_str()
        .unwrap()
        .to_string();
    let forged = format!("{}0", loc);
    assert_eq!(send("GET", &forged, &[], b"").await.status, 403);
}

#[tokio::test]
async fn v1_configured_limit_answers_429_with_retry_after() {
    let (s, _dir) = start(Some(2)).await;
    let token = rw("refs/heads/main");
    assert_eq!(reserve(&s, &token, "a").await.status, 201);
    assert_eq!(reserve(&s, &token, "b").await.status, 201);
    let r = reserve(&s, &token, "c").await;
    assert_eq!(r.status, 429);
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let c = s.counters();
    assert_eq!((c.entries_reserved, c.rate_limited), (2, 1));
}

/// Without a limit nothing is refused, and the snapshot flags a run that reserved
/// more entries in a minute than GitHub would accept.
#[tokio::test]
async fn v1_counters_flag_a_run_past_githubs_entries_per_minute() {
    let (s, _dir) = start(None).await;
    let token = rw("refs/heads/main");
    for i in 0..=GITHUB_ENTRY_UPLOADS_PER_MINUTE {
        assert_eq!(reserve(&s, &token, &format!("k{i}")).await.status, 201);
    }
    let c = s.reset_counters();
    assert_eq!(
        c.peak_entries_per_minute,
        GITHUB_ENTRY_UPLOADS_PER_MINUTE + 1
    );
    assert!(c.exceeds_github_limit);
    assert_eq!(c.rate_limited, 0);
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["exceeds_github_limit"], true);
    assert_eq!(json["events"][0]["kind"], "reserved");
    assert_eq!(json["events"][0]["protocol"], "v1");
}
