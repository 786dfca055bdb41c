//! Header facts read straight from the raw header bytes: message ids, envelope recipients and
//! the classifier's signals. Raw rather than mail-parser's typed values because these headers
//! are often malformed and we want every id or address that can be salvaged.
use mail_parser::{Header, Message, MimeHeaders};

use crate::model::Signals;

/// What one pass over the top-level headers collects.
#[derive(Debug, Default)]
pub(super) struct HeaderFacts {
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub thread_index: Option<String>,
    pub envelope_to: Vec<String>,
    pub signals: Signals,
}

/// Headers whose mere presence (with a value other than "no"/"false") marks an auto-reply.
/// Not `X-Auto-Response-Suppress`: Outlook, Exchange distribution lists and list servers set it
/// on people's mail to ask *others* not to auto-reply ([MS-OXCMAIL] 2.1.3.2.20); it says
/// nothing about the mail carrying it. Not `X-MS-Exchange-Inbox-Rules-Loop` either: Exchange
/// puts it on mail a rule redirected, which keeps its human author.
const AUTOREPLY_HEADERS: &[&str] = &[
    "x-autoreply",
    "x-autorespond",
    "x-autoresponder",
    "x-autoresponse",
    "x-auto-reply",
    "x-autoreply-from",
    "x-mail-autoreply",
    "x-vacation",
    "x-fc-machinegenerated",
    // Exchange stamps this on mail one of its agents generated: out-of-office and rule
    // replies ("Mailbox Rules Agent"), transport rule notices, journal reports.
    "x-ms-exchange-generated-message-source",
];

/// Headers only list servers add (RFC 2369/2919 and the servers' own). `List-Unsubscribe`
/// alone is not one: bulk senders must add it to newsletters (RFC 8058).
const LIST_HEADERS: &[&str] = &[
    "list-id",
    "list-post",
    "list-help",
    "list-subscribe",
    "list-archive",
    "list-owner",
    // ezmlm (`contact x-help@host; run by ezmlm`) and Google Groups.
    "mailing-list",
    "x-google-group-id",
    // Majordomo, SmartList, vger.
    "x-mailing-list",
    "x-mailman-version",
    "x-beenthere",
];

pub(super) fn collect(msg: &Message<'_>, raw: &[u8]) -> HeaderFacts {
    let mut f = HeaderFacts::default();
    let mut return_path_seen = false;
    for h in msg.headers() {
        let name = h.name.as_str();
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if is("message-id") {
            if f.message_id.is_none() {
                f.message_id = extract_ids(&value(h, raw)).into_iter().next();
            }
        } else if is("in-reply-to") {
            f.in_reply_to.extend(extract_ids(&value(h, raw)));
        } else if is("references") {
            f.references.extend(extract_ids(&value(h, raw)));
        } else if is("thread-index") {
            if f.thread_index.is_none() {
                let v: String = value(h, raw).split_whitespace().collect();
                f.thread_index = non_empty(v);
            }
        } else if is("delivered-to") || is("x-original-to") || is("envelope-to") {
            let v = value(h, raw);
            // ezmlm: `Delivered-To: mailing list eng@lists.example` (no address to route by).
            if f.signals.list.is_none() && starts_with_ignore_case(&v, "mailing list ") {
                f.signals.list = Some(format!("{name}: {v}"));
            }
            for a in extract_addresses(&v) {
                if !f.envelope_to.contains(&a) {
                    f.envelope_to.push(a);
                }
            }
        } else if is("return-path") {
            // The topmost Return-Path is the one the final delivery wrote.
            if !return_path_seen {
                return_path_seen = true;
                let v = value(h, raw);
                f.signals.null_return_path = v.split_whitespace().collect::<String>() == "<>";
            }
        } else {
            signal(&mut f.signals, name, || value(h, raw));
        }
    }
    if let Some(ct) = msg.root_part().content_type() {
        let mut t = ct.ctype().to_ascii_lowercase();
        if let Some(sub) = ct.subtype() {
            t.push('/');
            t.push_str(&sub.to_ascii_lowercase());
        }
        f.signals.report_type = ct
            .attribute("report-type")
            .map(|r| r.trim().to_ascii_lowercase());
        f.signals.content_type = Some(t);
    }
    f
}

/// Record what header `name` says about who or what sent the mail.
fn signal(s: &mut Signals, name: &str, value: impl Fn() -> String) {
    let is = |n: &str| name.eq_ignore_ascii_case(n);
    if is("auto-submitted") {
        if s.auto_submitted.is_none() {
            // `auto-replied; owner-email="x"`, `auto-replied (vacation)` → the keyword is what
            // classifies (RFC 3834 5: parameters after `;`, comments anywhere).
            let v = without_comments(&value());
            let kw = v
                .split([';', ' ', '\t'])
                .find(|t| !t.is_empty())
                .unwrap_or_default();
            s.auto_submitted = non_empty(kw.to_ascii_lowercase());
        }
    } else if is("precedence") {
        if s.precedence.is_none() {
            s.precedence = non_empty(value().trim().to_ascii_lowercase());
        }
    } else if is("x-outloud-loop") {
        // Presence is what counts, so an empty value is kept too.
        if s.outloud_loop.is_none() {
            s.outloud_loop = Some(value().trim().to_string());
        }
    } else if LIST_HEADERS.iter().any(|n| is(n)) {
        if is("list-id") && s.list_id.is_none() {
            s.list_id = non_empty(value().trim().to_string());
        }
        if s.list.is_none() {
            s.list = Some(name.to_string());
        }
    } else if is("sender") {
        let v = value();
        if s.list.is_none() && is_list_sender(&v) {
            s.list = Some(format!("{name}: {v}"));
        }
    } else if s.autoreply_header.is_none() {
        if let Some(v) = autoreply_header_value(name, value) {
            s.autoreply_header = Some(format!("{name}: {v}"));
        }
    }
}

/// The (trimmed) value when header `name` marks an auto-reply.
fn autoreply_header_value(name: &str, value: impl FnOnce() -> String) -> Option<String> {
    let is = |n: &str| name.eq_ignore_ascii_case(n);
    // Which (lower-cased) values mark one: for the presence headers, anything but a negation.
    let marks: fn(&str) -> bool = if AUTOREPLY_HEADERS.iter().any(|n| is(n)) {
        |v| !matches!(v, "no" | "false" | "0")
    } else if is("x-autogenerated") {
        |v| v == "reply"
    } else if is("x-precedence") {
        |v| v == "auto_reply"
    } else if is("x-post-messageclass") {
        |v| v.contains("autoresponder")
    } else {
        return None;
    };
    let v = value().trim().to_string();
    marks(&v.to_ascii_lowercase()).then_some(v)
}

/// `Sender:` of a list server: Majordomo's `owner-LIST@`, Mailman's `LIST-bounces@` (2.1) or
/// `LIST-admin@` (2.0), or the `-owner`/`-request` addresses of RFC 2142 and other managers.
fn is_list_sender(v: &str) -> bool {
    extract_addresses(v).iter().any(|a| {
        let local = a.split('@').next().unwrap_or_default();
        local.starts_with("owner-")
            || ["-owner", "-bounces", "-admin", "-request"]
                .iter()
                .any(|s| local.ends_with(s))
    })
}

/// `v` without RFC 5322 comments (parenthesised, possibly nested).
fn without_comments(v: &str) -> String {
    let mut depth = 0usize;
    v.chars()
        .filter(|&c| {
            match c {
                '(' => depth += 1,
                ')' if depth > 0 => {
                    depth -= 1;
                    return false;
                }
                _ => {}
            }
            depth == 0
        })
        .collect()
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
}

/// The header's raw value, unfolded, lossily decoded.
fn value(h: &Header<'_>, raw: &[u8]) -> String {
    let start = h.offset_start as usize;
    let end = h.offset_end as usize;
    let bytes = raw.get(start..end).unwrap_or_default();
    let s = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(s.len());
    for (i, line) in s.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if i > 0 {
            out.push(' ');
        }
        out.push_str(line.trim_start_matches([' ', '\t']));
    }
    let trimmed = out.trim();
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    }
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// Longest id we keep; anything longer is junk (RFC 5322 lines are at most 998 bytes).
const MAX_ID_LEN: usize = 998;

/// Message ids from an id-list header, without angle brackets. Tolerates the junk clients
/// write: comments, quoted phrases (`Your message of …`), missing brackets, folding inside ids.
pub(crate) fn extract_ids(v: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = v;
    let mut saw_bracket = false;
    while let Some(open) = rest.find('<') {
        saw_bracket = true;
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else { break };
        let inner = &after[..close];
        // A stray `<` inside means the previous one never closed: restart from the inner one.
        let inner = inner.rsplit('<').next().unwrap_or(inner);
        let id: String = inner
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .collect();
        if !id.is_empty() && id.len() <= MAX_ID_LEN && !ids.contains(&id) {
            ids.push(id);
        }
        rest = &after[close + 1..];
    }
    if !saw_bracket {
        // No brackets at all: keep tokens that look like ids.
        for tok in v.split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
            let tok = tok.trim_matches(|c: char| matches!(c, '"' | '\'' | '(' | ')' | '[' | ']'));
            if tok.contains('@') && tok.len() <= MAX_ID_LEN && !tok.chars().any(char::is_control) {
                let tok = tok.to_string();
                if !ids.contains(&tok) {
                    ids.push(tok);
                }
            }
        }
    }
    ids
}

/// Lower-cased addresses from an envelope header (`<a@b>`, `a@b`, or a comma list of either).
fn extract_addresses(v: &str) -> Vec<String> {
    v.split(',')
        .filter_map(|piece| {
            let piece = piece.trim();
            let inner = match (piece.find('<'), piece.rfind('>')) {
                (Some(o), Some(c)) if o < c => &piece[o + 1..c],
                _ => piece,
            };
            let a = inner.trim().trim_matches(['<', '>', '"']).trim();
            (a.contains('@') && !a.contains(char::is_whitespace)).then(|| a.to_ascii_lowercase())
        })
        .collect()
}

/// Old mailers put raw 8-bit Windows-1252 text (names, subjects) into headers, which
/// mail-parser would read as broken UTF-8. Re-encode such header lines as UTF-8 before parsing;
/// `None` when the header block is valid UTF-8 already (nearly always).
pub(super) fn repair_8bit_headers(raw: &[u8]) -> Option<Vec<u8>> {
    let end = header_block_end(raw);
    let head = &raw[..end];
    if head.is_ascii() || std::str::from_utf8(head).is_ok() {
        return None;
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 8);
    for line in head.split_inclusive(|&b| b == b'\n') {
        if std::str::from_utf8(line).is_ok() {
            out.extend_from_slice(line);
        } else {
            let mut buf = [0u8; 4];
            for &b in line {
                out.extend_from_slice(cp1252(b).encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.extend_from_slice(&raw[end..]);
    Some(out)
}

/// Offset just past the header block's last line (the blank line is not included).
fn header_block_end(raw: &[u8]) -> usize {
    let mut i = 0;
    while let Some(off) = raw
        .get(i..)
        .and_then(|r| r.iter().position(|&b| b == b'\n'))
    {
        let nl = i + off;
        match raw.get(nl + 1..) {
            Some([b'\n', ..]) | Some([b'\r', b'\n', ..]) => return nl + 1,
            _ => i = nl + 1,
        }
    }
    raw.len()
}

/// Windows-1252 byte → char (Latin-1 plus typographic characters in 0x80–0x9F).
fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_tolerate_junk() {
        assert_eq!(extract_ids("<a@x>"), vec!["a@x"]);
        assert_eq!(
            extract_ids(" <a@x> <b@y>\t<c@z>"),
            vec!["a@x", "b@y", "c@z"]
        );
        assert_eq!(extract_ids("<a@x>,<b@y>"), vec!["a@x", "b@y"]);
        assert_eq!(
            extract_ids("Your message of \"Mon, 1 Jan 2024\" <a@x> (comment)"),
            vec!["a@x"]
        );
        assert_eq!(extract_ids("a@x b@y"), vec!["a@x", "b@y"]);
        assert_eq!(extract_ids("<a@x> <a@x>"), vec!["a@x"]);
        assert_eq!(extract_ids("<broken <b@y>"), vec!["b@y"]);
        assert_eq!(extract_ids("<unterminated"), Vec::<String>::new());
        assert_eq!(extract_ids("<>"), Vec::<String>::new());
        assert_eq!(extract_ids("<long-id-split @x>"), vec!["long-id-split@x"]);
        assert_eq!(extract_ids("no ids here"), Vec::<String>::new());
    }

    #[test]
    fn envelope_addresses() {
        assert_eq!(
            extract_addresses("<ENG@Corp.Example>"),
            vec!["eng@corp.example"]
        );
        assert_eq!(
            extract_addresses("eng@corp.example, sales@corp.example"),
            vec!["eng@corp.example", "sales@corp.example"]
        );
        assert!(extract_addresses("nobody").is_empty());
    }

    #[test]
    fn repairs_8bit_header_lines_only() {
        let mut raw = b"Subject: Gr\xf6\xdfe \x96 Plan\r\nTo: a@b\r\n\r\nBody \xf6".to_vec();
        let fixed = repair_8bit_headers(&raw).unwrap();
        assert_eq!(
            fixed,
            "Subject: Größe – Plan\r\nTo: a@b\r\n\r\nBody "
                .bytes()
                .chain([0xf6])
                .collect::<Vec<u8>>()
        );
        raw = "Subject: Größe\n\nBody \u{f6}".as_bytes().to_vec();
        assert_eq!(repair_8bit_headers(&raw), None);
        assert_eq!(header_block_end(b"A: b\nC: d"), 9);
        assert_eq!(header_block_end(b"A: b\r\n\r\nx"), 6);
    }

    #[test]
    fn autoreply_headers() {
        let marks = |n: &str, v: &str| autoreply_header_value(n, || v.to_string());
        // A request not to auto-reply, set on people's mail: never a marker.
        for v in ["All", "OOF", "DR, OOF, AutoReply", "RN, NRN"] {
            assert_eq!(marks("X-Auto-Response-Suppress", v), None, "{v}");
        }
        assert_eq!(marks("X-Autoreply", " yes "), Some("yes".into()));
        assert_eq!(marks("X-Autoreply", "no"), None);
        assert_eq!(marks("X-AUTORESPOND", "1"), Some("1".into()));
        assert_eq!(
            marks("X-Precedence", "auto_reply"),
            Some("auto_reply".into())
        );
        assert_eq!(marks("X-Precedence", "bulk"), None);
        assert_eq!(
            marks(
                "X-MS-Exchange-Generated-Message-Source",
                "Mailbox Rules Agent"
            ),
            Some("Mailbox Rules Agent".into())
        );
        assert_eq!(
            marks("X-MS-Exchange-Inbox-Rules-Loop", "a@corp.example"),
            None
        );
        assert_eq!(marks("X-Mailer", "Outlook"), None);
    }

    #[test]
    fn list_senders() {
        assert!(is_list_sender("owner-linux-mm@kvack.org"));
        assert!(is_list_sender("\"eng\" <eng-bounces@lists.corp.example>"));
        assert!(is_list_sender("ENG-REQUEST@lists.corp.example"));
        assert!(!is_list_sender("Alice <alice@corp.example>"));
        assert!(!is_list_sender("kasan-dev@googlegroups.com"));
    }
}
