//! What both backends share: encoding of non-scalar columns, row records, and the pure
//! steps of `ingest` around the SQL (deduplicating inputs, resolving thread refs, assembling
//! a [`Known`] from lookup rows).

use std::collections::HashMap;

use crate::core::bounce::Severity;
use crate::core::compose::Outgoing;
use crate::core::plan::BounceNote;
use crate::core::plan::{
    Checkpoint, DateGuess, DateTrust, ExistingMessage, GroupId, Known, Lookup, MessageRowId,
    PersonZone, Published, Reconstruction, SubjectHit, SubjectQuery, ThreadId, ThreadRef,
    ThreadTouch, WriteSet,
};
use crate::model::{GroupAddress, GroupEntry, SkipReason};

use super::outbox::Queued;
use super::{GroupSummary, RawAccount, RawRow, Result, SkipCount, StoreError};

/// Rows per multi-row statement. Full chunks share one SQL text, so the prepared statement is
/// cached and reused across batches; the widest table (messages, 20 columns) stays far below
/// SQLite's 32766-parameter limit.
pub(crate) const CHUNK_ROWS: usize = 500;

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

// --- column encodings ------------------------------------------------------------------

pub(crate) fn encode_force_groups(groups: &[String]) -> String {
    serde_json::to_string(groups).expect("a list of strings serialises")
}

/// JSON array as written by [`encode_force_groups`]; a plain comma-separated list is accepted
/// too so a hand-edited row still reads.
pub(crate) fn decode_force_groups(text: &str) -> Vec<String> {
    let text = text.trim();
    if text.starts_with('[') {
        if let Ok(list) = serde_json::from_str(text) {
            return list;
        }
    }
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub(crate) fn parse_skip_reason(s: &str) -> Result<SkipReason> {
    s.parse()
        .map_err(|e| StoreError::Invalid(format!("{e} in database")))
}

// --- row records -----------------------------------------------------------------------

/// Select list for [`MessageRow`](super::MessageRow), over `messages m JOIN groups g ON
/// g.id = m.group_id`.
pub(crate) const MESSAGE_COLUMNS: &str =
    "m.id, m.thread_id, m.group_id, g.slug AS group_slug, m.message_id, m.raw_sha256, \
     m.author_email, m.author_name, m.date, m.date_trust, m.subject, m.subject_key, \
     m.subject_link, m.body, m.quoted, m.signoff, m.signature, m.disclaimer, m.html, \
     m.html_note, m.attachments, m.via, m.reconstructed, m.recipients";

/// The columns a message row is written with (insert and replacement), in the order each
/// backend's bind helper binds them.
pub(crate) const MESSAGE_WRITE_COLUMNS: [&str; 22] = [
    "thread_id",
    "group_id",
    "raw_sha256",
    "message_id",
    "author_email",
    "author_name",
    "date",
    "date_trust",
    "subject",
    "subject_key",
    "subject_link",
    "body",
    "quoted",
    "signoff",
    "signature",
    "disclaimer",
    "html",
    "html_note",
    "attachments",
    "via",
    "reconstructed",
    "recipients",
];

/// Select list for [`ThreadSummary`], over `threads t JOIN groups g ON g.id = t.group_id`.
pub(crate) const THREAD_COLUMNS: &str =
    "t.id, t.group_id, g.slug AS group_slug, t.subject, t.started_at, t.last_activity, t.message_count";

/// Group rows `(id, slug, name)` plus address rows `(address, group_id)` → entries, each
/// with its addresses sorted.
pub(crate) fn assemble_groups(
    groups: Vec<(i64, String, String)>,
    addresses: Vec<(String, i64)>,
) -> Vec<GroupEntry> {
    let mut by_group: HashMap<i64, Vec<String>> = HashMap::new();
    for (address, group_id) in addresses {
        by_group.entry(group_id).or_default().push(address);
    }
    groups
        .into_iter()
        .map(|(id, slug, name)| {
            let mut addresses = by_group.remove(&id).unwrap_or_default();
            addresses.sort();
            GroupEntry {
                id,
                slug,
                name,
                addresses,
            }
        })
        .collect()
}

/// Sorted and deduplicated (each is already trimmed and lower-cased by its type).
pub(crate) fn normalise_addresses(addresses: &[GroupAddress]) -> Vec<String> {
    let mut out: Vec<String> = addresses.iter().map(|a| a.as_str().to_string()).collect();
    out.sort();
    out.dedup();
    out
}

pub(crate) fn address_conflict(address: &str, other_slug: &str, slug: &str) -> StoreError {
    StoreError::Invalid(crate::core::mapping::two_groups(address, other_slug, slug))
}

/// Group entries (in display order) plus `(group id, thread count, message count, last
/// activity)` rows → summaries.
pub(crate) fn summaries(
    groups: Vec<GroupEntry>,
    counts: Vec<(i64, i64, i64, Option<i64>)>,
) -> Vec<GroupSummary> {
    let mut by_group: HashMap<i64, (i64, i64, Option<i64>)> = counts
        .into_iter()
        .map(|(id, threads, messages, last)| (id, (threads, messages, last)))
        .collect();
    groups
        .into_iter()
        .map(|group| {
            let (thread_count, message_count, last_activity) =
                by_group.remove(&group.id).unwrap_or((0, 0, None));
            GroupSummary {
                group,
                thread_count,
                message_count,
                last_activity,
            }
        })
        .collect()
}

pub(crate) fn skip_counts(rows: Vec<(String, i64)>) -> Result<Vec<SkipCount>> {
    rows.into_iter()
        .map(|(reason, count)| {
            Ok(SkipCount {
                reason: parse_skip_reason(&reason)?,
                count,
            })
        })
        .collect()
}

pub(crate) fn checkpoint(mailbox: &str, uidvalidity: i64, last_uid: i64) -> Result<Checkpoint> {
    let bad = |what: &str, v: i64| {
        StoreError::Invalid(format!(
            "checkpoint of {mailbox}: {what} {v} is out of range"
        ))
    };
    Ok(Checkpoint {
        mailbox: mailbox.to_string(),
        uidvalidity: u32::try_from(uidvalidity).map_err(|_| bad("uidvalidity", uidvalidity))?,
        last_uid: u32::try_from(last_uid).map_err(|_| bad("last uid", last_uid))?,
        lease_holder: None,
    })
}

/// `(seq, sha256, source, force_groups, received_at, bytes)` as selected by both backends.
pub(crate) type RawTuple = (i64, String, String, String, i64, Vec<u8>);

pub(crate) fn raw_row(t: RawTuple) -> RawRow {
    let (seq, sha256, source, force_groups, received_at, bytes) = t;
    RawRow {
        seq,
        sha256,
        source,
        force_groups: decode_force_groups(&force_groups),
        received_at,
        bytes,
    }
}

/// `(raw columns…, message_id, skip reason, comma-separated group ids, held state)` as selected by both
/// backends for [`super::Store::raw_accounts`].
pub(crate) type RawAccountTuple = (
    i64,
    String,
    String,
    String,
    i64,
    Vec<u8>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
);

pub(crate) fn raw_account(t: RawAccountTuple) -> Result<RawAccount> {
    let (
        seq,
        sha256,
        source,
        force_groups,
        received_at,
        bytes,
        message_id,
        skipped,
        filed,
        held,
        retracted,
    ) = t;
    let filed_in = (filed.as_deref().unwrap_or_default().split(','))
        .filter(|g| !g.is_empty())
        .map(|g| {
            g.trim().parse().map_err(|_| {
                StoreError::Invalid(format!("group id {g:?} of {message_id} is not a number"))
            })
        })
        .collect::<Result<Vec<GroupId>>>()?;
    Ok(RawAccount {
        raw: raw_row((seq, sha256, source, force_groups, received_at, bytes)),
        message_id,
        skipped: skipped.as_deref().map(parse_skip_reason).transpose()?,
        filed_in,
        held: held
            .as_deref()
            .and_then(crate::core::plan::HeldState::parse),
        retracted,
    })
}

// --- ingest: preparing the lookup and assembling its answer ----------------------------

/// Builds [`Known`] from lookup answers. Rows carry the index of the key they answer, so keys
/// are taken from the lookup itself and match what the planner asked byte for byte.
#[derive(Default)]
pub(crate) struct KnownBuilder {
    pub known: Known,
}

impl KnownBuilder {
    /// `(index into lookup.messages, id, thread_id, reconstructed)`.
    pub fn message(&mut self, lookup: &Lookup, row: (i64, i64, i64, bool)) {
        let (i, id, thread_id, reconstructed) = row;
        if let Some(key) = lookup.messages.get(i as usize) {
            self.known.messages.insert(
                key.clone(),
                ExistingMessage {
                    id,
                    thread_id,
                    reconstructed,
                },
            );
        }
    }

    /// `(index into lookup.refs, thread_id)`.
    pub fn reference(&mut self, lookup: &Lookup, row: (i64, i64)) {
        if let Some(key) = lookup.refs.get(row.0 as usize) {
            self.known.refs.insert(key.clone(), row.1);
        }
    }

    /// `(index into lookup.subjects, thread_id, date, subject_link)`.
    pub fn subject(&mut self, lookup: &Lookup, row: (i64, i64, i64, bool)) {
        let (i, thread, date, subject_link) = row;
        if let Some(q) = lookup.subjects.get(i as usize) {
            self.known
                .subjects
                .entry((q.group, q.key.clone()))
                .or_default()
                .push(SubjectHit {
                    thread,
                    date,
                    subject_link,
                });
        }
    }

    /// The subject queries to answer, with their index in `lookup.subjects`: those some asking
    /// mail needs, since none of its reference keys is among the refs answered so far (a mail
    /// with a known key is filed by it, never by subject).
    pub fn subject_queries<'l>(&self, lookup: &'l Lookup) -> Vec<(usize, &'l SubjectQuery)> {
        let known =
            |i: &usize| (lookup.refs.get(*i)).is_some_and(|k| self.known.refs.contains_key(k));
        (lookup.subjects.iter().enumerate())
            .filter(|(_, q)| q.askers.iter().any(|keys| !keys.iter().any(known)))
            .collect()
    }

    /// Every thread found through refs, Thread-Index or subject: the ones whose
    /// reconstructed entries the planner needs.
    pub fn found_threads(&self) -> Vec<ThreadId> {
        let k = &self.known;
        let mut ids: Vec<ThreadId> = k
            .refs
            .values()
            .copied()
            .chain(k.subjects.values().flatten().map(|h| h.thread))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Threads whose published messages the planner may compare rebuilt entries with: those
    /// found through refs (a mail may merge or join them) and those with rebuilt entries (a
    /// mail may join them by its quoted history). Other same-subject threads are never joined
    /// that way, so their messages stay unread.
    pub fn published_threads(&self) -> Vec<ThreadId> {
        let k = &self.known;
        let mut ids: Vec<ThreadId> = (k.refs.values().copied())
            .chain(k.reconstructions.keys().copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// `(email, offset, seen_at)` of a person with a known zone.
    pub fn zone(&mut self, row: (String, i32, i64)) {
        let (email, offset, seen_at) = row;
        let zone = PersonZone { offset, seen_at };
        self.known.zones.insert(email, zone);
    }

    pub fn published(&mut self, p: Published) {
        self.known.published.entry(p.thread_id).or_default().push(p);
    }

    pub fn guess(&mut self, r: GuessRecord) {
        self.known.guesses.push(r.into_parts());
    }

    pub fn reconstruction(&mut self, r: Reconstruction) {
        self.known
            .reconstructions
            .entry(r.thread_id)
            .or_default()
            .push(r);
    }
}

// --- ingest: preparing the write set ----------------------------------------------------

/// `ThreadRef` → stored id, given the ids allocated for `WriteSet::threads` in order.
pub(crate) fn resolve(thread: ThreadRef, new_ids: &[ThreadId]) -> Result<ThreadId> {
    match thread {
        ThreadRef::Existing(id) => Ok(id),
        ThreadRef::New(i) => new_ids.get(i).copied().ok_or_else(|| {
            StoreError::Invalid(format!(
                "plan refers to new thread #{i} but creates only {}",
                new_ids.len()
            ))
        }),
    }
}

/// One touch per thread: a plan may bump the same thread for several mails.
pub(crate) fn merge_touches(touches: &[ThreadTouch]) -> Vec<ThreadTouch> {
    let mut by_id: HashMap<ThreadId, ThreadTouch> = HashMap::new();
    for t in touches {
        by_id
            .entry(t.id)
            .and_modify(|m| {
                m.started_at = m.started_at.min(t.started_at);
                m.last_activity = m.last_activity.max(t.last_activity);
                m.added += t.added;
            })
            .or_insert(*t);
    }
    let mut out: Vec<_> = by_id.into_values().collect();
    // A stable order keeps row locks taken in the same order by concurrent writers.
    out.sort_unstable_by_key(|t| t.id);
    out
}

/// A person to upsert: email, name (if any), first seen.
pub(crate) struct PersonRow<'a> {
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub first_seen: i64,
}

/// One row per email (postgres refuses to upsert the same row twice in a statement). The last
/// non-empty name wins; first seen is the earliest date the batch has for that author, else
/// now.
pub(crate) fn people_rows(ws: &WriteSet) -> Vec<PersonRow<'_>> {
    let mut earliest: HashMap<&str, i64> = HashMap::new();
    for m in ws
        .messages
        .iter()
        .chain(ws.replacements.iter().map(|(_, m)| m))
    {
        earliest
            .entry(m.author_email.as_str())
            .and_modify(|d| *d = (*d).min(m.date))
            .or_insert(m.date);
    }
    let now = now();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut rows: Vec<PersonRow<'_>> = Vec::with_capacity(ws.people.len());
    for p in &ws.people {
        let name = p.name.as_deref().filter(|n| !n.is_empty());
        match index.get(p.email.as_str()) {
            Some(&i) => {
                if name.is_some() {
                    rows[i].name = name;
                }
            }
            None => {
                index.insert(p.email.as_str(), rows.len());
                rows.push(PersonRow {
                    email: p.email.as_str(),
                    name,
                    first_seen: earliest.get(p.email.as_str()).copied().unwrap_or(now),
                });
            }
        }
    }
    rows
}

/// One zone per person: the last the batch learned. The plan learns a person's zones in the
/// order of their dates, so the last is the newest, and one multi-row update leaves what
/// applying each in turn would.
pub(crate) fn zone_rows(ws: &WriteSet) -> Vec<(&str, PersonZone)> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut rows: Vec<(&str, PersonZone)> = Vec::new();
    for (email, zone) in &ws.zones {
        match index.get(email.as_str()) {
            Some(&i) => rows[i].1 = *zone,
            None => {
                index.insert(email.as_str(), rows.len());
                rows.push((email.as_str(), *zone));
            }
        }
    }
    rows
}

/// Reconstruction row as selected by both backends.
pub(crate) type ReconstructionTuple = (
    MessageRowId,
    ThreadId,
    GroupId,
    String,
    String,
    Option<String>,
    i64,
    i16,
    String,
);

/// Characters of a published body the planner compares rebuilt entries with (their opening).
pub(crate) const PUBLISHED_BODY_CHARS: usize = 600;

/// `(thread_id, author_email, author_name, date, body opening)`.
pub(crate) type PublishedTuple = (ThreadId, String, Option<String>, i64, String);

pub(crate) fn published(t: PublishedTuple) -> Published {
    let (thread_id, author_email, author_name, date, body) = t;
    Published {
        thread_id,
        author_email,
        author_name,
        date,
        body,
    }
}

/// Select list for [`ReconstructionTuple`] over `messages`.
pub(crate) const RECONSTRUCTION_COLUMNS: &str =
    "id, thread_id, group_id, message_id, author_email, author_name, date, date_trust, body";

/// A rebuilt entry dated by a zone guess, with what is read again once that zone is learned:
/// [`GUESS_COLUMNS`] over `messages`.
#[derive(sqlx::FromRow)]
pub(crate) struct GuessRecord {
    id: MessageRowId,
    thread_id: ThreadId,
    group_id: GroupId,
    message_id: String,
    author_email: String,
    author_name: Option<String>,
    date: i64,
    date_trust: i16,
    body: String,
    date_local: i64,
    date_shown_by: String,
}

/// Select list for [`GuessRecord`]: the rows are found by `date_shown_by`.
pub(crate) const GUESS_COLUMNS: &str = "id, thread_id, group_id, message_id, author_email, \
     author_name, date, date_trust, body, date_local, date_shown_by";

/// The `date_trust` values of a guess ([`DateTrust::is_guess`]), for SQL.
pub(crate) fn guess_trusts() -> [i16; 2] {
    [DateTrust::UtcGuess.as_i16(), DateTrust::ZoneGuess.as_i16()]
}

impl GuessRecord {
    pub fn into_parts(self) -> (Reconstruction, DateGuess) {
        let rec = reconstruction((
            self.id,
            self.thread_id,
            self.group_id,
            self.message_id,
            self.author_email,
            self.author_name,
            self.date,
            self.date_trust,
            self.body,
        ));
        let guess = DateGuess {
            local: self.date_local,
            shown_by: self.date_shown_by,
        };
        (rec, guess)
    }
}

pub(crate) fn reconstruction(t: ReconstructionTuple) -> Reconstruction {
    let (id, thread_id, group_id, message_id, author_email, author_name, date, trust, body) = t;
    Reconstruction {
        id,
        thread_id,
        group_id,
        message_id,
        author_email,
        author_name,
        date,
        date_trust: trust.into(),
        body,
    }
}

// --- outbox ---------------------------------------------------------------------------

/// The ids an enqueue wrote for `mail`, from its outbox id and `(delivery id, token)` rows.
pub(crate) fn queued(outbox_id: i64, mail: &Outgoing, rows: Vec<(i64, String)>) -> Queued {
    let by_token: HashMap<String, i64> = rows.into_iter().map(|(id, t)| (t, id)).collect();
    Queued {
        outbox_id,
        message_id: mail.message_id.clone(),
        deliveries: (mail.deliveries.iter())
            .filter_map(|d| Some((d.recipient.clone(), *by_token.get(&d.token)?)))
            .collect(),
    }
}

/// A bounce to record against one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BounceTarget {
    pub delivery_id: i64,
    /// The delivery's recipient: what outloud sent to, whatever the report calls it.
    pub address: String,
    pub severity: Severity,
    pub status: Option<String>,
    pub detail: String,
}

/// Which deliveries a bounce is about, from the deliveries `(id, recipient, state)` found by
/// its token (exactly that one) or its mail's Message-ID (the one whose recipient the report
/// names; the only one when the mail had one recipient). Only failures count.
pub(crate) fn bounce_targets(
    note: &BounceNote,
    candidates: &[(i64, String, String)],
) -> Vec<BounceTarget> {
    let mut out: Vec<BounceTarget> = Vec::new();
    for r in &note.bounce.recipients {
        let Some(severity) = r.severity else { continue };
        let hit = match candidates {
            [only] => Some(only),
            _ => candidates.iter().find(|c| c.1 == r.address),
        };
        let Some((id, recipient, _)) = hit else {
            continue;
        };
        if out.iter().any(|t| t.delivery_id == *id) {
            continue;
        }
        let detail = (r.diagnostic.clone())
            .or_else(|| r.status.clone())
            .unwrap_or_else(|| format!("{} ({})", r.action, severity.as_str()));
        out.push(BounceTarget {
            delivery_id: *id,
            address: recipient.clone(),
            severity,
            status: r.status.clone(),
            detail,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Address;

    #[test]
    fn force_groups_round_trip_and_accept_commas() {
        let g = vec!["eng".to_string(), "a,b".to_string()];
        assert_eq!(decode_force_groups(&encode_force_groups(&g)), g);
        assert_eq!(decode_force_groups("eng, ops"), vec!["eng", "ops"]);
        assert!(decode_force_groups("").is_empty());
        assert!(decode_force_groups("[]").is_empty());
    }

    #[test]
    fn touches_merge_per_thread() {
        let t = |id, started_at, last_activity, added| ThreadTouch {
            id,
            started_at,
            last_activity,
            added,
        };
        assert_eq!(
            merge_touches(&[t(2, 9, 10, 1), t(1, 5, 5, 1), t(2, 7, 7, 2)]),
            vec![t(1, 5, 5, 1), t(2, 7, 10, 3)]
        );
    }

    #[test]
    fn people_dedup_keeps_last_name() {
        let ws = WriteSet {
            people: vec![
                Address::new(Some("Ann"), "ann@x"),
                Address::new(None, "bob@x"),
                Address::new(Some("Ann B"), "ann@x"),
                Address::new(None, "ann@x"),
            ],
            ..Default::default()
        };
        let rows = people_rows(&ws);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].email, rows[0].name), ("ann@x", Some("Ann B")));
        assert_eq!((rows[1].email, rows[1].name), ("bob@x", None));
    }

    #[test]
    fn resolve_new_out_of_range_is_invalid() {
        assert_eq!(resolve(ThreadRef::New(1), &[7, 8]).unwrap(), 8);
        assert_eq!(resolve(ThreadRef::Existing(3), &[]).unwrap(), 3);
        assert!(matches!(
            resolve(ThreadRef::New(2), &[7, 8]),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn addresses_normalised() {
        let a = normalise_addresses(
            &GroupAddress::parse_all(&[" Eng@Corp.Example", "eng@corp.example", "b@x.example"])
                .unwrap(),
        );
        assert_eq!(a, vec!["b@x.example", "eng@corp.example"]);
    }
}
