//! Domain types shared by the pure core and the adapters. Plain data: no I/O here.

use serde::{Deserialize, Serialize};

mod names;
pub use names::{GroupAddress, InvalidAddress, InvalidSlug, Slug};

/// A mailbox address. `email` is always lower-cased so it can be compared directly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Address {
    pub name: Option<String>,
    pub email: String,
}

impl Address {
    pub fn new(name: Option<&str>, email: &str) -> Self {
        Address {
            name: name
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string),
            email: email.trim().to_ascii_lowercase(),
        }
    }

    /// The name if there is one, else the address.
    pub fn display(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.email)
    }
}

/// An attachment as listed on a message: we keep its description, not its bytes
/// (the bytes stay in the stored raw mail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: Option<String>,
    pub content_type: String,
    pub size: u64,
}

/// Header facts the classifier needs, extracted once by the parser so the
/// classifier stays a pure function of plain strings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Signals {
    /// Lower-cased `Auto-Submitted` value, e.g. `auto-replied`.
    pub auto_submitted: Option<String>,
    /// Lower-cased `Precedence` value, e.g. `bulk`.
    pub precedence: Option<String>,
    /// `X-Autoreply`, `X-Autorespond`, `X-Auto-Response-Suppress: All|OOF` or similar present.
    pub autoreply_header: bool,
    /// Top-level content type, lower-cased, e.g. `multipart/report`.
    pub content_type: Option<String>,
    /// `report-type` parameter of a multipart/report, lower-cased.
    pub report_type: Option<String>,
    /// `Return-Path: <>` (null sender), typical of bounces.
    pub null_return_path: bool,
    /// Value of outloud's own loop marker header (`X-Outloud-Loop`), if present.
    pub outloud_loop: Option<String>,
    /// `List-Id` value, if present.
    pub list_id: Option<String>,
}

/// A mail after parsing: everything later stages need, decoded to UTF-8.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ParsedMail {
    /// Message-ID without angle brackets. Synthesised from the raw bytes' hash when missing
    /// (`<sha256>@outloud.invalid`) so that re-importing the same bytes is recognised.
    pub message_id: String,
    /// True when `message_id` was synthesised.
    pub message_id_synthetic: bool,
    pub in_reply_to: Vec<String>,
    /// References in header order (oldest first).
    pub references: Vec<String>,
    /// Outlook's `Thread-Index` header, raw base64.
    pub thread_index: Option<String>,
    pub subject: String,
    pub from: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    /// Envelope recipients seen in `Delivered-To`, `X-Original-To`, `Envelope-To`, lower-cased.
    pub envelope_to: Vec<String>,
    /// Unix seconds, UTC. `None` when the mail has no parseable Date.
    pub date: Option<i64>,
    /// The text the author wrote: text/plain part, or the HTML part turned into text.
    pub text: String,
    /// The original HTML part, unsanitised (sanitise before showing or storing for display).
    pub html: Option<String>,
    /// True when `text` was produced from HTML (no text/plain part).
    pub text_from_html: bool,
    pub attachments: Vec<Attachment>,
    pub signals: Signals,
    /// Lower-case hex SHA-256 of the raw bytes: the identity of the stored raw mail.
    pub raw_sha256: String,
}

/// How a group was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    To,
    Cc,
    /// Only seen in the envelope (Delivered-To / X-Original-To): the group was Bcc'd.
    Bcc,
    /// Filed by `outloud import --group`.
    Import,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::To => "to",
            Via::Cc => "cc",
            Via::Bcc => "bcc",
            Via::Import => "import",
        }
    }
    pub fn parse(s: &str) -> Via {
        match s {
            "to" => Via::To,
            "bcc" => Via::Bcc,
            "import" => Via::Import,
            _ => Via::Cc,
        }
    }
}

/// A group known to the router.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupEntry {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// Lower-cased addresses that publish into this group.
    pub addresses: Vec<String>,
}

/// One group a mail goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub group_id: i64,
    pub slug: String,
    pub via: Via,
}

/// Why a mail was not published. Stored with the mail and counted in summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    AutoReply,
    Bounce,
    Loop,
    NoGroup,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::AutoReply => "auto_reply",
            SkipReason::Bounce => "bounce",
            SkipReason::Loop => "loop",
            SkipReason::NoGroup => "no_group",
        }
    }
}

/// A body split into what the author wrote now and what was trimmed.
/// Nothing is lost: `body` + the other parts hold every line of the input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CleanBody {
    /// The author's new text. Interleaved replies keep every fragment the author wrote,
    /// joined in order (quoted context between them goes to `quoted`).
    pub body: String,
    /// Quoted history (`>` lines, "-----Original Message-----" blocks, "On … wrote:" blocks).
    pub quoted: String,
    /// Closing line(s) such as "Best regards," / "Viele Grüße" / "よろしくお願いします".
    pub signoff: String,
    /// Signature block (after `-- ` or detected name/title/phone block, "Sent from my iPhone").
    pub signature: String,
    /// Legal/confidentiality disclaimer.
    pub disclaimer: String,
}

/// An earlier mail rebuilt from the quoted history of a later one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotedMail {
    pub author: Address,
    /// Unix seconds, UTC, when the attribution line had a date we could read.
    pub date: Option<i64>,
    pub subject: Option<String>,
    /// Cleaned body of the quoted mail (its own quotes removed).
    pub body: String,
}
