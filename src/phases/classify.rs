//! The classification table: which BuildKit vertex names and status ids belong to
//! which [`Phase`]. Everything here is pure string matching, so it is unit-tested
//! on its own and can be extended without touching the parsers.

use super::phase::Phase;

/// How a name is matched against a table row.
#[derive(Debug, Clone, Copy)]
pub enum Pat {
    /// The name starts with this text.
    Prefix(&'static str),
    /// The name starts with the first text and ends with the second.
    PrefixSuffix(&'static str, &'static str),
}

impl Pat {
    fn matches(self, name: &str) -> bool {
        match self {
            Pat::Prefix(p) => name.starts_with(p),
            Pat::PrefixSuffix(p, s) => name.starts_with(p) && name.ends_with(s),
        }
    }
}

/// Vertex names, first match wins (so `exporting cache …` is listed before the
/// generic `exporting to …` rows).
///
/// | vertex name                                   | phase          | why |
/// |-----------------------------------------------|----------------|-----|
/// | `[internal] booting buildkit`                 | builder_create | docker-container/kubernetes drivers start BuildKit |
/// | `[internal] load build definition from …`     | context        | the Dockerfile is sent |
/// | `[internal] load .dockerignore`               | context        | |
/// | `[internal] load build context`               | context        | the context is sent |
/// | `[internal] load remote build context`        | context        | git/URL contexts |
/// | `resolve image config for …`                  | context        | `# syntax=` frontend resolution |
/// | `[internal] load metadata for …`              | base_pull      | base image manifest/config |
/// | `importing cache manifest from …`             | cache_import   | every `--cache-from` |
/// | `exporting cache …`                           | cache_export   | registry, local, s3, azblob … |
/// | `preparing layers for inline cache`           | cache_export   | `--cache-to type=inline` |
/// | `exporting to GitHub Actions Cache`           | cache_export   | `type=gha` |
/// | `exporting to image`                          | image_export   | |
/// | `exporting to oci image format`               | image_export   | `type=oci` |
/// | `exporting to docker image format`            | image_export   | `type=docker` |
/// | `exporting to client …`                       | image_export   | `type=local` / `type=tar` outputs |
/// | `pushing … with docker`                       | push           | docker driver `--push` |
/// | `sending tarball`                             | load           | docker-container `--load` |
/// | `importing to docker`                         | load           | |
/// | `unpacking to …`                              | load           | |
///
/// Not in the table, handled by [`classify_vertex`]: steps `[n/m] …` /
/// `[stage n/m] …` (a `FROM` step is base_pull, others are steps) and `[auth] …`.
pub const VERTEX_TABLE: &[(Pat, Phase)] = &[
    (
        Pat::Prefix("[internal] booting buildkit"),
        Phase::BuilderCreate,
    ),
    (
        Pat::Prefix("[internal] load build definition from"),
        Phase::Context,
    ),
    (Pat::Prefix("[internal] load .dockerignore"), Phase::Context),
    (Pat::Prefix("[internal] load build context"), Phase::Context),
    (
        Pat::Prefix("[internal] load remote build context"),
        Phase::Context,
    ),
    (Pat::Prefix("resolve image config for"), Phase::Context),
    (Pat::Prefix("[internal] load metadata for"), Phase::BasePull),
    (
        Pat::Prefix("importing cache manifest from"),
        Phase::CacheImport,
    ),
    (Pat::Prefix("exporting cache"), Phase::CacheExport),
    (
        Pat::Prefix("preparing layers for inline cache"),
        Phase::CacheExport,
    ),
    (
        Pat::Prefix("exporting to GitHub Actions Cache"),
        Phase::CacheExport,
    ),
    (Pat::Prefix("exporting to image"), Phase::ImageExport),
    (
        Pat::Prefix("exporting to oci image format"),
        Phase::ImageExport,
    ),
    (
        Pat::Prefix("exporting to docker image format"),
        Phase::ImageExport,
    ),
    (Pat::Prefix("exporting to client"), Phase::ImageExport),
    (Pat::PrefixSuffix("pushing ", " with docker"), Phase::Push),
    (Pat::Prefix("sending tarball"), Phase::Load),
    (Pat::Prefix("importing to docker"), Phase::Load),
    (Pat::Prefix("unpacking to"), Phase::Load),
];

/// Status ids that belong to a phase other than their vertex's (statuses not
/// listed inherit the phase of their vertex).
///
/// | status id                            | phase        |
/// |--------------------------------------|--------------|
/// | `pushing layers`, `pushing layer …`, `pushing manifest for …`, `pushing …` | push |
/// | `sending tarball`, `importing to docker`, `unpacking to …` | load |
/// | `preparing layers for inline cache`  | cache_export |
/// | `importing cache manifest …`, `inferred cache manifest type …` | cache_import |
///
/// One more rule lives in the parser because it needs the vertex state: a blob
/// transfer (`sha256:…` id) or its extraction (`extracting sha256:…`) under a
/// *cached* step is the download/unpacking of a layer from an imported cache, so
/// it is cache_import, not steps.
pub const STATUS_TABLE: &[(Pat, Phase)] = &[
    (Pat::Prefix("pushing "), Phase::Push),
    (Pat::Prefix("sending tarball"), Phase::Load),
    (Pat::Prefix("importing to docker"), Phase::Load),
    (Pat::Prefix("unpacking to"), Phase::Load),
    (
        Pat::Prefix("preparing layers for inline cache"),
        Phase::CacheExport,
    ),
    (Pat::Prefix("importing cache manifest"), Phase::CacheImport),
    (
        Pat::Prefix("inferred cache manifest type"),
        Phase::CacheImport,
    ),
];

/// What a vertex is, from its name alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VertexClass {
    /// All of the vertex's time belongs to this phase (includes `FROM` steps,
    /// which are base_pull).
    Phase(Phase),
    /// A Dockerfile step other than `FROM`: phase `steps`, counted in
    /// steps_total / steps_cached and reported per step.
    Step,
    /// `[auth] <repo>:<scope> token for <host>`: resolved once the whole build is
    /// known by [`classify_auth`].
    Auth,
    /// Not recognised: its time stays in `other` and its name is kept.
    Unknown,
}

/// Classifies a vertex by name.
pub fn classify_vertex(name: &str) -> VertexClass {
    if let Some(rest) = step_instruction(name) {
        return if rest.starts_with("FROM ") || rest == "FROM" {
            VertexClass::Phase(Phase::BasePull)
        } else {
            VertexClass::Step
        };
    }
    if name.starts_with("[auth] ") {
        return VertexClass::Auth;
    }
    VERTEX_TABLE
        .iter()
        .find(|(pat, _)| pat.matches(name))
        .map_or(VertexClass::Unknown, |(_, p)| VertexClass::Phase(*p))
}

/// The phase a status id forces, if any (otherwise it inherits its vertex's).
pub fn classify_status(id: &str) -> Option<Phase> {
    STATUS_TABLE
        .iter()
        .find(|(pat, _)| pat.matches(id))
        .map(|(_, p)| *p)
}

/// Decides an `[auth] <repo>:<scope> token for <host>` vertex once the cache
/// import refs of the build are known:
/// - the repo (on that host) is one of the `importing cache manifest from <ref>`
///   refs → cache_import (the token is fetched to read the cache);
/// - else the scope includes `push` → push;
/// - else base_pull (a token to pull a base image).
pub fn classify_auth(name: &str, cache_import_refs: &[&str]) -> Phase {
    let body = name.trim_start_matches("[auth] ");
    let (scoped, host) = body.split_once(" token for ").unwrap_or((body, ""));
    let (repo, scope) = scoped.rsplit_once(':').unwrap_or((scoped, ""));
    let host = if host == "registry-1.docker.io" {
        "docker.io"
    } else {
        host
    };
    let wanted = if host.is_empty() {
        repo.to_string()
    } else {
        format!("{host}/{repo}")
    };
    let imports = cache_import_refs
        .iter()
        .any(|r| r.starts_with(&wanted) || (host == "docker.io" && r.starts_with(repo)));
    if imports {
        Phase::CacheImport
    } else if scope.split(',').any(|s| s == "push") {
        Phase::Push
    } else {
        Phase::BasePull
    }
}

/// For `[n/m] INSTR …` or `[stage n/m] INSTR …` returns `INSTR …`.
pub fn step_instruction(name: &str) -> Option<&str> {
    if !name.starts_with('[') {
        return None;
    }
    let inner_end = name.find(']')?;
    let inner = name.get(1..inner_end)?;
    let last = inner.rsplit(' ').next()?;
    let (n, m) = last.split_once('/')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(n) && digits(m)) {
        return None;
    }
    Some(name[inner_end + 1..].trim_start())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vertex_table() {
        use Phase::*;
        use VertexClass as V;
        let cases: &[(&str, VertexClass)] = &[
            ("[internal] booting buildkit", V::Phase(BuilderCreate)),
            (
                "[internal] load build definition from Dockerfile",
                V::Phase(Context),
            ),
            ("[internal] load .dockerignore", V::Phase(Context)),
            ("[internal] load build context", V::Phase(Context)),
            ("[internal] load remote build context", V::Phase(Context)),
            (
                "resolve image config for docker-image://docker.io/docker/dockerfile:1",
                V::Phase(Context),
            ),
            (
                "[internal] load metadata for docker.io/library/alpine:3.20",
                V::Phase(BasePull),
            ),
            (
                "[1/4] FROM docker.io/local/busybox:latest@sha256:2b29",
                V::Phase(BasePull),
            ),
            (
                "[deps 1/2] FROM docker.io/local/busybox:latest",
                V::Phase(BasePull),
            ),
            ("[stage-1 2/4] COPY --from=deps /dep.bin /deps/", V::Step),
            ("[2/4] RUN dd if=/dev/urandom of=/dep.bin", V::Step),
            ("[linux/amd64 builder 3/5] RUN make", V::Step),
            (
                "importing cache manifest from 127.0.0.1:5077/x:cache",
                V::Phase(CacheImport),
            ),
            ("exporting cache to registry", V::Phase(CacheExport)),
            ("exporting cache to client directory", V::Phase(CacheExport)),
            ("preparing layers for inline cache", V::Phase(CacheExport)),
            ("exporting to GitHub Actions Cache", V::Phase(CacheExport)),
            ("exporting to image", V::Phase(ImageExport)),
            ("exporting to oci image format", V::Phase(ImageExport)),
            ("exporting to docker image format", V::Phase(ImageExport)),
            ("exporting to client directory", V::Phase(ImageExport)),
            (
                "pushing 127.0.0.1:5077/app:push with docker",
                V::Phase(Push),
            ),
            ("sending tarball", V::Phase(Load)),
            ("importing to docker", V::Phase(Load)),
            (
                "[auth] library/alpine:pull token for registry-1.docker.io",
                V::Auth,
            ),
            ("[internal] settings cache mount permissions", V::Unknown),
            ("merging", V::Unknown),
            ("[not a step] RUN x", V::Unknown),
            ("", V::Unknown),
            ("[", V::Unknown),
            ("]", V::Unknown),
            ("[1/] RUN", V::Unknown),
        ];
        for (name, want) in cases {
            assert_eq!(classify_vertex(name), *want, "{name}");
        }
    }

    #[test]
    fn status_table() {
        use Phase::*;
        assert_eq!(classify_status("pushing layers"), Some(Push));
        assert_eq!(classify_status("pushing layer 18a5733fdb08"), Some(Push));
        assert_eq!(
            classify_status("pushing manifest for 127.0.0.1:5077/a@sha256:1"),
            Some(Push)
        );
        assert_eq!(
            classify_status("unpacking to docker.io/library/x:1"),
            Some(Load)
        );
        assert_eq!(classify_status("sending tarball"), Some(Load));
        assert_eq!(classify_status("importing to docker"), Some(Load));
        assert_eq!(
            classify_status("preparing layers for inline cache"),
            Some(CacheExport)
        );
        assert_eq!(
            classify_status(
                "inferred cache manifest type: application/vnd.oci.image.index.v1+json"
            ),
            Some(CacheImport)
        );
        assert_eq!(classify_status("exporting layers"), None);
        assert_eq!(classify_status("sha256:abc"), None);
        assert_eq!(classify_status("writing layer sha256:abc"), None);
    }

    #[test]
    fn auth_rule() {
        let refs = ["ghcr.io/acme/cache:buildcache", "docker.io/acme/c2:main"];
        assert_eq!(
            classify_auth("[auth] acme/cache:pull token for ghcr.io", &refs),
            Phase::CacheImport
        );
        assert_eq!(
            classify_auth("[auth] acme/c2:pull token for registry-1.docker.io", &refs),
            Phase::CacheImport
        );
        assert_eq!(
            classify_auth("[auth] acme/app:pull,push token for ghcr.io", &refs),
            Phase::Push
        );
        assert_eq!(
            classify_auth(
                "[auth] library/alpine:pull token for registry-1.docker.io",
                &refs
            ),
            Phase::BasePull
        );
        assert_eq!(classify_auth("[auth] garbage", &[]), Phase::BasePull);
    }
}
