//! Policy with real mail through the mail stack (scripts/mailstack.sh): each mail goes through
//! Postfix by SMTP into Dovecot (which records the envelope recipient as `Delivered-To`), and
//! outloud's IMAP watcher reads it into the pipeline. A forged From whose trusted
//! Authentication-Results say `dmarc=fail` is held while the forger's own copy of the header is
//! ignored; each confidentiality marker is held with its rule; a Bcc-only mail is held; plain
//! mail is published. Nothing held reaches a thread page, search or export. The undo window:
//! the sender's notice goes out through Postfix, the author's `CANCEL` reply to it comes back
//! through Postfix and IMAP and stops the post; another post goes live when the window ends
//! (the policy worker on an injected clock).
//!
//! The stack runs no DKIM/DMARC milter, so the trusted header is written into the mail as the
//! border MX (`mx.corp.example`) would have prepended it; the forger's copy carries another
//! authserv-id, as any header from outside does.

// The story reads top to bottom (send, read back, check each surface): splitting it would
// hide the order.
#![allow(clippy::too_many_lines)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::eventually;
use common::imap::{unique, Stack};
use outloud::clock::Clock;
use outloud::config::{MailboxConfig, Secret};
use outloud::core::classify::OwnIdentity;
use outloud::core::pipeline::Options;
use outloud::core::policy::{HeaderPattern, Outsiders, PolicyConfig, Unauthenticated};
use outloud::health::Health;
use outloud::imap::{Watcher, WatcherSettings};
use outloud::ingest::{IngestSettings, Ingestor};
use outloud::store::policy::HeldState;
use outloud::store::SearchQuery;

const BLOCKED: &str = "3a2e9c1f-7b4d-4e8a-9f61-2c5d8e0b7a14";
const PASS: &str = "Authentication-Results: mx.corp.example;\r\n dkim=pass header.d=corp.example header.s=s1;\r\n dmarc=pass (p=reject dis=none) header.from=corp.example\r\n";

fn settings() -> IngestSettings {
    IngestSettings {
        pipeline: Options {
            own: OwnIdentity {
                addresses: vec!["outloud@corp.example".into()],
                loop_marker: "outloud".into(),
                bounce_address: None,
            },
            policy: PolicyConfig {
                enabled: true,
                trusted_authserv_ids: vec!["mx.corp.example".into()],
                allowed_domains: vec!["corp.example".into()],
                unauthenticated: Unauthenticated::Hold,
                blocked_labels: vec![BLOCKED.into()],
                subject_tags: vec!["[confidential]".into()],
                header_patterns: vec![
                    HeaderPattern::parse("X-Classification: (?i)^secret").unwrap()
                ],
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

fn msip(bits: u32, guid: &str) -> String {
    format!(
        "msip_labels: MSIP_Label_{guid}_Enabled=true;\r\n MSIP_Label_{guid}_SetDate=2026-11-30T09:00:00Z;\r\n MSIP_Label_{guid}_Method=Privileged;\r\n MSIP_Label_{guid}_Name=Confidential;\r\n MSIP_Label_{guid}_SiteId=72f988bf-86f1-41af-91ab-2d7cd011db47;\r\n MSIP_Label_{guid}_ContentBits={bits}\r\n"
    )
}

/// (tag, expected rule or "published", extra headers, From, To, Content-Type and body).
fn cases(
    group: &str,
) -> Vec<(
    &'static str,
    &'static str,
    String,
    &'static str,
    String,
    String,
)> {
    let plain =
        "Content-Type: text/plain; charset=utf-8\r\n\r\nQuarterly notes, kumquat.\r\n".to_string();
    let forged = "Authentication-Results: mx.corp.example; dkim=none;\r\n dmarc=fail (p=reject dis=none) header.from=corp.example\r\n\
        Authentication-Results: mx.attacker.example; dkim=pass header.d=corp.example;\r\n dmarc=pass header.from=corp.example\r\n";
    let outside_only =
        "Authentication-Results: mx.attacker.example; dmarc=pass header.from=corp.example\r\n";
    let g = group.to_string();
    let other = "bob@corp.example".to_string();
    vec![
        ("ok", "published", PASS.into(), "alice@corp.example", g.clone(), plain.clone()),
        ("forged", "sender_auth", forged.into(), "ceo@corp.example", g.clone(), plain.clone()),
        ("outside-ar", "no_auth_results", outside_only.into(), "ceo@corp.example", g.clone(), plain.clone()),
        ("private", "sensitivity", format!("{PASS}Sensitivity: Private\r\n"), "alice@corp.example", g.clone(), plain.clone()),
        ("personal", "sensitivity", format!("{PASS}Sensitivity: Personal\r\n"), "alice@corp.example", g.clone(), plain.clone()),
        ("company", "sensitivity", format!("{PASS}Sensitivity: Company-Confidential\r\n"), "alice@corp.example", g.clone(), plain.clone()),
        ("label", "purview_label", format!("{PASS}{}", msip(0, BLOCKED)), "alice@corp.example", g.clone(), plain.clone()),
        ("encrypting-label", "purview_encrypted", format!("{PASS}{}", msip(8, "5a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9")), "alice@corp.example", g.clone(), plain.clone()),
        ("smime", "encrypted", PASS.into(), "alice@corp.example", g.clone(),
            "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"\r\nContent-Transfer-Encoding: base64\r\n\r\nMIAGCSqGSIb3DQEHA6CAMIACAQAx\r\n".into()),
        ("pgp", "encrypted", PASS.into(), "alice@corp.example", g.clone(),
            "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--b\r\nContent-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\nhQEMA\r\n-----END PGP MESSAGE-----\r\n--b--\r\n".into()),
        ("rpmsg", "encrypted", PASS.into(), "alice@corp.example", g.clone(),
            "Content-Type: multipart/mixed; boundary=\"r\"\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nProtected.\r\n--r\r\nContent-Type: application/x-microsoft-rpmsg-message; name=\"message.rpmsg\"\r\nContent-Disposition: attachment; filename=\"message.rpmsg\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--r--\r\n".into()),
        ("no-archive", "no_archive", format!("{PASS}X-No-Archive: yes\r\n"), "alice@corp.example", g.clone(), plain.clone()),
        ("archive-no", "no_archive", format!("{PASS}X-Archive: no\r\n"), "alice@corp.example", g.clone(), plain.clone()),
        ("tag", "subject_tag", PASS.into(), "alice@corp.example", g.clone(), plain.clone()),
        ("pattern", "header_pattern", format!("{PASS}X-Classification: Secret\r\n"), "alice@corp.example", g.clone(), plain.clone()),
        ("bcc", "bcc_only", PASS.into(), "alice@corp.example", other, plain),
    ]
}

#[tokio::test]
async fn forged_confidential_and_bcc_mail_is_held_not_published() {
    let Some(stack) = Stack::from_env() else {
        if std::env::var("OUTLOUD_SKIP_MAILSTACK").as_deref() == Ok("1") {
            return;
        }
        panic!("the mail stack is not running: eval \"$(scripts/mailstack.sh start)\" first");
    };
    let db = common::sqlite().await;
    let slug = unique("pol");
    let group = format!("{slug}@corp.example");
    db.store
        .upsert_group(&common::slug(&slug), &slug, &common::addresses(&[&group]))
        .await
        .unwrap();
    let ingestor = Arc::new(Ingestor::new(db.store.clone(), settings()).await.unwrap());
    let cases = cases(&group);
    for (tag, _, headers, from, to, body) in &cases {
        let subject = if *tag == "tag" {
            "[Confidential] reorg"
        } else {
            "Quarterly notes"
        };
        let mail = format!(
            "{headers}From: {from}\r\nTo: {to}\r\nSubject: {subject} {tag}\r\nMessage-ID: <{tag}.{slug}@corp.example>\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n{body}"
        );
        // The envelope always names the group: the Bcc case's header does not.
        stack.smtp_send(from, &group, mail.as_bytes()).await;
    }
    let toml = format!(
        "name = \"corp\"\nhost = {:?}\nport = {}\nuser = {:?}\npassword_env = \"OUTLOUD_IMAP_PASSWORD\"\ntls = \"none\"\nfolders = [\"INBOX\"]\nbatch_size = 50\n",
        stack.host, stack.imap_port, stack.user
    );
    let cfg: MailboxConfig = toml::from_str(&toml).unwrap();
    let settings = WatcherSettings {
        instance: unique("w"),
        lease_secs: 20,
        clock: Clock::system(),
    };
    let w = Watcher::new(
        cfg,
        "INBOX",
        Secret(stack.password.clone()),
        ingestor.clone(),
        Health::new(),
        settings,
    );
    let w = Arc::new(tokio::sync::Mutex::new(w));
    let store = db.store.clone();
    let suffix: &'static str = Box::leak(format!(".{slug}@corp.example").into_boxed_str());
    let ours = move |id: &str| id.ends_with(suffix);
    let n = cases.len();
    eventually("every test mail read through IMAP", || {
        let (store, w) = (store.clone(), w.clone());
        async move {
            w.lock().await.run_once().await.unwrap();
            let held = store.held(None, 1000).await.unwrap();
            let published = store.messages_after(0, 1000).await.unwrap();
            held.iter().filter(|h| ours(&h.message_id)).count()
                + published.iter().filter(|m| ours(&m.message_id)).count()
                == n
        }
    })
    .await;

    let held: BTreeMap<String, (String, HeldState)> = store
        .held(None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|h| ours(&h.message_id))
        .map(|h| {
            (
                h.message_id.split('.').next().unwrap().to_string(),
                (h.rule, h.state),
            )
        })
        .collect();
    for (tag, rule, ..) in &cases {
        if *rule == "published" {
            assert!(!held.contains_key(*tag), "{tag} was held: {held:?}");
        } else {
            assert_eq!(
                held.get(*tag).map(|h| h.0.as_str()),
                Some(*rule),
                "{tag}: {held:?}"
            );
        }
    }
    let forged = store.held(Some(HeldState::Held), 1000).await.unwrap();
    let forged = forged
        .iter()
        .find(|h| h.message_id.starts_with("forged."))
        .unwrap();
    assert!(
        forged.reason.contains("dmarc=fail") && forged.reason.contains("mx.corp.example"),
        "{}",
        forged.reason
    );

    // Only the plain mail is on any surface.
    let published: Vec<String> = store
        .messages_after(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.message_id)
        .filter(|id| ours(id))
        .collect();
    assert_eq!(published, [format!("ok.{slug}@corp.example")]);
    let q = SearchQuery {
        text: "kumquat".into(),
        limit: 50,
        ..Default::default()
    };
    let hits: Vec<String> = store
        .search(&q)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.message_id)
        .filter(|id| ours(id))
        .collect();
    assert_eq!(hits, [format!("ok.{slug}@corp.example")]);
}

/// Every mail in INBOX, whole.
async fn inbox(stack: &Stack) -> Vec<String> {
    use futures::StreamExt;
    let mut s = stack.session().await;
    s.select("INBOX").await.unwrap();
    let fetches: Vec<_> = s.fetch("1:*", "BODY.PEEK[]").await.unwrap().collect().await;
    let out = (fetches.into_iter())
        .map(|f| String::from_utf8_lossy(f.unwrap().body().unwrap_or_default()).into_owned())
        .collect();
    let _ = s.logout().await;
    out
}

/// The unfolded value of header `name` in a raw mail.
fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw
        .split("\r\n\r\n")
        .next()?
        .replace("\r\n ", " ")
        .replace("\r\n\t", " ");
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

#[tokio::test]
async fn the_undo_window_is_cancelled_by_a_reply_through_the_mail_stack() {
    use outloud::config::TlsMode;
    use outloud::moderation::worker::PolicyWorker;
    use outloud::outbox::{OutboxSender, SenderSettings};
    use outloud::smtp::{Credentials, SmtpSettings};
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::time::Duration;
    let Some(stack) = Stack::from_env() else {
        if std::env::var("OUTLOUD_SKIP_MAILSTACK").as_deref() == Ok("1") {
            return;
        }
        panic!("the mail stack is not running: eval \"$(scripts/mailstack.sh start)\" first");
    };
    let db = common::sqlite().await;
    let slug = unique("undo");
    let group = format!("{slug}@corp.example");
    db.store
        .upsert_group(&common::slug(&slug), &slug, &common::addresses(&[&group]))
        .await
        .unwrap();
    let mut s = settings();
    s.pipeline.policy.undo_windows = vec![(slug.clone(), 600)];
    let ingestor = Arc::new(
        Ingestor::new(db.store.clone(), s)
            .await
            .unwrap()
            .with_notices(Some(common::outbox_sender().into())),
    );
    let toml = format!(
        "name = \"corp\"\nhost = {:?}\nport = {}\nuser = {:?}\npassword_env = \"OUTLOUD_IMAP_PASSWORD\"\ntls = \"none\"\nfolders = [\"INBOX\"]\nbatch_size = 50\n",
        stack.host, stack.imap_port, stack.user
    );
    let cfg: MailboxConfig = toml::from_str(&toml).unwrap();
    let ws = WatcherSettings {
        instance: unique("w"),
        lease_secs: 20,
        clock: Clock::system(),
    };
    let w = Watcher::new(
        cfg,
        "INBOX",
        Secret(stack.password.clone()),
        ingestor.clone(),
        Health::new(),
        ws,
    );
    let w = Arc::new(tokio::sync::Mutex::new(w));
    let store = db.store.clone();
    let post = |id: &str, subject: &str| {
        format!(
            "{PASS}From: alice@corp.example\r\nTo: {group}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nOffsite plans, {subject}.\r\n"
        )
    };
    let state_of = |id: String| {
        let store = store.clone();
        async move {
            let held = store.held(None, 1000).await.unwrap();
            held.into_iter()
                .find(|h| h.message_id == id)
                .map(|h| h.state)
        }
    };

    // 1. The post waits out the window.
    let p1 = format!("p1.{slug}@corp.example");
    stack
        .smtp_send("alice@corp.example", &group, post(&p1, "first").as_bytes())
        .await;
    eventually("the post read and pending", || {
        let (w, state) = (w.clone(), state_of(p1.clone()));
        async move {
            w.lock().await.run_once().await.unwrap();
            state.await == Some(HeldState::Pending)
        }
    })
    .await;
    assert!(store.messages_after(0, 100).await.unwrap().is_empty());

    // 2. The notice goes out through Postfix submission.
    let smtp = SmtpSettings {
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
    };
    let mut sender = OutboxSender::new(
        store.clone(),
        SenderSettings {
            instance: unique("sender"),
            sender: common::outbox_sender(),
            smtp,
            rate_per_minute: 0,
            retry_secs: 3600,
            poll: Duration::from_secs(1),
            clock: Clock::system(),
        },
    );
    let stop = tokio_util::sync::CancellationToken::new();
    let r = sender.run_once(&stop).await.unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    let notice = std::sync::Arc::new(tokio::sync::Mutex::new(String::new()));
    eventually("the notice delivered", || {
        let (notice, p1) = (notice.clone(), p1.clone());
        let stack = stack.clone();
        async move {
            let found = inbox(&stack).await.into_iter().find(|m| {
                header(m, "In-Reply-To").as_deref() == Some(&format!("<{p1}>"))
                    && header(m, "Auto-Submitted").is_some()
            });
            match found {
                Some(m) => {
                    *notice.lock().await = m;
                    true
                }
                None => false,
            }
        }
    })
    .await;
    let notice = notice.lock().await.clone();
    let flat = notice.replace("=\r\n", "");
    assert!(flat.contains("CANCEL"), "{notice}");
    let reply_to = header(&notice, "Reply-To").expect("Reply-To");
    assert_eq!(reply_to, group);
    let notice_id = header(&notice, "Message-ID").unwrap();

    // 3. Alice answers CANCEL as her mail client would: to Reply-To, threaded under the notice.
    let cancel = format!(
        "{PASS}From: alice@corp.example\r\nTo: {reply_to}\r\nSubject: Re: notice\r\nMessage-ID: <c.{slug}@corp.example>\r\nIn-Reply-To: {notice_id}\r\nReferences: <{p1}> {notice_id}\r\nDate: Tue, 1 Dec 2026 10:02:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCancel\r\n\r\nOn Tue, outloud wrote:\r\n> To stop it, reply CANCEL.\r\n"
    );
    stack
        .smtp_send("alice@corp.example", &reply_to, cancel.as_bytes())
        .await;
    eventually("the CANCEL read and the post cancelled", || {
        let (w, state) = (w.clone(), state_of(p1.clone()));
        async move {
            w.lock().await.run_once().await.unwrap();
            state.await == Some(HeldState::Cancelled)
        }
    })
    .await;

    // 4. Another post is not cancelled: the worker publishes it once its window ended.
    let p2 = format!("p2.{slug}@corp.example");
    stack
        .smtp_send("alice@corp.example", &group, post(&p2, "second").as_bytes())
        .await;
    eventually("the second post pending", || {
        let (w, state) = (w.clone(), state_of(p2.clone()));
        async move {
            w.lock().await.run_once().await.unwrap();
            state.await == Some(HeldState::Pending)
        }
    })
    .await;
    let now = Arc::new(AtomicI64::new(Clock::system().now()));
    let clock = Clock::from_fn({
        let now = now.clone();
        move || now.load(Ordering::Relaxed)
    });
    let worker = PolicyWorker::new(ingestor.clone(), clock, Duration::from_secs(30));
    assert!(
        worker.run_once().await.unwrap().released.is_empty(),
        "not yet"
    );
    now.fetch_add(601, Ordering::Relaxed);
    assert_eq!(worker.run_once().await.unwrap().released.len(), 1);
    let published: Vec<String> = (store.messages_after(0, 100).await.unwrap().into_iter())
        .map(|m| m.message_id)
        .collect();
    assert_eq!(published, [p2]);
}
