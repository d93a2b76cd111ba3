//! The signed URLs both protocols hand out (v1's `archiveLocation`, v2's
//! `signed_upload_url` and `signed_download_url`): `sig` is a digest of a
//! per-process secret, the entry and the access, so a URL for one entry or one
//! direction does not work for another. No security boundary (everything listens
//! on loopback) and no expiry, unlike Azure's SAS URLs.

use chrono::Utc;
use sha2::{Digest, Sha256};

/// Which way a signed URL lets its holder go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

#[derive(Debug)]
pub struct Signer {
    secret: [u8; 32],
}

impl Default for Signer {
    fn default() -> Self {
        Signer {
            secret: process_secret(),
        }
    }
}

impl Signer {
    /// The `sig` query value for entry `id` and `access`.
    pub fn sign(&self, id: u64, access: Access) -> String {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(id.to_le_bytes());
        h.update(if access == Access::Read { b"r" } else { b"w" });
        hex(&h.finalize()[..16])
    }

    pub fn verify(&self, id: u64, access: Access, sig: Option<&str>) -> bool {
        sig == Some(self.sign(id, access).as_str())
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 bytes no other process has: std's randomly keyed hasher, the time, the pid.
fn process_secret() -> [u8; 32] {
    use std::hash::{BuildHasher, Hasher};
    let mut h = Sha256::new();
    for i in 0..4u8 {
        let mut s = std::collections::hash_map::RandomState::new().build_hasher();
        s.write_u8(i);
        h.update(s.finish().to_le_bytes());
    }
    h.update(Utc::now().timestamp_nanos_opt().unwrap_or(0).to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_grants_one_entry_one_way() {
        let s = Signer::default();
        assert!(s.verify(1, Access::Read, Some(&s.sign(1, Access::Read))));
        assert!(!s.verify(1, Access::Write, Some(&s.sign(1, Access::Read))));
        assert!(!s.verify(2, Access::Read, Some(&s.sign(1, Access::Read))));
        assert!(!s.verify(1, Access::Read, None));
        assert!(!Signer::default().verify(1, Access::Read, Some(&s.sign(1, Access::Read))));
    }
}
