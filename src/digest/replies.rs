//! Replies to a digest item (`GROUP+r-TOKEN@…`), before a batch is planned: from the digest's
//! recipient, within the reply window, to a thread still published → filed as a comment on
//! that thread (its newest message becomes the reply's parent; the pipeline has already cut
//! the quoted digest off the body). Otherwise not published (stored as skipped, reason and
//! rule `digest_reply_refused`, the detail saying why) and the sender is told why by a notice
//! queued with the record of the refusal.

use std::sync::Arc;

use crate::core::compose::{Draft, Sender};
use crate::core::digest::links::{judge_reply, reply_token, RefuseReason, ReplyVerdict};
use crate::core::pipeline::Outcome;
use crate::core::plan::BatchItem;
use crate::model::SkipRule;
use crate::store::digest::DigestReply;
use crate::store::{Store, StoreError};

/// How replies are judged: the reply window, and who tells refused senders.
#[derive(Debug, Clone)]
pub struct ReplySettings {
    pub max_age_secs: i64,
    /// `None`: refusals are recorded but nobody is told (no `[smtp]` identity).
    pub sender: Option<Sender>,
}

impl Default for ReplySettings {
    fn default() -> Self {
        ReplySettings {
            max_age_secs: 90 * 86_400,
            sender: None,
        }
    }
}

/// Files or refuses every digest reply in `items`, in place.
pub async fn apply(
    store: &Arc<dyn Store>,
    s: &ReplySettings,
    items: &mut [BatchItem],
    now: i64,
) -> Result<(), StoreError> {
    for item in items.iter_mut() {
        let Outcome::Publish(p) = &mut item.outcome else {
            continue;
        };
        let addresses = p.mail.to.iter().chain(&p.mail.cc).map(|a| a.email.as_str());
        let Some(token) = addresses
            .chain(p.mail.envelope_to.iter().map(String::as_str))
            .find_map(reply_token)
        else {
            continue;
        };
        let sender = p
            .mail
            .from
            .as_ref()
            .map(|a| a.email.clone())
            .unwrap_or_default();
        let row = store.reply_token(&token).await?;
        let parent = match &row {
            Some(r) => store.thread(r.thread_id).await?.and_then(|t| {
                let newest = t.messages.iter().rev().find(|m| !m.reconstructed);
                newest.map(|m| m.message_id.clone())
            }),
            None => None,
        };
        let bound = row
            .as_ref()
            .map(|r| (r.email.as_str(), r.thread_id, r.created_at));
        let verdict = judge_reply(bound, &sender, parent.is_some(), now, s.max_age_secs);
        let mut reply = DigestReply {
            raw_sha256: p.mail.raw_sha256.clone(),
            token: token.clone(),
            send_id: row.as_ref().map(|r| r.send_id),
            sender: sender.clone(),
            outcome: "published".into(),
            notice: None,
            at: now,
        };
        match verdict {
            ReplyVerdict::Publish { .. } => {
                p.keys.parents.insert(0, parent.unwrap_or_default());
                p.keys.looks_like_reply = true;
            }
            ReplyVerdict::Refuse(reason) => {
                reply.outcome = reason.as_str().into();
                reply.notice = notice(s, &sender, &p.mail.subject, reason, now);
                let detail = format!("digest reply refused: {}", reason.as_str());
                item.outcome = Outcome::Skip {
                    mail: Box::new(p.mail.clone()),
                    rule: SkipRule::DigestReplyRefused,
                    detail,
                    bounce: None,
                };
            }
        }
        store.record_digest_reply(&reply).await?;
    }
    Ok(())
}

fn notice(
    s: &ReplySettings,
    to: &str,
    subject: &str,
    reason: RefuseReason,
    now: i64,
) -> Option<crate::core::compose::Outgoing> {
    let sender = s.sender.as_ref()?;
    let draft = Draft {
        on_behalf_of: None,
        reply_to: None,
        to: vec![to.to_string()],
        subject: format!("Not published: {subject}"),
        text: format!(
            "Your reply \"{subject}\" was not published as a comment: {}.\n\n\
             To take part, open the thread from your digest's link and comment there.\n",
            reason.explain()
        ),
        in_reply_to: None,
        references: vec![],
        auto_submitted: true,
    };
    crate::outbox::queue_draft(sender, &draft, "digest-reply", now).ok()
}
