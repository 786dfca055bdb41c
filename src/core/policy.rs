//! Policy: may this mail be published? A pure function of the raw header block, the parsed
//! mail and its routes — no store, no clock. Every decision names the rule that matched and a
//! reason a person can read; the ingest layer holds (never drops) what policy holds.
//!
//! Checks, in order (the first hold wins, so the reason shown is the most serious):
//! 1. who sent it ([`authenticate`]): the From domain must be an allowed domain, and the
//!    `Authentication-Results` written by a trusted authserv-id must show DMARC pass, or a DKIM
//!    or SPF pass aligned with the From domain;
//! 2. confidentiality ([`confidential`]): `Sensitivity`, Microsoft Purview labels, encryption
//!    (S/MIME, PGP/MIME, Microsoft's `message.rpmsg`), `X-No-Archive` / `X-Archive: no`,
//!    configured subject tags and header patterns;
//! 3. who it went to ([`audience`]): a group reached only by Bcc; participants outside the
//!    allowed domains (held, or published with their addresses masked).
//!
//! Rules and their sources: docs/POLICY.md.

pub mod audience;
pub mod auth_results;
pub mod authenticate;
pub mod command;
pub mod confidential;
pub mod headers;
pub mod retracted_quotes;
#[cfg(test)]
mod tests;

use regex::Regex;
use serde::Serialize;

use crate::model::{ParsedMail, Route};
use headers::RawHeader;

/// What to do with internal mail that carries no trusted `Authentication-Results` (mail that
/// never crossed the border, e.g. sent and delivered inside one Exchange organisation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unauthenticated {
    /// Publish: the mailbox only receives mail through servers that strip outside results.
    Trust,
    /// Hold for a moderator.
    #[default]
    Hold,
}

/// Participants (From, To, Cc) outside the allowed domains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outsiders {
    /// Hold the mail.
    #[default]
    Hold,
    /// Publish with their addresses masked.
    Mask,
    /// Publish as is.
    Allow,
}

/// A configured header pattern: hold when header `name` has a value matching `pattern`.
#[derive(Debug, Clone)]
pub struct HeaderPattern {
    /// As configured, for reasons (`X-Classification: (?i)secret`).
    pub spec: String,
    pub name: String,
    pub pattern: Regex,
}

impl HeaderPattern {
    /// `Name: regex`; the error says what is wrong with it.
    pub fn parse(spec: &str) -> Result<HeaderPattern, String> {
        let (name, pattern) = spec
            .split_once(':')
            .ok_or_else(|| format!("{spec:?} is not `Header-Name: regex`"))?;
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!("{spec:?}: {name:?} is not a header name"));
        }
        let pattern = Regex::new(pattern.trim())
            .map_err(|e| format!("{spec:?}: bad regular expression: {e}"))?;
        Ok(HeaderPattern {
            spec: spec.to_string(),
            name: name.to_string(),
            pattern,
        })
    }
}

/// Everything policy is configured with (`[policy]`, with the allowed domains filled in).
#[derive(Debug, Clone, Default)]
pub struct PolicyConfig {
    /// Off: every mail is published (the checks still run for the audit's reason).
    pub enabled: bool,
    /// authserv-ids whose `Authentication-Results` are believed, lower-cased.
    pub trusted_authserv_ids: Vec<String>,
    /// Believe the topmost `Authentication-Results` without an authserv-id (Exchange Online
    /// writes its own that way).
    pub trust_unnamed_results: bool,
    /// Domains whose people may publish, lower-cased; subdomains included.
    pub allowed_domains: Vec<String>,
    pub unauthenticated: Unauthenticated,
    /// Purview label GUIDs to hold, lower-cased.
    pub blocked_labels: Vec<String>,
    /// Subject tags that hold (`[confidential]`), matched case-insensitively anywhere.
    pub subject_tags: Vec<String>,
    pub header_patterns: Vec<HeaderPattern>,
    /// Hold a mail that reaches a group only through the envelope (Bcc).
    pub hold_bcc_only: bool,
    pub outsiders: Outsiders,
    /// Hold a sender's first post in a group (the planner knows who posted before).
    pub hold_first_post: bool,
    /// Undo windows: (group slug, seconds) of groups whose posts go live only that long after
    /// they arrive, unless the author replies `CANCEL` (`[[groups]] undo_minutes`).
    pub undo_windows: Vec<(String, i64)>,
    /// Days the raw mail of a post retracted by its author's `RETRACT`/`CANCEL` reply is kept
    /// (`policy.retracted_raw_days`); `None` keeps it until an admin purges it.
    pub retracted_raw_days: Option<i64>,
}

/// The rule behind a decision. Stored (`as_str`) with held mail and in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Every check passed.
    Published,
    /// Policy is off.
    PolicyOff,
    /// The From domain is not an allowed domain (or there is no From).
    SenderDomain,
    /// Trusted results show the sender was not authenticated (DMARC fail, nothing aligned).
    SenderAuth,
    /// No trusted `Authentication-Results` and `unauthenticated = "hold"`.
    NoAuthResults,
    Sensitivity,
    PurviewLabel,
    PurviewEncrypted,
    Encrypted,
    NoArchive,
    SubjectTag,
    HeaderPattern,
    BccOnly,
    Outsiders,
    /// A `RETRACT` reply from someone who is not the author of the post it answers.
    RetractRefused,
    /// A moderator's hold of a sender's first post in a group (decided by the store, which
    /// knows who posted before).
    FirstPost,
    /// Waiting out its group's undo window (published when it elapses unless cancelled).
    UndoWindow,
    /// A `CANCEL` reply from someone who is not the author of the post it names, or naming
    /// no post.
    CancelRefused,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Published => "published",
            Rule::PolicyOff => "policy_off",
            Rule::SenderDomain => "sender_domain",
            Rule::SenderAuth => "sender_auth",
            Rule::NoAuthResults => "no_auth_results",
            Rule::Sensitivity => "sensitivity",
            Rule::PurviewLabel => "purview_label",
            Rule::PurviewEncrypted => "purview_encrypted",
            Rule::Encrypted => "encrypted",
            Rule::NoArchive => "no_archive",
            Rule::SubjectTag => "subject_tag",
            Rule::HeaderPattern => "header_pattern",
            Rule::BccOnly => "bcc_only",
            Rule::Outsiders => "outsiders",
            Rule::RetractRefused => "retract_refused",
            Rule::FirstPost => "first_post",
            Rule::UndoWindow => "undo_window",
            Rule::CancelRefused => "cancel_refused",
        }
    }
}

/// Publish or hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Publish,
    Hold,
}

/// A decision, the rule that made it and why, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub action: Action,
    pub rule: Rule,
    pub reason: String,
    /// Addresses to mask when published (`outsiders = "mask"`), lower-cased.
    pub mask: Vec<String>,
    /// `hold_first_post`: the planner holds this mail if it is its sender's first post in a
    /// group.
    #[serde(skip)]
    pub first_post_check: bool,
    /// The longest undo window of the groups it reaches, in seconds (0: none): the planner
    /// holds it as pending that long.
    #[serde(skip)]
    pub undo_secs: i64,
}

/// What a mail gets when policy did not run (tools and tests that build mails by hand).
impl Default for Decision {
    fn default() -> Self {
        Decision {
            action: Action::Publish,
            rule: Rule::PolicyOff,
            reason: "policy not run".into(),
            mask: Vec::new(),
            first_post_check: false,
            undo_secs: 0,
        }
    }
}

impl Decision {
    fn hold(rule: Rule, reason: impl Into<String>) -> Decision {
        Decision {
            action: Action::Hold,
            rule,
            reason: reason.into(),
            mask: Vec::new(),
            first_post_check: false,
            undo_secs: 0,
        }
    }
    pub fn is_hold(&self) -> bool {
        self.action == Action::Hold
    }
}

/// Decide for one mail. `raw` is the mail as received (for headers the model does not keep).
pub fn decide(raw: &[u8], mail: &ParsedMail, routes: &[Route], cfg: &PolicyConfig) -> Decision {
    let headers = headers::split(raw);
    let mut d = decide_headers(&headers, mail, routes, cfg);
    // Consent, not confidentiality: the window applies whether policy is on or off.
    let undo_secs = routes
        .iter()
        .filter_map(|r| cfg.undo_windows.iter().find(|(s, _)| *s == r.slug))
        .map(|(_, secs)| *secs)
        .max()
        .unwrap_or(0);
    d.undo_secs = undo_secs;
    if !cfg.enabled && d.is_hold() {
        return Decision {
            action: Action::Publish,
            rule: Rule::PolicyOff,
            reason: format!("policy is off (would hold: {})", d.reason),
            mask: Vec::new(),
            first_post_check: false,
            undo_secs,
        };
    }
    d
}

/// A comment or post written on the web by a signed-in person: the confidentiality checks
/// (subject tags, markers, header patterns) apply; sender authentication does not (sign-in
/// did it, and outloud wrote the raw mail), nor the audience checks (outloud addressed it).
/// No undo window: the author saw what they wrote before sending it.
pub fn decide_web(raw: &[u8], mail: &ParsedMail, cfg: &PolicyConfig) -> Decision {
    let headers = headers::split(raw);
    match confidential::check(&headers, mail, cfg) {
        Some(hold) if cfg.enabled => hold,
        _ => Decision {
            rule: Rule::Published,
            reason: "written on the web by a signed-in person".into(),
            ..Decision::default()
        },
    }
}

/// [`decide`] on a header block already split.
pub fn decide_headers(
    headers: &[RawHeader],
    mail: &ParsedMail,
    routes: &[Route],
    cfg: &PolicyConfig,
) -> Decision {
    let sender = match authenticate::check(headers, mail, cfg) {
        Ok(how) => how,
        Err(hold) => return hold,
    };
    if let Some(hold) = confidential::check(headers, mail, cfg) {
        return hold;
    }
    let mask = match audience::check(mail, routes, cfg) {
        Ok(mask) => mask,
        Err(hold) => return hold,
    };
    let reason = match mask.len() {
        0 => sender,
        n => format!("{sender}; {n} outside address(es) masked"),
    };
    Decision {
        action: Action::Publish,
        rule: Rule::Published,
        reason,
        mask,
        first_post_check: cfg.enabled && cfg.hold_first_post,
        undo_secs: 0,
    }
}

/// The domain of an address, lower-cased.
pub fn domain_of(email: &str) -> Option<&str> {
    email
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('.'))
        .filter(|d| !d.is_empty())
}

/// The allowed domain `domain` is (or is under), if any.
pub fn allowed_root<'a>(domain: &str, cfg: &'a PolicyConfig) -> Option<&'a str> {
    let domain = domain.to_ascii_lowercase();
    cfg.allowed_domains
        .iter()
        .find(|a| domain == **a || domain.ends_with(&format!(".{a}")))
        .map(String::as_str)
}
