//! The Debian archive this machine's apt uses (a corporate mirror or proxy
//! included), read from its apt sources: the default target of the egress probe
//! and of the network workload's tests. The same rule as `debian_mirror` in
//! `scripts/lib/apt-mirror.sh`; never a host written into the project.

use std::path::{Path, PathBuf};

/// The apt source files, in the order they are read.
pub fn source_files() -> Vec<PathBuf> {
    let mut files = vec![
        PathBuf::from("/etc/apt/sources.list.d/debian.sources"),
        PathBuf::from("/etc/apt/sources.list"),
    ];
    let mut more: Vec<PathBuf> = std::fs::read_dir("/etc/apt/sources.list.d")
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    more.retain(|p| p.extension().is_some_and(|e| e == "sources" || e == "list"));
    more.sort();
    files.extend(more);
    files
}

/// The first Debian archive URI (`…/debian`, no trailing slash) of the machine's
/// apt sources, or `None`.
pub fn debian_mirror() -> Option<String> {
    let texts: Vec<String> = source_files()
        .iter()
        .filter_map(|p| std::fs::read_to_string(Path::new(p)).ok())
        .collect();
    first_debian_uri(texts.iter().map(String::as_str))
}

/// The first `URIs:` (deb822) or `deb` (one-line) URI ending in `/debian` among
/// `texts`, skipping security archives and cachebench's own source files.
pub fn first_debian_uri<'a>(texts: impl IntoIterator<Item = &'a str>) -> Option<String> {
    for text in texts {
        for line in text.lines() {
            let line = line.trim();
            if line.contains("security") || line.contains("cachebench") {
                continue;
            }
            let rest = if let Some(r) = line.strip_prefix("URIs:") {
                r.trim()
            } else if let Some(r) = line.strip_prefix("deb ") {
                let r = r.trim();
                match r.strip_prefix('[') {
                    Some(opts) => opts.split_once(']').map(|(_, r)| r.trim()).unwrap_or(""),
                    None => r,
                }
            } else {
                continue;
            };
            for uri in rest.split_whitespace() {
                let uri = uri.trim_end_matches('/');
                if uri.ends_with("/debian") && uri.contains("://") {
                    return Some(uri.to_string());
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb822_and_one_line_sources() {
        let deb822 = "Types: deb\n# http://snapshot.mirror.example/archive/debian/x\nURIs: http://mirror.example/debian/\nSuites: bookworm\n";
        assert_eq!(
            first_debian_uri([deb822]).as_deref(),
            Some("http://mirror.example/debian")
        );
        let list = "# comment\ndeb [arch=amd64 signed-by=/k.gpg] https://proxy.corp/debian bookworm main\n";
        assert_eq!(
            first_debian_uri([list]).as_deref(),
            Some("https://proxy.corp/debian")
        );
    }

    #[test]
    fn security_other_archives_and_cachebench_files_are_skipped() {
        let a = "URIs: http://m.example/debian-security\n";
        let b = "deb https://packages.cloud.example/apt cloud-sdk main\nURIs: http://cachebench.example/debian\n";
        let c = "URIs: http://second.example/debian\n";
        assert_eq!(
            first_debian_uri([a, b, c]).as_deref(),
            Some("http://second.example/debian")
        );
        assert_eq!(first_debian_uri([a, b]), None);
    }
}
