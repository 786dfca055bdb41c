//! Domain types shared by the pure core and the adapters. Plain data: no I/O here.

use serde::{Deserialize, Serialize};

mod names;
pub mod text;
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
    /// The first auto-reply header seen (`X-Autoreply`, `X-Autorespond`, `X-Precedence:
    /// auto_reply`, Exchange's `X-MS-Exchange-Generated-Message-Source`, …), as `Name: value`.
    pub autoreply_header: Option<String>,
    /// Top-level content type, lower-cased, e.g. `multipart/report`.
    pub content_type: Option<String>,
    /// `report-type` parameter of a multipart/report, lower-cased.
    pub report_type: Option<String>,
    /// `Return-Path: <>` (null sender), typical of bounces.
    pub null_return_path: bool,
    /// Value of outloud's loop header (`X-Outloud-Loop`) when present, possibly empty.
    pub outloud_loop: Option<String>,
    /// `List-Id` value, if present.
    pub list_id: Option<String>,
    /// The first sign that a list server delivered the mail (`List-Id`, `List-Post`,
    /// `Mailing-List`, `X-Google-Group-Id`, `Delivered-To: mailing list …`, …): the header's
    /// name, or `Name: value` when the value is what marks it.
    pub list: Option<String>,
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
    /// The Date header's UTC offset in seconds east (`+0100` → 3600): the zone the author's
    /// client showed times in, used to read the zone-less times of quoted attributions.
    #[serde(default)]
    pub date_offset_secs: Option<i32>,
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

/// A stored or configured value that is none of an enum's spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownSpelling {
    pub kind: &'static str,
    pub value: String,
}

/// One spelling per variant, used by serde (`rename_all`), SQL columns and parsing alike:
/// `as_str` writes it, `FromStr` (and `sqlx::Decode`, for columns) reads it back and refuses
/// anything else.
macro_rules! spellings {
    ($t:ident, $kind:literal, { $($v:ident => $s:literal),* $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($t::$v => $s,)*
                }
            }
        }

        impl std::str::FromStr for $t {
            type Err = UnknownSpelling;
            fn from_str(s: &str) -> Result<Self, UnknownSpelling> {
                match s {
                    $($s => Ok($t::$v),)*
                    _ => Err(UnknownSpelling { kind: $kind, value: s.to_string() }),
                }
            }
        }

        /// Read from a text column: an unknown spelling is a decoding error naming it.
        impl<DB: sqlx::Database> sqlx::Type<DB> for $t
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $t
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                Ok(<&'r str as sqlx::Decode<'r, DB>>::decode(value)?.parse()?)
            }
        }
    };
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
    /// Written on outloud's web view (a comment or a post), then mailed out.
    Web,
}

spellings!(Via, "how a group was reached", {
    To => "to",
    Cc => "cc",
    Bcc => "bcc",
    Import => "import",
    Web => "web",
});

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
    /// A reply to a digest item that was refused (another sender, a forged or expired token,
    /// a thread gone); its sender was told why.
    DigestReplyRefused,
    /// A mail to a digest's List-Unsubscribe address: its recipient was unsubscribed.
    DigestUnsubscribe,
}

spellings!(SkipReason, "skip reason", {
    AutoReply => "auto_reply",
    Bounce => "bounce",
    Loop => "loop",
    NoGroup => "no_group",
    DigestReplyRefused => "digest_reply_refused",
    DigestUnsubscribe => "digest_unsubscribe",
});

/// The rule that skipped a mail: finer than [`SkipReason`] (which is what the database stores
/// and exports), for logs and import summaries. Declared in reason order, so sorting groups
/// the rules of one reason together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipRule {
    /// `Auto-Submitted` other than `no` (RFC 3834).
    AutoSubmitted,
    /// `X-Autoreply`, `X-Autorespond` and their relatives.
    AutoreplyHeader,
    /// `Precedence: junk` or `auto_reply`.
    Precedence,
    /// A machine report other than a delivery status, e.g. a read receipt.
    Report,
    /// "Automatic reply:", "Out of Office:" and their translations opening the subject.
    OutOfOfficeSubject,
    /// From a `noreply@`-style address, on mail no list server delivered.
    NoreplySender,
    /// `multipart/report; report-type=delivery-status` (RFC 3464).
    DeliveryStatus,
    /// From `MAILER-DAEMON` or `postmaster`.
    DaemonSender,
    /// "Undeliverable:", "Mail delivery failed" and their translations opening the subject.
    BounceSubject,
    /// Sent to outloud's return path (`bounces+TOKEN@…`) and no other rule knew it.
    ReturnPath,
    /// An `X-Outloud-Loop` header: mail some outloud sent.
    LoopHeader,
    /// A Message-ID outloud made (`<outloud.TOKEN@…>`).
    OwnMessageId,
    /// From one of `[identity] addresses`.
    OwnAddress,
    /// No group address in To, Cc or the envelope.
    NoGroup,
    /// A reply to a digest item that is not published (docs/DIGESTS.md, reply to comment).
    DigestReplyRefused,
    /// Sent to a digest's `mailto:` unsubscribe address (`bounces+uTOKEN@…`).
    DigestUnsubscribe,
}

impl SkipRule {
    /// Stable short name, for logs and `--json` summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipRule::AutoSubmitted => "auto_submitted",
            SkipRule::AutoreplyHeader => "autoreply_header",
            SkipRule::Precedence => "precedence",
            SkipRule::Report => "report",
            SkipRule::OutOfOfficeSubject => "out_of_office_subject",
            SkipRule::NoreplySender => "noreply_sender",
            SkipRule::DeliveryStatus => "delivery_status",
            SkipRule::DaemonSender => "daemon_sender",
            SkipRule::BounceSubject => "bounce_subject",
            SkipRule::ReturnPath => "return_path",
            SkipRule::LoopHeader => "loop_header",
            SkipRule::OwnMessageId => "own_message_id",
            SkipRule::OwnAddress => "own_address",
            SkipRule::NoGroup => "no_group",
            SkipRule::DigestReplyRefused => "digest_reply_refused",
            SkipRule::DigestUnsubscribe => "digest_unsubscribe",
        }
    }

    /// What an admin reads in the import summary.
    pub fn label(self) -> &'static str {
        match self {
            SkipRule::AutoSubmitted => "Auto-Submitted",
            SkipRule::AutoreplyHeader => "X-Autoreply or similar header",
            SkipRule::Precedence => "Precedence: junk/auto_reply",
            SkipRule::Report => "read receipt or other report",
            SkipRule::OutOfOfficeSubject => "out-of-office subject",
            SkipRule::NoreplySender => "noreply sender",
            SkipRule::DeliveryStatus => "delivery status report",
            SkipRule::DaemonSender => "MAILER-DAEMON/postmaster sender",
            SkipRule::BounceSubject => "bounce subject",
            SkipRule::ReturnPath => "outloud's return path",
            SkipRule::LoopHeader => "X-Outloud-Loop",
            SkipRule::OwnMessageId => "outloud's own Message-ID",
            SkipRule::OwnAddress => "outloud's own address",
            SkipRule::NoGroup => "no group address",
            SkipRule::DigestReplyRefused => "refused reply to a digest",
            SkipRule::DigestUnsubscribe => "unsubscribe from digests by mail",
        }
    }

    /// The coarse reason stored with the mail.
    pub fn reason(self) -> SkipReason {
        use SkipRule::*;
        match self {
            AutoSubmitted | AutoreplyHeader | Precedence | Report | OutOfOfficeSubject
            | NoreplySender => SkipReason::AutoReply,
            DeliveryStatus | DaemonSender | BounceSubject | ReturnPath => SkipReason::Bounce,
            LoopHeader | OwnMessageId | OwnAddress => SkipReason::Loop,
            NoGroup => SkipReason::NoGroup,
            DigestReplyRefused => SkipReason::DigestReplyRefused,
            DigestUnsubscribe => SkipReason::DigestUnsubscribe,
        }
    }
}

/// A body split into what the author wrote now and what was trimmed.
/// Nothing is lost: `body` + the other parts hold every line of the input.
/// Stored as a message's columns of the same names.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, sqlx::FromRow)]
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

/// A message of a thread: one shape for what the planner writes and what the store reads back
/// (both column for column, the body's parts flattened). `P` is where the message is filed: in
/// a plan its group and a thread that may be new ([`crate::core::plan::Planned`]), when read
/// back its row, thread and group ([`crate::store::Stored`]).
///
/// The threading columns (`date_trust`, `subject_key`, `subject_link`) are the planner's: not
/// shown by the web view or its API.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Message<P> {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub place: P,
    pub message_id: String,
    /// `None` for an entry reconstructed from quotes.
    pub raw_sha256: Option<String>,
    /// Lower-cased, as in [`Address`].
    pub author_email: String,
    pub author_name: Option<String>,
    /// Unix seconds, UTC.
    pub date: i64,
    /// For a reconstructed entry: how its date was read. [`DateTrust::Exact`] for mail.
    #[serde(skip)]
    #[sqlx(try_from = "i16")]
    pub date_trust: DateTrust,
    pub subject: String,
    /// Normalised subject ([`crate::core::thread_keys::ThreadKeys::subject_key`]).
    #[serde(skip)]
    pub subject_key: String,
    /// No threading headers and a reply prefix: later mail may join it by subject alone.
    #[serde(skip)]
    pub subject_link: bool,
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub clean: CleanBody,
    /// Original HTML after sanitising (ammonia), once when stored: safe to show as is.
    pub html: Option<String>,
    /// Why the original's HTML part is not shown (over the HTML stage's bounds).
    pub html_note: Option<String>,
    #[sqlx(try_from = "String")]
    pub attachments: Attachments,
    pub via: Via,
    pub reconstructed: bool,
    /// The mail's To and Cc: with the authors, the thread's email participants (shown on the
    /// thread page, mailed a comment written on the web). None for a reconstructed entry.
    #[sqlx(try_from = "String")]
    pub recipients: Recipients,
}

/// A message's To and Cc, in header order, each address once; stored as a JSON array.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Recipients(pub Vec<Address>);

impl Recipients {
    /// To then Cc, each address once, empty ones left out.
    pub fn of(to: &[Address], cc: &[Address]) -> Recipients {
        let mut out: Vec<Address> = Vec::new();
        for a in to.iter().chain(cc) {
            if !a.email.is_empty() && !out.iter().any(|o| o.email == a.email) {
                out.push(a.clone());
            }
        }
        Recipients(out)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).expect("addresses serialise")
    }
}

/// Reads the stored JSON; a damaged list reads as empty (like [`Attachments`]).
impl From<String> for Recipients {
    fn from(json: String) -> Self {
        Recipients(serde_json::from_str(&json).unwrap_or_default())
    }
}

impl std::ops::Deref for Recipients {
    type Target = [Address];
    fn deref(&self) -> &[Address] {
        &self.0
    }
}

/// A message's attachment list, stored as a JSON array.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Attachments(pub Vec<Attachment>);

impl Attachments {
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).expect("attachments serialise")
    }
}

/// Reads the stored JSON. A damaged list must not make a whole thread unreadable: it reads as
/// empty.
impl From<String> for Attachments {
    fn from(json: String) -> Self {
        Attachments(serde_json::from_str(&json).unwrap_or_default())
    }
}

impl From<Vec<Attachment>> for Attachments {
    fn from(list: Vec<Attachment>) -> Self {
        Attachments(list)
    }
}

impl std::ops::Deref for Attachments {
    type Target = [Attachment];
    fn deref(&self) -> &[Attachment] {
        &self.0
    }
}

/// How far a rebuilt entry's date can be trusted, worst first. A later quote of the same mail
/// read better re-dates it, and so does learning the zone a guess was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum DateTrust {
    /// No readable date: placed just before the mail that quoted it.
    #[default]
    Undated,
    /// A zone-less time read in the UTC of a `+0000` Date header, which servers such as
    /// Exchange Online stamp whatever the writer's zone, the zone of whoever showed it being
    /// unknown: possibly off by that zone.
    UtcGuess,
    /// A zone-less time another person's client showed, their zone unknown, read in the
    /// quoting mail's zone: right when they share an office.
    ZoneGuess,
    /// A zone-less time read in the zone of the client that showed it: the quoting mail's
    /// non-UTC offset, the zone learned for the person whose mail quoted it, or the zone that
    /// person's own attribution wrote.
    ShownZone,
    /// A written zone, a reading calibrated against a published mail, or a published message.
    Exact,
}

impl DateTrust {
    /// The stored value. Not the order of trust: values are never renumbered.
    pub fn as_i16(self) -> i16 {
        match self {
            DateTrust::Undated => 0,
            DateTrust::UtcGuess => 1,
            DateTrust::ShownZone => 2,
            DateTrust::Exact => 3,
            DateTrust::ZoneGuess => 4,
        }
    }

    /// The stored value; an unknown one reads as the least trusted.
    pub fn from_i16(v: i16) -> DateTrust {
        match v {
            4 => DateTrust::ZoneGuess,
            3 => DateTrust::Exact,
            2 => DateTrust::ShownZone,
            1 => DateTrust::UtcGuess,
            _ => DateTrust::Undated,
        }
    }

    /// A guess that learning the zone of whoever showed the time turns into a reading.
    pub fn is_guess(self) -> bool {
        matches!(self, DateTrust::UtcGuess | DateTrust::ZoneGuess)
    }
}

/// The stored value, for rows read with `FromRow`.
impl From<i16> for DateTrust {
    fn from(v: i16) -> DateTrust {
        DateTrust::from_i16(v)
    }
}

/// An earlier mail rebuilt from the quoted history of a later one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotedMail {
    pub author: Address,
    /// Unix seconds, UTC, when the attribution line had a date we could read.
    pub date: Option<i64>,
    /// The attribution wrote its zone (`+0100`, `CET`): `date` does not depend on the zone the
    /// quoting client displayed it in.
    #[serde(default)]
    pub date_zoned: bool,
    /// A time written without a zone as its wall-clock reading (unix seconds as if it were
    /// UTC), so the planner can read it again in the zone of the client that showed it.
    #[serde(default)]
    pub date_local: Option<i64>,
    /// Whose client wrote the attribution: the author of the mail whose quote holds this one
    /// (an empty address when that attribution was unreadable). `None` at the first level,
    /// which the quoting mail's own client wrote, in its own zone.
    #[serde(default)]
    pub shown_by: Option<Address>,
    /// The zone (seconds east of UTC) of the client in `shown_by`, when its own attribution
    /// wrote it (`… 10:02 +0100, Bob wrote:`): the zone-less time was read in it.
    #[serde(default)]
    pub shown_offset: Option<i32>,
    pub subject: Option<String>,
    /// Cleaned body of the quoted mail (its own quotes removed).
    pub body: String,
}

#[cfg(test)]
mod spelling_tests {
    use super::*;

    #[test]
    fn one_spelling_each_way_and_unknown_is_an_error() {
        for v in [Via::To, Via::Cc, Via::Bcc, Via::Import, Via::Web] {
            assert_eq!(v.as_str().parse::<Via>(), Ok(v));
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", v.as_str())
            );
        }
        for r in [
            SkipReason::AutoReply,
            SkipReason::Bounce,
            SkipReason::Loop,
            SkipReason::NoGroup,
            SkipReason::DigestReplyRefused,
            SkipReason::DigestUnsubscribe,
        ] {
            assert_eq!(r.as_str().parse::<SkipReason>(), Ok(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        let err = "carrier-pigeon".parse::<Via>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown how a group was reached \"carrier-pigeon\""
        );
        assert!("Loop".parse::<SkipReason>().is_err());
    }
}
