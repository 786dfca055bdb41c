//! The minijinja environment: templates embedded at compile time, HTML auto-escaping (chosen by
//! minijinja from the `.html` names), and the few filters the templates need.

use chrono::DateTime;
use minijinja::Environment;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("index.html", include_str!("templates/index.html")),
    ("group.html", include_str!("templates/group.html")),
    ("thread.html", include_str!("templates/thread.html")),
    ("error.html", include_str!("templates/error.html")),
];

pub(crate) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        // The templates are part of the binary; a syntax error is a bug caught by any test.
        env.add_template(name, source)
            .expect("embedded template parses");
    }
    env.add_filter("utc", utc);
    env.add_filter("iso", iso);
    env.add_filter("filesize", filesize);
    env.add_filter("urlencode", urlencode);
    env
}

/// Unix seconds as a readable UTC time, e.g. `2024-03-05 14:07 UTC`.
pub(crate) fn utc(ts: i64) -> String {
    match DateTime::from_timestamp(ts, 0) {
        Some(t) => t.format("%a %-d %b %Y, %H:%M UTC").to_string(),
        None => "unknown date".to_string(),
    }
}

/// Unix seconds as RFC 3339 for `<time datetime>`.
pub(crate) fn iso(ts: i64) -> String {
    DateTime::from_timestamp(ts, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

pub(crate) fn filesize(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// Percent-encode one URL path segment (slugs are plain, but a stored slug is still data).
pub(crate) fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_and_readable() {
        assert_eq!(utc(1_709_647_620), "Tue 5 Mar 2024, 14:07 UTC");
        assert_eq!(iso(1_709_647_620), "2024-03-05T14:07:00Z");
        assert_eq!(utc(i64::MAX), "unknown date");
    }

    #[test]
    fn sizes() {
        assert_eq!(filesize(12), "12 bytes");
        assert_eq!(filesize(2048), "2.0 KB");
        assert_eq!(filesize(5 * 1024 * 1024 + 1), "5.0 MB");
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(urlencode("eng-team_1"), "eng-team_1");
        assert_eq!(urlencode("a b/\"<x>"), "a%20b%2F%22%3Cx%3E");
    }

    #[test]
    fn autoescape_is_on() {
        let env = environment();
        let out = env
            .get_template("error.html")
            .unwrap()
            .render(minijinja::context! { title => "<script>", message => "a & \"b\"" })
            .unwrap();
        assert!(out.contains("&lt;script&gt;"), "{out}");
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("a &amp; &quot;b&quot;"), "{out}");
    }
}
