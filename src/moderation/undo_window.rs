//! The undo window's notice: a post of a group with `undo_minutes` waits in the moderation
//! queue (state `pending`); its sender is told where and when it will appear and that a reply
//! `CANCEL` stops it. The notice answers the post (In-Reply-To, References) and its Reply-To
//! is the group address, so the `CANCEL` reply comes back through the group's mailbox, where
//! the planner finds the post it names among its References. docs/POLICY.md.

use crate::core::compose::{Draft, Outgoing, Sender};
use crate::core::plan::{HeldRow, WriteSet};
use crate::core::route::GroupDirectory;

/// When, in words a person reads (UTC).
fn when(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| secs.to_string())
}

/// Who sends the notices, and where an author can also cancel on the web.
#[derive(Debug, Clone)]
pub struct Notices {
    pub sender: Sender,
    /// `BASE/pending` (the author's waiting posts, each with a Cancel button) when the web
    /// view's address is configured (`web.base_url`); `None`: the notice names CANCEL only.
    pub pending_url: Option<String>,
}

impl From<Sender> for Notices {
    fn from(sender: Sender) -> Self {
        Notices {
            sender,
            pending_url: None,
        }
    }
}

/// The notice to the sender of a post waiting out its undo window.
pub fn notice(
    h: &HeldRow,
    publish_at: i64,
    now: i64,
    dir: &GroupDirectory,
    pending_url: Option<&str>,
) -> Draft {
    let addresses: Vec<&str> = (h.groups.iter())
        .filter_map(|slug| dir.by_slug(slug))
        .filter_map(|g| g.addresses.first().map(String::as_str))
        .collect();
    let minutes = ((publish_at - now).max(0) + 59) / 60;
    let groups = h.groups.join(", ");
    let text = format!(
        "Your mail \"{}\" will be published in {groups} at {} (in {minutes} minute(s)).\n\n\
         To stop it, reply to this mail with the single word CANCEL.\n\
         Nothing of it appears on the network before then. Once it is published, a reply CANCEL\n\
         (or RETRACT to the post) takes it down again.\n",
        h.subject,
        when(publish_at)
    );
    let text = match pending_url {
        Some(url) => format!("{text}\nOr cancel it on the web, signed in: {url}\n"),
        None => text,
    };
    Draft {
        to: vec![h.sender.clone()],
        subject: format!("Publishing in {minutes} min: {}", h.subject),
        text,
        in_reply_to: Some(h.message_id.clone()),
        references: vec![h.message_id.clone()],
        auto_submitted: true,
        on_behalf_of: None,
        reply_to: addresses.first().map(|a| a.to_string()),
    }
}

/// Queue the notice of every post this write set puts in an undo window (same transaction).
/// A notice that cannot be composed is logged and left out: the post still waits its window.
pub fn queue_notices(ws: &mut WriteSet, notices: &Notices, dir: &GroupDirectory, now: i64) {
    let mut queued: Vec<Outgoing> = Vec::new();
    for h in &ws.held {
        let Some(publish_at) = h.publish_at else {
            continue;
        };
        if h.sender.is_empty() {
            continue;
        }
        let draft = notice(h, publish_at, now, dir, notices.pending_url.as_deref());
        match crate::outbox::queue_draft(&notices.sender, &draft, "undo", now) {
            Ok(mail) => queued.push(mail),
            Err(e) => {
                tracing::warn!(message_id = %h.message_id, error = %e, "undo window: cannot compose the notice")
            }
        }
    }
    ws.outbox.extend(queued);
}
