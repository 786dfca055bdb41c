//! Policy as stored: the moderation queue of held mail and the append-only audit log
//! (migration 0012 on both backends; docs/POLICY.md).

use serde::Serialize;

pub use crate::core::plan::{AuditRow, HeldState};
use crate::store::{Result, StoreError};

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

/// Policy's storage: the moderation queue, retraction, the undo window and the audit log
/// (docs/POLICY.md). Part of every [`Store`](crate::store::Store); both backends share one
/// implementation (`policy_impl.rs`).
#[async_trait::async_trait]
pub trait PolicyStore: Send + Sync {
    /// Held mail in `state` (every state when `None`), oldest first.
    async fn held(&self, state: Option<HeldState>, limit: i64) -> Result<Vec<HeldEntry>>;
    /// The posts `sender` wrote that wait out an undo window (state `pending`), soonest first.
    /// The default has none: test fakes hold no mail.
    async fn pending_from(&self, sender: &str) -> Result<Vec<HeldEntry>> {
        let _ = sender;
        Ok(Vec::new())
    }
    /// One held mail and its raw bytes.
    async fn held_one(&self, id: i64) -> Result<Option<(HeldEntry, Vec<u8>)>>;
    /// In one transaction: a held mail (still `held`) approved or rejected, the audit line, and
    /// the sender's notice queued. `None` when there is no such mail or it was decided already.
    async fn decide_held(&self, d: &HeldDecision<'_>) -> Result<Option<HeldEntry>>;
    /// In one transaction: retract a post (every row with its Message-ID, in every group) or a
    /// thread (its posts and rebuilt entries): rows deleted (so gone from pages, search, feeds,
    /// API, exports, digests), the Message-IDs recorded so nothing files them again, threads
    /// left empty removed, the audit lines written. `None` when there is no such post/thread.
    async fn retract(&self, r: &Retraction<'_>) -> Result<Option<Retracted>>;
    /// In one transaction: an author's cancel of a post in its undo window, as a `CANCEL`
    /// reply does it (see [`Cancelled`]), with the audit line `audit` when it stopped
    /// the post (a retraction writes its own). The default fails: test fakes need not
    /// implement it.
    async fn cancel_pending(
        &self,
        cancel: &crate::core::plan::PendingCancel,
        audit: &AuditRow,
    ) -> Result<Cancelled> {
        let _ = (cancel, audit);
        Err(StoreError::Invalid("this store cannot cancel posts".into()))
    }
    /// Ids of posts whose undo window ended by `now` (state `pending`), oldest first.
    async fn due_pending(&self, now: i64, limit: i64) -> Result<Vec<i64>>;
    /// Delete the raw mail of retractions whose retention ran out by `now`; the count deleted.
    async fn purge_retracted(&self, now: i64) -> Result<u64>;
    /// Append to the audit log (admin changes; the pipeline's decisions go in its write sets).
    async fn append_audit(&self, rows: &[AuditRow]) -> Result<()>;
    /// Audit lines matching `filter`, oldest first.
    async fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>>;
}
