//! The outbox's storage story, run against SQLite and PostgreSQL through the shared harness:
//! queueing (alone and inside an ingest transaction), claims under a lease that replicas never
//! share, attempts recorded around the SMTP transaction, retry/cancel, and bounces matched to
//! their deliveries and counted once.
// Each story reads top to bottom, one step after another: splitting it would hide the order.
#![allow(clippy::too_many_lines)]

#[macro_use]
mod common;

use std::collections::HashSet;
use std::sync::Arc;

use outloud::core::bounce::{Bounce, BouncedRecipient, Severity};
use outloud::core::compose::{Draft, Outgoing};
use outloud::core::delivery::Failure;
use outloud::core::plan::{BounceNote, Checkpoint, Known, Lookup, WriteSet};
use outloud::outbox::queue_draft;
use outloud::store::outbox::{
    ClaimRequest, ClaimedDelivery, DeliveryEnd, DeliveryFilter, DeliveryState,
};
use outloud::store::{Store, StoreError};

const NOW: i64 = 1_796_000_000;

fn mail(to: &[&str], subject: &str) -> Outgoing {
    let draft = Draft {
        to: to.iter().map(|s| s.to_string()).collect(),
        subject: subject.into(),
        text: format!("{subject}\n"),
        in_reply_to: None,
        references: vec![],
        auto_submitted: true,
        on_behalf_of: None,
        reply_to: None,
    };
    queue_draft(&common::outbox_sender(), &draft, "test", NOW).unwrap()
}

fn claim(holder: &str, now: i64, limit: i64, lease_secs: i64) -> ClaimRequest {
    ClaimRequest {
        holder: holder.into(),
        now,
        limit,
        lease_secs,
        only: None,
    }
}

fn end(state: DeliveryState, outcome: &str, code: Option<i32>, next: Option<i64>) -> DeliveryEnd {
    DeliveryEnd {
        at: NOW + 10,
        attempted: true,
        outcome: outcome.into(),
        code,
        reply: format!("{} {outcome}", code.unwrap_or(0)),
        state,
        next_attempt_at: next,
        failure: None,
        bounce: None,
    }
}

async fn state_of(s: &dyn Store, id: i64) -> DeliveryState {
    let rows = s.deliveries(&DeliveryFilter::default()).await.unwrap();
    rows.iter().find(|r| r.id == id).expect("listed").state.0
}

fn ids(c: &[ClaimedDelivery]) -> Vec<i64> {
    c.iter().map(|d| d.id).collect()
}

async fn enqueue_claim_send_and_keep_history(store: Arc<dyn Store>) {
    let s = &*store;
    let one = mail(&["a@x.example", "b@x.example"], "one");
    let q = s
        .enqueue(&[one.clone(), mail(&["c@x.example"], "two")])
        .await
        .unwrap();
    assert_eq!(q.len(), 2);
    assert_eq!(q[0].deliveries.len(), 2);
    assert!(q[0].message_id.starts_with("outloud."));
    let all = s.deliveries(&DeliveryFilter::default()).await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all
        .iter()
        .all(|r| r.state.0 == DeliveryState::Queued && r.attempts == 0));
    assert_eq!(s.outbox_counts().await.unwrap().queued, 3);

    // Nothing is due before the mail was queued.
    assert!(s
        .claim_deliveries(&claim("a", NOW - 1, 10, 60))
        .await
        .unwrap()
        .is_empty());
    let first = s.claim_deliveries(&claim("a", NOW, 2, 60)).await.unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0].recipient, "a@x.example");
    assert_eq!(
        first[0].bytes, one.bytes,
        "the bytes fixed when it was queued"
    );
    assert_eq!(first[0].message_id, one.message_id);
    let second = s.claim_deliveries(&claim("b", NOW, 10, 60)).await.unwrap();
    assert_eq!(second.len(), 1, "the rest; a's are leased");
    assert!(s
        .claim_deliveries(&claim("z", NOW, 10, 60))
        .await
        .unwrap()
        .is_empty());
    // A holder takes back what it still holds (a restarted sender resumes its claims).
    assert_eq!(
        ids(&s.claim_deliveries(&claim("b", NOW, 10, 60)).await.unwrap()),
        ids(&second)
    );

    // Sent: the attempt is recorded before and closed after.
    let d = &first[0];
    assert_eq!(s.start_attempt(d.id, "a", NOW + 1).await.unwrap(), 1);
    let open = s.attempts(d.id).await.unwrap();
    assert_eq!((open.len(), open[0].outcome.as_deref()), (1, None));
    s.finish_delivery(
        d.id,
        "a",
        &end(DeliveryState::Sent, "sent", Some(250), None),
    )
    .await
    .unwrap();
    let row = &s.deliveries(&DeliveryFilter::default()).await.unwrap()[2];
    assert_eq!(
        (row.id, row.state.0, row.attempts),
        (d.id, DeliveryState::Sent, 1)
    );
    assert_eq!(
        (row.sent_at, row.last_code, row.in_flight),
        (Some(NOW + 10), Some(250), false)
    );
    let closed = s.attempts(d.id).await.unwrap();
    assert_eq!(
        (closed[0].outcome.as_deref(), closed[0].code),
        (Some("sent"), Some(250))
    );

    // Deferred: due again at its next attempt, not before.
    let d = &first[1];
    s.start_attempt(d.id, "a", NOW + 1).await.unwrap();
    let retry = end(
        DeliveryState::Retrying,
        "deferred",
        Some(450),
        Some(NOW + 600),
    );
    s.finish_delivery(d.id, "a", &retry).await.unwrap();
    assert_eq!(state_of(s, d.id).await, DeliveryState::Retrying);
    assert!(s
        .claim_deliveries(&claim("a", NOW + 599, 10, 60))
        .await
        .unwrap()
        .is_empty());
    let again = s
        .claim_deliveries(&claim("c", NOW + 600, 10, 60))
        .await
        .unwrap();
    assert_eq!(ids(&again), vec![d.id]);
    assert_eq!(again[0].attempts, 1);
    assert_eq!(s.start_attempt(d.id, "c", NOW + 601).await.unwrap(), 2);
    let mut fail = end(DeliveryState::Failed, "undeliverable", Some(550), None);
    fail.failure = Some(Failure::Undeliverable);
    s.finish_delivery(d.id, "c", &fail).await.unwrap();
    let history = s.attempts(d.id).await.unwrap();
    let outcomes: Vec<_> = history.iter().map(|a| a.outcome.clone().unwrap()).collect();
    assert_eq!(outcomes, ["deferred", "undeliverable"]);
    let failed = s
        .deliveries(&DeliveryFilter {
            state: Some(DeliveryState::Failed),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (failed.len(), failed[0].failure.as_deref()),
        (1, Some("undeliverable"))
    );

    // Released without an attempt: due again at once, attempts unchanged.
    s.release_deliveries(&ids(&second), "b").await.unwrap();
    let back = s.claim_deliveries(&claim("a", NOW, 10, 60)).await.unwrap();
    assert_eq!((ids(&back), back[0].attempts), (ids(&second), 0));
    let c = s.outbox_counts().await.unwrap();
    assert_eq!((c.queued, c.sent, c.failed, c.retrying), (1, 1, 1, 0));
}

async fn replicas_never_share_a_delivery(store: Arc<dyn Store>) {
    let recipients: Vec<String> = (0..200).map(|i| format!("r{i}@x.example")).collect();
    let mails: Vec<Outgoing> = recipients
        .iter()
        .map(|r| mail(&[r.as_str()], "race"))
        .collect();
    store.enqueue(&mails).await.unwrap();
    let mut tasks = Vec::new();
    for holder in ["r1", "r2", "r3", "r4"] {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_deliveries(&claim(holder, NOW, 7, 600))
                    .await
                    .unwrap();
                if got.is_empty() {
                    break mine;
                }
                // Settled, as a sender does before it claims again (a holder may take back
                // what it still holds: that is how a restarted sender resumes).
                for d in &got {
                    store.start_attempt(d.id, holder, NOW).await.unwrap();
                    let sent = end(DeliveryState::Sent, "sent", Some(250), None);
                    store.finish_delivery(d.id, holder, &sent).await.unwrap();
                }
                mine.extend(ids(&got));
            }
        }));
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    for t in tasks {
        for id in t.await.unwrap() {
            total += 1;
            assert!(seen.insert(id), "delivery {id} claimed twice");
        }
    }
    assert_eq!((total, seen.len()), (200, 200));
}

async fn a_dead_senders_attempt_is_closed_as_interrupted(store: Arc<dyn Store>) {
    let s = &*store;
    s.enqueue(&[mail(&["d@x.example"], "crash")]).await.unwrap();
    // Lease 0: it runs out at once, as if its sender died long ago.
    let d = s
        .claim_deliveries(&claim("dead", NOW, 1, 0))
        .await
        .unwrap()
        .remove(0);
    s.start_attempt(d.id, "dead", NOW).await.unwrap_err();
    let d = s
        .claim_deliveries(&claim("dead", NOW, 1, 60))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(s.start_attempt(d.id, "dead", NOW).await.unwrap(), 1);
    // The sender dies inside the SMTP transaction. A restart under the same name takes it back
    // at once; the open attempt is closed as interrupted and a second one starts.
    let again = s
        .claim_deliveries(&claim("dead", NOW, 1, 60))
        .await
        .unwrap()
        .remove(0);
    assert_eq!((again.id, again.attempts, again.in_flight), (d.id, 1, true));
    assert_eq!(s.start_attempt(d.id, "dead", NOW + 5).await.unwrap(), 2);
    s.finish_delivery(
        d.id,
        "dead",
        &end(DeliveryState::Sent, "sent", Some(250), None),
    )
    .await
    .unwrap();
    let a = s.attempts(d.id).await.unwrap();
    let got: Vec<(i64, Option<&str>, Option<i64>)> = a
        .iter()
        .map(|a| (a.attempt, a.outcome.as_deref(), a.ended_at))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, Some("interrupted"), Some(NOW + 5)),
            (2, Some("sent"), Some(NOW + 10))
        ]
    );
}

async fn a_delivery_taken_over_cannot_be_written(store: Arc<dyn Store>) {
    let s = &*store;
    s.enqueue(&[mail(&["e@x.example"], "takeover")])
        .await
        .unwrap();
    let d = s
        .claim_deliveries(&claim("slow", NOW, 1, 0))
        .await
        .unwrap()
        .remove(0);
    let taken = s
        .claim_deliveries(&claim("fast", NOW, 1, 60))
        .await
        .unwrap();
    assert_eq!(ids(&taken), vec![d.id], "an expired lease is taken over");
    assert!(matches!(
        s.start_attempt(d.id, "slow", NOW).await,
        Err(StoreError::DeliveryLost { .. })
    ));
    let sent = end(DeliveryState::Sent, "sent", Some(250), None);
    assert!(matches!(
        s.finish_delivery(d.id, "slow", &sent).await,
        Err(StoreError::DeliveryLost { .. })
    ));
    assert_eq!(state_of(s, d.id).await, DeliveryState::Queued);
}

async fn retry_and_cancel_only_where_it_makes_sense(store: Arc<dyn Store>) {
    let s = &*store;
    let q = s
        .enqueue(&[mail(
            &["f@x.example", "g@x.example", "h@x.example"],
            "admin",
        )])
        .await
        .unwrap();
    let [f, g, h] = [0, 1, 2].map(|i| q[0].deliveries[i].1);
    // h is being sent: it cannot be cancelled.
    let held = s
        .claim_deliveries(&ClaimRequest {
            only: Some(vec![h]),
            ..claim("busy", NOW, 1, 600)
        })
        .await
        .unwrap();
    assert_eq!(ids(&held), vec![h]);
    assert_eq!(s.cancel_deliveries(&[f, g, h], NOW + 1).await.unwrap(), 2);
    assert_eq!(state_of(s, f).await, DeliveryState::Cancelled);
    assert_eq!(state_of(s, h).await, DeliveryState::Queued);
    s.start_attempt(h, "busy", NOW + 1).await.unwrap();
    s.finish_delivery(
        h,
        "busy",
        &end(DeliveryState::Sent, "sent", Some(250), None),
    )
    .await
    .unwrap();
    // Cancelled mail can be queued again, sent mail cannot.
    assert_eq!(s.retry_deliveries(&[f, h], NOW + 100).await.unwrap(), 1);
    let due = s
        .claim_deliveries(&claim("x", NOW + 100, 10, 60))
        .await
        .unwrap();
    assert_eq!(ids(&due), vec![f]);
    // Nothing is ever deleted.
    assert_eq!(
        s.deliveries(&DeliveryFilter::default())
            .await
            .unwrap()
            .len(),
        3
    );
}

async fn queued_mail_commits_with_its_batch(store: Arc<dyn Store>) {
    let s = &*store;
    let ws = WriteSet {
        outbox: vec![mail(&["i@x.example"], "with the batch")],
        ..WriteSet::default()
    };
    let plan = move |_: Known| ws.clone();
    let fenced = Checkpoint {
        mailbox: "corp/INBOX".into(),
        uidvalidity: 1,
        last_uid: 5,
        lease_holder: Some("nobody-holds-this".into()),
    };
    let lost = s.ingest(&Lookup::default(), &plan, Some(&fenced)).await;
    assert!(
        matches!(lost, Err(StoreError::LeaseLost { .. })),
        "{lost:?}"
    );
    assert!(
        s.deliveries(&DeliveryFilter::default())
            .await
            .unwrap()
            .is_empty(),
        "a batch that is not committed queues nothing"
    );
    assert!(s.acquire_lease("corp/INBOX", "me", 60).await.unwrap());
    let held = Checkpoint {
        lease_holder: Some("me".into()),
        ..fenced
    };
    s.ingest(&Lookup::default(), &plan, Some(&held))
        .await
        .unwrap();
    let rows = s.deliveries(&DeliveryFilter::default()).await.unwrap();
    assert_eq!(
        (rows.len(), rows[0].subject.as_str()),
        (1, "with the batch")
    );
    assert_eq!(
        s.checkpoint("corp/INBOX").await.unwrap().unwrap().last_uid,
        5
    );
}

fn failed(address: &str, status: &str, severity: Option<Severity>) -> BouncedRecipient {
    BouncedRecipient {
        address: address.into(),
        action: if severity.is_some() {
            "failed"
        } else {
            "delayed"
        }
        .into(),
        status: Some(status.into()),
        diagnostic: Some(format!("smtp; 550 {status} no such user {address}")),
        severity,
    }
}

fn note(sha: &str, token: Option<&str>, message_id: Option<&str>, r: BouncedRecipient) -> WriteSet {
    WriteSet {
        bounces: vec![BounceNote {
            raw_sha256: sha.into(),
            bounce: Bounce {
                token: token.map(str::to_string),
                message_id: message_id.map(str::to_string),
                recipients: vec![r],
            },
            at: NOW + 100,
        }],
        ..WriteSet::default()
    }
}

async fn ingest_ws(s: &dyn Store, ws: WriteSet) {
    s.ingest(&Lookup::default(), &move |_| ws.clone(), None)
        .await
        .unwrap();
}

async fn bounces_match_their_delivery_and_count_once(store: Arc<dyn Store>) {
    let s = &*store;
    let m = mail(&["j@x.example", "k@x.example"], "bounce me");
    let tokens: Vec<String> = m.deliveries.iter().map(|d| d.token.clone()).collect();
    let q = s.enqueue(&[m]).await.unwrap().remove(0);
    for d in s.claim_deliveries(&claim("a", NOW, 10, 60)).await.unwrap() {
        s.start_attempt(d.id, "a", NOW).await.unwrap();
        s.finish_delivery(
            d.id,
            "a",
            &end(DeliveryState::Sent, "sent", Some(250), None),
        )
        .await
        .unwrap();
    }
    let (j, k) = (q.deliveries[0].1, q.deliveries[1].1);

    // By its return path's token: the report's own address does not matter (a forward).
    let hard = failed("j.forwarded@y.example", "5.1.1", Some(Severity::Hard));
    ingest_ws(s, note("dsn1", Some(&tokens[0]), None, hard.clone())).await;
    ingest_ws(s, note("dsn1", Some(&tokens[0]), None, hard)).await;
    assert_eq!(state_of(s, j).await, DeliveryState::Bounced);
    let events = s.bounce_events(None).await.unwrap();
    assert_eq!(
        events.len(),
        1,
        "the same bounce mail counts once: {events:?}"
    );
    assert_eq!(
        (
            events[0].address.as_str(),
            events[0].points,
            events[0].source.as_str()
        ),
        ("j@x.example", 2, "mail")
    );
    assert_eq!(events[0].delivery_id, Some(j));

    // By Message-ID and the recipient the report names; a delay is no bounce.
    let delayed = failed("k@x.example", "4.4.1", None);
    ingest_ws(s, note("dsn2", None, Some(&q.message_id), delayed)).await;
    assert_eq!(state_of(s, k).await, DeliveryState::Sent);
    let soft = failed("k@x.example", "4.2.2", Some(Severity::Soft));
    ingest_ws(s, note("dsn3", None, Some(&q.message_id), soft)).await;
    assert_eq!(state_of(s, k).await, DeliveryState::Bounced);
    // Someone else's mail: nothing to match.
    let other = failed("z@x.example", "5.1.1", Some(Severity::Hard));
    ingest_ws(
        s,
        note("dsn4", None, Some("outloud.unknown@corp.example"), other),
    )
    .await;

    // A 5xx at RCPT TO counts against the address too.
    let q2 = s
        .enqueue(&[mail(&["j@x.example"], "again")])
        .await
        .unwrap()
        .remove(0);
    let d = s
        .claim_deliveries(&claim("a", NOW, 10, 60))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(d.id, q2.deliveries[0].1);
    s.start_attempt(d.id, "a", NOW + 200).await.unwrap();
    let mut refused = end(DeliveryState::Failed, "undeliverable", Some(550), None);
    refused.at = NOW + 200;
    refused.failure = Some(Failure::Undeliverable);
    refused.bounce = Some(Severity::Hard);
    s.finish_delivery(d.id, "a", &refused).await.unwrap();
    let j_events = s
        .bounce_events(Some(&["J@x.example".to_string()]))
        .await
        .unwrap();
    let sources: Vec<&str> = j_events.iter().map(|e| e.source.as_str()).collect();
    assert_eq!(sources, ["mail", "smtp"]);
    assert_eq!(s.bounce_events(None).await.unwrap().len(), 3);
    assert_eq!(s.outbox_counts().await.unwrap().bounces, 3);

    // Cleared bounces no longer count but stay recorded.
    assert_eq!(
        s.clear_bounces(" J@X.example ", NOW + 300).await.unwrap(),
        2
    );
    let left = s.bounce_events(None).await.unwrap();
    assert_eq!(
        left.iter().map(|e| e.address.as_str()).collect::<Vec<_>>(),
        ["k@x.example"]
    );
    assert_eq!(s.outbox_counts().await.unwrap().bounces, 3);
}

/// GET `/metrics` from the web view over `store`, on a clock at `now`.
async fn scrape(store: Arc<dyn Store>, now: i64) -> String {
    use tower::ServiceExt;
    let health = outloud::health::Health::new().with_clock(outloud::clock::Clock::fixed(now));
    let app = outloud::web::router_with_health(store, health);
    let req = axum::http::Request::get("/metrics")
        .body(axum::body::Body::empty())
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    assert_eq!(res.status(), 200);
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    String::from_utf8(body.to_vec()).unwrap()
}

/// The outbox gauges of `/metrics` are read from the store at each scrape: deliveries per
/// state, bounces, and addresses stopped by their bounce score (which decays with the clock).
async fn metrics_read_the_outbox_when_scraped(store: Arc<dyn Store>) {
    let s = &*store;
    let before = scrape(store.clone(), NOW).await;
    for state in ["queued", "retrying", "sent", "failed"] {
        let line = format!("outloud_outbox_mails{{state=\"{state}\"}} 0");
        assert!(before.contains(&line), "{line} missing:\n{before}");
    }
    assert!(before.contains("outloud_bouncing_addresses 0"), "{before}");

    let to = [
        "a@x.example",
        "b@x.example",
        "gone@x.example",
        "gone@x.example",
    ];
    for (n, rcpt) in to.iter().enumerate() {
        s.enqueue(&[mail(&[rcpt], &format!("m{n}"))]).await.unwrap();
    }
    s.enqueue(&[mail(&["q@x.example"], "waits")]).await.unwrap();
    let claimed = s.claim_deliveries(&claim("m", NOW, 4, 60)).await.unwrap();
    assert_eq!(claimed.len(), 4);
    for d in &claimed {
        s.start_attempt(d.id, "m", NOW + 1).await.unwrap();
        let e = match d.recipient.as_str() {
            "a@x.example" => end(DeliveryState::Sent, "sent", Some(250), None),
            "b@x.example" => end(
                DeliveryState::Retrying,
                "deferred",
                Some(450),
                Some(NOW + 600),
            ),
            _ => {
                let mut e = end(DeliveryState::Failed, "undeliverable", Some(550), None);
                e.failure = Some(Failure::Undeliverable);
                e.bounce = Some(Severity::Hard);
                e
            }
        };
        s.finish_delivery(d.id, "m", &e).await.unwrap();
    }
    let text = scrape(store.clone(), NOW + 20).await;
    for (state, n) in [("queued", 1), ("retrying", 1), ("sent", 1), ("failed", 2)] {
        let line = format!("outloud_outbox_mails{{state=\"{state}\"}} {n}");
        assert!(text.contains(&line), "{line} missing:\n{text}");
    }
    assert!(text.contains("outloud_bounces 2"), "{text}");
    assert!(
        text.contains("outloud_bouncing_addresses 1"),
        "two hard bounces reach 4: {text}"
    );
    // 30 days after the last bounce the score is back to 0: mail goes to the address again.
    let later = scrape(store.clone(), NOW + 31 * 86_400).await;
    assert!(later.contains("outloud_bouncing_addresses 0"), "{later}");
    assert!(later.contains("outloud_bounces 2"), "{later}");
}

story!(
    metrics_read_the_outbox_when_scraped,
    enqueue_claim_send_and_keep_history,
    replicas_never_share_a_delivery,
    a_dead_senders_attempt_is_closed_as_interrupted,
    a_delivery_taken_over_cannot_be_written,
    retry_and_cancel_only_where_it_makes_sense,
    queued_mail_commits_with_its_batch,
    bounces_match_their_delivery_and_count_once,
);
