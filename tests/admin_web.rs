//! The admin pages (`/admin`) on both backends, through the router as a browser uses them:
//! only the signed-in admins of `web.admins` see the moderation queue, the audit log and the
//! retraction form (anonymous visitors are sent to sign in even on a public site, others get
//! 403); approving and rejecting and retracting are CSRF-checked POSTs that go through the
//! CLI's code and are audited as `web:ADDRESS`. Also: a post written on the web with a
//! confidential subject tag is refused, audited, and neither stored nor mailed; authors
//! retract their posts and cancel the ones still in their undo window.

// Each story reads top to bottom, one step after another: splitting it would hide the order.
#![allow(clippy::too_many_lines)]

#[macro_use]
mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::web::{field, signed_in, Browser, SITE};
use common::{addresses, slug};
use outloud::clock::Clock;
use outloud::core::classify::OwnIdentity;
use outloud::core::pipeline::Options;
use outloud::core::policy::{Outsiders, PolicyConfig, Unauthenticated};
use outloud::ingest::{IngestSettings, Ingestor, MailResult, RawMail};
use outloud::store::policy::{AuditFilter, HeldState};
use outloud::store::Store;
use outloud::web::{router_with_auth, AuthSettings, HealthDetail};

const T0: i64 = 1_800_000_000;

fn settings() -> IngestSettings {
    IngestSettings {
        pipeline: Options {
            own: OwnIdentity {
                addresses: vec!["outloud@localhost".into()],
                loop_marker: "outloud".into(),
                bounce_address: Some("bounces@localhost".into()),
            },
            policy: PolicyConfig {
                enabled: true,
                trusted_authserv_ids: vec!["mx.corp.example".into()],
                allowed_domains: vec!["corp.example".into()],
                unauthenticated: Unauthenticated::Hold,
                subject_tags: vec!["[confidential]".into()],
                hold_bcc_only: true,
                outsiders: Outsiders::Hold,
                ..PolicyConfig::default()
            },
            ..Default::default()
        },
        subject_window_secs: 14 * 86_400,
        log_each_mail: false,
    }
}

fn router(store: &Arc<dyn Store>, public: bool) -> axum::Router {
    let mut auth = AuthSettings::public_for_tests(SITE);
    auth.ingest = settings();
    auth.public = public;
    auth.allowed_domains = vec!["corp.example".into()];
    auth.admins = vec!["boss@corp.example".into()];
    auth.clock = Clock::fixed(T0);
    router_with_auth(
        store.clone(),
        outloud::health::Health::new(),
        HealthDetail::default(),
        auth,
    )
}

const PASS: &str =
    "Authentication-Results: mx.corp.example; dmarc=pass header.from=corp.example\r\n";
const FORGED: &str =
    "Authentication-Results: mx.corp.example; dmarc=fail header.from=corp.example\r\n";

fn mail(id: &str, from: &str, subject: &str, auth: &str) -> RawMail {
    let text = format!(
        "{auth}From: {from}\r\nTo: eng@corp.example\r\nSubject: {subject}\r\n\
         Message-ID: <{id}>\r\nDate: Mon, 3 Mar 2025 10:00:00 +0000\r\n\r\nHello team, {subject}.\r\n"
    );
    RawMail {
        bytes: text.into_bytes(),
        source: format!("test:{id}"),
        force_groups: vec![],
    }
}

async fn setup(store: &Arc<dyn Store>) -> Ingestor {
    let eng = addresses(&["eng@corp.example"]);
    store
        .upsert_group(&slug("eng"), "Engineering", &eng)
        .await
        .unwrap();
    Ingestor::new(store.clone(), settings()).await.unwrap()
}

async fn actors(store: &Arc<dyn Store>, action: &str) -> Vec<String> {
    let f = AuditFilter {
        action: Some(action.into()),
        limit: 100,
        ..Default::default()
    };
    let rows = store.audit(&f).await.unwrap();
    rows.into_iter().map(|e| e.row.actor).collect()
}

async fn only_admins_get_in(store: Arc<dyn Store>) {
    setup(&store).await;
    let closed = router(&store, false);
    let open = router(&store, true);
    for path in [
        "/admin",
        "/admin/held",
        "/admin/held/1",
        "/admin/audit",
        "/admin/audit.jsonl",
        "/admin/retract",
    ] {
        for r in [&closed, &open] {
            let p = Browser::default().get(r, path).await;
            assert_eq!(p.status, StatusCode::SEE_OTHER, "{path}");
            assert!(p.location.unwrap().starts_with("/signin?next="), "{path}");
        }
    }
    let mut ann = signed_in(&closed, &store, "ann@corp.example").await;
    for path in [
        "/admin/held",
        "/admin/audit",
        "/admin/audit.jsonl",
        "/admin/retract",
    ] {
        let p = ann.get(&closed, path).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{path}");
        assert!(p.body.contains("Admins only"), "{path}");
    }
    let home = ann.get(&closed, "/").await;
    assert!(!home.body.contains("/admin/held"), "no admin link for Ann");
    let csrf = field(&home.body, "csrf");
    let p = ann
        .post(
            &closed,
            "/admin/retract",
            &[("csrf", &csrf), ("thread", "1")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let mut boss = signed_in(&closed, &store, "Boss@corp.example").await;
    let home = boss.get(&closed, "/").await;
    assert!(home.body.contains("href=\"/admin/held\""), "{}", home.body);
    assert_eq!(
        boss.get(&closed, "/admin").await.location.as_deref(),
        Some("/admin/held")
    );
    let p = boss.get(&closed, "/admin/held").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(
        p.body.contains("<h1>Moderation queue</h1>") && p.body.contains("<main"),
        "{}",
        p.body
    );
}

async fn an_admin_moderates_on_the_web(store: Arc<dyn Store>) {
    let ing = setup(&store).await;
    let raws = vec![
        mail(
            "h1@corp.example",
            "mallory@corp.example",
            "Forged hello",
            FORGED,
        ),
        mail(
            "h2@corp.example",
            "ann@corp.example",
            "[confidential] Reorg",
            PASS,
        ),
        mail("ok@corp.example", "bob@corp.example", "Fine", PASS),
    ];
    let r = ing.ingest(raws, None, T0).await.unwrap();
    assert!(
        matches!(r[2].result, MailResult::Published { .. }),
        "{:?}",
        r[2]
    );
    let held = store.held(Some(HeldState::Held), 10).await.unwrap();
    assert_eq!(held.len(), 2);
    let site = router(&store, false);
    let mut boss = signed_in(&site, &store, "boss@corp.example").await;

    let list = boss.get(&site, "/admin/held").await;
    assert!(
        list.body.contains("Forged hello") && list.body.contains("sender_auth"),
        "{}",
        list.body
    );
    assert!(list.body.contains("subject_tag"), "{}", list.body);
    assert!(!list.body.contains("Fine"));
    let show = boss
        .get(&site, &format!("/admin/held/{}", held[0].id))
        .await;
    assert_eq!(show.status, StatusCode::OK);
    assert!(show.body.contains("dmarc=fail"), "the raw mail is shown");
    assert!(show.body.contains("<label for=\"note\">"), "labelled");
    let csrf = field(&show.body, "csrf");
    let url = format!("/admin/held/{}/decide", held[0].id);
    // No token, or someone else's: refused, nothing decided.
    let p = boss
        .post(&site, &url, &[("csrf", "forged"), ("decision", "approve")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(
        store.held(Some(HeldState::Held), 10).await.unwrap().len(),
        2
    );
    // Rejecting the forgery; approving the other one publishes it.
    let p = boss
        .post(
            &site,
            &url,
            &[
                ("csrf", &csrf),
                ("decision", "reject"),
                ("note", "not Mallory's"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let url = format!("/admin/held/{}/decide", held[1].id);
    let p = boss
        .post(&site, &url, &[("csrf", &csrf), ("decision", "approve")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let ids: Vec<String> = (store.messages_after(0, 100).await.unwrap().into_iter())
        .map(|m| m.message_id)
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"h2@corp.example".to_string()));
    // Deciding again is refused with the reason.
    let p = boss
        .post(&site, &url, &[("csrf", &csrf), ("decision", "reject")])
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("approved already"), "{}", p.body);
    assert_eq!(actors(&store, "rejected").await, ["web:boss@corp.example"]);
    assert_eq!(actors(&store, "approved").await, ["web:boss@corp.example"]);
    let decided = boss.get(&site, "/admin/held?state=rejected").await;
    assert!(decided.body.contains("Forged hello"));
    assert_eq!(
        boss.get(&site, "/admin/held?state=nope").await.status,
        StatusCode::BAD_REQUEST
    );

    // The audit log: filtered, paged, exported.
    let all = boss.get(&site, "/admin/audit").await;
    assert!(all.body.contains("sender_auth") && all.body.contains("web:boss@corp.example"));
    let heldonly = boss.get(&site, "/admin/audit?action=held").await;
    assert!(heldonly.body.contains("sender_auth"));
    assert!(
        !heldonly.body.contains("web:boss@corp.example"),
        "{}",
        heldonly.body
    );
    let first = store
        .audit(&AuditFilter {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    let after = boss
        .get(&site, &format!("/admin/audit?after={}", first[0].id))
        .await;
    assert!(!after.body.contains(&format!("<td>{}</td>", first[0].id)));
    let bad = boss.get(&site, "/admin/audit?since=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("not a date"), "{}", bad.body);
    let export = boss
        .get(&site, "/admin/audit.jsonl?actor=web:boss@corp.example")
        .await;
    assert!(
        export.content_type.starts_with("application/jsonl"),
        "{}",
        export.content_type
    );
    let lines: Vec<serde_json::Value> = export
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l["actor"] == "web:boss@corp.example"));
}

async fn an_admin_retracts_on_the_web(store: Arc<dyn Store>) {
    let ing = setup(&store).await;
    let raws = vec![
        mail("p1@corp.example", "ann@corp.example", "Plans", PASS),
        mail("p2@corp.example", "bob@corp.example", "Lunch", PASS),
    ];
    ing.ingest(raws, None, T0).await.unwrap();
    let site = router(&store, false);
    let mut boss = signed_in(&site, &store, "boss@corp.example").await;
    // The thread page offers admins the retraction, pre-filled.
    let t = store.messages_after(0, 10).await.unwrap()[0]
        .place
        .thread_id;
    let thread = boss.get(&site, &format!("/t/{t}")).await;
    assert!(
        thread.body.contains(&format!("/admin/retract?thread={t}")),
        "{}",
        thread.body
    );
    let form = boss.get(&site, &format!("/admin/retract?thread={t}")).await;
    assert!(!field(&form.body, "csrf").is_empty());
    assert!(
        form.body.contains(&format!("value=\"{t}\"")),
        "{}",
        form.body
    );
    let csrf = field(&form.body, "csrf");
    let p = boss
        .post(
            &site,
            "/admin/retract",
            &[("csrf", &csrf), ("message_id", "<p1@corp.example>")],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert!(p.body.contains("Retracted the post"), "{}", p.body);
    let left: Vec<String> = (store.messages_after(0, 10).await.unwrap().into_iter())
        .map(|m| m.message_id)
        .collect();
    assert_eq!(left, ["p2@corp.example"]);
    assert_eq!(actors(&store, "retracted").await, ["web:boss@corp.example"]);
    let again = boss
        .post(
            &site,
            "/admin/retract",
            &[("csrf", &csrf), ("message_id", "p1@corp.example")],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let both = boss
        .post(
            &site,
            "/admin/retract",
            &[
                ("csrf", &csrf),
                ("message_id", "p2@corp.example"),
                ("thread", "1"),
            ],
        )
        .await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
    let p = boss
        .post(
            &site,
            "/admin/retract",
            &[("csrf", "nope"), ("message_id", "p2@corp.example")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(store.messages_after(0, 10).await.unwrap().len(), 1);
}

async fn a_confidential_post_from_the_web_is_refused(store: Arc<dyn Store>) {
    setup(&store).await;
    let site = router(&store, false);
    let mut ann = signed_in(&site, &store, "ann@corp.example").await;
    let page = ann.get(&site, "/g/eng").await;
    let csrf = field(&page.body, "csrf");
    let before = store.deliveries(&Default::default()).await.unwrap().len();
    let p = ann
        .post(
            &site,
            "/g/eng/post",
            &[
                ("csrf", &csrf),
                ("subject", "[Confidential] salaries"),
                ("text", "see attached"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(
        p.body.contains("Not posted") && p.body.contains("subject_tag"),
        "{}",
        p.body
    );
    assert!(store.messages_after(0, 10).await.unwrap().is_empty());
    assert_eq!(
        store.deliveries(&Default::default()).await.unwrap().len(),
        before,
        "nothing mailed"
    );
    assert_eq!(actors(&store, "refused").await, ["web:ann@corp.example"]);
    // Without the tag it is posted (sender authentication is not asked of a signed-in author).
    let p = ann
        .post(
            &site,
            "/g/eng/post",
            &[
                ("csrf", &csrf),
                ("subject", "Salaries process"),
                ("text", "see attached"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(store.messages_after(0, 10).await.unwrap().len(), 1);
}

/// The author's own "Retract my post" on a thread page: only for their posts, CSRF-checked,
/// through the same retraction as the CLI, audited as `web:ADDRESS`.
async fn an_author_retracts_their_post_on_the_web(store: Arc<dyn Store>) {
    let ing = setup(&store).await;
    let raws = vec![
        mail("a1@corp.example", "ann@corp.example", "Plans", PASS),
        mail("b1@corp.example", "bob@corp.example", "Lunch", PASS),
    ];
    ing.ingest(raws, None, T0).await.unwrap();
    let site = router(&store, false);
    let thread_of = |m: &outloud::store::MessageRow| m.place.thread_id;
    let rows = store.messages_after(0, 10).await.unwrap();
    let (ann_t, bob_t) = (thread_of(&rows[0]), thread_of(&rows[1]));
    let mut ann = signed_in(&site, &store, "Ann@corp.example").await;
    let mut bob = signed_in(&site, &store, "bob@corp.example").await;
    let page = ann.get(&site, &format!("/t/{ann_t}")).await;
    assert!(page.body.contains("Retract my post"), "{}", page.body);
    let csrf = field(&page.body, "csrf");
    let other = ann.get(&site, &format!("/t/{bob_t}")).await;
    assert!(!other.body.contains("Retract my post"), "{}", other.body);
    // Bob may not retract Ann's post, even with a good token of his own.
    let bobs = bob.get(&site, &format!("/t/{ann_t}")).await;
    assert!(!bobs.body.contains("Retract my post"));
    let refused = bob
        .post(
            &site,
            &format!("/t/{ann_t}/retract"),
            &[
                ("csrf", &field(&bobs.body, "csrf")),
                ("message_id", "a1@corp.example"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    let forged = ann
        .post(
            &site,
            &format!("/t/{ann_t}/retract"),
            &[("csrf", "nope"), ("message_id", "a1@corp.example")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(store.messages_after(0, 10).await.unwrap().len(), 2);
    let done = ann
        .post(
            &site,
            &format!("/t/{ann_t}/retract"),
            &[("csrf", &csrf), ("message_id", "a1@corp.example")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/g/eng"));
    let left: Vec<String> = (store.messages_after(0, 10).await.unwrap().into_iter())
        .map(|m| m.message_id)
        .collect();
    assert_eq!(left, ["b1@corp.example"]);
    assert_eq!(actors(&store, "retracted").await, ["web:ann@corp.example"]);
}

/// The author's "Cancel" for a post waiting out its undo window (`/pending`, linked from the
/// home page): only their own posts, CSRF-checked, the post set `cancelled` and never
/// published, audited as `web:ADDRESS`; one the undo worker published since the page was
/// shown is retracted instead, as a late `CANCEL` reply is.
async fn an_author_cancels_their_pending_post_on_the_web(store: Arc<dyn Store>) {
    use outloud::moderation::worker::PolicyWorker;
    setup(&store).await;
    let mut s = settings();
    s.pipeline.policy.undo_windows = vec![("eng".into(), 600)];
    let ing = Arc::new(Ingestor::new(store.clone(), s).await.unwrap());
    let raws = vec![
        mail("w1@corp.example", "ann@corp.example", "Draft plans", PASS),
        mail(
            "w2@corp.example",
            "ann@corp.example",
            "Second thoughts",
            PASS,
        ),
        mail("w3@corp.example", "bob@corp.example", "Bob's lunch", PASS),
    ];
    ing.ingest(raws, None, T0).await.unwrap();
    let pending = store.held(Some(HeldState::Pending), 10).await.unwrap();
    let id = |mid: &str| pending.iter().find(|h| h.message_id == mid).unwrap().id;
    let (w1, w2, w3) = (
        id("w1@corp.example"),
        id("w2@corp.example"),
        id("w3@corp.example"),
    );
    let site = router(&store, false);
    let mut ann = signed_in(&site, &store, "Ann@corp.example").await;
    let mut bob = signed_in(&site, &store, "bob@corp.example").await;
    let home = ann.get(&site, "/").await;
    assert!(
        home.body.contains("2 posts of yours wait to be published"),
        "{}",
        home.body
    );
    let page = ann.get(&site, "/pending").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Draft plans") && page.body.contains("Second thoughts"));
    assert!(!page.body.contains("Bob&#x27;s lunch") && !page.body.contains("Bob's lunch"));
    assert!(page
        .body
        .contains(&format!("action=\"/pending/{w1}/cancel\"")));
    let csrf = field(&page.body, "csrf");
    let state = |id: i64| {
        let store = store.clone();
        async move { store.held_one(id).await.unwrap().unwrap().0.state }
    };
    // Without the form's token, or for someone else's post: refused, nothing changes.
    let cancel = |id: i64| format!("/pending/{id}/cancel");
    let forged = ann.post(&site, &cancel(w1), &[("csrf", "nope")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let bobs = field(&bob.get(&site, "/pending").await.body, "csrf");
    let theirs = bob.post(&site, &cancel(w1), &[("csrf", &bobs)]).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{}", theirs.body);
    let mine = ann.post(&site, &cancel(w3), &[("csrf", &csrf)]).await;
    assert_eq!(mine.status, StatusCode::NOT_FOUND, "{}", mine.body);
    assert_eq!(state(w1).await, HeldState::Pending);
    assert_eq!(state(w3).await, HeldState::Pending);
    // Ann cancels her first post: it never goes live.
    let done = ann.post(&site, &cancel(w1), &[("csrf", &csrf)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/pending?done=cancelled"));
    assert_eq!(state(w1).await, HeldState::Cancelled);
    let after = ann.get(&site, "/pending?done=cancelled").await;
    assert!(after
        .body
        .contains("Cancelled: that post will not be published"));
    assert!(!after.body.contains("Draft plans") && after.body.contains("Second thoughts"));
    let again = ann.post(&site, &cancel(w1), &[("csrf", &csrf)]).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.body);
    assert!(again.body.contains("no longer waiting"), "{}", again.body);
    // The window ends: the worker publishes the other two, never the cancelled one.
    let worker = PolicyWorker::new(
        ing.clone(),
        Clock::fixed(T0 + 600),
        std::time::Duration::from_secs(30),
    );
    let mut released = worker.run_once().await.unwrap().released;
    released.sort();
    assert_eq!(released, [w2, w3]);
    // Ann's page from before the window ended: her cancel of the published post retracts it.
    let late = ann.post(&site, &cancel(w2), &[("csrf", &csrf)]).await;
    assert_eq!(late.status, StatusCode::SEE_OTHER, "{}", late.body);
    assert_eq!(late.location.as_deref(), Some("/pending?done=retracted"));
    let left: Vec<String> = (store.messages_after(0, 10).await.unwrap().into_iter())
        .map(|m| m.message_id)
        .collect();
    assert_eq!(left, ["w3@corp.example"]);
    assert_eq!(actors(&store, "cancelled").await, ["web:ann@corp.example"]);
    assert_eq!(actors(&store, "retracted").await, ["web:ann@corp.example"]);
    let home = ann.get(&site, "/").await;
    assert!(!home.body.contains("of yours wait"), "{}", home.body);
}

story!(
    only_admins_get_in,
    an_admin_moderates_on_the_web,
    an_admin_retracts_on_the_web,
    a_confidential_post_from_the_web_is_refused,
    an_author_retracts_their_post_on_the_web,
    an_author_cancels_their_pending_post_on_the_web
);
