//! The moderation queue, the audit log, retraction and the undo window's cancels on
//! PostgreSQL: the shared implementation ([`policy_store_impl`]) with numbered placeholders.

use sqlx::{PgConnection, Postgres};

use super::{enqueue_in, PgStore};
use crate::store::digest::numbered;
use crate::store::policy_impl::policy_store_impl;

impl PgStore {
    async fn policy_tx(&self) -> crate::store::Result<sqlx::Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

policy_store_impl!(
    PgStore,
    Postgres,
    PgConnection,
    numbered,
    enqueue_in,
    policy_tx
);
