//! The outbox as stored: what both backends read and write for every mail outloud sends, and
//! for the bounces that come back. Rows are never deleted: a delivery that failed stays with its
//! attempts, a cleared bounce stays with `cleared_at` set.
//!
//! A mail ([`Outgoing`](crate::core::compose::Outgoing)) has one delivery per recipient; the
//! sender claims deliveries under a lease (database clock), starts an attempt (recorded before
//! the SMTP transaction begins, so a crash leaves it visibly unfinished), and finishes it with
//! the server's reply.

use serde::Serialize;

use crate::core::bounce::Severity;
use crate::core::compose::Outgoing;
use crate::core::delivery::Failure;
use crate::model::UnknownSpelling;
use crate::store::StoreError;

pub type OutboxId = i64;
pub type DeliveryId = i64;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Waiting for its first attempt (or for one an admin asked for).
    Queued,
    /// Deferred by the server (4xx) or cut off; tried again at `next_attempt_at`.
    Retrying,
    /// The server took it (2xx after the message).
    Sent,
    /// Sent, then reported failed by a bounce.
    Bounced,
    /// Stopped unsent: see [`Failure`].
    Failed,
    /// Stopped by an admin (`outloud outbox cancel`).
    Cancelled,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 6] = [
        DeliveryState::Queued,
        DeliveryState::Retrying,
        DeliveryState::Sent,
        DeliveryState::Bounced,
        DeliveryState::Failed,
        DeliveryState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Queued => "queued",
            DeliveryState::Retrying => "retrying",
            DeliveryState::Sent => "sent",
            DeliveryState::Bounced => "bounced",
            DeliveryState::Failed => "failed",
            DeliveryState::Cancelled => "cancelled",
        }
    }
}

impl std::str::FromStr for DeliveryState {
    type Err = UnknownSpelling;
    fn from_str(s: &str) -> Result<Self, UnknownSpelling> {
        DeliveryState::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownSpelling {
                kind: "delivery state",
                value: s.to_string(),
            })
    }
}

/// What a sender asks for when it claims deliveries.
#[derive(Debug, Clone)]
pub struct ClaimRequest {
    pub holder: String,
    /// Unix seconds (outloud's clock): deliveries due by then.
    pub now: i64,
    pub limit: i64,
    /// The lease runs this long on the database's clock.
    pub lease_secs: i64,
    /// Only these deliveries, due or not (`outloud mail test` sends the one it queued).
    pub only: Option<Vec<DeliveryId>>,
}

/// A delivery held by a sender, with what it needs to send it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClaimedDelivery {
    pub id: DeliveryId,
    pub outbox_id: OutboxId,
    pub recipient: String,
    pub token: String,
    /// Attempts started before this claim.
    pub attempts: i64,
    /// The last attempt started but never finished: a sender died in its SMTP transaction.
    pub in_flight: bool,
    pub message_id: String,
    pub bytes: Vec<u8>,
    /// When the mail was queued.
    pub created_at: i64,
}

/// How a delivery ends its turn with a sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryEnd {
    pub at: i64,
    /// True when an attempt was started (its record is closed with this outcome).
    pub attempted: bool,
    /// `sent`, `deferred`, `undeliverable`, `suppressed`, `expired`, `error`.
    pub outcome: String,
    pub code: Option<i32>,
    pub reply: String,
    pub state: DeliveryState,
    pub next_attempt_at: Option<i64>,
    pub failure: Option<Failure>,
    /// A bounce to count against the recipient (the server refused it at RCPT TO).
    pub bounce: Option<Severity>,
}

/// A mail and its deliveries as queued: the ids of what [`OutboxStore::enqueue`] wrote.
///
/// [`OutboxStore::enqueue`]: OutboxStore::enqueue
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub outbox_id: OutboxId,
    pub message_id: String,
    /// `(recipient, delivery id)`, in the order given.
    pub deliveries: Vec<(String, DeliveryId)>,
}

/// One delivery as `outloud outbox list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: DeliveryId,
    pub outbox_id: OutboxId,
    pub message_id: String,
    pub kind: String,
    pub subject: String,
    pub recipient: String,
    #[sqlx(try_from = "String")]
    pub state: StateColumn,
    pub attempts: i64,
    pub in_flight: bool,
    pub next_attempt_at: i64,
    pub last_code: Option<i32>,
    pub last_reply: Option<String>,
    pub failure: Option<String>,
    pub sent_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A state read from the database (a `TryFrom<String>` for sqlx).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct StateColumn(pub DeliveryState);

impl TryFrom<String> for StateColumn {
    type Error = UnknownSpelling;
    fn try_from(s: String) -> Result<Self, UnknownSpelling> {
        s.parse().map(StateColumn)
    }
}

/// Select list for [`DeliveryRow`], over `outbox_deliveries d JOIN outbox o ON o.id = d.outbox_id`.
pub(crate) const DELIVERY_COLUMNS: &str =
    "d.id, d.outbox_id, o.message_id, o.kind, o.subject, d.recipient, d.state, d.attempts, \
     d.in_flight, d.next_attempt_at, d.last_code, d.last_reply, d.failure, d.sent_at, \
     o.created_at, d.updated_at";

/// Select list for [`ClaimedDelivery`] over the same join.
pub(crate) const CLAIM_COLUMNS: &str =
    "d.id, d.outbox_id, d.recipient, d.token, d.attempts, d.in_flight, o.message_id, o.bytes, \
     o.created_at";

/// States `outloud outbox retry` queues again, and `cancel` stops, as SQL lists.
pub(crate) const RETRYABLE: &str = "'failed', 'cancelled', 'retrying'";
pub(crate) const CANCELLABLE: &str = "'queued', 'retrying'";

/// Which deliveries to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub state: Option<DeliveryState>,
    pub recipient: Option<String>,
    pub outbox_id: Option<OutboxId>,
    /// Newest first, at most this many (0: no limit).
    pub limit: i64,
}

/// One attempt of a delivery, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AttemptRow {
    pub delivery_id: DeliveryId,
    pub attempt: i64,
    pub holder: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    /// `None` while in flight; `interrupted` when its sender died during it.
    pub outcome: Option<String>,
    pub code: Option<i32>,
    pub reply: Option<String>,
}

/// Deliveries per state, and the bounces recorded: what `/metrics` reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounts {
    pub queued: i64,
    pub retrying: i64,
    pub sent: i64,
    pub bounced: i64,
    pub failed: i64,
    pub cancelled: i64,
    /// Bounces recorded (soft and hard, cleared or not).
    pub bounces: i64,
}

impl OutboxCounts {
    /// From `(state, count)` rows and the bounce count.
    pub(crate) fn from_rows(rows: Vec<(String, i64)>, bounces: i64) -> OutboxCounts {
        let mut c = OutboxCounts {
            bounces,
            ..OutboxCounts::default()
        };
        for (state, n) in rows {
            match state.parse() {
                Ok(DeliveryState::Queued) => c.queued += n,
                Ok(DeliveryState::Retrying) => c.retrying += n,
                Ok(DeliveryState::Sent) => c.sent += n,
                Ok(DeliveryState::Bounced) => c.bounced += n,
                Ok(DeliveryState::Failed) => c.failed += n,
                Ok(DeliveryState::Cancelled) => c.cancelled += n,
                Err(_) => {}
            }
        }
        c
    }
}

/// One recorded bounce of an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct BounceEvent {
    pub id: i64,
    pub address: String,
    pub at: i64,
    /// `soft` or `hard`.
    pub severity: String,
    pub points: i64,
    /// `smtp` (refused at RCPT TO) or `mail` (a bounce that came back).
    pub source: String,
    pub status: Option<String>,
    pub detail: String,
    pub delivery_id: Option<DeliveryId>,
}

/// `holder` no longer holds delivery `id`.
pub(crate) fn lost(id: DeliveryId, holder: &str) -> StoreError {
    StoreError::DeliveryLost {
        id,
        holder: holder.to_string(),
    }
}

/// The outbox's storage (docs/OUTBOX.md). Part of every [`Store`](crate::store::Store); each
/// backend implements it in its `outbox.rs` (claims differ: `BEGIN IMMEDIATE` on SQLite,
/// `FOR UPDATE SKIP LOCKED` on PostgreSQL).
#[async_trait::async_trait]
pub trait OutboxStore: Send + Sync {
    /// Queue mails in a transaction of their own (for mail that is the whole change; other
    /// changes put theirs in their write set).
    async fn enqueue(&self, mails: &[Outgoing]) -> crate::store::Result<Vec<Queued>>;
    /// Take up to `limit` due deliveries (queued or retrying, due by `now`, not leased by
    /// another holder) for the request's holder, leased on the database's clock. Replicas never
    /// hold the same delivery: PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, SQLite in one
    /// `UPDATE … RETURNING` under its write lock.
    async fn claim_deliveries(
        &self,
        req: &ClaimRequest,
    ) -> crate::store::Result<Vec<ClaimedDelivery>>;
    /// Record that an attempt starts now, before any SMTP command; an attempt its sender never
    /// finished is closed as `interrupted` first. Returns the attempt's number.
    async fn start_attempt(
        &self,
        id: DeliveryId,
        holder: &str,
        now: i64,
    ) -> crate::store::Result<i64>;
    /// Close the delivery's turn: the attempt's outcome (when one was started), the delivery's
    /// new state, the lease given up, and a bounce to count when the server refused the
    /// recipient. `DeliveryLost` when `holder` no longer holds it.
    async fn finish_delivery(
        &self,
        id: DeliveryId,
        holder: &str,
        end: &DeliveryEnd,
    ) -> crate::store::Result<()>;
    /// Give up held deliveries that were not attempted (a shutdown, a server that is down).
    async fn release_deliveries(
        &self,
        ids: &[DeliveryId],
        holder: &str,
    ) -> crate::store::Result<()>;
    /// Deliveries, newest first.
    async fn deliveries(&self, filter: &DeliveryFilter) -> crate::store::Result<Vec<DeliveryRow>>;
    /// A delivery's attempts, oldest first.
    async fn attempts(&self, id: DeliveryId) -> crate::store::Result<Vec<AttemptRow>>;
    /// Queue failed, cancelled or retrying deliveries again, due at `now`; the count changed.
    async fn retry_deliveries(&self, ids: &[DeliveryId], now: i64) -> crate::store::Result<u64>;
    /// Cancel queued or retrying deliveries no sender holds; the count changed.
    async fn cancel_deliveries(&self, ids: &[DeliveryId], now: i64) -> crate::store::Result<u64>;
    async fn outbox_counts(&self) -> crate::store::Result<OutboxCounts>;

    // --- bounces ------------------------------------------------------------------------
    /// Bounces not cleared, by address then time; only of `addresses` when given.
    async fn bounce_events(
        &self,
        addresses: Option<&[String]>,
    ) -> crate::store::Result<Vec<BounceEvent>>;
    /// Mark an address's bounces cleared (they stay recorded); the count cleared.
    async fn clear_bounces(&self, address: &str, now: i64) -> crate::store::Result<u64>;
}
