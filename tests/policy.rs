//! Policy holds, moderation and the audit log, one story run against SQLite and PostgreSQL:
//! mail goes through the real pipeline with a policy configured; what policy holds is in the
//! moderation queue and nowhere else; approving publishes it through the normal write path
//! (and survives reprocess), rejecting keeps it off; the sender's notice is queued with the
//! decision; every decision is in the append-only audit log, which refuses changes.

// Each story reads top to bottom, one step after another: splitting it would hide the order.
#![allow(clippy::too_many_lines)]

#[macro_use]
mod common;

use std::sync::Arc;

use common::{addresses, slug};
use outloud::core::classify::OwnIdentity;
use outloud::core::pipeline::Options;
use outloud::core::policy::{Outsiders, PolicyConfig, Unauthenticated};
use outloud::ingest::{IngestSettings, Ingestor, MailResult, RawMail};
use outloud::moderation::{decide, ModerationError, Moderator};
use outloud::store::outbox::DeliveryFilter;
use outloud::store::policy::{AuditFilter, HeldState};
use outloud::store::Store;

const NOW: i64 = 1_750_000_000;

fn policy() -> PolicyConfig {
    PolicyConfig {
        enabled: true,
        trusted_authserv_ids: vec!["mx.corp.example".into()],
        allowed_domains: vec!["corp.example".into()],
        unauthenticated: Unauthenticated::Hold,
        subject_tags: vec!["[confidential]".into()],
        hold_bcc_only: true,
        outsiders: Outsiders::Hold,
        retracted_raw_days: Some(1),
        ..PolicyConfig::default()
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
            policy: policy(),
            ..Default::default()
        },
        subject_window_secs: 14 * 86_400,
        log_each_mail: false,
    }
}

/// A mail to the group from `from`, with `headers` on top (Authentication-Results, …).
fn mail(id: &str, from: &str, subject: &str, headers: &str) -> RawMail {
    let text = format!(
        "{headers}From: {from}\r\nTo: eng@corp.example\r\nSubject: {subject}\r\n\
         Message-ID: <{id}>\r\nDate: Mon, 3 Mar 2025 10:00:00 +0000\r\n\r\nHello team, {subject}.\r\n"
    );
    RawMail {
        bytes: text.into_bytes(),
        source: format!("test:{id}"),
        force_groups: vec![],
    }
}

const PASS: &str =
    "Authentication-Results: mx.corp.example; dmarc=pass header.from=corp.example\r\n";
/// Our border says DMARC failed; a copy the forger wrote (another authserv-id) says it passed.
const FORGED: &str =
    "Authentication-Results: mx.corp.example; dmarc=fail (p=reject) header.from=corp.example\r\n\
    Authentication-Results: mx.evil.example; dmarc=pass header.from=corp.example\r\n";

fn sender() -> outloud::core::compose::Sender {
    common::outbox_sender()
}

async fn setup(store: &Arc<dyn Store>) -> Ingestor {
    store
        .upsert_group(
            &slug("eng"),
            "Engineering",
            &addresses(&["eng@corp.example"]),
        )
        .await
        .unwrap();
    Ingestor::new(store.clone(), settings()).await.unwrap()
}

async fn message_count(store: &Arc<dyn Store>) -> i64 {
    let s = store.group_summaries().await.unwrap();
    s.iter().map(|g| g.message_count).sum()
}

async fn actions(store: &Arc<dyn Store>, message_id: &str) -> Vec<String> {
    let f = AuditFilter {
        message_id: Some(message_id.into()),
        limit: 100,
        ..Default::default()
    };
    let rows = store.audit(&f).await.unwrap();
    rows.into_iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e.row.actor,
                e.row.action,
                e.row.rule.unwrap_or_default()
            )
        })
        .collect()
}

async fn held_then_approved_or_rejected(store: Arc<dyn Store>) {
    let ing = setup(&store).await;
    let raws = vec![
        mail(
            "ok@corp.example",
            "alice@corp.example",
            "Release notes",
            PASS,
        ),
        mail(
            "forged@corp.example",
            "ceo@corp.example",
            "Wire transfer",
            FORGED,
        ),
        mail(
            "conf@corp.example",
            "bob@corp.example",
            "[Confidential] reorg",
            PASS,
        ),
    ];
    let reports = ing.ingest(raws.clone(), None, NOW).await.unwrap();
    assert!(
        matches!(reports[0].result, MailResult::Published { .. }),
        "{:?}",
        reports[0]
    );
    assert!(
        matches!(&reports[1].result, MailResult::Held { rule, reason } if rule == "sender_auth" && reason.contains("dmarc=fail")),
        "{:?}",
        reports[1]
    );
    assert!(matches!(&reports[2].result, MailResult::Held { rule, .. } if rule == "subject_tag"));
    assert_eq!(message_count(&store).await, 1, "held mail is not published");
    let held = store.held(Some(HeldState::Held), 10).await.unwrap();
    assert_eq!(held.len(), 2);
    assert_eq!(
        (held[0].sender.as_str(), held[0].groups.clone()),
        ("ceo@corp.example", vec!["eng".to_string()])
    );

    // The same mails again: nothing new anywhere (no second held row, no second audit line).
    ing.ingest(raws, None, NOW + 1).await.unwrap();
    assert_eq!(store.held(None, 10).await.unwrap().len(), 2);
    assert_eq!(
        actions(&store, "forged@corp.example").await,
        ["policy held sender_auth"]
    );
    assert_eq!(
        actions(&store, "ok@corp.example").await,
        ["policy published published"]
    );

    // Approve the confidential one, reject the forged one; each sender gets a notice.
    let s = sender();
    let m = Moderator {
        actor: "cli:mod",
        note: Some("checked with Bob"),
        now: NOW + 60,
        sender: Some(&s),
    };
    let conf = held.iter().find(|h| h.rule == "subject_tag").unwrap();
    let forged = held.iter().find(|h| h.rule == "sender_auth").unwrap();
    let (entry, report) = decide(&ing, conf.id, HeldState::Approved, &m)
        .await
        .unwrap();
    assert_eq!(entry.state, HeldState::Approved);
    assert!(matches!(
        report.unwrap().result,
        MailResult::Published { .. }
    ));
    assert_eq!(message_count(&store).await, 2);
    let (entry, report) = decide(&ing, forged.id, HeldState::Rejected, &m)
        .await
        .unwrap();
    assert_eq!(entry.state, HeldState::Rejected);
    assert!(report.is_none());
    assert_eq!(message_count(&store).await, 2);
    let again = decide(&ing, forged.id, HeldState::Approved, &m).await;
    assert!(matches!(
        again,
        Err(ModerationError::Decided {
            state: "rejected",
            ..
        })
    ));
    assert!(matches!(
        decide(&ing, 9999, HeldState::Approved, &m).await,
        Err(ModerationError::NotFound(9999))
    ));

    let notices = store.deliveries(&DeliveryFilter::default()).await.unwrap();
    let mut to: Vec<(String, String)> = notices
        .iter()
        .map(|d| (d.recipient.clone(), d.subject.clone()))
        .collect();
    to.sort();
    assert_eq!(
        to,
        [
            (
                "bob@corp.example".to_string(),
                "Published: [Confidential] reorg".to_string()
            ),
            (
                "ceo@corp.example".to_string(),
                "Not published: Wire transfer".to_string()
            ),
        ]
    );
    assert_eq!(
        actions(&store, "conf@corp.example").await,
        [
            "policy held subject_tag",
            "cli:mod approved subject_tag",
            "policy published approved"
        ]
    );
    assert_eq!(
        actions(&store, "forged@corp.example").await,
        ["policy held sender_auth", "cli:mod rejected sender_auth"]
    );

    // Reprocess: the approved mail is published again, the rejected one stays off.
    store.reset_derived().await.unwrap();
    let mut after = 0;
    loop {
        let page = store.raws_after(after, 100).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        let raws = page
            .into_iter()
            .map(|r| RawMail {
                bytes: r.bytes,
                source: r.source,
                force_groups: vec![],
            })
            .collect();
        ing.ingest(raws, None, NOW + 120).await.unwrap();
    }
    assert_eq!(message_count(&store).await, 2);
    let filter = AuditFilter {
        action: Some("held".into()),
        limit: 100,
        ..Default::default()
    };
    assert_eq!(
        store.audit(&filter).await.unwrap().len(),
        2,
        "reprocess holds nothing twice"
    );
}

async fn audit_log_is_append_only(db: common::TestDb) {
    let store = db.store.clone();
    let ing = setup(&store).await;
    ing.ingest(
        vec![mail("a@corp.example", "alice@corp.example", "Hi", PASS)],
        None,
        NOW,
    )
    .await
    .unwrap();
    let rows = store
        .audit(&AuditFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let url = db.url.clone();
    let refused = match store.backend() {
        "sqlite" => {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
            let u = sqlx::query("UPDATE audit_log SET detail = 'x'")
                .execute(&mut c)
                .await;
            let d = sqlx::query("DELETE FROM audit_log").execute(&mut c).await;
            (u.unwrap_err().to_string(), d.unwrap_err().to_string())
        }
        _ => {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            let u = sqlx::query("UPDATE audit_log SET detail = 'x'")
                .execute(&mut c)
                .await;
            let d = sqlx::query("DELETE FROM audit_log").execute(&mut c).await;
            let t = sqlx::query("TRUNCATE audit_log").execute(&mut c).await;
            assert!(t.unwrap_err().to_string().contains("append-only"));
            (u.unwrap_err().to_string(), d.unwrap_err().to_string())
        }
    };
    assert!(refused.0.contains("append-only"), "{}", refused.0);
    assert!(refused.1.contains("append-only"), "{}", refused.1);
    let filter = AuditFilter {
        action: Some("published".into()),
        since: Some(NOW),
        until: Some(NOW),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(store.audit(&filter).await.unwrap().len(), 1);
    let filter = AuditFilter {
        action: Some("held".into()),
        limit: 10,
        ..Default::default()
    };
    assert!(store.audit(&filter).await.unwrap().is_empty());
}

/// A CANCEL that loses the race with the undo worker (its batch read the post as pending, the
/// worker published it before the batch wrote): the store retracts what went live, as the
/// author asked, rather than recording a cancel while the post stays up.
async fn a_cancel_racing_the_undo_worker_still_stops_the_post(store: Arc<dyn Store>) {
    use outloud::core::plan::{Lookup, PendingCancel, WriteSet};
    use outloud::moderation::worker::PolicyWorker;
    setup(&store).await;
    let mut s = settings();
    s.pipeline.policy.undo_windows = vec![("eng".into(), 600)];
    let ing = Arc::new(Ingestor::new(store.clone(), s).await.unwrap());
    let clock = outloud::clock::Clock::fixed(NOW + 600);
    let worker = PolicyWorker::new(ing.clone(), clock, std::time::Duration::from_secs(30));
    let a = mail("race@corp.example", "alice@corp.example", "Race", PASS);
    ing.ingest(vec![a], None, NOW).await.unwrap();
    let id = store.held(Some(HeldState::Pending), 10).await.unwrap()[0].id;
    assert_eq!(worker.run_once().await.unwrap().released, [id]);
    assert_eq!(message_count(&store).await, 1);
    // The CANCEL's write set, planned while the post was still pending.
    let cancel = PendingCancel {
        held_id: id,
        actor: "sender:alice@corp.example".into(),
        at: NOW + 601,
        purge_after: Some(NOW + 601 + 86_400),
    };
    let plan = move |_| WriteSet {
        cancels: vec![cancel.clone()],
        ..WriteSet::default()
    };
    store.ingest(&Lookup::default(), &plan, None).await.unwrap();
    assert_eq!(message_count(&store).await, 0, "the post is retracted");
    assert_eq!(
        actions(&store, "race@corp.example").await.last().unwrap(),
        "sender:alice@corp.example retracted "
    );
}

story!(
    held_then_approved_or_rejected,
    retracted_posts_are_gone_everywhere,
    an_author_retracts_by_replying_retract,
    a_first_post_is_held_when_configured,
    an_undo_window_publishes_when_it_ends_and_cancel_stops_it,
    a_reply_quoting_a_retracted_post_loses_the_quote,
    the_policy_worker_purges_raw_mail_past_its_retention,
    a_cancel_racing_the_undo_worker_still_stops_the_post
);

#[tokio::test]
async fn audit_log_is_append_only_sqlite() {
    audit_log_is_append_only(common::sqlite().await).await;
}

#[tokio::test]
async fn audit_log_is_append_only_postgres() {
    audit_log_is_append_only(common::postgres().await).await;
}

/// A reply to `parent` in the same thread.
fn reply(id: &str, from: &str, parent: &str, words: &str) -> RawMail {
    let text = format!(
        "{PASS}From: {from}\r\nTo: eng@corp.example\r\nSubject: Re: Release notes\r\n\
         Message-ID: <{id}>\r\nIn-Reply-To: <{parent}>\r\nReferences: <{parent}>\r\n\
         Date: Mon, 3 Mar 2025 11:00:00 +0000\r\n\r\n{words}\r\n"
    );
    RawMail {
        bytes: text.into_bytes(),
        source: format!("test:{id}"),
        force_groups: vec![],
    }
}

async fn found(store: &Arc<dyn Store>, words: &str) -> Vec<String> {
    let q = outloud::store::SearchQuery {
        text: words.into(),
        limit: 20,
        ..Default::default()
    };
    let hits = store.search(&q).await.unwrap();
    hits.into_iter().map(|h| h.message_id).collect()
}

async fn exported(store: &Arc<dyn Store>) -> Vec<String> {
    let rows = store.messages_after(0, 1000).await.unwrap();
    rows.into_iter().map(|m| m.message_id).collect()
}

async fn retracted_posts_are_gone_everywhere(store: Arc<dyn Store>) {
    use outloud::store::policy::{RetractTarget, Retraction};
    let ing = setup(&store).await;
    let first = mail(
        "p1@corp.example",
        "alice@corp.example",
        "Release notes",
        PASS,
    );
    let second = reply(
        "p2@corp.example",
        "bob@corp.example",
        "p1@corp.example",
        "Zebrafish budget approved",
    );
    let other = mail(
        "q1@corp.example",
        "carol@corp.example",
        "Lunch zebrafish",
        PASS,
    );
    ing.ingest(vec![first, second.clone(), other], None, NOW)
        .await
        .unwrap();
    assert_eq!(found(&store, "zebrafish").await.len(), 2);

    // The author's reply is retracted: gone from the thread, search and export; counts drop.
    let r = Retraction {
        target: RetractTarget::Message("p2@corp.example".into()),
        actor: "sender:bob@corp.example",
        now: NOW + 10,
        purge_after: Some(NOW + 100),
    };
    let done = store.retract(&r).await.unwrap().unwrap();
    assert_eq!((done.messages_deleted, done.threads_deleted), (1, 0));
    assert_eq!(found(&store, "zebrafish").await, ["q1@corp.example"]);
    assert!(!exported(&store)
        .await
        .contains(&"p2@corp.example".to_string()));
    assert_eq!(message_count(&store).await, 2);
    let g = store.groups().await.unwrap()[0].id;
    let threads = store.threads(g, 10, 0).await.unwrap();
    let t = threads
        .iter()
        .find(|t| t.subject == "Release notes")
        .unwrap();
    assert_eq!(t.message_count, 1);
    let detail = store.thread(t.id).await.unwrap().unwrap();
    assert!(detail
        .messages
        .iter()
        .all(|m| m.message_id != "p2@corp.example"));

    // Delivered again (a re-sync, a reprocess): never filed again.
    let again = ing.ingest(vec![second], None, NOW + 20).await.unwrap();
    assert!(
        matches!(&again[0].result, MailResult::Held { rule, .. } if rule == "retracted"),
        "{:?}",
        again[0]
    );
    assert_eq!(message_count(&store).await, 2);

    // An admin retracts the whole thread.
    let r = Retraction {
        target: RetractTarget::Thread(t.id),
        actor: "cli:admin",
        now: NOW + 30,
        purge_after: None,
    };
    let done = store.retract(&r).await.unwrap().unwrap();
    assert_eq!(done.threads_deleted, 1);
    assert!(store.thread(t.id).await.unwrap().is_none());
    assert_eq!(exported(&store).await, ["q1@corp.example"]);
    assert!(
        store.retract(&r).await.unwrap().is_none(),
        "nothing left to retract"
    );

    // `outloud check` accounts for the retracted raw mails.
    let opts = settings().pipeline;
    let report = outloud::check::check(store.as_ref(), &opts).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // The audit log has both; retention purges the reply's raw mail only (the thread's is kept).
    let f = AuditFilter {
        action: Some("retracted".into()),
        limit: 10,
        ..Default::default()
    };
    let who: Vec<String> = store
        .audit(&f)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.row.actor)
        .collect();
    assert_eq!(who, ["sender:bob@corp.example", "cli:admin"]);
    assert_eq!(store.purge_retracted(NOW + 99).await.unwrap(), 0);
    assert_eq!(store.purge_retracted(NOW + 100).await.unwrap(), 1);
    let raws = store.raws_after(0, 100).await.unwrap();
    assert_eq!(raws.len(), 2);
}

async fn an_author_retracts_by_replying_retract(store: Arc<dyn Store>) {
    let ing = setup(&store).await;
    let post = mail(
        "r1@corp.example",
        "alice@corp.example",
        "Release notes",
        PASS,
    );
    let other = mail("r2@corp.example", "bob@corp.example", "Other notes", PASS);
    ing.ingest(vec![post, other], None, NOW).await.unwrap();
    // Bob may not retract Alice's post: his RETRACT is held for a moderator, nothing removed.
    let bobs = reply(
        "x1@corp.example",
        "bob@corp.example",
        "r1@corp.example",
        "RETRACT",
    );
    let r = ing.ingest(vec![bobs], None, NOW + 5).await.unwrap();
    assert!(
        matches!(&r[0].result, MailResult::Held { rule, .. } if rule == "retract_refused"),
        "{:?}",
        r[0]
    );
    assert_eq!(message_count(&store).await, 2);
    // Alice's own RETRACT reply removes her post and is not published itself.
    let alices = reply(
        "x2@corp.example",
        "alice@corp.example",
        "r1@corp.example",
        "Retract",
    );
    let r = ing.ingest(vec![alices], None, NOW + 10).await.unwrap();
    assert!(
        matches!(&r[0].result, MailResult::Held { rule, .. } if rule == "retract_command"),
        "{:?}",
        r[0]
    );
    assert_eq!(exported(&store).await, ["r2@corp.example"]);
    assert_eq!(
        actions(&store, "r1@corp.example").await,
        [
            "policy published published",
            "sender:alice@corp.example retracted "
        ]
    );
    // Its raw mail is kept policy.retracted_raw_days (1 here), then purged.
    assert_eq!(store.purge_retracted(NOW + 10 + 86_399).await.unwrap(), 0);
    assert_eq!(store.purge_retracted(NOW + 10 + 86_400).await.unwrap(), 1);
}

async fn a_first_post_is_held_when_configured(store: Arc<dyn Store>) {
    store
        .upsert_group(
            &slug("eng"),
            "Engineering",
            &addresses(&["eng@corp.example"]),
        )
        .await
        .unwrap();
    let mut s = settings();
    s.pipeline.policy.hold_first_post = true;
    let ing = Ingestor::new(store.clone(), s).await.unwrap();
    let first = mail("f1@corp.example", "alice@corp.example", "Hello", PASS);
    let r = ing.ingest(vec![first], None, NOW).await.unwrap();
    assert!(
        matches!(&r[0].result, MailResult::Held { rule, reason } if rule == "first_post" && reason.contains("alice@corp.example in eng")),
        "{:?}",
        r[0]
    );
    let held = store.held(Some(HeldState::Held), 10).await.unwrap();
    let m = Moderator {
        actor: "cli:mod",
        note: None,
        now: NOW + 1,
        sender: None,
    };
    let (_, report) = decide(&ing, held[0].id, HeldState::Approved, &m)
        .await
        .unwrap();
    assert!(matches!(
        report.unwrap().result,
        MailResult::Published { .. }
    ));
    // Once she has posted, her next mail is published; Bob's first is held.
    let next = mail("f2@corp.example", "alice@corp.example", "Again", PASS);
    let bobs = mail("f3@corp.example", "bob@corp.example", "Hi", PASS);
    let r = ing.ingest(vec![next, bobs], None, NOW + 2).await.unwrap();
    assert!(
        matches!(r[0].result, MailResult::Published { .. }),
        "{:?}",
        r[0]
    );
    assert!(
        matches!(&r[1].result, MailResult::Held { rule, .. } if rule == "first_post"),
        "{:?}",
        r[1]
    );
}

/// Every queued mail to `to`: (subject, the raw mail as text).
async fn mailed(store: &Arc<dyn Store>, to: &str) -> Vec<(String, String)> {
    (common::queued_to(store, to).await.into_iter())
        .map(|raw| (header_of(&raw, "Subject").unwrap_or_default(), raw))
        .collect()
}

/// The value of header `name` in a raw mail (first line only).
fn header_of(raw: &str, name: &str) -> Option<String> {
    raw.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_string))
}

/// A `CANCEL` reply to the undo notice `notice_id` about post `post`.
fn cancel(id: &str, from: &str, post: &str, notice_id: &str) -> RawMail {
    let text = format!(
        "{PASS}From: {from}\r\nTo: eng@corp.example\r\nSubject: Re: Publishing in 10 min\r\n\
         Message-ID: <{id}>\r\nIn-Reply-To: <{notice_id}>\r\nReferences: <{post}> <{notice_id}>\r\n\
         Date: Mon, 3 Mar 2025 10:01:00 +0000\r\n\r\nCANCEL\r\n\r\n> Your mail will be published\r\n"
    );
    RawMail {
        bytes: text.into_bytes(),
        source: format!("test:{id}"),
        force_groups: vec![],
    }
}

async fn an_undo_window_publishes_when_it_ends_and_cancel_stops_it(store: Arc<dyn Store>) {
    use outloud::moderation::worker::PolicyWorker;
    use std::sync::atomic::{AtomicI64, Ordering};
    setup(&store).await;
    let mut s = settings();
    s.pipeline.policy.undo_windows = vec![("eng".into(), 600)];
    let ing = Arc::new(
        Ingestor::new(store.clone(), s)
            .await
            .unwrap()
            .with_notices(Some(outloud::moderation::undo_window::Notices {
                sender: sender(),
                pending_url: Some("https://outloud.corp.example/pending".into()),
            })),
    );
    let clock_now = Arc::new(AtomicI64::new(NOW));
    let clock = outloud::clock::Clock::from_fn({
        let n = clock_now.clone();
        move || n.load(Ordering::Relaxed)
    });
    let worker = PolicyWorker::new(ing.clone(), clock, std::time::Duration::from_secs(30));

    // Alice's post waits: nothing published, she is told where, when and how to cancel.
    let a = mail(
        "u1@corp.example",
        "alice@corp.example",
        "Offsite plan",
        PASS,
    );
    let r = ing.ingest(vec![a.clone()], None, NOW).await.unwrap();
    assert!(
        matches!(&r[0].result, MailResult::Held { rule, .. } if rule == "undo_window"),
        "{:?}",
        r[0]
    );
    assert_eq!(message_count(&store).await, 0);
    let pending = store.held(Some(HeldState::Pending), 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].publish_at, Some(NOW + 600));
    assert!(
        store
            .held(Some(HeldState::Held), 10)
            .await
            .unwrap()
            .is_empty(),
        "not for a moderator"
    );
    let notices = mailed(&store, "alice@corp.example").await;
    assert_eq!(notices.len(), 1);
    let (subject, raw) = &notices[0];
    assert!(subject.contains("Offsite plan"), "{subject}");
    let flat = raw.replace("=\r\n", "").replace("\r\n", " ");
    assert!(flat.contains("CANCEL") && flat.contains("eng"), "{raw}");
    // The web page where she can cancel it too (web.base_url + /pending).
    assert!(
        flat.contains("https://outloud.corp.example/pending"),
        "{raw}"
    );
    assert_eq!(
        header_of(raw, "Reply-To").as_deref(),
        Some("eng@corp.example")
    );
    assert_eq!(
        header_of(raw, "In-Reply-To").as_deref(),
        Some("<u1@corp.example>")
    );
    // Seen again (IMAP re-sync) while waiting: still waiting, not queued twice, no new notice.
    ing.ingest(vec![a], None, NOW + 5).await.unwrap();
    assert_eq!(store.held(None, 10).await.unwrap().len(), 1);
    assert_eq!(mailed(&store, "alice@corp.example").await.len(), 1);

    // The window has not ended a second early; at its end the worker publishes.
    clock_now.store(NOW + 599, Ordering::Relaxed);
    assert!(worker.run_once().await.unwrap().released.is_empty());
    assert_eq!(message_count(&store).await, 0);
    clock_now.store(NOW + 600, Ordering::Relaxed);
    let round = worker.run_once().await.unwrap();
    assert_eq!(round.released, [pending[0].id]);
    assert_eq!(message_count(&store).await, 1);
    assert!(worker.run_once().await.unwrap().released.is_empty(), "once");
    assert_eq!(
        actions(&store, "u1@corp.example").await,
        [
            "policy pending undo_window",
            "undo_window approved undo_window",
            "policy published approved",
        ]
    );

    // Bob's post waits; Carol cannot cancel it, Bob can, by replying to the notice.
    let b = mail("u2@corp.example", "bob@corp.example", "Reorg draft", PASS);
    ing.ingest(vec![b.clone()], None, NOW + 700).await.unwrap();
    let notice_id = header_of(&mailed(&store, "bob@corp.example").await[0].1, "Message-ID")
        .unwrap()
        .trim_matches(['<', '>'])
        .to_string();
    let carols = cancel(
        "c1@corp.example",
        "carol@corp.example",
        "u2@corp.example",
        &notice_id,
    );
    let r = ing.ingest(vec![carols], None, NOW + 710).await.unwrap();
    assert!(
        matches!(&r[0].result, MailResult::Held { rule, .. } if rule == "cancel_refused"),
        "{:?}",
        r[0]
    );
    let bobs = cancel(
        "c2@corp.example",
        "bob@corp.example",
        "u2@corp.example",
        &notice_id,
    );
    let r = ing.ingest(vec![bobs], None, NOW + 720).await.unwrap();
    assert!(
        matches!(&r[0].result, MailResult::Held { rule, .. } if rule == "cancel_command"),
        "{:?}",
        r[0]
    );
    let cancelled = store.held(Some(HeldState::Cancelled), 10).await.unwrap();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].message_id, "u2@corp.example");
    assert_eq!(
        cancelled[0].decided_by.as_deref(),
        Some("sender:bob@corp.example")
    );
    // Its window ends: nothing is published; delivered again, it is not filed either.
    clock_now.store(NOW + 5000, Ordering::Relaxed);
    assert!(worker.run_once().await.unwrap().released.is_empty());
    ing.ingest(vec![b], None, NOW + 5001).await.unwrap();
    assert_eq!(exported(&store).await, ["u1@corp.example"]);
    assert_eq!(
        actions(&store, "u2@corp.example").await,
        [
            "policy pending undo_window",
            "sender:bob@corp.example cancelled undo_window",
        ]
    );

    // RETRACT of a post still waiting cancels it too.
    let c = mail("u3@corp.example", "carol@corp.example", "Draft", PASS);
    ing.ingest(vec![c], None, NOW + 5100).await.unwrap();
    let retract = reply(
        "c4@corp.example",
        "carol@corp.example",
        "u3@corp.example",
        "RETRACT",
    );
    let r = ing.ingest(vec![retract], None, NOW + 5110).await.unwrap();
    assert!(
        matches!(&r[0].result, MailResult::Held { rule, .. } if rule == "cancel_command"),
        "{:?}",
        r[0]
    );
    let cancelled = store.held(Some(HeldState::Cancelled), 10).await.unwrap();
    assert_eq!(cancelled.len(), 2);

    // After the window, Alice's CANCEL takes her published post down (a retraction).
    let late = reply(
        "c3@corp.example",
        "alice@corp.example",
        "u1@corp.example",
        "cancel",
    );
    let r = ing.ingest(vec![late], None, NOW + 6000).await.unwrap();
    assert!(
        matches!(&r[0].result, MailResult::Held { rule, .. } if rule == "retract_command"),
        "{:?}",
        r[0]
    );
    assert!(exported(&store).await.is_empty());

    // `outloud check` accounts for pending, cancelled and command mail.
    let opts = settings().pipeline;
    let report = outloud::check::check(store.as_ref(), &opts).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

async fn a_reply_quoting_a_retracted_post_loses_the_quote(store: Arc<dyn Store>) {
    use outloud::core::policy::retracted_quotes::REMOVED_NOTE;
    use outloud::store::policy::{RetractTarget, Retraction};
    let ing = setup(&store).await;
    let secret = "The Q3 numbers are twelve percent below plan, please keep this close.";
    let post = format!(
        "{PASS}From: alice@corp.example\r\nTo: eng@corp.example\r\nSubject: Q3\r\n\
         Message-ID: <k1@corp.example>\r\nDate: Mon, 3 Mar 2025 10:00:00 +0000\r\n\r\n{secret}\r\n"
    );
    let quoting =
        "Thanks, noted.\r\n\r\nOn Mon, 3 Mar 2025 at 10:00, Alice <alice@corp.example> wrote:\r\n\
         > The Q3 numbers are twelve percent below plan, please keep\r\n> this close.\r\n";
    let raws = vec![
        RawMail {
            bytes: post.into_bytes(),
            source: "test:k1".into(),
            force_groups: vec![],
        },
        reply(
            "k2@corp.example",
            "bob@corp.example",
            "k1@corp.example",
            quoting,
        ),
    ];
    ing.ingest(raws, None, NOW).await.unwrap();
    let all = store.messages_after(0, 100).await.unwrap();
    let bobs = all
        .iter()
        .find(|m| m.message_id == "k2@corp.example")
        .unwrap();
    assert!(
        bobs.clean.quoted.contains("twelve percent"),
        "{:?}",
        bobs.clean
    );

    let r = Retraction {
        target: RetractTarget::Message("k1@corp.example".into()),
        actor: "cli:admin",
        now: NOW + 10,
        purge_after: None,
    };
    let done = store.retract(&r).await.unwrap().unwrap();
    assert_eq!(done.quotes_cleared, 1);
    let all = store.messages_after(0, 100).await.unwrap();
    assert_eq!(all.len(), 1, "Bob's reply stays");
    assert_eq!(all[0].clean.quoted, REMOVED_NOTE);
    assert_eq!(all[0].clean.body, "Thanks, noted.");
    for m in &all {
        assert!(!format!("{m:?}").contains("twelve percent"), "{m:?}");
    }
    let t = store.thread(all[0].place.thread_id).await.unwrap().unwrap();
    assert!(!format!("{:?}", t.messages).contains("twelve percent"));
}

async fn the_policy_worker_purges_raw_mail_past_its_retention(store: Arc<dyn Store>) {
    use outloud::moderation::worker::PolicyWorker;
    use outloud::store::policy::RetractTarget;
    use std::sync::atomic::{AtomicI64, Ordering};
    let ing = Arc::new(setup(&store).await);
    let post = mail("z1@corp.example", "alice@corp.example", "Plans", PASS);
    let other = mail("z2@corp.example", "bob@corp.example", "Lunch", PASS);
    ing.ingest(vec![post, other], None, NOW).await.unwrap();
    // Retracted as `outloud retract` and the admin page do, keeping the raw mail one day.
    let target = RetractTarget::Message("z1@corp.example".into());
    let done = outloud::moderation::retract(store.as_ref(), target, "cli:admin", NOW + 10, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.message_ids, ["z1@corp.example"]);
    assert_eq!(
        store.raws_after(0, 100).await.unwrap().len(),
        2,
        "kept for now"
    );
    let now = Arc::new(AtomicI64::new(NOW + 10 + 86_399));
    let clock = outloud::clock::Clock::from_fn({
        let now = now.clone();
        move || now.load(Ordering::Relaxed)
    });
    let worker = PolicyWorker::new(ing, clock, std::time::Duration::from_secs(30));
    assert_eq!(worker.run_once().await.unwrap().purged, 0);
    now.fetch_add(1, Ordering::Relaxed);
    assert_eq!(worker.run_once().await.unwrap().purged, 1);
    assert_eq!(worker.run_once().await.unwrap().purged, 0, "once");
    let raws = store.raws_after(0, 100).await.unwrap();
    assert_eq!(raws.len(), 1);
    assert_eq!(exported(&store).await, ["z2@corp.example"]);
    // The daemon's loop: a round, then it waits for its poll or the stop token, whichever first.
    let stop = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(worker.run(stop.clone()));
    stop.cancel();
    running.await.unwrap();
}
