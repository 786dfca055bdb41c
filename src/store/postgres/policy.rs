//! The moderation queue, the audit log, retraction and the undo window's cancels on
//! PostgreSQL: the shared implementation ([`policy_store_impl`]) with numbered placeholders.

use sqlx::{PgConnection, Postgres};

use super::{enqueue_in, PgStore};
use crate::store::digest::numbered;
use crate::store::policy_impl::policy_store_impl;

policy_store_impl!(
    PgStore,
    Postgres,
    PgConnection,
    numbered,
    enqueue_in,
    write_tx
);
