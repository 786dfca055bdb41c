//! Full-text search, one story run against SQLite and PostgreSQL (the harness in `common`):
//! mails in German, Polish, Japanese and English go through the real pipeline, then are found
//! with and without accents, by CJK substrings, by author, date and group; snippets are marked
//! and escaped; quoted history and signatures are not indexed; replaced, deleted and removed
//! messages are not found; migration 0008 indexes messages stored before it.
// Each story reads top to bottom, one step after another: splitting it would hide the order.
#![allow(clippy::too_many_lines)]

mod common;

use std::sync::Arc;

use common::{addresses, slug, TestDb};
use outloud::core::classify::OwnIdentity;
use outloud::core::pipeline::Options;
use outloud::core::plan::{
    DateTrust, Known, Lookup, NewMessage, NewThread, Planned, ThreadRef, WriteSet,
};
use outloud::ingest::{IngestSettings, Ingestor, RawMail};
use outloud::model::{Attachments, CleanBody, Via};
use outloud::store::{SearchHit, SearchQuery, Store};

const NOW: i64 = 1_750_000_000;

/// 2024-03-01, 2024-03-10, 2024-04-02, 2024-04-15, 2024-05-01 (noon UTC).
const DATES: [&str; 5] = [
    "Fri, 01 Mar 2024 12:00:00 +0000",
    "Sun, 10 Mar 2024 12:00:00 +0000",
    "Tue, 02 Apr 2024 12:00:00 +0900",
    "Mon, 15 Apr 2024 12:00:00 +0000",
    "Wed, 01 May 2024 12:00:00 +0000",
];
const MARCH_31: i64 = 1_711_929_599;
const APRIL_30: i64 = 1_714_521_599;

/// RFC 2047 Q-encoding of a header text, as mail clients send non-ASCII headers.
fn encoded(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    let mut out = String::from("=?UTF-8?Q?");
    for b in text.bytes() {
        match b {
            b' ' => out.push('_'),
            b if b.is_ascii_alphanumeric() => out.push(b as char),
            b => out.push_str(&format!("={b:02X}")),
        }
    }
    out.push_str("?=");
    out
}

fn mail(from: (&str, &str), to: &str, subject: &str, date: &str, id: &str, body: &str) -> RawMail {
    let bytes = format!(
        "From: {} <{}>\r\nTo: {to}\r\nSubject: {}\r\nDate: {date}\r\nMessage-ID: <{id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n{}",
        encoded(from.0),
        from.1,
        encoded(subject),
        body.replace('\n', "\r\n"),
    );
    RawMail {
        bytes: bytes.into_bytes(),
        source: format!("test:{id}"),
        force_groups: vec![],
    }
}

fn settings() -> IngestSettings {
    IngestSettings {
        pipeline: Options {
            own: OwnIdentity {
                addresses: vec!["outloud@corp.example".into()],
                loop_marker: "outloud".into(),
                bounce_address: None,
            },
            force_groups: vec![],
            ..Default::default()
        },
        subject_window_secs: 14 * 86_400,
        log_each_mail: false,
    }
}

async fn groups(store: &Arc<dyn Store>) -> (i64, i64) {
    let eng = store
        .upsert_group(
            &slug("eng"),
            "Engineering",
            &addresses(&["eng@corp.example"]),
        )
        .await
        .unwrap();
    let sales = store
        .upsert_group(&slug("sales"), "Sales", &addresses(&["sales@corp.example"]))
        .await
        .unwrap();
    (eng.id, sales.id)
}

/// The four languages' mails, as the pipeline stores them.
async fn ingest_mails(store: &Arc<dyn Store>) {
    let mails = vec![
        mail(
            ("Jürgen Müller", "juergen.mueller@corp.example"),
            "eng@corp.example",
            "Prüfung der Straßenbahn-Pläne",
            DATES[0],
            "de@corp.example",
            "Hallo zusammen,\n\ndie Überprüfung der Größenangaben ist fertig. Bitte schaut \
             euch die Änderungen an.\n\nViele Grüße\nJürgen\n",
        ),
        mail(
            ("Zofia Wójcik", "zofia.wojcik@corp.example"),
            "eng@corp.example",
            "Budżet na przyszły kwartał",
            DATES[1],
            "pl@corp.example",
            "Cześć,\n\nprzesyłam poprawiony budżet dla oddziału w Łodzi: zażółć gęślą jaźń.\n",
        ),
        mail(
            ("山田太郎", "taro.yamada@corp.example"),
            "sales@corp.example",
            "来週の会議室の予約について",
            DATES[2],
            "ja@corp.example",
            "お疲れ様です。\n\n来週の会議は東京本社の第三会議室で行います。\nよろしくお願いします。\n",
        ),
        mail(
            ("Ann Author", "ann@corp.example"),
            "eng@corp.example",
            "Re: Release plan for Atlas",
            DATES[3],
            "en@corp.example",
            "The <b>release</b> of Atlas is planned for Friday & needs a review.\n\n\
             On Mon, Apr 15, 2024 at 9:00 AM Bob Builder <bob@corp.example> wrote:\n\
             > Xylophone rehearsal notes, quoted history only.\n\n\
             -- \nAnn Author | Walrus Department\n",
        ),
        mail(
            ("Ann Author", "ann@corp.example"),
            "sales@corp.example",
            "Atlas pricing",
            DATES[4],
            "en2@corp.example",
            "New pricing for Atlas customers after the release.\n",
        ),
    ];
    let ingestor = Ingestor::new(store.clone(), settings()).await.unwrap();
    ingestor.ingest(mails, None, NOW).await.unwrap();
}

fn q(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.to_string(),
        limit: 20,
        ..Default::default()
    }
}

async fn find(store: &Arc<dyn Store>, query: SearchQuery) -> Vec<SearchHit> {
    store.search(&query).await.unwrap()
}

/// The Message-IDs found, best first.
async fn ids(store: &Arc<dyn Store>, query: SearchQuery) -> Vec<String> {
    (find(store, query).await.into_iter())
        .map(|h| h.message_id)
        .collect()
}

/// The Message-IDs of the mails found (not of entries rebuilt from quotes), best first.
async fn mails(store: &Arc<dyn Store>, query: SearchQuery) -> Vec<String> {
    (find(store, query).await.into_iter())
        .filter(|h| !h.reconstructed)
        .map(|h| h.message_id)
        .collect()
}

async fn finds(store: &Arc<dyn Store>, text: &str) -> Vec<String> {
    ids(store, q(text)).await
}

async fn languages_accents_and_cjk(store: Arc<dyn Store>) {
    groups(&store).await;
    ingest_mails(&store).await;
    let de = vec!["de@corp.example".to_string()];
    let pl = vec!["pl@corp.example".to_string()];
    let ja = vec!["ja@corp.example".to_string()];
    // German: with and without umlauts and ß, in any case; subject and body.
    for query in [
        "Größenangaben",
        "grossenangaben",
        "GRÖSSENANGABEN",
        "überprüfung",
        "uberprufung",
        "Straßenbahn",
        "strassenbahn plane",
        "\"der strassenbahn\"",
    ] {
        assert_eq!(finds(&store, query).await, de, "{query}");
    }
    // Polish: ą ę ó ś ł ż ź ć ń with and without.
    for query in [
        "Łodzi",
        "lodzi",
        "zażółć gęślą jaźń",
        "zazolc gesla jazn",
        "budzet",
    ] {
        assert_eq!(finds(&store, query).await, pl, "{query}");
    }
    // Japanese: substrings of two characters or more, and a single character.
    for query in [
        "会議",
        "会議室",
        "東京",
        "東京本社",
        "第三会議室",
        "予約",
        "京",
        "本社の第三",
    ] {
        assert_eq!(finds(&store, query).await, ja, "{query}");
    }
    assert!(finds(&store, "議会").await.is_empty(), "order matters");
    assert!(finds(&store, "大阪").await.is_empty());
    // Prefixes; every word must match; nothing to search for finds nothing.
    assert_eq!(finds(&store, "grossen*").await, de);
    assert!(finds(&store, "atlas lodzi").await.is_empty());
    assert!(finds(&store, " \"\" * ").await.is_empty());
}

async fn clean_text_only_and_authors(store: Arc<dyn Store>) {
    let (eng, _) = groups(&store).await;
    ingest_mails(&store).await;
    // A reply's quoted history and signature are not indexed with it; the new text is. The
    // quoted mail is found as the entry rebuilt from the quote, under its own author.
    let rebuilt = find(&store, q("xylophone")).await;
    assert_eq!(rebuilt.len(), 1, "{rebuilt:?}");
    assert!(rebuilt[0].reconstructed);
    assert_eq!(rebuilt[0].author_email, "bob@corp.example");
    assert!(finds(&store, "walrus").await.is_empty());
    assert_eq!(finds(&store, "review").await, vec!["en@corp.example"]);
    // Authors by name (accents folded) and by address, also from the search box.
    assert_eq!(finds(&store, "wojcik").await, vec!["pl@corp.example"]);
    assert_eq!(finds(&store, "山田").await, vec!["ja@corp.example"]);
    let by = |author: &str| SearchQuery {
        author: Some(author.to_string()),
        ..q("")
    };
    assert_eq!(
        ids(&store, by("Müller")).await,
        vec!["de@corp.example"],
        "author alone"
    );
    assert_eq!(ids(&store, by("mueller")).await, vec!["de@corp.example"]);
    assert_eq!(
        ids(&store, by("ann@corp.example")).await,
        vec!["en2@corp.example", "en@corp.example"],
        "same rank: newest first"
    );
    assert!(ids(&store, by("nobody@corp.example")).await.is_empty());
    let atlas_by_zofia = SearchQuery {
        author: Some("Zofia".into()),
        ..q("atlas")
    };
    assert!(ids(&store, atlas_by_zofia).await.is_empty());
    // "atlas" as a word in the body does not match the author filter.
    assert!(ids(&store, by("atlas")).await.is_empty());
    // Group scoping and dates (inclusive bounds).
    let atlas = mails(&store, q("atlas")).await;
    assert_eq!(atlas.len(), 2);
    let in_eng = SearchQuery {
        group: Some(eng),
        ..q("atlas")
    };
    assert_eq!(mails(&store, in_eng).await, vec!["en@corp.example"]);
    let april = SearchQuery {
        from: Some(MARCH_31 + 1),
        to: Some(APRIL_30),
        ..q("atlas")
    };
    assert_eq!(mails(&store, april).await, vec!["en@corp.example"]);
    let march = SearchQuery {
        to: Some(MARCH_31),
        author: Some("zofia.wojcik@corp.example".into()),
        ..q("")
    };
    assert_eq!(ids(&store, march).await, vec!["pl@corp.example"]);
    // Ranking: the subject counts more than the body.
    let release = mails(&store, q("release")).await;
    assert_eq!(release, vec!["en@corp.example", "en2@corp.example"]);
    // Paging.
    let second = SearchQuery {
        limit: 1,
        offset: 1,
        ..by("ann@corp.example")
    };
    assert_eq!(ids(&store, second).await, vec!["en@corp.example"]);
}

async fn snippets_are_marked_and_escaped(store: Arc<dyn Store>) {
    groups(&store).await;
    ingest_mails(&store).await;
    let hit = find(&store, q("review friday")).await.remove(0);
    assert_eq!(hit.subject, "Re: Release plan for Atlas");
    assert_eq!(hit.group_slug, "eng");
    assert_eq!(hit.author_name.as_deref(), Some("Ann Author"));
    assert_eq!(hit.author_email, "ann@corp.example");
    assert_eq!(hit.date, 1_713_182_400);
    assert_eq!(
        hit.snippet_html,
        "The &lt;b&gt;release&lt;/b&gt; of Atlas is planned for <mark>Friday</mark> &amp; \
         needs a <mark>review</mark>."
    );
    assert_eq!(hit.subject_html, "Re: Release plan for Atlas");
    let thread = store.thread(hit.thread_id).await.unwrap().unwrap();
    assert!(thread.messages.iter().any(|m| m.place.id == hit.id));
    // Accents folded for matching, shown as written; CJK marked inside a run.
    let hit = find(&store, q("grossenangaben pläne")).await.remove(0);
    assert!(
        hit.snippet_html
            .contains("der <mark>Größenangaben</mark> ist"),
        "{}",
        hit.snippet_html
    );
    assert_eq!(
        hit.subject_html,
        "Prüfung der Straßenbahn-<mark>Pläne</mark>"
    );
    let hit = find(&store, q("会議室")).await.remove(0);
    assert_eq!(hit.subject_html, "来週の<mark>会議室</mark>の予約について");
    assert!(
        hit.snippet_html.contains("第三<mark>会議室</mark>で"),
        "{}",
        hit.snippet_html
    );
}

// --- write sets: replacements, deletes, merges -----------------------------------------------

fn new_message(group: i64, thread: ThreadRef, id: &str, body: &str, date: i64) -> NewMessage {
    NewMessage {
        place: Planned {
            group_id: group,
            thread,
        },
        raw_sha256: Some(format!("sha-{id}")),
        message_id: id.to_string(),
        author_email: "bob@corp.example".to_string(),
        author_name: Some("Bob Builder".to_string()),
        date,
        date_trust: DateTrust::Exact,
        subject: "Zoo report".to_string(),
        subject_key: "zoo report".to_string(),
        subject_link: false,
        clean: CleanBody {
            body: body.to_string(),
            quoted: String::new(),
            signoff: String::new(),
            signature: String::new(),
            disclaimer: String::new(),
        },
        html: None,
        html_note: None,
        attachments: Attachments::default(),
        recipients: Default::default(),
        via: Via::Cc,
        reconstructed: false,
    }
}

fn rebuilt(group: i64, thread: ThreadRef, id: &str, body: &str, date: i64) -> NewMessage {
    NewMessage {
        raw_sha256: None,
        reconstructed: true,
        date_trust: DateTrust::ZoneGuess,
        ..new_message(group, thread, id, body, date)
    }
}

fn new_thread(group: i64) -> NewThread {
    NewThread {
        group_id: group,
        subject: "Zoo report".into(),
        subject_key: "zoo report".into(),
        started_at: 1,
        last_activity: 1,
        message_count: 1,
    }
}

async fn write(store: &Arc<dyn Store>, ws: WriteSet) {
    let plan = move |_: Known| ws.clone();
    store.ingest(&Lookup::default(), &plan, None).await.unwrap();
}

async fn hit_of(store: &Arc<dyn Store>, text: &str) -> SearchHit {
    let mut hits = find(store, q(text)).await;
    assert_eq!(hits.len(), 1, "{text}: {hits:?}");
    hits.remove(0)
}

async fn replaced_deleted_and_removed_are_not_found(store: Arc<dyn Store>) {
    let (eng, sales) = groups(&store).await;
    // A rebuilt entry, then its original replaces it in place (same row).
    write(
        &store,
        WriteSet {
            threads: vec![new_thread(eng)],
            messages: vec![rebuilt(
                eng,
                ThreadRef::New(0),
                "r1@x",
                "the walrus text",
                10,
            )],
            ..Default::default()
        },
    )
    .await;
    let walrus = hit_of(&store, "walrus").await;
    assert!(walrus.reconstructed);
    let original = new_message(eng, ThreadRef::Existing(walrus.thread_id), "r1@x", "", 10);
    write(
        &store,
        WriteSet {
            replacements: vec![(
                walrus.id,
                NewMessage {
                    clean: CleanBody {
                        body: "the narwhal text as sent".into(),
                        ..original.clean.clone()
                    },
                    ..original
                },
            )],
            ..Default::default()
        },
    )
    .await;
    assert!(finds(&store, "walrus").await.is_empty(), "replaced text");
    let narwhal = hit_of(&store, "narwhal").await;
    assert_eq!((narwhal.id, narwhal.reconstructed), (walrus.id, false));
    // A rebuilt entry found to repeat another is deleted.
    write(
        &store,
        WriteSet {
            messages: vec![rebuilt(
                eng,
                ThreadRef::Existing(walrus.thread_id),
                "r2@x",
                "penguin parade",
                20,
            )],
            ..Default::default()
        },
    )
    .await;
    let penguin = hit_of(&store, "penguin").await;
    write(
        &store,
        WriteSet {
            deletes: vec![penguin.id],
            ..Default::default()
        },
    )
    .await;
    assert!(finds(&store, "penguin").await.is_empty(), "deleted");
    // A message in another group, then that group removed: its messages go with it.
    write(
        &store,
        WriteSet {
            threads: vec![new_thread(sales)],
            messages: vec![new_message(
                sales,
                ThreadRef::New(0),
                "s1@x",
                "otter sales",
                30,
            )],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(hit_of(&store, "otter").await.group_slug, "sales");
    assert!(store.remove_group(&slug("sales")).await.unwrap());
    assert!(finds(&store, "otter").await.is_empty(), "group removed");
    // Reprocess starts from nothing: the index is emptied with the derived rows, and what is
    // ingested again is found again.
    store.reset_derived().await.unwrap();
    assert!(finds(&store, "narwhal").await.is_empty(), "reset");
    write(
        &store,
        WriteSet {
            threads: vec![new_thread(eng)],
            messages: vec![new_message(
                eng,
                ThreadRef::New(0),
                "r1@x",
                "narwhal again",
                10,
            )],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(hit_of(&store, "narwhal").await.message_id, "r1@x");
}

// --- migration 0008 ------------------------------------------------------------------------

/// Rows as an older outloud wrote them: applied migrations before 0008, then plain inserts.
const OLD_ROWS: [&str; 3] = [
    "INSERT INTO groups (id, slug, name, created_at) VALUES (1, 'eng', 'Eng', 0)",
    "INSERT INTO threads (id, group_id, subject, subject_key, started_at, last_activity) \
     VALUES (1, 1, 'Grüße aus Łódź', 'grüße aus łódź', 0, 0)",
    "INSERT INTO messages (id, thread_id, group_id, message_id, author_email, author_name, date, \
     subject, body, quoted, signoff, signature, disclaimer, attachments, via) \
     VALUES (7, 1, 1, 'old@x', 'kasia@corp.example', 'Kasia Kowalska', 5, 'Grüße aus Łódź', \
     'Stare wiadomości też się znajdą.', '> cytat', '', '', '', '[]', 'cc')",
];

/// Filters by date read a message's current date: a rebuilt entry re-dated by a later quote is
/// found at its new date (its date terms are indexed again), and bounds within a day are
/// checked on the message itself.
async fn filters_follow_dates_and_groups(store: Arc<dyn Store>) {
    let (eng, sales) = groups(&store).await;
    let in_days = |group: Option<i64>, from: i64, to: i64| SearchQuery {
        group,
        from: Some(from),
        to: Some(to),
        ..q("okapi")
    };
    write(
        &store,
        WriteSet {
            threads: vec![new_thread(eng)],
            messages: vec![rebuilt(
                eng,
                ThreadRef::New(0),
                "d1@x",
                "okapi sighting",
                100,
            )],
            ..Default::default()
        },
    )
    .await;
    let okapi = hit_of(&store, "okapi").await;
    assert_eq!(find(&store, in_days(None, 0, 86_399)).await.len(), 1);
    assert_eq!(find(&store, in_days(Some(eng), 0, 86_399)).await.len(), 1);
    assert!(find(&store, in_days(Some(sales), 0, 86_399))
        .await
        .is_empty());
    // Bounds within the day.
    assert_eq!(find(&store, in_days(None, 100, 100)).await.len(), 1);
    assert!(find(&store, in_days(None, 101, 86_399)).await.is_empty());
    assert!(find(&store, in_days(None, 0, 99)).await.is_empty());
    write(
        &store,
        WriteSet {
            redates: vec![(okapi.id, MARCH_31, DateTrust::ShownZone)],
            ..Default::default()
        },
    )
    .await;
    assert!(
        find(&store, in_days(None, 0, 86_399)).await.is_empty(),
        "old date"
    );
    let march_31 = in_days(Some(eng), MARCH_31 - 86_399, MARCH_31);
    assert_eq!(find(&store, march_31).await.len(), 1, "new date");
    let since_march = SearchQuery {
        to: None,
        ..in_days(None, MARCH_31 - 86_399 * 40, 0)
    };
    assert_eq!(find(&store, since_march).await.len(), 1, "open range");
    assert!(
        find(&store, in_days(None, MARCH_31 + 1, 0))
            .await
            .is_empty(),
        "empty range"
    );
}

async fn migration_backfills_existing_messages(db: TestDb) {
    let backend = db.store.backend();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut before = sqlx::migrate::Migrator::new(path).await.unwrap();
    before.migrations = (before.migrations.iter())
        .filter(|m| m.version < 8)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    match backend {
        "sqlite" => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            before.run(&pool).await.unwrap();
            for sql in OLD_ROWS {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
        _ => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            before.run(&pool).await.unwrap();
            for sql in OLD_ROWS {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
    }
    let store = db.store.clone();
    store.migrate().await.unwrap();
    let hit = hit_of(&store, "lodz wiadomosci").await;
    assert_eq!((hit.id, hit.message_id.as_str()), (7, "old@x"));
    assert_eq!(hit_of(&store, "kowalska").await.id, 7);
    assert!(finds(&store, "cytat").await.is_empty(), "quoted text");
    store.migrate().await.unwrap();
    assert_eq!(finds(&store, "lodz").await.len(), 1, "indexed once");
}

/// PostgreSQL reads a phrase's matches in windows of the newest ids, wider each time it finds
/// fewer than it ranks: matches far below the newest id (here 100,000 ids apart) are still all
/// found, in one group or in every one.
async fn old_matches_far_below_the_newest_are_found(db: TestDb) {
    let store = db.store.clone();
    let (_, sales) = groups(&store).await;
    let ingestor = Ingestor::new(store.clone(), settings()).await.unwrap();
    let walrus = |n: usize, to: &str| {
        mail(
            ("Ann Author", "ann@corp.example"),
            to,
            &format!("Walrus plan {n}"),
            DATES[n % DATES.len()],
            &format!("walrus{n}@corp.example"),
            "The walrus tank needs a new filter before spring.\n",
        )
    };
    let old = vec![
        walrus(0, "eng@corp.example"),
        walrus(1, "sales@corp.example"),
    ];
    ingestor.ingest(old, None, NOW).await.unwrap();
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    sqlx::query("SELECT setval(pg_get_serial_sequence('messages', 'id'), 100000)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let new = vec![walrus(2, "eng@corp.example"), walrus(3, "eng@corp.example")];
    ingestor.ingest(new, None, NOW).await.unwrap();
    let mut found = finds(&store, "\"walrus tank\"").await;
    found.sort();
    assert_eq!(
        found,
        (0..4)
            .map(|n| format!("walrus{n}@corp.example"))
            .collect::<Vec<_>>()
    );
    let in_sales = SearchQuery {
        group: Some(sales),
        ..q("\"walrus tank\"")
    };
    assert_eq!(ids(&store, in_sales).await, ["walrus1@corp.example"]);
}

#[tokio::test]
async fn postgres_windows_reach_old_matches() {
    old_matches_far_below_the_newest_are_found(common::postgres().await).await;
}

macro_rules! story {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = super::common::sqlite().await;
                    super::$name(db.store.clone()).await;
                }
            )*
            #[tokio::test]
            async fn migration_backfills_existing_messages() {
                let db = super::common::sqlite_unmigrated().await;
                super::migration_backfills_existing_messages(db).await;
            }
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = super::common::postgres().await;
                    super::$name(db.store.clone()).await;
                }
            )*
            #[tokio::test]
            async fn migration_backfills_existing_messages() {
                let db = super::common::postgres_unmigrated().await;
                super::migration_backfills_existing_messages(db).await;
            }
        }
    };
}

story!(
    languages_accents_and_cjk,
    clean_text_only_and_authors,
    snippets_are_marked_and_escaped,
    replaced_deleted_and_removed_are_not_found,
    filters_follow_dates_and_groups,
);
