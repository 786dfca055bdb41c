//! Planning: given a batch of processed mails and what the store already knows about their
//! keys, decide every row to write. Pure, so threading, dedupe and the replacement of
//! reconstructed entries are unit-tested without a database, and the store adapter only
//! executes a [`WriteSet`] inside one transaction.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::model::{Address, Attachment, SkipReason, Via};

pub type GroupId = i64;
pub type ThreadId = i64;
pub type MessageRowId = i64;

/// The keys the planner needs answered by the store, all at once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lookup {
    /// (group, Message-ID): is this message stored already?
    pub messages: Vec<(GroupId, String)>,
    /// (group, Message-ID) of parents: which thread knows this id (its own or referenced)?
    pub refs: Vec<(GroupId, String)>,
    /// (group, Thread-Index root).
    pub thread_index_roots: Vec<(GroupId, String)>,
    /// (group, subject key, active since unix seconds): threads with this subject key whose
    /// last activity is at or after `since`.
    pub subjects: Vec<(GroupId, String, i64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExistingMessage {
    pub id: MessageRowId,
    pub thread_id: ThreadId,
    pub reconstructed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadActivity {
    pub id: ThreadId,
    pub last_activity: i64,
}

/// A reconstructed entry waiting for its original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconstruction {
    pub id: MessageRowId,
    pub thread_id: ThreadId,
    pub author_email: String,
    pub author_name: Option<String>,
    pub date: i64,
    pub body: String,
}

/// The store's answer to a [`Lookup`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Known {
    pub messages: HashMap<(GroupId, String), ExistingMessage>,
    pub refs: HashMap<(GroupId, String), ThreadId>,
    pub thread_index: HashMap<(GroupId, String), ThreadId>,
    /// Most recently active first.
    pub subjects: HashMap<(GroupId, String), Vec<ThreadActivity>>,
    /// Reconstructed entries of every thread found through `refs`, `thread_index` or `subjects`.
    pub reconstructions: HashMap<ThreadId, Vec<Reconstruction>>,
}

/// A thread either already stored or created by this plan (index into `WriteSet::threads`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThreadRef {
    Existing(ThreadId),
    New(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewRaw {
    pub sha256: String,
    pub message_id: String,
    /// Where the bytes came from: `imap:<mailbox>/<uid>`, `import:<path>#<n>`, …
    pub source: String,
    /// Groups forced by `outloud import --group`, so reprocess and export keep them.
    pub force_groups: Vec<String>,
    pub received_at: i64,
    pub bytes: Arc<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewThread {
    pub group_id: GroupId,
    pub subject: String,
    pub subject_key: String,
    pub thread_index_root: Option<String>,
    pub started_at: i64,
    pub last_activity: i64,
    pub message_count: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    pub group_id: GroupId,
    pub thread: ThreadRef,
    /// `None` for an entry reconstructed from quotes.
    pub raw_sha256: Option<String>,
    pub message_id: String,
    pub author: Address,
    pub date: i64,
    pub subject: String,
    pub body: String,
    pub quoted: String,
    pub signoff: String,
    pub signature: String,
    pub disclaimer: String,
    /// Original HTML after sanitising (ammonia): safe to show.
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    pub via: Via,
    pub reconstructed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkipRow {
    pub raw_sha256: String,
    pub message_id: String,
    pub reason: SkipReason,
    pub detail: String,
}

/// Bump an existing thread: new last activity (max with the stored one) and added messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadTouch {
    pub id: ThreadId,
    pub last_activity: i64,
    pub added: i64,
}

/// What happened to one input mail in one group; drives logs and summaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupOutcome {
    /// New message; `new_thread` when it started the thread.
    Published { group_id: GroupId, thread: ThreadRef, new_thread: bool },
    /// The original of a reconstructed entry arrived and replaced it.
    Replaced { group_id: GroupId, thread: ThreadRef },
    /// Already stored in that group (same Message-ID).
    Duplicate { group_id: GroupId },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemOutcome {
    Filed(Vec<GroupOutcome>),
    Skipped(SkipReason, String),
}

/// Every row one batch writes. Executed by the store in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteSet {
    pub raws: Vec<NewRaw>,
    pub people: Vec<Address>,
    pub threads: Vec<NewThread>,
    pub touches: Vec<ThreadTouch>,
    pub messages: Vec<NewMessage>,
    /// (row to overwrite, the original that replaces the reconstruction).
    pub replacements: Vec<(MessageRowId, NewMessage)>,
    pub refs: Vec<(GroupId, String, ThreadRef)>,
    pub skips: Vec<SkipRow>,
    /// One per input item, in input order.
    pub outcomes: Vec<ItemOutcome>,
}

/// Checkpoint of an IMAP mailbox, committed with the batch it produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub mailbox: String,
    pub uidvalidity: u32,
    pub last_uid: u32,
}

#[allow(dead_code)]
fn _unused(_: HashSet<()>) {}
