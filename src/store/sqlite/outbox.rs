//! The outbox on SQLite. Every write runs under the database's write lock (`BEGIN IMMEDIATE`),
//! so a claim (one `UPDATE … RETURNING`) sees no other claim in progress: two processes on one
//! file never hold the same delivery.

use sqlx::{AssertSqlSafe, QueryBuilder, Sqlite, SqliteConnection};

use super::{SqliteStore, NOW_MS};
use crate::core::compose::Outgoing;
use crate::core::delivery::points;
use crate::core::plan::BounceNote;
use crate::store::common::{bounce_targets, BounceTarget, CHUNK_ROWS};
use crate::store::outbox::{lost, OutboxStore, CANCELLABLE, RETRYABLE};
use crate::store::outbox::{
    AttemptRow, BounceEvent, ClaimRequest, ClaimedDelivery, DeliveryEnd, DeliveryFilter,
    DeliveryId, DeliveryRow, OutboxCounts, Queued, CLAIM_COLUMNS, DELIVERY_COLUMNS,
};
use crate::store::Result;

/// Queue `mails` inside the caller's transaction: one `outbox` row each, one delivery per
/// recipient, due at the mail's `not_before`.
pub async fn enqueue_in(conn: &mut SqliteConnection, mails: &[Outgoing]) -> Result<Vec<Queued>> {
    let mut out = Vec::with_capacity(mails.len());
    for m in mails {
        let outbox_id: i64 = sqlx::query_scalar(
            "INSERT INTO outbox (message_id, kind, subject, bytes, created_at) \
             VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(m.message_id.as_str())
        .bind(m.kind.as_str())
        .bind(m.subject.as_str())
        .bind(m.bytes.as_slice())
        .bind(m.created_at)
        .fetch_one(&mut *conn)
        .await?;
        let mut rows: Vec<(i64, String)> = Vec::with_capacity(m.deliveries.len());
        for chunk in m.deliveries.chunks(CHUNK_ROWS) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO outbox_deliveries (outbox_id, recipient, token, state, \
                 next_attempt_at, updated_at) ",
            );
            qb.push_values(chunk, |mut b, d| {
                b.push_bind(outbox_id)
                    .push_bind(d.recipient.as_str())
                    .push_bind(d.token.as_str())
                    .push_bind("queued")
                    .push_bind(m.not_before)
                    .push_bind(m.created_at);
            });
            qb.push(" RETURNING id, token");
            rows.extend(
                qb.build_query_as::<(i64, String)>()
                    .fetch_all(&mut *conn)
                    .await?,
            );
        }
        out.push(crate::store::common::queued(outbox_id, m, rows));
    }
    Ok(out)
}

/// Match each bounce to its delivery and count it against the delivery's recipient, inside the
/// ingest transaction. A bounce mail counts once per address however often it is stored.
pub(super) async fn apply_bounces(conn: &mut SqliteConnection, notes: &[BounceNote]) -> Result<()> {
    for note in notes {
        let candidates: Vec<(i64, String, String)> =
            match (&note.bounce.token, &note.bounce.message_id) {
                (Some(token), _) => {
                    sqlx::query_as(
                        "SELECT id, recipient, state FROM outbox_deliveries WHERE token = ?",
                    )
                    .bind(token.as_str())
                    .fetch_all(&mut *conn)
                    .await?
                }
                (None, Some(id)) => {
                    sqlx::query_as(
                        "SELECT d.id, d.recipient, d.state FROM outbox_deliveries d \
                 JOIN outbox o ON o.id = d.outbox_id WHERE o.message_id = ?",
                    )
                    .bind(id.as_str())
                    .fetch_all(&mut *conn)
                    .await?
                }
                (None, None) => continue,
            };
        for target in bounce_targets(note, &candidates) {
            record_bounce(conn, note, &target).await?;
        }
    }
    Ok(())
}

async fn record_bounce(
    conn: &mut SqliteConnection,
    note: &BounceNote,
    t: &BounceTarget,
) -> Result<()> {
    let inserted = sqlx::query(
        "INSERT INTO bounces (address, at, severity, points, source, status, detail, delivery_id, \
         raw_sha256) VALUES (?, ?, ?, ?, 'mail', ?, ?, ?, ?) \
         ON CONFLICT (raw_sha256, address) DO NOTHING",
    )
    .bind(t.address.as_str())
    .bind(note.at)
    .bind(t.severity.as_str())
    .bind(points(t.severity))
    .bind(t.status.as_deref())
    .bind(t.detail.as_str())
    .bind(t.delivery_id)
    .bind(note.raw_sha256.as_str())
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() > 0 {
        sqlx::query(
            "UPDATE outbox_deliveries SET state = 'bounced', last_reply = ?, updated_at = ? \
             WHERE id = ? AND state = 'sent'",
        )
        .bind(t.detail.as_str())
        .bind(note.at)
        .bind(t.delivery_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl OutboxStore for SqliteStore {
    async fn enqueue(&self, mails: &[Outgoing]) -> Result<Vec<Queued>> {
        let mut tx = self.write_tx().await?;
        let queued = enqueue_in(&mut tx, mails).await?;
        tx.commit().await?;
        Ok(queued)
    }

    async fn claim_deliveries(&self, req: &ClaimRequest) -> Result<Vec<ClaimedDelivery>> {
        let mut tx = self.write_tx().await?;
        let mut qb = QueryBuilder::<Sqlite>::new("UPDATE outbox_deliveries SET lease_holder = ");
        qb.push_bind(req.holder.as_str())
            .push(format!(", lease_until = {NOW_MS} + "))
            .push_bind(req.lease_secs.saturating_mul(1000))
            .push(" WHERE id IN (SELECT id FROM outbox_deliveries WHERE state IN ('queued', 'retrying')")
            .push(format!(" AND (lease_until IS NULL OR lease_until <= {NOW_MS} OR lease_holder = "))
            .push_bind(req.holder.as_str())
            .push(")");
        match &req.only {
            Some(ids) => {
                qb.push(" AND id IN (");
                let mut list = qb.separated(", ");
                for id in ids {
                    list.push_bind(*id);
                }
                qb.push(")");
            }
            None => {
                qb.push(" AND next_attempt_at <= ").push_bind(req.now);
            }
        }
        qb.push(" ORDER BY next_attempt_at, id LIMIT ")
            .push_bind(req.limit)
            .push(") RETURNING id");
        let ids: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *tx).await?;
        let mut claimed = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK_ROWS) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {CLAIM_COLUMNS} FROM outbox_deliveries d JOIN outbox o ON o.id = d.outbox_id \
                 WHERE d.id IN ("
            ));
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            claimed.extend(
                qb.build_query_as::<ClaimedDelivery>()
                    .fetch_all(&mut *tx)
                    .await?,
            );
        }
        tx.commit().await?;
        claimed.sort_by_key(|c| c.id);
        Ok(claimed)
    }

    async fn start_attempt(&self, id: DeliveryId, holder: &str, now: i64) -> Result<i64> {
        let mut tx = self.write_tx().await?;
        let row: Option<(i64, bool)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT attempts, in_flight FROM outbox_deliveries \
             WHERE id = ? AND lease_holder = ? AND lease_until > {NOW_MS}"
        )))
        .bind(id)
        .bind(holder)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((attempts, in_flight)) = row else {
            return Err(lost(id, holder));
        };
        if in_flight {
            sqlx::query(
                "UPDATE outbox_attempts SET ended_at = ?, outcome = 'interrupted' \
                 WHERE delivery_id = ? AND attempt = ? AND ended_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .bind(attempts)
            .execute(&mut *tx)
            .await?;
        }
        let attempt = attempts + 1;
        sqlx::query(
            "UPDATE outbox_deliveries SET attempts = ?, in_flight = 1, updated_at = ? WHERE id = ?",
        )
        .bind(attempt)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO outbox_attempts (delivery_id, attempt, holder, started_at) VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(attempt)
        .bind(holder)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(attempt)
    }

    async fn finish_delivery(&self, id: DeliveryId, holder: &str, end: &DeliveryEnd) -> Result<()> {
        let mut tx = self.write_tx().await?;
        // An attempt this turn started gets the outcome; one left open by a dead sender
        // (a delivery settled without a new attempt) is closed as interrupted.
        let outcome = if end.attempted {
            end.outcome.as_str()
        } else {
            "interrupted"
        };
        sqlx::query(
            "UPDATE outbox_attempts SET ended_at = ?, outcome = ?, code = ?, reply = ? \
             WHERE delivery_id = ? AND ended_at IS NULL",
        )
        .bind(end.at)
        .bind(outcome)
        .bind(end.code.filter(|_| end.attempted))
        .bind(end.attempted.then_some(end.reply.as_str()))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let sent = end.state == crate::store::outbox::DeliveryState::Sent;
        let done = sqlx::query(
            "UPDATE outbox_deliveries SET state = ?, in_flight = 0, last_code = ?, last_reply = ?, \
             next_attempt_at = COALESCE(?, next_attempt_at), failure = ?, \
             sent_at = CASE WHEN ? THEN ? ELSE sent_at END, lease_holder = NULL, \
             lease_until = NULL, updated_at = ? WHERE id = ? AND lease_holder = ?",
        )
        .bind(end.state.as_str())
        .bind(end.code)
        .bind(end.reply.as_str())
        .bind(end.next_attempt_at)
        .bind(end.failure.map(|f| f.as_str()))
        .bind(sent)
        .bind(end.at)
        .bind(end.at)
        .bind(id)
        .bind(holder)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(lost(id, holder));
        }
        if let Some(severity) = end.bounce {
            sqlx::query(
                "INSERT INTO bounces (address, at, severity, points, source, status, detail, \
                 delivery_id) SELECT recipient, ?, ?, ?, 'smtp', ?, ?, id \
                 FROM outbox_deliveries WHERE id = ?",
            )
            .bind(end.at)
            .bind(severity.as_str())
            .bind(points(severity))
            .bind(end.code.map(|c| c.to_string()))
            .bind(end.reply.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn release_deliveries(&self, ids: &[DeliveryId], holder: &str) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.write_tx().await?;
        for chunk in ids.chunks(CHUNK_ROWS) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "UPDATE outbox_deliveries SET lease_holder = NULL, lease_until = NULL \
                 WHERE lease_holder = ",
            );
            qb.push_bind(holder).push(" AND id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            qb.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn deliveries(&self, f: &DeliveryFilter) -> Result<Vec<DeliveryRow>> {
        let mut qb = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {DELIVERY_COLUMNS} FROM outbox_deliveries d JOIN outbox o ON o.id = d.outbox_id \
             WHERE 1 = 1"
        ));
        if let Some(state) = f.state {
            qb.push(" AND d.state = ").push_bind(state.as_str());
        }
        if let Some(r) = &f.recipient {
            qb.push(" AND d.recipient = ")
                .push_bind(r.to_ascii_lowercase());
        }
        if let Some(id) = f.outbox_id {
            qb.push(" AND d.outbox_id = ").push_bind(id);
        }
        qb.push(" ORDER BY d.id DESC");
        if f.limit > 0 {
            qb.push(" LIMIT ").push_bind(f.limit);
        }
        Ok(qb.build_query_as().fetch_all(&self.pool).await?)
    }

    async fn attempts(&self, id: DeliveryId) -> Result<Vec<AttemptRow>> {
        Ok(sqlx::query_as(
            "SELECT delivery_id, attempt, holder, started_at, ended_at, outcome, code, reply \
             FROM outbox_attempts WHERE delivery_id = ? ORDER BY attempt",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Sets `state` on the listed deliveries that are in one of `from` and held by no sender.
    async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, COUNT(*) FROM outbox_deliveries GROUP BY state")
                .fetch_all(&self.pool)
                .await?;
        let bounces: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bounces")
            .fetch_one(&self.pool)
            .await?;
        Ok(OutboxCounts::from_rows(rows, bounces))
    }

    async fn bounce_events(&self, addresses: Option<&[String]>) -> Result<Vec<BounceEvent>> {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT id, address, at, severity, points, source, status, detail, delivery_id \
             FROM bounces WHERE cleared_at IS NULL",
        );
        if let Some(list) = addresses {
            if list.is_empty() {
                return Ok(Vec::new());
            }
            qb.push(" AND address IN (");
            let mut sep = qb.separated(", ");
            for a in list {
                sep.push_bind(a.to_ascii_lowercase());
            }
            qb.push(")");
        }
        qb.push(" ORDER BY address, at, id");
        Ok(qb.build_query_as().fetch_all(&self.pool).await?)
    }

    async fn clear_bounces(&self, address: &str, now: i64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE bounces SET cleared_at = ? WHERE address = ? AND cleared_at IS NULL",
        )
        .bind(now)
        .bind(address.trim().to_ascii_lowercase())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn retry_deliveries(&self, ids: &[DeliveryId], now: i64) -> Result<u64> {
        self.outbox_set_state(ids, "queued", RETRYABLE, now).await
    }

    async fn cancel_deliveries(&self, ids: &[DeliveryId], now: i64) -> Result<u64> {
        self.outbox_set_state(ids, "cancelled", CANCELLABLE, now)
            .await
    }
}

impl SqliteStore {
    async fn outbox_set_state(
        &self,
        ids: &[DeliveryId],
        to: &str,
        from: &str,
        now: i64,
    ) -> Result<u64> {
        let mut tx = self.write_tx().await?;
        let mut n = 0;
        for chunk in ids.chunks(CHUNK_ROWS) {
            let mut qb = QueryBuilder::<Sqlite>::new("UPDATE outbox_deliveries SET state = ");
            qb.push_bind(to).push(", updated_at = ").push_bind(now);
            if to == "queued" {
                qb.push(", failure = NULL, next_attempt_at = ")
                    .push_bind(now);
            }
            qb.push(format!(
                " WHERE state IN ({from}) AND (lease_until IS NULL OR lease_until <= {NOW_MS}) AND id IN ("
            ));
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            n += qb.build().execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        Ok(n)
    }
}
