//! Web sign-in on SQLite: the shared implementation ([`account_store_impl`]), written under
//! `BEGIN IMMEDIATE`.

use super::{enqueue_in, SqliteStore};
use crate::store::accounts_impl::account_store_impl;

account_store_impl!(SqliteStore, sqlx::SqliteConnection, enqueue_in, write_tx);
