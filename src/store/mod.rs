//! Storage: one trait, one implementation per backend (`sqlite`, `postgres`), each with its
//! own migrations under `migrations/<backend>/`. The same test story (`tests/store.rs`) runs
//! against both.
//!
//! Writes happen only through [`Store::ingest`]: lookup → pure plan → apply, in one
//! transaction, with the IMAP checkpoint when there is one, so a crash mid-batch leaves
//! either all of a batch or none of it.

use async_trait::async_trait;
use serde::Serialize;

use crate::core::plan::{Checkpoint, GroupId, Known, Lookup, MessageRowId, ThreadId, WriteSet};
use crate::model::{GroupAddress, GroupEntry, Message, SkipReason, Slug};

mod common;
pub mod postgres;
pub mod sqlite;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("unsupported database URL {0:?}: use sqlite:PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("{0}")]
    Invalid(String),
    /// The batch was not committed: `holder` no longer holds lease `name`.
    #[error("lease {name} is no longer held by {holder}; batch not committed")]
    LeaseLost { name: String, holder: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupSummary {
    #[serde(flatten)]
    pub group: GroupEntry,
    pub thread_count: i64,
    pub message_count: i64,
    pub last_activity: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, sqlx::FromRow)]
pub struct ThreadSummary {
    pub id: ThreadId,
    pub group_id: GroupId,
    pub group_slug: String,
    pub subject: String,
    pub started_at: i64,
    pub last_activity: i64,
    pub message_count: i64,
}

/// Where a stored message is filed: its row, thread and group.
#[derive(Debug, Clone, Serialize, PartialEq, sqlx::FromRow)]
pub struct Stored {
    pub id: MessageRowId,
    pub thread_id: ThreadId,
    pub group_id: GroupId,
    pub group_slug: String,
}

/// A message as read back, with where it is filed.
pub type MessageRow = Message<Stored>;

/// The same mail filed in another group (cc'd to both).
#[derive(Debug, Clone, Serialize, PartialEq, sqlx::FromRow)]
pub struct LinkedThread {
    pub thread_id: ThreadId,
    pub group_slug: String,
    pub subject: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ThreadDetail {
    pub thread: ThreadSummary,
    /// Oldest first (by date, then id).
    pub messages: Vec<MessageRow>,
    pub linked: Vec<LinkedThread>,
}

/// A stored raw mail, in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    pub seq: i64,
    pub sha256: String,
    pub source: String,
    pub force_groups: Vec<String>,
    pub received_at: i64,
    pub bytes: Vec<u8>,
}

/// A stored raw mail and what became of it: its skip record, and the groups holding a
/// published (not reconstructed) message with its Message-ID.
#[derive(Debug, Clone, PartialEq)]
pub struct RawAccount {
    pub raw: RawRow,
    pub message_id: String,
    pub skipped: Option<SkipReason>,
    pub filed_in: Vec<GroupId>,
}

#[derive(Debug, Clone, Serialize, PartialEq, sqlx::FromRow)]
pub struct QuarantineRow {
    pub id: i64,
    pub sha256: String,
    pub source: String,
    pub error: String,
    pub received_at: i64,
    pub size: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SkipCount {
    pub reason: SkipReason,
    pub count: i64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// Apply pending migrations for this backend.
    async fn migrate(&self) -> Result<()>;

    // --- groups -------------------------------------------------------------------------
    /// Create or update a group; `addresses` replaces its address list.
    /// Errors with `Invalid` when an address already belongs to another group.
    async fn upsert_group(
        &self,
        slug: &Slug,
        name: &str,
        addresses: &[GroupAddress],
    ) -> Result<GroupEntry>;
    /// Remove a group and everything filed in it. False when there was no such group.
    async fn remove_group(&self, slug: &Slug) -> Result<bool>;
    async fn groups(&self) -> Result<Vec<GroupEntry>>;

    // --- writing --------------------------------------------------------------------------
    /// In one transaction: answer `lookup`, call `plan` with the answer, execute the returned
    /// write set (raws and skips ON CONFLICT DO NOTHING; threads created in order so
    /// `ThreadRef::New(i)` resolves), store `checkpoint` if given, commit. Returns the write set
    /// as executed.
    async fn ingest(
        &self,
        lookup: &Lookup,
        plan: &(dyn Fn(Known) -> WriteSet + Send + Sync),
        checkpoint: Option<&Checkpoint>,
    ) -> Result<WriteSet>;

    /// Keep a mail that could not be parsed. Idempotent by sha256; true when newly stored.
    async fn quarantine(
        &self,
        sha256: &str,
        source: &str,
        error: &str,
        bytes: &[u8],
        received_at: i64,
    ) -> Result<bool>;
    async fn quarantined(&self) -> Result<Vec<QuarantineRow>>;
    async fn quarantined_bytes(&self, id: i64) -> Result<Option<Vec<u8>>>;

    /// Delete every thread, message, ref and skip (not raws, groups, quarantine or
    /// checkpoints), for `outloud reprocess`.
    async fn reset_derived(&self) -> Result<()>;

    async fn checkpoint(&self, mailbox: &str) -> Result<Option<Checkpoint>>;

    // --- replicas -------------------------------------------------------------------------
    /// Take or renew the lease `name` for `holder` until now + `ttl_secs`, in one atomic
    /// statement. True when `holder` holds it afterwards (it was free, expired, or already
    /// `holder`'s); false when another holder's lease is still running.
    async fn acquire_lease(&self, name: &str, holder: &str, ttl_secs: i64) -> Result<bool>;
    /// Give the lease up if `holder` holds it, so a standby takes over at once.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<()>;

    // --- reading --------------------------------------------------------------------------
    async fn group_summaries(&self) -> Result<Vec<GroupSummary>>;
    /// Threads of a group, latest activity first.
    async fn threads(
        &self,
        group_id: GroupId,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ThreadSummary>>;
    async fn thread(&self, id: ThreadId) -> Result<Option<ThreadDetail>>;
    /// Messages in id order after `after_id`, for export.
    async fn messages_after(&self, after_id: MessageRowId, limit: i64) -> Result<Vec<MessageRow>>;
    /// Threads in id order after `after_id`, for export.
    async fn threads_after(&self, after_id: ThreadId, limit: i64) -> Result<Vec<ThreadSummary>>;
    /// Raw mails in arrival order after `after_seq`, for export and reprocess.
    async fn raws_after(&self, after_seq: i64, limit: i64) -> Result<Vec<RawRow>>;
    async fn skip_counts(&self) -> Result<Vec<SkipCount>>;
    /// How each stored raw mail after `after_seq` is accounted for, in arrival order: for
    /// `outloud check`.
    async fn raw_accounts(&self, after_seq: i64, limit: i64) -> Result<Vec<RawAccount>>;
}

/// Open the store a URL names: `sqlite:PATH` / `sqlite://PATH` (created if missing, WAL) or
/// `postgres://…` / `postgresql://…`. Does not migrate.
pub async fn open(url: &str) -> Result<std::sync::Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(sqlite::SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(postgres::PgStore::open(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_string()))
    }
}
