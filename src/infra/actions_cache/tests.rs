use super::*;
use crate::infra::gha_cache::server::{Config, GhaCacheServer};
use crate::infra::gha_cache::token::{mint, Scope};

#[test]
fn blocks_are_32_mib_and_urls_split() {
    assert_eq!(block_ids(0).len(), 1);
    assert_eq!(block_ids(UPLOAD_BLOCK).len(), 1);
    assert_eq!(block_ids(UPLOAD_BLOCK + 1).len(), 2);
    let ids = block_ids(3 * UPLOAD_BLOCK);
    assert!(ids.iter().all(|i| i.len() == ids[0].len()), "{ids:?}");
    assert_eq!(
        split_url("http://127.0.0.1:9/blobs/3?sp=r&sig=x").unwrap(),
        ("127.0.0.1:9".to_string(), "/blobs/3?sp=r&sig=x".to_string())
    );
    assert!(split_url("https://h/x").is_err());
}

/// A folder of ~70 MiB (so the archive has several blocks and segments) saved to
/// the stand-in and restored from it by prefix, byte for byte; the stand-in saw
/// the archive go up and come down.
#[tokio::test]
async fn a_folder_saved_then_restored_by_prefix_comes_back_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let server = GhaCacheServer::start(Config::new(tmp.path().join("svc")))
        .await
        .unwrap();
    let svc = Service {
        host_port: server.addr().to_string(),
        token: mint(
            &[Scope::read_write("refs/heads/main")],
            Duration::from_secs(600),
        ),
    };
    let dir = tmp.path().join("a/cache");
    std::fs::create_dir_all(dir.join("blobs")).unwrap();
    // Incompressible, so the archive stays above two 32 MiB blocks.
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let noise: Vec<u8> = (0..70 * 1024 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(dir.join("blobs/big"), &noise).unwrap();
    std::fs::write(dir.join("index.json"), b"{}").unwrap();
    let saved = save(&svc, &dir, &tmp.path().join("s"), "lc-run-1")
        .await
        .unwrap();
    assert!(saved.archive_bytes > 2 * UPLOAD_BLOCK, "{saved:?}");
    let up = server.reset_counters();
    assert_eq!(up.entries_committed, 1);
    assert_eq!(up.bytes_uploaded, saved.archive_bytes);

    let back = tmp.path().join("b/cache");
    let got = restore(&svc, &back, &tmp.path().join("r"), "lc-run-2", "lc-")
        .await
        .unwrap()
        .expect("a hit by prefix");
    assert_eq!(got.key, "lc-run-1");
    assert_eq!(got.archive_bytes, saved.archive_bytes);
    assert_eq!(std::fs::read(back.join("blobs/big")).unwrap(), noise);
    assert_eq!(
        crate::records::footprint::folder_size(&back).unwrap(),
        crate::records::footprint::folder_size(&dir).unwrap()
    );
    let down = server.counters();
    assert_eq!(down.bytes_downloaded, saved.archive_bytes);
    assert!(restore(
        &svc,
        &tmp.path().join("c/cache"),
        &tmp.path().join("r"),
        "zz",
        "zz-"
    )
    .await
    .unwrap()
    .is_none());
    server.stop().await.unwrap();
}
