//! The one implementation of [`DigestStore`](super::digest::DigestStore) for both backends,
//! as a macro over the backend's store type, database type, placeholder rewrite and
//! `enqueue_in`. Every statement is plain SQL both databases read alike.

macro_rules! digest_store_impl {
    ($store:ty, $db:ty, $sql:path, $enqueue:path) => {
        #[async_trait::async_trait]
        impl $crate::store::digest::DigestStore for $store {
            async fn digest_inputs(
                &self,
                history_since: i64,
            ) -> $crate::store::Result<$crate::store::digest::DigestInputs> {
                use $crate::store::digest::*;
                let q = |s: &str| sqlx::AssertSqlSafe($sql(s));
                let people = sqlx::query_as::<$db, PersonFacts>(q(
                    "SELECT e.email, COALESCE(pp.directory_name, p.name) AS name, pp.signed_in_at \
                     FROM (SELECT email FROM people UNION SELECT email FROM person_profiles) e \
                     LEFT JOIN people p ON p.email = e.email \
                     LEFT JOIN person_profiles pp ON pp.email = e.email",
                ))
                .fetch_all(&self.pool)
                .await?;
                let posters = sqlx::query_as::<$db, (String, i64)>(q(
                    "SELECT author_email, MAX(date) FROM messages WHERE reconstructed = FALSE \
                     GROUP BY author_email",
                ))
                .fetch_all(&self.pool)
                .await?;
                let audiences = self.audiences().await?;
                let groups = sqlx::query_as::<$db, (String, String)>(q("SELECT slug, name FROM groups"))
                    .fetch_all(&self.pool)
                    .await?;
                let group_addresses = sqlx::query_as::<$db, (String, String)>(q(
                    "SELECT ga.address, g.slug FROM group_addresses ga \
                     JOIN groups g ON g.id = ga.group_id ORDER BY ga.address",
                ))
                .fetch_all(&self.pool)
                .await?;
                let contacts = sqlx::query_as::<$db, (String, String)>(q("SELECT a, b FROM contacts"))
                    .fetch_all(&self.pool)
                    .await?;
                let choices = sqlx::query_as::<$db, ChoiceRow>(q(
                    "SELECT c.email, g.slug AS group_slug, c.choice FROM digest_choices c \
                     LEFT JOIN groups g ON g.id = c.group_id ORDER BY c.id",
                ))
                .fetch_all(&self.pool)
                .await?;
                let sent = sqlx::query_as::<$db, SentRow>(q(
                    "SELECT s.email, s.period_start, CAST(CASE WHEN EXISTS (SELECT 1 FROM digest_clicks k \
                     WHERE k.send_id = s.id AND k.kind = 'click') OR EXISTS (SELECT 1 FROM \
                     digest_replies r WHERE r.send_id = s.id AND r.outcome = 'published') \
                     THEN 1 ELSE 0 END AS BIGINT) AS acted FROM digest_sends s \
                     WHERE s.decision = 'sent' AND s.period_start >= ? \
                     ORDER BY s.email, s.period_start DESC",
                ))
                .bind(history_since)
                .fetch_all(&self.pool)
                .await?;
                let sent_counts = sqlx::query_as::<$db, (String, i64)>(q(
                    "SELECT email, COUNT(*) FROM digest_sends WHERE decision = 'sent' GROUP BY email",
                ))
                .fetch_all(&self.pool)
                .await?;
                Ok(DigestInputs {
                    people,
                    posters,
                    audiences,
                    groups,
                    group_addresses,
                    contacts,
                    choices,
                    sent,
                    sent_counts,
                })
            }

            async fn digest_candidates(
                &self,
                period: $crate::core::digest::Period,
            ) -> $crate::store::Result<Vec<$crate::core::digest::Candidate>> {
                // Policy seam (docs/DIGESTS.md): held mail never becomes a message and a
                // retracted post's rows are deleted; retractions are excluded here again so a
                // retraction racing a round cannot slip through.
                let rows = sqlx::query_as::<$db, $crate::store::digest_impl::CandidateRow>(
                    sqlx::AssertSqlSafe($sql(
                        "SELECT t.id AS thread_id, g.slug AS group_slug, g.name AS group_name, \
                         t.subject, t.started_at, t.last_activity, m.author_email, m.author_name, \
                         m.date, m.body FROM threads t JOIN groups g ON g.id = t.group_id \
                         JOIN messages m ON m.thread_id = t.id \
                         WHERE t.last_activity >= ? AND m.date >= ? AND m.date < ? \
                         AND m.reconstructed = FALSE AND NOT EXISTS (SELECT 1 FROM \
                         retractions x WHERE x.message_id = m.message_id) \
                         ORDER BY t.id, m.date, m.id",
                    )),
                )
                .bind(period.start)
                .bind(period.start)
                .bind(period.end)
                .fetch_all(&self.pool)
                .await?;
                Ok($crate::store::digest_impl::assemble(rows))
            }

            async fn digest_decided(&self, period_start: i64) -> $crate::store::Result<Vec<String>> {
                Ok(sqlx::query_scalar::<$db, String>(sqlx::AssertSqlSafe($sql(
                    "SELECT email FROM digest_sends WHERE period_start = ?",
                )))
                .bind(period_start)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn record_digests(
                &self,
                digests: &[$crate::store::digest::NewDigest],
            ) -> $crate::store::Result<Vec<Option<i64>>> {
                let q = |s: &str| sqlx::AssertSqlSafe($sql(s));
                let mut tx = self.write_tx().await?;
                let mut out = Vec::with_capacity(digests.len());
                for d in digests {
                    let threads = serde_json::to_string(&d.threads).unwrap_or_else(|_| "[]".into());
                    let id: Option<i64> = sqlx::query_scalar::<$db, i64>(q(
                        "INSERT INTO digest_sends (email, period_start, period_end, decision, token, \
                         threads, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) \
                         ON CONFLICT (email, period_start) DO NOTHING RETURNING id",
                    ))
                    .bind(&d.email)
                    .bind(d.period.start)
                    .bind(d.period.end)
                    .bind(&d.decision)
                    .bind(&d.token)
                    .bind(threads)
                    .bind(d.at)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let (Some(id), Some(mail)) = (id, &d.mail) {
                        let queued = $enqueue(&mut *tx, std::slice::from_ref(mail)).await?;
                        sqlx::query::<$db>(q("UPDATE digest_sends SET outbox_id = ? WHERE id = ?"))
                            .bind(queued[0].outbox_id)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        for (token, thread) in &d.reply_tokens {
                            sqlx::query::<$db>(q(
                                "INSERT INTO digest_reply_tokens (token, send_id, email, thread_id, \
                                 created_at) VALUES (?, ?, ?, ?, ?)",
                            ))
                            .bind(token)
                            .bind(id)
                            .bind(&d.email)
                            .bind(*thread)
                            .bind(d.at)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                    out.push(id);
                }
                tx.commit().await?;
                Ok(out)
            }

            async fn digest_round(
                &self,
                period: $crate::core::digest::Period,
                at: i64,
                finished: bool,
            ) -> $crate::store::Result<()> {
                let sql = if finished {
                    "UPDATE digest_rounds SET finished_at = ? WHERE period_start = ? AND period_end >= ?"
                } else {
                    "INSERT INTO digest_rounds (started_at, period_start, period_end) VALUES (?, ?, ?) \
                     ON CONFLICT (period_start) DO NOTHING"
                };
                sqlx::query::<$db>(sqlx::AssertSqlSafe($sql(sql)))
                    .bind(at)
                    .bind(period.start)
                    .bind(period.end)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn digest_send_by_token(
                &self,
                token: &str,
            ) -> $crate::store::Result<Option<$crate::store::digest::SendRef>> {
                Ok(sqlx::query_as::<$db, $crate::store::digest::SendRef>(sqlx::AssertSqlSafe($sql(
                    "SELECT s.id, s.email, s.period_start, s.threads, (SELECT MIN(d.sent_at) FROM \
                     outbox_deliveries d WHERE d.outbox_id = s.outbox_id) AS sent_at \
                     FROM digest_sends s WHERE s.token = ?",
                )))
                .bind(token)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn record_digest_click(
                &self,
                send_id: i64,
                thread_id: Option<i64>,
                kind: &str,
                at: i64,
            ) -> $crate::store::Result<()> {
                sqlx::query::<$db>(sqlx::AssertSqlSafe($sql(
                    "INSERT INTO digest_clicks (send_id, thread_id, kind, at) VALUES (?, ?, ?, ?)",
                )))
                .bind(send_id)
                .bind(thread_id)
                .bind(kind)
                .bind(at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn set_digest_choice(
                &self,
                c: &$crate::store::digest::NewChoice,
            ) -> $crate::store::Result<()> {
                sqlx::query::<$db>(sqlx::AssertSqlSafe($sql(
                    "INSERT INTO digest_choices (email, group_id, choice, via, send_id, at) \
                     VALUES (?, (SELECT id FROM groups WHERE slug = ?), ?, ?, ?, ?)",
                )))
                .bind(c.email.to_ascii_lowercase())
                .bind(c.group.as_ref().map(|g| g.as_str().to_string()))
                .bind(c.choice.as_str())
                .bind(&c.via)
                .bind(c.send_id)
                .bind(c.at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn record_sign_in(&self, email: &str, at: i64) -> $crate::store::Result<()> {
                sqlx::query::<$db>(sqlx::AssertSqlSafe($sql(
                    "INSERT INTO person_profiles (email, updated_at, signed_in_at) VALUES (?, ?, ?) \
                     ON CONFLICT (email) DO UPDATE SET signed_in_at = excluded.signed_in_at, \
                     updated_at = excluded.updated_at",
                )))
                .bind(email.trim().to_ascii_lowercase())
                .bind(at)
                .bind(at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn audience_add(
                &self,
                group: &$crate::model::Slug,
                p: &$crate::core::digest::audience::Pattern,
                source: &str,
                at: i64,
            ) -> $crate::store::Result<bool> {
                let n = sqlx::query::<$db>(sqlx::AssertSqlSafe($sql(
                    "INSERT INTO audiences (group_id, pattern, source, created_at) \
                     SELECT id, ?, ?, ? FROM groups WHERE slug = ? \
                     ON CONFLICT (group_id, pattern) DO NOTHING",
                )))
                .bind(p.as_str())
                .bind(source)
                .bind(at)
                .bind(group.as_str())
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n > 0)
            }

            async fn audience_remove(
                &self,
                group: &$crate::model::Slug,
                p: &$crate::core::digest::audience::Pattern,
            ) -> $crate::store::Result<bool> {
                let n = sqlx::query::<$db>(sqlx::AssertSqlSafe($sql(
                    "DELETE FROM audiences WHERE pattern = ? \
                     AND group_id = (SELECT id FROM groups WHERE slug = ?)",
                )))
                .bind(p.as_str())
                .bind(group.as_str())
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(n > 0)
            }

            async fn audiences(
                &self,
            ) -> $crate::store::Result<Vec<$crate::store::digest::AudienceRow>> {
                Ok(sqlx::query_as::<$db, $crate::store::digest::AudienceRow>(sqlx::AssertSqlSafe($sql(
                    "SELECT g.slug AS group_slug, a.pattern, a.source FROM audiences a \
                     JOIN groups g ON g.id = a.group_id ORDER BY g.slug, a.pattern",
                )))
                .fetch_all(&self.pool)
                .await?)
            }

            async fn sync_config_audiences(
                &self,
                rules: &[($crate::model::Slug, $crate::core::digest::audience::Pattern)],
                at: i64,
            ) -> $crate::store::Result<()> {
                let q = |s: &str| sqlx::AssertSqlSafe($sql(s));
                let mut tx = self.write_tx().await?;
                sqlx::query::<$db>(q("DELETE FROM audiences WHERE source = 'config'"))
                    .execute(&mut *tx)
                    .await?;
                for (g, p) in rules {
                    sqlx::query::<$db>(q(
                        "INSERT INTO audiences (group_id, pattern, source, created_at) \
                         SELECT id, ?, 'config', ? FROM groups WHERE slug = ? \
                         ON CONFLICT (group_id, pattern) DO NOTHING",
                    ))
                    .bind(p.as_str())
                    .bind(at)
                    .bind(g.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn import_directory(
                &self,
                rows: &[$crate::store::digest::DirectoryRow],
                at: i64,
            ) -> $crate::store::Result<$crate::store::digest::DirectoryReport> {
                let q = |s: &str| sqlx::AssertSqlSafe($sql(s));
                let mut tx = self.write_tx().await?;
                let known: Vec<String> = sqlx::query_scalar::<$db, String>(q("SELECT slug FROM groups"))
                    .fetch_all(&mut *tx)
                    .await?;
                let mut report = $crate::store::digest::DirectoryReport::default();
                for r in rows {
                    sqlx::query::<$db>(q(
                        "INSERT INTO person_profiles (email, updated_at, directory_name) \
                         VALUES (?, ?, ?) ON CONFLICT (email) DO UPDATE SET \
                         directory_name = excluded.directory_name, updated_at = excluded.updated_at",
                    ))
                    .bind(&r.email)
                    .bind(at)
                    .bind(&r.name)
                    .execute(&mut *tx)
                    .await?;
                    report.people += 1;
                    for g in &r.groups {
                        if !known.iter().any(|k| k == g.as_str()) {
                            if !report.unknown_groups.iter().any(|u| u == g.as_str()) {
                                report.unknown_groups.push(g.as_str().to_string());
                            }
                            continue;
                        }
                        report.audience_entries += sqlx::query::<$db>(q(
                            "INSERT INTO audiences (group_id, pattern, source, created_at) \
                             SELECT id, ?, 'directory', ? FROM groups WHERE slug = ? \
                             ON CONFLICT (group_id, pattern) DO NOTHING",
                        ))
                        .bind(&r.email)
                        .bind(at)
                        .bind(g.as_str())
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    }
                }
                tx.commit().await?;
                Ok(report)
            }

            async fn reply_token(
                &self,
                token: &str,
            ) -> $crate::store::Result<Option<$crate::store::digest::ReplyTokenRow>> {
                Ok(sqlx::query_as::<$db, $crate::store::digest::ReplyTokenRow>(sqlx::AssertSqlSafe($sql(
                    "SELECT token, send_id, email, thread_id, created_at FROM digest_reply_tokens \
                     WHERE token = ?",
                )))
                .bind(token.to_ascii_lowercase())
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn record_digest_reply(
                &self,
                r: &$crate::store::digest::DigestReply,
            ) -> $crate::store::Result<()> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query::<$db>(sqlx::AssertSqlSafe($sql(
                    "INSERT INTO digest_replies (raw_sha256, token, send_id, sender, outcome, at) \
                     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (raw_sha256) DO NOTHING",
                )))
                .bind(&r.raw_sha256)
                .bind(&r.token)
                .bind(r.send_id)
                .bind(&r.sender)
                .bind(&r.outcome)
                .bind(r.at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                // The same reply stored twice tells its sender once.
                if let (1, Some(notice)) = (n, &r.notice) {
                    $enqueue(&mut *tx, std::slice::from_ref(notice)).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn digest_stats(
                &self,
            ) -> $crate::store::Result<Vec<$crate::store::digest::PeriodCounts>> {
                Ok(sqlx::query_as::<$db, $crate::store::digest::PeriodCounts>(sqlx::AssertSqlSafe(
                    $sql($crate::store::digest_impl::STATS_SQL),
                ))
                .fetch_all(&self.pool)
                .await?)
            }

            async fn posts_per_author(&self) -> $crate::store::Result<Vec<i64>> {
                Ok(sqlx::query_scalar::<$db, i64>(sqlx::AssertSqlSafe($sql(
                    "SELECT COUNT(*) FROM messages WHERE reconstructed = FALSE GROUP BY author_email",
                )))
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}
pub(crate) use digest_store_impl;

use crate::core::digest::{Candidate, CandidateMessage};

/// One message of a candidate thread, joined with its thread and group.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CandidateRow {
    thread_id: i64,
    group_slug: String,
    group_name: String,
    subject: String,
    started_at: i64,
    last_activity: i64,
    author_email: String,
    author_name: Option<String>,
    date: i64,
    body: String,
}

/// Rows ordered by thread, then date → one candidate per thread.
pub(crate) fn assemble(rows: Vec<CandidateRow>) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    for r in rows {
        let m = CandidateMessage {
            author_email: r.author_email,
            author_name: r.author_name,
            date: r.date,
            body: r.body,
            reconstructed: false,
            // Auto-Submitted mail is skipped by the pipeline; what remains is told apart by
            // its sender (`core::digest::is_automated_sender`).
            automated: false,
        };
        match out.last_mut() {
            Some(c) if c.thread_id == r.thread_id => c.messages.push(m),
            _ => out.push(Candidate {
                thread_id: r.thread_id,
                group_slug: r.group_slug,
                group_name: r.group_name,
                subject: r.subject,
                started_at: r.started_at,
                last_activity: r.last_activity,
                messages: vec![m],
                withheld: false,
            }),
        }
    }
    out
}

/// Per period: recipients decided, digests queued, sent, bounced, unsubscribes, human clicks,
/// scanner-only follows, replies, and conversions (a first post or a sign-in within 14 days
/// after the period, by someone who had not posted before it).
pub(crate) const STATS_SQL: &str = "\
WITH s AS (SELECT * FROM digest_sends), \
del AS (SELECT d.outbox_id, d.state FROM outbox_deliveries d \
        WHERE d.outbox_id IN (SELECT outbox_id FROM digest_sends WHERE outbox_id IS NOT NULL)), \
firsts AS (SELECT author_email, MIN(date) AS first_post FROM messages \
           WHERE reconstructed = FALSE GROUP BY author_email) \
SELECT s.period_start, MAX(s.period_end) AS period_end, COUNT(*) AS recipients, \
 SUM(CASE WHEN s.decision = 'sent' THEN 1 ELSE 0 END) AS queued, \
 SUM(CASE WHEN EXISTS (SELECT 1 FROM del WHERE del.outbox_id = s.outbox_id \
     AND del.state IN ('sent', 'bounced')) THEN 1 ELSE 0 END) AS sent, \
 SUM(CASE WHEN EXISTS (SELECT 1 FROM del WHERE del.outbox_id = s.outbox_id \
     AND del.state IN ('bounced', 'failed')) THEN 1 ELSE 0 END) AS bounced, \
 SUM(CASE WHEN EXISTS (SELECT 1 FROM digest_choices c WHERE c.send_id = s.id \
     AND c.choice = 'out') THEN 1 ELSE 0 END) AS unsubscribed, \
 SUM(CASE WHEN EXISTS (SELECT 1 FROM digest_clicks k WHERE k.send_id = s.id \
     AND k.kind = 'click') THEN 1 ELSE 0 END) AS clicked, \
 SUM(CASE WHEN EXISTS (SELECT 1 FROM digest_clicks k WHERE k.send_id = s.id) \
     AND NOT EXISTS (SELECT 1 FROM digest_clicks k WHERE k.send_id = s.id AND k.kind = 'click') \
     THEN 1 ELSE 0 END) AS scanner_only, \
 SUM(CASE WHEN EXISTS (SELECT 1 FROM digest_replies r WHERE r.send_id = s.id \
     AND r.outcome = 'published') THEN 1 ELSE 0 END) AS replied, \
 SUM(CASE WHEN s.decision = 'sent' AND (EXISTS (SELECT 1 FROM firsts f \
     WHERE f.author_email = s.email AND f.first_post >= s.period_end \
     AND f.first_post < s.period_end + 1209600) OR EXISTS (SELECT 1 FROM person_profiles p \
     WHERE p.email = s.email AND p.signed_in_at >= s.period_end \
     AND p.signed_in_at < s.period_end + 1209600)) THEN 1 ELSE 0 END) AS converted \
FROM s GROUP BY s.period_start ORDER BY s.period_start";
