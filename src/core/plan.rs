//! Planning: given a batch of processed mails and what the store already knows about their
//! keys, decide every row to write. Pure, so threading, dedupe and the replacement of
//! reconstructed entries are unit-tested without a database, and the store adapter only
//! executes a [`WriteSet`] inside one transaction.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::pipeline::Outcome;
use super::thread_keys::clean_subject;
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
    /// A reply joins a thread by subject alone only if the thread was active this recently.
    pub subject_window_secs: i64,
    /// "Now", unix seconds: the date of mails without a Date header, and `received_at`.
    pub now: i64,
}

/// Every key the batch needs answered.
pub fn lookup_for(items: &[BatchItem], opts: &PlanOptions) -> Lookup {
    let mut l = Lookup::default();
    let mut seen = HashSet::new();
    for item in items {
        let Outcome::Publish(p) = &item.outcome else {
            continue;
        };
        let date = p.mail.date.unwrap_or(opts.now);
        for r in &p.routes {
            let g = r.group_id;
            if seen.insert((g, 'm', p.mail.message_id.clone())) {
                l.messages.push((g, p.mail.message_id.clone()));
            }
            for parent in &p.keys.parents {
                if seen.insert((g, 'r', parent.clone())) {
                    l.refs.push((g, parent.clone()));
                }
            }
            if let Some(root) = &p.keys.thread_index_root {
                if seen.insert((g, 'i', root.clone())) {
                    l.thread_index_roots.push((g, root.clone()));
                }
            }
            if p.keys.looks_like_reply && !p.keys.subject_key.is_empty() {
                let since = date - opts.subject_window_secs;
                match l
                    .subjects
                    .iter_mut()
                    .find(|(lg, k, _)| *lg == g && *k == p.keys.subject_key)
                {
                    Some(entry) => entry.2 = entry.2.min(since),
                    None => l.subjects.push((g, p.keys.subject_key.clone(), since)),
                }
            }
        }
    }
    // Reconstructed entries that took a Message-ID from References are found by id too.
    l
}

/// Where a message with a given (group, Message-ID) lives, as far as this batch knows.
#[derive(Debug, Clone, Copy)]
enum KnownMessage {
    Row(ExistingMessage),
    /// Index into `WriteSet::messages`.
    Pending {
        index: usize,
        reconstructed: bool,
    },
}

/// A reconstructed entry this batch may replace.
#[derive(Debug, Clone)]
enum OpenReconstruction {
    Row(Reconstruction),
    Pending(usize),
}

/// The planner's working state: `Known` plus everything this batch has decided so far, so a
/// reply later in the same batch finds a thread created earlier in it.
struct State {
    ws: WriteSet,
    messages: HashMap<(GroupId, String), KnownMessage>,
    refs: HashMap<(GroupId, String), ThreadRef>,
    thread_index: HashMap<(GroupId, String), ThreadRef>,
    subjects: HashMap<(GroupId, String), Vec<(ThreadRef, i64)>>,
    reconstructions: HashMap<ThreadRef, Vec<OpenReconstruction>>,
    touches: HashMap<ThreadId, ThreadTouch>,
    raws: HashSet<String>,
    people: HashSet<String>,
}

/// Decide every row to write for `items`, given what the store knows.
pub fn plan(items: &[BatchItem], known: Known, opts: &PlanOptions) -> WriteSet {
    let mut st = State {
        ws: WriteSet::default(),
        messages: known
            .messages
            .into_iter()
            .map(|(k, v)| (k, KnownMessage::Row(v)))
            .collect(),
        refs: known
            .refs
            .into_iter()
            .map(|(k, v)| (k, ThreadRef::Existing(v)))
            .collect(),
        thread_index: known
            .thread_index
            .into_iter()
            .map(|(k, v)| (k, ThreadRef::Existing(v)))
            .collect(),
        subjects: known
            .subjects
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    v.into_iter()
                        .map(|t| (ThreadRef::Existing(t.id), t.last_activity))
                        .collect(),
                )
            })
            .collect(),
        reconstructions: known
            .reconstructions
            .into_iter()
            .map(|(t, v)| {
                (
                    ThreadRef::Existing(t),
                    v.into_iter().map(OpenReconstruction::Row).collect(),
                )
            })
            .collect(),
        touches: HashMap::new(),
        raws: HashSet::new(),
        people: HashSet::new(),
    };
    for item in items {
        let outcome = match &item.outcome {
            Outcome::Skip {
                mail,
                reason,
                detail,
            } => {
                st.add_raw(item, &mail.raw_sha256, &mail.message_id, opts.now);
                st.ws.skips.push(SkipRow {
                    raw_sha256: mail.raw_sha256.clone(),
                    message_id: mail.message_id.clone(),
                    reason: *reason,
                    detail: detail.clone(),
                });
                ItemOutcome::Skipped(*reason, detail.clone())
            }
            Outcome::Publish(p) => ItemOutcome::Filed(st.file(item, p, opts)),
        };
        st.ws.outcomes.push(outcome);
    }
    let mut touches: Vec<ThreadTouch> = st.touches.into_values().collect();
    touches.sort_by_key(|t| t.id);
    st.ws.touches = touches;
    st.ws
}

impl State {
    fn add_raw(&mut self, item: &BatchItem, sha: &str, message_id: &str, now: i64) {
        if self.raws.insert(sha.to_string()) {
            self.ws.raws.push(NewRaw {
                sha256: sha.to_string(),
                message_id: message_id.to_string(),
                source: item.source.clone(),
                force_groups: item.force_groups.clone(),
                received_at: now,
                bytes: item.bytes.clone(),
            });
        }
    }

    fn add_person(&mut self, a: &Address) {
        if !a.email.is_empty() && self.people.insert(a.email.clone()) {
            self.ws.people.push(a.clone());
        }
    }

    fn touch(&mut self, t: ThreadRef, date: i64, added: i64) {
        match t {
            ThreadRef::New(k) => {
                let th = &mut self.ws.threads[k];
                th.last_activity = th.last_activity.max(date);
                th.started_at = th.started_at.min(date);
                th.message_count += added;
            }
            ThreadRef::Existing(id) => {
                let e = self.touches.entry(id).or_insert(ThreadTouch {
                    id,
                    last_activity: date,
                    added: 0,
                });
                e.last_activity = e.last_activity.max(date);
                e.added += added;
            }
        }
    }

    /// File one processed mail into each group it reaches.
    fn file(
        &mut self,
        item: &BatchItem,
        p: &super::pipeline::Processed,
        opts: &PlanOptions,
    ) -> Vec<GroupOutcome> {
        let mail = &p.mail;
        let date = mail.date.unwrap_or(opts.now);
        let author = mail
            .from
            .clone()
            .unwrap_or_else(|| Address::new(None, "unknown@outloud.invalid"));
        let mut outcomes = Vec::with_capacity(p.routes.len());
        for route in &p.routes {
            let g = route.group_id;
            let message = NewMessage {
                group_id: g,
                thread: ThreadRef::New(usize::MAX), // set below
                raw_sha256: Some(mail.raw_sha256.clone()),
                message_id: mail.message_id.clone(),
                author: author.clone(),
                date,
                subject: mail.subject.clone(),
                body: p.clean.body.clone(),
                quoted: p.clean.quoted.clone(),
                signoff: p.clean.signoff.clone(),
                signature: p.clean.signature.clone(),
                disclaimer: p.clean.disclaimer.clone(),
                html: p.safe_html.clone(),
                attachments: mail.attachments.clone(),
                via: route.via,
                reconstructed: false,
            };
            let key = (g, mail.message_id.clone());
            // Same Message-ID already in this group: a duplicate, unless what is stored is a
            // reconstruction that took this id from References: then this is its original.
            match self.messages.get(&key).copied() {
                Some(KnownMessage::Row(m)) if m.reconstructed => {
                    let t = ThreadRef::Existing(m.thread_id);
                    self.forget_reconstruction(t, Some(m.id), None);
                    self.ws.replacements.push((
                        m.id,
                        NewMessage {
                            thread: t,
                            ..message
                        },
                    ));
                    self.messages.insert(
                        key,
                        KnownMessage::Row(ExistingMessage {
                            reconstructed: false,
                            ..m
                        }),
                    );
                    self.after_filing(item, p, g, t, date, &author, opts.now, 0);
                    outcomes.push(GroupOutcome::Replaced {
                        group_id: g,
                        thread: t,
                    });
                    continue;
                }
                Some(KnownMessage::Pending {
                    index,
                    reconstructed: true,
                }) => {
                    let t = self.ws.messages[index].thread;
                    self.forget_reconstruction(t, None, Some(index));
                    self.ws.messages[index] = NewMessage {
                        thread: t,
                        ..message
                    };
                    self.messages.insert(
                        key,
                        KnownMessage::Pending {
                            index,
                            reconstructed: false,
                        },
                    );
                    self.after_filing(item, p, g, t, date, &author, opts.now, 0);
                    outcomes.push(GroupOutcome::Replaced {
                        group_id: g,
                        thread: t,
                    });
                    continue;
                }
                Some(_) => {
                    outcomes.push(GroupOutcome::Duplicate { group_id: g });
                    continue;
                }
                None => {}
            }
            match self.find_thread(g, p, date, opts) {
                Some(t) => {
                    if let Some(rec) =
                        self.take_matching_reconstruction(t, &author, date, &p.clean.body)
                    {
                        match rec {
                            OpenReconstruction::Row(r) => {
                                self.ws.replacements.push((
                                    r.id,
                                    NewMessage {
                                        thread: t,
                                        ..message
                                    },
                                ));
                            }
                            OpenReconstruction::Pending(index) => {
                                let old_id =
                                    std::mem::take(&mut self.ws.messages[index].message_id);
                                self.messages.remove(&(g, old_id));
                                self.ws.messages[index] = NewMessage {
                                    thread: t,
                                    ..message
                                };
                                self.messages.insert(
                                    key,
                                    KnownMessage::Pending {
                                        index,
                                        reconstructed: false,
                                    },
                                );
                            }
                        }
                        self.after_filing(item, p, g, t, date, &author, opts.now, 0);
                        outcomes.push(GroupOutcome::Replaced {
                            group_id: g,
                            thread: t,
                        });
                    } else {
                        self.push_message(NewMessage {
                            thread: t,
                            ..message
                        });
                        self.after_filing(item, p, g, t, date, &author, opts.now, 1);
                        outcomes.push(GroupOutcome::Published {
                            group_id: g,
                            thread: t,
                            new_thread: false,
                        });
                    }
                }
                None => {
                    let t = self.new_thread(g, p, date);
                    self.push_message(NewMessage {
                        thread: t,
                        ..message
                    });
                    self.after_filing(item, p, g, t, date, &author, opts.now, 1);
                    outcomes.push(GroupOutcome::Published {
                        group_id: g,
                        thread: t,
                        new_thread: true,
                    });
                }
            }
        }
        outcomes
    }

    fn push_message(&mut self, m: NewMessage) {
        let index = self.ws.messages.len();
        self.messages.insert(
            (m.group_id, m.message_id.clone()),
            KnownMessage::Pending {
                index,
                reconstructed: m.reconstructed,
            },
        );
        self.ws.messages.push(m);
    }

    /// Bookkeeping common to every way a mail lands in a thread: raw, author, refs, keys.
    #[allow(clippy::too_many_arguments)]
    fn after_filing(
        &mut self,
        item: &BatchItem,
        p: &super::pipeline::Processed,
        g: GroupId,
        t: ThreadRef,
        date: i64,
        author: &Address,
        now: i64,
        added: i64,
    ) {
        self.add_raw(item, &p.mail.raw_sha256, &p.mail.message_id, now);
        self.add_person(author);
        self.touch(t, date, added);
        for id in std::iter::once(&p.mail.message_id).chain(p.keys.parents.iter()) {
            let k = (g, id.clone());
            if !self.refs.contains_key(&k) {
                self.refs.insert(k, t);
                self.ws.refs.push((g, id.clone(), t));
            }
        }
        if let Some(root) = &p.keys.thread_index_root {
            self.thread_index.entry((g, root.clone())).or_insert(t);
        }
        if !p.keys.subject_key.is_empty() {
            let list = self
                .subjects
                .entry((g, p.keys.subject_key.clone()))
                .or_default();
            match list.iter_mut().find(|(r, _)| *r == t) {
                Some(e) => e.1 = e.1.max(date),
                None => list.push((t, date)),
            }
        }
    }

    /// References / In-Reply-To first, then Thread-Index, then the subject within the window.
    fn find_thread(
        &self,
        g: GroupId,
        p: &super::pipeline::Processed,
        date: i64,
        opts: &PlanOptions,
    ) -> Option<ThreadRef> {
        for parent in &p.keys.parents {
            if let Some(t) = self.refs.get(&(g, parent.clone())) {
                return Some(*t);
            }
        }
        if let Some(root) = &p.keys.thread_index_root {
            if let Some(t) = self.thread_index.get(&(g, root.clone())) {
                return Some(*t);
            }
        }
        if p.keys.looks_like_reply && !p.keys.subject_key.is_empty() {
            let since = date - opts.subject_window_secs;
            if let Some(list) = self.subjects.get(&(g, p.keys.subject_key.clone())) {
                return list
                    .iter()
                    .filter(|(_, last)| *last >= since)
                    .max_by_key(|(_, last)| *last)
                    .map(|(t, _)| *t);
            }
        }
        None
    }

    /// Start a thread for `p` in group `g`, with the earlier mails rebuilt from its quotes.
    fn new_thread(&mut self, g: GroupId, p: &super::pipeline::Processed, date: i64) -> ThreadRef {
        let subject = match clean_subject(&p.mail.subject) {
            s if s.trim().is_empty() => "(no subject)".to_string(),
            s => s,
        };
        let k = self.ws.threads.len();
        let t = ThreadRef::New(k);
        self.ws.threads.push(NewThread {
            group_id: g,
            subject,
            subject_key: p.keys.subject_key.clone(),
            thread_index_root: p.keys.thread_index_root.clone(),
            started_at: date,
            last_activity: date,
            message_count: 0,
        });
        // When the quote chain and References line up one to one, the reconstructions take the
        // real Message-IDs, so the originals are recognised by id when they arrive.
        let reconstructed = p.reconstructed();
        let n = reconstructed.len();
        let ids_line_up = n > 0 && n == p.mail.references.len();
        for (i, q) in reconstructed.iter().enumerate() {
            let message_id = if ids_line_up {
                p.mail.references[i].clone()
            } else {
                format!(
                    "reconstructed.{}.{}@outloud.invalid",
                    &p.mail.raw_sha256[..16.min(p.mail.raw_sha256.len())],
                    i
                )
            };
            if self.messages.contains_key(&(g, message_id.clone())) {
                continue;
            }
            // Undated quotes keep their order just before the mail that quoted them.
            let qdate = q.date.unwrap_or(date - (n - i) as i64).min(date);
            let index = self.ws.messages.len();
            self.push_message(NewMessage {
                group_id: g,
                thread: t,
                raw_sha256: None,
                message_id,
                author: q.author.clone(),
                date: qdate,
                subject: q.subject.clone().unwrap_or_else(|| p.mail.subject.clone()),
                body: q.body.clone(),
                quoted: String::new(),
                signoff: String::new(),
                signature: String::new(),
                disclaimer: String::new(),
                html: None,
                attachments: Vec::new(),
                via: Via::Cc,
                reconstructed: true,
            });
            self.reconstructions
                .entry(t)
                .or_default()
                .push(OpenReconstruction::Pending(index));
            self.add_person(&q.author);
            self.touch(t, qdate, 1);
        }
        t
    }

    fn take_matching_reconstruction(
        &mut self,
        t: ThreadRef,
        author: &Address,
        date: i64,
        body: &str,
    ) -> Option<OpenReconstruction> {
        let list = self.reconstructions.get_mut(&t)?;
        let pos = list.iter().position(|r| match r {
            OpenReconstruction::Row(r) => matches_reconstruction(
                &r.author_email,
                r.author_name.as_deref(),
                r.date,
                &r.body,
                author,
                date,
                body,
            ),
            OpenReconstruction::Pending(i) => {
                let m = &self.ws.messages[*i];
                m.reconstructed
                    && matches_reconstruction(
                        &m.author.email,
                        m.author.name.as_deref(),
                        m.date,
                        &m.body,
                        author,
                        date,
                        body,
                    )
            }
        })?;
        Some(list.remove(pos))
    }

    fn forget_reconstruction(
        &mut self,
        t: ThreadRef,
        row: Option<MessageRowId>,
        pending: Option<usize>,
    ) {
        if let Some(list) = self.reconstructions.get_mut(&t) {
            list.retain(|r| match r {
                OpenReconstruction::Row(r) => Some(r.id) != row,
                OpenReconstruction::Pending(i) => Some(*i) != pending,
            });
        }
    }
}

/// Is a newly arrived mail the original of a reconstructed entry? Same author, and either the
/// same body opening or the same time. Attribution lines rarely carry a time zone, so a time
/// that differs by whole quarter hours (up to 14 h) still counts.
pub fn matches_reconstruction(
    rec_email: &str,
    rec_name: Option<&str>,
    rec_date: i64,
    rec_body: &str,
    author: &Address,
    date: i64,
    body: &str,
) -> bool {
    let same_author = if !rec_email.is_empty() {
        rec_email.eq_ignore_ascii_case(&author.email)
    } else {
        match (rec_name, author.name.as_deref()) {
            (Some(a), Some(b)) => normalize(a) == normalize(b),
            _ => false,
        }
    };
    if !same_author {
        return false;
    }
    let diff = (date - rec_date).abs();
    let off_quarter = (diff % 900).min(900 - diff % 900);
    let same_time = diff <= 120 || (diff <= 14 * 3600 + 120 && off_quarter <= 120);
    let (a, b) = (normalize(rec_body), normalize(body));
    let n = a.chars().count().min(b.chars().count()).min(80);
    let same_opening = n >= 12 && a.chars().take(n).eq(b.chars().take(n));
    same_time || same_opening
}

fn normalize(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::pipeline::Processed;
    use crate::core::thread_keys::ThreadKeys;
    use crate::model::{CleanBody, ParsedMail, QuotedMail, Route};

    const OPTS: PlanOptions = PlanOptions {
        subject_window_secs: 14 * 86_400,
        now: 1_000_000,
    };

    fn mail(id: &str, from: &str, date: i64, subject: &str, parents: &[&str]) -> Processed {
        let mail = ParsedMail {
            message_id: id.into(),
            subject: subject.into(),
            from: Some(Address::new(None, from)),
            date: Some(date),
            references: parents.iter().rev().map(|s| s.to_string()).collect(),
            raw_sha256: format!("{:0>64}", id.len() * 7 + date as usize),
            ..Default::default()
        };
        let subject_key = subject.trim_start_matches("Re: ").to_lowercase();
        Processed {
            keys: ThreadKeys {
                parents: parents.iter().map(|s| s.to_string()).collect(),
                thread_index_root: None,
                looks_like_reply: subject.starts_with("Re: ") || !parents.is_empty(),
                subject_key,
            },
            mail,
            routes: vec![Route {
                group_id: 1,
                slug: "eng".into(),
                via: Via::Cc,
            }],
            clean: CleanBody {
                body: format!("body of {id}"),
                ..Default::default()
            },
            reconstructed: Default::default(),
            safe_html: None,
        }
    }

    fn item(p: Processed) -> BatchItem {
        BatchItem {
            outcome: Outcome::Publish(Box::new(p)),
            bytes: Arc::new(vec![]),
            source: "test".into(),
            force_groups: vec![],
        }
    }

    #[test]
    fn reply_in_same_batch_joins_new_thread() {
        let items = vec![
            item(mail("a@x", "ann@x.com", 100, "Plan", &[])),
            item(mail("b@x", "bob@x.com", 200, "Re: Plan", &["a@x"])),
        ];
        let ws = plan(&items, Known::default(), &OPTS);
        assert_eq!(ws.threads.len(), 1);
        assert_eq!(ws.threads[0].message_count, 2);
        assert_eq!(ws.threads[0].last_activity, 200);
        assert!(ws.messages.iter().all(|m| m.thread == ThreadRef::New(0)));
        assert_eq!(ws.raws.len(), 2);
    }

    #[test]
    fn reply_finds_stored_thread_through_refs_and_touches_it() {
        let items = vec![item(mail("b@x", "bob@x.com", 200, "Re: Plan", &["a@x"]))];
        let mut known = Known::default();
        known.refs.insert((1, "a@x".into()), 42);
        let ws = plan(&items, known, &OPTS);
        assert!(ws.threads.is_empty());
        assert_eq!(ws.messages[0].thread, ThreadRef::Existing(42));
        assert_eq!(
            ws.touches,
            vec![ThreadTouch {
                id: 42,
                last_activity: 200,
                added: 1
            }]
        );
    }

    #[test]
    fn subject_matches_only_replies_within_window() {
        let mut known = Known::default();
        known.subjects.insert(
            (1, "plan".into()),
            vec![ThreadActivity {
                id: 7,
                last_activity: 100,
            }],
        );
        let fresh = plan(
            &[item(mail("b@x", "bob@x.com", 200, "Re: Plan", &[]))],
            known.clone(),
            &OPTS,
        );
        assert_eq!(fresh.messages[0].thread, ThreadRef::Existing(7));
        let not_reply = plan(
            &[item(mail("c@x", "bob@x.com", 200, "Plan", &[]))],
            known.clone(),
            &OPTS,
        );
        assert_eq!(not_reply.messages[0].thread, ThreadRef::New(0));
        let late = plan(
            &[item(mail(
                "d@x",
                "bob@x.com",
                100 + 15 * 86_400,
                "Re: Plan",
                &[],
            ))],
            known,
            &OPTS,
        );
        assert_eq!(late.messages[0].thread, ThreadRef::New(0));
    }

    #[test]
    fn duplicate_message_id_is_not_filed_twice() {
        let mut known = Known::default();
        known.messages.insert(
            (1, "a@x".into()),
            ExistingMessage {
                id: 1,
                thread_id: 1,
                reconstructed: false,
            },
        );
        let ws = plan(
            &[
                item(mail("a@x", "ann@x.com", 100, "Plan", &[])),
                item(mail("a@x", "ann@x.com", 100, "Plan", &[])),
            ],
            known,
            &OPTS,
        );
        assert!(ws.messages.is_empty() && ws.raws.is_empty());
        assert_eq!(
            ws.outcomes[1],
            ItemOutcome::Filed(vec![GroupOutcome::Duplicate { group_id: 1 }])
        );
    }

    #[test]
    fn two_groups_get_one_thread_each() {
        let mut p = mail("a@x", "ann@x.com", 100, "Plan", &[]);
        p.routes.push(Route {
            group_id: 2,
            slug: "sales".into(),
            via: Via::To,
        });
        let ws = plan(&[item(p)], Known::default(), &OPTS);
        assert_eq!(ws.threads.len(), 2);
        assert_eq!(ws.messages.len(), 2);
        assert_eq!(ws.raws.len(), 1, "raw bytes stored once");
    }

    #[test]
    fn reconstructions_are_created_then_replaced_by_originals() {
        let mut c = mail("c@x", "ann@x.com", 10_000, "Re: Plan", &["b@x", "a@x"]);
        c.reconstructed = std::sync::OnceLock::from(vec![
            QuotedMail {
                author: Address::new(Some("Ann"), "ann@x.com"),
                date: Some(1_000),
                subject: None,
                body: "the plan".into(),
            },
            QuotedMail {
                author: Address::new(Some("Bob"), "bob@x.com"),
                date: Some(5_000 + 3600),
                subject: None,
                body: "looks good".into(),
            },
        ]);
        c.mail.references = vec!["a@x".into(), "b@x".into()];
        let ws = plan(&[item(c.clone())], Known::default(), &OPTS);
        assert_eq!(ws.messages.len(), 3);
        assert!(
            ws.messages[0].reconstructed
                && ws.messages[1].reconstructed
                && !ws.messages[2].reconstructed
        );
        assert_eq!(
            ws.messages[0].message_id, "a@x",
            "ids taken from References when they line up"
        );
        assert_eq!(ws.threads[0].started_at, 1_000);

        // In the same batch, the originals replace the pending reconstructions.
        let a = mail("a@x", "ann@x.com", 1_000, "Plan", &[]);
        let b = mail("b@x", "bob@x.com", 5_000, "Re: Plan", &["a@x"]);
        let ws = plan(&[item(c), item(a), item(b)], Known::default(), &OPTS);
        assert_eq!(ws.messages.len(), 3);
        assert!(ws.messages.iter().all(|m| !m.reconstructed));
        assert_eq!(ws.threads[0].message_count, 3);
        assert!(
            matches!(ws.outcomes[1], ItemOutcome::Filed(ref g) if matches!(g[0], GroupOutcome::Replaced { .. }))
        );
    }

    #[test]
    fn stored_reconstruction_is_replaced_by_author_and_time() {
        let mut known = Known::default();
        known.refs.insert((1, "a@x".into()), 9);
        known.reconstructions.insert(
            9,
            vec![Reconstruction {
                id: 77,
                thread_id: 9,
                author_email: "bob@x.com".into(),
                author_name: None,
                date: 5_000 + 7200,
                body: "x".into(),
            }],
        );
        let b = mail("b@x", "bob@x.com", 5_000, "Re: Plan", &["a@x"]);
        let ws = plan(&[item(b)], known, &OPTS);
        assert!(ws.messages.is_empty());
        assert_eq!(ws.replacements.len(), 1);
        assert_eq!(ws.replacements[0].0, 77);
        assert_eq!(ws.touches[0].added, 0);
    }

    #[test]
    fn reconstruction_matching_needs_same_author() {
        let bob = Address::new(Some("Bob"), "bob@x.com");
        assert!(matches_reconstruction(
            "bob@x.com",
            None,
            1000,
            "",
            &bob,
            1000 + 3600 + 30,
            ""
        ));
        assert!(matches_reconstruction(
            "",
            Some("bob"),
            1000,
            "",
            &bob,
            1000,
            ""
        ));
        assert!(!matches_reconstruction(
            "ann@x.com",
            None,
            1000,
            "",
            &bob,
            1000,
            ""
        ));
        assert!(!matches_reconstruction(
            "bob@x.com",
            None,
            1000,
            "short",
            &bob,
            1000 + 1234,
            "other text"
        ));
        assert!(matches_reconstruction(
            "bob@x.com",
            None,
            0,
            "Looks good, ship it on Monday",
            &bob,
            99_999,
            "Looks good, ship it on Monday\n\nBob"
        ));
    }
}
