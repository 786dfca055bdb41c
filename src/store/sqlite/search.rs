//! Full-text search on SQLite: the FTS5 table `message_search` (migration 0008), written in
//! the ingest transaction, ranked with bm25.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::super::common::CHUNK_ROWS;
use super::super::search::{
    candidates, fts5_columns, fts5_match, has_row_filters, hits, push_row_filters, tuple_document,
    write_set_documents, HitRow, IndexFilters, IndexTuple, FTS5_WEIGHTS, HIT_COLUMNS,
    INDEX_COLUMNS,
};
use super::super::{Result, SearchHit, SearchQuery};
use super::SqliteStore;
use crate::core::plan::WriteSet;
use crate::core::search::ParsedQuery;

/// Indexes the messages `ws` inserted or overwrote (after both were written). Rows of deleted
/// messages leave through the `messages_search_delete` trigger.
pub(super) async fn index_messages(conn: &mut SqliteConnection, ws: &WriteSet) -> Result<()> {
    let replaced: Vec<i64> = ws.replacements.iter().map(|(id, _)| *id).collect();
    delete_rows(conn, &replaced).await?;
    let docs = write_set_documents(ws);
    for chunk in docs.chunks(CHUNK_ROWS) {
        let mut qb = QueryBuilder::<Sqlite>::new("WITH v(g, mid, s, b, a, f) AS (");
        qb.push_values(chunk, |mut b, (group, message_id, doc)| {
            let [subject, body, author, facets] = fts5_columns(doc);
            b.push_bind(*group)
                .push_bind(*message_id)
                .push_bind(subject)
                .push_bind(body)
                .push_bind(author)
                .push_bind(facets);
        });
        qb.push(
            ") INSERT INTO message_search (rowid, subject, body, author, facets) \
             SELECT m.id, v.s, v.b, v.a, v.f FROM v JOIN messages m \
             ON m.group_id = v.g AND m.message_id = v.mid",
        );
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Appends ` IN (?, ?, …)` with `ids` bound.
fn push_in(qb: &mut QueryBuilder<Sqlite>, ids: &[i64]) {
    qb.push(" IN (");
    let mut list = qb.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    qb.push(")");
}

async fn delete_rows(conn: &mut SqliteConnection, ids: &[i64]) -> Result<()> {
    for chunk in ids.chunks(CHUNK_ROWS) {
        let mut qb = QueryBuilder::<Sqlite>::new("DELETE FROM message_search WHERE rowid");
        push_in(&mut qb, chunk);
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Empties the index and its queue (reprocess rebuilds both through ingest).
pub(super) async fn clear(conn: &mut SqliteConnection) -> Result<()> {
    sqlx::query("INSERT INTO message_search (message_search) VALUES ('delete-all')")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM search_pending")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Indexes stored messages again from their rows, by id: those a write set re-dated (their
/// date terms change) and those queued by a migration.
pub(super) async fn reindex(conn: &mut SqliteConnection, ids: &[i64]) -> Result<()> {
    for ids in ids.chunks(CHUNK_ROWS) {
        let mut qb =
            QueryBuilder::<Sqlite>::new(format!("SELECT {INDEX_COLUMNS} FROM messages WHERE id"));
        push_in(&mut qb, ids);
        let rows: Vec<IndexTuple> = qb.build_query_as().fetch_all(&mut *conn).await?;
        delete_rows(conn, ids).await?;
        if rows.is_empty() {
            continue;
        }
        let mut qb = QueryBuilder::<Sqlite>::new(
            "INSERT INTO message_search (rowid, subject, body, author, facets) ",
        );
        qb.push_values(&rows, |mut b, row| {
            let [subject, body, author, facets] = fts5_columns(&tuple_document(row));
            b.push_bind(row.0)
                .push_bind(subject)
                .push_bind(body)
                .push_bind(author)
                .push_bind(facets);
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Indexes the messages queued in `search_pending` (by a migration), a chunk per transaction.
pub(super) async fn index_pending(store: &SqliteStore) -> Result<()> {
    loop {
        let mut tx = store.write_tx().await?;
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT message_id FROM search_pending ORDER BY message_id LIMIT ?")
                .bind(CHUNK_ROWS as i64)
                .fetch_all(&mut *tx)
                .await?;
        if ids.is_empty() {
            return Ok(());
        }
        reindex(&mut tx, &ids).await?;
        let mut qb = QueryBuilder::<Sqlite>::new("DELETE FROM search_pending WHERE message_id");
        push_in(&mut qb, &ids);
        qb.build().execute(&mut *tx).await?;
        tx.commit().await?;
    }
}

pub(super) async fn search(store: &SqliteStore, query: &SearchQuery) -> Result<Vec<SearchHit>> {
    let parsed = ParsedQuery::parse(&query.text, query.author.as_deref());
    let Some(filters) = IndexFilters::of(query).filter(|_| !parsed.is_empty()) else {
        return Ok(Vec::new());
    };
    // The newest matches that pass the filters (FTS5 walks the index by descending rowid,
    // the group and date terms narrowing it, and stops there), ranked with bm25; then the
    // page of them.
    let mut qb = QueryBuilder::<Sqlite>::new(format!(
        "SELECT {HIT_COLUMNS} FROM (SELECT message_search.rowid AS id, \
         bm25(message_search, {FTS5_WEIGHTS}) AS rank FROM message_search"
    ));
    if has_row_filters(query) {
        // An author address or a date bound within a day: read from the narrow
        // messages_search_filters index, the full-text index kept outermost (CROSS JOIN).
        qb.push(
            " CROSS JOIN messages m INDEXED BY messages_search_filters \
             ON m.id = message_search.rowid",
        );
    }
    qb.push(" WHERE message_search MATCH ")
        .push_bind(fts5_match(&parsed, &filters));
    push_row_filters(&mut qb, query);
    qb.push(" ORDER BY message_search.rowid DESC LIMIT ")
        .push_bind(candidates(query))
        .push(
            ") c JOIN messages m ON m.id = c.id JOIN groups g ON g.id = m.group_id \
             ORDER BY c.rank, m.date DESC, m.id DESC LIMIT ",
        )
        .push_bind(query.limit)
        .push(" OFFSET ")
        .push_bind(query.offset);
    let rows: Vec<HitRow> = qb.build_query_as().fetch_all(&store.pool).await?;
    Ok(hits(rows, &parsed))
}
