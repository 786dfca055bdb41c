//! The one implementation of the moderation queue, the audit log, retraction and the undo
//! window's cancels for both backends, as a macro over the backend's store type, database type,
//! connection type, placeholder rewrite, `enqueue_in` and transaction opener (as
//! [`digest_store_impl`](crate::store::digest::digest_store_impl) does). Every statement is
//! plain SQL both databases read alike (`reconstructed = FALSE`, `CAST(? AS TEXT)`), written
//! with `?` placeholders; `QueryBuilder` numbers its own. Expanded in the backend's `policy`
//! module, whose functions the backend's ingest and mapping code call.

macro_rules! policy_store_impl {
    ($store:ty, $db:ty, $conn:ty, $sql:path, $enqueue:path, $begin:ident) => {
        use sqlx::QueryBuilder;

        use $crate::core::plan::{Known, Lookup, PendingCancel, WriteSet};
        use $crate::store::policy::{
            audit_entry, held_entry, retraction_audit, AuditEntry, AuditFilter, AuditRow,
            AuditTuple, Cancelled, HeldDecision, PolicyStore, HeldEntry, HeldState, HeldTuple, RetractTarget,
            Retracted, Retraction, AUDIT_COLUMNS, HELD_COLUMNS,
        };
        use $crate::store::Result;

        /// Rows per multi-row insert: 7 binds each, well under either backend's bind limit.
        const ROWS: usize = 256;

        /// A statement written with `?` placeholders, in this backend's.
        fn q(sql: &str) -> sqlx::AssertSqlSafe<String> {
            sqlx::AssertSqlSafe($sql(sql))
        }

        /// The moderation state of the held mails the lookup asks about.
        pub async fn answer_held(
            conn: &mut $conn,
            lookup: &Lookup,
            known: &mut Known,
        ) -> Result<()> {
            for chunk in lookup.held.chunks(ROWS) {
                let mut qb = QueryBuilder::<$db>::new(
                    "SELECT raw_sha256, state FROM held WHERE raw_sha256 IN (",
                );
                in_list(&mut qb, chunk);
                let rows: Vec<(String, String)> = qb.build_query_as().fetch_all(&mut *conn).await?;
                for (sha, state) in rows {
                    if let Some(s) = HeldState::parse(&state) {
                        known.held.insert(sha, s);
                    }
                }
            }
            Ok(())
        }

        /// The write set's held mails and audit lines.
        pub async fn apply_policy(conn: &mut $conn, ws: &WriteSet) -> Result<()> {
            for h in &ws.held {
                let state = if h.publish_at.is_some() {
                    "pending"
                } else {
                    "held"
                };
                sqlx::query(q(
                    "INSERT INTO held (raw_sha256, message_id, sender, subject, groups, rule, \
                     reason, held_at, state, publish_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                     ON CONFLICT (raw_sha256) DO NOTHING",
                ))
                .bind(h.raw_sha256.as_str())
                .bind(h.message_id.as_str())
                .bind(h.sender.as_str())
                .bind(h.subject.as_str())
                .bind(h.groups.join(","))
                .bind(h.rule.as_str())
                .bind(h.reason.as_str())
                .bind(h.at)
                .bind(state)
                .bind(h.publish_at)
                .execute(&mut *conn)
                .await?;
            }
            for cancel in &ws.cancels {
                cancel_in(conn, cancel).await?;
            }
            insert_audit(conn, &ws.audit).await?;
            apply_retractions(conn, ws).await
        }

        /// An author's cancel of a post in its undo window (a `CANCEL` reply, or the web): the
        /// post set `cancelled` while still pending. A cancel that lost the race with the undo
        /// worker (the post was published since it was read as pending) still stops it: what
        /// went live is retracted, audited as the author's. A post rejected or cancelled
        /// meanwhile is left alone.
        pub async fn cancel_in(conn: &mut $conn, cancel: &PendingCancel) -> Result<Cancelled> {
            let done = sqlx::query(q(
                "UPDATE held SET state = 'cancelled', decided_at = ?, decided_by = ? \
                 WHERE id = ? AND state = 'pending'",
            ))
            .bind(cancel.at)
            .bind(cancel.actor.as_str())
            .bind(cancel.held_id)
            .execute(&mut *conn)
            .await?;
            if done.rows_affected() > 0 {
                return Ok(Cancelled::Stopped);
            }
            let released: Option<String> = sqlx::query_scalar(q(
                "SELECT message_id FROM held WHERE id = ? AND state = 'approved'",
            ))
            .bind(cancel.held_id)
            .fetch_optional(&mut *conn)
            .await?;
            let Some(message_id) = released else {
                return Ok(Cancelled::Unchanged);
            };
            let r = Retraction {
                target: RetractTarget::Message(message_id),
                actor: &cancel.actor,
                now: cancel.at,
                purge_after: cancel.purge_after,
            };
            Ok(match retract_in(conn, &r).await? {
                Some(_) => Cancelled::Retracted,
                None => Cancelled::Unchanged,
            })
        }

        pub async fn insert_audit(conn: &mut $conn, rows: &[AuditRow]) -> Result<()> {
            for chunk in rows.chunks(ROWS) {
                let mut qb = QueryBuilder::<$db>::new(
                    "INSERT INTO audit_log (at, actor, action, rule, message_id, detail) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(r.at)
                        .push_bind(r.actor.as_str())
                        .push_bind(r.action.as_str())
                        .push_bind(r.rule.as_deref())
                        .push_bind(r.message_id.as_deref())
                        .push_bind(r.detail.as_str());
                });
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        #[async_trait::async_trait]
        impl PolicyStore for $store {
            async fn held(
                &self,
                state: Option<HeldState>,
                limit: i64,
            ) -> Result<Vec<HeldEntry>> {
                let rows: Vec<HeldTuple> = sqlx::query_as(q(&format!(
                    "SELECT {HELD_COLUMNS} FROM held WHERE (CAST(? AS TEXT) IS NULL OR state = ?) \
                     ORDER BY held_at, id LIMIT ?"
                )))
                .bind(state.map(HeldState::as_str))
                .bind(state.map(HeldState::as_str))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(held_entry).collect()
            }

            async fn pending_from(&self, sender: &str) -> Result<Vec<HeldEntry>> {
                let rows: Vec<HeldTuple> = sqlx::query_as(q(&format!(
                    "SELECT {HELD_COLUMNS} FROM held WHERE state = 'pending' AND LOWER(sender) = ? \
                     ORDER BY publish_at, id"
                )))
                .bind(sender.to_ascii_lowercase())
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(held_entry).collect()
            }

            async fn held_one(
                &self,
                id: i64,
            ) -> Result<Option<(HeldEntry, Vec<u8>)>> {
                let row: Option<HeldTuple> =
                    sqlx::query_as(q(&format!("SELECT {HELD_COLUMNS} FROM held WHERE id = ?")))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                let Some(row) = row else { return Ok(None) };
                let entry = held_entry(row)?;
                let bytes: Option<Vec<u8>> =
                    sqlx::query_scalar(q("SELECT bytes FROM raw_mails WHERE sha256 = ?"))
                        .bind(entry.raw_sha256.as_str())
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(Some((entry, bytes.unwrap_or_default())))
            }

            async fn decide_held(
                &self,
                d: &HeldDecision<'_>,
            ) -> Result<Option<HeldEntry>> {
                let mut tx = self.$begin().await?;
                let row: Option<HeldTuple> = sqlx::query_as(q(&format!(
                    "UPDATE held SET state = ?, decided_at = ?, decided_by = ?, note = ? \
                     WHERE id = ? AND state IN ('held', 'pending') RETURNING {HELD_COLUMNS}"
                )))
                .bind(d.state.as_str())
                .bind(d.now)
                .bind(d.actor)
                .bind(d.note)
                .bind(d.id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    tx.rollback().await?;
                    return Ok(None);
                };
                let entry = held_entry(row)?;
                insert_audit(
                    &mut tx,
                    &[$crate::store::policy::decision_audit(&entry, d)],
                )
                .await?;
                if let Some(n) = d.notice {
                    $enqueue(&mut tx, std::slice::from_ref(n)).await?;
                }
                tx.commit().await?;
                Ok(Some(entry))
            }

            async fn due_pending(&self, now: i64, limit: i64) -> Result<Vec<i64>> {
                let ids: Vec<i64> = sqlx::query_scalar(q(
                    "SELECT id FROM held WHERE state = 'pending' AND publish_at <= ? \
                     ORDER BY publish_at, id LIMIT ?",
                ))
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(ids)
            }

            async fn cancel_pending(
                &self,
                cancel: &PendingCancel,
                audit: &AuditRow,
            ) -> Result<Cancelled> {
                let mut tx = self.$begin().await?;
                let done = cancel_in(&mut tx, cancel).await?;
                if done == Cancelled::Stopped {
                    insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
                }
                tx.commit().await?;
                Ok(done)
            }

            async fn append_audit(&self, rows: &[AuditRow]) -> Result<()> {
                let mut tx = self.$begin().await?;
                insert_audit(&mut tx, rows).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn audit(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
                let mut qb = QueryBuilder::<$db>::new(format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE id > "
                ));
                qb.push_bind(f.after_id);
                for (col, v) in [
                    ("action", &f.action),
                    ("actor", &f.actor),
                    ("rule", &f.rule),
                    ("message_id", &f.message_id),
                ] {
                    if let Some(v) = v {
                        qb.push(format!(" AND {col} = ")).push_bind(v.as_str());
                    }
                }
                if let Some(s) = f.since {
                    qb.push(" AND at >= ").push_bind(s);
                }
                if let Some(u) = f.until {
                    qb.push(" AND at <= ").push_bind(u);
                }
                qb.push(" ORDER BY id LIMIT ").push_bind(f.limit);
                let rows: Vec<AuditTuple> = qb.build_query_as().fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(audit_entry).collect())
            }

            async fn retract(
                &self,
                r: &Retraction<'_>,
            ) -> Result<Option<Retracted>> {
                let mut tx = self.$begin().await?;
                let done = retract_in(&mut tx, r).await?;
                tx.commit().await?;
                Ok(done)
            }

            async fn purge_retracted(&self, now: i64) -> Result<u64> {
                let mut tx = self.$begin().await?;
                let done = sqlx::query(q(
                    "DELETE FROM raw_mails WHERE message_id IN (SELECT message_id FROM \
                     retractions WHERE purge_after IS NOT NULL AND purge_after <= ?)",
                ))
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected())
            }
        }

        /// Message-IDs of the batch that were retracted.
        pub async fn answer_retracted(
            conn: &mut $conn,
            lookup: &Lookup,
            known: &mut Known,
        ) -> Result<()> {
            for chunk in lookup.retracted.chunks(ROWS) {
                let mut qb = QueryBuilder::<$db>::new(
                    "SELECT message_id FROM retractions WHERE message_id IN (",
                );
                in_list(&mut qb, chunk);
                let rows: Vec<String> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
                known.retracted.extend(rows);
            }
            Ok(())
        }

        /// Bind `ids` as the list an `IN (` opened, and close it.
        fn in_list(qb: &mut QueryBuilder<$db>, ids: &[String]) {
            let mut list = qb.separated(", ");
            for id in ids {
                list.push_bind(id.as_str());
            }
            qb.push(")");
        }

        /// `retract` inside the caller's transaction (an author's RETRACT reply is
        /// executed with the batch that brings it).
        pub async fn retract_in(
            conn: &mut $conn,
            r: &Retraction<'_>,
        ) -> Result<Option<Retracted>> {
            let ids: Vec<String> = match &r.target {
                RetractTarget::Message(m) => {
                    sqlx::query_scalar(q(
                        "SELECT DISTINCT message_id FROM messages WHERE message_id = ?",
                    ))
                    .bind(m.as_str())
                    .fetch_all(&mut *conn)
                    .await?
                }
                RetractTarget::Thread(t) => {
                    sqlx::query_scalar(q(
                        "SELECT DISTINCT message_id FROM messages \
                         WHERE thread_id = ? AND reconstructed = FALSE",
                    ))
                    .bind(*t)
                    .fetch_all(&mut *conn)
                    .await?
                }
            };
            if ids.is_empty() {
                return Ok(None);
            }
            let mut qb = QueryBuilder::<$db>::new(
                "SELECT DISTINCT thread_id FROM messages WHERE message_id IN (",
            );
            in_list(&mut qb, &ids);
            let mut threads: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
            if let RetractTarget::Thread(t) = r.target {
                threads.push(t);
            }
            for id in &ids {
                sqlx::query(q(
                    "INSERT INTO retractions (message_id, retracted_at, retracted_by, purge_after) \
                     VALUES (?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING",
                ))
                .bind(id.as_str())
                .bind(r.now)
                .bind(r.actor)
                .bind(r.purge_after)
                .execute(&mut *conn)
                .await?;
            }
            // The retracted text, to find the replies that quote it once the rows are gone.
            let mut qb =
                QueryBuilder::<$db>::new("SELECT body FROM messages WHERE message_id IN (");
            in_list(&mut qb, &ids);
            let bodies: Vec<String> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
            let mut qb =
                QueryBuilder::<$db>::new("DELETE FROM messages WHERE message_id IN (");
            in_list(&mut qb, &ids);
            let mut messages_deleted = qb.build().execute(&mut *conn).await?.rows_affected();
            if let RetractTarget::Thread(t) = r.target {
                // The thread's rebuilt entries go with it (they show the retracted posts' quotes).
                let gone = sqlx::query(q("DELETE FROM messages WHERE thread_id = ?"))
                    .bind(t)
                    .execute(&mut *conn)
                    .await?;
                messages_deleted += gone.rows_affected();
            }
            let quotes_cleared = clear_quotes(conn, &threads, &bodies).await?;
            let threads_deleted = settle_threads(conn, &threads).await?;
            let done = Retracted {
                message_ids: ids,
                messages_deleted,
                threads_deleted,
                quotes_cleared,
            };
            insert_audit(conn, &retraction_audit(r, &done)).await?;
            Ok(Some(done))
        }

        /// After a retraction: delete the `threads` it left without a post, recount the others;
        /// the count deleted.
        async fn settle_threads(conn: &mut $conn, threads: &[i64]) -> Result<u64> {
            let mut deleted = 0;
            for t in threads {
                let gone = sqlx::query(q(
                    "DELETE FROM threads WHERE id = ? AND NOT EXISTS (SELECT 1 FROM messages \
                     WHERE thread_id = ? AND reconstructed = FALSE)",
                ))
                .bind(*t)
                .bind(*t)
                .execute(&mut *conn)
                .await?;
                deleted += gone.rows_affected();
                sqlx::query(q(
                    "UPDATE threads SET message_count = s.n, started_at = s.lo, \
                     last_activity = s.hi FROM (SELECT COUNT(*) AS n, MIN(date) AS lo, \
                     MAX(date) AS hi FROM messages WHERE thread_id = ?) AS s \
                     WHERE threads.id = ?",
                ))
                .bind(*t)
                .bind(*t)
                .execute(&mut *conn)
                .await?;
            }
            Ok(deleted)
        }

        /// Replace the quoted history of the replies in `threads` that quote one of `bodies` (see
        /// [`crate::core::policy::retracted_quotes`]); the count changed.
        async fn clear_quotes(
            conn: &mut $conn,
            threads: &[i64],
            bodies: &[String],
        ) -> Result<u64> {
            use $crate::core::policy::retracted_quotes::{quotes_any, REMOVED_NOTE};
            let mut cleared = 0;
            for t in threads {
                let rows: Vec<(i64, String)> = sqlx::query_as(q(
                    "SELECT id, quoted FROM messages \
                     WHERE thread_id = ? AND quoted <> '' AND quoted <> ?",
                ))
                .bind(*t)
                .bind(REMOVED_NOTE)
                .fetch_all(&mut *conn)
                .await?;
                for (id, quoted) in rows {
                    if quotes_any(&quoted, bodies) {
                        sqlx::query(q("UPDATE messages SET quoted = ? WHERE id = ?"))
                            .bind(REMOVED_NOTE)
                            .bind(id)
                            .execute(&mut *conn)
                            .await?;
                        cleared += 1;
                    }
                }
            }
            Ok(cleared)
        }

        /// Authors of the posts `RETRACT` replies name.
        pub async fn answer_authors(
            conn: &mut $conn,
            lookup: &Lookup,
            known: &mut Known,
        ) -> Result<()> {
            for chunk in lookup.authors.chunks(ROWS) {
                let mut qb = QueryBuilder::<$db>::new(
                    "SELECT message_id, author_email FROM messages \
                     WHERE reconstructed = FALSE AND message_id IN (",
                );
                in_list(&mut qb, chunk);
                let rows: Vec<(String, String)> = qb.build_query_as().fetch_all(&mut *conn).await?;
                known.authors.extend(rows);
            }
            Ok(())
        }

        /// The authors' `RETRACT` replies of a batch, executed after its other writes.
        pub async fn apply_retractions(conn: &mut $conn, ws: &WriteSet) -> Result<()> {
            for a in &ws.retractions {
                let r = Retraction {
                    target: RetractTarget::Message(a.message_id.clone()),
                    actor: &a.actor,
                    now: a.now,
                    purge_after: a.purge_after,
                };
                retract_in(conn, &r).await?;
            }
            Ok(())
        }

        /// Which (group, author) pairs of the lookup have a published post.
        pub async fn answer_posters(
            conn: &mut $conn,
            lookup: &Lookup,
            known: &mut Known,
        ) -> Result<()> {
            for chunk in lookup.posters.chunks(ROWS) {
                let mut qb = QueryBuilder::<$db>::new(
                    "SELECT DISTINCT group_id, author_email FROM messages \
                     WHERE reconstructed = FALSE AND (",
                );
                for (i, (g, a)) in chunk.iter().enumerate() {
                    if i > 0 {
                        qb.push(" OR ");
                    }
                    qb.push("(group_id = ")
                        .push_bind(*g)
                        .push(" AND author_email = ")
                        .push_bind(a.as_str())
                        .push(")");
                }
                qb.push(")");
                let rows: Vec<(i64, String)> = qb.build_query_as().fetch_all(&mut *conn).await?;
                known.posters.extend(rows);
            }
            Ok(())
        }

        /// Which Message-IDs `CANCEL` replies name wait out an undo window.
        pub async fn answer_pending(
            conn: &mut $conn,
            lookup: &Lookup,
            known: &mut Known,
        ) -> Result<()> {
            for chunk in lookup.pending.chunks(ROWS) {
                let mut qb = QueryBuilder::<$db>::new(
                    "SELECT message_id, id, sender FROM held \
                     WHERE state = 'pending' AND message_id IN (",
                );
                in_list(&mut qb, chunk);
                let rows: Vec<(String, i64, String)> =
                    qb.build_query_as().fetch_all(&mut *conn).await?;
                for (message_id, held_id, sender) in rows {
                    let sender = sender.to_ascii_lowercase();
                    let post = $crate::core::plan::PendingPost { held_id, sender };
                    known.pending.insert(message_id, post);
                }
            }
            Ok(())
        }
    };
}

pub(crate) use policy_store_impl;
