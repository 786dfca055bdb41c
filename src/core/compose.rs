//! Outgoing mail: a draft → the bytes outloud submits, and the names it gives them. Pure: the
//! caller draws the tokens and reads the clock, so the same inputs give the same bytes.
//!
//! Every mail outloud sends carries what makes it recognisable when it comes back (it must
//! never be published): the `X-Outloud-Loop` header, the From address of `[smtp]`, and a
//! Message-ID `<outloud.TOKEN@DOMAIN>` of outloud's own. Its return path is per delivery,
//! `LOCAL+TOKEN@DOMAIN` (VERP), so a bounce names the mail and the recipient it is about.

use std::time::{Duration, UNIX_EPOCH};

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, Mailboxes, MultiPart, SinglePart};

use super::classify::LOOP_HEADER;

/// Opening of every Message-ID outloud makes (its own mail is told apart by it).
pub const MESSAGE_ID_PREFIX: &str = "outloud.";

/// Who outloud sends as, every default worked out (see `config::SmtpConfig`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// Lower-cased.
    pub from: String,
    pub from_name: String,
    pub message_id_domain: String,
    /// `LOCAL@DOMAIN` of the return path; deliveries use `LOCAL+TOKEN@DOMAIN`.
    pub bounce_address: String,
    /// Value of the `X-Outloud-Loop` header.
    pub loop_marker: String,
}

/// A mail to send, before it has a Message-ID and a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// Every address in To; each is one delivery (one SMTP transaction).
    pub to: Vec<String>,
    pub subject: String,
    /// Plain text body.
    pub text: String,
    /// Message-IDs (without brackets) this mail answers, for threading in mail clients.
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// `Auto-Submitted: auto-generated` (RFC 3834): notices and tests, so that responders
    /// stay quiet. False for mail written by a person that outloud only relays.
    pub auto_submitted: bool,
    /// A person outloud relays for (a comment written on the web): From becomes "NAME via
    /// outloud" at outloud's own address (outloud may not send as the person's domain: SPF,
    /// DKIM, DMARC), and Reply-To the person, so answers reach them.
    pub on_behalf_of: Option<Person>,
    /// Where answers go, when not to the From address (or the person outloud sends for): the
    /// group address of a post waiting out its undo window, so its author's `CANCEL` reaches
    /// outloud's mailbox.
    pub reply_to: Option<String>,
}

/// Someone outloud sends for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: Option<String>,
    /// Lower-cased.
    pub email: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ComposeError {
    #[error("{0:?} is not an address outloud can send to")]
    BadAddress(String),
    #[error("a mail needs at least one recipient")]
    NoRecipient,
    #[error("cannot build the mail: {0}")]
    Build(String),
}

/// A composed mail for the outbox: its bytes and Message-ID fixed now, so a resend after a
/// crash sends the very same mail; one delivery (SMTP transaction) per recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Without brackets.
    pub message_id: String,
    /// What queued it, for listings: `test`, `notice`, …
    pub kind: String,
    pub subject: String,
    pub bytes: Vec<u8>,
    pub deliveries: Vec<NewDelivery>,
    /// Unix seconds.
    pub created_at: i64,
    /// The first attempt not before this (Unix seconds; `created_at` unless held back).
    pub not_before: i64,
}

/// One recipient of an [`Outgoing`] mail and the token of its return path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// Lower-cased.
    pub recipient: String,
    pub token: String,
}

/// What some mail carries beyond a [`Draft`]: an HTML alternative and list headers (digests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extras {
    /// Sent as `multipart/alternative` with the draft's text.
    pub html: Option<String>,
    /// Further headers, each on one line (`List-Unsubscribe`, `List-Id`, …).
    pub headers: Vec<(&'static str, String)>,
}

/// `draft` composed for the outbox at `now`; `token` draws a fresh random token (lower-case
/// letters and digits) for the Message-ID and for each delivery's return path.
pub fn outgoing(
    sender: &Sender,
    draft: &Draft,
    kind: &str,
    now: i64,
    token: &mut dyn FnMut() -> String,
) -> Result<Outgoing, ComposeError> {
    outgoing_with(sender, draft, &Extras::default(), kind, now, token)
}

/// [`outgoing`] with an HTML part and further headers.
pub fn outgoing_with(
    sender: &Sender,
    draft: &Draft,
    extras: &Extras,
    kind: &str,
    now: i64,
    token: &mut dyn FnMut() -> String,
) -> Result<Outgoing, ComposeError> {
    let mut recipients: Vec<String> = Vec::with_capacity(draft.to.len());
    for r in &draft.to {
        let r = r.trim().to_ascii_lowercase();
        if !recipients.contains(&r) {
            recipients.push(r);
        }
    }
    let draft = Draft {
        to: recipients,
        ..draft.clone()
    };
    let message_id = message_id(&token(), &sender.message_id_domain);
    let bytes = compose_with(sender, &draft, extras, &message_id, now)?;
    let deliveries = (draft.to.iter())
        .map(|recipient| NewDelivery {
            recipient: recipient.clone(),
            token: token(),
        })
        .collect();
    Ok(Outgoing {
        message_id,
        kind: kind.to_string(),
        subject: draft.subject.clone(),
        bytes,
        deliveries,
        created_at: now,
        not_before: now,
    })
}

/// The Message-ID (without brackets) of a mail with `token`.
pub fn message_id(token: &str, domain: &str) -> String {
    format!("{MESSAGE_ID_PREFIX}{token}@{domain}")
}

/// True for a Message-ID outloud made: `outloud.TOKEN@…`.
pub fn is_own_message_id(id: &str) -> bool {
    id.get(..MESSAGE_ID_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(MESSAGE_ID_PREFIX))
        && id.contains('@')
}

/// The return path of one delivery: `LOCAL+TOKEN@DOMAIN` for bounce address `LOCAL@DOMAIN`.
pub fn verp_address(bounce_address: &str, token: &str) -> String {
    match bounce_address.rsplit_once('@') {
        Some((local, domain)) => format!("{local}+{token}@{domain}"),
        None => format!("{bounce_address}+{token}"),
    }
}

/// The token of a return path made by [`verp_address`], compared case-insensitively (servers
/// upper-case addresses they echo back); `None` for any other address.
pub fn verp_token(address: &str, bounce_address: &str) -> Option<String> {
    let (local, domain) = bounce_address.rsplit_once('@')?;
    let (a_local, a_domain) = address.trim().rsplit_once('@')?;
    if !a_domain.eq_ignore_ascii_case(domain) {
        return None;
    }
    let (base, token) = a_local.split_once('+')?;
    let ok = base.eq_ignore_ascii_case(local)
        && !token.is_empty()
        && token.chars().all(|c| c.is_ascii_alphanumeric());
    ok.then(|| token.to_ascii_lowercase())
}

/// The bytes of `draft` as sent from `sender`, with Message-ID `message_id` (without brackets)
/// and Date `date` (Unix seconds).
pub fn compose(
    sender: &Sender,
    draft: &Draft,
    message_id: &str,
    date: i64,
) -> Result<Vec<u8>, ComposeError> {
    compose_with(sender, draft, &Extras::default(), message_id, date)
}

/// [`compose`] with an HTML alternative and further headers.
pub fn compose_with(
    sender: &Sender,
    draft: &Draft,
    extras: &Extras,
    message_id: &str,
    date: i64,
) -> Result<Vec<u8>, ComposeError> {
    if draft.to.is_empty() {
        return Err(ComposeError::NoRecipient);
    }
    let from = match &draft.on_behalf_of {
        Some(p) => {
            let who = p.name.as_deref().filter(|n| !n.trim().is_empty());
            let who = who.unwrap_or_else(|| p.email.split('@').next().unwrap_or_default());
            let name = format!("{} via {}", who.trim(), sender.from_name.trim());
            mailbox(Some(&name), &sender.from)?
        }
        None => mailbox(Some(&sender.from_name), &sender.from)?,
    };
    let mut to = Mailboxes::new();
    for a in &draft.to {
        to.push(mailbox(None, a)?);
    }
    let secs = u64::try_from(date).unwrap_or(0);
    let mut b = lettre::Message::builder()
        .from(from)
        .mailbox(lettre::message::header::To::from(to))
        .subject(draft.subject.clone())
        .date(UNIX_EPOCH + Duration::from_secs(secs))
        .message_id(Some(format!("<{message_id}>")))
        .raw_header(raw(LOOP_HEADER, &sender.loop_marker));
    if let Some(r) = &draft.reply_to {
        b = b.reply_to(mailbox(None, r)?);
    } else if let Some(p) = &draft.on_behalf_of {
        b = b.reply_to(mailbox(p.name.as_deref(), &p.email)?);
    }
    if let Some(parent) = &draft.in_reply_to {
        b = b.in_reply_to(format!("<{parent}>"));
    }
    if !draft.references.is_empty() {
        let refs: Vec<String> = draft.references.iter().map(|r| format!("<{r}>")).collect();
        b = b.references(refs.join(" "));
    }
    if draft.auto_submitted {
        b = b.raw_header(raw("Auto-Submitted", "auto-generated"));
    }
    for (name, value) in &extras.headers {
        b = b.raw_header(raw(name, value));
    }
    let message = match &extras.html {
        None => b.singlepart(SinglePart::plain(draft.text.clone())),
        Some(html) => b.multipart(MultiPart::alternative_plain_html(
            draft.text.clone(),
            html.clone(),
        )),
    }
    .map_err(|e| ComposeError::Build(e.to_string()))?;
    Ok(message.formatted())
}

fn mailbox(name: Option<&str>, email: &str) -> Result<Mailbox, ComposeError> {
    let address = email
        .trim()
        .parse()
        .map_err(|_| ComposeError::BadAddress(email.to_string()))?;
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    Ok(Mailbox::new(name.map(str::to_string), address))
}

/// A header lettre has no type for (outloud's loop marker, `Auto-Submitted`), on one line.
fn raw(name: &'static str, value: &str) -> HeaderValue {
    HeaderValue::new(
        HeaderName::new_from_ascii_str(name),
        value.replace(['\r', '\n'], " "),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::classify::{classify, OwnIdentity};
    use crate::core::parse::parse;
    use crate::model::{SkipReason, SkipRule};

    fn sender() -> Sender {
        Sender {
            from: "outloud@corp.example".into(),
            from_name: "outloud".into(),
            message_id_domain: "corp.example".into(),
            bounce_address: "bounces@corp.example".into(),
            loop_marker: "corp-1".into(),
        }
    }

    fn draft() -> Draft {
        Draft {
            to: vec![
                "Dana@Partner.Example".into(),
                "dana@partner.example".into(),
                "erik@corp.example".into(),
            ],
            subject: "Your mail to eng is published — ünïcode".into(),
            text: "It is a post now.\nGrüße\n".into(),
            in_reply_to: Some("CAF1@mail.gmail.com".into()),
            references: vec!["CAF0@mail.gmail.com".into(), "CAF1@mail.gmail.com".into()],
            auto_submitted: true,
            on_behalf_of: None,
            reply_to: None,
        }
    }

    #[test]
    fn composed_mail_reads_back_and_is_never_published() {
        let mut n = 0;
        let mut token = || {
            n += 1;
            format!("tok{n}")
        };
        let out = outgoing(&sender(), &draft(), "test", 1_796_000_000, &mut token).unwrap();
        assert_eq!(out.message_id, "outloud.tok1@corp.example");
        let to: Vec<&str> = out
            .deliveries
            .iter()
            .map(|d| d.recipient.as_str())
            .collect();
        assert_eq!(to, ["dana@partner.example", "erik@corp.example"]);
        assert_eq!(out.deliveries[1].token, "tok3");
        let mail = parse(&out.bytes).unwrap();
        assert_eq!(mail.message_id, out.message_id);
        assert_eq!(mail.subject, "Your mail to eng is published — ünïcode");
        assert_eq!(mail.date, Some(1_796_000_000));
        assert_eq!(mail.in_reply_to, vec!["CAF1@mail.gmail.com"]);
        assert_eq!(mail.references.len(), 2);
        assert!(mail.text.contains("Grüße"), "{}", mail.text);
        assert_eq!(mail.signals.outloud_loop.as_deref(), Some("corp-1"));
        assert_eq!(
            mail.signals.auto_submitted.as_deref(),
            Some("auto-generated")
        );
        assert_eq!(mail.from.unwrap().email, "outloud@corp.example");
        // Even stripped of the loop header and sent from another address, it is recognised.
        let text = String::from_utf8(out.bytes.clone()).unwrap();
        let stripped: String = text
            .lines()
            .filter(|l| !l.starts_with("X-Outloud-Loop") && !l.starts_with("From:"))
            .map(|l| format!("{l}\r\n"))
            .collect();
        let mail = parse(stripped.as_bytes()).unwrap();
        let skip = classify(&mail, &OwnIdentity::default()).unwrap();
        assert_eq!(
            (skip.rule, skip.reason()),
            (SkipRule::OwnMessageId, SkipReason::Loop)
        );
    }

    #[test]
    fn bad_recipients_are_refused() {
        let mut token = || "t".to_string();
        let mut d = draft();
        d.to = vec!["not an address".into()];
        assert!(matches!(
            outgoing(&sender(), &d, "test", 0, &mut token),
            Err(ComposeError::BadAddress(_))
        ));
        d.to.clear();
        assert_eq!(
            outgoing(&sender(), &d, "test", 0, &mut token),
            Err(ComposeError::NoRecipient)
        );
    }

    #[test]
    fn verp_round_trips_case_insensitively() {
        let a = verp_address("bounces@corp.example", "k7x2");
        assert_eq!(a, "bounces+k7x2@corp.example");
        assert_eq!(
            verp_token("BOUNCES+K7X2@CORP.EXAMPLE", "bounces@corp.example").as_deref(),
            Some("k7x2")
        );
        assert_eq!(
            verp_token("bounces@corp.example", "bounces@corp.example"),
            None
        );
        assert_eq!(
            verp_token("other+k7x2@corp.example", "bounces@corp.example"),
            None
        );
        assert_eq!(
            verp_token("bounces+k7x2@else.example", "bounces@corp.example"),
            None
        );
        assert_eq!(
            verp_token("bounces+a.b@corp.example", "bounces@corp.example"),
            None
        );
        assert!(is_own_message_id("Outloud.abc@corp.example"));
        assert!(!is_own_message_id("abc@outloud.invalid"));
    }
}
