//! Digests' storage story on SQLite and PostgreSQL: people from real mail (From, To, Cc) and a
//! directory, audiences, a round that queues each (person, period) digest once — also when run
//! twice at the same time — restraint and dormancy across periods on an injected clock,
//! unsubscribes, clicks and the statistics.
// Each story reads top to bottom, one step after another: splitting it would hide the order.
#![allow(clippy::too_many_lines)]

#[macro_use]
mod common;

use std::sync::Arc;

use common::digest::{group, mail, settings, DAY, DUE};
use outloud::core::digest::audience::Pattern;
use outloud::core::digest::schedule::{Schedule, Weekday};
use outloud::core::digest::Period;
use outloud::digest::{run_round, RoundOptions};
use outloud::ingest::{IngestSettings, Ingestor};
use outloud::store::digest::{Choice, DirectoryRow, NewChoice};
use outloud::store::outbox::DeliveryFilter;
use outloud::store::Store;

const BODY: &str = "Hi all,\n\nWe moved the CI build to the new runners this week. A full build takes 4 minutes now instead of 11.\n\nPlease rebase open branches before Friday.\n\n-- \nAna Lima\nBuild team\n";

/// Groups eng and ops; mail in the week before `DUE`; audiences from "config", the CLI and a
/// directory.
async fn world(store: &Arc<dyn Store>, week_end: i64) -> Arc<Ingestor> {
    group(store, "eng", "Engineering").await;
    group(store, "ops", "Operations").await;
    let settings: IngestSettings =
        outloud::daemon::ingest_settings(&outloud::config::Config::default());
    let replies = outloud::digest::replies::ReplySettings {
        max_age_secs: 90 * DAY,
        sender: Some(common::outbox_sender()),
    };
    let ingestor = Ingestor::new(store.clone(), settings).await.unwrap();
    let ingestor = Arc::new(ingestor.with_digest_replies(replies));
    let t = week_end - 6 * DAY;
    let mails = vec![
        mail("Ana Lima <ana@corp.example>", "eng@corp.example", "Zoe <zoe@corp.example>", "CI runners moved", t, "a1@corp.example", None, BODY),
        mail("Bo Chen <bo@corp.example>", "eng@corp.example, ana@corp.example", "", "Re: CI runners moved", t + DAY, "b1@corp.example", Some("a1@corp.example"), "Great news, the flaky ARM test is gone too; we ran it twenty times yesterday without a failure.\n"),
        mail("Eve Stone <eve@corp.example>", "ops@corp.example", "", "Pager rota for December", t + 2 * DAY, "e1@corp.example", None, "The December pager rota is up on the wiki. Swap shifts among yourselves and tell me by Wednesday so I can publish it.\n"),
    ];
    let reports = ingestor.ingest(mails, None, t + 3 * DAY).await.unwrap();
    assert_eq!(reports.len(), 3);
    store
        .sync_config_audiences(
            &[(
                common::slug("eng"),
                Pattern::parse("*@corp.example").unwrap(),
            )],
            t,
        )
        .await
        .unwrap();
    assert!(store
        .audience_add(
            &common::slug("ops"),
            &Pattern::parse("dana@partner.example").unwrap(),
            "cli",
            t
        )
        .await
        .unwrap());
    assert!(!store
        .audience_add(
            &common::slug("ops"),
            &Pattern::parse("DANA@partner.example").unwrap(),
            "cli",
            t
        )
        .await
        .unwrap());
    let report = store
        .import_directory(
            &[DirectoryRow {
                email: "finn@corp.example".into(),
                name: Some("Finn Directory".into()),
                groups: vec![common::slug("ops"), common::slug("nope")],
            }],
            t,
        )
        .await
        .unwrap();
    assert_eq!((report.people, report.audience_entries), (1, 1));
    assert_eq!(report.unknown_groups, ["nope"]);
    ingestor
}

async fn digests_to(store: &Arc<dyn Store>) -> Vec<String> {
    let mut v: Vec<String> = store
        .deliveries(&DeliveryFilter {
            state: None,
            recipient: None,
            outbox_id: None,
            limit: 0,
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.kind == "digest")
        .map(|d| d.recipient)
        .collect();
    v.sort();
    v
}

async fn a_round_queues_each_digest_once(store: Arc<dyn Store>) {
    let _ingestor = world(&store, DUE).await;
    let s = settings();
    let period = s.schedule.current(DUE + 3600);
    assert_eq!(
        period,
        Period {
            start: DUE - 7 * DAY,
            end: DUE
        }
    );
    // Zoe (Cc'd, never posted) and Finn (directory) are non-users in eng's and ops' audiences;
    // Ana, Bo and Eve posted: users, who get a digest only if they choose one. Dana's group
    // (ops) had a thread, so she gets one too.
    let r = run_round(
        &store,
        &s,
        period,
        DUE + 3600,
        RoundOptions { dry_run: true },
    )
    .await
    .unwrap();
    assert_eq!(r.queued, 3, "{r:?}");
    assert!(
        digests_to(&store).await.is_empty(),
        "a dry run writes nothing"
    );
    // Two rounds at once (two replicas): each person is queued once.
    let (a, b) = tokio::join!(
        run_round(&store, &s, period, DUE + 3600, RoundOptions::default()),
        run_round(&store, &s, period, DUE + 3601, RoundOptions::default()),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.queued + b.queued, 3, "{a:?} {b:?}");
    assert_eq!(
        digests_to(&store).await,
        [
            "dana@partner.example",
            "finn@corp.example",
            "zoe@corp.example"
        ]
    );
    let again = run_round(&store, &s, period, DUE + 7200, RoundOptions::default())
        .await
        .unwrap();
    assert_eq!((again.queued, again.already), (0, 3));
    // A user who opts in gets the next one; a sign-in skips the week.
    store
        .set_digest_choice(&NewChoice {
            email: "ana@corp.example".into(),
            group: None,
            choice: Choice::In,
            via: "web".into(),
            send_id: None,
            at: DUE,
        })
        .await
        .unwrap();
    store
        .record_sign_in("finn@corp.example", DUE + 2 * DAY)
        .await
        .unwrap();
    let _ = _ingestor
        .ingest(
            vec![mail("Ana Lima <ana@corp.example>", "eng@corp.example", "", "Re: CI runners moved", DUE + DAY, "a2@corp.example", Some("b1@corp.example"), "Nightly release builds move next week, I will send a note when the pool is switched over for good.\n")],
            None,
            DUE + DAY,
        )
        .await
        .unwrap();
    let next = s.schedule.current(DUE + 7 * DAY + 60);
    let r = run_round(
        &store,
        &s,
        next,
        DUE + 7 * DAY + 60,
        RoundOptions::default(),
    )
    .await
    .unwrap();
    // Ana posted within the week: skipped although she opted in; Finn signed in, so he is a
    // user who chose nothing; Zoe gets eng's thread; Dana's ops had nothing new.
    assert_eq!(r.queued, 1, "{r:?}");
    assert_eq!(r.skipped.get("recently_active"), Some(&1), "{r:?}");
    assert_eq!(r.skipped.get("nothing_new"), Some(&1), "{r:?}");
    let stats = store.digest_stats().await.unwrap();
    assert_eq!(stats.len(), 2);
    assert_eq!((stats[0].recipients, stats[0].queued), (3, 3));
    // Finn became a user (signed in) within 14 days of the first digest.
    assert_eq!(stats[0].converted, 1);
}

async fn dormancy_unsubscribe_and_clicks(store: Arc<dyn Store>) {
    let ingestor = world(&store, DUE).await;
    let s = settings();
    let mut due = DUE;
    let mut n = 0;
    // Something happens in eng every week; Zoe never clicks: after 4 digests, none.
    for week in 0..6 {
        if week > 0 {
            let id = format!("w{week}@corp.example");
            let m = mail(
                "Ana Lima <ana@corp.example>",
                "eng@corp.example",
                "",
                &format!("Week {week} notes"),
                due - 3 * DAY,
                &id,
                None,
                BODY,
            );
            ingestor.ingest(vec![m], None, due - 3 * DAY).await.unwrap();
        }
        let r = run_round(
            &store,
            &s,
            s.schedule.current(due + 60),
            due + 60,
            RoundOptions::default(),
        )
        .await
        .unwrap();
        if week < 4 {
            n += 1;
        } else {
            // Zoe and Finn (in eng's audience by domain) both went quiet.
            assert_eq!(r.skipped.get("dormant"), Some(&2), "week {week}: {r:?}");
        }
        due += 7 * DAY;
    }
    let zoe: Vec<String> = digests_to(&store)
        .await
        .into_iter()
        .filter(|r| r == "zoe@corp.example")
        .collect();
    assert_eq!(zoe.len(), n);
    // A click on the last digest (a person, not a scanner) wakes Zoe up.
    let token: String = last_token(&store, "zoe@corp.example").await;
    let send = store
        .digest_send_by_token(&token)
        .await
        .unwrap()
        .expect("digest by token");
    assert_eq!(send.email, "zoe@corp.example");
    store
        .record_digest_click(send.id, Some(1), "head", due)
        .await
        .unwrap();
    store
        .record_digest_click(send.id, Some(1), "click", due)
        .await
        .unwrap();
    let m = mail(
        "Ana Lima <ana@corp.example>",
        "eng@corp.example",
        "",
        "Week 6 notes",
        due - 3 * DAY,
        "w6@corp.example",
        None,
        BODY,
    );
    ingestor.ingest(vec![m], None, due - 3 * DAY).await.unwrap();
    let r = run_round(
        &store,
        &s,
        s.schedule.current(due + 60),
        due + 60,
        RoundOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        r.skipped.get("dormant"),
        Some(&1),
        "Finn is still quiet: {r:?}"
    );
    let zoe = digests_to(&store)
        .await
        .into_iter()
        .filter(|r| r == "zoe@corp.example")
        .count();
    assert_eq!(zoe, n + 1, "Zoe clicked: she gets digests again");
    // One-click unsubscribe from every digest: no more.
    store
        .set_digest_choice(&NewChoice {
            email: "zoe@corp.example".into(),
            group: None,
            choice: Choice::Out,
            via: "one-click".into(),
            send_id: Some(send.id),
            at: due,
        })
        .await
        .unwrap();
    due += 7 * DAY;
    let m = mail(
        "Ana Lima <ana@corp.example>",
        "eng@corp.example",
        "",
        "Week 7 notes",
        due - 3 * DAY,
        "w7@corp.example",
        None,
        BODY,
    );
    ingestor.ingest(vec![m], None, due - 3 * DAY).await.unwrap();
    let r = run_round(
        &store,
        &s,
        s.schedule.current(due + 60),
        due + 60,
        RoundOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(r.skipped.get("opted_out"), Some(&1), "{r:?}");
    let stats = store.digest_stats().await.unwrap();
    let clicked: i64 = stats.iter().map(|p| p.clicked).sum();
    let unsub: i64 = stats.iter().map(|p| p.unsubscribed).sum();
    assert_eq!((clicked, unsub), (1, 1));
    assert!(store.digest_send_by_token("nope").await.unwrap().is_none());
}

async fn last_token(store: &Arc<dyn Store>, email: &str) -> String {
    let d = store
        .deliveries(&DeliveryFilter {
            state: None,
            recipient: Some(email.into()),
            outbox_id: None,
            limit: 1,
        })
        .await
        .unwrap();
    let bytes = String::from_utf8(outloud_bytes(store, d[0].outbox_id).await).unwrap();
    let i = bytes.find("/d/u/").expect("unsubscribe link");
    bytes[i + 5..i + 25].to_string()
}

async fn outloud_bytes(store: &Arc<dyn Store>, outbox_id: i64) -> Vec<u8> {
    let claimed = store
        .claim_deliveries(&outloud::store::outbox::ClaimRequest {
            holder: "t".into(),
            now: i64::MAX / 2,
            limit: 1000,
            lease_secs: 1,
            only: None,
        })
        .await
        .unwrap();
    let c = claimed
        .into_iter()
        .find(|c| c.outbox_id == outbox_id)
        .expect("claimed");
    c.bytes
}

async fn a_reply_becomes_a_comment_or_is_refused(store: Arc<dyn Store>) {
    let ingestor = world(&store, DUE).await;
    let s = settings();
    let r = run_round(
        &store,
        &s,
        s.schedule.current(DUE + 60),
        DUE + 60,
        RoundOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(r.queued, 3);
    let d = store
        .deliveries(&DeliveryFilter {
            state: None,
            recipient: Some("zoe@corp.example".into()),
            outbox_id: None,
            limit: 1,
        })
        .await
        .unwrap();
    let bytes = outloud_bytes(&store, d[0].outbox_id).await;
    let m = mail_parser::MessageParser::default().parse(&bytes).unwrap();
    let text = m.body_text(0).unwrap().to_string();
    let i = text.find("eng+r-").expect("a reply address");
    let address: String = text[i..].split_whitespace().next().unwrap().to_string();
    let digest_id = m.message_id().unwrap().to_string();
    let quoted = format!("I can review the runner change on Thursday.\n\nOn Mon, 7 Dec 2026, Corp outloud <outloud@corp.example> wrote:\n> {}\n", text.lines().take(3).collect::<Vec<_>>().join("\n> "));
    let reply = mail(
        "Zoe <zoe@corp.example>",
        &address,
        "",
        "Re: CI runners moved and 1 more in your groups",
        DUE + 7200,
        "z1@corp.example",
        Some(&digest_id),
        &quoted,
    );
    ingestor
        .ingest(vec![reply], None, DUE + 7200)
        .await
        .unwrap();
    let threads = store.threads_after(0, 100).await.unwrap();
    let ci = threads
        .iter()
        .find(|t| t.subject == "CI runners moved")
        .expect("the thread");
    let detail = store.thread(ci.id).await.unwrap().unwrap();
    let comment = detail
        .messages
        .iter()
        .find(|m| m.author_email == "zoe@corp.example")
        .expect("Zoe's reply is a comment on the thread");
    assert_eq!(
        comment.clean.body.trim(),
        "I can review the runner change on Thursday."
    );
    assert_eq!(threads.len(), 2, "no new thread: {threads:?}");
    // Someone else using Zoe's address, or a made-up token: not published, told why.
    let forged = mail(
        "Eve Stone <eve@corp.example>",
        &address,
        "",
        "Re: CI runners moved",
        DUE + 7300,
        "e9@corp.example",
        Some(&digest_id),
        "Publishing under Zoe's token.\n",
    );
    ingestor
        .ingest(vec![forged], None, DUE + 7300)
        .await
        .unwrap();
    let bogus = mail(
        "Zoe <zoe@corp.example>",
        "eng+r-doesnotexist@corp.example",
        "",
        "Re: x",
        DUE + 7400,
        "z2@corp.example",
        None,
        "Guessing a token.\n",
    );
    ingestor
        .ingest(vec![bogus], None, DUE + 7400)
        .await
        .unwrap();
    let detail = store.thread(ci.id).await.unwrap().unwrap();
    assert!(!detail
        .messages
        .iter()
        .any(|m| m.author_email == "eve@corp.example"));
    assert_eq!(store.threads_after(0, 100).await.unwrap().len(), 2);
    let notices: Vec<_> = store
        .deliveries(&DeliveryFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.kind == "digest-reply")
        .map(|d| d.recipient)
        .collect();
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices.contains(&"eve@corp.example".to_string()));
    let stats = store.digest_stats().await.unwrap();
    assert_eq!(stats[0].replied, 1);
    // Both refusals are stored under their own reason, not as mail without a group.
    let skipped = store.skip_counts().await.unwrap();
    let refused: Vec<_> = (skipped.iter())
        .map(|c| (c.reason, c.count))
        .filter(|(r, _)| *r == outloud::model::SkipReason::DigestReplyRefused)
        .collect();
    assert_eq!(
        refused,
        [(outloud::model::SkipReason::DigestReplyRefused, 2)],
        "{skipped:?}"
    );
    // The thread is retracted (issue 12): a later reply to its digest item is refused too,
    // with a notice, and publishes nothing.
    let target = outloud::store::policy::RetractTarget::Thread(ci.id);
    let retracted =
        outloud::moderation::retract(store.as_ref(), target, "cli:admin", DUE + 7500, 30)
            .await
            .unwrap();
    assert!(retracted.is_some());
    let late = mail(
        "Zoe <zoe@corp.example>",
        &address,
        "",
        "Re: CI runners moved",
        DUE + 7600,
        "z3@corp.example",
        Some(&digest_id),
        "One more thought on the runners.\n",
    );
    let r = ingestor.ingest(vec![late], None, DUE + 7600).await.unwrap();
    assert!(
        matches!(&r[0].result, outloud::ingest::MailResult::Skipped { .. }),
        "{:?}",
        r[0]
    );
    assert!(store.thread(ci.id).await.unwrap().is_none());
    assert_eq!(store.threads_after(0, 100).await.unwrap().len(), 1);
    let notices = (store
        .deliveries(&DeliveryFilter::default())
        .await
        .unwrap()
        .into_iter())
    .filter(|d| d.kind == "digest-reply" && d.recipient == "zoe@corp.example")
    .count();
    // Her made-up token above was the first.
    assert_eq!(notices, 2, "Zoe is told why");
}

/// Berlin, where summer time starts on Sunday 28 March 2027: the worker, on a paused clock,
/// sends the Monday 08:00 round at 07:00 UTC the week before and at 06:00 UTC the week after.
async fn the_worker_keeps_8_local_across_daylight_saving(store: Arc<dyn Store>) {
    use outloud::core::digest::schedule::Zone;
    use std::sync::atomic::{AtomicI64, Ordering};
    let mon_22_mar = 1_805_698_800; // 08:00 CET
    let mon_29_mar = mon_22_mar + 7 * DAY - 3600; // 08:00 CEST
    let _ingestor = world(&store, mon_29_mar).await;
    // The system's zone data when there is some (tzdata), else the same rules as a TZ string.
    let zone = match std::fs::read("/usr/share/zoneinfo/Europe/Berlin") {
        Ok(bytes) => Zone::from_tzif("Europe/Berlin", &bytes).unwrap(),
        Err(_) => Zone::from_posix_rule("CET-1CEST,M3.5.0,M10.5.0/3").unwrap(),
    };
    let mut s = settings();
    s.schedule = Schedule {
        weekday: Weekday::Mon,
        hour: 8,
        zone,
        period_days: 7,
    };
    let now = Arc::new(AtomicI64::new(mon_22_mar - 60));
    let clock = {
        let now = now.clone();
        outloud::clock::Clock::from_fn(move || now.load(Ordering::SeqCst))
    };
    let poll = std::time::Duration::from_secs(60);
    let mut w = outloud::digest::worker::DigestWorker::new(store.clone(), s, clock, poll);
    // 07:59 CET: the round due last was a week ago, too old for the worker.
    assert!(w.run_once().await.unwrap().is_none());
    // 08:00 CET = 07:00 UTC: due. Nothing was discussed that week: no mail.
    now.store(mon_22_mar, Ordering::SeqCst);
    let r = w.run_once().await.unwrap().expect("due at 08:00 CET");
    assert_eq!((r.period_end, r.queued), (mon_22_mar, 0), "{r:?}");
    // 07:59 CEST = 05:59 UTC: not yet (07:00 UTC would be 09:00 CEST).
    now.store(mon_29_mar - 60, Ordering::SeqCst);
    assert!(w.run_once().await.unwrap().is_none());
    assert!(digests_to(&store).await.is_empty());
    // 08:00 CEST = 06:00 UTC: the week of 22 March, an hour short, goes out.
    now.store(mon_29_mar, Ordering::SeqCst);
    let r = w.run_once().await.unwrap().expect("due at 08:00 CEST");
    assert_eq!(
        (r.period_start, r.period_end),
        (mon_22_mar, mon_29_mar),
        "{r:?}"
    );
    assert_eq!(r.queued, 3, "{r:?}");
    assert_eq!(digests_to(&store).await.len(), 3);
    // Once.
    now.store(mon_29_mar + 3600, Ordering::SeqCst);
    assert!(w.run_once().await.unwrap().is_none());
}

story!(
    the_worker_keeps_8_local_across_daylight_saving,
    a_round_queues_each_digest_once,
    dormancy_unsubscribe_and_clicks,
    a_reply_becomes_a_comment_or_is_refused
);
