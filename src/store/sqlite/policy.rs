//! The moderation queue, the audit log, retraction and the undo window's cancels on SQLite:
//! the shared implementation ([`policy_store_impl`]), written under `BEGIN IMMEDIATE`.

use sqlx::{Sqlite, SqliteConnection};

use super::{enqueue_in, SqliteStore};
use crate::store::policy_impl::policy_store_impl;

fn same(sql: &str) -> String {
    sql.to_string()
}

policy_store_impl!(
    SqliteStore,
    Sqlite,
    SqliteConnection,
    same,
    enqueue_in,
    write_tx
);
