//! cachebench's own change of a file, as [`crate::config::change_syntax`] says for
//! its kind: a comment line appended (in the file's own line ending), or the key
//! [`JSON_KEY`] set at the top of a JSON object without touching the rest of the
//! text (its order, indentation and formatting stay as they were).

use crate::config::change_syntax::{Edit, JSON_KEY};

/// `text` with the change of `nonce` made by `edit`.
pub fn edited(edit: Edit, text: &[u8], nonce: &str) -> Result<Vec<u8>, String> {
    match edit {
        Edit::JsonKey => json_key(text, nonce),
        Edit::Php if ends_outside_php(text) => Ok(appended(
            text,
            &format!("<?php /* cachebench change {nonce} */ ?>"),
        )),
        other => Ok(appended(text, &other.line(nonce).unwrap_or_default())),
    }
}

/// `text` with `line` appended on a line of its own, ending as the file's lines do.
fn appended(text: &[u8], line: &str) -> Vec<u8> {
    let eol: &[u8] = if text.windows(2).any(|w| w == b"\r\n") {
        b"\r\n"
    } else {
        b"\n"
    };
    let mut out = text.to_vec();
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.extend_from_slice(eol);
    }
    out.extend_from_slice(line.as_bytes());
    out.extend_from_slice(eol);
    out
}

/// A PHP file whose last tag is a closing `?>`: what follows is output, not code.
fn ends_outside_php(text: &[u8]) -> bool {
    let t = String::from_utf8_lossy(text);
    let t = t.trim_end();
    t.ends_with("?>") && t.rfind("?>") > t.rfind("<?")
}

/// Sets `"cachebenchChange": "<nonce>"` as the first key of the top-level object:
/// replaces the value an earlier change set there, or inserts the key (indented
/// like the object's first key, or minified when the object is on one line).
fn json_key(text: &[u8], nonce: &str) -> Result<Vec<u8>, String> {
    let s = std::str::from_utf8(text).map_err(|e| format!("not UTF-8 ({e})"))?;
    let bom = if s.starts_with('\u{feff}') { 3 } else { 0 };
    let open = bom + s[bom..].len() - s[bom..].trim_start().len();
    if !s[open..].starts_with('{') {
        return Err("its top level is not a JSON object".into());
    }
    let value = serde_json::to_string(nonce).map_err(|e| e.to_string())?;
    let key = serde_json::to_string(JSON_KEY).map_err(|e| e.to_string())?;
    let body = open + 1;
    let first = body + s[body..].len() - s[body..].trim_start().len();
    let mut out = String::with_capacity(s.len() + 64);
    if let Some(span) = earlier_value(s, first, &key) {
        out.push_str(&s[..span.start]);
        out.push_str(&value);
        out.push_str(&s[span.end..]);
    } else {
        // The gap between `{` and the first key, repeated before the new key keeps
        // the object's indentation; none at all means a minified file.
        let gap = &s[body..first];
        out.push_str(&s[..body]);
        if s[first..].starts_with('}') {
            out.push_str(&format!("{key}: {value}"));
            out.push_str(&s[body..]);
        } else {
            let sep = if gap.is_empty() { ":" } else { ": " };
            out.push_str(&format!("{gap}{key}{sep}{value},{gap}"));
            out.push_str(&s[first..]);
        }
    }
    let parsed: serde_json::Value = serde_json::from_str(&out[bom..])
        .map_err(|e| format!("setting {key} left it invalid ({e})"))?;
    if parsed.get(JSON_KEY).and_then(|v| v.as_str()) != Some(nonce) {
        return Err(format!(
            "it holds the key {key} further down as well; remove that one"
        ));
    }
    Ok(out.into_bytes())
}

/// The span of the string value of `key` when it is the object's first key (where
/// an earlier change put it).
fn earlier_value(s: &str, first: usize, key: &str) -> Option<std::ops::Range<usize>> {
    let rest = s[first..].strip_prefix(key)?;
    let after_key = first + key.len();
    let colon = after_key + rest.len() - rest.trim_start().len();
    let rest = s[colon..].strip_prefix(':')?;
    let start = colon + 1 + rest.len() - rest.trim_start().len();
    let mut chars = s[start..].char_indices();
    if chars.next()?.1 != '"' {
        return None;
    }
    let mut escaped = false;
    for (i, c) in chars {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(start..start + i + 1),
            _ => {}
        }
    }
    None
}
