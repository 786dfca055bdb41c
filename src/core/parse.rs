//! Stage 1: raw RFC 5322 bytes → [`ParsedMail`], with mail-parser.
use std::panic::{catch_unwind, AssertUnwindSafe};

use mail_parser::{Addr, Message, MessageParser, MessagePart, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use crate::model::text::{cap, MAX_FILENAME_CHARS, MAX_NAME_CHARS, MAX_SUBJECT_CHARS};
use crate::model::{Address, Attachment, ParsedMail};

mod headers;
mod text;

pub(crate) use headers::extract_ids;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("empty input")]
    Empty,
    #[error("not an email: {0}")]
    NotAMail(String),
}

impl ParseError {
    /// A stable name for the kind of failure (metrics label, logs).
    pub fn kind(&self) -> &'static str {
        match self {
            ParseError::Empty => "empty",
            ParseError::NotAMail(_) => "not_a_mail",
        }
    }
}

/// Parse raw bytes. Lenient with broken MIME (mail-parser recovers what it can); errors only
/// when there is no mail at all.
pub fn parse(raw: &[u8]) -> Result<ParsedMail, ParseError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    // mail-parser promises not to panic, but it has debug assertions on malformed nesting;
    // one hostile mail must never take the daemon down.
    catch_unwind(AssertUnwindSafe(|| parse_inner(raw)))
        .unwrap_or_else(|_| Err(ParseError::NotAMail("the MIME parser gave up on it".into())))
}

fn parse_inner(original: &[u8]) -> Result<ParsedMail, ParseError> {
    let repaired = headers::repair_8bit_headers(original);
    let raw = repaired.as_deref().unwrap_or(original);
    let msg = MessageParser::new()
        .parse(raw)
        .ok_or_else(|| ParseError::NotAMail("no header found".into()))?;
    if msg.parts.is_empty() || !has_real_header(&msg, raw) {
        return Err(ParseError::NotAMail("no header found".into()));
    }
    // The identity of the stored bytes, not of our repaired copy.
    let raw_sha256 = sha256_hex(original);
    let facts = headers::collect(&msg, raw);
    let (message_id, message_id_synthetic) = match facts.message_id {
        Some(id) => (id, false),
        // Derived from the bytes so importing the same file twice yields the same id.
        None => (format!("{raw_sha256}@outloud.invalid"), true),
    };
    let body = body(&msg);
    Ok(ParsedMail {
        message_id,
        message_id_synthetic,
        in_reply_to: facts.in_reply_to,
        references: facts.references,
        thread_index: facts.thread_index,
        // Capped for display; the full subject stays in the stored raw mail.
        subject: msg
            .subject()
            .map(|s| cap(text::one_line(s), MAX_SUBJECT_CHARS))
            .unwrap_or_default(),
        from: msg.from().and_then(|a| a.iter().find_map(address)),
        to: msg
            .all_to()
            .flat_map(|a| a.iter())
            .filter_map(address)
            .collect(),
        cc: msg
            .all_cc()
            .flat_map(|a| a.iter())
            .filter_map(address)
            .collect(),
        envelope_to: facts.envelope_to,
        date: msg
            .date()
            .filter(|d| d.is_valid())
            .map(|d| d.to_timestamp()),
        date_offset_secs: msg.date().filter(|d| d.is_valid()).map(utc_offset),
        attachments: attachments(&msg, body.html.as_deref()),
        text: body.text,
        html: body.html,
        text_from_html: body.from_html,
        signals: facts.signals,
        raw_sha256,
    })
}

/// Seconds east of UTC of a Date header's zone (`-0500` → -18000).
fn utc_offset(d: &mail_parser::DateTime) -> i32 {
    let secs = i32::from(d.tz_hour) * 3600 + i32::from(d.tz_minute) * 60;
    if d.tz_before_gmt {
        -secs
    } else {
        secs
    }
}

/// mail-parser turns any leading bytes into a header name, even without a colon; a mail needs
/// at least one `Name:` line with a printable ASCII name.
fn has_real_header(msg: &Message<'_>, raw: &[u8]) -> bool {
    msg.headers().iter().any(|h| {
        let colon = (h.offset_start as usize)
            .checked_sub(1)
            .and_then(|i| raw.get(i));
        colon == Some(&b':')
            && h.name
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b':')
    })
}

/// The text the parser makes of an HTML-only body: rendered (quotes as `>` lines, links with
/// their targets inline) and normalised. Public so HTML fixtures can hold exactly this text.
pub fn html_body_text(html: &str) -> String {
    text::normalise(&text::html_to_text(html))
}

/// Lower-case hex SHA-256: the identity of a stored raw mail.
pub fn sha256_hex(raw: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(raw);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

/// A mailbox as the model wants it; `None` for entries without an address (bare group names,
/// undisclosed-recipients).
fn address(a: &Addr<'_>) -> Option<Address> {
    let email = a
        .address
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())?;
    let name = a.name.as_deref().map(text::one_line).map(|n| {
        // Outlook quotes names it copied from an address book: `'Müller, Hans'`.
        let n = n.trim();
        let n = n
            .strip_prefix('\'')
            .and_then(|n| n.strip_suffix('\''))
            .unwrap_or(n);
        cap(n.trim().to_string(), MAX_NAME_CHARS)
    });
    let name = name.filter(|n| !n.eq_ignore_ascii_case(email));
    Some(Address::new(name.as_deref(), &text::one_line(email)))
}

struct Body {
    text: String,
    html: Option<String>,
    from_html: bool,
}

fn body(msg: &Message<'_>) -> Body {
    // The first real HTML body (mail-parser lists text parts among HTML bodies when a mail has
    // no HTML, so check the part type).
    let html = msg.html_bodies().find_map(|p| match &p.body {
        PartType::Html(h) => Some(h.as_ref()),
        _ => None,
    });
    let plain = msg.text_part(0).and_then(|p| match &p.body {
        PartType::Text(t) => Some((t.as_ref(), p)),
        _ => None,
    });
    let (text, from_html) = match (plain, html) {
        // Some clients send an empty text/plain alternative next to the real HTML.
        (Some((t, _)), Some(h)) if t.trim().is_empty() => (text::html_to_text(h), true),
        (Some((t, part)), _) => (plain_text(t, part), false),
        (None, Some(h)) => (text::html_to_text(h), true),
        (None, None) => (String::new(), false),
    };
    Body {
        text: text::normalise(&text),
        html: html.map(|h| h.replace('\0', "")),
        from_html,
    }
}

fn plain_text(t: &str, part: &MessagePart<'_>) -> String {
    let ct = part.content_type();
    let attr_is = |name: &str, want: &str| {
        ct.and_then(|c| c.attribute(name))
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(want))
    };
    if attr_is("format", "flowed") {
        text::unflow(t, attr_is("delsp", "yes"))
    } else {
        t.to_string()
    }
}

fn attachments(msg: &Message<'_>, html: Option<&str>) -> Vec<Attachment> {
    msg.attachments()
        .filter(|p| !is_html_inline_image(p, html))
        .map(|p| Attachment {
            filename: p
                .attachment_name()
                .map(|n| cap(text::one_line(n), MAX_FILENAME_CHARS))
                .filter(|n| !n.is_empty()),
            content_type: content_type(p),
            size: part_size(p),
        })
        .collect()
}

/// Inline images an HTML body shows through `cid:` (logos in Outlook signatures) are part of
/// the body, not files anyone attached.
fn is_html_inline_image(p: &MessagePart<'_>, html: Option<&str>) -> bool {
    let Some(html) = html else { return false };
    p.content_id()
        .map(|cid| cid.trim().trim_start_matches('<').trim_end_matches('>'))
        .filter(|cid| !cid.is_empty())
        .is_some_and(|cid| html.contains(&format!("cid:{cid}")))
}

fn content_type(p: &MessagePart<'_>) -> String {
    match p.content_type() {
        Some(ct) => {
            let mut t = ct.ctype().trim().to_ascii_lowercase();
            t.push('/');
            t.push_str(
                &ct.subtype()
                    .unwrap_or("octet-stream")
                    .trim()
                    .to_ascii_lowercase(),
            );
            t
        }
        None => match p.body {
            PartType::Text(_) => "text/plain",
            PartType::Html(_) => "text/html",
            PartType::Message(_) => "message/rfc822",
            _ => "application/octet-stream",
        }
        .to_string(),
    }
}

fn part_size(p: &MessagePart<'_>) -> u64 {
    match &p.body {
        // A nested message's `raw_message` may be the whole outer mail; its own span is exact.
        PartType::Message(_) => u64::from(p.raw_end_offset().saturating_sub(p.raw_body_offset())),
        body => body.len() as u64,
    }
}

#[cfg(test)]
mod tests;
