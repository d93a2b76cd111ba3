//! The runtime token: what BuildKit is given as `token=` (on a runner,
//! `ACTIONS_RUNTIME_TOKEN`), a JWT whose claims go-actions-cache reads with
//! `jwt.Parser.ParseUnverified` (cache.go, `New`): `ac` (a JSON *string* holding
//! `[{"Scope":"refs/heads/main","Permission":3}]`, Permission 1 = read, 2 = write),
//! `exp` and `nbf` (numbers; it refuses an expired or not-yet-valid token before
//! sending anything). The signature is never checked, by BuildKit or by this
//! stand-in.
//!
//! [`mint`] makes such a token. **Its signature is not a signature**: the third
//! segment is a SHA-256 digest of the first two, so the token has the right shape
//! (`alg: HS256`, three base64url segments) and nothing can verify it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Permission bit: may look entries up and download them.
pub const READ: u32 = 1;
/// Permission bit: may reserve, upload and commit entries.
pub const WRITE: u32 = 2;

/// One element of the `ac` claim, spelled as GitHub spells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    #[serde(rename = "Scope")]
    pub scope: String,
    #[serde(rename = "Permission")]
    pub permission: u32,
}

impl Scope {
    /// A scope the token may only read (a base or default branch on GitHub).
    pub fn read(scope: &str) -> Scope {
        Scope {
            scope: scope.to_string(),
            permission: READ,
        }
    }

    /// A scope the token may read and write (the current ref on GitHub).
    pub fn read_write(scope: &str) -> Scope {
        Scope {
            scope: scope.to_string(),
            permission: READ | WRITE,
        }
    }
}

/// The claims this stand-in acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub scopes: Vec<Scope>,
    /// Not before, Unix seconds.
    pub nbf: i64,
    /// Expires, Unix seconds.
    pub exp: i64,
}

impl Claims {
    /// The scopes a look-up searches, in the token's order.
    pub fn readable(&self) -> Vec<&str> {
        self.scopes
            .iter()
            .filter(|s| s.permission & READ != 0)
            .map(|s| s.scope.as_str())
            .collect()
    }

    /// The scope new entries go to: the *last* scope with the write bit, the one
    /// BuildKit's exporter names its index after (gha.go, `indexKey`).
    pub fn writable(&self) -> Option<&str> {
        self.scopes
            .iter()
            .rev()
            .find(|s| s.permission & WRITE != 0)
            .map(|s| s.scope.as_str())
    }
}

/// Why a request's token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("no bearer token in the authorization header")]
    Missing,
    #[error("malformed runtime token: {0}")]
    Malformed(String),
    #[error("runtime token expired at unix {0}")]
    Expired(i64),
    #[error("runtime token not valid before unix {0}")]
    NotYetValid(i64),
}

fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A token for `scopes`, valid from a minute ago for `valid_for`.
pub fn mint(scopes: &[Scope], valid_for: Duration) -> String {
    let now = now_unix();
    let secs = i64::try_from(valid_for.as_secs()).unwrap_or(i64::MAX / 2);
    mint_at(scopes, now - 60, now.saturating_add(secs))
}

/// A token with explicit `nbf` and `exp` (Unix seconds), e.g. an expired one.
pub fn mint_at(scopes: &[Scope], nbf: i64, exp: i64) -> String {
    let header = serde_json::json!({"alg": "HS256", "typ": "JWT"});
    // `ac` is a string holding JSON, not a JSON array: go-actions-cache asserts
    // `ac.(string)` and then unmarshals it.
    let ac = serde_json::to_string(scopes).expect("scopes serialize");
    let claims = serde_json::json!({
        "ac": ac,
        "nbf": nbf,
        "iat": nbf,
        "exp": exp,
        "iss": "cachebench-gha-stand-in",
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let not_a_signature = Sha256::digest(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(not_a_signature)
    )
}

/// Reads a token's claims without checking its signature, and checks `nbf`/`exp`
/// against `now` (Unix seconds).
pub fn parse(token: &str, now: i64) -> Result<Claims, TokenError> {
    let bad = |m: &str| TokenError::Malformed(m.to_string());
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("not three dot-separated segments"));
    };
    let json = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| bad("payload is not base64url"))?;
    let claims: serde_json::Value =
        serde_json::from_slice(&json).map_err(|_| bad("payload is not json"))?;
    let ac = claims
        .get("ac")
        .and_then(|v| v.as_str())
        .ok_or_else(|| bad("no `ac` string claim"))?;
    let scopes: Vec<Scope> =
        serde_json::from_str(ac).map_err(|e| bad(&format!("`ac` claim: {e}")))?;
    let number = |name: &str| {
        claims
            .get(name)
            .and_then(|v| v.as_f64())
            .map(|f| f as i64)
            .ok_or_else(|| bad(&format!("no numeric `{name}` claim")))
    };
    let (nbf, exp) = (number("nbf")?, number("exp")?);
    if now > exp {
        return Err(TokenError::Expired(exp));
    }
    if now < nbf {
        return Err(TokenError::NotYetValid(nbf));
    }
    Ok(Claims { scopes, nbf, exp })
}

/// The claims of an `Authorization: Bearer …` header value, checked against now.
pub fn from_authorization(header: Option<&str>) -> Result<Claims, TokenError> {
    let token = header
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(TokenError::Missing)?;
    parse(token, now_unix())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_read_back_with_their_scopes() {
        let t = mint(
            &[
                Scope::read("refs/heads/main"),
                Scope::read_write("refs/heads/x"),
            ],
            Duration::from_secs(3600),
        );
        assert_eq!(t.split('.').count(), 3);
        let c = parse(&t, now_unix()).unwrap();
        assert_eq!(c.readable(), vec!["refs/heads/main", "refs/heads/x"]);
        assert_eq!(c.writable(), Some("refs/heads/x"));
        // The ac claim is a string of JSON, as GitHub issues it.
        let payload = URL_SAFE_NO_PAD
            .decode(t.split('.').nth(1).unwrap())
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(
            v["ac"].as_str().unwrap(),
            r#"[{"Scope":"refs/heads/main","Permission":1},{"Scope":"refs/heads/x","Permission":3}]"#
        );
    }

    #[test]
    fn expired_early_and_garbled_tokens_are_refused() {
        let s = [Scope::read_write("s")];
        assert_eq!(parse(&mint_at(&s, 0, 10), 11), Err(TokenError::Expired(10)));
        assert_eq!(
            parse(&mint_at(&s, 100, 200), 50),
            Err(TokenError::NotYetValid(100))
        );
        assert!(matches!(parse("a.b", 0), Err(TokenError::Malformed(_))));
        assert_eq!(from_authorization(None), Err(TokenError::Missing));
        assert_eq!(
            from_authorization(Some("Basic x")),
            Err(TokenError::Missing)
        );
        let read_only = parse(&mint_at(&[Scope::read("r")], 0, 10), 5).unwrap();
        assert_eq!(read_only.writable(), None);
    }
}
