//! The planner's working state: what the store knows plus everything this batch decided so
//! far, so a reply later in a batch finds a thread created earlier in it.

use std::collections::{HashMap, HashSet};

use super::matching::{is_original_of, Entry};
use super::zone_guesses::{Guessed, RecKey};
use super::{
    thread_ref_keys, BatchItem, ExistingMessage, GroupId, GroupOutcome, Known, MessageRowId,
    NewMessage, NewRaw, NewThread, PlanOptions, Planned, Published, Reconstruction, ThreadId,
    ThreadRef, ThreadTouch, WriteSet,
};
use crate::core::pipeline::Processed;
use crate::core::thread_keys::clean_subject;
use crate::model::{Address, Via};

/// The author of a mail without a usable From.
const UNKNOWN_AUTHOR: &str = "unknown@outloud.invalid";

/// Where a message with a given (group, Message-ID) lives, as far as this batch knows.
#[derive(Debug, Clone, Copy)]
pub(super) enum KnownMessage {
    Row(ExistingMessage),
    /// Index into `WriteSet::messages`.
    Pending {
        index: usize,
        reconstructed: bool,
    },
}

/// A reconstructed entry this batch may replace.
#[derive(Debug, Clone)]
pub(super) enum OpenReconstruction {
    Row(Reconstruction),
    Pending(usize),
}

/// A published message with a given subject key, stored or pending.
#[derive(Debug, Clone, Copy)]
pub(super) struct Hit {
    thread: ThreadRef,
    date: i64,
    subject_link: bool,
}

/// One mail being filed: what the filing in each of its groups needs.
pub(super) struct Filing<'a> {
    pub item: &'a BatchItem,
    pub p: &'a Processed,
    pub date: i64,
    pub author: Address,
}

impl Filing<'_> {
    fn entry(&self) -> Entry<'_> {
        Entry {
            email: &self.author.email,
            name: self.author.name.as_deref(),
            date: self.date,
            body: &self.p.clean.body,
        }
    }
}

pub(super) struct State {
    pub ws: WriteSet,
    pub(super) opts: PlanOptions,
    pub(super) messages: HashMap<(GroupId, String), KnownMessage>,
    pub(super) refs: HashMap<(GroupId, String), ThreadRef>,
    pub(super) subjects: HashMap<(GroupId, String), Vec<Hit>>,
    pub(super) reconstructions: HashMap<ThreadRef, Vec<OpenReconstruction>>,
    /// Published messages per thread: stored ones as the lookup found them, and indexes into
    /// `ws.messages` for this batch's.
    pub(super) published: HashMap<ThreadRef, Vec<PublishedEntry>>,
    /// Indexes into `ws.messages` of rebuilt entries dropped as duplicates.
    pub(super) dropped: HashSet<usize>,
    /// Stored reconstructed rows this batch already overwrote: never overwritten twice.
    pub(super) replaced_rows: HashSet<MessageRowId>,
    /// Merged threads: each merged-away thread points at the one it joined.
    pub(super) merged: HashMap<ThreadRef, ThreadRef>,
    pub(super) touches: HashMap<ThreadId, ThreadTouch>,
    /// People's usual zones: stored, and learned from this batch's Date headers.
    pub(super) zones: HashMap<String, super::PersonZone>,
    /// Rebuilt entries dated by a zone guess, by the person the zone was guessed for.
    pub(super) guesses: HashMap<String, Vec<Guessed>>,
    pub(super) raws: HashSet<String>,
    pub(super) people: HashSet<String>,
    /// Moderation states of held raw mails, by sha256.
    pub(super) held: HashMap<String, super::HeldState>,
    pub(super) retracted: HashSet<String>,
    pub(super) authors: HashMap<String, String>,
    pub(super) posters: HashSet<(GroupId, String)>,
    pub(super) pending: HashMap<String, super::PendingPost>,
}

/// A published message a rebuilt entry may repeat.
#[derive(Debug, Clone)]
pub(super) enum PublishedEntry {
    Row(Published),
    Pending(usize),
}

impl State {
    pub fn new(known: Known, opts: PlanOptions) -> Self {
        let existing = |(k, v): (_, ThreadId)| (k, ThreadRef::Existing(v));
        let subjects = known.subjects.into_iter().map(|(k, hits)| {
            let hits = hits.into_iter().map(|h| Hit {
                thread: ThreadRef::Existing(h.thread),
                date: h.date,
                subject_link: h.subject_link,
            });
            (k, hits.collect())
        });
        let reconstructions = known.reconstructions.into_iter().map(|(t, v)| {
            let open = v.into_iter().map(OpenReconstruction::Row).collect();
            (ThreadRef::Existing(t), open)
        });
        let published = known.published.into_iter().map(|(t, v)| {
            let rows = v.into_iter().map(PublishedEntry::Row).collect();
            (ThreadRef::Existing(t), rows)
        });
        let mut st = State {
            ws: WriteSet::default(),
            opts,
            messages: (known.messages.into_iter())
                .map(|(k, v)| (k, KnownMessage::Row(v)))
                .collect(),
            refs: known.refs.into_iter().map(existing).collect(),
            subjects: subjects.collect(),
            reconstructions: reconstructions.collect(),
            published: published.collect(),
            dropped: HashSet::new(),
            replaced_rows: HashSet::new(),
            merged: HashMap::new(),
            touches: HashMap::new(),
            zones: known.zones,
            guesses: HashMap::new(),
            raws: HashSet::new(),
            people: HashSet::new(),
            held: known.held,
            retracted: known.retracted,
            authors: known.authors,
            posters: known.posters,
            pending: known.pending,
        };
        for (rec, guess) in known.guesses {
            let (t, key) = (ThreadRef::Existing(rec.thread_id), RecKey::Row(rec.id));
            let list = st.reconstructions.entry(t).or_default();
            if !list.iter().any(|r| RecKey::of(r) == key) {
                list.push(OpenReconstruction::Row(rec));
            }
            st.note_guess(t, key, guess, false);
        }
        st
    }

    /// Where a held raw mail stands, if a moderator's queue has it.
    pub fn known_held(&self, sha: &str) -> Option<super::HeldState> {
        self.held.get(sha).copied()
    }

    /// The author of a published post a `RETRACT` reply names.
    pub fn author_of(&self, message_id: &str) -> Option<&str> {
        self.authors.get(message_id).map(String::as_str)
    }

    /// The slug of a group `p` reaches where its sender never posted (stored or earlier in
    /// this batch), if any.
    pub fn first_post_in<'p>(&self, p: &'p Processed) -> Option<&'p str> {
        let from = &p.mail.from.as_ref()?.email;
        let posted_now = |g: GroupId| {
            self.ws
                .messages
                .iter()
                .any(|m| !m.reconstructed && m.place.group_id == g && &m.author_email == from)
        };
        p.routes
            .iter()
            .find(|r| {
                !self.posters.contains(&(r.group_id, from.clone())) && !posted_now(r.group_id)
            })
            .map(|r| r.slug.as_str())
    }

    /// Whether `p` is published already in some group it reaches (a reprocess, a re-delivery
    /// after its window): it is filed (a duplicate), never put back in an undo window.
    pub fn published_already(&self, p: &Processed) -> bool {
        p.routes.iter().any(|r| {
            let key = (r.group_id, p.mail.message_id.clone());
            match self.messages.get(&key) {
                Some(KnownMessage::Row(m)) => !m.reconstructed,
                Some(KnownMessage::Pending { reconstructed, .. }) => !reconstructed,
                None => false,
            }
        })
    }

    /// The post waiting out an undo window a `CANCEL` reply names.
    pub fn pending_post(&self, message_id: &str) -> Option<&super::PendingPost> {
        self.pending.get(message_id)
    }

    pub fn is_retracted(&self, message_id: &str) -> bool {
        self.retracted.contains(message_id)
    }

    pub fn add_raw(&mut self, item: &BatchItem, sha: &str, message_id: &str) {
        if self.raws.insert(sha.to_string()) {
            self.ws.raws.push(NewRaw {
                sha256: sha.to_string(),
                message_id: message_id.to_string(),
                source: item.source.clone(),
                force_groups: item.force_groups.clone(),
                received_at: self.opts.now,
                bytes: item.bytes.clone(),
            });
        }
    }

    /// File one processed mail into each group it reaches.
    pub fn file(&mut self, item: &BatchItem, p: &Processed) -> Vec<GroupOutcome> {
        let f = Filing {
            item,
            p,
            date: p.mail.date.unwrap_or(self.opts.now),
            author: (p.mail.from.clone()).unwrap_or_else(|| Address::new(None, UNKNOWN_AUTHOR)),
        };
        p.routes
            .iter()
            .map(|r| self.file_in_group(&f, r.group_id, r.via))
            .collect()
    }

    fn file_in_group(&mut self, f: &Filing, g: GroupId, via: Via) -> GroupOutcome {
        if let Some(outcome) = self.file_by_id(f, g, via) {
            return outcome;
        }
        let Some(t) = self.find_thread(f, g) else {
            let t = self.new_thread(f, g);
            let m = self.message(f, g, via, t);
            self.push_message(m);
            self.after_filing(f, g, t, 1);
            return GroupOutcome::Published {
                group_id: g,
                thread: t,
                new_thread: true,
            };
        };
        let outcome = match self.take_matching_reconstruction(t, f) {
            Some(rec) => {
                self.replace(rec, f, g, via, t);
                GroupOutcome::Replaced {
                    group_id: g,
                    thread: t,
                }
            }
            None => {
                let m = self.message(f, g, via, t);
                self.push_message(m);
                self.after_filing(f, g, t, 1);
                GroupOutcome::Published {
                    group_id: g,
                    thread: t,
                    new_thread: false,
                }
            }
        };
        self.fill_history(f, g, t);
        outcome
    }

    /// A mail joining a thread may quote earlier mails the thread does not show yet (a branch
    /// of the conversation that stayed private): rebuild those too. Only when a parent is not
    /// published here, or when the mail names no parent (Outlook's Thread-Index alone, or a
    /// subject link), since rebuilding a quote is the costliest stage.
    fn fill_history(&mut self, f: &Filing, g: GroupId, t: ThreadRef) {
        // A parent only rebuilt may be shown at a better date by this quote.
        let unknown_parent = (f.p.keys.parents.iter()).any(|id| {
            !matches!(
                self.messages.get(&(g, id.clone())),
                Some(KnownMessage::Row(ExistingMessage {
                    reconstructed: false,
                    ..
                })) | Some(KnownMessage::Pending {
                    reconstructed: false,
                    ..
                })
            )
        });
        if unknown_parent || f.p.keys.parents.is_empty() {
            let t = self.canon(t);
            self.add_reconstructions(f, g, t);
        }
    }

    /// The Message-ID is known in the group: a duplicate, or the original of a reconstruction
    /// that took this id from References. `None` when the id is new here.
    fn file_by_id(&mut self, f: &Filing, g: GroupId, via: Via) -> Option<GroupOutcome> {
        let key = (g, f.p.mail.message_id.clone());
        let t = match *self.messages.get(&key)? {
            KnownMessage::Row(m) if m.reconstructed => {
                if !self.replaced_rows.insert(m.id) {
                    // Its slot was taken by another mail of this batch: file this one anew.
                    return None;
                }
                let t = self.join_headers(f, g, ThreadRef::Existing(m.thread_id));
                self.forget_reconstruction(
                    |r| matches!(r, OpenReconstruction::Row(r) if r.id == m.id),
                );
                let message = self.message(f, g, via, t);
                self.note_published_row(t, &message);
                self.ws.replacements.push((m.id, message));
                let now_real = ExistingMessage {
                    reconstructed: false,
                    ..m
                };
                self.messages.insert(key, KnownMessage::Row(now_real));
                t
            }
            KnownMessage::Pending {
                index,
                reconstructed: true,
            } => {
                let t = self.join_headers(f, g, self.ws.messages[index].place.thread);
                self.forget_reconstruction(
                    |r| matches!(r, OpenReconstruction::Pending(i) if *i == index),
                );
                let message = self.message(f, g, via, t);
                self.publish_in_place(t, index, key, message);
                t
            }
            _ => return Some(GroupOutcome::Duplicate { group_id: g }),
        };
        self.after_filing(f, g, t, 0);
        self.fill_history(f, g, t);
        Some(GroupOutcome::Replaced {
            group_id: g,
            thread: t,
        })
    }

    /// Thread `t`, merged with every thread the mail's headers reach: the original of a rebuilt
    /// entry may be what ties two threads together.
    fn join_headers(&mut self, f: &Filing, g: GroupId, t: ThreadRef) -> ThreadRef {
        let mut linked = self.linked_by_headers(f, g);
        linked.push(self.canon(t));
        linked.sort_unstable();
        linked.dedup();
        self.merge(linked)
    }

    /// Headers first (merging every thread they reach), then the subject link, then the
    /// quoted history.
    fn find_thread(&mut self, f: &Filing, g: GroupId) -> Option<ThreadRef> {
        let linked = self.linked_by_headers(f, g);
        if !linked.is_empty() {
            return Some(self.merge(linked));
        }
        self.linked_by_subject(f, g)
            .or_else(|| self.linked_by_history(f, g))
    }

    /// Threads that know the mail's own id, a parent or its Thread-Index root.
    fn linked_by_headers(&self, f: &Filing, g: GroupId) -> Vec<ThreadRef> {
        let mut out: Vec<ThreadRef> = (thread_ref_keys(f.p).into_iter())
            .filter_map(|key| self.refs.get(&(g, key)))
            .map(|t| self.canon(*t))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The nearest same-subject mail within the window, either side, when this mail or that
    /// one links by subject (no threading headers, a reply prefix). A mail that links by
    /// subject itself may join any thread; otherwise only a thread of subject-linking mail
    /// alone, so one header-less reply cannot pull two separate conversations together.
    fn linked_by_subject(&self, f: &Filing, g: GroupId) -> Option<ThreadRef> {
        let hits = self.subject_hits(f, g);
        let links_itself = f.p.keys.links_by_subject();
        let threads_with_headers: HashSet<ThreadRef> = (hits.iter())
            .filter(|h| !h.subject_link)
            .map(|h| self.canon(h.thread))
            .collect();
        hits.iter()
            .filter(|h| {
                links_itself
                    || (h.subject_link && !threads_with_headers.contains(&self.canon(h.thread)))
            })
            .min_by_key(|h| ((h.date - f.date).abs(), self.canon(h.thread)))
            .map(|h| self.canon(h.thread))
    }

    /// Published same-subject mail of the group within the window of this mail's date.
    fn subject_hits(&self, f: &Filing, g: GroupId) -> Vec<Hit> {
        let key = &f.p.keys.subject_key;
        if key.is_empty() {
            return Vec::new();
        }
        let window = self.opts.subject_window_secs;
        (self.subjects.get(&(g, key.clone())).into_iter().flatten())
            .filter(|h| (h.date - f.date).abs() <= window)
            .copied()
            .collect()
    }

    /// A same-subject thread within the window whose rebuilt entries this mail is the original
    /// of, or whose rebuilt entries this mail's own quote rebuilds too.
    fn linked_by_history(&self, f: &Filing, g: GroupId) -> Option<ThreadRef> {
        let mut candidates: Vec<ThreadRef> = (self.subject_hits(f, g).iter())
            .map(|h| self.canon(h.thread))
            .filter(|t| self.reconstructions.get(t).is_some_and(|l| !l.is_empty()))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let me = f.entry();
        let mut rebuilt = None;
        for t in candidates {
            let entries: Vec<Entry> = self.reconstructions[&t]
                .iter()
                .map(|r| self.rec_entry(r))
                .collect();
            if entries.iter().any(|e| is_original_of(e, &me)) {
                return Some(t);
            }
            let quoted = rebuilt.get_or_insert_with(|| f.p.reconstructed());
            let shared = quoted.iter().any(|q| {
                let q = Entry {
                    email: &q.author.email,
                    name: q.author.name.as_deref(),
                    date: q.date.unwrap_or(i64::MIN / 2),
                    body: &q.body,
                };
                entries.iter().any(|e| is_original_of(e, &q))
            });
            if shared {
                return Some(t);
            }
        }
        None
    }

    pub(super) fn rec_entry<'s>(&'s self, r: &'s OpenReconstruction) -> Entry<'s> {
        match r {
            OpenReconstruction::Row(r) => Entry {
                email: &r.author_email,
                name: r.author_name.as_deref(),
                date: r.date,
                body: &r.body,
            },
            OpenReconstruction::Pending(i) => Entry::of(&self.ws.messages[*i]),
        }
    }

    /// Start a thread for the mail in group `g`, with the earlier mails rebuilt from its quote.
    fn new_thread(&mut self, f: &Filing, g: GroupId) -> ThreadRef {
        let p = f.p;
        let subject = match clean_subject(&p.mail.subject) {
            s if s.trim().is_empty() => "(no subject)".to_string(),
            s => s,
        };
        let t = ThreadRef::New(self.ws.threads.len());
        self.ws.threads.push(NewThread {
            group_id: g,
            subject,
            subject_key: p.keys.subject_key.clone(),
            started_at: f.date,
            last_activity: f.date,
            message_count: 0,
        });
        self.add_reconstructions(f, g, t);
        t
    }

    /// The mail as a message of group `g` in thread `t`.
    fn message(&self, f: &Filing, g: GroupId, via: Via, t: ThreadRef) -> NewMessage {
        let mail = &f.p.mail;
        NewMessage {
            place: Planned {
                group_id: g,
                thread: t,
            },
            raw_sha256: Some(mail.raw_sha256.clone()),
            message_id: mail.message_id.clone(),
            author_email: f.author.email.clone(),
            author_name: f.author.name.clone(),
            date: f.date,
            date_trust: super::DateTrust::Exact,
            subject: mail.subject.clone(),
            subject_key: f.p.keys.subject_key.clone(),
            subject_link: f.p.keys.links_by_subject(),
            clean: f.p.clean.clone(),
            html: f.p.safe_html.clone(),
            html_note: f.p.html_note.clone(),
            attachments: mail.attachments.clone().into(),
            via,
            reconstructed: false,
            recipients: crate::model::Recipients::of(&mail.to, &mail.cc),
        }
    }

    fn take_matching_reconstruction(
        &mut self,
        t: ThreadRef,
        f: &Filing,
    ) -> Option<OpenReconstruction> {
        let t = self.canon(t);
        let me = f.entry();
        let list = self.reconstructions.get(&t)?;
        let pos = (list.iter()).position(|r| is_original_of(&self.rec_entry(r), &me))?;
        self.reconstructions.get_mut(&t).map(|l| l.remove(pos))
    }

    /// The original `f` takes the place of reconstruction `rec` in thread `t`.
    fn replace(&mut self, rec: OpenReconstruction, f: &Filing, g: GroupId, via: Via, t: ThreadRef) {
        let message = self.message(f, g, via, t);
        let key = (g, f.p.mail.message_id.clone());
        match rec {
            OpenReconstruction::Row(r) => {
                self.replaced_rows.insert(r.id);
                // The rebuilt entry's id no longer names a row: its own original, should it
                // come later, is filed as a new message instead of overwriting this one.
                let old = (g, r.message_id.clone());
                if matches!(self.messages.get(&old), Some(KnownMessage::Row(m)) if m.id == r.id) {
                    self.messages.remove(&old);
                }
                self.note_published_row(t, &message);
                self.ws.replacements.push((r.id, message));
                let row = ExistingMessage {
                    id: r.id,
                    thread_id: r.thread_id,
                    reconstructed: false,
                };
                self.messages.insert(key, KnownMessage::Row(row));
            }
            OpenReconstruction::Pending(index) => {
                let old_id = std::mem::take(&mut self.ws.messages[index].message_id);
                self.messages.remove(&(g, old_id));
                self.publish_in_place(t, index, key, message);
            }
        }
        self.after_filing(f, g, t, 0);
    }

    /// The author's Date offset, unless `+0000` (which may be a server's UTC stamp).
    fn learn_zone(&mut self, f: &Filing) {
        let (Some(offset), Some(seen_at)) = (f.p.mail.date_offset_secs, f.p.mail.date) else {
            return;
        };
        if offset == 0 {
            return;
        }
        let newer = |z: &super::PersonZone| z.seen_at <= seen_at;
        if self.zones.get(&f.author.email).is_none_or(newer) {
            let zone = super::PersonZone { offset, seen_at };
            self.zones.insert(f.author.email.clone(), zone);
            self.ws.zones.push((f.author.email.clone(), zone));
        }
        // Their zone is known now: entries guessed for them are read in it.
        self.read_guesses_again(&f.author.email);
    }

    /// The pending rebuilt entry at `index` becomes the published `message` (its original).
    fn publish_in_place(
        &mut self,
        t: ThreadRef,
        index: usize,
        key: (GroupId, String),
        message: NewMessage,
    ) {
        self.ws.messages[index] = message;
        let published = PublishedEntry::Pending(index);
        self.published.entry(t).or_default().push(published);
        let pending = KnownMessage::Pending {
            index,
            reconstructed: false,
        };
        self.messages.insert(key, pending);
    }

    /// A stored row now holds this published message.
    fn note_published_row(&mut self, t: ThreadRef, m: &NewMessage) {
        let row = Published {
            thread_id: 0,
            author_email: m.author_email.clone(),
            author_name: m.author_name.clone(),
            date: m.date,
            body: m.clean.body.clone(),
        };
        self.published
            .entry(t)
            .or_default()
            .push(PublishedEntry::Row(row));
    }

    fn forget_reconstruction(&mut self, is_it: impl Fn(&OpenReconstruction) -> bool) {
        for list in self.reconstructions.values_mut() {
            list.retain(|r| !is_it(r));
        }
    }

    pub(super) fn push_message(&mut self, m: NewMessage) {
        let index = self.ws.messages.len();
        if !m.reconstructed {
            let t = self.canon(m.place.thread);
            self.published
                .entry(t)
                .or_default()
                .push(PublishedEntry::Pending(index));
        }
        let known = KnownMessage::Pending {
            index,
            reconstructed: m.reconstructed,
        };
        self.messages
            .insert((m.place.group_id, m.message_id.clone()), known);
        self.ws.messages.push(m);
    }

    pub(super) fn add_person(&mut self, a: &Address) {
        if !a.email.is_empty() && self.people.insert(a.email.clone()) {
            self.ws.people.push(a.clone());
        }
    }

    pub(super) fn touch(&mut self, t: ThreadRef, date: i64, added: i64) {
        self.touch_span(t, (date, date, added));
    }

    /// Widen thread `t` to `(started, last)` and count `added` more messages.
    pub(super) fn touch_span(&mut self, t: ThreadRef, (started, last, added): (i64, i64, i64)) {
        match self.canon(t) {
            ThreadRef::New(k) => {
                let th = &mut self.ws.threads[k];
                th.started_at = th.started_at.min(started);
                th.last_activity = th.last_activity.max(last);
                th.message_count += added;
            }
            ThreadRef::Existing(id) => {
                let e = self.touches.entry(id).or_insert(ThreadTouch {
                    id,
                    started_at: started,
                    last_activity: last,
                    added: 0,
                });
                e.started_at = e.started_at.min(started);
                e.last_activity = e.last_activity.max(last);
                e.added += added;
            }
        }
    }

    /// Bookkeeping common to every way a mail lands in a thread: raw, author, keys, subject.
    fn after_filing(&mut self, f: &Filing, g: GroupId, t: ThreadRef, added: i64) {
        let p = f.p;
        self.learn_zone(f);
        self.add_raw(f.item, &p.mail.raw_sha256, &p.mail.message_id);
        self.add_person(&f.author);
        // Everyone in To and Cc is a known person too (a digest may reach them), and someone
        // the author exchanges mail with.
        for a in p.mail.to.iter().chain(&p.mail.cc) {
            self.add_person(a);
            if !a.email.is_empty() && a.email != f.author.email {
                (self.ws.contacts).push((f.author.email.clone(), a.email.clone(), f.date));
            }
        }
        self.touch(t, f.date, added);
        for key in thread_ref_keys(p) {
            let k = (g, key);
            if !self.refs.contains_key(&k) {
                self.refs.insert(k.clone(), t);
                self.ws.refs.push((k.0, k.1, t));
            }
        }
        if !p.keys.subject_key.is_empty() {
            let hit = Hit {
                thread: t,
                date: f.date,
                subject_link: p.keys.links_by_subject(),
            };
            let key = (g, p.keys.subject_key.clone());
            self.subjects.entry(key).or_default().push(hit);
        }
    }
}
