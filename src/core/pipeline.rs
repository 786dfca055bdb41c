//! The stages composed: raw bytes → a [`Processed`] mail ready for planning, or a skip.
use std::sync::OnceLock;

use super::classify::{classify, OwnIdentity};
use super::clean_body::clean_body;
use super::parse::{parse, ParseError};
use super::quote_history::{reconstruct, QuoteContext};
use super::route::{route, GroupDirectory};
use super::sanitize::sanitize_html;
use super::thread_keys::{thread_keys, ThreadKeys};
use crate::model::{CleanBody, ParsedMail, QuotedMail, Route, SkipRule, Via};

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
    },
}

/// Options that do not come from the mail.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub own: OwnIdentity,
    /// `outloud import --group SLUG`: file into these groups even when the mail does not name them.
    pub force_groups: Vec<String>,
}

/// Run parse → classify → route → thread keys → clean → reconstruct.
pub fn process(raw: &[u8], dir: &GroupDirectory, opts: &Options) -> Result<Outcome, ParseError> {
    let mail = parse(raw)?;
    if let Some(skip) = classify(&mail, &opts.own) {
        return Ok(Outcome::Skip {
            mail: Box::new(mail),
            rule: skip.rule,
            detail: skip.detail,
        });
    }
    let mut routes = route(&mail, dir);
    for slug in &opts.force_groups {
        if routes.iter().any(|r| &r.slug == slug) {
            continue;
        }
        if let Some(g) = dir.by_slug(slug) {
            routes.push(Route {
                group_id: g.id,
                slug: g.slug.clone(),
                via: Via::Import,
            });
        }
    }
    if routes.is_empty() {
        let detail = "no group address in To, Cc or the envelope".to_string();
        return Ok(Outcome::Skip {
            mail: Box::new(mail),
            rule: SkipRule::NoGroup,
            detail,
        });
    }
    let keys = thread_keys(&mail);
    let clean = clean_body(&mail.text, mail.text_from_html);
    let reconstructed = OnceLock::new();
    let safe_html = mail.html.as_deref().map(sanitize_html);
    Ok(Outcome::Publish(Box::new(Processed {
        mail,
        routes,
        keys,
        clean,
        reconstructed,
        safe_html,
    })))
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
