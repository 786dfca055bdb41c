//! Stage 2: is this mail something a person wrote to the group? Auto-replies, bounces and
//! outloud's own mail (loops) are skipped with a recorded reason.
use crate::model::{ParsedMail, SkipReason};

/// Addresses outloud itself sends from, and the marker header value it stamps on its own mail.
#[derive(Debug, Clone, Default)]
pub struct OwnIdentity {
    pub addresses: Vec<String>,
    pub loop_marker: String,
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

/// Subject openings of auto-replies and out-of-office notices, lower-case.
const AUTO_REPLY_SUBJECTS: &[&str] = &[
    "out of office",
    "out of the office",
    "automatic reply:",
    "auto reply:",
    "auto-reply:",
    "autoreply:",
    "auto response:",
    "abwesenheitsnotiz",
    "automatische antwort:",
    "réponse automatique",
    "respuesta automática",
    "respuesta automatica",
    "fuera de la oficina",
    "afwezig",
    "automatisch antwoord",
    "risposta automatica",
    "resposta automática",
    "odpowiedź automatyczna",
    "autosvar",
    "automaattinen vastaus",
    "自動応答",
    "自動返信",
    "自动回复",
    "自動回覆",
];

/// Local parts mail systems send bounces from.
const DAEMON_LOCAL_PARTS: &[&str] = &["mailer-daemon", "postmaster"];

/// `Some((reason, detail))` when the mail must not be published. `detail` says which signal fired.
pub fn classify(mail: &ParsedMail, own: &OwnIdentity) -> Option<(SkipReason, String)> {
    // Own mail first: outloud's notifications may look automatic too, and "loop" is the
    // reason an operator needs to see.
    if let Some(d) = loop_signal(mail, own) {
        return Some((SkipReason::Loop, d));
    }
    // Bounces before auto-replies: DSNs usually also carry `Auto-Submitted: auto-replied`.
    if let Some(d) = bounce_signal(mail) {
        return Some((SkipReason::Bounce, d));
    }
    auto_reply_signal(mail).map(|d| (SkipReason::AutoReply, d))
}

fn loop_signal(mail: &ParsedMail, own: &OwnIdentity) -> Option<String> {
    let marker = own.loop_marker.trim();
    if let Some(v) = &mail.signals.outloud_loop {
        if !marker.is_empty() && v.trim() == marker {
            return Some(format!("X-Outloud-Loop: {}", v.trim()));
        }
    }
    let from = mail.from.as_ref()?;
    own.addresses
        .iter()
        .any(|a| a.trim().eq_ignore_ascii_case(&from.email))
        .then(|| format!("From is outloud's own address {}", from.email))
}

fn bounce_signal(mail: &ParsedMail) -> Option<String> {
    let s = &mail.signals;
    if s.content_type.as_deref() == Some("multipart/report")
        && s.report_type.as_deref() == Some("delivery-status")
    {
        return Some("Content-Type: multipart/report; report-type=delivery-status".into());
    }
    if let Some(from) = &mail.from {
        let local = from.email.split('@').next().unwrap_or_default();
        if DAEMON_LOCAL_PARTS.contains(&local) {
            return Some(if s.null_return_path {
                format!("Return-Path: <> and From: {}", from.email)
            } else {
                format!("From: {}", from.email)
            });
        }
    }
    starts_with_any(&mail.subject, BOUNCE_SUBJECTS).map(|p| format!("Subject starts with \"{p}\""))
}

fn auto_reply_signal(mail: &ParsedMail) -> Option<String> {
    let s = &mail.signals;
    if let Some(v) = &s.auto_submitted {
        if v != "no" {
            return Some(format!("Auto-Submitted: {v}"));
        }
    }
    if s.autoreply_header {
        return Some(
            "auto-reply header (X-Autoreply, X-Autorespond, X-Auto-Response-Suppress or similar)"
                .into(),
        );
    }
    // Read receipts and other machine reports.
    if s.content_type.as_deref() == Some("multipart/report") {
        if let Some(rt) = &s.report_type {
            return Some(format!("Content-Type: multipart/report; report-type={rt}"));
        }
    }
    if let Some(p) = &s.precedence {
        // A real mailing list (List-Id present) delivering a person's post says
        // `Precedence: list` too; only an anonymous "list" precedence counts as automatic.
        let automatic = match p.as_str() {
            "bulk" | "junk" | "auto_reply" => true,
            "list" => s.list_id.is_none(),
            _ => false,
        };
        if automatic {
            return Some(format!("Precedence: {p}"));
        }
    }
    starts_with_any(&mail.subject, AUTO_REPLY_SUBJECTS)
        .map(|p| format!("Subject starts with \"{p}\""))
}

/// The first of `prefixes` (lower-case) that `subject` starts with, ignoring case.
fn starts_with_any(subject: &str, prefixes: &[&'static str]) -> Option<&'static str> {
    let subject = subject.trim_start();
    // Lower-case only as much as the longest prefix could need.
    let head: String = subject
        .chars()
        .take(48)
        .flat_map(char::to_lowercase)
        .collect();
    prefixes.iter().copied().find(|p| head.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, Signals};

    fn own() -> OwnIdentity {
        OwnIdentity {
            addresses: vec!["outloud@corp.example".into()],
            loop_marker: "corp-1".into(),
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

    fn reason(m: &ParsedMail) -> Option<SkipReason> {
        classify(m, &own()).map(|(r, _)| r)
    }

    #[test]
    fn person_mail_passes() {
        let m = mail("Re: launch plan", "alice@corp.example", Signals::default());
        assert_eq!(classify(&m, &own()), None);
        let sig = Signals {
            auto_submitted: Some("no".into()),
            ..Default::default()
        };
        assert_eq!(reason(&mail("x", "alice@corp.example", sig)), None);
        let sig = Signals {
            precedence: Some("list".into()),
            list_id: Some("<eng.corp.example>".into()),
            ..Default::default()
        };
        assert_eq!(
            reason(&mail("x", "alice@corp.example", sig)),
            None,
            "real list post"
        );
        assert_eq!(
            reason(&mail(
                "Fwd: Undeliverable: x",
                "alice@corp.example",
                Signals::default()
            )),
            None
        );
        assert_eq!(
            reason(&mail(
                "Re: Out of office policy",
                "alice@corp.example",
                Signals::default()
            )),
            None
        );
    }

    #[test]
    fn loops() {
        let sig = Signals {
            outloud_loop: Some("corp-1".into()),
            ..Default::default()
        };
        let (r, d) = classify(&mail("x", "alice@corp.example", sig), &own()).unwrap();
        assert_eq!(
            (r, d.as_str()),
            (SkipReason::Loop, "X-Outloud-Loop: corp-1")
        );
        let sig = Signals {
            outloud_loop: Some("other".into()),
            ..Default::default()
        };
        assert_eq!(reason(&mail("x", "alice@corp.example", sig)), None);
        assert_eq!(
            reason(&mail("x", "OUTLOUD@corp.example", Signals::default())),
            Some(SkipReason::Loop)
        );
    }

    #[test]
    fn bounces() {
        let sig = Signals {
            content_type: Some("multipart/report".into()),
            report_type: Some("delivery-status".into()),
            auto_submitted: Some("auto-replied".into()),
            ..Default::default()
        };
        assert_eq!(
            reason(&mail("Undelivered Mail", "x@y", sig)),
            Some(SkipReason::Bounce)
        );
        let sig = Signals {
            null_return_path: true,
            ..Default::default()
        };
        let (r, d) = classify(&mail("x", "MAILER-DAEMON@mx.corp.example", sig), &own()).unwrap();
        assert_eq!(r, SkipReason::Bounce);
        assert!(d.contains("Return-Path: <>"), "{d}");
        for s in [
            "Undeliverable: launch",
            "Delivery Status Notification (Failure)",
            "Mail delivery failed: returning message to sender",
            "Unzustellbar: Plan",
        ] {
            assert_eq!(
                reason(&mail(s, "x@y", Signals::default())),
                Some(SkipReason::Bounce),
                "{s}"
            );
        }
    }

    #[test]
    fn auto_replies() {
        let sig = Signals {
            auto_submitted: Some("auto-replied".into()),
            ..Default::default()
        };
        let (r, d) = classify(&mail("x", "a@b", sig), &own()).unwrap();
        assert_eq!(
            (r, d.as_str()),
            (SkipReason::AutoReply, "Auto-Submitted: auto-replied")
        );
        let sig = Signals {
            autoreply_header: true,
            ..Default::default()
        };
        assert_eq!(reason(&mail("x", "a@b", sig)), Some(SkipReason::AutoReply));
        for p in ["bulk", "junk", "list"] {
            let sig = Signals {
                precedence: Some(p.into()),
                ..Default::default()
            };
            let (r, d) = classify(&mail("x", "a@b", sig), &own()).unwrap();
            assert_eq!(r, SkipReason::AutoReply);
            assert!(d.starts_with("Precedence"), "{d}");
        }
        let sig = Signals {
            content_type: Some("multipart/report".into()),
            report_type: Some("disposition-notification".into()),
            ..Default::default()
        };
        assert_eq!(
            reason(&mail("Read: x", "a@b", sig)),
            Some(SkipReason::AutoReply)
        );
        for s in [
            "Out of Office: launch",
            "Automatic reply: launch",
            "Abwesenheitsnotiz: Plan",
            "Réponse automatique : plan",
            "Respuesta automática: plan",
            "Afwezig: plan",
            "自動応答: 計画",
            "AUTOMATIC REPLY: launch",
        ] {
            assert_eq!(
                reason(&mail(s, "a@b", Signals::default())),
                Some(SkipReason::AutoReply),
                "{s}"
            );
        }
    }
}
