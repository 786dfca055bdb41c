//! Full-text search on PostgreSQL: `message_search.doc` (a `tsvector` with a GIN index,
//! migration 0008), written in the ingest transaction, ranked with `ts_rank_cd`.

use sqlx::{AssertSqlSafe, PgConnection, Postgres, QueryBuilder};

use super::super::common::CHUNK_ROWS;
use super::super::search::{
    candidates, has_row_filters, hits, push_row_filters, tsquery, tsquery_filtered, tsvector,
    tuple_document, write_set_documents, HitRow, IndexFilters, IndexTuple, HIT_COLUMNS,
    INDEX_COLUMNS,
};
use super::super::{Result, SearchHit, SearchQuery};
use super::{t, PgStore};
use crate::core::plan::WriteSet;
use crate::core::search::ParsedQuery;

/// Indexes the messages `ws` inserted or overwrote (after both were written). Rows of deleted
/// messages go with them (`ON DELETE CASCADE`).
pub(super) async fn index_messages(conn: &mut PgConnection, ws: &WriteSet) -> Result<()> {
    let docs = write_set_documents(ws);
    if docs.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO message_search (message_id, doc) \
         SELECT m.id, v.doc::tsvector FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[]) AS v(g, mid, doc) \
         JOIN messages m ON m.group_id = v.g AND m.message_id = v.mid \
         ON CONFLICT (message_id) DO UPDATE SET doc = EXCLUDED.doc",
    )
    .bind(docs.iter().map(|(g, _, _)| *g).collect::<Vec<_>>())
    .bind(docs.iter().map(|(_, id, _)| t(id)).collect::<Vec<_>>())
    .bind(docs.iter().map(|(_, _, d)| tsvector(d)).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Indexes the messages queued in `search_pending` (by a migration), a chunk per transaction.
/// Replicas starting together may both work the queue: rows are locked and skipped.
pub(super) async fn index_pending(store: &PgStore) -> Result<()> {
    loop {
        let mut tx = store.pool.begin().await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "DELETE FROM search_pending WHERE message_id IN (SELECT message_id FROM search_pending \
             ORDER BY message_id LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING message_id",
        )
        .bind(CHUNK_ROWS as i64)
        .fetch_all(&mut *tx)
        .await?;
        if ids.is_empty() {
            return Ok(());
        }
        reindex(&mut tx, &ids).await?;
        tx.commit().await?;
    }
}

/// Indexes stored messages again from their rows, by id: those a write set re-dated (their
/// date terms change) and those queued by a migration.
pub(super) async fn reindex(conn: &mut PgConnection, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows: Vec<IndexTuple> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {INDEX_COLUMNS} FROM messages WHERE id = ANY($1)"
    )))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO message_search (message_id, doc) \
         SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[]::tsvector[]) \
         ON CONFLICT (message_id) DO UPDATE SET doc = EXCLUDED.doc",
    )
    .bind(rows.iter().map(|r| r.0).collect::<Vec<_>>())
    .bind(
        rows.iter()
            .map(|r| tsvector(&tuple_document(r)))
            .collect::<Vec<_>>(),
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The first window of ids the index path reads, in ids below the newest. At 16 ids per
/// candidate, a query matching one message in sixteen or more finds its candidates in it.
const FIRST_WINDOW: i64 = 16 * super::super::search::RANKED_CANDIDATES;

/// The next window after one of `window` ids held `found` candidates of the `wanted`: twice
/// what the density seen so far needs; every id when too few were seen to tell.
fn next_window(window: i64, found: i64, wanted: i64) -> i64 {
    if found < 8 {
        return i64::MAX;
    }
    window.saturating_mul(2 * wanted) / found
}

pub(super) async fn search(store: &PgStore, query: &SearchQuery) -> Result<Vec<SearchHit>> {
    let parsed = ParsedQuery::parse(&query.text, query.author.as_deref());
    let Some(filters) = IndexFilters::of(query).filter(|_| !parsed.is_empty()) else {
        return Ok(Vec::new());
    };
    // Two ways to the newest matches. Walking message_search newest first and testing each
    // row stops early when most rows match; reading every match from the GIN index (the
    // group and date terms narrowing it) and keeping the newest costs what the matches cost.
    // A date range, a phrase, an author clause (a weighted match) or a filter the index cannot
    // decide can make the walk read most of the table, so those always take the index.
    let walk = !has_row_filters(query)
        && filters.dates.is_none()
        && (parsed.text.iter()).all(|c| c.terms.len() == 1)
        && parsed.author.is_empty();
    // Each statement is planned for this query's terms (not as a generic prepared statement):
    // how common they are decides between walking the newest messages and reading the index.
    if walk {
        let rows: Vec<HitRow> = statement(query, &parsed, &filters, Path::Walk)
            .build_query_as()
            .persistent(false)
            .fetch_all(&store.pool)
            .await?;
        return Ok(hits(rows, &parsed));
    }
    // The index path reads the matches of a window of the newest ids first: every match it
    // keeps costs a visit to its row (a phrase is checked there, the ids are read there), and
    // a common query's newest candidates are all near the top. Fewer candidates than wanted in
    // the window: the next one is as wide as their density says, or every id. The answer is
    // the one a single read of every match would give (the newest candidates of the table).
    // A date range's matches lie where its dates were filed, not near the newest ids: read
    // at once (no newest id, as in an empty table).
    let newest: Option<i64> = if query.from.is_some() || query.to.is_some() {
        None
    } else {
        sqlx::query_scalar("SELECT max(message_id) FROM message_search")
            .fetch_one(&store.pool)
            .await?
    };
    let mut window = FIRST_WINDOW;
    loop {
        let above = newest.filter(|&n| n > window).map(|n| n - window);
        let rows: Vec<WindowedHit> = statement(query, &parsed, &filters, Path::Index { above })
            .build_query_as()
            .persistent(false)
            .fetch_all(&store.pool)
            .await?;
        let found = rows.first().map_or(0, |r| r.found);
        if above.is_none() || found >= candidates(query) {
            return Ok(hits(rows.into_iter().map(|r| r.hit).collect(), &parsed));
        }
        window = next_window(window, found, candidates(query));
    }
}

/// How a statement finds its candidates.
#[derive(Clone, Copy)]
enum Path {
    /// Newest rows first, each tested; stops at the candidates wanted.
    Walk,
    /// Every match from the GIN index with an id above `above` (all of them on `None`), the
    /// newest kept; each hit row also says how many candidates were found (`found`).
    Index { above: Option<i64> },
}

/// A hit of the index path and how many candidates its window held.
#[derive(sqlx::FromRow)]
struct WindowedHit {
    #[sqlx(flatten)]
    hit: HitRow,
    found: i64,
}

/// The statement: the newest matches that pass the filters; those ranked with ts_rank_cd
/// (their dates read one by one: the planner would otherwise hash whole tables for a few
/// hundred rows); then the page of them, the only rows whose bodies are read.
fn statement(
    query: &SearchQuery,
    parsed: &ParsedQuery,
    filters: &IndexFilters,
    path: Path,
) -> QueryBuilder<Postgres> {
    let tsq = tsquery(parsed);
    let mut qb = QueryBuilder::<Postgres>::new(
        "WITH c AS (SELECT s.message_id AS id, s.doc FROM message_search s",
    );
    if has_row_filters(query) {
        qb.push(
            " CROSS JOIN LATERAL (SELECT author_email, date FROM messages \
             WHERE id = s.message_id OFFSET 0) m",
        );
    }
    qb.push(" WHERE s.doc @@ CAST(")
        .push_bind(tsquery_filtered(parsed, filters))
        .push(" AS tsquery)");
    push_row_filters(&mut qb, query);
    if let Path::Index { above: Some(above) } = path {
        qb.push(" AND s.message_id > ").push_bind(above);
    }
    // `+ 0` hides the key's index from the planner's ordering: the matches come from the GIN
    // index (and, windowed, the key's range), not from walking the key.
    qb.push(match path {
        Path::Walk => " ORDER BY s.message_id",
        Path::Index { .. } => " ORDER BY s.message_id + 0",
    });
    qb.push(" DESC LIMIT ")
        .push_bind(candidates(query))
        .push("), r AS (SELECT c.id, ts_rank_cd(c.doc, CAST(")
        .push_bind(tsq)
        .push(
            " AS tsquery)) AS rank, d.date FROM c CROSS JOIN LATERAL \
             (SELECT date FROM messages WHERE id = c.id OFFSET 0) d \
             ORDER BY rank DESC, d.date DESC, c.id DESC LIMIT ",
        )
        .push_bind(query.limit)
        .push(" OFFSET ")
        .push_bind(query.offset)
        .push(format!(") SELECT {HIT_COLUMNS}"));
    if let Path::Index { .. } = path {
        qb.push(", (SELECT count(*) FROM c) AS found");
    }
    qb.push(
        " FROM r JOIN messages m ON m.id = r.id \
         JOIN groups g ON g.id = m.group_id ORDER BY r.rank DESC, m.date DESC, m.id DESC",
    );
    qb
}

#[cfg(test)]
mod tests {
    use super::next_window;

    #[test]
    fn windows_widen_by_the_density_seen() {
        // 100 of 300 in 4,800 ids: 2 × 300 / 100 = six times wider.
        assert_eq!(next_window(4_800, 100, 300), 28_800);
        // Too few to tell: every id.
        assert_eq!(next_window(4_800, 7, 300), i64::MAX);
        assert_eq!(next_window(4_800, 0, 300), i64::MAX);
        assert_eq!(next_window(i64::MAX / 2, 10, 300), i64::MAX / 10);
    }
}
