//! Shared by the integration tests: fresh databases on both backends.
#![allow(dead_code)]

pub mod imap;

use std::sync::Arc;

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

pub fn fixture(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

/// A minimal HTTP/1.1 GET on loopback (no client crate needed): status code and body, or `None`
/// while nothing answers on `port`.
pub async fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).await.ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.ok()?;
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}
