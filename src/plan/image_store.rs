//! The image store axis: which store an engine uses (`docker info`), what an engine
//! on a given store cannot do (with the engine's own words as the reason), and
//! the order cells of several stores run in.
//!
//! cachebench's own engine runs either store (containerd snapshotter on, or the
//! overlay2 graphdriver); an engine it does not own is used as it is, and cells
//! asking for the other store are skipped.

use crate::config::matrix::{BuilderKind, ImageStore, Strategy};

/// What buildx says when a cache export is asked of the docker driver on the
/// classic store (buildx 0.13: "Cache export is not supported for the docker
/// driver. Switch to a different driver, or turn on the containerd image store,
/// and try again."). The skip reason quotes it; an integration test checks that
/// the real command fails with it.
pub const CLASSIC_CACHE_EXPORT_ERROR: &str = "Cache export is not supported for the docker driver";

/// Environment variable that makes cachebench run the cells its engine cannot
/// run (instead of planning them as skipped), so the real failure is recorded:
/// `CACHEBENCH_UNSUPPORTED_CELLS=run`. For checking that a skip reason is honest.
pub const UNSUPPORTED_CELLS_ENV: &str = "CACHEBENCH_UNSUPPORTED_CELLS";

/// True when [`UNSUPPORTED_CELLS_ENV`] asks to run unsupported cells.
pub fn run_unsupported_from_env() -> bool {
    std::env::var(UNSUPPORTED_CELLS_ENV).is_ok_and(|v| v == "run")
}

/// Why an engine on `store` cannot run the cell, in the engine's own words.
pub fn engine_skip(strategy: Strategy, builder: BuilderKind, store: ImageStore) -> Option<String> {
    use Strategy::*;
    if store == ImageStore::Classic
        && builder == BuilderKind::Docker
        && matches!(strategy, RegistryCache | LocalCache | GhaCache)
    {
        return Some(format!(
            "the docker driver cannot export cache on the classic image store: buildx refuses \
             `--cache-to` there (\"{CLASSIC_CACHE_EXPORT_ERROR}. Switch to a different driver, or \
             turn on the containerd image store, and try again\"); run it with --builder \
             docker-container or --image-store containerd"
        ));
    }
    None
}

/// Why a cell asking for `wanted` cannot run on an engine cachebench does not own.
pub fn foreign_store_skip(host: &str, has: ImageStore, wanted: ImageStore) -> Option<String> {
    (has != wanted).then(|| {
        format!(
            "the engine at {host} uses the {has} image store; cachebench does not reconfigure an \
             engine it does not own (drop --docker-host to run the {wanted} store on cachebench's \
             own engine)"
        )
    })
}

/// The store from `docker info --format '{{json .}}'` (or any JSON holding its
/// `Driver` and `DriverStatus`): containerd when a DriverStatus row names
/// `io.containerd.snapshotter`, classic when a graphdriver (overlay2, …) is named.
pub fn parse_docker_info(json: &str) -> Option<ImageStore> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    let snapshotter = v
        .get("DriverStatus")
        .and_then(|d| d.as_array())
        .is_some_and(|rows| {
            rows.iter()
                .flat_map(|r| r.as_array().into_iter().flatten())
                .any(|s| {
                    s.as_str()
                        .is_some_and(|s| s.contains("io.containerd.snapshotter"))
                })
        });
    if snapshotter {
        return Some(ImageStore::Containerd);
    }
    v.get("Driver")
        .and_then(|d| d.as_str())
        .filter(|d| !d.is_empty())
        .map(|_| ImageStore::Classic)
}

/// The stores to run, in order: the ones named, or, when none was named and the
/// engine is not cachebench's, the engine's own.
pub fn planned(named: &[ImageStore], given: bool, external: Option<ImageStore>) -> Vec<ImageStore> {
    match (given, external) {
        (false, Some(s)) => vec![s],
        _ => named.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_info_names_the_store() {
        let c = r#"{"Driver":"overlayfs","DriverStatus":[["driver-type","io.containerd.snapshotter.v1"]]}"#;
        assert_eq!(parse_docker_info(c), Some(ImageStore::Containerd));
        let o = r#"{"Driver":"overlay2","DriverStatus":[["Backing Filesystem","extfs"],["Supports d_type","true"],["Using metacopy","false"],["Native Overlay Diff","true"],["userxattr","false"]]}"#;
        assert_eq!(parse_docker_info(o), Some(ImageStore::Classic));
        assert_eq!(parse_docker_info("{}"), None);
        assert_eq!(parse_docker_info("not json"), None);
    }

    #[test]
    fn cache_export_on_classic_docker_driver_is_skipped_with_builds_own_words() {
        let r = engine_skip(
            Strategy::RegistryCache,
            BuilderKind::Docker,
            ImageStore::Classic,
        )
        .unwrap();
        assert!(r.contains(CLASSIC_CACHE_EXPORT_ERROR), "{r}");
        for s in [Strategy::LocalCache, Strategy::GhaCache] {
            assert!(engine_skip(s, BuilderKind::Docker, ImageStore::Classic).is_some());
        }
        for s in [
            Strategy::InlineCache,
            Strategy::Push,
            Strategy::LoadPush,
            Strategy::Legacy,
        ] {
            assert!(engine_skip(s, BuilderKind::Docker, ImageStore::Classic).is_none());
        }
        assert!(engine_skip(
            Strategy::RegistryCache,
            BuilderKind::DockerContainer,
            ImageStore::Classic
        )
        .is_none());
        assert!(engine_skip(
            Strategy::RegistryCache,
            BuilderKind::Docker,
            ImageStore::Containerd
        )
        .is_none());
    }

    #[test]
    fn foreign_engine_keeps_its_store() {
        let r = foreign_store_skip(
            "unix:///x.sock",
            ImageStore::Classic,
            ImageStore::Containerd,
        )
        .unwrap();
        assert!(r.starts_with(
            "the engine at unix:///x.sock uses the classic image store; cachebench does not \
             reconfigure an engine it does not own"
        ));
        assert!(foreign_store_skip("h", ImageStore::Classic, ImageStore::Classic).is_none());
        let both = [ImageStore::Containerd, ImageStore::Classic];
        assert_eq!(
            planned(&both, false, Some(ImageStore::Classic)),
            vec![ImageStore::Classic]
        );
        assert_eq!(
            planned(&both, true, Some(ImageStore::Classic)),
            both.to_vec()
        );
        assert_eq!(
            planned(&both[..1], false, None),
            vec![ImageStore::Containerd]
        );
    }
}
