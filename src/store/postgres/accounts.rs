//! Web sign-in on PostgreSQL: the shared implementation ([`account_store_impl`]).

use super::{enqueue_in, PgStore};
use crate::store::accounts_impl::account_store_impl;

account_store_impl!(PgStore, sqlx::PgConnection, enqueue_in, write_tx);
