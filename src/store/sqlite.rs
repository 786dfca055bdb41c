//! The sqlite implementation of [`Store`](super::Store).
//!
//! Writes run in `BEGIN IMMEDIATE` transactions: the write lock is taken up front, so a
//! transaction that has already read never fails to upgrade (SQLITE_BUSY), and the
//! lookup → plan → apply of one batch sees no concurrent writer. Batches are written with
//! multi-row statements of at most [`CHUNK_ROWS`] rows, cut by [`chunks`].
//!
//! SQL text is built only from this crate's constants (column lists, `NOW_MS`, fixed table
//! names), never from data, which always goes through bind parameters: that is what each
//! `AssertSqlSafe` around a `format!` asserts.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::query_builder::Separated;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, FromRow, QueryBuilder, Sqlite, SqliteConnection};

use super::common::{
    self, assemble_groups, encode_force_groups, merge_touches, people_rows, resolve, zone_rows,
    GuessRecord, KnownBuilder, PublishedTuple, ReconstructionTuple, CHUNK_ROWS, GUESS_COLUMNS,
    MESSAGE_WRITE_COLUMNS, PUBLISHED_BODY_CHARS, RECONSTRUCTION_COLUMNS,
};
use super::{
    QuarantineRow, RawAccount, Result, SearchHit, SearchQuery, SkipCount, Store, StoreError,
};
use crate::core::plan::{Checkpoint, GroupId, Known, Lookup, NewMessage, ThreadId, WriteSet};
use crate::model::{GroupAddress, GroupEntry, Slug};

mod accounts;
crate::store::read::read_store_impl!(SqliteStore);
mod outbox;
pub use outbox::enqueue_in;
mod policy;

mod digest;
mod mapping;
mod search;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The database's clock in unix milliseconds: replicas on different hosts share it. SQLite
/// evaluates 'now' once per statement, so every use within one statement agrees.
const NOW_MS: &str = "CAST(unixepoch('subsec') * 1000 AS INTEGER)";

/// Lets readers wait out a long batch instead of failing with SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Prepared statements kept per connection (see [`SqliteStore::open`]).
const STATEMENT_CACHE: usize = 512;

pub struct SqliteStore {
    pub(crate) pool: sqlx::Pool<sqlx::Sqlite>,
}

impl SqliteStore {
    /// `sqlite:PATH`, `sqlite://PATH` (created if missing, WAL) or `sqlite::memory:`.
    pub async fn open(url: &str) -> Result<Self> {
        let open_err = |source: sqlx::Error| StoreError::open(url, &source);
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let mut options = SqliteConnectOptions::from_str(url)
            .map_err(open_err)?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal)
            // A batch inserts into several indexes with random keys (Message-IDs, hashes):
            // a larger page cache (32 MiB per connection; the default is 2 MiB) keeps them in memory.
            .pragma("cache_size", "-32768")
            // Statement journals (needed by ON CONFLICT inside a transaction) stay in memory.
            .pragma("temp_store", "memory")
            // A 1,000-mail batch writes several MB; with the default (1,000 pages) nearly every
            // commit would also run a checkpoint and its fsync. Checkpoint every ~64 MB instead.
            .pragma("wal_autocheckpoint", "16384")
            // A batch runs a few dozen statement kinds, each at up to ten sizes (`chunks`): more
            // than sqlx's default cache of 100, which then evicts and prepares them again every
            // batch (parsing a 500-row statement costs more than running it).
            .statement_cache_capacity(STATEMENT_CACHE);
        let pool = if memory {
            // An in-memory database lives as long as its connection: keep exactly one.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            options = options
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal);
            // No ping before each use (sqlx's default): a file database's connection does not
            // drop, and each ping is a round trip to the connection's thread.
            SqlitePoolOptions::new()
                .max_connections(8)
                .test_before_acquire(false)
        };
        let pool = pool.connect_with(options).await.map_err(open_err)?;
        Ok(SqliteStore { pool })
    }

    async fn write_tx(&self) -> Result<sqlx::Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
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
        let mut tx = self.write_tx().await?;
        if !addresses.is_empty() {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "SELECT ga.address, g.slug FROM group_addresses ga JOIN groups g ON g.id = ga.group_id WHERE g.slug <> ",
            );
            qb.push_bind(slug).push(" AND ga.address IN (");
            let mut list = qb.separated(", ");
            for a in &addresses {
                list.push_bind(a.as_str());
            }
            qb.push(") ORDER BY ga.address LIMIT 1");
            if let Some((address, other)) = qb
                .build_query_as::<(String, String)>()
                .fetch_optional(&mut *tx)
                .await?
            {
                return Err(common::address_conflict(&address, &other, slug));
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO groups (slug, name, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (slug) DO UPDATE SET name = excluded.name RETURNING id",
        )
        .bind(slug)
        .bind(name)
        .bind(common::now())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM group_addresses WHERE group_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for chunk in chunks(&addresses) {
            let mut qb =
                QueryBuilder::<Sqlite>::new("INSERT INTO group_addresses (address, group_id) ");
            qb.push_values(chunk, |mut b, a| {
                b.push_bind(a.as_str()).push_bind(id);
            });
            qb.build().execute(&mut *tx).await?;
        }
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
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM groups WHERE slug = ?")
            .bind(slug)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
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
        let mut tx = self.write_tx().await?;
        // Fencing, under the write lock and before any work: a replica whose lease ran out
        // while it fetched must not publish (a successor may already be working the mailbox).
        if let Some(cp) = checkpoint {
            if let Some(holder) = &cp.lease_holder {
                let held: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
                    "SELECT 1 FROM leases WHERE name = ? AND holder = ? AND expires_at > {NOW_MS}"
                )))
                .bind(cp.mailbox.as_str())
                .bind(holder.as_str())
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
                "INSERT INTO checkpoints (mailbox, uidvalidity, last_uid, updated_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, \
                 last_uid = excluded.last_uid, updated_at = excluded.updated_at",
            )
            .bind(cp.mailbox.as_str())
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
            "INSERT INTO quarantine (sha256, source, error, received_at, bytes) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256)
        .bind(source)
        .bind(error)
        .bind(received_at)
        .bind(bytes)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn quarantined(&self) -> Result<Vec<QuarantineRow>> {
        Ok(sqlx::query_as(
            "SELECT id, sha256, source, error, received_at, length(bytes) AS size FROM quarantine ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn quarantined_bytes(&self, id: i64) -> Result<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT bytes FROM quarantine WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn reset_derived(&self) -> Result<()> {
        let mut tx = self.write_tx().await?;
        // First, so the delete trigger finds nothing left to remove for each message.
        search::clear(&mut tx).await?;
        for table in [
            "thread_refs",
            "messages",
            "threads",
            "skipped",
            "people",
            "contacts",
        ] {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn acquire_lease(&self, name: &str, holder: &str, ttl_secs: i64) -> Result<bool> {
        // One upsert decides: insert when free, take over when expired, renew when ours. The
        // IMMEDIATE transaction serialises it with other processes on the same file and with
        // ingest's fencing check. `excluded.acquired_at` is this statement's "now".
        let mut tx = self.write_tx().await?;
        let row: Option<String> = sqlx::query_scalar(AssertSqlSafe(format!(
            "INSERT INTO leases (name, holder, expires_at, acquired_at) VALUES (?, ?, {NOW_MS} + ?, {NOW_MS}) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, \
             acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at \
             ELSE excluded.acquired_at END \
             WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.acquired_at \
             RETURNING holder"
        )))
        .bind(name)
        .bind(holder)
        .bind(ttl_secs.saturating_mul(1000))
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.is_some())
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM leases WHERE name = ? AND holder = ?")
            .bind(name)
            .bind(holder)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn checkpoint(&self, mailbox: &str) -> Result<Option<Checkpoint>> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT uidvalidity, last_uid FROM checkpoints WHERE mailbox = ?")
                .bind(mailbox)
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
             s.reason, (SELECT group_concat(m.group_id) FROM messages m WHERE m.group_id IN (SELECT id FROM groups) \
             AND m.message_id = r.message_id AND m.reconstructed = 0) \
             , (SELECT h.state FROM held h WHERE h.raw_sha256 = r.sha256) \
             , EXISTS (SELECT 1 FROM retractions x WHERE x.message_id = r.message_id) \
             FROM raw_mails r LEFT JOIN skipped s ON s.raw_sha256 = r.sha256 \
             WHERE r.seq > ? ORDER BY r.seq LIMIT ?",
        )
        .bind(after_seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(common::raw_account).collect()
    }
}

// --- ingest ---------------------------------------------------------------------------

/// `rows` as statement-sized pieces: full chunks of [`CHUNK_ROWS`], then the rest in
/// power-of-two pieces, largest first. A statement's text depends on its row count, so a
/// batch's odd-sized tail would otherwise be a new statement for SQLite to parse every time;
/// from a small set of sizes each stays prepared in the connection's statement cache.
fn chunks<T>(rows: &[T]) -> impl Iterator<Item = &[T]> {
    let mut rest = rows;
    std::iter::from_fn(move || {
        let n = match rest.len() {
            0 => return None,
            n if n >= CHUNK_ROWS => CHUNK_ROWS,
            n => 1 << n.ilog2(),
        };
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        Some(piece)
    })
}

/// Runs `tail` (which selects from CTE `k(i, g, s)`) over `keys` in chunks; `i` is the key's
/// index in `keys`, so answers map back to the exact key asked.
async fn lookup_keys<T>(
    conn: &mut SqliteConnection,
    keys: &[(GroupId, String)],
    tail: &str,
) -> Result<Vec<T>>
where
    T: for<'r> FromRow<'r, SqliteRow> + Send + Unpin,
{
    let mut out = Vec::new();
    let mut base = 0;
    for chunk in chunks(keys) {
        let mut qb = QueryBuilder::<Sqlite>::new("WITH k(i, g, s) AS (");
        qb.push_values(chunk.iter().enumerate(), |mut b, (j, (g, s))| {
            b.push_bind((base + j) as i64)
                .push_bind(*g)
                .push_bind(s.as_str());
        });
        qb.push(") ").push(tail);
        out.extend(qb.build_query_as::<T>().fetch_all(&mut *conn).await?);
        base += chunk.len();
    }
    Ok(out)
}

/// People's zones, and the rebuilt entries dated by a guess for them.
async fn answer_zones(
    conn: &mut SqliteConnection,
    lookup: &Lookup,
    kb: &mut KnownBuilder,
) -> Result<()> {
    for chunk in chunks(&lookup.zones) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT email, utc_offset, utc_offset_at FROM people \
             WHERE utc_offset IS NOT NULL AND email IN (",
        );
        let mut list = qb.separated(", ");
        for email in chunk {
            list.push_bind(email.as_str());
        }
        qb.push(")");
        let rows: Vec<(String, i32, i64)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        rows.into_iter().for_each(|r| kb.zone(r));
    }
    let [utc_guess, zone_guess] = common::guess_trusts();
    for chunk in chunks(&lookup.guesses) {
        let mut qb = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {GUESS_COLUMNS} FROM messages WHERE reconstructed = 1 AND date_trust IN ("
        ));
        qb.push_bind(utc_guess)
            .push(", ")
            .push_bind(zone_guess)
            .push(") AND date_local IS NOT NULL AND date_shown_by IN (");
        let mut list = qb.separated(", ");
        for email in chunk {
            list.push_bind(email.as_str());
        }
        qb.push(")");
        let rows: Vec<GuessRecord> = qb.build_query_as().fetch_all(&mut *conn).await?;
        rows.into_iter().for_each(|r| kb.guess(r));
    }
    Ok(())
}

/// Answers a [`Lookup`] with a few multi-key queries per kind of key.
async fn answer(conn: &mut SqliteConnection, lookup: &Lookup) -> Result<Known> {
    let mut kb = KnownBuilder::default();
    let rows: Vec<(i64, i64, i64, bool)> = lookup_keys(
        conn,
        &lookup.messages,
        "SELECT k.i, m.id, m.thread_id, m.reconstructed FROM k \
         JOIN messages m ON m.group_id = k.g AND m.message_id = k.s",
    )
    .await?;
    rows.into_iter().for_each(|r| kb.message(lookup, r));

    let rows: Vec<(i64, i64)> = lookup_keys(
        conn,
        &lookup.refs,
        "SELECT k.i, r.thread_id FROM k JOIN thread_refs r ON r.group_id = k.g AND r.ref_id = k.s",
    )
    .await?;
    rows.into_iter().for_each(|r| kb.reference(lookup, r));

    for chunk in chunks(&kb.subject_queries(lookup)) {
        let mut qb = QueryBuilder::<Sqlite>::new("WITH k(i, g, s, lo, hi) AS (");
        qb.push_values(chunk, |mut b, (i, q)| {
            b.push_bind(*i as i64)
                .push_bind(q.group)
                .push_bind(q.key.as_str())
                .push_bind(q.from)
                .push_bind(q.until);
        });
        qb.push(
            ") SELECT k.i, m.thread_id, m.date, m.subject_link FROM k JOIN messages m \
             ON m.group_id = k.g AND m.subject_key = k.s AND m.date BETWEEN k.lo AND k.hi \
             WHERE m.reconstructed = 0",
        );
        let rows: Vec<(i64, i64, i64, bool)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        rows.into_iter().for_each(|r| kb.subject(lookup, r));
    }

    for chunk in chunks(&kb.found_threads()) {
        let mut qb = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {RECONSTRUCTION_COLUMNS} FROM messages WHERE reconstructed = 1 AND thread_id IN ("
        ));
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        qb.push(") ORDER BY thread_id, date, id");
        let rows: Vec<ReconstructionTuple> = qb.build_query_as().fetch_all(&mut *conn).await?;
        rows.into_iter()
            .for_each(|r| kb.reconstruction(common::reconstruction(r)));
    }
    answer_zones(conn, lookup, &mut kb).await?;
    for chunk in chunks(&kb.published_threads()) {
        let mut qb = QueryBuilder::<Sqlite>::new(format!(
            "SELECT thread_id, author_email, author_name, date, substr(body, 1, {PUBLISHED_BODY_CHARS}) \
             FROM messages WHERE reconstructed = 0 AND thread_id IN ("
        ));
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        qb.push(")");
        let rows: Vec<PublishedTuple> = qb.build_query_as().fetch_all(&mut *conn).await?;
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

/// Deletes rebuilt entries found to repeat another, moves the messages and references of
/// merged-away threads into the thread that absorbed them, deletes the emptied threads, and
/// recomputes the absorbing threads' span and count.
async fn apply_merges(
    conn: &mut SqliteConnection,
    ws: &WriteSet,
    new_ids: &[ThreadId],
) -> Result<()> {
    for (id, date, trust) in &ws.redates {
        sqlx::query(
            "UPDATE messages SET date = ?, date_trust = ?, date_local = NULL, date_shown_by = NULL \
             WHERE id = ? AND reconstructed = 1",
        )
        .bind(*date)
        .bind(trust.as_i16())
        .bind(*id)
        .execute(&mut *conn)
        .await?;
    }
    for chunk in chunks(&ws.deletes) {
        let mut qb =
            QueryBuilder::<Sqlite>::new("DELETE FROM messages WHERE reconstructed = 1 AND id IN (");
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        qb.push(")");
        qb.build().execute(&mut *conn).await?;
    }
    let mut targets = Vec::with_capacity(ws.merges.len());
    for m in &ws.merges {
        let into = resolve(m.into, new_ids)?;
        for table in ["messages", "thread_refs"] {
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE {table} SET thread_id = ? WHERE thread_id = ?"
            )))
            .bind(into)
            .bind(m.from)
            .execute(&mut *conn)
            .await?;
        }
        sqlx::query("DELETE FROM threads WHERE id = ?")
            .bind(m.from)
            .execute(&mut *conn)
            .await?;
        targets.push(into);
    }
    targets.sort_unstable();
    targets.dedup();
    for id in targets {
        sqlx::query(
            "UPDATE threads SET message_count = s.n, started_at = s.lo, last_activity = s.hi \
             FROM (SELECT COUNT(*) AS n, MIN(date) AS lo, MAX(date) AS hi FROM messages \
             WHERE thread_id = ?1) AS s WHERE threads.id = ?1",
        )
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Executes a write set: a handful of multi-row statements per table, in an order that keeps
/// every reference valid (threads before messages, replacements before inserts, merges last).
async fn apply(conn: &mut SqliteConnection, ws: &WriteSet) -> Result<()> {
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
async fn record_guesses(conn: &mut SqliteConnection, ws: &WriteSet) -> Result<()> {
    for (group, message_id, guess) in &ws.guesses {
        sqlx::query(
            "UPDATE messages SET date_local = ?, date_shown_by = ? \
             WHERE group_id = ? AND message_id = ? AND reconstructed = 1",
        )
        .bind(guess.local)
        .bind(guess.shown_by.as_str())
        .bind(*group)
        .bind(message_id.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn insert_raws(conn: &mut SqliteConnection, ws: &WriteSet) -> Result<()> {
    for chunk in chunks(&ws.raws) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO raw_mails (sha256, message_id, source, force_groups, received_at, bytes) ",
        );
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.sha256.as_str())
                .push_bind(r.message_id.as_str())
                .push_bind(r.source.as_str())
                .push_bind(encode_force_groups(&r.force_groups))
                .push_bind(r.received_at)
                .push_bind(r.bytes.as_slice());
        });
        qb.push(" ON CONFLICT (sha256) DO NOTHING");
        qb.build().execute(&mut *conn).await?;
    }

    Ok(())
}

async fn upsert_people(conn: &mut SqliteConnection, ws: &WriteSet) -> Result<()> {
    upsert_people_rows(conn, ws).await?;
    for chunk in chunks(&zone_rows(ws)) {
        let mut qb = QueryBuilder::<Sqlite>::new("WITH v(email, utc_offset, seen_at) AS (");
        qb.push_values(chunk, |mut b, (email, z)| {
            b.push_bind(*email).push_bind(z.offset).push_bind(z.seen_at);
        });
        qb.push(
            ") UPDATE people SET utc_offset = v.utc_offset, utc_offset_at = v.seen_at FROM v \
             WHERE people.email = v.email \
             AND (people.utc_offset_at IS NULL OR people.utc_offset_at <= v.seen_at)",
        );
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

async fn upsert_people_rows(conn: &mut SqliteConnection, ws: &WriteSet) -> Result<()> {
    for chunk in chunks(&people_rows(ws)) {
        let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO people (email, name, first_seen) ");
        qb.push_values(chunk, |mut b, p| {
            b.push_bind(p.email)
                .push_bind(p.name)
                .push_bind(p.first_seen);
        });
        qb.push(
            " ON CONFLICT (email) DO UPDATE SET name = COALESCE(excluded.name, people.name), \
             first_seen = MIN(people.first_seen, excluded.first_seen)",
        );
        qb.build().execute(&mut *conn).await?;
    }

    Ok(())
}

/// Inserts the plan's new threads; their ids, in `ws.threads` order.
async fn insert_threads(conn: &mut SqliteConnection, ws: &WriteSet) -> Result<Vec<ThreadId>> {
    // Ids are allocated here rather than read back through RETURNING, whose row order SQLite
    // leaves unspecified; the IMMEDIATE transaction holds the write lock, so MAX(id) is ours.
    let mut new_ids: Vec<ThreadId> = Vec::with_capacity(ws.threads.len());
    if !ws.threads.is_empty() {
        let max: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM threads")
            .fetch_one(&mut *conn)
            .await?;
        new_ids.extend((1..=ws.threads.len() as i64).map(|n| max + n));
    }
    let mut ids = new_ids.as_slice();
    for chunk in chunks(&ws.threads) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO threads (id, group_id, subject, subject_key, started_at, last_activity, \
             message_count) ",
        );
        let (these, rest) = ids.split_at(chunk.len());
        ids = rest;
        qb.push_values(chunk.iter().zip(these), |mut b, (t, id)| {
            b.push_bind(*id)
                .push_bind(t.group_id)
                .push_bind(t.subject.as_str())
                .push_bind(t.subject_key.as_str())
                .push_bind(t.started_at)
                .push_bind(t.last_activity)
                .push_bind(t.message_count);
        });
        qb.build().execute(&mut *conn).await?;
    }

    Ok(new_ids)
}

async fn apply_touches(conn: &mut SqliteConnection, ws: &WriteSet) -> Result<()> {
    for chunk in chunks(&merge_touches(&ws.touches)) {
        let mut qb =
            QueryBuilder::<Sqlite>::new("WITH v(id, started_at, last_activity, added) AS (");
        qb.push_values(chunk, |mut b, t| {
            b.push_bind(t.id)
                .push_bind(t.started_at)
                .push_bind(t.last_activity)
                .push_bind(t.added);
        });
        qb.push(
            ") UPDATE threads SET started_at = MIN(threads.started_at, v.started_at), \
             last_activity = MAX(threads.last_activity, v.last_activity), \
             message_count = threads.message_count + v.added FROM v WHERE threads.id = v.id",
        );
        qb.build().execute(&mut *conn).await?;
    }

    Ok(())
}

async fn apply_replacements(
    conn: &mut SqliteConnection,
    ws: &WriteSet,
    new_ids: &[ThreadId],
) -> Result<()> {
    // Rare (an original arriving after its reconstruction): one statement each, before the
    // inserts, since a row it renames may free a Message-ID that a new message of this batch
    // takes.
    for (row_id, m) in &ws.replacements {
        // Row-value assignment: the same column list and binds as an insert.
        let cols = MESSAGE_WRITE_COLUMNS.join(", ");
        let mut qb = QueryBuilder::<Sqlite>::new(format!("UPDATE messages SET ({cols}) = ("));
        push_message(
            &mut qb.separated(", "),
            resolve(m.place.thread, new_ids)?,
            m,
        );
        qb.push(") WHERE id = ").push_bind(*row_id);
        qb.build().execute(&mut *conn).await?;
    }

    Ok(())
}

/// One message's values for [`MESSAGE_WRITE_COLUMNS`]: shared by insert and replacement.
fn push_message(b: &mut Separated<'_, Sqlite, &'static str>, thread_id: ThreadId, m: &NewMessage) {
    let c = &m.clean;
    b.push_bind(thread_id)
        .push_bind(m.place.group_id)
        .push_bind(m.raw_sha256.as_deref())
        .push_bind(m.message_id.as_str())
        .push_bind(m.author_email.as_str())
        .push_bind(m.author_name.as_deref())
        .push_bind(m.date)
        .push_bind(m.date_trust.as_i16())
        .push_bind(m.subject.as_str())
        .push_bind(m.subject_key.as_str())
        .push_bind(m.subject_link)
        .push_bind(c.body.as_str())
        .push_bind(c.quoted.as_str())
        .push_bind(c.signoff.as_str())
        .push_bind(c.signature.as_str())
        .push_bind(c.disclaimer.as_str())
        .push_bind(m.html.as_deref())
        .push_bind(m.html_note.as_deref())
        .push_bind(m.attachments.to_json())
        .push_bind(m.via.as_str())
        .push_bind(m.reconstructed)
        .push_bind(m.recipients.to_json());
}

async fn insert_messages(
    conn: &mut SqliteConnection,
    ws: &WriteSet,
    new_ids: &[ThreadId],
) -> Result<()> {
    let messages = ws
        .messages
        .iter()
        .map(|m| Ok((resolve(m.place.thread, new_ids)?, m)))
        .collect::<Result<Vec<(ThreadId, &NewMessage)>>>()?;
    for chunk in chunks(&messages) {
        let cols = MESSAGE_WRITE_COLUMNS.join(", ");
        let mut qb = QueryBuilder::<Sqlite>::new(format!("INSERT INTO messages ({cols}) "));
        qb.push_values(chunk, |mut b, (thread_id, m)| {
            push_message(&mut b, *thread_id, m)
        });
        qb.build().execute(&mut *conn).await?;
    }

    Ok(())
}

async fn insert_refs(
    conn: &mut SqliteConnection,
    ws: &WriteSet,
    new_ids: &[ThreadId],
) -> Result<()> {
    let refs = ws
        .refs
        .iter()
        .map(|(g, r, t)| Ok((*g, r.as_str(), resolve(*t, new_ids)?)))
        .collect::<Result<Vec<(GroupId, &str, ThreadId)>>>()?;
    for chunk in chunks(&refs) {
        let mut qb =
            QueryBuilder::<Sqlite>::new("INSERT INTO thread_refs (group_id, ref_id, thread_id) ");
        qb.push_values(chunk, |mut b, (g, r, t)| {
            b.push_bind(*g).push_bind(*r).push_bind(*t);
        });
        qb.push(" ON CONFLICT (group_id, ref_id) DO NOTHING");
        qb.build().execute(&mut *conn).await?;
    }

    Ok(())
}

async fn insert_skips(conn: &mut SqliteConnection, ws: &WriteSet) -> Result<()> {
    let at = common::now();
    for chunk in chunks(&ws.skips) {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO skipped (raw_sha256, message_id, reason, detail, at) ",
        );
        qb.push_values(chunk, |mut b, s| {
            b.push_bind(s.raw_sha256.as_str())
                .push_bind(s.message_id.as_str())
                .push_bind(s.reason.as_str())
                .push_bind(s.detail.as_str())
                .push_bind(at);
        });
        qb.push(" ON CONFLICT (raw_sha256) DO NOTHING");
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::read::ReadStore;
    use crate::store::Store;

    #[test]
    fn chunks_are_full_then_powers_of_two() {
        let sizes = |n: usize| chunks(&vec![0u8; n]).map(<[u8]>::len).collect::<Vec<_>>();
        assert_eq!(sizes(1234), vec![500, 500, 128, 64, 32, 8, 2]);
        assert_eq!(sizes(500), vec![500]);
        assert_eq!(sizes(1), vec![1]);
        assert!(sizes(0).is_empty());
    }

    /// Columns read into the message shape: an unknown `via` is an error naming the column and
    /// the value (never a default), a damaged attachment list reads as empty.
    #[tokio::test]
    async fn unknown_via_is_an_error_damaged_attachments_read_empty() {
        let s = SqliteStore::open("sqlite::memory:").await.unwrap();
        s.migrate().await.unwrap();
        for sql in [
            "INSERT INTO groups (id, slug, name, created_at) VALUES (1, 'eng', 'Eng', 0)",
            "INSERT INTO threads (id, group_id, subject, subject_key, started_at, last_activity) \
             VALUES (1, 1, 'S', 's', 0, 0)",
            "INSERT INTO messages (thread_id, group_id, message_id, author_email, date, subject, \
             body, quoted, signoff, signature, disclaimer, attachments, via) \
             VALUES (1, 1, 'm@x', 'a@x', 0, 'S', 'b', '', '', '', '', 'not json', 'cc')",
        ] {
            sqlx::query(sql).execute(&s.pool).await.unwrap();
        }
        let detail = s.thread(1).await.unwrap().unwrap();
        assert!(detail.messages[0].attachments.is_empty());
        sqlx::query("UPDATE messages SET via = 'carrier-pigeon'")
            .execute(&s.pool)
            .await
            .unwrap();
        let err = s.thread(1).await.unwrap_err().to_string();
        assert!(
            err.contains("via") && err.contains("carrier-pigeon"),
            "{err}"
        );
    }
}
