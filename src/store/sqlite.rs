//! The sqlite implementation of [`Store`](super::Store).
use super::Result;

pub struct SqliteStore {
    pub(crate) pool: sqlx::Pool<sqlx::Sqlite>,
}

impl SqliteStore {
    pub async fn open(url: &str) -> Result<Self> {
        let _ = url;
        todo!("open")
    }
}
