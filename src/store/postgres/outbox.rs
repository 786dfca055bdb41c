//! The outbox on PostgreSQL. A claim locks the due rows it picks with `FOR UPDATE SKIP LOCKED`
//! and leases them in the same statement, so replicas claiming at once take disjoint sets and
//! never wait for each other; the lease keeps them apart afterwards.

use sqlx::{AssertSqlSafe, PgConnection, Postgres, QueryBuilder};

use super::{t, PgStore, NOW_MS};
use crate::core::compose::Outgoing;
use crate::core::delivery::points;
use crate::core::plan::BounceNote;
use crate::store::common::{bounce_targets, queued, BounceTarget};
use crate::store::outbox::{lost, OutboxStore, CANCELLABLE, RETRYABLE};
use crate::store::outbox::{
    AttemptRow, BounceEvent, ClaimRequest, ClaimedDelivery, DeliveryEnd, DeliveryFilter,
    DeliveryId, DeliveryRow, DeliveryState, OutboxCounts, Queued, CLAIM_COLUMNS, DELIVERY_COLUMNS,
};
use crate::store::Result;

/// Queue `mails` inside the caller's transaction: one `outbox` row each, one delivery per
/// recipient, due at the mail's `not_before`.
pub async fn enqueue_in(conn: &mut PgConnection, mails: &[Outgoing]) -> Result<Vec<Queued>> {
    let mut out = Vec::with_capacity(mails.len());
    for m in mails {
        let outbox_id: i64 = sqlx::query_scalar(
            "INSERT INTO outbox (message_id, kind, subject, bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(t(&m.message_id))
        .bind(t(&m.kind))
        .bind(t(&m.subject))
        .bind(m.bytes.as_slice())
        .bind(m.created_at)
        .fetch_one(&mut *conn)
        .await?;
        let recipients: Vec<String> = m
            .deliveries
            .iter()
            .map(|d| t(&d.recipient).into_owned())
            .collect();
        let tokens: Vec<&str> = m.deliveries.iter().map(|d| d.token.as_str()).collect();
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "INSERT INTO outbox_deliveries (outbox_id, recipient, token, state, next_attempt_at, \
             updated_at) SELECT $1, r, tk, 'queued', $4, $5 FROM UNNEST($2::TEXT[], $3::TEXT[]) \
             AS u(r, tk) RETURNING id, token",
        )
        .bind(outbox_id)
        .bind(&recipients)
        .bind(&tokens)
        .bind(m.not_before)
        .bind(m.created_at)
        .fetch_all(&mut *conn)
        .await?;
        out.push(queued(outbox_id, m, rows));
    }
    Ok(out)
}

/// Match each bounce to its delivery and count it against the delivery's recipient, inside the
/// ingest transaction. A bounce mail counts once per address however often it is stored.
pub(super) async fn apply_bounces(conn: &mut PgConnection, notes: &[BounceNote]) -> Result<()> {
    for note in notes {
        let candidates: Vec<(i64, String, String)> =
            match (&note.bounce.token, &note.bounce.message_id) {
                (Some(token), _) => {
                    sqlx::query_as(
                        "SELECT id, recipient, state FROM outbox_deliveries WHERE token = $1",
                    )
                    .bind(t(token))
                    .fetch_all(&mut *conn)
                    .await?
                }
                (None, Some(id)) => {
                    sqlx::query_as(
                        "SELECT d.id, d.recipient, d.state FROM outbox_deliveries d \
                 JOIN outbox o ON o.id = d.outbox_id WHERE o.message_id = $1",
                    )
                    .bind(t(id))
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

async fn record_bounce(conn: &mut PgConnection, note: &BounceNote, b: &BounceTarget) -> Result<()> {
    let inserted = sqlx::query(
        "INSERT INTO bounces (address, at, severity, points, source, status, detail, delivery_id, \
         raw_sha256) VALUES ($1, $2, $3, $4, 'mail', $5, $6, $7, $8) \
         ON CONFLICT (raw_sha256, address) DO NOTHING",
    )
    .bind(t(&b.address))
    .bind(note.at)
    .bind(b.severity.as_str())
    .bind(points(b.severity))
    .bind(b.status.as_deref().map(t))
    .bind(t(&b.detail))
    .bind(b.delivery_id)
    .bind(t(&note.raw_sha256))
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() > 0 {
        sqlx::query(
            "UPDATE outbox_deliveries SET state = 'bounced', last_reply = $1, updated_at = $2 \
             WHERE id = $3 AND state = 'sent'",
        )
        .bind(t(&b.detail))
        .bind(note.at)
        .bind(b.delivery_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl OutboxStore for PgStore {
    async fn enqueue(&self, mails: &[Outgoing]) -> Result<Vec<Queued>> {
        let mut tx = self.pool.begin().await?;
        let queued = enqueue_in(&mut tx, mails).await?;
        tx.commit().await?;
        Ok(queued)
    }

    async fn claim_deliveries(&self, req: &ClaimRequest) -> Result<Vec<ClaimedDelivery>> {
        let due = match &req.only {
            Some(_) => "id = ANY($4)",
            None => "next_attempt_at <= $4",
        };
        let sql = format!(
            "WITH picked AS (SELECT id FROM outbox_deliveries WHERE state IN ('queued', 'retrying') \
             AND (lease_until IS NULL OR lease_until <= {NOW_MS} OR lease_holder = $1) AND {due} \
             ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED), \
             claimed AS (UPDATE outbox_deliveries d SET lease_holder = $1, \
             lease_until = {NOW_MS} + $3 FROM picked WHERE d.id = picked.id RETURNING d.*) \
             SELECT {CLAIM_COLUMNS} FROM claimed d JOIN outbox o ON o.id = d.outbox_id \
             ORDER BY d.id"
        );
        let q = sqlx::query_as::<_, ClaimedDelivery>(AssertSqlSafe(sql))
            .bind(t(&req.holder))
            .bind(req.limit)
            .bind(req.lease_secs.saturating_mul(1000));
        let q = match &req.only {
            Some(ids) => q.bind(ids.clone()),
            None => q.bind(req.now),
        };
        Ok(q.fetch_all(&self.pool).await?)
    }

    async fn start_attempt(&self, id: DeliveryId, holder: &str, now: i64) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let row: Option<(i64, bool)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT attempts, in_flight FROM outbox_deliveries \
             WHERE id = $1 AND lease_holder = $2 AND lease_until > {NOW_MS} FOR UPDATE"
        )))
        .bind(id)
        .bind(t(holder))
        .fetch_optional(&mut *tx)
        .await?;
        let Some((attempts, in_flight)) = row else {
            return Err(lost(id, holder));
        };
        if in_flight {
            sqlx::query(
                "UPDATE outbox_attempts SET ended_at = $1, outcome = 'interrupted' \
                 WHERE delivery_id = $2 AND attempt = $3 AND ended_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .bind(attempts)
            .execute(&mut *tx)
            .await?;
        }
        let attempt = attempts + 1;
        sqlx::query(
            "UPDATE outbox_deliveries SET attempts = $1, in_flight = TRUE, updated_at = $2 WHERE id = $3",
        )
        .bind(attempt)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO outbox_attempts (delivery_id, attempt, holder, started_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(attempt)
        .bind(t(holder))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(attempt)
    }

    async fn finish_delivery(&self, id: DeliveryId, holder: &str, end: &DeliveryEnd) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        // An attempt this turn started gets the outcome; one left open by a dead sender
        // (a delivery settled without a new attempt) is closed as interrupted.
        let outcome = if end.attempted {
            end.outcome.as_str()
        } else {
            "interrupted"
        };
        sqlx::query(
            "UPDATE outbox_attempts SET ended_at = $1, outcome = $2, code = $3, reply = $4 \
             WHERE delivery_id = $5 AND ended_at IS NULL",
        )
        .bind(end.at)
        .bind(outcome)
        .bind(end.code.filter(|_| end.attempted))
        .bind(end.attempted.then(|| t(&end.reply)))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query(
            "UPDATE outbox_deliveries SET state = $1, in_flight = FALSE, last_code = $2, \
             last_reply = $3, next_attempt_at = COALESCE($4, next_attempt_at), failure = $5, \
             sent_at = CASE WHEN $6 THEN $7 ELSE sent_at END, lease_holder = NULL, \
             lease_until = NULL, updated_at = $7 WHERE id = $8 AND lease_holder = $9",
        )
        .bind(end.state.as_str())
        .bind(end.code)
        .bind(t(&end.reply))
        .bind(end.next_attempt_at)
        .bind(end.failure.map(|f| f.as_str()))
        .bind(end.state == DeliveryState::Sent)
        .bind(end.at)
        .bind(id)
        .bind(t(holder))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(lost(id, holder));
        }
        if let Some(severity) = end.bounce {
            sqlx::query(
                "INSERT INTO bounces (address, at, severity, points, source, status, detail, \
                 delivery_id) SELECT recipient, $1, $2, $3, 'smtp', $4, $5, id \
                 FROM outbox_deliveries WHERE id = $6",
            )
            .bind(end.at)
            .bind(severity.as_str())
            .bind(points(severity))
            .bind(end.code.map(|c| c.to_string()))
            .bind(t(&end.reply))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn release_deliveries(&self, ids: &[DeliveryId], holder: &str) -> Result<()> {
        sqlx::query(
            "UPDATE outbox_deliveries SET lease_holder = NULL, lease_until = NULL \
             WHERE lease_holder = $1 AND id = ANY($2)",
        )
        .bind(t(holder))
        .bind(ids)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn deliveries(&self, f: &DeliveryFilter) -> Result<Vec<DeliveryRow>> {
        let mut qb = QueryBuilder::<Postgres>::new(format!(
            "SELECT {DELIVERY_COLUMNS} FROM outbox_deliveries d JOIN outbox o ON o.id = d.outbox_id \
             WHERE TRUE"
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
             FROM outbox_attempts WHERE delivery_id = $1 ORDER BY attempt",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Sets `to` on the listed deliveries that are in one of `from` and held by no sender.
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
        let list: Option<Vec<String>> =
            addresses.map(|a| a.iter().map(|x| x.to_ascii_lowercase()).collect());
        Ok(sqlx::query_as(
            "SELECT id, address, at, severity, points, source, status, detail, delivery_id \
             FROM bounces WHERE cleared_at IS NULL AND ($1::TEXT[] IS NULL OR address = ANY($1)) \
             ORDER BY address, at, id",
        )
        .bind(list)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn clear_bounces(&self, address: &str, now: i64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE bounces SET cleared_at = $1 WHERE address = $2 AND cleared_at IS NULL",
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

impl PgStore {
    async fn outbox_set_state(
        &self,
        ids: &[DeliveryId],
        to: &str,
        from: &str,
        now: i64,
    ) -> Result<u64> {
        let requeue = if to == "queued" {
            ", failure = NULL, next_attempt_at = $2"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE outbox_deliveries SET state = $1, updated_at = $2{requeue} \
             WHERE state IN ({from}) AND (lease_until IS NULL OR lease_until <= {NOW_MS}) \
             AND id = ANY($3)"
        );
        let done = sqlx::query(AssertSqlSafe(sql))
            .bind(to)
            .bind(now)
            .bind(ids)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
