//! SQLite's mapping changes ([`mapping_store_impl`]): the shared implementation, written under
//! `BEGIN IMMEDIATE`.

use sqlx::Sqlite;

use super::SqliteStore;
use crate::store::mapping::mapping_store_impl;
use crate::store::Result;

impl SqliteStore {
    async fn mapping_tx(&self) -> Result<sqlx::Transaction<'static, Sqlite>> {
        self.write_tx().await
    }
}

fn same(sql: &str) -> String {
    sql.to_string()
}

mapping_store_impl!(
    SqliteStore,
    Sqlite,
    same,
    super::policy::insert_audit,
    mapping_tx
);
