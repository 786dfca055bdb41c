//! Reading threads, groups and raw mail for pages, the API and exports: one SQL for both
//! backends (`$N` parameters and `CAST`, which both read), implemented once by
//! [`read_store_impl`] in each backend's module.

use async_trait::async_trait;

use crate::core::plan::{GroupId, MessageRowId, ThreadId};
use crate::store::{GroupSummary, MessageRow, RawRow, Result, ThreadDetail, ThreadSummary};

/// The read view's storage. Part of every [`Store`](crate::store::Store).
#[async_trait]
pub trait ReadStore: Send + Sync {
    async fn group_summaries(&self) -> Result<Vec<GroupSummary>>;
    /// Threads of a group, latest activity first.
    async fn threads(
        &self,
        group_id: GroupId,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ThreadSummary>>;
    async fn thread(&self, id: ThreadId) -> Result<Option<ThreadDetail>>;
    /// Messages in id order after `after_id`, for export.
    async fn messages_after(&self, after_id: MessageRowId, limit: i64) -> Result<Vec<MessageRow>>;
    /// Threads in id order after `after_id`, for export.
    async fn threads_after(&self, after_id: ThreadId, limit: i64) -> Result<Vec<ThreadSummary>>;
    /// Raw mails in arrival order after `after_seq`, for export and reprocess.
    async fn raws_after(&self, after_seq: i64, limit: i64) -> Result<Vec<RawRow>>;
}

/// `impl ReadStore` for a backend's store type (a struct with a sqlx `pool`), in a module of
/// its own.
macro_rules! read_store_impl {
    ($store:ident) => {
        mod read_impl {
            use async_trait::async_trait;
            use sqlx::AssertSqlSafe;

            use super::$store;
            use $crate::core::plan::{GroupId, MessageRowId, ThreadId};
            use $crate::store::common::{MESSAGE_COLUMNS, THREAD_COLUMNS};
            use $crate::store::read::ReadStore;
            use $crate::store::{
                GroupSummary, LinkedThread, MessageRow, RawRow, Result, ThreadDetail,
                ThreadSummary,
            };

            #[async_trait]
            impl ReadStore for $store {
                async fn group_summaries(&self) -> Result<Vec<GroupSummary>> {
                    let rows: Vec<(i64, i64, i64, Option<i64>)> = sqlx::query_as(
                        "SELECT g.id, COUNT(t.id), CAST(COALESCE(SUM(t.message_count), 0) AS BIGINT), MAX(t.last_activity) \
                         FROM groups g LEFT JOIN threads t ON t.group_id = g.id GROUP BY g.id",
                    )
                    .fetch_all(&self.pool)
                    .await?;
                    // The groups as `Store::groups` reads them, with their addresses.
                    let groups = $crate::store::Store::groups(self).await?;
                    Ok($crate::store::common::summaries(groups, rows))
                }

                async fn threads(
                    &self,
                    group_id: GroupId,
                    limit: i64,
                    offset: i64,
                ) -> Result<Vec<ThreadSummary>> {
                    let sql = format!(
                        "SELECT {THREAD_COLUMNS} FROM threads t JOIN groups g ON g.id = t.group_id WHERE t.group_id = $1 \
                         ORDER BY t.last_activity DESC, t.id DESC LIMIT $2 OFFSET $3"
                    );
                    Ok(sqlx::query_as(AssertSqlSafe(sql))
                        .bind(group_id)
                        .bind(limit)
                        .bind(offset)
                        .fetch_all(&self.pool)
                        .await?)
                }

                async fn thread(&self, id: ThreadId) -> Result<Option<ThreadDetail>> {
                    let mut conn = self.pool.acquire().await?;
                    let sql = format!("SELECT {THREAD_COLUMNS} FROM threads t JOIN groups g ON g.id = t.group_id WHERE t.id = $1");
                    let Some(thread) = sqlx::query_as::<_, ThreadSummary>(AssertSqlSafe(sql))
                        .bind(id)
                        .fetch_optional(&mut *conn)
                        .await?
                    else {
                        return Ok(None);
                    };
                    let sql = format!(
                        "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN groups g ON g.id = m.group_id \
                         WHERE m.thread_id = $1 ORDER BY m.date, m.id"
                    );
                    let messages: Vec<MessageRow> = sqlx::query_as(AssertSqlSafe(sql))
                        .bind(id)
                        .fetch_all(&mut *conn)
                        .await?;
                    let linked: Vec<LinkedThread> = sqlx::query_as(
                        "SELECT DISTINCT t.id AS thread_id, g.slug AS group_slug, t.subject FROM messages m \
                         JOIN messages o ON o.raw_sha256 = m.raw_sha256 AND o.group_id <> m.group_id \
                         JOIN threads t ON t.id = o.thread_id JOIN groups g ON g.id = t.group_id \
                         WHERE m.thread_id = $1 AND m.raw_sha256 IS NOT NULL ORDER BY t.id",
                    )
                    .bind(id)
                    .fetch_all(&mut *conn)
                    .await?;
                    Ok(Some(ThreadDetail {
                        thread,
                        messages,
                        linked,
                    }))
                }

                async fn messages_after(&self, after_id: MessageRowId, limit: i64) -> Result<Vec<MessageRow>> {
                    let sql = format!(
                        "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN groups g ON g.id = m.group_id \
                         WHERE m.id > $1 ORDER BY m.id LIMIT $2"
                    );
                    Ok(sqlx::query_as(AssertSqlSafe(sql))
                        .bind(after_id)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?)
                }

                async fn threads_after(&self, after_id: ThreadId, limit: i64) -> Result<Vec<ThreadSummary>> {
                    let sql = format!(
                        "SELECT {THREAD_COLUMNS} FROM threads t JOIN groups g ON g.id = t.group_id \
                         WHERE t.id > $1 ORDER BY t.id LIMIT $2"
                    );
                    Ok(sqlx::query_as(AssertSqlSafe(sql))
                        .bind(after_id)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?)
                }

                async fn raws_after(&self, after_seq: i64, limit: i64) -> Result<Vec<RawRow>> {
                    let rows: Vec<$crate::store::common::RawTuple> = sqlx::query_as(
                        "SELECT seq, sha256, source, force_groups, received_at, bytes FROM raw_mails \
                         WHERE seq > $1 ORDER BY seq LIMIT $2",
                    )
                    .bind(after_seq)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows.into_iter().map($crate::store::common::raw_row).collect())
                }
            }
        }
    };
}

pub(crate) use read_store_impl;
