//! The moderation queue: mail policy held waits here until a moderator approves it (then it
//! is published through the normal write path, exactly as if policy had let it through) or
//! rejects it. The sender learns the outcome by mail (an outbox row queued in the same
//! transaction as the decision). Every decision goes to the audit log. docs/POLICY.md.
//!
//! Approving is two steps: the decision (one transaction: state, audit line, notice), then
//! the mail is run through the pipeline again, where the planner finds it approved and files
//! it. If outloud stops between the two, `outloud held approve ID` again (or `outloud
//! reprocess`) finishes the publishing; nothing is published twice (Message-ID dedupe).

use crate::core::compose::{Draft, Sender};
use crate::ingest::{IngestError, Ingestor, MailReport, RawMail};
use crate::store::policy::{HeldDecision, HeldEntry, HeldState};
use crate::store::StoreError;

pub mod commands;
pub mod undo_window;
pub mod worker;

#[derive(Debug, thiserror::Error)]
pub enum ModerationError {
    #[error("no held mail with id {0} (see `outloud held list`)")]
    NotFound(i64),
    #[error("held mail {id} was {state} already")]
    Decided { id: i64, state: &'static str },
    #[error("the note is {0} characters long; at most {MAX_NOTE_CHARS} are kept")]
    NoteTooLong(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("cannot compose the notice to the sender: {0}")]
    Compose(#[from] crate::core::compose::ComposeError),
}

/// Who decides and when, and who the notice comes from.
pub struct Moderator<'a> {
    pub actor: &'a str,
    pub note: Option<&'a str>,
    pub now: i64,
    /// `None`: the sender is not told (no `[smtp]`/`[identity]` to send as).
    pub sender: Option<&'a Sender>,
}

/// The mail telling the sender what became of their mail.
pub fn notice(entry: &HeldEntry, state: HeldState, note: Option<&str>) -> Draft {
    let groups = entry.groups.join(", ");
    let (subject, text) = match state {
        HeldState::Approved => (
            format!("Published: {}", entry.subject),
            format!(
                "Your mail \"{}\" was held for a moderator ({}).\n\nA moderator approved it: it is now published in {groups}.\n",
                entry.subject, entry.reason
            ),
        ),
        _ => (
            format!("Not published: {}", entry.subject),
            format!(
                "Your mail \"{}\" to {groups} was held for a moderator ({}).\n\nA moderator decided not to publish it. Nothing of it appears on the network.\n",
                entry.subject, entry.reason
            ),
        ),
    };
    let note = note
        .map(|n| format!("\nThe moderator's note: {n}\n"))
        .unwrap_or_default();
    Draft {
        to: vec![entry.sender.clone()],
        subject,
        text: format!("{text}{note}"),
        in_reply_to: Some(entry.message_id.clone()),
        references: vec![entry.message_id.clone()],
        auto_submitted: true,
        on_behalf_of: None,
        reply_to: None,
    }
}

/// Longest moderator's note (characters): it goes into the audit log and the sender's mail.
pub const MAX_NOTE_CHARS: usize = 500;

/// A note longer than [`MAX_NOTE_CHARS`] is refused (the web form stops at it too).
fn check_note(note: Option<&str>) -> Result<(), ModerationError> {
    match note.map(|n| n.chars().count()) {
        Some(n) if n > MAX_NOTE_CHARS => Err(ModerationError::NoteTooLong(n)),
        _ => Ok(()),
    }
}

/// Record the decision, then (for an approval) publish. Returns the entry and, when
/// approved, what publishing did.
pub async fn decide(
    ingestor: &Ingestor,
    id: i64,
    state: HeldState,
    m: &Moderator<'_>,
) -> Result<(HeldEntry, Option<MailReport>), ModerationError> {
    check_note(m.note)?;
    let store = ingestor.store();
    let Some((entry, bytes)) = store.held_one(id).await? else {
        return Err(ModerationError::NotFound(id));
    };
    let decided = match entry.state {
        // A post waiting out its undo window may be approved early or rejected too.
        HeldState::Held | HeldState::Pending => {
            let mail = match (m.sender, entry.sender.is_empty()) {
                (Some(s), false) => Some(crate::outbox::queue_draft(
                    s,
                    &notice(&entry, state, m.note),
                    "moderation",
                    m.now,
                )?),
                _ => None,
            };
            let d = HeldDecision {
                id,
                state,
                actor: m.actor,
                note: m.note,
                now: m.now,
                notice: mail.as_ref(),
            };
            store
                .decide_held(&d)
                .await?
                .ok_or(ModerationError::NotFound(id))?
        }
        // Approving again finishes a publishing that was cut off.
        HeldState::Approved if state == HeldState::Approved => entry,
        s => {
            return Err(ModerationError::Decided {
                id,
                state: s.as_str(),
            })
        }
    };
    if state != HeldState::Approved {
        return Ok((decided, None));
    }
    let raw = RawMail {
        bytes,
        source: format!("held:{id}"),
        force_groups: Vec::new(),
    };
    let mut reports = ingestor.ingest(vec![raw], None, m.now).await?;
    Ok((decided, reports.pop()))
}

/// Retract a post or a thread (`outloud retract` and the admin web page): its rows go in one
/// transaction with the audit lines, its raw mail is kept `raw_days`, and raw mail of earlier
/// retractions whose retention ran out is deleted. `None`: nothing published by that id.
pub async fn retract(
    store: &dyn crate::store::Store,
    target: crate::store::policy::RetractTarget,
    actor: &str,
    now: i64,
    raw_days: i64,
) -> Result<Option<crate::store::policy::Retracted>, StoreError> {
    let r = crate::store::policy::Retraction {
        target,
        actor,
        now,
        purge_after: Some(now + raw_days.max(0) * 86_400),
    };
    let done = store.retract(&r).await?;
    let purged = store.purge_retracted(now).await?;
    if purged > 0 {
        tracing::info!(
            purged,
            "deleted the raw mail of retracted posts past their retention"
        );
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_capped() {
        assert!(check_note(None).is_ok());
        assert!(check_note(Some(&"é".repeat(MAX_NOTE_CHARS))).is_ok());
        let e = check_note(Some(&"x".repeat(MAX_NOTE_CHARS + 1))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the note is 501 characters long; at most 500 are kept"
        );
    }
}
