//! Short synchronous commands (`ip`, `iptables`, `sysctl`) run by the network code,
//! also from `Drop` during teardown: each in its own process group, killed after
//! [`CMD_LIMIT`].

use crate::infra::process;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Limit of one `iptables`/`ip` command (the xtables lock wait included).
pub const CMD_LIMIT: Duration = Duration::from_secs(10);

pub(crate) fn quick_out(program: &str, args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    quick_args(program, &args).unwrap_or_default()
}

pub(crate) fn quick(program: &str, args: &[&str]) -> Result<String, String> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    quick_args(program, &args)
}

/// Runs a short command synchronously (teardown runs on drop) in its own process
/// group, killed after [`CMD_LIMIT`]; its stdout, or an error with its stderr.
pub(crate) fn quick_args(program: &str, args: &[String]) -> Result<String, String> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let shown = format!("{program} {}", args.join(" "));
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("failed to run `{shown}`: {e}"))?;
    let (mut so, mut se) = (child.stdout.take(), child.stderr.take());
    let reader = std::thread::spawn(move || {
        let (mut a, mut b) = (String::new(), String::new());
        if let Some(s) = so.as_mut() {
            let _ = s.read_to_string(&mut a);
        }
        if let Some(s) = se.as_mut() {
            let _ = s.read_to_string(&mut b);
        }
        (a, b)
    });
    let t0 = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if t0.elapsed() < CMD_LIMIT => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                process::groups::signal_group(child.id() as i32, libc::SIGKILL);
                let _ = child.wait();
                return Err(format!(
                    "`{shown}` did not finish within {}s",
                    CMD_LIMIT.as_secs()
                ));
            }
        }
    };
    let (out, err) = reader.join().unwrap_or_default();
    if status.success() {
        Ok(out)
    } else {
        Err(format!("`{shown}` {status}: {}", err.trim()))
    }
}
