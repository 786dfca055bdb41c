//! Reading a bounce about a mail outloud sent: which delivery it is about and how bad it is.
//! Pure, run by the pipeline on mail `classify` skipped as a bounce.
//!
//! A bounce is tied to its delivery by, in this order: the VERP token of the return path it
//! was sent to (`bounces+TOKEN@…` in `Delivered-To`, `X-Original-To`, `To`, or the DSN's
//! `X-Postfix-Sender`), the DSN's `Original-Envelope-Id` (outloud sends `ENVID=TOKEN` where the
//! server offers DSN, RFC 3461), or else the Message-ID of the returned mail (`message/rfc822`
//! or `text/rfc822-headers` part, Gmail's `X-Original-Message-ID`, the report's own
//! `In-Reply-To`) together with the recipient address.
//!
//! Each recipient of an RFC 3464 delivery status report counts by its `Action` and `Status`:
//! `failed` with a 4.x.x status is soft, with a 5.x.x status (or none) hard; `delayed`,
//! `delivered`, `relayed` and `expanded` are not failures. A bounce without a report (plain-text
//! notices from older MTAs) is hard unless its text gives only 4.x.x codes.

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

use super::classify::OwnIdentity;
use super::compose::{is_own_message_id, verp_token};
use super::parse::extract_ids;
use crate::model::ParsedMail;

/// How much a failed delivery counts against its address (Discourse's soft and hard bounces).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// A temporary failure the reporting server gave up on (mailbox full, 4.x.x).
    Soft,
    /// A permanent failure (unknown user, 5.x.x).
    Hard,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Soft => "soft",
            Severity::Hard => "hard",
        }
    }

    /// From an enhanced status code (RFC 3463 class digit) or an SMTP reply code.
    pub fn of_status(status: &str) -> Option<Severity> {
        match status.trim().as_bytes().first() {
            Some(b'4') => Some(Severity::Soft),
            Some(b'5') => Some(Severity::Hard),
            _ => None,
        }
    }
}

/// One recipient as a bounce reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BouncedRecipient {
    /// `Original-Recipient` if given (what outloud sent to), else `Final-Recipient`;
    /// lower-cased. Empty when the bounce names no recipient.
    pub address: String,
    /// `failed`, `delayed`, … (lower-case); `failed` for a bounce without a report.
    pub action: String,
    /// Enhanced status code, e.g. `5.1.1`.
    pub status: Option<String>,
    /// `Diagnostic-Code`, e.g. `smtp; 550 5.1.1 user unknown`.
    pub diagnostic: Option<String>,
    /// `None` when this recipient did not fail (delayed, delivered, …).
    pub severity: Option<Severity>,
}

/// A bounce about a mail outloud sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce {
    /// Delivery token from the return path or `Original-Envelope-Id`.
    pub token: Option<String>,
    /// Message-ID (without brackets) of the returned mail, when it is one outloud made.
    pub message_id: Option<String>,
    pub recipients: Vec<BouncedRecipient>,
}

impl Bounce {
    /// The worst failure reported.
    pub fn severity(&self) -> Option<Severity> {
        self.recipients.iter().filter_map(|r| r.severity).max()
    }
}

/// What `raw` (already classified as a bounce) says about a mail outloud sent; `None` when it
/// is about someone else's mail.
pub fn read_bounce(raw: &[u8], mail: &ParsedMail, own: &OwnIdentity) -> Option<Bounce> {
    let bounce_address = own.bounce_address.as_deref();
    let envelope = (mail.envelope_to.iter()).chain(mail.to.iter().map(|a| &a.email));
    let mut token = envelope
        .into_iter()
        .find_map(|a| bounce_address.and_then(|b| verp_token(a, b)));
    let msg = MessageParser::new().parse(raw)?;
    let report = delivery_status(&msg).map(|text| DeliveryStatus::parse(&text));
    if let (None, Some(r)) = (&token, &report) {
        token = r.token(bounce_address);
    }
    let message_id = returned_message_id(&msg, report.as_ref(), mail);
    if token.is_none() && message_id.is_none() {
        return None;
    }
    let recipients = match &report {
        Some(r) if !r.recipients.is_empty() => r.recipients.clone(),
        _ => vec![plain_bounce(mail)],
    };
    Some(Bounce {
        token,
        message_id,
        recipients,
    })
}

/// A bounce without a delivery status report: failed, as bad as the worst code its text gives.
fn plain_bounce(mail: &ParsedMail) -> BouncedRecipient {
    let codes = enhanced_codes(&mail.text);
    let severity = if codes.iter().any(|c| c.starts_with('5')) || codes.is_empty() {
        Severity::Hard
    } else {
        Severity::Soft
    };
    BouncedRecipient {
        address: String::new(),
        action: "failed".into(),
        status: codes.into_iter().next(),
        diagnostic: None,
        severity: Some(severity),
    }
}

/// Enhanced status codes (`5.1.1`, `4.2.2`) in `text`, in order.
fn enhanced_codes(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';')) {
        // qmail writes `(#5.1.1)`.
        let word = word.trim_start_matches('#').trim_end_matches(['.', ':']);
        let parts: Vec<&str> = word.split('.').collect();
        let digits = |p: &str, max: usize| {
            !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit())
        };
        if parts.len() == 3
            && matches!(parts[0], "2" | "4" | "5")
            && digits(parts[1], 3)
            && digits(parts[2], 3)
            && !out.iter().any(|c: &String| c == word)
        {
            out.push(word.to_string());
        }
    }
    out
}

/// The text of the `message/delivery-status` part (RFC 3464; `message/global-delivery-status`,
/// RFC 6533, for internationalised addresses).
fn delivery_status(msg: &Message<'_>) -> Option<String> {
    msg.parts.iter().find_map(|p| {
        let ct = p.content_type()?;
        let sub = ct.subtype()?.to_ascii_lowercase();
        let is_report = ct.ctype().eq_ignore_ascii_case("message")
            && (sub == "delivery-status" || sub == "global-delivery-status");
        is_report.then(|| String::from_utf8_lossy(p.contents()).into_owned())
    })
}

/// The returned mail's Message-ID, if outloud made it: from the returned message or headers,
/// the report's `X-Original-Message-ID` (Gmail), or the bounce's own `In-Reply-To` and
/// `References` (Gmail sets them to the failed mail).
fn returned_message_id(
    msg: &Message<'_>,
    report: Option<&DeliveryStatus>,
    mail: &ParsedMail,
) -> Option<String> {
    let mut candidates: Vec<String> = Vec::new();
    for p in msg.parts.iter().skip(1) {
        match &p.body {
            PartType::Message(m) => candidates.extend(m.message_id().map(str::to_string)),
            PartType::Text(t) if is_headers_part(p) => candidates.extend(
                header_value(t, "message-id")
                    .map(|v| extract_ids(&v))
                    .unwrap_or_default(),
            ),
            _ => {}
        }
    }
    if let Some(r) = report {
        candidates.extend(
            r.message_fields
                .get("x-original-message-id")
                .map(|v| extract_ids(v))
                .unwrap_or_default(),
        );
    }
    candidates.extend(mail.in_reply_to.iter().cloned());
    candidates.extend(mail.references.iter().cloned());
    candidates.into_iter().find(|id| is_own_message_id(id))
}

fn is_headers_part(p: &mail_parser::MessagePart<'_>) -> bool {
    p.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("text")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("rfc822-headers"))
    })
}

/// The unfolded value of header `name` (lower-case) in a block of header lines.
fn header_value(block: &str, name: &str) -> Option<String> {
    fields(block)
        .into_iter()
        .flatten()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

/// Header-style fields in groups separated by blank lines, names lower-cased, values unfolded.
fn fields(text: &str) -> Vec<Vec<(String, String)>> {
    let mut groups: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for line in text.lines() {
        if line.trim().is_empty() {
            if groups.last().is_some_and(|g| !g.is_empty()) {
                groups.push(Vec::new());
            }
            continue;
        }
        let group = groups.last_mut().expect("never empty");
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = group.last_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            group.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    groups.retain(|g| !g.is_empty());
    groups
}

/// An RFC 3464 report: its per-message fields and one entry per recipient.
struct DeliveryStatus {
    message_fields: std::collections::HashMap<String, String>,
    recipients: Vec<BouncedRecipient>,
}

impl DeliveryStatus {
    fn parse(text: &str) -> DeliveryStatus {
        let mut groups = fields(text).into_iter();
        let message_fields = groups.next().unwrap_or_default().into_iter().collect();
        let recipients = groups.filter_map(|g| recipient(&g)).collect();
        DeliveryStatus {
            message_fields,
            recipients,
        }
    }

    /// The delivery token: `Original-Envelope-Id` (RFC 3461 xtext, outloud's are plain), or
    /// the VERP token of Postfix's `X-Postfix-Sender`.
    fn token(&self, bounce_address: Option<&str>) -> Option<String> {
        let envid = self.message_fields.get("original-envelope-id");
        let envid = envid.map(|v| v.trim().to_ascii_lowercase());
        let envid = envid.filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric()));
        envid.or_else(|| {
            let sender = self.message_fields.get("x-postfix-sender")?;
            verp_token(&typed_address(sender), bounce_address?)
        })
    }
}

/// One per-recipient group of a report; `None` without a recipient field.
fn recipient(group: &[(String, String)]) -> Option<BouncedRecipient> {
    let get = |name: &str| {
        group
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let address = get("original-recipient")
        .or(get("final-recipient"))
        .map(typed_address)?;
    let action = get("action")
        .and_then(|a| a.split_whitespace().next())
        .unwrap_or("failed")
        .to_ascii_lowercase();
    let status = get("status")
        .and_then(|s| s.split_whitespace().next())
        .map(str::to_string);
    let severity = match action.as_str() {
        "failed" => Some(
            status
                .as_deref()
                .and_then(Severity::of_status)
                .unwrap_or(Severity::Hard),
        ),
        _ => None,
    };
    Some(BouncedRecipient {
        address,
        action,
        status,
        diagnostic: get("diagnostic-code").map(str::to_string),
        severity,
    })
}

/// `rfc822; Name@Example.org` → `name@example.org` (address type stripped, brackets too).
fn typed_address(v: &str) -> String {
    let a = v.split_once(';').map_or(v, |(_, a)| a);
    a.trim()
        .trim_matches(['<', '>'])
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests;
