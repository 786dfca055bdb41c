//! Planning: given a batch of processed mails and what the store already knows about their
//! keys, decide every row to write. Pure, so threading, dedupe and the replacement of
//! reconstructed entries are unit-tested without a database, and the store adapter only
//! executes a [`WriteSet`] inside one transaction.
//!
//! Threads are the connected parts of a graph whose edges do not depend on arrival order, so
//! any order of the same mails gives the same threads:
//! - two mails are linked when their Message-ID sets ({own id} ∪ References ∪ In-Reply-To)
//!   meet, or when they share an Outlook Thread-Index root; a mail that links several stored
//!   threads merges them ([`ThreadMerge`]);
//! - a mail with none of those headers that looks like a reply ("Re: …") is linked by subject to
//!   the nearest same-subject mail of the group within the window, either side of its date;
//! - a mail whose references all point to mail the group never saw starts its own thread unless
//!   its quoted history matches a same-subject thread's entries (see [`matching`]).
//!
//! A reconstructed entry is replaced only by its own original: same Message-ID, or same author
//! with a matching date and body ([`matching::is_original_of`]).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock};

use super::bounce::Bounce;
use super::compose::Outgoing;
use regex::Regex;

use super::pipeline::{Outcome, Processed};
use super::policy::Rule;
pub use crate::model::DateTrust;
use crate::model::{Address, Message, SkipReason};

mod dating;
mod history;
pub mod matching;
mod merge;
mod state;
#[cfg(test)]
mod tests;
mod zone_guesses;

pub use matching::is_original_of;

pub type GroupId = i64;
pub type ThreadId = i64;
pub type MessageRowId = i64;

/// Same-subject mail of a group dated within `[from, until]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectQuery {
    pub group: GroupId,
    pub key: String,
    pub from: i64,
    pub until: i64,
    /// The mails asking: for each, the indexes into [`Lookup::refs`] of its reference keys in
    /// `group`. A mail the store knows one of those keys of is filed by that key and never
    /// links by subject, so the store answers the query only when some asking mail has none
    /// known.
    pub askers: Vec<Vec<usize>>,
}

/// The keys the planner needs answered by the store, all at once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lookup {
    /// (group, Message-ID) of each mail and, when it quotes, its parents: which are stored
    /// already?
    pub messages: Vec<(GroupId, String)>,
    /// (group, key) of the mail's [`thread_ref_keys`]: which thread knows this key?
    pub refs: Vec<(GroupId, String)>,
    /// Published (not reconstructed) messages by subject key and date.
    pub subjects: Vec<SubjectQuery>,
    /// People whose usual zone the batch may need (see [`PersonZone`]): the authors, whose
    /// `+0000` Date may be a server's stamp, and the addresses their quotes show, whose
    /// clients wrote the attributions of the levels below.
    pub zones: Vec<String>,
    /// Authors whose Date header shows their zone: rebuilt entries dated by a guess for one
    /// of them are read again in it (see [`DateGuess`]).
    pub guesses: Vec<String>,
    /// Raw mails policy holds: has a moderator decided them already (approved, rejected)?
    pub held: Vec<String>,
    /// Message-IDs of the batch's mails: was any retracted (never to be filed again)?
    pub retracted: Vec<String>,
    /// Posts `RETRACT` replies name: who wrote them?
    pub authors: Vec<String>,
    /// (group, author) of mails policy holds on a first post: has the author posted there?
    pub posters: Vec<(GroupId, String)>,
    /// Message-IDs `CANCEL` replies name: which wait out an undo window?
    pub pending: Vec<String>,
}

/// A person's last non-UTC Date offset and when it was seen. Exchange Online stamps `+0000` on
/// whatever its users send, so their quotes' zone-less times are read in the zone their other
/// mail shows (with daylight saving worked out from the date it was seen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonZone {
    pub offset: i32,
    pub seen_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExistingMessage {
    pub id: MessageRowId,
    pub thread_id: ThreadId,
    pub reconstructed: bool,
}

/// A published message with the subject key asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubjectHit {
    pub thread: ThreadId,
    pub date: i64,
    /// The message carried no threading headers and looked like a reply: it links by subject.
    pub subject_link: bool,
}

/// A reconstructed entry waiting for its original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconstruction {
    pub id: MessageRowId,
    pub thread_id: ThreadId,
    pub group_id: GroupId,
    pub message_id: String,
    pub author_email: String,
    pub author_name: Option<String>,
    pub date: i64,
    pub date_trust: DateTrust,
    pub body: String,
}

/// A published message of a thread found by the lookup, for telling rebuilt duplicates of it
/// apart when threads merge. `body` may be cut to its opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub thread_id: ThreadId,
    pub author_email: String,
    pub author_name: Option<String>,
    pub date: i64,
    pub body: String,
}

/// A rebuilt entry dated by a guess ([`DateTrust::is_guess`]): the wall-clock time its attribution
/// showed and who showed it, so it is read again once that person's zone is learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateGuess {
    /// Unix seconds as if the wall-clock time were UTC.
    pub local: i64,
    /// Address of the person whose client showed the time.
    pub shown_by: String,
}

/// The store's answer to a [`Lookup`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Known {
    pub messages: HashMap<(GroupId, String), ExistingMessage>,
    pub refs: HashMap<(GroupId, String), ThreadId>,
    pub subjects: HashMap<(GroupId, String), Vec<SubjectHit>>,
    /// Reconstructed entries of every thread found through `refs` or `subjects`.
    pub reconstructions: HashMap<ThreadId, Vec<Reconstruction>>,
    /// Published messages (their openings) of the threads found through `refs` or `subjects`.
    pub published: HashMap<ThreadId, Vec<Published>>,
    /// The zones of the people asked for in `zones`.
    pub zones: HashMap<String, PersonZone>,
    /// Rebuilt entries dated by a guess for the people asked for in `guesses`.
    pub guesses: Vec<(Reconstruction, DateGuess)>,
    /// The moderation state of the held raw mails asked for in `held`, by sha256.
    pub held: HashMap<String, HeldState>,
    /// The Message-IDs asked for in `retracted` that were retracted.
    pub retracted: HashSet<String>,
    /// Author (lower-cased address) of each published post asked for in `authors`.
    pub authors: HashMap<String, String>,
    /// The pairs asked for in `posters` with a published (not rebuilt) message.
    pub posters: HashSet<(GroupId, String)>,
    /// The Message-IDs asked for in `pending` that wait out an undo window.
    pub pending: HashMap<String, PendingPost>,
}

/// A post waiting out its group's undo window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPost {
    /// Its row in the moderation queue.
    pub held_id: i64,
    /// Its sender, lower-cased: the only one whose `CANCEL` stops it.
    pub sender: String,
}

/// Where a held mail stands in the moderation queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HeldState {
    Held,
    /// A moderator approved it: it is published like any mail (also by reprocess).
    Approved,
    Rejected,
    /// Waiting out its group's undo window: the policy worker approves it when the window
    /// elapses, unless its author cancels it first.
    Pending,
    /// Its author replied `CANCEL` within the undo window: never published.
    Cancelled,
}

impl HeldState {
    pub fn as_str(self) -> &'static str {
        match self {
            HeldState::Held => "held",
            HeldState::Approved => "approved",
            HeldState::Rejected => "rejected",
            HeldState::Pending => "pending",
            HeldState::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<HeldState> {
        match s {
            "held" => Some(HeldState::Held),
            "approved" => Some(HeldState::Approved),
            "rejected" => Some(HeldState::Rejected),
            "pending" => Some(HeldState::Pending),
            "cancelled" => Some(HeldState::Cancelled),
            _ => None,
        }
    }
}

/// A mail policy holds, as the moderation queue keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRow {
    pub raw_sha256: String,
    pub message_id: String,
    pub sender: String,
    pub subject: String,
    /// Slugs of the groups it would be published in.
    pub groups: Vec<String>,
    pub rule: String,
    pub reason: String,
    pub at: i64,
    /// Waiting out an undo window until then (state `pending`); `None`: held for a moderator.
    pub publish_at: Option<i64>,
}

impl HeldRow {
    /// The queue's row for processed mail `p`, held (or pending) by `rule` at `at`.
    fn of(p: &Processed, rule: &str, reason: String, at: i64, publish_at: Option<i64>) -> Self {
        HeldRow {
            raw_sha256: p.mail.raw_sha256.clone(),
            message_id: p.mail.message_id.clone(),
            sender: (p.mail.from.as_ref()).map_or_else(String::new, |a| a.email.clone()),
            subject: p.mail.subject.clone(),
            groups: p.routes.iter().map(|r| r.slug.clone()).collect(),
            rule: rule.into(),
            reason,
            at,
            publish_at,
        }
    }
}

/// One line of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditRow {
    pub at: i64,
    /// `policy` for the pipeline's own decisions; a person or a command otherwise.
    pub actor: String,
    /// `published`, `held`, `approved`, `rejected`, `retracted`, `group_added`, …
    pub action: String,
    pub rule: Option<String>,
    pub message_id: Option<String>,
    pub detail: String,
}

/// A thread either already stored or created by this plan (index into `WriteSet::threads`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    pub started_at: i64,
    pub last_activity: i64,
    pub message_count: i64,
}

/// Where a message of the plan is filed: its group, and a thread stored or created by the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    pub group_id: GroupId,
    pub thread: ThreadRef,
}

/// A message row the plan writes (inserted, or overwriting a reconstructed one).
pub type NewMessage = Message<Planned>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkipRow {
    pub raw_sha256: String,
    pub message_id: String,
    pub reason: SkipReason,
    pub detail: String,
}

/// Bump an existing thread: widen its span to these dates and count added messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadTouch {
    pub id: ThreadId,
    pub started_at: i64,
    pub last_activity: i64,
    pub added: i64,
}

/// Move everything of stored thread `from` into `into` and delete `from`; the store then
/// recomputes `into`'s span and count from its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadMerge {
    pub from: ThreadId,
    pub into: ThreadRef,
}

/// What happened to one input mail in one group; drives logs and summaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupOutcome {
    /// New message; `new_thread` when it started the thread.
    Published {
        group_id: GroupId,
        thread: ThreadRef,
        new_thread: bool,
    },
    /// The original of a reconstructed entry arrived and replaced it.
    Replaced {
        group_id: GroupId,
        thread: ThreadRef,
    },
    /// Already stored in that group (same Message-ID).
    Duplicate { group_id: GroupId },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemOutcome {
    Filed(Vec<GroupOutcome>),
    Skipped(SkipReason, String),
    /// Held by policy (rule, reason): stored in the moderation queue, not published.
    Held(String, String),
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
    /// Reconstructed rows that turned out to repeat another entry of their (merged) thread.
    pub deletes: Vec<MessageRowId>,
    /// Reconstructed rows a better reading of their quote re-dates.
    pub redates: Vec<(MessageRowId, i64, DateTrust)>,
    /// (group, Message-ID) of rebuilt entries, stored or written by this batch, whose date is
    /// now a guess: executed after `redates`, which forget any earlier guess.
    pub guesses: Vec<(GroupId, String, DateGuess)>,
    /// Authors' zones seen in this batch's Date headers (not `+0000`).
    pub zones: Vec<(String, PersonZone)>,
    /// Executed after every other write of the batch.
    pub merges: Vec<ThreadMerge>,
    pub skips: Vec<SkipRow>,
    /// Bounces about mail outloud sent, matched to their deliveries by the store.
    pub bounces: Vec<BounceNote>,
    /// Mail to queue with this batch (in the same transaction).
    pub outbox: Vec<Outgoing>,
    /// (author, To/Cc address, date) of published mail: who exchanges mail with whom, for
    /// ranking digests (`contacts`).
    pub contacts: Vec<(String, String, i64)>,
    /// Mail policy holds, new to the moderation queue.
    pub held: Vec<HeldRow>,
    /// Policy decisions of this batch for the audit log.
    pub audit: Vec<AuditRow>,
    /// Posts their authors retract by a `RETRACT` (or late `CANCEL`) reply, executed last.
    pub retractions: Vec<AuthorRetraction>,
    /// Pending posts their authors cancel by a `CANCEL` reply: (held id, actor, when).
    pub cancels: Vec<PendingCancel>,
    /// One per input item, in input order.
    pub outcomes: Vec<ItemOutcome>,
}

/// A bounce read from a stored mail (`raw_sha256`) at `at` (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BounceNote {
    pub raw_sha256: String,
    pub bounce: Bounce,
    pub at: i64,
}

/// Checkpoint of an IMAP mailbox, committed with the batch it produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// `<mailbox name>/<folder>`: also the name of the replica lease that guards it.
    pub mailbox: String,
    pub uidvalidity: u32,
    pub last_uid: u32,
    /// When set, the store commits the batch only if this instance still holds the lease named
    /// `mailbox` (fencing: a replica that lost its lease while fetching cannot publish).
    pub lease_holder: Option<String>,
}

/// One mail of a batch, after the pipeline.
#[derive(Debug, Clone)]
pub struct BatchItem {
    pub outcome: Outcome,
    pub bytes: Arc<Vec<u8>>,
    pub source: String,
    pub force_groups: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    /// Subject links reach this far either side of a mail's date.
    pub subject_window_secs: i64,
    /// "Now", unix seconds: the date of mails without a Date header, and `received_at`.
    pub now: i64,
    /// Seconds the raw mail of an author's retraction is kept (`None`: until purged by hand).
    pub retracted_raw_secs: Option<i64>,
}

impl PlanOptions {
    /// When the raw mail of a post its author retracts or cancels now may be deleted.
    pub fn purge_after(&self) -> Option<i64> {
        self.retracted_raw_secs.map(|s| self.now + s.max(0))
    }
}

/// A pending post its author cancels by replying `CANCEL` (or `RETRACT`) in its undo window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCancel {
    pub held_id: i64,
    pub actor: String,
    pub at: i64,
    /// If the undo worker published it meanwhile, it is retracted instead, its raw mail kept
    /// until then.
    pub purge_after: Option<i64>,
}

/// A post its author retracts by replying, as the store executes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorRetraction {
    pub message_id: String,
    /// `sender:ADDRESS`, for the audit log.
    pub actor: String,
    pub now: i64,
    /// When its raw mail may be deleted (`policy.retracted_raw_days` after `now`).
    pub purge_after: Option<i64>,
}

/// Prefix of a Thread-Index root among a thread's reference keys: Message-IDs always hold an
/// `@`, this never does, so the two cannot collide.
pub const THREAD_INDEX_KEY: &str = "thread-index:";

/// The keys that tie a mail to its thread, filed for every mail of a thread so that any later
/// mail sharing one finds it: its own Message-ID, its parents' and its Thread-Index root.
pub fn thread_ref_keys(p: &Processed) -> Vec<String> {
    let own = std::iter::once(p.mail.message_id.clone());
    let root = (p.keys.thread_index_root.as_ref()).map(|r| format!("{THREAD_INDEX_KEY}{r}"));
    own.chain(p.keys.parents.iter().cloned())
        .chain(root)
        .collect()
}

/// Addresses written in a quote (attributions and header blocks name them): the people whose
/// clients may have written the levels below. A cheap scan, so the quote is not rebuilt for
/// the lookup; a few distinct ones per mail are enough.
fn quoted_addresses(quoted: &str) -> Vec<String> {
    const MAX: usize = 16;
    static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+").unwrap()
    });
    let mut out: Vec<String> = Vec::new();
    for m in ADDRESS.find_iter(quoted) {
        let a = m.as_str().to_ascii_lowercase();
        if !out.contains(&a) {
            out.push(a);
            if out.len() == MAX {
                break;
            }
        }
    }
    out
}

/// Every key the batch needs answered.
pub fn lookup_for(items: &[BatchItem], opts: &PlanOptions) -> Lookup {
    let mut b = LookupBuilder::default();
    let mut held = Vec::new();
    let mut retracted = Vec::new();
    let mut authors = Vec::new();
    let mut posters = Vec::new();
    let mut pending = Vec::new();
    for item in items {
        if let Outcome::Publish(p) = &item.outcome {
            retracted.push(p.mail.message_id.clone());
            if let Some(t) = &p.retract {
                authors.push(t.clone());
                // RETRACT of a post still in its undo window cancels it.
                pending.push(t.clone());
            }
            // A late CANCEL retracts: the named posts' authors are asked for too.
            pending.extend(p.cancel.iter().cloned());
            authors.extend(p.cancel.iter().cloned());
            if let (true, Some(from)) = (p.decision.first_post_check, &p.mail.from) {
                posters.extend(p.routes.iter().map(|r| (r.group_id, from.email.clone())));
            }
            // Whatever the planner may hold: has a moderator decided it already?
            let command = p.retract.is_some() || !p.cancel.is_empty();
            if p.decision.is_hold()
                || p.decision.first_post_check
                || p.decision.undo_secs > 0
                || command
            {
                held.push(p.mail.raw_sha256.clone());
            }
            // Held mail may turn out approved: its keys are asked for all the same.
            b.add(p, opts);
        }
    }
    let mut lookup = b.finish();
    lookup.held = held;
    lookup.retracted = retracted;
    lookup.authors = authors;
    posters.sort_unstable();
    posters.dedup();
    lookup.posters = posters;
    lookup.pending = pending;
    lookup
}

/// Collects a batch's keys, each asked once.
#[derive(Default)]
struct LookupBuilder<'a> {
    lookup: Lookup,
    messages: HashSet<(GroupId, &'a str)>,
    /// Index of each key in `lookup.refs`.
    refs: HashMap<(GroupId, String), usize>,
    subjects: HashMap<(GroupId, &'a str), SubjectQuery>,
}

impl<'a> LookupBuilder<'a> {
    fn add(&mut self, p: &'a Processed, opts: &PlanOptions) {
        let date = p.mail.date.unwrap_or(opts.now);
        if let Some(from) = &p.mail.from {
            self.lookup.zones.push(from.email.clone());
            if p.mail.date_offset_secs.is_some_and(|o| o != 0) {
                self.lookup.guesses.push(from.email.clone());
            }
        }
        self.lookup.zones.extend(quoted_addresses(&p.clean.quoted));
        let keys = thread_ref_keys(p);
        let window = opts.subject_window_secs;
        for g in p.routes.iter().map(|r| r.group_id) {
            // Its parents too when it quotes: a parent the group does not show means history
            // to rebuild, and there is none without a quote.
            let parents = if p.clean.quoted.is_empty() {
                &[][..]
            } else {
                &p.keys.parents[..]
            };
            for id in std::iter::once(&p.mail.message_id).chain(parents) {
                if self.messages.insert((g, id)) {
                    self.lookup.messages.push((g, id.clone()));
                }
            }
            let asker: Vec<usize> = keys.iter().map(|key| self.reference(g, key)).collect();
            if p.keys.subject_key.is_empty() {
                continue;
            }
            let q = (self.subjects.entry((g, p.keys.subject_key.as_str()))).or_insert_with(|| {
                SubjectQuery {
                    group: g,
                    key: p.keys.subject_key.clone(),
                    from: date - window,
                    until: date + window,
                    askers: Vec::new(),
                }
            });
            (q.from, q.until) = (q.from.min(date - window), q.until.max(date + window));
            q.askers.push(asker);
        }
    }

    /// The index of `(g, key)` in the lookup's refs, asked the first time.
    fn reference(&mut self, g: GroupId, key: &str) -> usize {
        let next = self.lookup.refs.len();
        let i = *self.refs.entry((g, key.to_string())).or_insert(next);
        if i == next {
            self.lookup.refs.push((g, key.to_string()));
        }
        i
    }

    fn finish(mut self) -> Lookup {
        for list in [&mut self.lookup.zones, &mut self.lookup.guesses] {
            list.sort_unstable();
            list.dedup();
        }
        let mut subjects: Vec<SubjectQuery> = self.subjects.into_values().collect();
        subjects.sort_unstable_by(|a, b| (a.group, &a.key).cmp(&(b.group, &b.key)));
        self.lookup.subjects = subjects;
        self.lookup
    }
}

/// Publish, or hold in the moderation queue; either way the decision goes to the audit log
/// (once: a held mail seen again, or a duplicate, adds nothing).
fn policy_outcome(
    st: &mut state::State,
    item: &BatchItem,
    p: &Processed,
    opts: &PlanOptions,
) -> ItemOutcome {
    let d = &p.decision;
    let sha = &p.mail.raw_sha256;
    let audit = |action: &str, rule: &str, detail: &str| AuditRow {
        at: opts.now,
        actor: "policy".into(),
        action: action.into(),
        rule: Some(rule.into()),
        message_id: Some(p.mail.message_id.clone()),
        detail: detail.into(),
    };
    if st.is_retracted(&p.mail.message_id) {
        // Retracted: kept as a raw mail (until the retention purge), never filed again.
        st.add_raw(item, sha, &p.mail.message_id);
        return ItemOutcome::Held("retracted".into(), "this post was retracted".into());
    }
    if !p.cancel.is_empty() && !d.is_hold() {
        return cancel_outcome(st, item, p, opts, &p.cancel);
    }
    if let (Some(target), false) = (&p.retract, d.is_hold()) {
        return retract_outcome(st, item, p, opts, target);
    }
    let state = st.known_held(sha);
    if d.is_hold() && state != Some(HeldState::Approved) {
        return hold(st, item, p, opts, d.rule, &d.reason);
    }
    if d.first_post_check && state != Some(HeldState::Approved) {
        if let Some(slug) = st.first_post_in(p) {
            let who = p
                .mail
                .from
                .as_ref()
                .map(|a| a.email.as_str())
                .unwrap_or_default();
            let reason = format!("first post of {who} in {slug}");
            return hold(st, item, p, opts, Rule::FirstPost, &reason);
        }
    }
    if d.undo_secs > 0 && state.is_none() && !st.published_already(p) {
        return pending(st, item, p, opts);
    }
    if state == Some(HeldState::Pending) || state == Some(HeldState::Cancelled) {
        // Seen again (IMAP re-sync, reprocess) while waiting, or after its author cancelled.
        let rule = Rule::UndoWindow.as_str();
        return ItemOutcome::Held(
            rule.into(),
            format!("{} in the undo window", state.map_or("", HeldState::as_str)),
        );
    }
    let groups = st.file(item, p);
    let new = groups
        .iter()
        .any(|g| !matches!(g, GroupOutcome::Duplicate { .. }));
    if new {
        let (rule, detail) = match state {
            Some(HeldState::Approved) => ("approved", format!("approved (held: {})", d.reason)),
            _ => (d.rule.as_str(), d.reason.clone()),
        };
        st.ws.audit.push(audit("published", rule, &detail));
    }
    ItemOutcome::Filed(groups)
}

/// Hold `p` in the moderation queue (once: a mail already there adds nothing).
fn hold(
    st: &mut state::State,
    item: &BatchItem,
    p: &Processed,
    opts: &PlanOptions,
    rule: Rule,
    reason: &str,
) -> ItemOutcome {
    let sha = &p.mail.raw_sha256;
    let rule = rule.as_str();
    let new = st.known_held(sha).is_none() && !st.ws.held.iter().any(|h| &h.raw_sha256 == sha);
    if new {
        st.add_raw(item, sha, &p.mail.message_id);
        st.ws
            .held
            .push(HeldRow::of(p, rule, reason.into(), opts.now, None));
        st.ws.audit.push(AuditRow {
            at: opts.now,
            actor: "policy".into(),
            action: "held".into(),
            rule: Some(rule.into()),
            message_id: Some(p.mail.message_id.clone()),
            detail: reason.into(),
        });
    }
    ItemOutcome::Held(rule.into(), reason.into())
}

/// Hold `p` as pending for its undo window (it is new to the queue: the caller checked).
fn pending(
    st: &mut state::State,
    item: &BatchItem,
    p: &Processed,
    opts: &PlanOptions,
) -> ItemOutcome {
    let sha = &p.mail.raw_sha256;
    let publish_at = opts.now + p.decision.undo_secs;
    let reason = format!(
        "undo window: goes live in {} minute(s) unless its author replies CANCEL",
        (p.decision.undo_secs + 59) / 60
    );
    let rule = Rule::UndoWindow.as_str();
    if !st.ws.held.iter().any(|h| &h.raw_sha256 == sha) {
        st.add_raw(item, sha, &p.mail.message_id);
        let row = HeldRow::of(p, rule, reason.clone(), opts.now, Some(publish_at));
        st.ws.held.push(row);
        st.ws.audit.push(AuditRow {
            at: opts.now,
            actor: "policy".into(),
            action: "pending".into(),
            rule: Some(rule.into()),
            message_id: Some(p.mail.message_id.clone()),
            detail: format!(
                "{reason} ({}; publishes at {publish_at})",
                p.decision.reason
            ),
        });
    }
    ItemOutcome::Held(rule.into(), reason)
}

/// A `RETRACT` reply policy let through: retracts the post it answers if its sender wrote it
/// (cancels it while it waits out its undo window); anyone else's is held for a moderator.
fn author_retraction(target: &str, actor: String, opts: &PlanOptions) -> AuthorRetraction {
    AuthorRetraction {
        message_id: target.to_string(),
        actor,
        now: opts.now,
        purge_after: opts.purge_after(),
    }
}

fn retract_outcome(
    st: &mut state::State,
    item: &BatchItem,
    p: &Processed,
    opts: &PlanOptions,
    target: &str,
) -> ItemOutcome {
    let sha = &p.mail.raw_sha256;
    if st.pending_post(target).is_some() {
        return cancel_outcome(st, item, p, opts, &[target.to_string()]);
    }
    let sender = p
        .mail
        .from
        .as_ref()
        .map(|a| a.email.as_str())
        .unwrap_or_default();
    match st.author_of(target) {
        Some(author) if author == sender => {
            st.add_raw(item, sha, &p.mail.message_id);
            let actor = format!("sender:{sender}");
            st.ws
                .retractions
                .push(author_retraction(target, actor, opts));
            ItemOutcome::Held("retract_command".into(), format!("retracts <{target}>"))
        }
        author => {
            let whose = author.map_or("a post outloud did not publish".into(), |a| {
                format!("a post by {a}")
            });
            let reason = format!("RETRACT from {sender} for <{target}>, {whose}");
            hold(st, item, p, opts, Rule::RetractRefused, &reason)
        }
    }
}

/// A `CANCEL` reply: stops the post it names while that waits out its undo window, retracts
/// it once published; either way only from the post's author. The reply itself is kept as a
/// raw mail, never published.
fn cancel_outcome(
    st: &mut state::State,
    item: &BatchItem,
    p: &Processed,
    opts: &PlanOptions,
    targets: &[String],
) -> ItemOutcome {
    let sha = &p.mail.raw_sha256;
    let sender = (p.mail.from.as_ref())
        .map(|a| a.email.clone())
        .unwrap_or_default();
    let actor = format!("sender:{sender}");
    for target in targets {
        if let Some(post) = st.pending_post(target) {
            if post.sender != sender {
                break;
            }
            let id = post.held_id;
            st.add_raw(item, sha, &p.mail.message_id);
            if !st.ws.cancels.iter().any(|c| c.held_id == id) {
                st.ws.cancels.push(PendingCancel {
                    held_id: id,
                    actor: actor.clone(),
                    at: opts.now,
                    purge_after: opts.purge_after(),
                });
                st.ws.audit.push(AuditRow {
                    at: opts.now,
                    actor,
                    action: "cancelled".into(),
                    rule: Some(Rule::UndoWindow.as_str().into()),
                    message_id: Some(target.clone()),
                    detail: format!(
                        "held #{id} cancelled in its undo window by <{}>",
                        p.mail.message_id
                    ),
                });
            }
            return ItemOutcome::Held("cancel_command".into(), format!("cancels <{target}>"));
        }
        if let Some(author) = st.author_of(target) {
            if author != sender {
                break;
            }
            st.add_raw(item, sha, &p.mail.message_id);
            st.ws
                .retractions
                .push(author_retraction(target, actor, opts));
            return ItemOutcome::Held(
                "retract_command".into(),
                format!("CANCEL after the undo window: retracts <{target}>"),
            );
        }
    }
    let reason = format!(
        "CANCEL from {sender} names no post of theirs waiting or published ({})",
        targets.join(", ")
    );
    hold(st, item, p, opts, Rule::CancelRefused, &reason)
}

/// Decide every row to write for `items`, given what the store knows.
pub fn plan(items: &[BatchItem], known: Known, opts: &PlanOptions) -> WriteSet {
    let mut st = state::State::new(known, *opts);
    for item in items {
        let outcome = match &item.outcome {
            Outcome::Skip {
                mail,
                rule,
                detail,
                bounce,
            } => {
                let reason = rule.reason();
                st.add_raw(item, &mail.raw_sha256, &mail.message_id);
                if let Some(b) = bounce {
                    st.ws.bounces.push(BounceNote {
                        raw_sha256: mail.raw_sha256.clone(),
                        bounce: (**b).clone(),
                        at: opts.now,
                    });
                }
                st.ws.skips.push(SkipRow {
                    raw_sha256: mail.raw_sha256.clone(),
                    message_id: mail.message_id.clone(),
                    reason,
                    detail: detail.clone(),
                });
                ItemOutcome::Skipped(reason, detail.clone())
            }
            Outcome::Publish(p) => policy_outcome(&mut st, item, p, opts),
        };
        st.ws.outcomes.push(outcome);
    }
    st.finish()
}
