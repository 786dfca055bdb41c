//! Policy as stored: the moderation queue of held mail and the append-only audit log
//! (migration 0012 on both backends; docs/POLICY.md).

use serde::Serialize;

pub use crate::core::plan::{AuditRow, HeldState};
use crate::store::StoreError;

/// A held mail as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldEntry {
    pub id: i64,
    pub raw_sha256: String,
    pub message_id: String,
    pub sender: String,
    pub subject: String,
    pub groups: Vec<String>,
    pub rule: String,
    pub reason: String,
    pub state: HeldState,
    pub held_at: i64,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
    pub note: Option<String>,
    /// State `pending`: when its undo window ends.
    pub publish_at: Option<i64>,
}

/// Columns of `held` in [`HeldTuple`] order.
pub(crate) const HELD_COLUMNS: &str = "id, raw_sha256, message_id, sender, subject, groups, rule, \
     reason, state, held_at, decided_at, decided_by, note, publish_at";

pub(crate) type HeldTuple = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

pub(crate) fn held_entry(t: HeldTuple) -> Result<HeldEntry, StoreError> {
    let state = HeldState::parse(&t.8)
        .ok_or_else(|| StoreError::Invalid(format!("held {}: unknown state {:?}", t.0, t.8)))?;
    Ok(HeldEntry {
        id: t.0,
        raw_sha256: t.1,
        message_id: t.2,
        sender: t.3,
        subject: t.4,
        groups: t
            .5
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        rule: t.6,
        reason: t.7,
        state,
        held_at: t.9,
        decided_at: t.10,
        decided_by: t.11,
        note: t.12,
        publish_at: t.13,
    })
}

/// A moderator's decision on a held mail.
#[derive(Debug, Clone)]
pub struct HeldDecision<'a> {
    pub id: i64,
    /// [`HeldState::Approved`] or [`HeldState::Rejected`].
    pub state: HeldState,
    pub actor: &'a str,
    pub note: Option<&'a str>,
    pub now: i64,
    /// The mail telling the sender, queued in the same transaction.
    pub notice: Option<&'a crate::core::compose::Outgoing>,
}

/// What an author's cancel of a post in its undo window did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// Stopped while it waited: state `cancelled`, never published.
    Stopped,
    /// The undo worker had published it meanwhile: retracted instead.
    Retracted,
    /// A moderator decided it (or it was cancelled) meanwhile: nothing changed.
    Unchanged,
}

/// Which audit lines to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub rule: Option<String>,
    pub message_id: Option<String>,
    /// Unix seconds, inclusive.
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Lines after this id (paging through an export).
    pub after_id: i64,
    pub limit: i64,
}

/// One stored audit line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    #[serde(flatten)]
    pub row: AuditRow,
}

pub(crate) const AUDIT_COLUMNS: &str = "id, at, actor, action, rule, message_id, detail";

pub(crate) type AuditTuple = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
);

pub(crate) fn audit_entry(t: AuditTuple) -> AuditEntry {
    AuditEntry {
        id: t.0,
        row: AuditRow {
            at: t.1,
            actor: t.2,
            action: t.3,
            rule: t.4,
            message_id: t.5,
            detail: t.6,
        },
    }
}

/// The audit line of a moderator's decision.
pub(crate) fn decision_audit(entry: &HeldEntry, d: &HeldDecision<'_>) -> AuditRow {
    let note = d.note.map(|n| format!("; note: {n}")).unwrap_or_default();
    AuditRow {
        at: d.now,
        actor: d.actor.to_string(),
        action: d.state.as_str().to_string(),
        rule: Some(entry.rule.clone()),
        message_id: Some(entry.message_id.clone()),
        detail: format!("held #{} ({}){note}", entry.id, entry.reason),
    }
}

/// What to retract: one post (by Message-ID, in every group it was filed in) or a whole thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetractTarget {
    Message(String),
    Thread(crate::core::plan::ThreadId),
}

/// A retraction, as asked.
#[derive(Debug, Clone)]
pub struct Retraction<'a> {
    pub target: RetractTarget,
    /// Who retracts: `cli:USER`, `sender:ADDRESS`.
    pub actor: &'a str,
    pub now: i64,
    /// When the raw mail may be deleted ([`crate::store::Store::purge_retracted`]); `None`
    /// keeps it.
    pub purge_after: Option<i64>,
}

/// What a retraction removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Retracted {
    /// The Message-IDs now retracted (never filed again).
    pub message_ids: Vec<String>,
    pub messages_deleted: u64,
    pub threads_deleted: u64,
    /// Replies whose quoted history showed a retracted post, now replaced by a note.
    pub quotes_cleared: u64,
}

pub(crate) fn retraction_audit(r: &Retraction<'_>, done: &Retracted) -> Vec<AuditRow> {
    let what = match &r.target {
        RetractTarget::Message(_) => "post".to_string(),
        RetractTarget::Thread(t) => format!("thread {t}"),
    };
    done.message_ids
        .iter()
        .map(|m| AuditRow {
            at: r.now,
            actor: r.actor.to_string(),
            action: "retracted".into(),
            rule: None,
            message_id: Some(m.clone()),
            detail: format!(
                "{what} retracted: {} message row(s), {} thread(s) removed, {} quote(s) cleared",
                done.messages_deleted, done.threads_deleted, done.quotes_cleared
            ),
        })
        .collect()
}
