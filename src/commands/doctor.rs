//! `cachebench doctor`: what is present and what is missing, each with the command
//! that fixes it. Reads only; changes nothing.

use crate::config::cli::DoctorCmd;
use crate::error::{exit, Result};
use crate::infra::process::{self, Spec};
use crate::util::which;
use std::time::Duration;

/// One check's result.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    /// What was found, when it was.
    pub found: Option<String>,
    /// The command that fixes it, when it is missing.
    pub fix: String,
    /// Whether a default run needs it.
    pub required: bool,
}

async fn out(args: &[&str], env: &[(String, String)]) -> Option<String> {
    process::output::output(
        &Spec::new("docker").args(args.iter().copied()).envs(env),
        Duration::from_secs(20),
    )
    .await
    .ok()
    .map(|s| s.trim().to_string())
    .filter(|s| !s.is_empty())
}

/// Runs every check against the engine at `docker_host` (or the default one).
pub async fn checks(docker_host: Option<&str>, buildkit_image: &str) -> Vec<Check> {
    let env: Vec<(String, String)> = docker_host
        .map(|h| vec![("DOCKER_HOST".to_string(), h.to_string())])
        .unwrap_or_default();
    let setup = "bash scripts/setup.sh".to_string();
    let mut v = Vec::new();
    v.push(Check {
        name: "docker CLI",
        found: out(&["version", "--format", "{{.Client.Version}}"], &env)
            .await
            .or_else(|| which("docker").map(|p| format!("{} (engine not answering)", p.display()))),
        fix: format!("{setup}   # or: apt-get install docker-cli"),
        required: true,
    });
    let dockerd = match which("dockerd") {
        Some(p) => process::output::output(
            &Spec::new(p.as_os_str()).arg("--version"),
            Duration::from_secs(10),
        )
        .await
        .ok()
        .map(|s| s.trim().to_string()),
        None => None,
    };
    v.push(Check {
        name: "dockerd",
        found: dockerd,
        fix: format!("{setup}   # or: apt-get install docker.io/trixie containerd/trixie"),
        required: docker_host.is_none(),
    });
    v.push(Check {
        name: "engine answering",
        found: out(&["version", "--format", "{{.Server.Version}}"], &env)
            .await
            .map(|s| format!("engine {s}")),
        fix: format!("{setup}   # starts dockerd in the background"),
        required: true,
    });
    let iptables = match which("iptables") {
        Some(p) => {
            process::output::output(&Spec::new(p.as_os_str()).arg("-V"), Duration::from_secs(10))
                .await
                .ok()
                .map(|s| format!("{} (egress of cachebench's engine)", s.trim()))
        }
        None => None,
    };
    v.push(Check {
        name: "iptables",
        found: iptables,
        fix: format!("{setup}   # or: apt-get install iptables (without it, builds on cachebench's engine get no network)"),
        required: false,
    });
    let store = out(&["info", "--format", "{{json .DriverStatus}}"], &env).await;
    v.push(Check {
        name: "containerd image store",
        found: store.and_then(|s| {
            s.contains("io.containerd.snapshotter")
                .then(|| "on (host engine); cachebench's own engine always turns it on".to_string())
        }),
        fix: "echo '{\"features\":{\"containerd-snapshotter\":true}}' > /etc/docker/daemon.json, then restart dockerd (cachebench's own engine needs nothing)".into(),
        required: false,
    });
    v.push(Check {
        name: "buildx",
        found: out(&["buildx", "version"], &env).await,
        fix: format!("{setup}   # or: apt-get install docker-buildx/trixie"),
        required: true,
    });
    v.push(Check {
        name: "registry binary",
        found: crate::infra::registry::find_binary().map(|p| p.display().to_string()),
        fix: format!("{setup}   # or: apt-get install docker-registry/trixie"),
        required: true,
    });
    v.push(Check {
        name: "base image local/busybox:latest",
        found: out(
            &[
                "image",
                "inspect",
                "--format",
                "{{.Id}}",
                "local/busybox:latest",
            ],
            &env,
        )
        .await,
        fix: format!("{setup}   # imports it from Debian's busybox-static"),
        required: true,
    });
    let bk = crate::infra::buildkit_image::resolve(buildkit_image, &env).await;
    v.push(Check {
        name: "docker-container BuildKit image",
        found: match &bk {
            Ok(r) => out(&["image", "inspect", "--format", "{{.Id}}", &r.image], &env)
                .await
                .map(|id| match &r.version {
                    Some(ver) => format!("{} (BuildKit {ver}) {id}", r.image),
                    None => format!("{} {id}", r.image),
                }),
            Err(_) => None,
        },
        fix: "bash scripts/build-buildkit-image.sh   # or give --buildkit-image IMAGE; without one docker-container cells are skipped"
            .to_string(),
        required: false,
    });
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    v.push(Check {
        name: "root (for cachebench's own engine)",
        found: root.then(|| "yes".to_string()),
        fix: "run as root, or use an existing engine: --docker-host URL --allow-prune".into(),
        required: docker_host.is_none(),
    });
    let tmp = std::env::temp_dir();
    v.push(Check {
        name: "free disk (temporary folder)",
        found: free_bytes(&tmp)
            .filter(|b| *b > 5 * 1024 * 1024 * 1024)
            .map(|b| {
                format!(
                    "{:.1} GiB free in {}",
                    b as f64 / (1u64 << 30) as f64,
                    tmp.display()
                )
            }),
        fix: format!("free at least 5 GiB in {} (or set TMPDIR)", tmp.display()),
        required: true,
    });
    v
}

/// Free bytes on the filesystem holding `path`.
pub fn free_bytes(path: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c is a valid NUL-terminated path and s a valid out-pointer.
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    Some(s.f_bavail as u64 * s.f_frsize as u64)
}

/// Prints the checks; returns true when every required one passed.
pub fn print(checks: &[Check]) -> bool {
    let mut ok = true;
    for c in checks {
        match &c.found {
            Some(f) => println!("ok       {:<36} {f}", c.name),
            None => {
                if c.required {
                    ok = false;
                }
                let tag = if c.required { "MISSING" } else { "missing" };
                println!("{tag:<8} {:<36} fix: {}", c.name, c.fix);
            }
        }
    }
    ok
}

/// `cachebench doctor`: exit 0 when every check passed.
pub(crate) async fn doctor_cmd(c: &DoctorCmd) -> Result<i32> {
    let image = c
        .buildkit_image
        .clone()
        .unwrap_or_else(|| crate::config::options::DEFAULT_BUILDKIT_IMAGE.to_string());
    let checks = checks(c.docker_host.as_deref(), &image).await;
    Ok(if print(&checks) {
        exit::OK
    } else {
        exit::USAGE
    })
}
