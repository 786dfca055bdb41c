//! Storage: one trait, one implementation per backend (`sqlite`, `postgres`), each with its
//! own migrations under `migrations/<backend>/`. The same test story (`tests/store.rs`) runs
//! against both.
//!
//! [`Store`] is made of parts, each a trait of its own: the read view ([`read::ReadStore`]),
//! web sign-in ([`accounts::AccountStore`]), policy ([`policy::PolicyStore`]), digests
//! ([`digest::DigestStore`]) and the outbox ([`outbox::OutboxStore`]). Where both databases
//! read the same SQL, a part is written once, as a macro each backend expands
//! (`read.rs`, `accounts_impl.rs`, `policy_impl.rs`, `digest_impl.rs`, `mapping.rs`); where
//! they differ (ingest's bulk statements, outbox claims, search), each backend has its own.
//!
//! Writes happen only through [`Store::ingest`]: lookup → pure plan → apply, in one
//! transaction, with the IMAP checkpoint when there is one, so a crash mid-batch leaves
//! either all of a batch or none of it. Mail to send is part of that write: a
//! [`WriteSet`]'s `outbox` rows are queued in the same transaction as the change that causes
//! them, and its bounces are matched to their deliveries there too ([`outbox`]). A store method
//! that writes some other change queues its mail the same way, through the backend's
//! `enqueue_in(&mut connection, …)` inside its own transaction; [`outbox::OutboxStore::enqueue`] is that
//! alone, for mail that is the whole change.
//!
//! The full-text index (`docs/SEARCH.md`) is written in that same transaction: each backend
//! indexes the messages a write set inserts or overwrites, and deleted messages leave the
//! index with their row. Migrations that need messages (re)indexed queue their ids in
//! `search_pending`, which [`Store::migrate`] works off after applying them.

use async_trait::async_trait;
use serde::Serialize;

use crate::core::plan::{Checkpoint, GroupId, Known, Lookup, MessageRowId, ThreadId, WriteSet};
use crate::model::{GroupAddress, GroupEntry, Message, SkipReason, Slug};

pub mod accounts;
mod accounts_impl;
mod common;
pub mod digest;
mod digest_impl;
pub mod mapping;
pub mod outbox;
pub mod policy;
mod policy_impl;
pub mod postgres;
pub mod read;
mod search;
pub mod sqlite;

use outbox::DeliveryId;
use policy::{AuditRow, HeldState};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// `url` and `reason` are masked ([`crate::config::mask_secrets`]); the driver's error is
    /// not kept as a source, whose text could quote the URL unmasked.
    #[error("cannot open database {url}: {reason}")]
    Open { url: String, reason: String },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// The URL is masked.
    #[error("unsupported database URL {0:?}: use sqlite:PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("{0}")]
    Invalid(String),
    /// The batch was not committed: `holder` no longer holds lease `name`.
    #[error("lease {name} is no longer held by {holder}; batch not committed")]
    LeaseLost { name: String, holder: String },
    /// A sender tried to write a delivery it no longer holds (its lease ran out).
    #[error("delivery {id} is no longer held by {holder}")]
    DeliveryLost { id: DeliveryId, holder: String },
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
    /// In the moderation queue: held, approved (then it must be filed) or rejected.
    pub held: Option<HeldState>,
    /// Its Message-ID was retracted: it must not be filed.
    pub retracted: bool,
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

/// A full-text search ([`Store::search`]); the syntax of `text` and `author` is in
/// [`crate::core::search::query`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchQuery {
    /// As typed: words, "quoted phrases", prefix*.
    pub text: String,
    /// Only this group's messages.
    pub group: Option<GroupId>,
    /// Only messages whose author's name or address matches this (an address matches exactly).
    pub author: Option<String>,
    /// Only messages dated at or after this (unix seconds).
    pub from: Option<i64>,
    /// Only messages dated at or before this (unix seconds).
    pub to: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// A message found by [`Store::search`], with its subject and a snippet of its body marked.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchHit {
    pub id: MessageRowId,
    pub thread_id: ThreadId,
    pub group_id: GroupId,
    pub group_slug: String,
    pub message_id: String,
    pub subject: String,
    pub author_email: String,
    pub author_name: Option<String>,
    /// Unix seconds, UTC.
    pub date: i64,
    pub reconstructed: bool,
    /// The subject, HTML-escaped, matches in `<mark>` (the only markup).
    pub subject_html: String,
    /// About 200 characters of the clean body around the matches, HTML-escaped, matches in
    /// `<mark>` (the only markup); `…` where it was cut.
    pub snippet_html: String,
}

#[async_trait]
/// Digests', web sign-in's, policy's, the read view's and the outbox's storage are traits of
/// their own ([`digest::DigestStore`], [`accounts::AccountStore`], [`policy::PolicyStore`],
/// [`read::ReadStore`], [`outbox::OutboxStore`]), part of every store.
pub trait Store:
    digest::DigestStore
    + accounts::AccountStore
    + policy::PolicyStore
    + read::ReadStore
    + outbox::OutboxStore
    + Send
    + Sync
    + 'static
{
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

    // --- the outbox is [`outbox::OutboxStore`] ---

    // --- the group mapping (the policy queue and audit log are [`policy::PolicyStore`]) ---
    /// In one transaction: a mapping change (checked first with
    /// [`check`](crate::core::mapping::check)) and its audit line `audit`. False when it
    /// changed nothing (then nothing is audited); `Invalid` when the group or address is not
    /// as the check found it. The default fails: test fakes need not implement it.
    async fn edit_mapping(
        &self,
        edit: &crate::core::mapping::Edit,
        audit: &AuditRow,
    ) -> Result<bool> {
        let _ = (edit, audit);
        Err(StoreError::Invalid(
            "this store cannot change the mapping".into(),
        ))
    }

    // --- reading (pages and exports are [`read::ReadStore`]) ---------------------------------
    async fn skip_counts(&self) -> Result<Vec<SkipCount>>;
    /// Messages matching `query` (subject, clean body, author name and address; accents and
    /// case ignored, CJK substrings found), best first: by relevance (bm25 on SQLite,
    /// `ts_rank_cd` on PostgreSQL), then newest. Nothing when the query has no terms.
    async fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>>;
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
        Err(StoreError::UnsupportedUrl(crate::config::mask_secrets(url)))
    }
}

impl StoreError {
    /// [`StoreError::Open`] for `url`, with every secret masked in the URL and the reason.
    pub(crate) fn open(url: &str, source: &sqlx::Error) -> StoreError {
        StoreError::Open {
            url: crate::config::mask_secrets(url),
            reason: crate::config::mask_secrets(&source.to_string()),
        }
    }
}
