//! Confidentiality marks: mail its author or their organisation marked as not for sharing.
//!
//! - `Sensitivity: Personal | Private | Company-Confidential` (RFC 2156 §5.3.4, registered by
//!   RFC 4021 §2.1.55; Outlook writes it from the message's Sensitivity setting).
//! - Microsoft Purview sensitivity labels, which Outlook writes in the `msip_labels` header as
//!   `MSIP_Label_<GUID>_<Attribute>=<value>;` pairs (`Enabled`, `SetDate`, `Method`, `Name`,
//!   `SiteId`, `ActionId`, `ContentBits`). Labels are matched by GUID (names are renamed and
//!   translated); an enabled label whose `ContentBits` has bit 8 (encryption; 1 header, 2
//!   footer, 4 watermark) holds too.
//! - Encryption: S/MIME `application/pkcs7-mime` (or `x-pkcs7-mime`) with `smime-type`
//!   `enveloped-data` / `authEnveloped-data` (RFC 8551; a p7m without `smime-type` is taken as
//!   encrypted), PGP/MIME `multipart/encrypted` (RFC 3156), Microsoft's protected mail
//!   (`message.rpmsg` attachment, `Content-Class: rpmsg.message`).
//! - `X-No-Archive: yes`, `X-Archive: no`.
//! - Configured subject tags and header patterns.

use super::headers::{self, RawHeader};
use super::{Decision, PolicyConfig, Rule};
use crate::model::ParsedMail;

pub fn check(h: &[RawHeader], mail: &ParsedMail, cfg: &PolicyConfig) -> Option<Decision> {
    sensitivity(h)
        .or_else(|| purview(h, cfg))
        .or_else(|| encrypted(h, mail))
        .or_else(|| no_archive(h))
        .or_else(|| subject_tag(mail, cfg))
        .or_else(|| header_pattern(h, cfg))
}

fn sensitivity(h: &[RawHeader]) -> Option<Decision> {
    headers::all(h, "Sensitivity").find_map(|v| {
        let v = v.trim();
        ["personal", "private", "company-confidential"]
            .iter()
            .any(|s| v.eq_ignore_ascii_case(s))
            .then(|| Decision::hold(Rule::Sensitivity, format!("Sensitivity: {v}")))
    })
}

/// One label of `msip_labels`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Label {
    pub guid: String,
    pub enabled: bool,
    pub name: Option<String>,
    pub content_bits: Option<u32>,
}

/// The labels of an `msip_labels` value, in order of first mention, GUIDs lower-cased.
pub fn labels(value: &str) -> Vec<Label> {
    let mut out: Vec<Label> = Vec::new();
    for pair in value.split(';') {
        let Some((key, v)) = pair.split_once('=') else {
            continue;
        };
        let key = key.trim();
        let Some(rest) = key
            .get(..11)
            .filter(|p| p.eq_ignore_ascii_case("MSIP_Label_"))
            .map(|_| &key[11..])
        else {
            continue;
        };
        let Some((guid, attr)) = rest.split_once('_') else {
            continue;
        };
        let guid = guid.to_ascii_lowercase();
        let i = match out.iter().position(|l| l.guid == guid) {
            Some(i) => i,
            None => {
                out.push(Label {
                    guid,
                    ..Label::default()
                });
                out.len() - 1
            }
        };
        let (v, l) = (v.trim(), &mut out[i]);
        match attr.to_ascii_lowercase().as_str() {
            "enabled" => l.enabled = v.eq_ignore_ascii_case("true"),
            "name" => l.name = Some(v.to_string()),
            "contentbits" => l.content_bits = v.parse().ok(),
            _ => {}
        }
    }
    out
}

fn purview(h: &[RawHeader], cfg: &PolicyConfig) -> Option<Decision> {
    for value in headers::all(h, "msip_labels") {
        for l in labels(value).into_iter().filter(|l| l.enabled) {
            let name = l
                .name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            if cfg.blocked_labels.contains(&l.guid) {
                return Some(Decision::hold(
                    Rule::PurviewLabel,
                    format!("Purview label {}{name} is on the block list", l.guid),
                ));
            }
            if l.content_bits.is_some_and(|b| b & 8 != 0) {
                return Some(Decision::hold(
                    Rule::PurviewEncrypted,
                    format!("Purview label {}{name} encrypts its content", l.guid),
                ));
            }
        }
    }
    None
}

fn is_pkcs7(media: &str) -> bool {
    matches!(media, "application/pkcs7-mime" | "application/x-pkcs7-mime")
}

fn encrypted(h: &[RawHeader], mail: &ParsedMail) -> Option<Decision> {
    let hold = |why: String| Some(Decision::hold(Rule::Encrypted, why));
    let top = headers::first(h, "Content-Type").unwrap_or("");
    let top_is_pkcs7 = is_pkcs7(&headers::media_type(top));
    if !top.is_empty() {
        let ct = top;
        let media = headers::media_type(ct);
        if top_is_pkcs7 {
            let kind = headers::parameter(ct, "smime-type");
            if kind
                .as_deref()
                .is_none_or(|k| k.ends_with("enveloped-data"))
            {
                let kind = kind.unwrap_or_else(|| "no smime-type".into());
                return hold(format!("S/MIME encrypted ({media}; {kind})"));
            }
        }
        if media == "multipart/encrypted" {
            return hold("PGP/MIME encrypted (multipart/encrypted)".into());
        }
    }
    if headers::first(h, "Content-Class").is_some_and(|v| v.eq_ignore_ascii_case("rpmsg.message")) {
        return hold("Microsoft protected mail (Content-Class: rpmsg.message)".into());
    }
    for a in &mail.attachments {
        let name = a.filename.as_deref().unwrap_or("").to_ascii_lowercase();
        if name.ends_with(".rpmsg") || a.content_type.starts_with("application/x-microsoft-rpmsg") {
            return hold(format!("Microsoft protected mail (attachment {name})"));
        }
        // A top-level p7m (opaque signed-data, judged above) is listed as its own attachment.
        if is_pkcs7(&a.content_type) && !top_is_pkcs7 {
            return hold(format!("S/MIME encrypted part ({})", a.content_type));
        }
        if a.content_type == "application/pgp-encrypted" {
            return hold("PGP/MIME encrypted part".into());
        }
    }
    None
}

fn no_archive(h: &[RawHeader]) -> Option<Decision> {
    if let Some(v) = headers::all(h, "X-No-Archive").find(|v| v.trim().eq_ignore_ascii_case("yes"))
    {
        return Some(Decision::hold(
            Rule::NoArchive,
            format!("X-No-Archive: {v}"),
        ));
    }
    headers::all(h, "X-Archive")
        .find(|v| v.trim().eq_ignore_ascii_case("no"))
        .map(|v| Decision::hold(Rule::NoArchive, format!("X-Archive: {v}")))
}

fn subject_tag(mail: &ParsedMail, cfg: &PolicyConfig) -> Option<Decision> {
    let subject = mail.subject.to_lowercase();
    cfg.subject_tags
        .iter()
        .find(|t| !t.is_empty() && subject.contains(&t.to_lowercase()))
        .map(|t| Decision::hold(Rule::SubjectTag, format!("subject tag {t:?}")))
}

fn header_pattern(h: &[RawHeader], cfg: &PolicyConfig) -> Option<Decision> {
    cfg.header_patterns.iter().find_map(|p| {
        headers::all(h, &p.name)
            .find(|v| p.pattern.is_match(v))
            .map(|v| {
                Decision::hold(
                    Rule::HeaderPattern,
                    format!("{}: {v} matches the pattern {:?}", p.name, p.spec),
                )
            })
    })
}
