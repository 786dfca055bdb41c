//! The postgres implementation of [`Store`](super::Store).
//!
//! Batches are written with `UNNEST` over one array per column: one fixed statement per table
//! whatever the batch size (prepared once, no parameter limit). Each ingest takes a
//! transaction-scoped advisory lock so that, as with SQLite's `BEGIN IMMEDIATE`, a batch is
//! planned against a store no other batch is writing to (two batches threading the same
//! conversation at once would otherwise both create the thread).
//!
//! PostgreSQL text cannot hold NUL characters; text columns and lookup keys are written
//! without them (raw bytes are kept intact in `raw_mails`).
//!
//! SQL text is built only from this crate's constants (column lists, `NOW_MS`, fixed table
//! names), never from data, which always goes through bind parameters: that is what each
//! `AssertSqlSafe` around a `format!` asserts.

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, PgConnection};

use super::common::{
    self, assemble_groups, encode_force_groups, merge_touches, people_rows, resolve, zone_rows,
    GuessRecord, KnownBuilder, PublishedTuple, ReconstructionTuple, GUESS_COLUMNS,
    MESSAGE_WRITE_COLUMNS, PUBLISHED_BODY_CHARS, RECONSTRUCTION_COLUMNS,
};
use super::{
    QuarantineRow, RawAccount, Result, SearchHit, SearchQuery, SkipCount, Store, StoreError,
};
use crate::core::plan::{Checkpoint, GroupId, Known, Lookup, NewMessage, ThreadId, WriteSet};
use crate::model::{GroupAddress, GroupEntry, Slug};

mod accounts;
crate::store::read::read_store_impl!(PgStore);
mod outbox;
pub use outbox::enqueue_in;
mod policy;

mod digest;
mod mapping;
mod search;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The database's clock in unix milliseconds: replicas on different hosts share it.
/// `clock_timestamp()`, not `now()`: inside ingest the transaction may have waited for the
/// advisory lock, and `now()` would still be its start.
const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::BIGINT";

/// Key of the advisory lock serialising ingest batches ("outloud" in ASCII).
const INGEST_LOCK: i64 = 0x006f_7574_6c6f_7564;

pub struct PgStore {
    pub(crate) pool: sqlx::Pool<sqlx::Postgres>,
}

/// A pooled connection idle this long is pinged before use (one that dropped while idle, e.g.
/// across a server restart, is replaced instead of failing a query).
const PING_IDLE: Duration = Duration::from_secs(10);

impl PgStore {
    /// `postgres://…` or `postgresql://…`.
    pub async fn open(url: &str) -> Result<Self> {
        let open_err = |source: sqlx::Error| StoreError::open(url, &source);
        let options = PgConnectOptions::from_str(url).map_err(open_err)?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            // sqlx pings a connection before every use by default: a round trip per query (a
            // thread page makes six). Only one idle for a while is tested; one in use is alive.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IDLE {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(options)
            .await
            .map_err(open_err)?;
        Ok(PgStore { pool })
    }

    /// A transaction for the shared implementations (digests, policy, sign-in), which SQLite
    /// opens with `BEGIN IMMEDIATE`.
    async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

/// Text as postgres accepts it: without NUL.
fn t(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', ""))
    } else {
        Cow::Borrowed(s)
    }
}

fn t_opt(s: Option<&str>) -> Option<Cow<'_, str>> {
    s.map(t)
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        search::index_pending(self).await
    }

    async fn upsert_group(
        &self,
        slug: &Slug,
        name: &str,
        addresses: &[GroupAddress],
    ) -> Result<GroupEntry> {
        let slug = slug.as_str();
        let addresses = common::normalise_addresses(addresses);
        let list: Vec<Cow<str>> = addresses.iter().map(|a| t(a)).collect();
        let mut tx = self.pool.begin().await?;
        let conflict: Option<(String, String)> = sqlx::query_as(
            "SELECT ga.address, g.slug FROM group_addresses ga JOIN groups g ON g.id = ga.group_id \
             WHERE g.slug <> $1 AND ga.address = ANY($2) ORDER BY ga.address LIMIT 1",
        )
        .bind(slug)
        .bind(&list)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((address, other)) = conflict {
            return Err(common::address_conflict(&address, &other, slug));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO groups (slug, name, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name RETURNING id",
        )
        .bind(t(slug))
        .bind(t(name))
        .bind(common::now())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM group_addresses WHERE group_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO group_addresses (address, group_id) SELECT a, $2 FROM UNNEST($1::TEXT[]) AS a")
            .bind(&list)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(GroupEntry {
            id,
            slug: slug.to_string(),
            name: name.to_string(),
            addresses,
        })
    }

    async fn remove_group(&self, slug: &Slug) -> Result<bool> {
        let slug = slug.as_str();
        let done = sqlx::query("DELETE FROM groups WHERE slug = $1")
            .bind(t(slug))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn groups(&self) -> Result<Vec<GroupEntry>> {
        let mut conn = self.pool.acquire().await?;
        let groups = sqlx::query_as("SELECT id, slug, name FROM groups ORDER BY slug")
            .fetch_all(&mut *conn)
            .await?;
        let addresses = sqlx::query_as("SELECT address, group_id FROM group_addresses")
            .fetch_all(&mut *conn)
            .await?;
        Ok(assemble_groups(groups, addresses))
    }

    async fn ingest(
        &self,
        lookup: &Lookup,
        plan: &(dyn Fn(Known) -> WriteSet + Send + Sync),
        checkpoint: Option<&Checkpoint>,
    ) -> Result<WriteSet> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(INGEST_LOCK)
            .execute(&mut *tx)
            .await?;
        // Fencing, before any work: a replica whose lease ran out while it fetched must not
        // publish. FOR SHARE keeps the row until commit, so a successor's takeover (an
        // UPDATE of that row) waits for this batch instead of overlapping it.
        if let Some(cp) = checkpoint {
            if let Some(holder) = &cp.lease_holder {
                let held: Option<i32> = sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT 1 FROM leases WHERE name = $1 AND holder = $2 AND expires_at > {NOW_MS} FOR SHARE"
                )))
                .bind(t(&cp.mailbox))
                .bind(t(holder))
                .fetch_optional(&mut *tx)
                .await?;
                if held.is_none() {
                    tx.rollback().await?;
                    return Err(StoreError::LeaseLost {
                        name: cp.mailbox.clone(),
                        holder: holder.clone(),
                    });
                }
            }
        }
        let known = answer(&mut tx, lookup).await?;
        let ws = plan(known);
        apply(&mut tx, &ws).await?;
        if let Some(cp) = checkpoint {
            sqlx::query(
                "INSERT INTO checkpoints (mailbox, uidvalidity, last_uid, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = EXCLUDED.uidvalidity, \
                 last_uid = EXCLUDED.last_uid, updated_at = EXCLUDED.updated_at",
            )
            .bind(t(&cp.mailbox))
            .bind(i64::from(cp.uidvalidity))
            .bind(i64::from(cp.last_uid))
            .bind(common::now())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(ws)
    }

    async fn quarantine(
        &self,
        sha256: &str,
        source: &str,
        error: &str,
        bytes: &[u8],
        received_at: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO quarantine (sha256, source, error, received_at, bytes) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(t(sha256))
        .bind(t(source))
        .bind(t(error))
        .bind(received_at)
        .bind(bytes)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn quarantined(&self) -> Result<Vec<QuarantineRow>> {
        Ok(sqlx::query_as(
            "SELECT id, sha256, source, error, received_at, octet_length(bytes)::BIGINT AS size FROM quarantine ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn quarantined_bytes(&self, id: i64) -> Result<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT bytes FROM quarantine WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn reset_derived(&self) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        // Serialised with ingest so no batch plans against rows being removed.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(INGEST_LOCK)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "TRUNCATE thread_refs, message_search, search_pending, messages, threads, \
             skipped, people, contacts",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn acquire_lease(&self, name: &str, holder: &str, ttl_secs: i64) -> Result<bool> {
        // One upsert decides: insert when free, take over when expired, renew when ours.
        // ON CONFLICT locks the existing row and re-checks the WHERE against its latest
        // version, so of two racing replicas exactly one gets a row back.
        // `EXCLUDED.acquired_at` is this statement's "now".
        let row: Option<String> = sqlx::query_scalar(AssertSqlSafe(format!(
            "INSERT INTO leases (name, holder, expires_at, acquired_at) VALUES ($1, $2, {NOW_MS} + $3, {NOW_MS}) \
             ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at, \
             acquired_at = CASE WHEN leases.holder = EXCLUDED.holder THEN leases.acquired_at \
             ELSE EXCLUDED.acquired_at END \
             WHERE leases.holder = EXCLUDED.holder OR leases.expires_at <= EXCLUDED.acquired_at \
             RETURNING holder"
        )))
        .bind(t(name))
        .bind(t(holder))
        .bind(ttl_secs.saturating_mul(1000))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(t(name))
            .bind(t(holder))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn checkpoint(&self, mailbox: &str) -> Result<Option<Checkpoint>> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT uidvalidity, last_uid FROM checkpoints WHERE mailbox = $1")
                .bind(t(mailbox))
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(v, u)| common::checkpoint(mailbox, v, u))
            .transpose()
    }

    async fn edit_mapping(
        &self,
        edit: &crate::core::mapping::Edit,
        audit: &crate::store::policy::AuditRow,
    ) -> Result<bool> {
        self.edit_mapping_impl(edit, audit).await
    }

    async fn skip_counts(&self) -> Result<Vec<SkipCount>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT reason, COUNT(*) FROM skipped GROUP BY reason ORDER BY reason")
                .fetch_all(&self.pool)
                .await?;
        common::skip_counts(rows)
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>> {
        search::search(self, query).await
    }

    async fn raw_accounts(&self, after_seq: i64, limit: i64) -> Result<Vec<RawAccount>> {
        // `group_id IN (…)` lets the (group_id, message_id) index serve the lookup by id.
        let rows: Vec<common::RawAccountTuple> = sqlx::query_as(
            "SELECT r.seq, r.sha256, r.source, r.force_groups, r.received_at, r.bytes, r.message_id, \
             s.reason, (SELECT string_agg(m.group_id::TEXT, ',') FROM messages m WHERE m.group_id IN (SELECT id FROM groups) \
             AND m.message_id = r.message_id AND NOT m.reconstructed) \
             , (SELECT h.state FROM held h WHERE h.raw_sha256 = r.sha256) \
             , EXISTS (SELECT 1 FROM retractions x WHERE x.message_id = r.message_id) \
             FROM raw_mails r LEFT JOIN skipped s ON s.raw_sha256 = r.sha256 \
             WHERE r.seq > $1 ORDER BY r.seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(common::raw_account).collect()
    }
}

// --- ingest ---------------------------------------------------------------------------

/// `(group, text)` keys as two arrays.
fn key_arrays(keys: &[(GroupId, String)]) -> (Vec<i64>, Vec<Cow<'_, str>>) {
    keys.iter().map(|(g, s)| (*g, t(s))).unzip()
}

/// People's zones, and the rebuilt entries dated by a guess for them.
async fn answer_zones(
    conn: &mut PgConnection,
    lookup: &Lookup,
    kb: &mut KnownBuilder,
) -> Result<()> {
    if !lookup.zones.is_empty() {
        let rows: Vec<(String, i32, i64)> = sqlx::query_as(
            "SELECT email, utc_offset, utc_offset_at FROM people \
             WHERE utc_offset IS NOT NULL AND email = ANY($1)",
        )
        .bind(&lookup.zones)
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter().for_each(|r| kb.zone(r));
    }
    if !lookup.guesses.is_empty() {
        let rows: Vec<GuessRecord> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {GUESS_COLUMNS} FROM messages WHERE reconstructed \
             AND date_trust = ANY($1) AND date_local IS NOT NULL AND date_shown_by = ANY($2)"
        )))
        .bind(common::guess_trusts())
        .bind(&lookup.guesses)
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter().for_each(|r| kb.guess(r));
    }
    Ok(())
}

/// Answers a [`Lookup`] with one query per kind of key. `WITH ORDINALITY` (or an index array)
/// numbers the keys, so answers map back to the exact key asked.
async fn answer(conn: &mut PgConnection, lookup: &Lookup) -> Result<Known> {
    let mut kb = KnownBuilder::default();
    if !lookup.messages.is_empty() {
        let (g, s) = key_arrays(&lookup.messages);
        let rows: Vec<(i64, i64, i64, bool)> = sqlx::query_as(
            "SELECT k.i - 1, m.id, m.thread_id, m.reconstructed \
             FROM UNNEST($1::BIGINT[], $2::TEXT[]) WITH ORDINALITY AS k(g, s, i) \
             JOIN messages m ON m.group_id = k.g AND m.message_id = k.s",
        )
        .bind(g)
        .bind(s)
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter().for_each(|r| kb.message(lookup, r));
    }
    if !lookup.refs.is_empty() {
        let (g, s) = key_arrays(&lookup.refs);
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT k.i - 1, r.thread_id FROM UNNEST($1::BIGINT[], $2::TEXT[]) WITH ORDINALITY AS k(g, s, i) \
             JOIN thread_refs r ON r.group_id = k.g AND r.ref_id = k.s",
        )
        .bind(g)
        .bind(s)
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter().for_each(|r| kb.reference(lookup, r));
    }
    answer_subjects(conn, lookup, &mut kb).await?;
    let found = kb.found_threads();
    if !found.is_empty() {
        let rows: Vec<ReconstructionTuple> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {RECONSTRUCTION_COLUMNS} FROM messages \
             WHERE reconstructed AND thread_id = ANY($1) ORDER BY thread_id, date, id"
        )))
        .bind(found)
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter()
            .for_each(|r| kb.reconstruction(common::reconstruction(r)));
    }
    answer_zones(conn, lookup, &mut kb).await?;
    let found = kb.published_threads();
    if !found.is_empty() {
        let rows: Vec<PublishedTuple> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT thread_id, author_email, author_name, date, substr(body, 1, {PUBLISHED_BODY_CHARS}) \
             FROM messages WHERE NOT reconstructed AND thread_id = ANY($1)"
        )))
        .bind(found)
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter()
            .for_each(|r| kb.published(common::published(r)));
    }
    policy::answer_held(conn, lookup, &mut kb.known).await?;
    policy::answer_retracted(conn, lookup, &mut kb.known).await?;
    policy::answer_authors(conn, lookup, &mut kb.known).await?;
    policy::answer_posters(conn, lookup, &mut kb.known).await?;
    policy::answer_pending(conn, lookup, &mut kb.known).await?;
    Ok(kb.known)
}

/// The subject queries some asking mail needs (after the refs are answered).
async fn answer_subjects(
    conn: &mut PgConnection,
    lookup: &Lookup,
    kb: &mut KnownBuilder,
) -> Result<()> {
    let q = kb.subject_queries(lookup);
    if q.is_empty() {
        return Ok(());
    }
    let rows: Vec<(i64, i64, i64, bool)> = sqlx::query_as(
        "SELECT k.i, m.thread_id, m.date, m.subject_link \
         FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::BIGINT[], $5::BIGINT[]) \
         AS k(i, g, s, lo, hi) \
         JOIN messages m ON m.group_id = k.g AND m.subject_key = k.s \
         AND m.date BETWEEN k.lo AND k.hi WHERE NOT m.reconstructed",
    )
    .bind(q.iter().map(|(i, _)| *i as i64).collect::<Vec<_>>())
    .bind(q.iter().map(|(_, q)| q.group).collect::<Vec<_>>())
    .bind(q.iter().map(|(_, q)| t(&q.key)).collect::<Vec<_>>())
    .bind(q.iter().map(|(_, q)| q.from).collect::<Vec<_>>())
    .bind(q.iter().map(|(_, q)| q.until).collect::<Vec<_>>())
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().for_each(|r| kb.subject(lookup, r));
    Ok(())
}

/// Deletes rebuilt entries found to repeat another, moves the messages and references of
/// merged-away threads into the thread that absorbed them, deletes the emptied threads, and
/// recomputes the absorbing threads' span and count.
async fn apply_merges(conn: &mut PgConnection, ws: &WriteSet, new_ids: &[ThreadId]) -> Result<()> {
    for (id, date, trust) in &ws.redates {
        sqlx::query(
            "UPDATE messages SET date = $1, date_trust = $2, date_local = NULL, \
             date_shown_by = NULL WHERE id = $3 AND reconstructed",
        )
        .bind(*date)
        .bind(trust.as_i16())
        .bind(*id)
        .execute(&mut *conn)
        .await?;
    }
    if !ws.deletes.is_empty() {
        sqlx::query("DELETE FROM messages WHERE reconstructed AND id = ANY($1)")
            .bind(&ws.deletes)
            .execute(&mut *conn)
            .await?;
    }
    if ws.merges.is_empty() {
        return Ok(());
    }
    let from: Vec<i64> = ws.merges.iter().map(|m| m.from).collect();
    let into = (ws.merges.iter())
        .map(|m| resolve(m.into, new_ids))
        .collect::<Result<Vec<_>>>()?;
    for table in ["messages", "thread_refs"] {
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE {table} x SET thread_id = v.into_id \
             FROM UNNEST($1::BIGINT[], $2::BIGINT[]) AS v(from_id, into_id) WHERE x.thread_id = v.from_id"
        )))
        .bind(&from)
        .bind(&into)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("DELETE FROM threads WHERE id = ANY($1)")
        .bind(&from)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE threads SET message_count = s.n, started_at = s.lo, last_activity = s.hi \
         FROM (SELECT thread_id, COUNT(*) AS n, MIN(date) AS lo, MAX(date) AS hi FROM messages \
         WHERE thread_id = ANY($1) GROUP BY thread_id) AS s WHERE threads.id = s.thread_id",
    )
    .bind(&into)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Executes a write set: one statement per table (plus one per replacement), in an order that
/// keeps every reference valid (threads before messages, replacements before inserts, merges
/// last).
async fn apply(conn: &mut PgConnection, ws: &WriteSet) -> Result<()> {
    insert_raws(conn, ws).await?;
    upsert_people(conn, ws).await?;
    digest::upsert_contacts(conn, ws).await?;
    let new_ids = insert_threads(conn, ws).await?;
    apply_touches(conn, ws).await?;
    apply_replacements(conn, ws, &new_ids).await?;
    insert_messages(conn, ws, &new_ids).await?;
    search::index_messages(conn, ws).await?;
    insert_refs(conn, ws, &new_ids).await?;
    apply_merges(conn, ws, &new_ids).await?;
    // A re-dated entry's date terms change with its date.
    let redated: Vec<i64> = ws.redates.iter().map(|(id, _, _)| *id).collect();
    search::reindex(conn, &redated).await?;
    record_guesses(conn, ws).await?;
    insert_skips(conn, ws).await?;
    outbox::apply_bounces(conn, &ws.bounces).await?;
    enqueue_in(conn, &ws.outbox).await?;
    policy::apply_policy(conn, ws).await?;
    Ok(())
}

/// What a rebuilt date guessed, to read it again once the zone is known (after `redates`,
/// which forget earlier guesses).
async fn record_guesses(conn: &mut PgConnection, ws: &WriteSet) -> Result<()> {
    if ws.guesses.is_empty() {
        return Ok(());
    }
    let groups: Vec<i64> = ws.guesses.iter().map(|(g, _, _)| *g).collect();
    let ids: Vec<Cow<'_, str>> = ws.guesses.iter().map(|(_, id, _)| t(id)).collect();
    let locals: Vec<i64> = ws.guesses.iter().map(|(_, _, x)| x.local).collect();
    let by: Vec<Cow<'_, str>> = ws.guesses.iter().map(|(_, _, x)| t(&x.shown_by)).collect();
    sqlx::query(
        "UPDATE messages m SET date_local = u.local, date_shown_by = u.by \
         FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[], $4::TEXT[]) AS u(g, id, local, by) \
         WHERE m.group_id = u.g AND m.message_id = u.id AND m.reconstructed",
    )
    .bind(groups)
    .bind(ids)
    .bind(locals)
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_raws(conn: &mut PgConnection, ws: &WriteSet) -> Result<()> {
    if !ws.raws.is_empty() {
        let r = &ws.raws;
        sqlx::query(
            "INSERT INTO raw_mails (sha256, message_id, source, force_groups, received_at, bytes) \
             SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[], $6::BYTEA[]) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(r.iter().map(|r| t(&r.sha256)).collect::<Vec<_>>())
        .bind(r.iter().map(|r| t(&r.message_id)).collect::<Vec<_>>())
        .bind(r.iter().map(|r| t(&r.source)).collect::<Vec<_>>())
        .bind(r.iter().map(|r| t(&encode_force_groups(&r.force_groups)).into_owned()).collect::<Vec<_>>())
        .bind(r.iter().map(|r| r.received_at).collect::<Vec<_>>())
        .bind(r.iter().map(|r| r.bytes.as_slice()).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }

    Ok(())
}

async fn upsert_people(conn: &mut PgConnection, ws: &WriteSet) -> Result<()> {
    let people = people_rows(ws);
    if !people.is_empty() {
        sqlx::query(
            "INSERT INTO people (email, name, first_seen) \
             SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::BIGINT[]) \
             ON CONFLICT (email) DO UPDATE SET name = COALESCE(EXCLUDED.name, people.name), \
             first_seen = LEAST(people.first_seen, EXCLUDED.first_seen)",
        )
        .bind(people.iter().map(|p| t(p.email)).collect::<Vec<_>>())
        .bind(people.iter().map(|p| t_opt(p.name)).collect::<Vec<_>>())
        .bind(people.iter().map(|p| p.first_seen).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }
    let zones = zone_rows(ws);
    if !zones.is_empty() {
        sqlx::query(
            "UPDATE people SET utc_offset = v.utc_offset, utc_offset_at = v.seen_at \
             FROM UNNEST($1::TEXT[], $2::INTEGER[], $3::BIGINT[]) AS v(email, utc_offset, seen_at) \
             WHERE people.email = v.email \
             AND (people.utc_offset_at IS NULL OR people.utc_offset_at <= v.seen_at)",
        )
        .bind(zones.iter().map(|(email, _)| t(email)).collect::<Vec<_>>())
        .bind(zones.iter().map(|(_, z)| z.offset).collect::<Vec<_>>())
        .bind(zones.iter().map(|(_, z)| z.seen_at).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }

    Ok(())
}

/// Inserts the plan's new threads; their ids, in `ws.threads` order.
async fn insert_threads(conn: &mut PgConnection, ws: &WriteSet) -> Result<Vec<ThreadId>> {
    // Ids are taken from the sequence first, so `ThreadRef::New(i)` maps to them without
    // relying on the order of rows returned by an INSERT.
    let mut new_ids: Vec<ThreadId> = Vec::new();
    if !ws.threads.is_empty() {
        new_ids = sqlx::query_scalar(
            "SELECT nextval(pg_get_serial_sequence('threads', 'id')) FROM generate_series(1, $1)",
        )
        .bind(ws.threads.len() as i64)
        .fetch_all(&mut *conn)
        .await?;
        let th = &ws.threads;
        sqlx::query(
            "INSERT INTO threads (id, group_id, subject, subject_key, started_at, last_activity, \
             message_count) \
             SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], \
             $5::BIGINT[], $6::BIGINT[], $7::BIGINT[])",
        )
        .bind(&new_ids)
        .bind(th.iter().map(|t| t.group_id).collect::<Vec<_>>())
        .bind(th.iter().map(|x| t(&x.subject)).collect::<Vec<_>>())
        .bind(th.iter().map(|x| t(&x.subject_key)).collect::<Vec<_>>())
        .bind(th.iter().map(|t| t.started_at).collect::<Vec<_>>())
        .bind(th.iter().map(|t| t.last_activity).collect::<Vec<_>>())
        .bind(th.iter().map(|t| t.message_count).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }

    Ok(new_ids)
}

async fn apply_touches(conn: &mut PgConnection, ws: &WriteSet) -> Result<()> {
    let touches = merge_touches(&ws.touches);
    if !touches.is_empty() {
        sqlx::query(
            "UPDATE threads SET started_at = LEAST(threads.started_at, v.started_at), \
             last_activity = GREATEST(threads.last_activity, v.last_activity), \
             message_count = threads.message_count + v.added \
             FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::BIGINT[], $4::BIGINT[]) \
             AS v(id, started_at, last_activity, added) WHERE threads.id = v.id",
        )
        .bind(touches.iter().map(|t| t.id).collect::<Vec<_>>())
        .bind(touches.iter().map(|t| t.started_at).collect::<Vec<_>>())
        .bind(touches.iter().map(|t| t.last_activity).collect::<Vec<_>>())
        .bind(touches.iter().map(|t| t.added).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }

    Ok(())
}

/// `UNNEST` over the arrays [`bind_messages`] binds, plus `extra` more array parameters.
fn unnest_messages(extra: &[&str]) -> String {
    let types = [
        "BIGINT", "BIGINT", "TEXT", "TEXT", "TEXT", "TEXT", "BIGINT", "SMALLINT", "TEXT", "TEXT",
        "BOOLEAN", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT",
        "BOOLEAN", "TEXT",
    ];
    let params = (types.iter().chain(extra))
        .enumerate()
        .map(|(i, ty)| format!("${}::{ty}[]", i + 1))
        .collect::<Vec<_>>();
    format!("UNNEST({})", params.join(", "))
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Binds the messages' columns as arrays, one per column of [`MESSAGE_WRITE_COLUMNS`]:
/// shared by insert and replacement.
fn bind_messages<'q>(q: PgQuery<'q>, rows: &'q [(ThreadId, &'q NewMessage)]) -> PgQuery<'q> {
    let col = |f: fn(&'q NewMessage) -> Option<Cow<'q, str>>| {
        rows.iter().map(|(_, m)| f(m)).collect::<Vec<_>>()
    };
    q.bind(rows.iter().map(|(t, _)| *t).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|(_, m)| m.place.group_id)
                .collect::<Vec<_>>(),
        )
        .bind(col(|m| t_opt(m.raw_sha256.as_deref())))
        .bind(col(|m| Some(t(&m.message_id))))
        .bind(col(|m| Some(t(&m.author_email))))
        .bind(col(|m| t_opt(m.author_name.as_deref())))
        .bind(rows.iter().map(|(_, m)| m.date).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|(_, m)| m.date_trust.as_i16())
                .collect::<Vec<_>>(),
        )
        .bind(col(|m| Some(t(&m.subject))))
        .bind(col(|m| Some(t(&m.subject_key))))
        .bind(rows.iter().map(|(_, m)| m.subject_link).collect::<Vec<_>>())
        .bind(col(|m| Some(t(&m.clean.body))))
        .bind(col(|m| Some(t(&m.clean.quoted))))
        .bind(col(|m| Some(t(&m.clean.signoff))))
        .bind(col(|m| Some(t(&m.clean.signature))))
        .bind(col(|m| Some(t(&m.clean.disclaimer))))
        .bind(col(|m| t_opt(m.html.as_deref())))
        .bind(col(|m| t_opt(m.html_note.as_deref())))
        .bind(col(|m| {
            Some(Cow::Owned(t(&m.attachments.to_json()).into_owned()))
        }))
        .bind(col(|m| Some(Cow::Borrowed(m.via.as_str()))))
        .bind(
            rows.iter()
                .map(|(_, m)| m.reconstructed)
                .collect::<Vec<_>>(),
        )
        .bind(col(|m| {
            Some(Cow::Owned(t(&m.recipients.to_json()).into_owned()))
        }))
}

fn resolved<'m>(
    messages: impl Iterator<Item = &'m NewMessage>,
    new_ids: &[ThreadId],
) -> Result<Vec<(ThreadId, &'m NewMessage)>> {
    messages
        .map(|m| Ok((resolve(m.place.thread, new_ids)?, m)))
        .collect()
}

/// Originals overwriting their reconstructed rows, before the inserts: a row it renames may
/// free a Message-ID that a new message of this batch takes.
async fn apply_replacements(
    conn: &mut PgConnection,
    ws: &WriteSet,
    new_ids: &[ThreadId],
) -> Result<()> {
    if ws.replacements.is_empty() {
        return Ok(());
    }
    let rows = resolved(ws.replacements.iter().map(|(_, m)| m), new_ids)?;
    let ids: Vec<i64> = ws.replacements.iter().map(|(id, _)| *id).collect();
    let cols = MESSAGE_WRITE_COLUMNS.join(", ");
    let values = (MESSAGE_WRITE_COLUMNS.iter())
        .map(|c| format!("v.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "UPDATE messages SET ({cols}) = ({values}) FROM {} AS v({cols}, row_id) \
         WHERE messages.id = v.row_id",
        unnest_messages(&["BIGINT"])
    );
    bind_messages(sqlx::query(AssertSqlSafe(sql)), &rows)
        .bind(ids)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn insert_messages(
    conn: &mut PgConnection,
    ws: &WriteSet,
    new_ids: &[ThreadId],
) -> Result<()> {
    if ws.messages.is_empty() {
        return Ok(());
    }
    let rows = resolved(ws.messages.iter(), new_ids)?;
    let sql = format!(
        "INSERT INTO messages ({}) SELECT * FROM {}",
        MESSAGE_WRITE_COLUMNS.join(", "),
        unnest_messages(&[])
    );
    bind_messages(sqlx::query(AssertSqlSafe(sql)), &rows)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn insert_refs(conn: &mut PgConnection, ws: &WriteSet, new_ids: &[ThreadId]) -> Result<()> {
    if !ws.refs.is_empty() {
        let r = &ws.refs;
        let thread_ids = r
            .iter()
            .map(|(_, _, th)| resolve(*th, new_ids))
            .collect::<Result<Vec<_>>>()?;
        sqlx::query(
            "INSERT INTO thread_refs (group_id, ref_id, thread_id) \
             SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[]) \
             ON CONFLICT (group_id, ref_id) DO NOTHING",
        )
        .bind(r.iter().map(|(g, _, _)| *g).collect::<Vec<_>>())
        .bind(r.iter().map(|(_, s, _)| t(s)).collect::<Vec<_>>())
        .bind(thread_ids)
        .execute(&mut *conn)
        .await?;
    }

    Ok(())
}

async fn insert_skips(conn: &mut PgConnection, ws: &WriteSet) -> Result<()> {
    if !ws.skips.is_empty() {
        let s = &ws.skips;
        sqlx::query(
            "INSERT INTO skipped (raw_sha256, message_id, reason, detail, at) \
             SELECT k.sha, k.mid, k.reason, k.detail, $5 \
             FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[]) AS k(sha, mid, reason, detail) \
             ON CONFLICT (raw_sha256) DO NOTHING",
        )
        .bind(s.iter().map(|s| t(&s.raw_sha256)).collect::<Vec<_>>())
        .bind(s.iter().map(|s| t(&s.message_id)).collect::<Vec<_>>())
        .bind(s.iter().map(|s| s.reason.as_str()).collect::<Vec<_>>())
        .bind(s.iter().map(|s| t(&s.detail)).collect::<Vec<_>>())
        .bind(common::now())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
