//! Helpers shared by the integration tests: running the binary, reading records,
//! scratch folders, a registry of the test's own, a fault-injecting proxy, and
//! checks for leftovers (processes, bridges, folders).
#![allow(dead_code)]

use cachebench::records::record::RunRecord;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cachebench"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn cachebench(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .env_remove("DOCKER_HOST")
        .output()
        .expect("run cachebench")
}

pub fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn records(out: &Path) -> Vec<RunRecord> {
    let (r, warning) = cachebench::records::results_writer::read_runs(out).expect("runs.jsonl");
    assert!(warning.is_none(), "{warning:?}");
    r
}

/// A tiny copy of the synthetic workload (1 MB dependency layer).
pub fn tiny_args(out: &Path) -> Vec<String> {
    let ctx = repo().join("dockerfiles/synthetic");
    vec![
        "--context".into(),
        ctx.display().to_string(),
        "--source-file".into(),
        "src/main.txt".into(),
        "--deps-file".into(),
        "deps.txt".into(),
        "--build-arg".into(),
        "DEPS_MB=1".into(),
        "--build-arg".into(),
        "DEPS_ROUNDS=1".into(),
        "--reps".into(),
        "1".into(),
        "--timeout".into(),
        "5m".into(),
        "--out".into(),
        out.display().to_string(),
    ]
}

/// `run` with [`tiny_args`], `--reps` set to `reps`, then `extra`.
pub fn tiny_run_args(out: &Path, reps: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["run".to_string()];
    args.extend(tiny_args(out));
    let i = args.iter().position(|a| a == "--reps").unwrap();
    args[i + 1] = reps.into();
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

pub fn run(args: &[String]) -> Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    cachebench(&refs)
}

pub fn assert_usage_error(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", text(o));
    let err = String::from_utf8_lossy(&o.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected: {err}");
    assert!(lines[0].contains(needle), "{needle:?} not in {err}");
}

/// Tests that change the host engine (tags, builds, prune) or compare its state
/// before and after hold this lock, so they never see each other's changes.
pub fn host_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A unique token for names and values of this test.
pub fn nonce() -> String {
    use std::sync::atomic::AtomicU32;
    static N: AtomicU32 = AtomicU32::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{:x}{:x}{}",
        std::process::id(),
        t & 0xffff_ffff,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// A short scratch folder under /tmp (unix socket paths below it must stay short),
/// given to cachebench as TMPDIR so its work folder can be found and checked.
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("cbt-")
        .tempdir_in("/tmp")
        .expect("scratch folder")
}

/// A build context holding only `Dockerfile` with `body`.
pub fn context_with(dir: &Path, body: &str) -> PathBuf {
    let ctx = dir.join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("Dockerfile"), body).unwrap();
    ctx
}

/// `cachebench ARGS` with `TMPDIR` and extra environment, to completion.
pub fn run_env(args: &[String], tmpdir: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(bin());
    c.args(args).env_remove("DOCKER_HOST").env("TMPDIR", tmpdir);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run cachebench")
}

/// `cachebench ARGS` started in the background (stdout/stderr to files in `dir`).
pub fn spawn(args: &[String], tmpdir: &Path, dir: &Path) -> std::process::Child {
    let out = std::fs::File::create(dir.join("cb.stdout")).unwrap();
    let err = std::fs::File::create(dir.join("cb.stderr")).unwrap();
    Command::new(bin())
        .args(args)
        .env_remove("DOCKER_HOST")
        .env("TMPDIR", tmpdir)
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start cachebench")
}

/// Waits for a background cachebench; its output for messages.
pub fn wait_child(
    child: &mut std::process::Child,
    dir: &Path,
    limit: Duration,
) -> (Option<i32>, String) {
    let t0 = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            let text = format!(
                "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
                st.code(),
                std::fs::read_to_string(dir.join("cb.stdout")).unwrap_or_default(),
                std::fs::read_to_string(dir.join("cb.stderr")).unwrap_or_default()
            );
            return (st.code(), text);
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            panic!(
                "cachebench did not end within {limit:?}; stderr:\n{}",
                std::fs::read_to_string(dir.join("cb.stderr")).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Polls `f` every 50 ms until it is true; panics with `what` after `limit`.
pub fn wait_until(limit: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !f() {
        assert!(t0.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Number of complete lines in OUT/runs.jsonl.
pub fn jsonl_lines(out: &Path) -> usize {
    std::fs::read_to_string(out.join("runs.jsonl"))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// Raw log files (`*.log`, not the `.txt` transcripts) in OUT/logs whose text
/// contains `needle`.
pub fn logs_containing(out: &Path, needle: &str) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(out.join("logs")) else {
        return vec![];
    };
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .filter(|p| {
            std::fs::read_to_string(p)
                .map(|t| t.contains(needle))
                .unwrap_or(false)
        })
        .collect();
    v.sort();
    v
}

/// cachebench's own dockerd pid, from the pidfile in its work folder under `tmpdir`.
pub fn engine_pid(tmpdir: &Path) -> Option<i32> {
    for e in std::fs::read_dir(tmpdir).ok()?.flatten() {
        let p = e.path().join("engine/docker.pid");
        if let Ok(t) = std::fs::read_to_string(&p) {
            if let Ok(pid) = t.trim().parse() {
                return Some(pid);
            }
        }
    }
    None
}

/// Command lines of live processes that mention `needle`.
pub fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut v = vec![];
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        // Zombies have an empty cmdline; they hold nothing.
        if let Ok(b) = std::fs::read(e.path().join("cmdline")) {
            let c = String::from_utf8_lossy(&b).replace('\0', " ");
            if c.contains(needle) {
                v.push(format!("{pid}: {c}"));
            }
        }
    }
    v
}

/// The `--bridge=NAME` of a running dockerd whose command line mentions `needle`.
pub fn bridge_of_engine(needle: &str) -> Option<String> {
    processes_mentioning(needle).iter().find_map(|c| {
        c.split_whitespace()
            .find_map(|a| a.strip_prefix("--bridge="))
            .map(String::from)
    })
}

/// Network links (`ip -br link`), names only.
pub fn links() -> Vec<String> {
    let o = Command::new("ip").args(["-br", "link"]).output().unwrap();
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|n| n.split('@').next().unwrap_or(n).to_string())
        .collect()
}

/// Entries of `dir` whose names start with `cachebench-`.
pub fn work_folders(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("cachebench-"))
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts the run left no process, bridge or work folder behind.
pub fn assert_no_leftovers(tmpdir: &Path, bridge: Option<&str>) {
    let needle = tmpdir.display().to_string();
    let t0 = Instant::now();
    // Killed processes take a moment to be reaped.
    while !processes_mentioning(&needle).is_empty() && t0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let procs = processes_mentioning(&needle);
    assert!(procs.is_empty(), "processes of the run left: {procs:#?}");
    if let Some(b) = bridge {
        assert!(
            !links().iter().any(|l| l == b),
            "bridge {b} of the run left: {:?}",
            links()
        );
        let rules = firewall_rules_of(b);
        assert!(rules.is_empty(), "egress rules of {b} left: {rules:#?}");
    }
    let left = work_folders(tmpdir);
    assert!(left.is_empty(), "work folders left in {needle}: {left:?}");
}

/// `docker ARGS` against the host engine.
pub fn host_docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .env_remove("DOCKER_HOST")
        .output()
        .expect("run docker")
}

pub fn host_docker_ok(args: &[&str]) -> String {
    let o = host_docker(args);
    assert!(
        o.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

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
    pub dir: tempfile::TempDir,
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
            dir,
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

/// A fault-injecting TCP proxy on a free loopback port, in front of a registry.
pub struct FaultProxy {
    pub host: String,
    /// Set once the fault was injected.
    pub tripped: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Answers `HTTP/1.1 500` to every request.
    pub fn always_500() -> FaultProxy {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let host = l.local_addr().unwrap().to_string();
        let tripped = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (t, st) = (tripped.clone(), stop.clone());
        l.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                match l.accept() {
                    Ok((mut s, _)) => {
                        t.store(true, Ordering::SeqCst);
                        std::thread::spawn(move || {
                            let _ = s.set_nonblocking(false);
                            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                            let mut buf = [0u8; 65536];
                            let _ = s.read(&mut buf);
                            let body = "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"injected fault\"}]}";
                            let _ = write!(
                                s,
                                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                                body.len()
                            );
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        FaultProxy {
            host,
            tripped,
            stop,
        }
    }

    /// Forwards to `upstream`; once more than `after` bytes went towards it (only
    /// a blob upload is that big), calls `fault` (kills the registry) and drops
    /// every connection, then refuses all later ones.
    pub fn kill_mid_upload(
        upstream: &str,
        after: u64,
        fault: impl Fn() + Send + Sync + 'static,
    ) -> FaultProxy {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let host = l.local_addr().unwrap().to_string();
        let tripped = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let fault = Arc::new(fault);
        let upstream = upstream.to_string();
        let (t, st) = (tripped.clone(), stop.clone());
        l.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                let Ok((client, _)) = l.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                let _ = client.set_nonblocking(false);
                if t.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                // Upstream → client.
                std::thread::spawn(move || pipe(s2, c2, None));
                // Client → upstream, counted.
                let (t, sent, fault) = (t.clone(), sent.clone(), fault.clone());
                std::thread::spawn(move || {
                    pipe(
                        client,
                        server,
                        Some(Box::new(move |n| {
                            let total = sent.fetch_add(n, Ordering::SeqCst) + n;
                            if total > after && !t.swap(true, Ordering::SeqCst) {
                                fault();
                            }
                            t.load(Ordering::SeqCst)
                        })),
                    )
                });
            }
        });
        FaultProxy {
            host,
            tripped,
            stop,
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Copies `from` to `to`; `count` is told each chunk's size and returns true to
/// cut the connection.
fn pipe(mut from: TcpStream, mut to: TcpStream, count: Option<Box<dyn Fn(u64) -> bool + Send>>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(c) = &count {
            if c(n as u64) {
                break;
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(std::net::Shutdown::Both);
    let _ = to.shutdown(std::net::Shutdown::Both);
}

/// Arguments of a small matrix on `ctx`: cold state, no change, one rep.
pub fn small_args(ctx: &Path, out: &Path, strategies: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "run",
        "--context",
        ctx.to_str().unwrap(),
        "--state",
        "cold",
        "--change",
        "none",
        "--reps",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for s in strategies {
        a.push("--strategy".into());
        a.push(s.to_string());
    }
    a
}

/// Records, tolerating (and returning) a warning about a truncated last line.
pub fn records_lenient(out: &Path) -> Vec<RunRecord> {
    cachebench::records::results_writer::read_runs(out)
        .expect("runs.jsonl")
        .0
}

/// Firewall rules (`iptables -S`, nat and filter) tagged `cachebench:BRIDGE`.
pub fn firewall_rules_of(bridge: &str) -> Vec<String> {
    let tag = format!("cachebench:{bridge}\"");
    let mut v = vec![];
    for table in ["nat", "filter"] {
        let o = Command::new("iptables")
            .args(["-w", "5", "-t", table, "-S"])
            .output()
            .expect("run iptables");
        assert!(o.status.success(), "iptables -t {table} -S failed");
        v.extend(
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter(|l| l.contains(&tag))
                .map(|l| format!("{table}: {l}")),
        );
    }
    v
}

/// The containerd image store's known snapshot race (containerd#3787, seen with
/// Docker 29 in ddev#8136): an image unpack whose parent snapshot the engine's
/// garbage collector removed meanwhile. It is the engine's failure, not
/// cachebench's; cachebench records the run as failed and the chain re-warms.
pub fn known_engine_race(reason: &str) -> bool {
    reason.contains("failed to prepare extraction snapshot")
        && reason.contains("parent snapshot")
        && reason.contains("does not exist")
}

/// Exit 0 when every measured run is ok; exit 1 when the only failures are the
/// engine's known snapshot race and every cell that hit it ran ok afterwards (its
/// chain re-warmed). Returns the runs that ended ok.
pub fn ok_runs_allowing_the_engine_race(
    o: &std::process::Output,
    runs: &[cachebench::records::record::RunRecord],
) -> Vec<cachebench::records::record::RunRecord> {
    use cachebench::records::record::RunStatus;
    let raced: Vec<_> = runs.iter().filter(|r| r.status != RunStatus::Ok).collect();
    for r in &raced {
        assert!(known_engine_race(&r.reason), "{r:#?}\n{}", text(o));
        assert!(
            runs.iter()
                .any(|l| l.cell() == r.cell() && l.rep > r.rep && l.status == RunStatus::Ok),
            "{} rep {} hit the engine race and no later run of it was ok:\n{}",
            r.cell(),
            r.rep,
            text(o)
        );
    }
    let want = if raced.is_empty() { 0 } else { 1 };
    assert_eq!(o.status.code(), Some(want), "{}", text(o));
    runs.iter()
        .filter(|r| r.status == RunStatus::Ok)
        .cloned()
        .collect()
}
