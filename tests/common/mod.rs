//! Shared by the integration tests: the one database harness (a fresh, migrated database per
//! test on SQLite or PostgreSQL), the mail stack ([`imap`]), the web tests' browser ([`web`]),
//! the digest tests' fixtures ([`digest`]), fixtures.
// Each test file uses its own part of this module (`#[macro_use] mod common;` for the macros).
#![allow(dead_code, unused_macros)]

pub mod digest;
pub mod imap;
pub mod oauth;
pub mod relay;
pub mod web;

/// The running mail stack, or a return from the test when OUTLOUD_SKIP_MAILSTACK=1; without
/// the stack's variables the test fails, saying how to start it.
macro_rules! stack_or_skip {
    () => {
        match crate::common::imap::Stack::from_env() {
            Some(s) => s,
            None if std::env::var("OUTLOUD_SKIP_MAILSTACK").as_deref() == Ok("1") => {
                eprintln!("skipped: OUTLOUD_SKIP_MAILSTACK=1");
                return;
            }
            None => panic!(
                "the mail stack is not running: run scripts/test.sh, or eval \"$(scripts/mailstack.sh start)\" first (OUTLOUD_SKIP_MAILSTACK=1 skips these tests)"
            ),
        }
    };
}

/// One storage story per function `name(store)`, each run as a test on a fresh SQLite database
/// (`sqlite::name`) and a fresh PostgreSQL one (`postgres::name`).
macro_rules! story {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = crate::common::sqlite().await;
                    super::$name(db.store.clone()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = crate::common::postgres().await;
                    super::$name(db.store.clone()).await;
                }
            )*
        }
    };
}

/// Who the outbox tests send as.
pub fn outbox_sender() -> outloud::core::compose::Sender {
    outloud::core::compose::Sender {
        from: "outloud@corp.example".into(),
        from_name: "outloud".into(),
        message_id_domain: "corp.example".into(),
        bounce_address: "bounces@corp.example".into(),
        loop_marker: "outloud-tests".into(),
    }
}

use std::sync::Arc;

use outloud::ingest::Ingestor;
use outloud::model::{GroupAddress, Slug};
use outloud::store::Store;

/// A migrated database that lives as long as the value: a temporary SQLite file, or a
/// PostgreSQL database created for this test and dropped when the value is dropped — at
/// the end of the test, pass or fail (a panicking test drops it while unwinding).
pub struct TestDb {
    pub url: String,
    pub store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    pg: Option<PgDatabase>,
}

/// The PostgreSQL server the tests use: `$OUTLOUD_TEST_PG`, by default
/// `postgres://postgres@127.0.0.1:5432/test` (what scripts/ensure-postgres.sh sets up).
pub fn pg_base() -> String {
    std::env::var("OUTLOUD_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh SQLite database in a temporary directory.
pub async fn sqlite() -> TestDb {
    let db = sqlite_unmigrated().await;
    db.store.migrate().await.expect("migrate sqlite");
    db
}

/// As [`sqlite`], without migrations (to test one).
pub async fn sqlite_unmigrated() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("outloud.db").display());
    let store = outloud::store::open(&url).await.expect("open sqlite");
    assert_eq!(store.backend(), "sqlite");
    TestDb {
        url,
        store,
        _dir: Some(dir),
        pg: None,
    }
}

/// A fresh PostgreSQL database on [`pg_base`]'s server. Fails, saying how to fix it, when
/// PostgreSQL is not reachable: the PostgreSQL half of the tests never passes silently.
pub async fn postgres() -> TestDb {
    let db = postgres_unmigrated().await;
    db.store.migrate().await.expect("migrate postgres");
    db
}

/// As [`postgres`], without migrations (to test one).
pub async fn postgres_unmigrated() -> TestDb {
    use sqlx::Connection;
    let base = pg_base();
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {base}: {e}\n\
                 Start it with scripts/ensure-postgres.sh (scripts/test.sh does), or point \
                 OUTLOUD_TEST_PG at a server where this user may create databases."
            )
        });
    let name = format!("outloud_test_{:016x}", rand::random::<u64>());
    // The name is ours (hex digits), so the statement is safe to build.
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("cannot create a test database on {base}: {e}"));
    let _ = admin.close().await;
    // From here on the database is dropped whatever happens.
    let pg = PgDatabase {
        admin_url: base.clone(),
        name: name.clone(),
    };
    let url = with_database(&base, &name);
    let store = outloud::store::open(&url).await.expect("open postgres");
    assert_eq!(store.backend(), "postgres");
    TestDb {
        url,
        store,
        _dir: None,
        pg: Some(pg),
    }
}

impl TestDb {
    /// Drop the database now (dropping the value does the same).
    pub async fn cleanup(self) {
        drop(self);
    }
}

/// A test's PostgreSQL database, dropped with this value.
struct PgDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread with
        // its own runtime. FORCE ends the store's pooled connections.
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&url).await {
                        let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = sqlx::query(sqlx::AssertSqlSafe(drop))
                            .execute(&mut conn)
                            .await;
                        let _ = conn.close().await;
                    }
                })
        })
        .join();
    }
}

/// The URL of the same server with another database name (keeps `?options`).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    format!("{base}/{name}{query}")
}

/// A slug the test knows is valid.
pub fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

/// Group addresses the test knows are valid.
pub fn addresses(list: &[&str]) -> Vec<GroupAddress> {
    GroupAddress::parse_all(list).unwrap()
}

/// `db` with one group, `slug`, reached at `<slug>@corp.example`, and an ingestor with the
/// default settings routing to it. Returns the group's address.
pub async fn with_group(db: TestDb, slug: &str) -> (TestDb, Arc<Ingestor>, String) {
    let address = format!("{slug}@corp.example");
    db.store
        .upsert_group(&self::slug(slug), slug, &addresses(&[&address]))
        .await
        .unwrap();
    let settings = outloud::daemon::ingest_settings(&outloud::config::Config::default());
    let ingestor = Arc::new(Ingestor::new(db.store.clone(), settings).await.unwrap());
    (db, ingestor, address)
}

/// The mails queued to `to` so far, oldest first, as text; the outbox is left as it was (every
/// delivery is claimed and released again).
pub async fn queued_to(store: &Arc<dyn Store>, to: &str) -> Vec<String> {
    use outloud::store::outbox::ClaimRequest;
    let claimed = store
        .claim_deliveries(&ClaimRequest {
            holder: "test".into(),
            now: i64::MAX / 2,
            limit: 100,
            lease_secs: 1,
            only: None,
        })
        .await
        .unwrap();
    let ids: Vec<i64> = claimed.iter().map(|d| d.id).collect();
    store.release_deliveries(&ids, "test").await.unwrap();
    let mut mails: Vec<(i64, String)> = (claimed.into_iter())
        .filter(|d| d.recipient == to)
        .map(|d| (d.id, String::from_utf8_lossy(&d.bytes).into_owned()))
        .collect();
    mails.sort();
    mails.into_iter().map(|(_, text)| text).collect()
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

/// Wait for `cond`, up to a generous bound (a hang guard, not a timing assertion).
pub async fn eventually<F: std::future::Future<Output = bool>>(
    what: &str,
    mut cond: impl FnMut() -> F,
) {
    for _ in 0..600 {
        if cond().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("gave up waiting: {what}");
}
