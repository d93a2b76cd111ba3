//! Manual check of the GitHub Actions cache stand-in against a real BuildKit: runs
//! it on 127.0.0.1 with its store in DIR until SIGINT/SIGTERM, prints the `type=gha`
//! attributes to give buildx (v1 and v2, a read-write token for scope
//! `refs/heads/main`), and on exit prints the counters as JSON (also written to
//! DIR/counters.json).
//!
//! ```sh
//! cargo run --example gha_cache_server -- /tmp/gha [PORT] [ENTRY_LIMIT_PER_MINUTE]
//! ```
use cachebench::infra::gha_cache::server::{ApiVersion, Config, GhaCacheServer};
use cachebench::infra::gha_cache::token::{mint, Scope};
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .expect("usage: gha_cache_server DIR [PORT] [LIMIT]");
    let mut config = Config::new(&dir);
    if let Some(port) = args.next() {
        config.port = port.parse()?;
    }
    config.entry_limit_per_minute = args.next().map(|l| l.parse()).transpose()?;
    let server = GhaCacheServer::start(config).await?;
    let token = mint(
        &[Scope::read_write("refs/heads/main")],
        Duration::from_secs(6 * 3600),
    );
    println!("url={}", server.base_url());
    println!("token={token}");
    println!("v1={}", server.cache_attrs(ApiVersion::V1, &token, "x"));
    println!("v2={}", server.cache_attrs(ApiVersion::V2, &token, "x"));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    let counters = serde_json::to_string_pretty(&server.counters())?;
    server.stop().await?;
    println!("{counters}");
    std::fs::write(std::path::Path::new(&dir).join("counters.json"), counters)?;
    Ok(())
}
