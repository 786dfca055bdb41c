//! End to end on realistic conversations (Gmail, Outlook desktop, Apple Mail, Thunderbird),
//! through import, on SQLite and PostgreSQL: one thread per conversation, clean bodies, the
//! quoted history rebuilt and later replaced by its originals, idempotent re-import, and an
//! mbox export that rebuilds the same network in an empty database.
// Each conversation reads top to bottom, one mail after another: splitting it would hide the order.
#![allow(clippy::too_many_lines)]

mod common;

use std::sync::Arc;

use common::{fixture, TestDb};
use outloud::core::classify::OwnIdentity;
use outloud::core::pipeline::Options;
use outloud::import::{import, ImportOptions, ImportSummary};
use outloud::ingest::{IngestSettings, Ingestor};
use outloud::store::{Store, ThreadDetail};

const NOW: i64 = 1_750_000_000;

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
        log_each_mail: true,
    }
}

async fn setup(store: &Arc<dyn Store>) {
    store
        .upsert_group(
            &common::slug("eng"),
            "Engineering",
            &common::addresses(&["eng@corp.example"]),
        )
        .await
        .unwrap();
    store
        .upsert_group(
            &common::slug("sales"),
            "Sales",
            &common::addresses(&["sales@corp.example"]),
        )
        .await
        .unwrap();
}

async fn run_import(store: &Arc<dyn Store>, files: &[&str], groups: &[&str]) -> ImportSummary {
    let ingestor = Ingestor::new(store.clone(), settings()).await.unwrap();
    let opts = ImportOptions {
        paths: files.iter().map(|f| fixture(f)).collect(),
        force_groups: groups.iter().map(|g| g.to_string()).collect(),
        batch_size: 2,
        progress: false,
    };
    import(&ingestor, opts, || NOW).await.unwrap()
}

async fn thread_by_subject(store: &Arc<dyn Store>, slug: &str, subject: &str) -> ThreadDetail {
    let g = store
        .groups()
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.slug == slug)
        .unwrap();
    let threads = store.threads(g.id, 100, 0).await.unwrap();
    let t = threads
        .iter()
        .find(|t| t.subject == subject)
        .unwrap_or_else(|| panic!("no thread {subject:?} in {threads:#?}"));
    store.thread(t.id).await.unwrap().unwrap()
}

async fn story(db: TestDb) {
    let store = db.store.clone();
    setup(&store).await;
    let s = run_import(
        &store,
        &[
            "threads/gmail-midway.mbox",
            "threads/outlook-thread-index.mbox",
            "threads/apple-thunderbird.mbox",
        ],
        &[],
    )
    .await;
    assert_eq!(
        (s.read, s.imported, s.duplicates, s.quarantined),
        (8, 8, 0, 0),
        "{s:?}"
    );

    // One thread per conversation.
    let groups = store.group_summaries().await.unwrap();
    let eng = groups.iter().find(|g| g.group.slug == "eng").unwrap();
    let sales = groups.iter().find(|g| g.group.slug == "sales").unwrap();
    assert_eq!(eng.thread_count, 2, "{groups:#?}");
    assert_eq!(sales.thread_count, 1, "{groups:#?}");

    // Gmail: the group was cc'd on the third mail; the first two are rebuilt from its quotes.
    let launch = thread_by_subject(&store, "eng", "Q3 launch plan").await;
    let authors: Vec<(&str, bool)> = launch
        .messages
        .iter()
        .map(|m| (m.author_email.as_str(), m.reconstructed))
        .collect();
    assert_eq!(
        authors,
        vec![
            ("anna@corp.example", true),
            ("bob@corp.example", true),
            ("anna@corp.example", false),
            ("carol@corp.example", false)
        ]
    );
    assert!(
        launch.messages[0]
            .clean
            .body
            .contains("beta on June 5, GA on July 1"),
        "{:#?}",
        launch.messages[0]
    );
    assert!(!launch.messages[0].clean.body.contains('>'));
    assert_eq!(
        launch.messages[1].clean.body.trim_end(),
        "Looks good. Can we move the beta to June 12? QA needs one more week."
    );
    assert_eq!(
        launch.messages[2].clean.body,
        "Adding eng so everyone sees the plan. Bob's date works for me; let's freeze\nthe scope on Friday."
    );
    assert!(launch.messages[2]
        .clean
        .quoted
        .contains("Can we move the beta"));
    assert_eq!(
        launch.messages[3].clean.body,
        "The infra migration lands on June 10, so June 12 for the beta is tight but\ndoable. I'll block the week in the ops calendar."
    );

    // Outlook: the German reply (AW:) and the answer with no References join by Thread-Index.
    let build = thread_by_subject(&store, "eng", "Build server maintenance on Thursday").await;
    assert_eq!(build.messages.len(), 3, "{build:#?}");
    assert!(build.messages.iter().all(|m| !m.reconstructed));
    assert_eq!(build.messages[0].clean.body, "Hi all,\n\nThe build server will be down on Thursday from 18:00 to 20:00 UTC for the disk upgrade. Please don't merge anything big that afternoon.");
    assert_eq!(
        build.messages[1].author_name.as_deref(),
        Some("Erik Müller")
    );
    assert_eq!(
        build.messages[1].clean.body,
        "Hallo David,\n\nkönnen wir das auf Freitag verschieben? Am Donnerstag ist der Release-Freeze für 4.2."
    );
    assert!(build.messages[1]
        .clean
        .quoted
        .contains("Ursprüngliche Nachricht"));
    assert_eq!(
        build.messages[2].clean.body,
        "Sure, Friday 18:00 UTC it is."
    );

    // Apple Mail and an interleaved Thunderbird reply: every fragment the author wrote is kept.
    let pricing = thread_by_subject(&store, "sales", "New pricing page draft").await;
    assert_eq!(pricing.messages.len(), 3);
    assert!(pricing.messages[0]
        .clean
        .signature
        .contains("Sent from my iPhone"));
    let george = &pricing.messages[1].clean.body;
    assert!(
        george.contains("comparison table still says 10%") && george.contains("Done, see my notes"),
        "{george}"
    );
    assert!(!george.contains("Comments by Friday"), "{george}");
    assert!(pricing.messages[1]
        .clean
        .signature
        .contains("Account Executive"));
    assert_eq!(
        pricing.messages[2].clean.body,
        "Good catch, fixed the table."
    );

    // The originals arrive later (backfilled from Anna's mailbox): they replace the
    // reconstructions instead of duplicating them.
    let s = run_import(&store, &["threads/gmail-midway-originals.mbox"], &["eng"]).await;
    assert_eq!((s.imported, s.replaced), (2, 2), "{s:?}");
    let launch = thread_by_subject(&store, "eng", "Q3 launch plan").await;
    assert_eq!(launch.messages.len(), 4);
    assert!(
        launch.messages.iter().all(|m| !m.reconstructed),
        "{launch:#?}"
    );
    assert_eq!(
        launch.messages[0].message_id,
        "CAH7kL2pQ1-launch@mail.gmail.com"
    );
    assert_eq!(launch.thread.message_count, 4);

    // Importing everything again changes nothing.
    let before = export_jsonl(&store).await;
    let s = run_import(
        &store,
        &[
            "threads/gmail-midway.mbox",
            "threads/outlook-thread-index.mbox",
            "threads/apple-thunderbird.mbox",
        ],
        &[],
    )
    .await;
    assert_eq!((s.imported, s.duplicates), (0, 8), "{s:?}");
    assert_eq!(export_jsonl(&store).await, before);

    // Backup and restore: the mbox export imported into an empty database rebuilds the network.
    let mut mbox = Vec::new();
    outloud::export::export_mbox(store.as_ref(), &mut mbox, "backup.mbox")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backup.mbox");
    std::fs::write(&path, &mbox).unwrap();
    let fresh = common::sqlite().await;
    setup(&fresh.store).await;
    let ingestor = Ingestor::new(fresh.store.clone(), settings())
        .await
        .unwrap();
    let opts = ImportOptions {
        paths: vec![path],
        force_groups: vec![],
        batch_size: 3,
        progress: false,
    };
    let s = import(&ingestor, opts, || NOW).await.unwrap();
    assert_eq!(s.quarantined, 0);
    assert_eq!(export_jsonl(&fresh.store).await, before);
    fresh.cleanup().await;
    db.cleanup().await;
}

async fn export_jsonl(store: &Arc<dyn Store>) -> String {
    let mut out = Vec::new();
    outloud::export::export_jsonl(store.as_ref(), &mut out)
        .await
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn conversations_on_sqlite() {
    story(common::sqlite().await).await;
}

#[tokio::test]
async fn conversations_on_postgres() {
    story(common::postgres().await).await;
}
