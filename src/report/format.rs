//! How numbers read in every report form: milliseconds as `850 ms` or `12.03 s`,
//! ranges and signed differences, ratios as `2.49×`, bytes in binary units.

/// Milliseconds for people: `850 ms`, `12.03 s`.
pub fn fmt_ms(ms: f64) -> String {
    if ms.abs() < 1000.0 {
        format!("{} ms", (ms * 10.0).round() / 10.0)
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// A ratio as `2.49×`.
pub fn fmt_ratio(r: f64) -> String {
    format!("{r:.2}×")
}

/// Bytes in binary units (MiB, never MB), one decimal.
pub fn fmt_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `8.28–8.81 s`, `850 ms–1.20 s`: a range with its unit said once when shared.
pub fn fmt_range(lo: f64, hi: f64) -> String {
    let (l, h) = (fmt_ms(lo), fmt_ms(hi));
    for unit in [" s", " ms"] {
        if let (Some(l), true) = (l.strip_suffix(unit), h.ends_with(unit)) {
            return format!("{l}–{h}");
        }
    }
    format!("{l}–{h}")
}

/// `1.20 s`, `−350 ms` (a true minus sign).
pub fn signed_ms(ms: f64) -> String {
    if ms < 0.0 {
        format!("−{}", fmt_ms(-ms))
    } else {
        fmt_ms(ms)
    }
}
