//! The minijinja environment: templates embedded at compile time, HTML auto-escaping (chosen by
//! minijinja from the `.html` names), and the few filters the templates need.

use chrono::DateTime;
use minijinja::Environment;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("index.html", include_str!("templates/index.html")),
    ("group.html", include_str!("templates/group.html")),
    ("thread.html", include_str!("templates/thread.html")),
    ("search.html", include_str!("templates/search.html")),
    ("error.html", include_str!("templates/error.html")),
    ("signin.html", include_str!("templates/signin.html")),
    (
        "signin_sent.html",
        include_str!("templates/signin_sent.html"),
    ),
    (
        "signin_link.html",
        include_str!("templates/signin_link.html"),
    ),
    (
        "signin_failed.html",
        include_str!("templates/signin_failed.html"),
    ),
    ("settings.html", include_str!("templates/settings.html")),
    ("home.html", include_str!("templates/home.html")),
    ("pending.html", include_str!("templates/pending.html")),
    ("feed_made.html", include_str!("templates/feed_made.html")),
    ("person.html", include_str!("templates/person.html")),
    (
        "admin_groups.html",
        include_str!("templates/admin_groups.html"),
    ),
    ("admin_nav.html", include_str!("templates/admin_nav.html")),
    ("admin_held.html", include_str!("templates/admin_held.html")),
    (
        "admin_held_one.html",
        include_str!("templates/admin_held_one.html"),
    ),
    (
        "admin_audit.html",
        include_str!("templates/admin_audit.html"),
    ),
    (
        "admin_retract.html",
        include_str!("templates/admin_retract.html"),
    ),
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
    env.add_filter("ago", ago);
    env.add_filter("filesize", filesize);
    env.add_filter("urlencode", urlencode);
    env.add_filter("isolate", isolate);
    env.add_filter("visible_controls", visible_controls);
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

/// How long ago, in words ("5 minutes ago", "3 days ago"); the exact time goes in `title`.
/// Server-side, so pages need no script. Older than a month: the date.
pub(crate) fn ago(ts: i64) -> String {
    relative(ts, chrono::Utc::now().timestamp())
}

pub(crate) fn relative(ts: i64, now: i64) -> String {
    let d = now - ts;
    let unit = |n: i64, one: &str| {
        if n == 1 {
            format!("1 {one} ago")
        } else {
            format!("{n} {one}s ago")
        }
    };
    match d {
        i64::MIN..=-60 => utc(ts),
        -59..=59 => "just now".to_string(),
        60..=3_599 => unit(d / 60, "minute"),
        3_600..=86_399 => unit(d / 3_600, "hour"),
        86_400..=2_591_999 => unit(d / 86_400, "day"),
        _ => DateTime::from_timestamp(ts, 0)
            .map(|t| t.format("%-d %b %Y").to_string())
            .unwrap_or_else(|| "unknown date".to_string()),
    }
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

/// Text for a plain-text context (the page `<title>`, where `<bdi>` cannot stand): wrapped in
/// FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE so its bidi controls cannot reorder what
/// follows it. Unterminated isolates inside are closed first (one PDI closes one isolate).
pub(crate) fn isolate(s: &str) -> String {
    crate::model::text::isolate(s)
}

/// File names with control characters shown: `invoice\u{202e}gpj.exe` reads
/// `invoice[U+202E]gpj.exe`, not "invoiceexe.jpg". Bidi controls, C0/C1 controls and other
/// invisible format characters all become `[U+XXXX]`.
pub(crate) fn visible_controls(s: &str) -> String {
    crate::model::text::visible_controls(s)
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
    fn relative_dates() {
        let now = 1_800_000_000;
        assert_eq!(relative(now - 5, now), "just now");
        assert_eq!(relative(now - 60, now), "1 minute ago");
        assert_eq!(relative(now - 7_200, now), "2 hours ago");
        assert_eq!(relative(now - 3 * 86_400, now), "3 days ago");
        assert_eq!(relative(1_709_647_620, now), "5 Mar 2024");
        assert_eq!(
            relative(now + 3_600, now),
            utc(now + 3_600),
            "future: the date"
        );
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
