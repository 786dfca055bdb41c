//! The stages composed: raw bytes → a [`Processed`] mail ready for planning, or a skip.
use std::sync::OnceLock;

use super::bounce::{read_bounce, Bounce};
use super::classify::{classify, OwnIdentity};
use super::clean_body::clean_body;
use super::parse::{parse, ParseError};
use super::policy::{decide, decide_web, Decision, PolicyConfig};
use super::quote_history::{reconstruct, QuoteContext};
use super::route::{route, GroupDirectory};
use super::sanitize::sanitize_bounded;
use super::thread_keys::{thread_keys, ThreadKeys};
use crate::model::{CleanBody, ParsedMail, QuotedMail, Route, SkipReason, SkipRule, Via};

/// A mail that passed every stage: what the planner needs to file it.
#[derive(Debug, Clone)]
pub struct Processed {
    pub mail: ParsedMail,
    pub routes: Vec<Route>,
    pub keys: ThreadKeys,
    pub clean: CleanBody,
    /// Earlier mails rebuilt from the quote, oldest first. Computed on first use: only a mail
    /// that starts a thread needs them, and rebuilding a deep quote chain is the costliest
    /// stage of the pipeline.
    pub reconstructed: OnceLock<Vec<QuotedMail>>,
    /// The HTML part after sanitising, safe to store and show.
    pub safe_html: Option<String>,
    /// Why the mail's HTML part is not kept for display (beyond the HTML stage's bounds).
    pub html_note: Option<String>,
    /// What policy decided: publish, or hold for a moderator (with the rule and why).
    pub decision: Decision,
    /// A `RETRACT` reply: the Message-ID of the post it retracts (if its author sent it).
    pub retract: Option<String>,
    /// A `CANCEL` reply: the Message-IDs it may name, nearest first (empty: not one).
    pub cancel: Vec<String>,
}

impl Processed {
    /// The earlier mails rebuilt from this mail's quoted history, oldest first.
    pub fn reconstructed(&self) -> &[QuotedMail] {
        self.reconstructed.get_or_init(|| {
            let ctx = QuoteContext {
                date_offset_secs: self.mail.date_offset_secs,
                date: self.mail.date,
            };
            reconstruct(&self.clean.quoted, ctx)
        })
    }
}

/// What the pipeline decided for one mail.
#[derive(Debug, Clone)]
pub enum Outcome {
    Publish(Box<Processed>),
    Skip {
        mail: Box<ParsedMail>,
        /// The rule that fired; its coarse [`crate::model::SkipReason`] is what is stored.
        rule: SkipRule,
        detail: String,
        /// A bounce about a mail outloud sent: matched to its delivery when stored.
        bounce: Option<Box<Bounce>>,
    },
}

/// Options that do not come from the mail.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub own: OwnIdentity,
    /// `outloud import --group SLUG`: file into these groups even when the mail does not name them.
    pub force_groups: Vec<String>,
    /// A comment or post written on outloud's web view (its raw mail's source starts with
    /// [`WEB_SOURCE`]): not classified — it carries outloud's own Message-ID by design, so the
    /// copy mailed out and coming back is skipped while this one is published — and filed
    /// only in `force_groups`, via `web`.
    pub from_web: bool,
    /// `[policy]`; off by default (tests and tools that build options by hand).
    pub policy: PolicyConfig,
}

/// Source of the raw mails written on the web view; set by outloud, never read from a mail.
pub const WEB_SOURCE: &str = "web:";

/// Run parse → classify → route → thread keys → clean → reconstruct.
pub fn process(raw: &[u8], dir: &GroupDirectory, opts: &Options) -> Result<Outcome, ParseError> {
    let mail = parse(raw)?;
    let skip = if opts.from_web {
        None
    } else {
        classify(&mail, &opts.own)
    };
    if let Some(skip) = skip {
        // Mail at the return path that no bounce rule recognised is skipped, not counted.
        let is_bounce = skip.reason() == SkipReason::Bounce && skip.rule != SkipRule::ReturnPath;
        let bounce = is_bounce
            .then(|| read_bounce(raw, &mail, &opts.own))
            .flatten()
            .map(Box::new);
        return Ok(Outcome::Skip {
            mail: Box::new(mail),
            rule: skip.rule,
            detail: skip.detail,
            bounce,
        });
    }
    let mut routes = if opts.from_web {
        Vec::new()
    } else {
        route(&mail, dir)
    };
    let forced_via = if opts.from_web { Via::Web } else { Via::Import };
    for slug in &opts.force_groups {
        if routes.iter().any(|r| &r.slug == slug) {
            continue;
        }
        if let Some(g) = dir.by_slug(slug) {
            routes.push(Route {
                group_id: g.id,
                slug: g.slug.clone(),
                via: forced_via,
            });
        }
    }
    if routes.is_empty() {
        let detail = "no group address in To, Cc or the envelope".to_string();
        return Ok(Outcome::Skip {
            mail: Box::new(mail),
            rule: SkipRule::NoGroup,
            detail,
            bounce: None,
        });
    }
    // A web comment's author signed in: sender authentication is not asked of it (its raw mail
    // carries no Authentication-Results), the confidentiality markers are.
    let decision = if opts.from_web {
        decide_web(raw, &mail, &opts.policy)
    } else {
        decide(raw, &mail, &routes, &opts.policy)
    };
    let mut mail = mail;
    if !decision.mask.is_empty() {
        mask_addresses(&mut mail, &decision.mask);
    }
    let keys = thread_keys(&mail);
    let clean = clean_body(&mail.text, mail.text_from_html);
    let retract =
        super::policy::command::retract_target(&clean.body, &mail.in_reply_to, &mail.references);
    let cancel =
        super::policy::command::cancel_targets(&clean.body, &mail.in_reply_to, &mail.references);
    let reconstructed = OnceLock::new();
    let (safe_html, html_note) = match mail.html.as_deref().map(sanitize_bounded) {
        // Markup that sanitises to nothing (a tracking pixel alone) is not worth a fold.
        Some(Ok(html)) => (Some(html).filter(|h| !h.trim().is_empty()), None),
        Some(Err(why)) => (None, Some(why.to_string())),
        None => (None, None),
    };
    Ok(Outcome::Publish(Box::new(Processed {
        mail,
        routes,
        keys,
        clean,
        reconstructed,
        safe_html,
        html_note,
        decision,
        retract,
        cancel,
    })))
}

/// Policy's `outsiders = "mask"`: the addresses leave the recipients and every occurrence in
/// the text and HTML becomes `c…@customer.example`, before anything is cleaned, rebuilt or stored.
fn mask_addresses(mail: &mut ParsedMail, mask: &[String]) {
    mail.to.retain(|a| !mask.contains(&a.email));
    mail.cc.retain(|a| !mask.contains(&a.email));
    for m in mask {
        let masked = masked(m);
        mail.text = replace_ci(&mail.text, m, &masked);
        if let Some(html) = mail.html.as_mut() {
            *html = replace_ci(html, m, &masked);
        }
    }
}

/// `carol@customer.example` → `c…@customer.example`.
pub fn masked(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}…@{domain}")
        }
        None => "…".into(),
    }
}

/// `text` with every ASCII-case-insensitive occurrence of `needle` replaced.
fn replace_ci(text: &str, needle: &str, with: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (i, _) in lower.match_indices(needle) {
        out.push_str(&text[last..i]);
        out.push_str(with);
        last = i + needle.len();
    }
    out.push_str(&text[last..]);
    out
}

/// Every stage over one raw mail, as far as it goes, filed into one group whatever its
/// recipients: what the fuzzer (`fuzz/`, `scripts/fuzz.sh`) runs and its regression tests
/// (`tests/fuzz_regressions.rs`) replay. The number of earlier mails rebuilt from the quote, or
/// `None` when the mail was skipped or could not be parsed. Must never panic.
pub fn exercise(raw: &[u8]) -> Option<usize> {
    static DIR: OnceLock<GroupDirectory> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        GroupDirectory::new(vec![crate::model::GroupEntry {
            id: 1,
            slug: "eng".into(),
            name: "Engineering".into(),
            addresses: vec!["eng@corp.example".into()],
        }])
    });
    let opts = Options {
        force_groups: vec!["eng".into()],
        ..Options::default()
    };
    match process(raw, dir, &opts) {
        Ok(Outcome::Publish(p)) => Some(p.reconstructed().len()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GroupEntry;

    #[test]
    fn quoted_times_are_read_in_the_mail_zone() {
        let dir = GroupDirectory::new(vec![GroupEntry {
            id: 1,
            slug: "eng".into(),
            name: "Engineering".into(),
            addresses: vec!["eng@corp.example".into()],
        }]);
        let raw = "From: Bob <bob@corp.example>\r\nTo: alice@corp.example\r\n\
            Cc: eng@corp.example\r\nSubject: Re: Rota\r\nMessage-ID: <b@corp.example>\r\n\
            Date: Mon, 3 Mar 2025 16:30:00 -0500\r\n\r\nAdding the group.\r\n\r\n\
            On Mon, Mar 3, 2025 at 10:02 AM Alice <alice@corp.example> wrote:\r\n\r\n\
            > Who is on call?\r\n";
        let Ok(Outcome::Publish(p)) = process(raw.as_bytes(), &dir, &Options::default()) else {
            panic!("not published");
        };
        let q = p.reconstructed();
        assert_eq!(q.len(), 1);
        // 10:02 in New York (the quoting mail's -0500), not 10:02 UTC.
        assert_eq!(q[0].date, Some(1_741_014_120));
        assert_eq!(q[0].author.email, "alice@corp.example");
    }
}
