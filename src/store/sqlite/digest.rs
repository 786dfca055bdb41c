//! SQLite's [`DigestStore`](crate::store::digest::DigestStore): the shared implementation,
//! writes under `BEGIN IMMEDIATE`; and the contacts a write set records.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::SqliteStore;
use crate::core::plan::WriteSet;
use crate::store::digest::{contact_rows, digest_store_impl};
use crate::store::Result;

fn same(sql: &str) -> String {
    sql.to_string()
}

digest_store_impl!(SqliteStore, Sqlite, same, super::enqueue_in);

/// Who exchanged mail with whom in this batch (author and each To/Cc address).
pub(super) async fn upsert_contacts(conn: &mut SqliteConnection, ws: &WriteSet) -> Result<()> {
    for chunk in contact_rows(ws).chunks(300) {
        let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO contacts (a, b, last_at) ");
        qb.push_values(chunk, |mut row, (a, b, at)| {
            row.push_bind(*a).push_bind(*b).push_bind(*at);
        });
        qb.push(
            " ON CONFLICT (a, b) DO UPDATE SET last_at = MAX(contacts.last_at, excluded.last_at)",
        );
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}
