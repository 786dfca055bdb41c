//! PostgreSQL's mapping changes ([`mapping_store_impl`]): the shared implementation with
//! numbered placeholders.

use sqlx::Postgres;

use super::PgStore;
use crate::store::digest::numbered;
use crate::store::mapping::mapping_store_impl;
use crate::store::Result;

impl PgStore {
    async fn mapping_tx(&self) -> Result<sqlx::Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

mapping_store_impl!(
    PgStore,
    Postgres,
    numbered,
    super::policy::insert_audit,
    mapping_tx
);
