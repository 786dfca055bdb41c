//! The one implementation of web sign-in ([`AccountStore`](crate::store::accounts::AccountStore))
//! for both backends, as a macro over the backend's store type, connection type, outbox `enqueue_in` and
//! write transaction opener (as [`policy_store_impl`](crate::store::policy_impl::policy_store_impl)
//! does). The SQL uses `$N` parameters, which both databases read.

macro_rules! account_store_impl {
    ($store:ty, $conn:ty, $enqueue:path, $begin:ident) => {
        use sqlx::AssertSqlSafe;

        use $crate::store::accounts::{
            Account, AccountStore, ApiTokenRow, AuthoredMessage, HomeThread, LinkOutcome,
            LinkRequest, NewSession, OidcLogin, Poster, ReadMark, SessionRow, ACCOUNT_COLUMNS,
            SESSION_COLUMNS,
        };
        use $crate::store::common::THREAD_COLUMNS;
        use $crate::store::Result;

        type Conn = $conn;

        /// Create the account or record this sign-in on it, then open the session.
        async fn open_session(conn: &mut Conn, email: &str, s: &NewSession<'_>) -> Result<SessionRow> {
            sqlx::query(
                "INSERT INTO accounts (email, name, created_at, last_sign_in_at) VALUES ($1, $2, $3, $3) \
                 ON CONFLICT (email) DO UPDATE SET last_sign_in_at = excluded.last_sign_in_at, \
                 name = COALESCE(excluded.name, accounts.name)",
            )
            .bind(email)
            .bind(s.name)
            .bind(s.now)
            .execute(&mut *conn)
            .await?;
            // Signing in makes a person a user for the digests (store::digest), in the same transaction.
            sqlx::query(
                "INSERT INTO person_profiles (email, updated_at, signed_in_at) VALUES ($1, $2, $2) \
                 ON CONFLICT (email) DO UPDATE SET signed_in_at = excluded.signed_in_at, \
                 updated_at = excluded.updated_at",
            )
            .bind(email)
            .bind(s.now)
            .execute(&mut *conn)
            .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO sessions (token_hash, email, csrf, method, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(s.token_hash)
            .bind(email)
            .bind(s.csrf)
            .bind(s.method)
            .bind(s.now)
            .bind(s.expires_at)
            .fetch_one(&mut *conn)
            .await?;
            let q = format!("SELECT {SESSION_COLUMNS} FROM sessions s JOIN accounts a ON a.email = s.email WHERE s.id = $1");
            Ok(sqlx::query_as(AssertSqlSafe(q))
                .bind(id)
                .fetch_one(&mut *conn)
                .await?)
        }

        #[async_trait::async_trait]
        impl AccountStore for $store {
            async fn request_sign_in_link(&self, r: &LinkRequest<'_>) -> Result<LinkOutcome> {
                let mut tx = self.$begin().await?;
                let recent: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM sign_in_links WHERE email = $1 AND created_at > $2",
                )
                .bind(r.email)
                .bind(r.now - 3600)
                .fetch_one(&mut *tx)
                .await?;
                if recent >= r.max_per_hour {
                    return Ok(LinkOutcome::Limited);
                }
                sqlx::query(
                    "UPDATE sign_in_links SET cancelled_at = $2 \
                     WHERE email = $1 AND used_at IS NULL AND cancelled_at IS NULL",
                )
                .bind(r.email)
                .bind(r.now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO sign_in_links (email, token_hash, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(r.email)
                .bind(r.token_hash)
                .bind(r.now)
                .bind(r.expires_at)
                .execute(&mut *tx)
                .await?;
                $enqueue(&mut tx, std::slice::from_ref(r.mail)).await?;
                tx.commit().await?;
                Ok(LinkOutcome::Queued)
            }

            async fn sign_in_link_email(
                &self,
                token_hash: &str,
                now: i64,
            ) -> Result<Option<String>> {
                Ok(sqlx::query_scalar(
                    "SELECT email FROM sign_in_links WHERE token_hash = $1 AND used_at IS NULL \
                     AND cancelled_at IS NULL AND expires_at > $2",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn redeem_sign_in_link(
                &self,
                token_hash: &str,
                s: &NewSession<'_>,
            ) -> Result<Option<SessionRow>> {
                let mut tx = self.$begin().await?;
                let email: Option<String> = sqlx::query_scalar(
                    "UPDATE sign_in_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL \
                     AND cancelled_at IS NULL AND expires_at > $2 RETURNING email",
                )
                .bind(token_hash)
                .bind(s.now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(email) = email else { return Ok(None) };
                let row = open_session(&mut tx, &email, s).await?;
                tx.commit().await?;
                Ok(Some(row))
            }

            async fn sign_in(&self, email: &str, s: &NewSession<'_>) -> Result<SessionRow> {
                let mut tx = self.$begin().await?;
                let row = open_session(&mut tx, email, s).await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn session(
                &self,
                token_hash: &str,
                now: i64,
            ) -> Result<Option<SessionRow>> {
                let q = format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions s JOIN accounts a ON a.email = s.email \
                     WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2"
                );
                Ok(sqlx::query_as(AssertSqlSafe(q))
                    .bind(token_hash)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn sessions(&self, email: &str, now: i64) -> Result<Vec<SessionRow>> {
                let q = format!(
                    "SELECT {SESSION_COLUMNS} FROM sessions s JOIN accounts a ON a.email = s.email \
                     WHERE s.email = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 \
                     ORDER BY s.created_at DESC, s.id DESC"
                );
                Ok(sqlx::query_as(AssertSqlSafe(q))
                    .bind(email)
                    .bind(now)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn revoke_session(&self, email: &str, id: i64, now: i64) -> Result<bool> {
                let mut tx = self.$begin().await?;
                let n = sqlx::query(
                    "UPDATE sessions SET revoked_at = $3 WHERE email = $1 AND id = $2 AND revoked_at IS NULL",
                )
                .bind(email)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                Ok(n > 0)
            }

            async fn create_api_token(
                &self,
                email: &str,
                label: &str,
                token_hash: &str,
                now: i64,
            ) -> Result<i64> {
                let mut tx = self.$begin().await?;
                let id = sqlx::query_scalar(
                    "INSERT INTO api_tokens (token_hash, email, label, created_at) \
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(token_hash)
                .bind(email)
                .bind(label)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn api_token_owner(&self, token_hash: &str) -> Result<Option<Account>> {
                let q = format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email = \
                     (SELECT email FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL)"
                );
                Ok(sqlx::query_as(AssertSqlSafe(q))
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn api_tokens(&self, email: &str) -> Result<Vec<ApiTokenRow>> {
                Ok(sqlx::query_as(
                    "SELECT id, label, created_at, last_used_at FROM api_tokens \
                     WHERE email = $1 AND revoked_at IS NULL ORDER BY id",
                )
                .bind(email)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn revoke_api_token(
                &self,
                email: &str,
                id: i64,
                now: i64,
            ) -> Result<bool> {
                let mut tx = self.$begin().await?;
                let n = sqlx::query(
                    "UPDATE api_tokens SET revoked_at = $3 WHERE email = $1 AND id = $2 \
                     AND revoked_at IS NULL",
                )
                .bind(email)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                Ok(n > 0)
            }

            async fn account(&self, email: &str) -> Result<Option<Account>> {
                let q = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email = $1");
                Ok(sqlx::query_as(AssertSqlSafe(q))
                    .bind(email)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn accounts(&self) -> Result<Vec<Account>> {
                let q = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY email");
                Ok(sqlx::query_as(AssertSqlSafe(q))
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn set_digest_opt_in(&self, email: &str, on: bool) -> Result<bool> {
                let mut tx = self.$begin().await?;
                let n = sqlx::query("UPDATE accounts SET digest_opt_in = $2 WHERE email = $1")
                    .bind(email)
                    .bind(on)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                Ok(n > 0)
            }

            async fn begin_oidc_login(&self, l: &OidcLogin) -> Result<()> {
                let mut tx = self.$begin().await?;
                // Logins never finished are dropped as new ones begin.
                sqlx::query("DELETE FROM oidc_logins WHERE expires_at <= $1")
                    .bind(l.expires_at - 3600)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO oidc_logins (state_hash, nonce, verifier, next, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&l.state_hash)
                .bind(&l.nonce)
                .bind(&l.verifier)
                .bind(&l.next)
                .bind(l.expires_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn take_oidc_login(
                &self,
                state_hash: &str,
                now: i64,
            ) -> Result<Option<OidcLogin>> {
                let mut tx = self.$begin().await?;
                let row: Option<OidcLogin> = sqlx::query_as(
                    "DELETE FROM oidc_logins WHERE state_hash = $1 \
                     RETURNING state_hash, nonce, verifier, next, expires_at",
                )
                .bind(state_hash)
                .fetch_optional(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(row.filter(|r| r.expires_at > now))
            }

            async fn person_known(&self, email: &str) -> Result<bool> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE email = $1")
                    .bind(email)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n > 0)
            }

            async fn message_thread(
                &self,
                message_id: &str,
                group: i64,
            ) -> Result<Option<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT thread_id FROM messages WHERE group_id = $1 AND message_id = $2",
                )
                .bind(group)
                .bind(message_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn follow(
                &self,
                email: &str,
                group: i64,
                on: bool,
                now: i64,
            ) -> Result<()> {
                let mut tx = self.$begin().await?;
                let q = if on {
                    "INSERT INTO follows (email, group_id, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (email, group_id) DO NOTHING"
                } else {
                    "DELETE FROM follows WHERE email = $1 AND group_id = $2 AND $3 = $3"
                };
                sqlx::query(q)
                    .bind(email)
                    .bind(group)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn followed(&self, email: &str) -> Result<Vec<i64>> {
                Ok(
                    sqlx::query_scalar("SELECT group_id FROM follows WHERE email = $1 ORDER BY group_id")
                        .bind(email)
                        .fetch_all(&self.pool)
                        .await?,
                )
            }

            async fn home(&self, email: &str, limit: i64) -> Result<Vec<HomeThread>> {
                let q = format!(
                    "SELECT {THREAD_COLUMNS}, NOT EXISTS (SELECT 1 FROM read_marks r \
                     JOIN thread_refs x ON x.group_id = r.group_id AND x.ref_id = r.message_id \
                     WHERE r.email = f.email AND x.thread_id = t.id AND r.seen_messages >= t.message_count) AS unread \
                     FROM follows f JOIN threads t ON t.group_id = f.group_id JOIN groups g ON g.id = t.group_id \
                     WHERE f.email = $1 ORDER BY t.last_activity DESC, t.id DESC LIMIT $2"
                );
                Ok(sqlx::query_as(AssertSqlSafe(q))
                    .bind(email)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn mark_read(&self, m: &ReadMark<'_>) -> Result<()> {
                // Most views find the mark current: a read, so they do not queue for the write lock.
                let seen: Option<i64> = sqlx::query_scalar(
                    "SELECT seen_messages FROM read_marks \
                     WHERE email = $1 AND group_id = $2 AND message_id = $3",
                )
                .bind(m.email)
                .bind(m.group_id)
                .bind(m.message_id)
                .fetch_optional(&self.pool)
                .await?;
                if seen == Some(m.seen) {
                    return Ok(());
                }
                let mut tx = self.$begin().await?;
                sqlx::query(
                    "INSERT INTO read_marks (email, group_id, message_id, seen_messages, read_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (email, group_id, message_id) DO UPDATE SET \
                     seen_messages = excluded.seen_messages, read_at = excluded.read_at \
                     WHERE read_marks.seen_messages <> excluded.seen_messages",
                )
                .bind(m.email)
                .bind(m.group_id)
                .bind(m.message_id)
                .bind(m.seen)
                .bind(m.now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn authored(
                &self,
                email: &str,
                limit: i64,
            ) -> Result<Vec<AuthoredMessage>> {
                Ok(sqlx::query_as(
                    "SELECT m.id, m.thread_id, g.slug AS group_slug, m.subject, m.author_name, m.date \
                     FROM messages m JOIN groups g ON g.id = m.group_id \
                     WHERE m.author_email = $1 AND NOT m.reconstructed ORDER BY m.date DESC, m.id DESC LIMIT $2",
                )
                .bind(email)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn top_posters(&self, group: i64, limit: i64) -> Result<Vec<Poster>> {
                // Served by messages_group_posters (migration 0015) without reading the rows.
                Ok(sqlx::query_as(
                    "SELECT m.author_email AS email, MAX(m.author_name) AS name, COUNT(*) AS messages \
                     FROM messages m WHERE m.group_id = $1 AND NOT m.reconstructed AND m.author_email <> '' \
                     GROUP BY m.author_email ORDER BY COUNT(*) DESC, m.author_email LIMIT $2",
                )
                .bind(group)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn new_feed_token(&self, email: &str, hash: &str, now: i64) -> Result<()> {
                let mut tx = self.$begin().await?;
                // One feed address per person: a new one revokes the old (a leaked address is fixed
                // by making a new one).
                sqlx::query(
                    "UPDATE feed_tokens SET revoked_at = $2 WHERE email = $1 AND revoked_at IS NULL",
                )
                .bind(email)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("INSERT INTO feed_tokens (token_hash, email, created_at) VALUES ($1, $2, $3)")
                    .bind(hash)
                    .bind(email)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn feed_token_owner(&self, hash: &str) -> Result<Option<String>> {
                Ok(sqlx::query_scalar(
                    "SELECT email FROM feed_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                )
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?)
            }
        }

    };
}

pub(crate) use account_store_impl;
