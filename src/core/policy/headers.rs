//! The raw header block as (name, unfolded value) pairs, top to bottom: policy reads headers
//! the parsed model does not keep (`Authentication-Results`, `Sensitivity`, `msip_labels`, …)
//! and needs their order (the topmost was added last, by the nearest server).
use std::borrow::Cow;

/// One header as written: the name as spelt, the value unfolded (CRLF + WSP → the WSP), bytes
/// that are not UTF-8 replaced. Borrowed from the raw mail unless unfolding or replacing had to
/// copy (this runs on every mail imported).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHeader<'a> {
    pub name: Cow<'a, str>,
    pub value: Cow<'a, str>,
}

/// Every header of the mail's top-level block, in order. Stops at the first empty line; a line
/// that is neither a header nor a continuation ends the block too (the body started without a
/// blank line).
pub fn split(raw: &[u8]) -> Vec<RawHeader<'_>> {
    let mut out: Vec<RawHeader> = Vec::new();
    for line in raw.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if matches!(line[0], b' ' | b'\t') {
            match out.last_mut() {
                Some(h) => h.value.to_mut().push_str(&String::from_utf8_lossy(line)),
                None => continue,
            }
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            // An mbox `From ` line before the headers is skipped; anything else ends them.
            if out.is_empty() && line.starts_with(b"From ") {
                continue;
            }
            break;
        };
        let name = &line[..colon];
        if name.is_empty() || !name.iter().all(|b| b.is_ascii_graphic()) {
            break;
        }
        out.push(RawHeader {
            name: String::from_utf8_lossy(name),
            value: trimmed(String::from_utf8_lossy(&line[colon + 1..])),
        });
    }
    for h in &mut out {
        h.value = trimmed(std::mem::take(&mut h.value));
    }
    out
}

/// `s` without surrounding whitespace, copied only when it was owned and had some.
fn trimmed(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
        Cow::Owned(o) if o.trim().len() == o.len() => Cow::Owned(o),
        Cow::Owned(o) => Cow::Owned(o.trim().to_string()),
    }
}

/// Values of every header called `name` (case-insensitive), top to bottom.
pub fn all<'a>(headers: &'a [RawHeader<'a>], name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .iter()
        .filter(move |h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_ref())
}

/// The first (topmost) value of header `name`.
pub fn first<'a>(headers: &'a [RawHeader<'a>], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_ref())
}

/// A MIME parameter of a structured value (`application/pkcs7-mime; smime-type=enveloped-data`),
/// lower-cased, quotes removed.
pub fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_ascii_lowercase())
    })
}

/// The media type of a Content-Type value, lower-cased (`multipart/encrypted`).
pub fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfolds_in_order_and_stops_at_the_body() {
        let raw = b"From x\r\nReceived: from a\r\n by b;\r\n\tMon, 1 Jan 2024\r\nSubject: Hi\r\n\r\nX-Not: header\r\n";
        let h = split(raw);
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].value, "from a by b;\tMon, 1 Jan 2024");
        assert_eq!(first(&h, "subject"), Some("Hi"));
        assert_eq!(first(&h, "x-not"), None);
    }

    #[test]
    fn borrowed_or_replaced_the_same() {
        let raw = b"Subject: caf\xc3\xa9\r\nX-Bad: a\xffb\r\n c\r\n\r\nBody: no\r\n";
        let h = split(raw);
        assert_eq!(h.len(), 2);
        assert_eq!(first(&h, "subject"), Some("caf\u{e9}"));
        assert_eq!(first(&h, "x-bad"), Some("a\u{fffd}b c"));
        assert!(split(b"\nSubject: x\n").is_empty());
        assert_eq!(split(b"Subject: x").len(), 1);
    }

    #[test]
    fn parameters() {
        let v = "application/pkcs7-mime; name=\"smime.p7m\"; smime-type=Enveloped-Data";
        assert_eq!(media_type(v), "application/pkcs7-mime");
        assert_eq!(
            parameter(v, "smime-type").as_deref(),
            Some("enveloped-data")
        );
        assert_eq!(parameter(v, "NAME").as_deref(), Some("smime.p7m"));
        assert_eq!(parameter(v, "protocol"), None);
    }
}
