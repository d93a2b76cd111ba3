use super::*;
use chrono::Utc;

#[test]
fn protocol_follows_the_builders_buildkit_unless_forced() {
    use BuilderKind::*;
    let auto = GhaProtocol::Auto;
    assert_eq!(
        protocol_for(auto, DockerContainer, Some("v0.13.2"), None),
        ApiVersion::V1
    );
    assert_eq!(
        protocol_for(auto, DockerContainer, Some("v0.25.2"), None),
        ApiVersion::V2
    );
    assert_eq!(
        protocol_for(auto, DockerContainer, Some("v0.20.0"), None),
        ApiVersion::V2
    );
    assert_eq!(
        protocol_for(auto, DockerContainer, None, None),
        ApiVersion::V1
    );
    assert_eq!(
        protocol_for(auto, Docker, Some("v0.25.2"), Some("26.1.5+dfsg1")),
        ApiVersion::V1
    );
    assert_eq!(
        protocol_for(auto, Docker, None, Some("28.5.2")),
        ApiVersion::V2
    );
    assert_eq!(
        protocol_for(GhaProtocol::V2, Docker, None, Some("26.1.5")),
        ApiVersion::V2
    );
    assert_eq!(
        protocol_for(GhaProtocol::V1, DockerContainer, Some("v0.25.2"), None),
        ApiVersion::V1
    );
    assert!(!version_at_least("garbage", (0, 1)));
    assert!(version_at_least("v1.0", (0, 20)));
}

fn snapshot(peak: u32) -> Snapshot {
    Snapshot {
        since: Utc::now(),
        taken: Utc::now(),
        requests: 0,
        lookups: 0,
        hits: 0,
        misses: 0,
        entries_reserved: u64::from(peak),
        entries_committed: u64::from(peak),
        conflicts: 0,
        rate_limited: 0,
        bytes_uploaded: 0,
        bytes_downloaded: 0,
        peak_entries_per_minute: peak,
        exceeds_github_limit: peak > GITHUB_ENTRY_UPLOADS_PER_MINUTE,
        events: vec![],
    }
}

#[test]
fn a_minute_past_githubs_limit_is_flagged() {
    assert_eq!(limit_note(&snapshot(GITHUB_ENTRY_UPLOADS_PER_MINUTE)), None);
    let n = limit_note(&snapshot(GITHUB_ENTRY_UPLOADS_PER_MINUTE + 1)).unwrap();
    assert!(n.contains("201 entry uploads in one minute"), "{n}");
    assert!(n.contains("429"), "{n}");
}
