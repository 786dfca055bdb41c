//! The postgres implementation of [`Store`](super::Store).
use super::Result;

pub struct PgStore {
    pub(crate) pool: sqlx::Pool<sqlx::Postgres>,
}

impl PgStore {
    pub async fn open(url: &str) -> Result<Self> {
        let _ = url;
        todo!("open")
    }
}
