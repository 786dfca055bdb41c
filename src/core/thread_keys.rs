//! Stage 4: the keys a mail can be threaded by, and the rule that picks a thread among
//! candidates. References / In-Reply-To first, then Outlook's Thread-Index, then the normalised
//! subject within a time window in the same group.
use std::collections::HashSet;

use crate::model::ParsedMail;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ThreadKeys {
    /// Message-IDs this mail answers, nearest first (In-Reply-To, then References newest→oldest).
    pub parents: Vec<String>,
    /// Root of Outlook's Thread-Index (its first 22 bytes, base64) when present.
    pub thread_index_root: Option<String>,
    /// Normalised subject for matching: reply/forward prefixes (Re, Fwd, AW, WG, SV, VS, RE[2], …)
    /// and list tags stripped, whitespace folded, lower-cased.
    pub subject_key: String,
    /// True when the subject carried a reply/forward prefix or the mail has parents: only such
    /// mails may join a thread by subject alone.
    pub looks_like_reply: bool,
}

/// Reply and forward prefixes across the languages mail clients localise them into, lower-case.
/// Matched as a whole word followed by an optional counter and a colon.
const PREFIXES: &[&str] = &[
    // English and widely used
    "re",
    "fw",
    "fwd",
    // German
    "aw",
    "wg",
    "antw",
    "antwort",
    // Scandinavian, Finnish
    "sv",
    "vs",
    "vb",
    "vl",
    // Dutch
    "doorst",
    // French, Spanish, Italian, Portuguese
    "tr",
    "rv",
    "rif",
    "res",
    "enc",
    // Polish
    "odp",
    "pd",
    // Turkish, Hungarian
    "ynt",
    "ilt",
    // Russian
    "отв",
    "пересл",
    // Chinese, Japanese, Korean
    "回复",
    "回覆",
    "答复",
    "答覆",
    "转发",
    "轉寄",
    "轉發",
    "返信",
    "転送",
    "회신",
    "전달",
];

/// Longest prefix word in characters; anything longer cannot be a prefix.
const MAX_PREFIX_CHARS: usize = 8;
/// List tags such as `[eng]` are short and have no spaces.
const MAX_TAG_CHARS: usize = 40;

/// Subject for display: prefixes and list tags removed, original case kept.
pub fn clean_subject(subject: &str) -> String {
    strip_prefixes(subject).0.to_string()
}

/// The subject key of any subject line, as [`ThreadKeys::subject_key`] computes it.
pub fn subject_key_of(subject: &str) -> String {
    subject_key(strip_prefixes(subject).0)
}

impl ThreadKeys {
    /// No References, In-Reply-To or Thread-Index, but a reply prefix: a mail that can only be
    /// threaded by its subject.
    pub fn links_by_subject(&self) -> bool {
        self.looks_like_reply && self.parents.is_empty() && self.thread_index_root.is_none()
    }
}

pub fn thread_keys(mail: &ParsedMail) -> ThreadKeys {
    let (clean, had_prefix) = strip_prefixes(&mail.subject);
    let parents = parents(mail);
    ThreadKeys {
        looks_like_reply: had_prefix || !parents.is_empty(),
        parents,
        thread_index_root: mail.thread_index.as_deref().and_then(thread_index_root),
        subject_key: subject_key(clean),
    }
}

/// In-Reply-To first (the direct parent), then References from newest to oldest; each id once,
/// never the mail's own id (some clients list it, which would make a mail its own parent).
fn parents(mail: &ParsedMail) -> Vec<String> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut out = Vec::with_capacity(mail.in_reply_to.len() + mail.references.len());
    for id in mail.in_reply_to.iter().chain(mail.references.iter().rev()) {
        if id.is_empty() || *id == mail.message_id || !seen.insert(id.as_str()) {
            continue;
        }
        out.push(id.clone());
    }
    out
}

fn subject_key(clean: &str) -> String {
    let mut key = String::with_capacity(clean.len());
    for word in clean.split_whitespace() {
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(word);
    }
    key.to_lowercase()
}

/// Strip reply/forward prefixes and list tags, repeatedly and in any order
/// (`Re: [eng] AW: x`). Returns the rest and whether a reply/forward prefix was seen.
fn strip_prefixes(subject: &str) -> (&str, bool) {
    let mut s = subject.trim();
    let mut had_prefix = false;
    loop {
        if let Some(rest) = strip_reply_prefix(s) {
            had_prefix = true;
            s = rest.trim_start();
            continue;
        }
        match strip_list_tag(s) {
            // A subject that is only a tag keeps it: an empty subject helps nobody.
            Some(rest) if !rest.trim().is_empty() => s = rest.trim_start(),
            _ => break,
        }
    }
    (s.trim_end(), had_prefix)
}

/// `Re:`, `RE :`, `Re[2]:`, `Re(2):`, `Re^2:`, `回复：` … → the text after the colon.
fn strip_reply_prefix(s: &str) -> Option<&str> {
    let word_end = s
        .char_indices()
        .take(MAX_PREFIX_CHARS + 1)
        .find(|(_, c)| !c.is_alphabetic())
        .map(|(i, _)| i)?;
    if word_end == 0 {
        return None;
    }
    let word = &s[..word_end];
    if !PREFIXES.iter().any(|p| eq_ignore_case(word, p)) {
        return None;
    }
    let rest = skip_counter(&s[word_end..]);
    // French typography puts a space before the colon.
    let rest = rest.trim_start_matches([' ', '\u{a0}']);
    rest.strip_prefix(':').or_else(|| rest.strip_prefix('：'))
}

/// Skip a reply counter: `[2]`, `(2)`, `^2`.
fn skip_counter(s: &str) -> &str {
    let (open, close) = match s.as_bytes().first() {
        Some(b'[') => ('[', Some(']')),
        Some(b'(') => ('(', Some(')')),
        Some(b'^') => ('^', None),
        _ => return s,
    };
    let after = &s[open.len_utf8()..];
    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return s;
    }
    let after = &after[digits..];
    match close {
        Some(c) => after.strip_prefix(c).unwrap_or(s),
        None => after,
    }
}

/// `[eng]`, `[Corp-Eng]`, `[EXTERNAL]` at the start → the text after it.
fn strip_list_tag(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('[')?;
    let end = inner
        .char_indices()
        .take(MAX_TAG_CHARS + 1)
        .find(|&(_, c)| c == ']' || c == '[' || c.is_whitespace())?;
    if end.1 != ']' || end.0 == 0 {
        return None;
    }
    Some(&inner[end.0 + 1..])
}

fn eq_ignore_case(word: &str, lower: &str) -> bool {
    if word.is_ascii() {
        word.eq_ignore_ascii_case(lower)
    } else {
        word.chars().flat_map(char::to_lowercase).eq(lower.chars())
    }
}

/// Outlook's Thread-Index is base64 of a 22-byte header (timestamp + GUID) shared by the whole
/// conversation, followed by 5-byte child blocks. The header is the conversation's identity.
fn thread_index_root(index: &str) -> Option<String> {
    let bytes = base64_decode(index)?;
    let root = bytes.get(..22)?;
    Some(base64_encode(root))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Lenient standard base64: whitespace ignored, padding optional, anything else rejects.
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b if b.is_ascii_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= n {
                out.push(B64[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(subject: &str) -> ParsedMail {
        ParsedMail {
            subject: subject.to_string(),
            message_id: "self@x".into(),
            ..Default::default()
        }
    }

    #[test]
    fn strips_common_prefixes() {
        for (input, want) in [
            ("Re: Launch plan", "Launch plan"),
            ("RE: RE: FW: Launch plan", "Launch plan"),
            ("Fwd: Launch plan", "Launch plan"),
            ("AW: WG: Launch plan", "Launch plan"),
            ("SV: VS: Launch plan", "Launch plan"),
            ("Vs: Launch plan", "Launch plan"),
            ("Antw: Launch plan", "Launch plan"),
            ("Antwort: Launch plan", "Launch plan"),
            ("TR: Launch plan", "Launch plan"),
            ("RV: Launch plan", "Launch plan"),
            ("RIF: Launch plan", "Launch plan"),
            ("Odp: Launch plan", "Launch plan"),
            ("Doorst: Launch plan", "Launch plan"),
            ("Re[2]: Launch plan", "Launch plan"),
            ("Re(3): Launch plan", "Launch plan"),
            ("Re^2: Launch plan", "Launch plan"),
            ("Re : Launch plan", "Launch plan"),
            ("RE:RE:Launch plan", "Launch plan"),
            ("回复：发布计划", "发布计划"),
            ("答复: 发布计划", "发布计划"),
            ("转发: 发布计划", "发布计划"),
            ("返信: 計画", "計画"),
            ("転送：計画", "計画"),
            ("  re:   spaced  ", "spaced"),
        ] {
            assert_eq!(clean_subject(input), want, "{input}");
        }
    }

    #[test]
    fn strips_list_tags_interleaved() {
        assert_eq!(clean_subject("[eng] Launch plan"), "Launch plan");
        assert_eq!(
            clean_subject("Re: [Corp-Eng] Re: Launch plan"),
            "Launch plan"
        );
        assert_eq!(clean_subject("[EXTERNAL] RE: [eng] Launch"), "Launch");
    }

    #[test]
    fn keeps_lookalikes() {
        for s in [
            "Regarding: budget",
            "Reminder: standup",
            "Re-org plan",
            "Fwd",
            "[eng]",
            "[not a tag] title",
            "Rex: dog",
            "Re 2: x",
            "Launch: Re: x",
        ] {
            assert_eq!(clean_subject(s), s.trim(), "{s}");
        }
    }

    #[test]
    fn subject_key_folds_space_and_case() {
        let k = thread_keys(&mail("RE:  [eng]  Launch\tPLAN  v2"));
        assert_eq!(k.subject_key, "launch plan v2");
        assert!(k.looks_like_reply);
        let k = thread_keys(&mail("[eng] Launch plan"));
        assert_eq!(k.subject_key, "launch plan");
        assert!(!k.looks_like_reply, "a list tag is not a reply marker");
        assert_eq!(
            thread_keys(&mail("Über ÄNDERUNG")).subject_key,
            "über änderung"
        );
    }

    #[test]
    fn parents_nearest_first_deduped() {
        let mut m = mail("x");
        m.in_reply_to = vec!["c@x".into()];
        m.references = vec![
            "a@x".into(),
            "b@x".into(),
            "c@x".into(),
            "self@x".into(),
            "a@x".into(),
        ];
        let k = thread_keys(&m);
        assert_eq!(k.parents, vec!["c@x", "a@x", "b@x"]);
        assert!(k.looks_like_reply);
    }

    #[test]
    fn thread_index_root_is_first_22_bytes() {
        // 22-byte header + one 5-byte child block, as Outlook writes it.
        let header: Vec<u8> = (1..=22).collect();
        let mut full = header.clone();
        full.extend([0xAA, 0xBB, 0xCC, 0xDD, 0xEE]);
        let mut m = mail("x");
        m.thread_index = Some(base64_encode(&full));
        let root = thread_keys(&m).thread_index_root.unwrap();
        assert_eq!(root, base64_encode(&header));
        // The conversation's first mail has exactly the header: same root.
        m.thread_index = Some(base64_encode(&header));
        assert_eq!(thread_keys(&m).thread_index_root.unwrap(), root);
        m.thread_index = Some("AdQ=".into());
        assert_eq!(thread_keys(&m).thread_index_root, None, "too short");
        m.thread_index = Some("not base64 at all!".into());
        assert_eq!(thread_keys(&m).thread_index_root, None);
    }

    #[test]
    fn base64_round_trip() {
        for len in 0..40u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(base64_decode(&base64_encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(base64_encode(b"Man"), "TWFu");
        assert_eq!(base64_encode(b"Ma"), "TWE=");
        assert_eq!(base64_decode("TW\r\n E").unwrap(), b"Ma");
    }
}
