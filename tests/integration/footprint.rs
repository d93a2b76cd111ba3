//! The footprint split against a registry whose contents the test knows: the host
//! engine pushes one build of the synthetic workload with provenance on (an index,
//! the image manifest and its attestation manifest) and a registry cache written
//! as ECR needs it (`mode=max,image-manifest=true,oci-mediatypes=true`: one image
//! manifest). cachebench's counts of image and cache must match what the test reads
//! itself from the registry API with curl (an independent walk), and the shape the
//! test pushed.

use super::common::host::{host_docker, host_lock};
use super::common::registry::{block_on, TestRegistry};
use super::common::runs::repo;
use super::common::scratch::nonce;
use std::collections::HashSet;
use std::process::Command;

const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// What the test counts itself: manifests, indexes, attestation manifests, blobs,
/// bytes (manifest bodies and distinct blobs).
#[derive(Debug, Default, PartialEq)]
struct Counted {
    manifests: u32,
    indexes: u32,
    attestations: u32,
    blobs: u32,
    bytes: u64,
}

/// GET a manifest with curl: its body.
fn curl_manifest(host: &str, repo: &str, reference: &str) -> Vec<u8> {
    let o = Command::new("curl")
        .args(["-sf", "-H", &format!("Accept: {ACCEPT}")])
        .arg(format!("http://{host}/v2/{repo}/manifests/{reference}"))
        .output()
        .expect("run curl");
    assert!(o.status.success(), "curl {repo}:{reference} failed");
    o.stdout
}

/// Walks `repo:tag` depth first, counting each manifest and blob once.
fn count(host: &str, repo: &str, tag: &str) -> Counted {
    let mut c = Counted::default();
    let mut seen_blobs = HashSet::new();
    let mut todo = vec![(tag.to_string(), false)];
    while let Some((reference, attestation)) = todo.pop() {
        let body = curl_manifest(host, repo, &reference);
        c.manifests += 1;
        c.bytes += body.len() as u64;
        if attestation {
            c.attestations += 1;
        }
        let m: serde_json::Value = serde_json::from_slice(&body).unwrap();
        if let Some(list) = m["manifests"].as_array() {
            c.indexes += 1;
            for d in list {
                let att = d["annotations"]["vnd.docker.reference.type"] == "attestation-manifest";
                todo.push((d["digest"].as_str().unwrap().to_string(), att));
            }
        }
        let layers = m["layers"].as_array().cloned().unwrap_or_default();
        for b in std::iter::once(&m["config"]).chain(layers.iter()) {
            if let Some(d) = b["digest"].as_str() {
                if seen_blobs.insert(d.to_string()) {
                    c.blobs += 1;
                    c.bytes += b["size"].as_u64().unwrap();
                }
            }
        }
    }
    c
}

#[test]
fn split_counts_match_the_registry_read_independently() {
    let reg = TestRegistry::start();
    let image = format!("{}/fp/app:img", reg.host);
    let cache = format!("{}/fp/app:cache", reg.host);
    {
        let _lock = host_lock();
        let ctx = repo().join("dockerfiles/synthetic");
        let o = host_docker(&[
            "buildx",
            "build",
            "--builder",
            "default",
            "--progress=plain",
            "--provenance=mode=min",
            "--build-arg",
            "DEPS_MB=1",
            "--build-arg",
            "DEPS_ROUNDS=1",
            "--build-arg",
            &format!("NONCE={}", nonce()),
            "-t",
            &image,
            "--cache-to",
            &format!("type=registry,ref={cache},mode=max,image-manifest=true,oci-mediatypes=true"),
            "--push",
            ctx.to_str().unwrap(),
        ]);
        assert!(
            o.status.success(),
            "host build and push: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let _ = host_docker(&["image", "rm", &image]);
    }
    let registry = cachebench::infra::registry::Registry::external(&format!("{}/fp", reg.host));
    let fp = block_on(
        registry.footprint_split(std::slice::from_ref(&image), std::slice::from_ref(&cache)),
    )
    .expect("footprint");
    let want_image = count(&reg.host, "fp/app", "img");
    let want_cache = count(&reg.host, "fp/app", "cache");
    let got = |f: cachebench::infra::registry::footprint::Footprint| Counted {
        manifests: f.manifests,
        indexes: f.indexes,
        attestations: f.attestations,
        blobs: f.blobs,
        bytes: f.bytes,
    };
    assert_eq!(got(fp.image), want_image, "image");
    assert_eq!(got(fp.cache), want_cache, "cache");
    // The shape the test pushed: an index over the image and its provenance.
    assert_eq!(
        (
            want_image.indexes,
            want_image.attestations,
            want_image.manifests
        ),
        (1, 1, 3),
        "{want_image:?}"
    );
    // image-manifest=true: the cache is one image manifest, no index.
    assert_eq!(
        (want_cache.indexes, want_cache.manifests),
        (0, 1),
        "{want_cache:?}"
    );
    assert_eq!((fp.image.tags, fp.cache.tags), (1, 1));
    // Together: what an ECR lifecycle rule counts, and blobs shared counted once.
    assert_eq!(
        fp.total.manifests,
        want_image.manifests + want_cache.manifests
    );
    assert!(fp.total.bytes <= fp.image.bytes + fp.cache.bytes);
    assert!(fp.total.bytes >= fp.image.bytes.max(fp.cache.bytes));
    // A tag that does not exist counts nothing.
    let none = block_on(registry.footprint(&[format!("{}/fp/app:absent", reg.host)])).unwrap();
    assert_eq!((none.tags, none.manifests, none.bytes), (0, 0, 0));
}

/// A real run's records carry the split: registry-cache with `--push` leaves one
/// image tag and one cache tag, its ECR artifacts are the manifests of both, and
/// local-cache measures its folder; `--cache-mode min` is recorded.
#[test]
fn a_run_records_the_split_the_local_folder_and_the_mode() {
    use super::common::records::records;
    use super::common::runs::{run, text, tiny_args};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut args = vec!["run".to_string()];
    args.extend(tiny_args(&out));
    args.extend(
        [
            "--strategy",
            "registry-cache",
            "--strategy",
            "local-cache",
            "--state",
            "cold",
            "--registry-cache-output",
            "push",
            "--cache-mode",
            "min",
        ]
        .map(String::from),
    );
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    for r in records(&out) {
        let f = &r.footprint;
        assert_eq!(f.cache_mode, "min", "{}", r.cell());
        assert!(
            r.commands[0].argv.iter().any(|a| a.contains("mode=min")),
            "{}",
            r.cell()
        );
        match r.strategy.as_str() {
            "registry-cache" => {
                assert_eq!((f.image_tags, f.cache_tags), (Some(1), Some(1)), "{f:?}");
                assert_eq!(f.cache_manifests, Some(1), "{f:?}");
                assert_eq!(
                    f.ecr_artifacts,
                    Some(f.image_manifests.unwrap() + f.cache_manifests.unwrap())
                );
                assert_eq!(f.ecr_artifacts, r.registry_manifests);
                assert!(f.cache_bytes.unwrap() > 1_000_000, "{f:?}");
            }
            _ => {
                assert_eq!(f.cache_tags, Some(0), "{f:?}");
                assert!(f.local_cache_files.unwrap() > 0, "{f:?}");
                assert!(f.local_cache_bytes.unwrap() > 1_000_000, "{f:?}");
            }
        }
    }
}
