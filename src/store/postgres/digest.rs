//! PostgreSQL's [`DigestStore`](crate::store::digest::DigestStore): the shared implementation
//! with numbered placeholders; and the contacts a write set records.

use sqlx::{PgConnection, Postgres};

use super::PgStore;
use crate::core::plan::WriteSet;
use crate::store::digest::{contact_rows, digest_store_impl, numbered};
use crate::store::Result;

digest_store_impl!(PgStore, Postgres, numbered, super::enqueue_in);

/// Who exchanged mail with whom in this batch (author and each To/Cc address).
pub(super) async fn upsert_contacts(conn: &mut PgConnection, ws: &WriteSet) -> Result<()> {
    let rows = contact_rows(ws);
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO contacts (a, b, last_at) SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[]) \
         ON CONFLICT (a, b) DO UPDATE SET last_at = GREATEST(contacts.last_at, EXCLUDED.last_at)",
    )
    .bind(rows.iter().map(|r| r.0.to_string()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.1.to_string()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.2).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}
