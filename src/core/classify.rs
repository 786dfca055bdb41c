//! Stage 2: is this mail something a person wrote to the group? Auto-replies, bounces and
//! mail any outloud sent (loops) are skipped, with the rule that fired and the signal it saw.
//!
//! A mail is an auto-reply only by what really marks one: `Auto-Submitted` other than `no`
//! (RFC 3834), `X-Autoreply`-style headers, `Precedence: junk`/`auto_reply`, an out-of-office
//! subject, a `noreply@` sender. `Precedence: bulk` and `list` are not such marks: list servers
//! (ezmlm, Majordomo: `bulk`; Mailman, Google Groups, Sympa: `list`) stamp them on every post
//! people write, and bulk senders on newsletters, which are no replies of any kind. They are
//! ignored even with no list header in sight, since Majordomo, older LISTSERV and Exchange
//! distribution lists add none; RFC 3834 asks responders for `Auto-Submitted`, which is read.
//! Rules and sources: docs/SKIP_RULES.md.
use super::compose::{is_own_message_id, verp_token};
use crate::model::{ParsedMail, SkipReason, SkipRule};

/// The header outloud stamps on mail it sends. Mail carrying it, whatever the value, is never
/// published: it came from this or another outloud.
pub const LOOP_HEADER: &str = "X-Outloud-Loop";

/// Addresses outloud itself sends from, and the value it stamps in [`LOOP_HEADER`].
#[derive(Debug, Clone, Default)]
pub struct OwnIdentity {
    pub addresses: Vec<String>,
    pub loop_marker: String,
    /// `LOCAL@DOMAIN` of outloud's return path (`[smtp]`): mail to `LOCAL+TOKEN@DOMAIN` is
    /// about a mail outloud sent, never a person's post.
    pub bounce_address: Option<String>,
}

/// Why a mail is not published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub rule: SkipRule,
    /// The signal as seen in the mail, e.g. `Auto-Submitted: auto-replied`.
    pub detail: String,
}

impl Skip {
    fn new(rule: SkipRule, detail: impl Into<String>) -> Self {
        Skip {
            rule,
            detail: detail.into(),
        }
    }

    /// The coarse reason stored with the mail.
    pub fn reason(&self) -> SkipReason {
        self.rule.reason()
    }
}

/// Subject openings of delivery failure notices (Postfix, Exim, qmail, Exchange, Gmail, and
/// Exchange's localised NDRs). Matched case-insensitively at the very start of the raw subject,
/// so a person's "Fwd: Undeliverable: …" asking for help is still published.
const BOUNCE_SUBJECTS: &[&str] = &[
    "undeliverable:",
    "undeliverable mail",
    "undelivered mail returned to sender",
    "delivery status notification",
    "mail delivery failed",
    "mail delivery failure",
    "delivery failure:",
    "returned mail:",
    "failure notice",
    "mail system error - returned mail",
    "unzustellbar:",
    "nicht zustellbar:",
    "non remis :",
    "non remis:",
    "no se puede entregar:",
    "onbestelbaar:",
    "niedostarczalne:",
    "non recapitabile:",
    "配信不能:",
    "无法送达:",
];

/// Subject openings of auto-replies, lower-case, each only when a colon follows (`:` or `：`,
/// spaces allowed before it): "Out of office next week" is a person telling the team, "Out of
/// Office: Q3 plan" a responder quoting the subject. Exchange 2010+ writes "Automatic reply:"
/// in the mailbox's language, Exchange 2003 "Out of Office AutoReply:"; the rest are Outlook
/// and Lotus Notes rule templates seen in the wild.
const AUTO_REPLY_SUBJECTS: &[&str] = &[
    "automatic reply",
    "auto reply",
    "auto-reply",
    "autoreply",
    "auto response",
    "auto-response",
    "automatic response",
    "out of office autoreply",
    "out of office reply",
    "out of office",
    "out of the office",
    "abwesenheitsnotiz",
    "automatische antwort",
    "réponse automatique",
    "respuesta automática",
    "respuesta automatica",
    "fuera de la oficina",
    "afwezig",
    "automatisch antwoord",
    "risposta automatica",
    "risposta non al computer",
    "fuori sede",
    "resposta automática",
    "resposta automatica",
    "odpowiedź automatyczna",
    "automatyczna odpowiedź",
    "autosvar",
    "automatiskt svar",
    "automatisk svar",
    "automaattinen vastaus",
    "自動応答",
    "自動返信",
    "自动回复",
    "自动答复",
    "自動回覆",
];

/// Local parts mail systems send bounces from.
const DAEMON_LOCAL_PARTS: &[&str] = &["mailer-daemon", "postmaster"];

/// Local parts (or their start or end, as in `noreply-billing@`, `github-noreply@`) of
/// addresses nobody reads: no person writes from them.
const NOREPLY_LOCAL_PARTS: &[&str] = &[
    "noreply",
    "no-reply",
    "no_reply",
    "donotreply",
    "do-not-reply",
    "do_not_reply",
];

/// `Some` when the mail must not be published, naming the rule and the signal it saw.
pub fn classify(mail: &ParsedMail, own: &OwnIdentity) -> Option<Skip> {
    // Own mail first: outloud's notifications may look automatic too, and "loop" is the
    // reason an operator needs to see.
    loop_signal(mail, own)
        // Bounces before auto-replies: DSNs usually also carry `Auto-Submitted: auto-replied`.
        .or_else(|| bounce_signal(mail))
        .or_else(|| auto_reply_signal(mail))
        // Last: a responder answering the return path is an auto-reply, not a bounce.
        .or_else(|| return_path_signal(mail, own))
}

fn loop_signal(mail: &ParsedMail, own: &OwnIdentity) -> Option<Skip> {
    if let Some(v) = &mail.signals.outloud_loop {
        let mine = own.loop_marker.trim();
        let whose = if !mine.is_empty() && v == mine {
            ""
        } else {
            " (another outloud instance)"
        };
        return Some(Skip::new(
            SkipRule::LoopHeader,
            format!("{LOOP_HEADER}: {v}{whose}"),
        ));
    }
    if is_own_message_id(&mail.message_id) {
        return Some(Skip::new(
            SkipRule::OwnMessageId,
            format!("Message-ID <{}> is one outloud made", mail.message_id),
        ));
    }
    let from = mail.from.as_ref()?;
    own.addresses
        .iter()
        .any(|a| a.trim().eq_ignore_ascii_case(&from.email))
        .then(|| {
            Skip::new(
                SkipRule::OwnAddress,
                format!("From is outloud's own address {}", from.email),
            )
        })
}

/// Mail to outloud's return path (`bounces+TOKEN@…`) that no other rule recognised: machine
/// mail about a mail outloud sent.
fn return_path_signal(mail: &ParsedMail, own: &OwnIdentity) -> Option<Skip> {
    let bounce = own.bounce_address.as_deref()?;
    let to = (mail.envelope_to.iter()).chain(mail.to.iter().map(|a| &a.email));
    let hit = to.into_iter().find(|a| verp_token(a, bounce).is_some())?;
    let detail = format!("sent to outloud's return path {hit}");
    Some(Skip::new(SkipRule::ReturnPath, detail))
}

fn bounce_signal(mail: &ParsedMail) -> Option<Skip> {
    let s = &mail.signals;
    if s.content_type.as_deref() == Some("multipart/report")
        && s.report_type.as_deref() == Some("delivery-status")
    {
        return Some(Skip::new(
            SkipRule::DeliveryStatus,
            "Content-Type: multipart/report; report-type=delivery-status",
        ));
    }
    if let Some(from) = &mail.from {
        if DAEMON_LOCAL_PARTS.contains(&local_part(&from.email)) {
            let detail = if s.null_return_path {
                format!("Return-Path: <> and From: {}", from.email)
            } else {
                format!("From: {}", from.email)
            };
            return Some(Skip::new(SkipRule::DaemonSender, detail));
        }
    }
    starts_with_any(&mail.subject, BOUNCE_SUBJECTS, false).map(|p| {
        Skip::new(
            SkipRule::BounceSubject,
            format!("Subject starts with \"{p}\""),
        )
    })
}

fn auto_reply_signal(mail: &ParsedMail) -> Option<Skip> {
    let s = &mail.signals;
    if let Some(v) = s.auto_submitted.as_deref().filter(|v| *v != "no") {
        return Some(Skip::new(
            SkipRule::AutoSubmitted,
            format!("Auto-Submitted: {v}"),
        ));
    }
    if let Some(h) = &s.autoreply_header {
        return Some(Skip::new(SkipRule::AutoreplyHeader, h.clone()));
    }
    if let Some(p) = s
        .precedence
        .as_deref()
        .filter(|p| matches!(*p, "junk" | "auto_reply"))
    {
        return Some(Skip::new(SkipRule::Precedence, format!("Precedence: {p}")));
    }
    // Read receipts and other machine reports.
    if s.content_type.as_deref() == Some("multipart/report") {
        if let Some(rt) = &s.report_type {
            return Some(Skip::new(
                SkipRule::Report,
                format!("Content-Type: multipart/report; report-type={rt}"),
            ));
        }
    }
    // A list server's tag may come first: "[eng] Automatic reply: …".
    let subject = &mail.subject;
    if let Some(p) = starts_with_any(subject, AUTO_REPLY_SUBJECTS, true)
        .or_else(|| starts_with_any(strip_list_tag(subject)?, AUTO_REPLY_SUBJECTS, true))
    {
        return Some(Skip::new(
            SkipRule::OutOfOfficeSubject,
            format!("Subject starts with \"{p}:\""),
        ));
    }
    noreply_signal(mail)
}

/// A `noreply@` sender, unless a list server delivered the mail: lists rewrite From (DMARC
/// mitigation in Mailman and Google Groups, forum software posting from its `noreply@`), so
/// there the address says nothing about who wrote the text.
fn noreply_signal(mail: &ParsedMail) -> Option<Skip> {
    if mail.signals.list.is_some() {
        return None;
    }
    let from = mail.from.as_ref()?;
    let local = local_part(&from.email);
    let local = local.split('+').next().unwrap_or(local);
    is_noreply(local).then(|| Skip::new(SkipRule::NoreplySender, format!("From: {}", from.email)))
}

/// `noreply`, or it at either end of the local part set off by `-`, `_`, `.` or a digit
/// (`noreply-billing`, `github-noreply`, `noreply2`), so "bruno-reply" stays a person.
fn is_noreply(local: &str) -> bool {
    let sep =
        |c: Option<char>| c.is_none_or(|c| matches!(c, '-' | '_' | '.') || c.is_ascii_digit());
    NOREPLY_LOCAL_PARTS.iter().any(|n| {
        local
            .strip_prefix(n)
            .is_some_and(|rest| sep(rest.chars().next()))
            || local
                .strip_suffix(n)
                .is_some_and(|rest| rest.is_empty() || sep(rest.chars().next_back()))
    })
}

fn local_part(email: &str) -> &str {
    email.rsplit_once('@').map_or(email, |(l, _)| l)
}

/// `subject` after a leading `[tag]` of a list server, if it has one.
fn strip_list_tag(subject: &str) -> Option<&str> {
    let rest = subject.trim_start().strip_prefix('[')?;
    let end = rest.find(']').filter(|&i| i <= 64)?;
    Some(rest[end + 1..].trim_start())
}

/// The first of `prefixes` (lower-case) that `subject` starts with, ignoring case. With
/// `colon`, the prefix must be followed by a colon (after optional spaces).
fn starts_with_any(subject: &str, prefixes: &[&'static str], colon: bool) -> Option<&'static str> {
    let subject = subject.trim_start();
    // Lower-case only as much as the longest prefix could need.
    let head: String = subject
        .chars()
        .take(48)
        .flat_map(char::to_lowercase)
        .collect();
    prefixes.iter().copied().find(|p| {
        head.strip_prefix(p)
            .is_some_and(|rest| !colon || rest.trim_start().starts_with([':', '：']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, Signals};

    fn own() -> OwnIdentity {
        OwnIdentity {
            addresses: vec!["outloud@corp.example".into()],
            loop_marker: "corp-1".into(),
            bounce_address: Some("bounces@corp.example".into()),
        }
    }

    fn mail(subject: &str, from: &str, signals: Signals) -> ParsedMail {
        ParsedMail {
            subject: subject.into(),
            from: Some(Address::new(Some("Someone"), from)),
            signals,
            ..Default::default()
        }
    }

    fn rule(m: &ParsedMail) -> Option<SkipRule> {
        classify(m, &own()).map(|s| s.rule)
    }

    fn skip(subject: &str, from: &str, signals: Signals) -> (SkipReason, SkipRule, String) {
        let s = classify(&mail(subject, from, signals), &own()).expect("skipped");
        (s.reason(), s.rule, s.detail)
    }

    fn list_post() -> Signals {
        Signals {
            list: Some("List-Id".into()),
            list_id: Some("<eng.corp.example>".into()),
            ..Default::default()
        }
    }

    #[test]
    fn person_mail_passes() {
        let m = mail("Re: launch plan", "alice@corp.example", Signals::default());
        assert_eq!(classify(&m, &own()), None);
        let sig = Signals {
            auto_submitted: Some("no".into()),
            ..Default::default()
        };
        assert_eq!(rule(&mail("x", "alice@corp.example", sig)), None);
        for s in [
            "Fwd: Undeliverable: x",
            "Re: Out of office policy",
            "Out of office next week",
            "Automatic reply settings are broken",
            "Auto: Parkplatz morgen",
        ] {
            assert_eq!(
                rule(&mail(s, "alice@corp.example", Signals::default())),
                None,
                "{s}"
            );
        }
    }

    #[test]
    fn precedence_bulk_and_list_never_mark_an_auto_reply() {
        for p in ["bulk", "list", "first-class"] {
            // Through a list server, and with no list header at all (Majordomo, LISTSERV,
            // Exchange distribution lists, newsletters).
            for base in [list_post(), Signals::default()] {
                let sig = Signals {
                    precedence: Some(p.into()),
                    ..base
                };
                assert_eq!(
                    rule(&mail("Re: plan", "alice@corp.example", sig)),
                    None,
                    "{p}"
                );
            }
        }
    }

    #[test]
    fn loop_header_with_any_value() {
        let own_marker = Signals {
            outloud_loop: Some("corp-1".into()),
            ..Default::default()
        };
        assert_eq!(
            skip("x", "alice@corp.example", own_marker),
            (
                SkipReason::Loop,
                SkipRule::LoopHeader,
                "X-Outloud-Loop: corp-1".into()
            )
        );
        for v in ["other", ""] {
            let sig = Signals {
                outloud_loop: Some(v.into()),
                ..Default::default()
            };
            let (r, rule, d) = skip("x", "alice@corp.example", sig);
            assert_eq!((r, rule), (SkipReason::Loop, SkipRule::LoopHeader), "{v:?}");
            assert!(d.ends_with("(another outloud instance)"), "{d}");
        }
        // No identity configured at all: the header still counts.
        let sig = Signals {
            outloud_loop: Some("outloud".into()),
            ..Default::default()
        };
        let m = mail("New post", "notify@corp.example", sig);
        let s = classify(&m, &OwnIdentity::default()).unwrap();
        assert_eq!(s.rule, SkipRule::LoopHeader);
    }

    #[test]
    fn own_address() {
        assert_eq!(
            rule(&mail("x", "OUTLOUD@corp.example", Signals::default())),
            Some(SkipRule::OwnAddress)
        );
        assert_eq!(SkipRule::OwnAddress.reason(), SkipReason::Loop);
    }

    #[test]
    fn bounces() {
        let sig = Signals {
            content_type: Some("multipart/report".into()),
            report_type: Some("delivery-status".into()),
            auto_submitted: Some("auto-replied".into()),
            ..Default::default()
        };
        let (r, rule_, _) = skip("Undelivered Mail", "x@y", sig);
        assert_eq!((r, rule_), (SkipReason::Bounce, SkipRule::DeliveryStatus));
        let sig = Signals {
            null_return_path: true,
            ..Default::default()
        };
        let (r, rule_, d) = skip("x", "MAILER-DAEMON@mx.corp.example", sig);
        assert_eq!((r, rule_), (SkipReason::Bounce, SkipRule::DaemonSender));
        assert!(d.contains("Return-Path: <>"), "{d}");
        for s in [
            "Undeliverable: launch",
            "Delivery Status Notification (Failure)",
            "Mail delivery failed: returning message to sender",
            "Unzustellbar: Plan",
        ] {
            assert_eq!(
                rule(&mail(s, "x@y", Signals::default())),
                Some(SkipRule::BounceSubject),
                "{s}"
            );
        }
    }

    #[test]
    fn auto_submitted() {
        for v in ["auto-replied", "auto-generated", "auto-notified"] {
            let sig = Signals {
                auto_submitted: Some(v.into()),
                ..list_post()
            };
            assert_eq!(
                skip("Re: plan", "a@b", sig),
                (
                    SkipReason::AutoReply,
                    SkipRule::AutoSubmitted,
                    format!("Auto-Submitted: {v}")
                )
            );
        }
    }

    #[test]
    fn autoreply_header() {
        let sig = Signals {
            autoreply_header: Some("X-Autoreply: yes".into()),
            ..list_post()
        };
        assert_eq!(
            skip("Re: plan", "a@b", sig),
            (
                SkipReason::AutoReply,
                SkipRule::AutoreplyHeader,
                "X-Autoreply: yes".into()
            )
        );
    }

    #[test]
    fn precedence_junk_and_auto_reply() {
        for p in ["junk", "auto_reply"] {
            let sig = Signals {
                precedence: Some(p.into()),
                ..Default::default()
            };
            assert_eq!(
                skip("Re: plan", "a@b", sig),
                (
                    SkipReason::AutoReply,
                    SkipRule::Precedence,
                    format!("Precedence: {p}")
                )
            );
        }
    }

    #[test]
    fn reports() {
        let sig = Signals {
            content_type: Some("multipart/report".into()),
            report_type: Some("disposition-notification".into()),
            ..Default::default()
        };
        assert_eq!(rule(&mail("Read: x", "a@b", sig)), Some(SkipRule::Report));
    }

    #[test]
    fn out_of_office_subjects() {
        for s in [
            "Out of Office: launch",
            "Out of Office AutoReply: launch",
            "Automatic reply: launch",
            "Abwesenheitsnotiz: Plan",
            "Automatische Antwort: Plan",
            "Réponse automatique : plan",
            "Respuesta automática: plan",
            "Afwezig: plan",
            "Risposta automatica: piano",
            "Odpowiedź automatyczna: plan",
            "Automatiskt svar: plan",
            "自動応答: 計画",
            "自动答复： 计划",
            "AUTOMATIC REPLY: launch",
            "  automatic reply:launch",
        ] {
            let (r, rule_, _) = skip(s, "a@b", Signals::default());
            assert_eq!(
                (r, rule_),
                (SkipReason::AutoReply, SkipRule::OutOfOfficeSubject),
                "{s}"
            );
        }
        // Through a list too, behind the list's tag: a responder's subject is its own mark.
        for s in [
            "Automatic reply: [eng] plan",
            "[eng] Automatic reply: [eng] plan",
        ] {
            assert_eq!(
                rule(&mail(s, "a@b", list_post())),
                Some(SkipRule::OutOfOfficeSubject),
                "{s}"
            );
        }
        assert_eq!(
            rule(&mail("[eng] Out of office next week", "a@b", list_post())),
            None
        );
    }

    #[test]
    fn noreply_senders() {
        for from in [
            "noreply@github.com",
            "no-reply@accounts.google.com",
            "no_reply@corp.example",
            "DoNotReply@corp.example",
            "do-not-reply@corp.example",
            "noreply-billing@corp.example",
            "github-noreply@corp.example",
            "noreply+abc@corp.example",
        ] {
            let (r, rule_, d) = skip("Your report", from, Signals::default());
            assert_eq!(
                (r, rule_),
                (SkipReason::AutoReply, SkipRule::NoreplySender),
                "{from}"
            );
            assert_eq!(d, format!("From: {}", from.to_ascii_lowercase()));
        }
        for from in [
            "bruno-reply@corp.example",
            "noreen@corp.example",
            "reply@corp.example",
        ] {
            assert_eq!(rule(&mail("x", from, Signals::default())), None, "{from}");
        }
        // A list server may post people's text from its noreply address.
        assert_eq!(
            rule(&mail("Re: plan", "noreply@forum.example", list_post())),
            None
        );
    }

    #[test]
    fn rules_map_to_reasons() {
        use SkipRule::*;
        for r in [
            AutoSubmitted,
            AutoreplyHeader,
            Precedence,
            Report,
            OutOfOfficeSubject,
            NoreplySender,
        ] {
            assert_eq!(r.reason(), SkipReason::AutoReply);
        }
        assert_eq!(LoopHeader.reason(), SkipReason::Loop);
        assert_eq!(NoGroup.reason(), SkipReason::NoGroup);
        assert_eq!(OutOfOfficeSubject.as_str(), "out_of_office_subject");
    }
}
