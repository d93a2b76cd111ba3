//! Redaction of secrets from everything cachebench writes: run logs, records,
//! `scenario.toml`, `env.json`, reports and error messages.
//!
//! cachebench never reads credentials on purpose (registry logins stay in the docker
//! CLI's own config), but a build may echo its environment or a build arg. So the
//! values of environment variables whose names look secret (`*TOKEN*`, `*SECRET*`,
//! `*PASSWORD*`, `*PASSWD*`, `*API_KEY*`, `*CREDENTIAL*`, `*PRIVATE_KEY*`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `ACTIONS_RUNTIME_TOKEN`, …) that are
//! at least [`MIN_SECRET_LEN`] bytes long are replaced by `***` wherever they appear.

use base64::Engine as _;
use std::borrow::Cow;
use std::sync::OnceLock;

/// Shorter values are not redacted (they would match everywhere: `1`, `true`).
pub const MIN_SECRET_LEN: usize = 8;

/// What a secret is replaced with.
pub const MASK: &str = "***";

const NAME_PARTS: &[&str] = &[
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "API_KEY",
    "APIKEY",
    "CREDENTIAL",
    "PRIVATE_KEY",
    "AUTH",
];

/// True when an environment variable of this name holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    // AWS_ACCESS_KEY_ID is an identifier, but it pairs with the secret: hide it too.
    upper == "AWS_ACCESS_KEY_ID" || NAME_PARTS.iter().any(|p| upper.contains(p))
}

/// The secret values to hide, longest first (so a secret containing another is
/// hidden whole).
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// From `(name, value)` pairs (the process environment, or a test's).
    pub fn from_vars<I, K, V>(vars: I) -> Redactor
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut secrets: Vec<String> = vars
            .into_iter()
            .filter(|(k, v)| is_secret_name(k.as_ref()) && v.as_ref().len() >= MIN_SECRET_LEN)
            .map(|(_, v)| v.as_ref().to_string())
            .collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    /// From the environment of this process (values that are not UTF-8 are skipped:
    /// what cachebench writes is UTF-8, so they cannot appear in it whole).
    pub fn from_env() -> Redactor {
        Redactor::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every secret replaced by [`MASK`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.secrets.iter().any(|s| text.contains(s.as_str())) {
            return Cow::Borrowed(text);
        }
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        Cow::Owned(out)
    }

    /// A serialisable value with every string in it redacted (through JSON, so no
    /// field is forgotten when one is added). Fails closed: when the masked JSON no
    /// longer parses (a secret that spans JSON punctuation), it is an error, never
    /// the unmasked value.
    pub fn value<T>(&self, v: &T) -> Result<T, RedactError>
    where
        T: serde::Serialize + serde::de::DeserializeOwned + Clone,
    {
        if self.is_empty() {
            return Ok(v.clone());
        }
        let json = serde_json::to_string(v).map_err(|_| RedactError)?;
        // A secret could contain characters JSON escapes; match the escaped form too.
        let escaped = Redactor {
            secrets: self
                .secrets
                .iter()
                .flat_map(|s| {
                    let e = serde_json::to_string(s).unwrap_or_default();
                    let e = e.trim_matches('"').to_string();
                    [e, s.clone()]
                })
                .collect(),
        };
        let red = escaped.redact(&json);
        serde_json::from_str(&red).map_err(|_| RedactError)
    }
}

/// A value could not be redacted; it must not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "refusing to write a record that could not be redacted (a secret's value spans JSON \
     punctuation); unset the variable or shorten its value"
)]
pub struct RedactError;

/// Standard base64 as BuildKit writes step output in rawjson (`"data"`), padding
/// optional when decoding.
pub const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

impl Redactor {
    /// One line of a raw build log, redacted: as text, and inside a rawjson
    /// `"data": "<base64>"` field (BuildKit's step output), which is decoded,
    /// masked and encoded again only when it held a secret, so the stream stays
    /// byte for byte what the builder wrote otherwise.
    pub fn log_line<'a>(&self, line: &'a str) -> Cow<'a, str> {
        let text = self.redact(line);
        let t = text.trim_start();
        let Some(rest) = t.strip_prefix("\"data\": \"") else {
            return text;
        };
        let (b64, tail) = match rest.find('"') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => return text,
        };
        let Ok(raw) = BASE64.decode(b64) else {
            return text;
        };
        let decoded = String::from_utf8_lossy(&raw);
        match self.redact(&decoded) {
            Cow::Borrowed(_) => text,
            Cow::Owned(masked) => {
                let indent = &text[..text.len() - t.len()];
                Cow::Owned(format!(
                    "{indent}\"data\": \"{}{tail}",
                    BASE64.encode(masked.as_bytes())
                ))
            }
        }
    }
}

/// The redactor of this process, built once from its environment.
pub fn global() -> &'static Redactor {
    static R: OnceLock<Redactor> = OnceLock::new();
    R.get_or_init(Redactor::from_env)
}

/// Shorthand: `text` redacted with [`global`].
pub fn text(text: &str) -> Cow<'_, str> {
    global().redact(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for n in [
            "ACTIONS_RUNTIME_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "GITHUB_TOKEN",
            "db_password",
            "NPM_AUTH_TOKEN",
            "MY_API_KEY",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in ["PATH", "HOME", "DOCKER_HOST", "ACTIONS_CACHE_URL"] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn values_are_masked_and_short_ones_kept() {
        let r = Redactor::from_vars([
            ("GITHUB_TOKEN", "ghp_abcdefgh12345"),
            ("SHORT_TOKEN", "abc"),
            ("PATH", "/usr/bin:/bin"),
        ]);
        assert_eq!(
            r.redact("pushing with ghp_abcdefgh12345 to /usr/bin:/bin abc"),
            "pushing with *** to /usr/bin:/bin abc"
        );
        assert!(matches!(r.redact("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn longest_secret_first() {
        let r = Redactor::from_vars([("A_TOKEN", "12345678"), ("B_TOKEN", "12345678abcdefgh")]);
        assert_eq!(r.redact("x 12345678abcdefgh y"), "x *** y");
    }

    #[test]
    fn serialisable_values_are_redacted_in_every_field() {
        #[derive(serde::Serialize, serde::Deserialize, Clone, PartialEq, Debug)]
        struct R {
            a: String,
            b: Vec<String>,
        }
        let r = Redactor::from_vars([("X_SECRET", "s3cr\"et-value")]);
        let v = R {
            a: "echo s3cr\"et-value".into(),
            b: vec!["--build-arg".into(), "K=s3cr\"et-value".into()],
        };
        let red = r.value(&v).unwrap();
        assert_eq!(red.a, "echo ***");
        assert_eq!(red.b[1], "K=***");
    }

    #[test]
    fn base64_step_output_in_a_rawjson_log_line_is_masked_too() {
        let r = Redactor::from_vars([("X_TOKEN", "hunter2-secret")]);
        let enc = BASE64.encode("the value is hunter2-secret\n");
        let line = format!("      \"data\": \"{enc}\",");
        let out = r.log_line(&line);
        let b64 = out
            .trim()
            .trim_start_matches("\"data\": \"")
            .trim_end_matches("\",");
        assert_eq!(BASE64.decode(b64).unwrap(), b"the value is ***\n");
        assert!(
            out.starts_with("      \"data\": \"") && out.ends_with("\","),
            "{out}"
        );
        // Nothing secret: the line is left exactly as written.
        let clean = format!("\"data\": \"{}\"", BASE64.encode("hello"));
        assert!(matches!(r.log_line(&clean), Cow::Borrowed(_)));
    }

    #[test]
    fn a_value_whose_masking_breaks_json_is_refused_not_written_unmasked() {
        #[derive(serde::Serialize, serde::Deserialize, Clone, PartialEq, Debug)]
        struct R {
            a: String,
            b: String,
        }
        // A "secret" that spans the punctuation between two fields.
        let r = Redactor::from_vars([("X_TOKEN", "x\",\"b\":\"y")]);
        let v = R {
            a: "x".into(),
            b: "y".into(),
        };
        assert_eq!(r.value(&v), Err(RedactError));
    }
}
