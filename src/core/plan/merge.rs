//! Merging threads a mail ties together, dropping the rebuilt entries that repeat another entry
//! of the merged thread, and resolving it all into the final write set.
//!
//! Arrival order decides which mail rebuilds which earlier mail from its quote: two replies that
//! each started a thread may both have rebuilt the same private mail, or a reply may have rebuilt
//! a mail that was published in the thread it later merges with. One copy stays.

use super::matching::{is_original_of, Entry};
use super::state::{KnownMessage, OpenReconstruction, PublishedEntry, State};
use super::{GroupOutcome, ItemOutcome, ThreadMerge, ThreadRef, ThreadTouch, WriteSet};

impl State {
    /// The thread a merged-away thread now lives in (itself when not merged).
    pub(super) fn canon(&self, mut t: ThreadRef) -> ThreadRef {
        while let Some(next) = self.merged.get(&t) {
            t = *next;
        }
        t
    }

    /// Join `threads` (canonical, sorted, not empty) into the first: stored threads sort
    /// before new ones and older ids first, so the oldest stored thread keeps its id.
    pub(super) fn merge(&mut self, threads: Vec<ThreadRef>) -> ThreadRef {
        let target = threads[0];
        for &other in &threads[1..] {
            self.merged.insert(other, target);
            if let Some(list) = self.reconstructions.remove(&other) {
                self.reconstructions.entry(target).or_default().extend(list);
            }
            if let Some(list) = self.published.remove(&other) {
                self.published.entry(target).or_default().extend(list);
            }
            match other {
                ThreadRef::Existing(id) => {
                    self.touches.remove(&id);
                    self.ws.merges.push(ThreadMerge {
                        from: id,
                        into: target,
                    });
                }
                ThreadRef::New(k) => {
                    let th = &self.ws.threads[k];
                    let span = (th.started_at, th.last_activity, th.message_count);
                    self.touch_span(target, span);
                }
            }
        }
        if threads.len() > 1 {
            self.drop_repeated_reconstructions(target);
        }
        target
    }

    /// Keep one entry per earlier mail in thread `t`: a rebuilt entry that a published message
    /// or an earlier rebuilt entry already shows goes.
    fn drop_repeated_reconstructions(&mut self, t: ThreadRef) {
        let Some(open) = self.reconstructions.remove(&t) else {
            return;
        };
        let mut kept: Vec<OpenReconstruction> = Vec::with_capacity(open.len());
        let mut gone = Vec::new();
        for r in open {
            let e = self.rec_entry(&r);
            let published = self.published.get(&t).into_iter().flatten();
            let repeats = published
                .map(|p| self.published_entry(p))
                .chain(kept.iter().map(|k| self.rec_entry(k)))
                .any(|other| is_original_of(&e, &other));
            if repeats {
                gone.push(r);
            } else {
                kept.push(r);
            }
        }
        self.reconstructions.insert(t, kept);
        for r in gone {
            self.drop_reconstruction(t, r);
        }
    }

    pub(super) fn published_entry<'s>(&'s self, p: &'s PublishedEntry) -> Entry<'s> {
        match p {
            PublishedEntry::Row(p) => Entry {
                email: &p.author_email,
                name: p.author_name.as_deref(),
                date: p.date,
                body: &p.body,
            },
            PublishedEntry::Pending(i) => Entry::of(&self.ws.messages[*i]),
        }
    }

    fn drop_reconstruction(&mut self, t: ThreadRef, r: OpenReconstruction) {
        // Its Message-ID no longer names an entry: the original, should it come, is new here.
        match r {
            OpenReconstruction::Row(rec) => {
                self.ws.deletes.push(rec.id);
                let key = (rec.group_id, rec.message_id);
                if matches!(self.messages.get(&key), Some(KnownMessage::Row(m)) if m.id == rec.id) {
                    self.messages.remove(&key);
                }
            }
            OpenReconstruction::Pending(i) => {
                self.dropped.insert(i);
                if let ThreadRef::New(k) = t {
                    self.ws.threads[k].message_count -= 1;
                }
                let m = &self.ws.messages[i];
                let key = (m.place.group_id, m.message_id.clone());
                if matches!(self.messages.get(&key), Some(KnownMessage::Pending { index, .. }) if *index == i)
                {
                    self.messages.remove(&key);
                }
            }
        }
    }

    /// Resolve merges everywhere, drop the new threads merged away and the rebuilt entries
    /// found to repeat another.
    pub fn finish(mut self) -> WriteSet {
        self.ws.guesses = self.guesses_to_store();
        let remap = self.new_thread_remap();
        let fix = |st: &State, t: ThreadRef| match st.canon(t) {
            ThreadRef::New(k) => ThreadRef::New(remap[k]),
            existing => existing,
        };
        let mut ws = std::mem::take(&mut self.ws);
        let mut index = 0;
        ws.messages.retain(|_| {
            index += 1;
            !self.dropped.contains(&(index - 1))
        });
        for m in ws.messages.iter_mut() {
            m.place.thread = fix(&self, m.place.thread);
        }
        for (_, m) in ws.replacements.iter_mut() {
            m.place.thread = fix(&self, m.place.thread);
        }
        for (_, _, t) in ws.refs.iter_mut() {
            *t = fix(&self, *t);
        }
        for m in ws.merges.iter_mut() {
            m.into = fix(&self, m.into);
        }
        for outcome in ws.outcomes.iter_mut() {
            let ItemOutcome::Filed(groups) = outcome else {
                continue;
            };
            for go in groups.iter_mut() {
                if let GroupOutcome::Published { thread, .. }
                | GroupOutcome::Replaced { thread, .. } = go
                {
                    *thread = fix(&self, *thread);
                }
            }
        }
        let mut k = 0;
        ws.threads.retain(|_| {
            k += 1;
            remap[k - 1] != usize::MAX
        });
        let mut touches: Vec<ThreadTouch> = (self.touches.into_values())
            .filter(|t| !self.merged.contains_key(&ThreadRef::Existing(t.id)))
            .collect();
        touches.sort_by_key(|t| t.id);
        ws.touches = touches;
        ws
    }

    /// New index of each new thread that survives, `usize::MAX` for those merged away.
    fn new_thread_remap(&self) -> Vec<usize> {
        let mut kept = 0;
        (0..self.ws.threads.len())
            .map(|k| {
                if self.canon(ThreadRef::New(k)) == ThreadRef::New(k) {
                    kept += 1;
                    kept - 1
                } else {
                    usize::MAX
                }
            })
            .collect()
    }
}
