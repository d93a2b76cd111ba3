//! A registry of the test's own (`docker-registry serve` on a free loopback port,
//! deletion enabled, killed when dropped), read over cachebench's loopback HTTP
//! client.

use super::runs::wait_until;
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `docker-registry serve` of the test's own on a free loopback port, deletion
/// enabled; killed when dropped.
pub struct TestRegistry {
    pub host: String,
    /// Its config, data and log: kept while it runs, removed after it is killed.
    _storage: tempfile::TempDir,
    child: Arc<Mutex<Option<std::process::Child>>>,
}

impl TestRegistry {
    pub fn start() -> TestRegistry {
        let bin = cachebench::infra::registry::find_binary()
            .expect("docker-registry not on PATH: run scripts/setup.sh");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(bin)
            .arg("serve")
            .arg(&config)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let host = format!("127.0.0.1:{port}");
        wait_until(Duration::from_secs(20), "the test registry", || {
            http("GET", &host, "/v2/")
                .map(|r| r.status == 200)
                .unwrap_or(false)
        });
        TestRegistry {
            host,
            _storage: dir,
            child: Arc::new(Mutex::new(Some(child))),
        }
    }

    /// A closure that SIGKILLs the registry (for the fault proxy).
    pub fn killer(&self) -> impl Fn() + Send + Sync + 'static {
        let c = self.child.clone();
        move || {
            if let Some(mut ch) = c.lock().unwrap().take() {
                let _ = ch.kill();
                let _ = ch.wait();
            }
        }
    }

    /// Tags of `repo`, empty when it has none.
    pub fn tags(&self, repo: &str) -> Vec<String> {
        let r = http("GET", &self.host, &format!("/v2/{repo}/tags/list")).unwrap();
        if r.status == 404 {
            return vec![];
        }
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        v["tags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// HTTP status of the manifest `repo:tag`.
    pub fn manifest_status(&self, repo: &str, tag: &str) -> u16 {
        block_on(cachebench::infra::http::tcp(
            "HEAD",
            &self.host,
            &format!("/v2/{repo}/manifests/{tag}"),
            &[("Accept", cachebench::infra::registry::MANIFEST_MEDIA_TYPES)],
            Duration::from_secs(5),
        ))
        .map(|r| r.status)
        .unwrap_or(0)
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        (self.killer())();
    }
}

/// `METHOD PATH` to `host` over cachebench's loopback HTTP client (5 s limit).
pub fn http(
    method: &str,
    host: &str,
    path: &str,
) -> std::io::Result<cachebench::infra::http::Response> {
    block_on(cachebench::infra::http::tcp(
        method,
        host,
        path,
        &[],
        Duration::from_secs(5),
    ))
}

/// Runs one of cachebench's async helpers to completion (tests are synchronous).
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(f)
}
