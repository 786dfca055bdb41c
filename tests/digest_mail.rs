//! Digests through the real mail stack: a round's digests go through Postfix into Dovecot and
//! are read back over IMAP (headers, both parts, links, content); one-click unsubscribe by
//! POST (a GET only shows the button); the click redirect; and rounds run twice at once, after
//! a round that died half-way, still put exactly one digest in each mailbox.
// Each story reads top to bottom, one step after another: splitting it would hide the order.
#![allow(clippy::too_many_lines)]

#[macro_use]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::digest::{group, mail, settings, DAY, DUE};
use common::imap::{unique, Stack};
use futures::StreamExt;
use outloud::clock::Clock;
use outloud::config::{Secret, TlsMode};
use outloud::core::digest::audience::Pattern;
use outloud::digest::{run_round, RoundOptions};
use outloud::ingest::Ingestor;
use outloud::outbox::{OutboxSender, SenderSettings};
use outloud::smtp::{Credentials, SmtpSettings};
use outloud::store::Store;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

fn smtp(stack: &Stack) -> SmtpSettings {
    SmtpSettings {
        host: stack.host.clone(),
        port: stack.submission_port,
        tls: TlsMode::Starttls,
        ca_pem: Some(std::fs::read(&stack.ca).expect("the stack's CA")),
        credentials: Credentials::Password {
            user: stack.user.clone(),
            password: Secret(stack.password.clone()),
        },
        helo: lettre::transport::smtp::extension::ClientId::Domain("outloud.test".into()),
        timeout: Duration::from_secs(30),
    }
}

fn sender(store: Arc<dyn Store>, stack: &Stack) -> OutboxSender {
    OutboxSender::new(
        store,
        SenderSettings {
            instance: unique("digest-sender"),
            sender: common::outbox_sender(),
            smtp: smtp(stack),
            rate_per_minute: 0,
            retry_secs: 48 * 3600,
            poll: Duration::from_secs(1),
            clock: Clock::fixed(DUE + 7200),
        },
    )
}

/// Group eng with a discussed thread in the week before `DUE`; `n` mailboxes of the stack in
/// its audience. Returns the folder of each.
async fn world(store: &Arc<dyn Store>, stack: &Stack, n: usize) -> Vec<String> {
    group(store, "eng", "Engineering").await;
    let settings = outloud::daemon::ingest_settings(&outloud::config::Config::default());
    let ingestor = Ingestor::new(store.clone(), settings).await.unwrap();
    let t = DUE - 5 * DAY;
    let tag = unique("m");
    let (a, b) = (
        format!("a.{tag}@corp.example"),
        format!("b.{tag}@corp.example"),
    );
    let mails = vec![
        mail("Ana Lima <ana@corp.example>", "eng@corp.example", "", "CI runners moved", t, &a, None,
            "Hi all,\n\nWe moved the CI build to the new runners this week. A full build takes 4 minutes now instead of 11.\n\nPlease rebase open branches before Friday.\n\n-- \nAna Lima\n"),
        mail("Bo Chen <bo@corp.example>", "eng@corp.example", "", "Re: CI runners moved", t + DAY, &b, Some(&a),
            "Great news, the flaky ARM test is gone too.\n\nOn Mon, Ana Lima wrote:\n> We moved the CI build\n"),
    ];
    ingestor.ingest(mails, None, t + DAY).await.unwrap();
    let mut folders = Vec::new();
    for i in 0..n {
        let folder = unique(&format!("dig{i}"));
        stack.create_folder(&folder).await;
        let p = Pattern::parse(&format!("outloud+{folder}@corp.example")).unwrap();
        store
            .audience_add(&common::slug("eng"), &p, "cli", t)
            .await
            .unwrap();
        folders.push(folder);
    }
    folders
}

/// Every mail in `folder`, whole, once `n` have arrived.
async fn fetch_all(stack: &Stack, folder: &str, n: usize) -> Vec<Vec<u8>> {
    let end = Instant::now() + Duration::from_secs(120);
    while (stack.count(folder).await as usize) < n {
        assert!(
            Instant::now() < end,
            "{folder}: fewer than {n} mails after 2 minutes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut s = stack.session().await;
    s.select(folder).await.unwrap();
    let fetches: Vec<_> = s.fetch("1:*", "BODY.PEEK[]").await.unwrap().collect().await;
    let out = fetches
        .into_iter()
        .map(|f| f.unwrap().body().unwrap().to_vec())
        .collect();
    let _ = s.logout().await;
    out
}

fn header<'a>(m: &'a mail_parser::Message<'a>, name: &str) -> String {
    m.header_raw(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .trim()
        .to_string()
}

async fn call(
    store: &Arc<dyn Store>,
    method: Method,
    uri: &str,
    body: &str,
) -> (StatusCode, String, Option<String>) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("content-length", body.len().to_string())
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = outloud::web::router(store.clone())
        .oneshot(req)
        .await
        .unwrap();
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        String::from_utf8_lossy(&bytes).into_owned(),
        location,
    )
}

async fn unsubscribed(store: &Arc<dyn Store>) -> usize {
    store
        .digest_inputs(0)
        .await
        .unwrap()
        .choices
        .iter()
        .filter(|c| c.choice == "out")
        .count()
}

#[tokio::test]
async fn a_digest_arrives_readable_and_unsubscribes_in_one_click() {
    let stack = stack_or_skip!();
    let db = common::sqlite().await;
    let store = db.store.clone();
    let folders = world(&store, &stack, 1).await;
    let s = settings();
    let r = run_round(
        &store,
        &s,
        s.schedule.current(DUE + 3600),
        DUE + 3600,
        RoundOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(r.queued, 1, "{r:?}");
    let sent = sender(store.clone(), &stack)
        .run_once(&CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(sent.sent, 1, "{sent:?}");
    let mails = fetch_all(&stack, &folders[0], 1).await;
    let m = mail_parser::MessageParser::default()
        .parse(&mails[0])
        .unwrap();
    // Headers: one-click unsubscribe (RFC 8058), list id, machine mail, outloud's own names.
    let lu = header(&m, "List-Unsubscribe");
    assert!(
        lu.starts_with("<https://outloud.corp.example/d/u/") && lu.contains("<mailto:bounces+u"),
        "{lu}"
    );
    assert_eq!(
        header(&m, "List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    assert!(header(&m, "List-Id").contains("<digest.corp.example>"));
    assert_eq!(header(&m, "Auto-Submitted"), "auto-generated");
    assert_eq!(
        m.from().unwrap().first().unwrap().address().unwrap(),
        "outloud@corp.example"
    );
    assert!(
        m.message_id().unwrap().starts_with("outloud."),
        "{:?}",
        m.message_id()
    );
    assert!(
        m.subject().unwrap().starts_with("CI runners moved"),
        "{:?}",
        m.subject()
    );
    // Both parts, with the item's content and every link.
    let text = m.body_text(0).unwrap().to_string();
    let html = m.body_html(0).unwrap().to_string();
    assert!(
        text.contains("Ana Lima: We moved the CI build to the new runners"),
        "{text}"
    );
    assert!(
        !text.contains("-- \nAna Lima") && !text.contains("> We moved"),
        "{text}"
    );
    assert!(
        text.contains("You get this digest because you are in the audience of eng"),
        "{text}"
    );
    assert!(html.contains("bgcolor=") && html.contains("role=\"presentation\""));
    let token = lu["<https://outloud.corp.example/d/u/".len()..]
        .split('>')
        .next()
        .unwrap()
        .to_string();
    let click = format!("/d/c/{token}/");
    let i = text.find(&click).expect("click link in the text part");
    let thread: i64 = text[i + click.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(html.contains(&format!(
        "https://outloud.corp.example/d/c/{token}/{thread}"
    )));
    assert!(text.contains("eng+r-") && html.contains("mailto:eng+r-"));
    // The click redirect: counted, then to the thread; HEAD counted apart.
    let (st, _, to) = call(&store, Method::GET, &format!("/d/c/{token}/{thread}"), "").await;
    assert_eq!(
        (st, to.as_deref()),
        (StatusCode::SEE_OTHER, Some(format!("/t/{thread}").as_str()))
    );
    let (st, _, _) = call(&store, Method::HEAD, &format!("/d/c/{token}/{thread}"), "").await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (st, _, _) = call(&store, Method::GET, &format!("/d/c/{token}/999999"), "").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // GET only shows the button (scanners fetch links); the POST unsubscribes.
    let (st, page, _) = call(&store, Method::GET, &format!("/d/u/{token}"), "").await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("<form method=\"post\"") && page.contains("Unsubscribe</button>"),
        "{page}"
    );
    assert_eq!(unsubscribed(&store).await, 0, "a GET must not unsubscribe");
    let (st, page, _) = call(
        &store,
        Method::POST,
        &format!("/d/u/{token}"),
        "List-Unsubscribe=One-Click",
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert_eq!(unsubscribed(&store).await, 1);
    let (st, _, _) = call(
        &store,
        Method::POST,
        "/d/u/notatoken",
        "List-Unsubscribe=One-Click",
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let stats = store.digest_stats().await.unwrap();
    assert_eq!((stats[0].sent, stats[0].unsubscribed), (1, 1), "{stats:?}");
    assert_eq!(stats[0].clicked + stats[0].scanner_only, 1, "{stats:?}");
    stack.delete_folder(&folders[0]).await;
}

#[tokio::test]
async fn rounds_after_a_crash_and_on_two_replicas_send_each_one_digest() {
    let stack = stack_or_skip!();
    let db = common::sqlite().await;
    let store = db.store.clone();
    let folders = world(&store, &stack, 12).await;
    let s = settings();
    let period = s.schedule.current(DUE + 3600);
    // A round that died after committing its first digests: decide and record only some.
    let inputs = store.digest_inputs(0).await.unwrap();
    let candidates = store.digest_candidates(period).await.unwrap();
    let people = outloud::digest::recipients::recipients(&inputs, &s.exclude);
    let addresses = inputs
        .group_addresses
        .iter()
        .map(|(a, g)| (g.clone(), a.clone()))
        .collect();
    let first: Vec<_> = people
        .iter()
        .take(5)
        .filter_map(|r| {
            outloud::digest::round::decide(&s, r, &candidates, &addresses, period, DUE + 3600)
                .unwrap()
        })
        .collect();
    store.record_digests(&first).await.unwrap();
    // The restarted daemon and a second replica run the round at once.
    let (a, b) = tokio::join!(
        run_round(&store, &s, period, DUE + 3600, RoundOptions::default()),
        run_round(&store, &s, period, DUE + 3660, RoundOptions::default()),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.queued + b.queued, 7, "{a:?} {b:?}");
    let sent = sender(store.clone(), &stack)
        .run_once(&CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(sent.sent, 12, "{sent:?}");
    stack.wait_postfix_queue_empty();
    for f in &folders {
        let mails = fetch_all(&stack, f, 1).await;
        assert_eq!(mails.len(), 1, "{f} got {} digests", mails.len());
        stack.delete_folder(f).await;
    }
}

/// The `mailto:` of `List-Unsubscribe` acts: a mail a client sends there (through Postfix into
/// the watched mailbox, read by a watcher) unsubscribes the digest's recipient, is stored as
/// skipped under `digest_unsubscribe`, and is counted in the statistics.
async fn a_mail_to_the_unsubscribe_address_unsubscribes(store: Arc<dyn Store>) {
    let stack = stack_or_skip!();
    let folders = world(&store, &stack, 1).await;
    let s = settings();
    let period = s.schedule.current(DUE + 3600);
    let r = run_round(&store, &s, period, DUE + 3600, RoundOptions::default()).await;
    assert_eq!(r.unwrap().queued, 1);
    let sent = sender(store.clone(), &stack)
        .run_once(&CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(sent.sent, 1, "{sent:?}");
    let mails = fetch_all(&stack, &folders[0], 1).await;
    let m = mail_parser::MessageParser::default()
        .parse(&mails[0])
        .unwrap();
    let lu = header(&m, "List-Unsubscribe");
    let mailto = lu
        .split("<mailto:")
        .nth(1)
        .and_then(|t| t.split(['?', '>']).next())
        .unwrap_or_else(|| panic!("a mailto in {lu}"))
        .to_string();
    // Dovecot files bounces+uTOKEN@ in the folder named by its detail, where a watcher reads it.
    let detail = mailto["bounces+".len()..mailto.find('@').unwrap()].to_string();
    stack.create_folder(&detail).await;
    let recipient = format!("outloud+{}@corp.example", folders[0]);
    let request = format!(
        "From: {recipient}\r\nTo: {mailto}\r\nSubject: unsubscribe\r\nDate: {}\r\n\
         Message-ID: <{}@client.example>\r\n\r\nThis message was automatically generated.\r\n",
        chrono::DateTime::from_timestamp(DUE + 7200, 0)
            .unwrap()
            .to_rfc2822(),
        unique("unsub")
    );
    stack
        .smtp_send(&recipient, &mailto, request.as_bytes())
        .await;
    fetch_all(&stack, &detail, 1).await;
    assert_eq!(unsubscribed(&store).await, 0);
    let mut settings = outloud::daemon::ingest_settings(&outloud::config::Config::default());
    settings.pipeline.own.bounce_address = Some("bounces@corp.example".into());
    let ingestor = Arc::new(Ingestor::new(store.clone(), settings).await.unwrap());
    let toml = format!(
        "name = \"bounces\"\nhost = {:?}\nport = {}\ntls = \"none\"\nuser = {:?}\npassword_env = \"OUTLOUD_IMAP_PASSWORD\"\nfolders = [{detail:?}]\n",
        stack.host, stack.imap_port, stack.user
    );
    let cfg: outloud::config::MailboxConfig = toml::from_str(&toml).unwrap();
    let mut w = outloud::imap::Watcher::new(
        cfg,
        detail.clone(),
        Secret(stack.password.clone()),
        ingestor,
        outloud::health::Health::new(),
        outloud::imap::WatcherSettings {
            instance: unique("w"),
            lease_secs: 20,
            clock: Clock::fixed(DUE + 7300),
        },
    );
    let report = w.run_once().await.unwrap();
    assert_eq!(
        (report.fetched, report.skipped, report.published),
        (1, 1, 0),
        "{report:?}"
    );
    assert_eq!(unsubscribed(&store).await, 1, "the mailto unsubscribed");
    let skipped = store.skip_counts().await.unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(
        (skipped[0].reason, skipped[0].count),
        (outloud::model::SkipReason::DigestUnsubscribe, 1)
    );
    let stats = store.digest_stats().await.unwrap();
    assert_eq!((stats[0].sent, stats[0].unsubscribed), (1, 1), "{stats:?}");
    // The next round sends them nothing.
    let next = s.schedule.current(DUE + 7 * DAY + 3600);
    let r = run_round(
        &store,
        &s,
        next,
        DUE + 7 * DAY + 3600,
        RoundOptions::default(),
    )
    .await;
    let r = r.unwrap();
    assert_eq!(
        (r.queued, r.skipped.get("opted_out")),
        (0, Some(&1)),
        "{r:?}"
    );
    stack.delete_folder(&detail).await;
    stack.delete_folder(&folders[0]).await;
}

story!(a_mail_to_the_unsubscribe_address_unsubscribes);
