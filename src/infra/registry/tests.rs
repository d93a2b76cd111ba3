//! Tests of the registry's addresses.

use super::*;

#[test]
fn external_address_forms() {
    let r = Registry::external("ghcr.io/acme/app");
    assert_eq!(r.host, "ghcr.io");
    let r = Registry::external("127.0.0.1:5000");
    assert_eq!(r.repository, "127.0.0.1:5000/cachebench");
    assert!(r.is_loopback());
}
