//! Shared by the integration tests: fresh databases on both backends.
#![allow(dead_code)]

pub mod imap;

use std::sync::Arc;

use outloud::model::{GroupAddress, Slug};
use outloud::store::Store;

/// A database that lives as long as the value: a temp SQLite file, or a fresh PostgreSQL
/// database dropped on `cleanup`.
pub struct TestDb {
    pub url: String,
    pub store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

pub fn pg_base() -> String {
    std::env::var("OUTLOUD_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("outloud.db").display());
    let store = outloud::store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    TestDb {
        url,
        store,
        _dir: Some(dir),
        pg_name: None,
    }
}

/// A fresh PostgreSQL database. Fails loudly when PostgreSQL is not reachable: run the tests
/// through scripts/test.sh, which starts it.
pub async fn postgres() -> TestDb {
    use sqlx::Connection;
    let base = pg_base();
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL at {base} is not reachable ({e}); run scripts/test.sh, which starts it"
            )
        });
    let name = format!("outloud_it_{}", rand::random::<u64>());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = match base.rsplit_once('/') {
        Some((prefix, _)) => format!("{prefix}/{name}"),
        None => panic!("OUTLOUD_TEST_PG must end in /DBNAME"),
    };
    let store = outloud::store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    TestDb {
        url,
        store,
        _dir: None,
        pg_name: Some(name),
    }
}

impl TestDb {
    pub async fn cleanup(self) {
        use sqlx::Connection;
        drop(self.store);
        if let Some(name) = self.pg_name {
            if let Ok(mut admin) = sqlx::PgConnection::connect(&pg_base()).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await;
            }
        }
    }
}

/// A slug the test knows is valid.
pub fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

/// Group addresses the test knows are valid.
pub fn addresses(list: &[&str]) -> Vec<GroupAddress> {
    GroupAddress::parse_all(list).unwrap()
}

pub fn fixture(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}
