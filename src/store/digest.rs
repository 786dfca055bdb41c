//! Digests as stored (migration 0011): people's facts, audiences, choices, what each round
//! decided and queued, and what came back (clicks, unsubscribes, replies). Both backends run
//! the same SQL (written with `?`, numbered for PostgreSQL by [`numbered`]) from one
//! implementation, [`digest_store_impl!`](crate::store::digest::digest_store_impl).
//!
//! **Exactly once.** [`DigestStore::record_digests`] writes each (person, period) decision
//! with `ON CONFLICT (email, period_start) DO NOTHING` and, only when the row is new, queues
//! its mail in the same transaction (`enqueue_in`). A round that crashed, or a second replica
//! running the same round, finds the row and queues nothing: nobody gets a second copy.

use async_trait::async_trait;
use serde::Serialize;

use crate::core::compose::Outgoing;
use crate::core::digest::audience::Pattern;
use crate::core::digest::{Candidate, Period};
use crate::model::Slug;
use crate::store::Result;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AudienceRow {
    pub group_slug: String,
    pub pattern: String,
    /// config, cli or directory.
    pub source: String,
}

/// One line of a directory CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryRow {
    /// Lower-cased.
    pub email: String,
    pub name: Option<String>,
    pub groups: Vec<Slug>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DirectoryReport {
    pub people: u64,
    pub audience_entries: u64,
    /// Group slugs named by a row that do not exist (those entries are not added).
    pub unknown_groups: Vec<String>,
}

/// What the store knows of one person for their digest.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PersonFacts {
    pub email: String,
    pub name: Option<String>,
    pub signed_in_at: Option<i64>,
}

/// A digest choice, as written (the latest per person and group counts).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChoiceRow {
    pub email: String,
    /// `None`: every digest.
    pub group_slug: Option<String>,
    /// `in` or `out`.
    pub choice: String,
}

/// A digest sent to someone, newest first per person, and whether they acted on it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SentRow {
    pub email: String,
    pub period_start: i64,
    /// 1 when it got a human click or a reply.
    pub acted: i64,
}

/// Everything a round reads besides the candidate threads, in one go.
#[derive(Debug, Clone, Default)]
pub struct DigestInputs {
    pub people: Vec<PersonFacts>,
    /// (email, last post date) of everyone who published a message.
    pub posters: Vec<(String, i64)>,
    pub audiences: Vec<AudienceRow>,
    /// (slug, name).
    pub groups: Vec<(String, String)>,
    /// (address, group slug).
    pub group_addresses: Vec<(String, String)>,
    /// Unordered pairs.
    pub contacts: Vec<(String, String)>,
    /// In the order written.
    pub choices: Vec<ChoiceRow>,
    /// Sent digests since `history_since`, newest first per person.
    pub sent: Vec<SentRow>,
    /// (email, digests ever sent).
    pub sent_counts: Vec<(String, i64)>,
}

/// A (person, period) decision to record, with its mail when it is sent.
#[derive(Debug, Clone)]
pub struct NewDigest {
    pub email: String,
    pub period: Period,
    /// `sent` or a skip reason.
    pub decision: String,
    pub token: String,
    pub threads: Vec<i64>,
    /// (token, thread id) of each item's reply address.
    pub reply_tokens: Vec<(String, i64)>,
    pub mail: Option<Outgoing>,
    pub at: i64,
}

/// A digest found by its link token.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SendRef {
    pub id: i64,
    pub email: String,
    pub period_start: i64,
    /// JSON array of thread ids.
    pub threads: String,
    /// When its delivery went out (Unix seconds), if it did.
    pub sent_at: Option<i64>,
}

/// A reply address's token, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReplyTokenRow {
    pub token: String,
    pub send_id: i64,
    pub email: String,
    pub thread_id: i64,
    pub created_at: i64,
}

/// A person's digest choice to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChoice {
    pub email: String,
    pub group: Option<Slug>,
    pub choice: Choice,
    /// one-click, mailto, web, cli.
    pub via: String,
    pub send_id: Option<i64>,
    pub at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    In,
    Out,
}

impl Choice {
    pub fn as_str(self) -> &'static str {
        match self {
            Choice::In => "in",
            Choice::Out => "out",
        }
    }
}

/// Counts of one period, for `outloud digest stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PeriodCounts {
    pub period_start: i64,
    pub period_end: i64,
    /// People a decision was recorded for (sent or skipped with a reason).
    pub recipients: i64,
    /// Digests queued.
    pub queued: i64,
    /// Taken by the server.
    pub sent: i64,
    /// Bounced, refused or suppressed.
    pub bounced: i64,
    pub unsubscribed: i64,
    /// Digests with a human click.
    pub clicked: i64,
    /// Digests whose only follows were HEAD requests or within a minute of delivery.
    pub scanner_only: i64,
    pub replied: i64,
    /// Recipients who became users within 14 days after the period.
    pub converted: i64,
}

/// Every method has a default that fails, so test fakes of [`Store`](crate::store::Store)
/// need not implement them; both real backends implement all.
// The failing defaults do not read their parameters.
#[allow(unused_variables)]
#[async_trait]
pub trait DigestStore: Send + Sync {
    /// The facts of every known person and the round's other inputs.
    async fn digest_inputs(&self, history_since: i64) -> Result<DigestInputs> {
        Err(unsupported())
    }
    /// Published threads with messages in `period`, and those messages. Policy seam: held,
    /// retracted or confidential threads are filtered out here (docs/DIGESTS.md).
    async fn digest_candidates(&self, period: Period) -> Result<Vec<Candidate>> {
        Err(unsupported())
    }
    /// Addresses already decided for the period starting at `period_start`.
    async fn digest_decided(&self, period_start: i64) -> Result<Vec<String>> {
        Err(unsupported())
    }
    /// Records decisions, queueing each new sent digest's mail in the same transaction. Per
    /// input: the new row's id, or `None` when that (person, period) was decided already.
    async fn record_digests(&self, digests: &[NewDigest]) -> Result<Vec<Option<i64>>> {
        Err(unsupported())
    }
    async fn digest_round(&self, period: Period, at: i64, finished: bool) -> Result<()> {
        Err(unsupported())
    }
    async fn digest_send_by_token(&self, token: &str) -> Result<Option<SendRef>> {
        Err(unsupported())
    }
    async fn record_digest_click(
        &self,
        send_id: i64,
        thread_id: Option<i64>,
        kind: &str,
        at: i64,
    ) -> Result<()> {
        Err(unsupported())
    }
    async fn set_digest_choice(&self, c: &NewChoice) -> Result<()> {
        Err(unsupported())
    }
    /// Seam for web sign-in: signing in makes a person a user (and skips that week's digest).
    async fn record_sign_in(&self, email: &str, at: i64) -> Result<()> {
        Err(unsupported())
    }
    async fn audience_add(&self, group: &Slug, p: &Pattern, source: &str, at: i64) -> Result<bool> {
        Err(unsupported())
    }
    async fn audience_remove(&self, group: &Slug, p: &Pattern) -> Result<bool> {
        Err(unsupported())
    }
    async fn audiences(&self) -> Result<Vec<AudienceRow>> {
        Err(unsupported())
    }
    /// Makes the `config` audience entries exactly `rules` (entries of other sources stay).
    async fn sync_config_audiences(&self, rules: &[(Slug, Pattern)], at: i64) -> Result<()> {
        Err(unsupported())
    }
    async fn import_directory(&self, rows: &[DirectoryRow], at: i64) -> Result<DirectoryReport> {
        Err(unsupported())
    }
    async fn reply_token(&self, token: &str) -> Result<Option<ReplyTokenRow>> {
        Err(unsupported())
    }
    async fn record_digest_reply(&self, reply: &DigestReply) -> Result<()> {
        Err(unsupported())
    }
    async fn digest_stats(&self) -> Result<Vec<PeriodCounts>> {
        Err(unsupported())
    }
    /// Published (not reconstructed) messages per author.
    async fn posts_per_author(&self) -> Result<Vec<i64>> {
        Err(unsupported())
    }
}

/// What a store without digest tables (a test fake) answers.
fn unsupported() -> crate::store::StoreError {
    crate::store::StoreError::Invalid("this store keeps no digests".into())
}

/// A reply to a digest item and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestReply {
    pub raw_sha256: String,
    pub token: String,
    pub send_id: Option<i64>,
    pub sender: String,
    /// `published`, or why not: `other_sender`, `unknown_token`, `expired`, `withheld`.
    pub outcome: String,
    /// Queued with the record: tells a refused sender why.
    pub notice: Option<Outgoing>,
    pub at: i64,
}

/// `?` placeholders numbered `$1`, `$2`, … for PostgreSQL. The SQL here has no `?` inside
/// string literals.
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// Pairs of one write set's contacts, once each, ordered (a < b).
pub(crate) fn contact_rows(ws: &crate::core::plan::WriteSet) -> Vec<(&str, &str, i64)> {
    let mut map: std::collections::BTreeMap<(&str, &str), i64> = Default::default();
    for (x, y, at) in &ws.contacts {
        let (a, b) = if x < y { (x, y) } else { (y, x) };
        if a == b || a.is_empty() {
            continue;
        }
        let e = map.entry((a.as_str(), b.as_str())).or_insert(*at);
        *e = (*e).max(*at);
    }
    map.into_iter().map(|((a, b), at)| (a, b, at)).collect()
}

pub(crate) use crate::store::digest_impl::digest_store_impl;
