//! The outbox against the real mail stack (scripts/mailstack.sh): Postfix submission with
//! STARTTLS and SASL through Dovecot, delivering `outloud+FOLDER@corp.example` into FOLDER,
//! read back over IMAP. `outloud mail test` and the SIGKILL test run the real binary; the
//! retry tests drive the sender's `run_once` on an injected clock. Every wait is a poll with a
//! generous deadline: these tests check what happens, never how fast.
//!
//! Without the stack's variables every test fails saying how to start it, unless
//! OUTLOUD_SKIP_MAILSTACK=1 (then each prints why and passes).

#[macro_use]
mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::imap::{unique, Stack};
use outloud::clock::Clock;
use outloud::config::{Secret, TlsMode};
use outloud::core::compose::{Draft, Outgoing};
use outloud::daemon::ingest_settings;
use outloud::outbox::{queue_draft, OutboxSender, SenderSettings};
use outloud::smtp::{Credentials, SmtpSettings};
use outloud::store::outbox::{DeliveryFilter, DeliveryRow, DeliveryState};
use outloud::store::Store;
use tokio_util::sync::CancellationToken;

const T0: i64 = 1_796_000_000;

fn note(to: &str, subject: &str, now: i64) -> Outgoing {
    let draft = Draft {
        to: vec![to.to_string()],
        subject: subject.into(),
        text: format!("{subject}: sent by outloud's outbox tests.\n"),
        in_reply_to: None,
        references: vec![],
        auto_submitted: true,
        on_behalf_of: None,
        reply_to: None,
    };
    queue_draft(&common::outbox_sender(), &draft, "test", now).unwrap()
}

/// The submission port as `[smtp]` would give it.
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

/// A clock the test moves by hand.
fn manual_clock(start: i64) -> (Arc<AtomicI64>, Clock) {
    let t = Arc::new(AtomicI64::new(start));
    let clock = Clock::from_fn({
        let t = t.clone();
        move || t.load(Ordering::SeqCst)
    });
    (t, clock)
}

fn sender_on(store: Arc<dyn Store>, smtp: SmtpSettings, clock: Clock) -> OutboxSender {
    OutboxSender::new(
        store,
        SenderSettings {
            instance: unique("sender"),
            sender: common::outbox_sender(),
            smtp,
            rate_per_minute: 0,
            retry_secs: 48 * 3600,
            poll: Duration::from_secs(1),
            clock,
        },
    )
}

async fn only_delivery(store: &dyn Store) -> DeliveryRow {
    let mut rows = store.deliveries(&DeliveryFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.remove(0)
}

/// Poll the folder until it holds `n` mails (Postfix hands them on after its 250).
async fn wait_for_mail(stack: &Stack, folder: &str, n: usize) -> Vec<String> {
    let end = Instant::now() + Duration::from_secs(120);
    loop {
        let ids = stack.message_ids(folder).await;
        if ids.len() >= n {
            return ids;
        }
        assert!(
            Instant::now() < end,
            "{folder} holds {} of {n} mails after 2 minutes",
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_450_is_retried_when_the_injected_clock_says_so() {
    let stack = stack_or_skip!();
    let folder = unique("obx450");
    stack.create_folder(&folder).await;
    let to = format!("outloud+{folder}@corp.example");
    stack.recipient_access(&to, Some("450 4.2.0 try again later"));
    let db = common::sqlite().await;
    db.store
        .enqueue(&[note(&to, "deferred once", T0)])
        .await
        .unwrap();
    let (t, clock) = manual_clock(T0);
    let mut s = sender_on(db.store.clone(), smtp(&stack), clock);
    let stop = CancellationToken::new();

    let r = s.run_once(&stop).await.unwrap();
    assert_eq!((r.claimed, r.retrying, r.sent), (1, 1, 0), "{r:?}");
    let d = only_delivery(db.store.as_ref()).await;
    assert_eq!(
        (d.state.0, d.last_code, d.attempts),
        (DeliveryState::Retrying, Some(450), 1)
    );
    assert!(
        d.last_reply.as_deref().unwrap().contains("try again later"),
        "{d:?}"
    );
    // Backoff with jitter: between half a minute and a minute after the attempt.
    assert!((T0 + 30..=T0 + 60).contains(&d.next_attempt_at), "{d:?}");
    // Not due yet: nothing happens, however often the sender looks.
    t.store(d.next_attempt_at - 1, Ordering::SeqCst);
    assert_eq!(s.run_once(&stop).await.unwrap().claimed, 0);

    // The server changes its mind; the clock reaches the retry.
    stack.recipient_access(&to, None);
    t.store(d.next_attempt_at, Ordering::SeqCst);
    let r = s.run_once(&stop).await.unwrap();
    assert_eq!((r.claimed, r.sent), (1, 1), "{r:?}");
    let d = only_delivery(db.store.as_ref()).await;
    assert_eq!(
        (d.state.0, d.last_code, d.attempts),
        (DeliveryState::Sent, Some(250), 2)
    );
    let outcomes: Vec<String> = (db.store.attempts(d.id).await.unwrap().into_iter())
        .map(|a| format!("{} {}", a.outcome.unwrap(), a.code.unwrap_or(0)))
        .collect();
    assert_eq!(outcomes, ["deferred 450", "sent 250"]);
    let ids = wait_for_mail(&stack, &folder, 1).await;
    stack.wait_postfix_queue_empty();
    assert_eq!(
        stack.message_ids(&folder).await,
        vec![d.message_id.clone()],
        "{ids:?}"
    );
    stack.delete_folder(&folder).await;
}

#[tokio::test]
async fn implicit_tls_submission_sends_too() {
    let stack = stack_or_skip!();
    let folder = unique("obxtls");
    stack.create_folder(&folder).await;
    let db = common::sqlite().await;
    let mail = note(
        &format!("outloud+{folder}@corp.example"),
        "over implicit TLS",
        T0,
    );
    let id = mail.message_id.clone();
    db.store.enqueue(&[mail]).await.unwrap();
    let (_t, clock) = manual_clock(T0);
    let implicit = SmtpSettings {
        port: stack.submissions_port,
        tls: TlsMode::Implicit,
        ..smtp(&stack)
    };
    let mut s = sender_on(db.store.clone(), implicit, clock);
    let r = s.run_once(&CancellationToken::new()).await.unwrap();
    assert_eq!(r.sent, 1, "{r:?}");
    assert_eq!(wait_for_mail(&stack, &folder, 1).await, vec![id]);
    stack.delete_folder(&folder).await;
}

#[tokio::test]
async fn a_550_stops_the_delivery_and_counts_against_the_address() {
    let stack = stack_or_skip!();
    let to = format!("{}@corp.example", unique("gone"));
    stack.recipient_access(&to, Some("550 5.1.1 no such user here"));
    let db = common::sqlite().await;
    db.store
        .enqueue(&[note(&to, "never delivered", T0)])
        .await
        .unwrap();
    let (t, clock) = manual_clock(T0);
    let mut s = sender_on(db.store.clone(), smtp(&stack), clock);
    let stop = CancellationToken::new();
    let r = s.run_once(&stop).await.unwrap();
    assert_eq!((r.claimed, r.failed), (1, 1), "{r:?}");
    stack.recipient_access(&to, None);
    let d = only_delivery(db.store.as_ref()).await;
    assert_eq!((d.state.0, d.last_code), (DeliveryState::Failed, Some(550)));
    assert_eq!(d.failure.as_deref(), Some("undeliverable"));
    assert!(
        d.last_reply
            .as_deref()
            .unwrap()
            .starts_with("RCPT TO: 5.1.1"),
        "{d:?}"
    );
    // Never tried again, whatever the time.
    t.store(T0 + 30 * 86_400, Ordering::SeqCst);
    assert_eq!(s.run_once(&stop).await.unwrap().claimed, 0);
    let events = db
        .store
        .bounce_events(Some(std::slice::from_ref(&to)))
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (
            events[0].severity.as_str(),
            events[0].points,
            events[0].source.as_str()
        ),
        ("hard", 2, "smtp")
    );

    // A second hard bounce reaches 4: the next mail to the address is not sent at all.
    db.store.enqueue(&[note(&to, "second", T0)]).await.unwrap();
    stack.recipient_access(&to, Some("550 5.1.1 no such user here"));
    t.store(T0 + 100, Ordering::SeqCst);
    assert_eq!(s.run_once(&stop).await.unwrap().failed, 1);
    stack.recipient_access(&to, None);
    db.store
        .enqueue(&[note(&to, "third", T0 + 200)])
        .await
        .unwrap();
    t.store(T0 + 200, Ordering::SeqCst);
    let r = s.run_once(&stop).await.unwrap();
    assert_eq!((r.claimed, r.suppressed), (1, 1), "{r:?}");
    let newest = &db
        .store
        .deliveries(&DeliveryFilter::default())
        .await
        .unwrap()[0];
    assert_eq!(newest.failure.as_deref(), Some("suppressed"));
    assert_eq!(newest.attempts, 0, "suppressed mail is never attempted");
    // Cleared, the address gets mail again.
    db.store.clear_bounces(&to, T0 + 300).await.unwrap();
    db.store
        .retry_deliveries(&[newest.id], T0 + 300)
        .await
        .unwrap();
    t.store(T0 + 300, Ordering::SeqCst);
    assert_eq!(s.run_once(&stop).await.unwrap().sent, 1);
}

#[tokio::test]
async fn a_dsn_for_a_sent_mail_marks_its_recipient_bouncing() {
    let stack = stack_or_skip!();
    let db = common::sqlite().await;
    // Postfix accepts mail for unknown.test and then bounces it ("unknown user").
    let to = format!("{}@unknown.test", unique("nobody"));
    let mail = note(&to, "into the void", T0);
    let token = mail.deliveries[0].token.clone();
    // The DSN goes to bounces+TOKEN@corp.example, which Dovecot files in folder TOKEN.
    stack.create_folder(&token).await;
    db.store.enqueue(&[mail]).await.unwrap();
    let (_t, clock) = manual_clock(T0);
    let mut s = sender_on(db.store.clone(), smtp(&stack), clock.clone());
    assert_eq!(s.run_once(&CancellationToken::new()).await.unwrap().sent, 1);
    wait_for_mail(&stack, &token, 1).await;

    // The watched mailbox's watcher reads the DSN: skipped, matched, counted.
    let mut settings = ingest_settings(&outloud::config::Config::default());
    settings.pipeline.own.bounce_address = Some("bounces@corp.example".into());
    let ingestor = Arc::new(
        outloud::ingest::Ingestor::new(db.store.clone(), settings)
            .await
            .unwrap(),
    );
    let toml = format!(
        "name = \"bounces\"\nhost = {:?}\nport = {}\ntls = \"none\"\nuser = {:?}\npassword_env = \"OUTLOUD_IMAP_PASSWORD\"\nfolders = [{token:?}]\n",
        stack.host, stack.imap_port, stack.user
    );
    let cfg: outloud::config::MailboxConfig = toml::from_str(&toml).unwrap();
    let mut w = outloud::imap::Watcher::new(
        cfg,
        token.clone(),
        Secret(stack.password.clone()),
        ingestor,
        outloud::health::Health::new(),
        outloud::imap::WatcherSettings {
            instance: unique("w"),
            lease_secs: 20,
            clock,
        },
    );
    let report = w.run_once().await.unwrap();
    assert_eq!(
        (report.fetched, report.skipped, report.published),
        (1, 1, 0),
        "{report:?}"
    );
    let d = only_delivery(db.store.as_ref()).await;
    assert_eq!(d.state.0, DeliveryState::Bounced, "{d:?}");
    assert!(
        d.last_reply.as_deref().unwrap().contains("unknown user"),
        "{d:?}"
    );
    let events = db.store.bounce_events(None).await.unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (
            events[0].address.as_str(),
            events[0].severity.as_str(),
            events[0].source.as_str()
        ),
        (to.as_str(), "hard", "mail")
    );
    assert_eq!(events[0].delivery_id, Some(d.id));
    let skipped = db.store.skip_counts().await.unwrap();
    assert_eq!(
        skipped.len(),
        1,
        "never published, skipped as a bounce: {skipped:?}"
    );
    assert_eq!(skipped[0].reason, outloud::model::SkipReason::Bounce);
    stack.delete_folder(&token).await;
}

/// outloud's own mail, sent through the outbox to the address of a group it watches, arrives
/// in the watched folder and is never published back: the watcher skips it as a loop.
#[tokio::test]
async fn outlouds_own_mail_arriving_in_a_watched_folder_is_never_published() {
    let stack = stack_or_skip!();
    let folder = unique("obxloop");
    stack.create_folder(&folder).await;
    let to = format!("outloud+{folder}@corp.example");
    let (db, ingestor, _) = common::with_group(common::sqlite().await, &folder).await;
    let addresses = common::addresses(&[&to]);
    db.store
        .upsert_group(&common::slug(&folder), &folder, &addresses)
        .await
        .unwrap();
    db.store
        .enqueue(&[note(&to, "to a watched group", T0)])
        .await
        .unwrap();
    let (_t, clock) = manual_clock(T0);
    let mut s = sender_on(db.store.clone(), smtp(&stack), clock.clone());
    assert_eq!(s.run_once(&CancellationToken::new()).await.unwrap().sent, 1);
    wait_for_mail(&stack, &folder, 1).await;

    let toml = format!(
        "name = \"own\"\nhost = {:?}\nport = {}\ntls = \"none\"\nuser = {:?}\npassword_env = \"OUTLOUD_IMAP_PASSWORD\"\nfolders = [{folder:?}]\n",
        stack.host, stack.imap_port, stack.user
    );
    let cfg: outloud::config::MailboxConfig = toml::from_str(&toml).unwrap();
    let settings = outloud::imap::WatcherSettings {
        instance: unique("w"),
        lease_secs: 20,
        clock,
    };
    let health = outloud::health::Health::new();
    let password = Secret(stack.password.clone());
    let mut w = outloud::imap::Watcher::new(cfg, &folder, password, ingestor, health, settings);
    let report = w.run_once().await.unwrap();
    assert_eq!(
        (report.fetched, report.skipped, report.published),
        (1, 1, 0),
        "{report:?}"
    );
    let skipped = db.store.skip_counts().await.unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].reason, outloud::model::SkipReason::Loop);
    // A person's mail to the same address is published: the address does reach the group.
    let person = common::imap::mail(&folder, 1, &to);
    stack.append_all(&folder, &[person]).await;
    assert_eq!(w.run_once().await.unwrap().published, 1);
    stack.delete_folder(&folder).await;
}

// --- the real binary ----------------------------------------------------------------------

/// A config file for `outloud` with `[smtp]` on the stack's submission port.
fn write_config(dir: &Path, stack: &Stack, db_url: &str, extra: &str) -> PathBuf {
    let text = format!(
        r#"[database]
url = "{db_url}"

[web]
bind = "127.0.0.1:{port}"

[identity]
addresses = ["outloud@corp.example"]
loop_marker = "outloud-tests"

[smtp]
host = "{host}"
port = {submission}
tls = "starttls"
ca_file = "{ca}"
user = "{user}"
password_env = "OUTBOX_TEST_SMTP_PASSWORD"
from = "outloud@corp.example"
rate_per_minute = 0
poll_secs = 1
{extra}
"#,
        port = free_port(),
        host = stack.host,
        submission = stack.submission_port,
        ca = stack.ca.display(),
        user = stack.user,
    );
    let path = dir.join(format!("outloud-{}.toml", unique("c")));
    std::fs::write(&path, text).unwrap();
    path
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `outloud --config FILE ARGS…`, with the password in its variable and none of the mail
/// stack's OUTLOUD_SMTP_* variables (which would be outloud's own [smtp] settings).
fn outloud(config: &Path, password: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_outloud"));
    cmd.arg("--config").arg(config);
    for (k, _) in std::env::vars() {
        if k.starts_with("OUTLOUD_SMTP_") || k == "OUTLOUD_CONFIG" || k == "OUTLOUD_DATABASE_URL" {
            cmd.env_remove(k);
        }
    }
    cmd.env("OUTBOX_TEST_SMTP_PASSWORD", password)
        .env_remove("RUST_LOG");
    cmd
}

#[tokio::test]
async fn mail_test_reports_each_step_and_records_the_mail() {
    let stack = stack_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite:{}", tmp.path().join("outloud.db").display());
    let config = write_config(tmp.path(), &stack, &db_url, "");
    let folder = unique("obxtest");
    stack.create_folder(&folder).await;
    let to = format!("outloud+{folder}@corp.example");
    let out = outloud(&config, &stack.password)
        .args(["mail", "test", "--to", &to])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in [
        "connect",
        "TLS",
        "AUTH",
        "MAIL FROM",
        "RCPT TO",
        "DATA",
        "message",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("ok   {step}"))),
            "no ok line for {step}:\n{stdout}"
        );
    }
    assert!(
        stdout.contains("STARTTLS: encrypted") && stdout.contains("sent: "),
        "{stdout}"
    );
    let message_id = stdout
        .split("Message-ID <")
        .nth(1)
        .and_then(|r| r.split('>').next())
        .expect("the Message-ID is printed")
        .to_string();
    assert!(message_id.starts_with("outloud.") && message_id.ends_with("@corp.example"));
    let ids = wait_for_mail(&stack, &folder, 1).await;
    assert_eq!(ids, vec![message_id.clone()]);

    // Recorded in the outbox as sent, with its one attempt.
    let list = outloud(&config, &stack.password)
        .args(["outbox", "list", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(v[0]["delivery"]["state"], "sent", "{v}");
    assert_eq!(v[0]["delivery"]["message_id"], message_id.as_str());
    assert_eq!(v[0]["attempts"].as_array().unwrap().len(), 1);

    // A wrong password: the login step fails, named, and nothing is sent later.
    let bad = outloud(&config, "wrong")
        .args(["mail", "test", "--to", &to])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&bad.stdout);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success());
    assert!(stdout.contains("FAIL AUTH"), "{stdout}");
    assert!(stderr.contains("refused the login as outloud"), "{stderr}");
    let store = outloud::store::open(&db_url).await.unwrap();
    let rows = store.deliveries(&DeliveryFilter::default()).await.unwrap();
    assert_eq!(rows[0].state.0, DeliveryState::Cancelled, "{rows:?}");
    stack.delete_folder(&folder).await;
}

/// One `outloud run`; SIGKILLed when dropped.
struct Run(Child);

impl Run {
    fn start(config: &Path, password: &str, log: &Path) -> Run {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = outloud(config, password)
            .arg("run")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("start outloud run");
        Run(child)
    }

    fn kill9(&mut self) {
        let _ = self.0.kill(); // SIGKILL
        let _ = self.0.wait();
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Poll the outbox until `done(counts)`.
async fn wait_counts(
    store: &dyn Store,
    what: &str,
    done: impl Fn(&outloud::store::outbox::OutboxCounts) -> bool,
) {
    let end = Instant::now() + Duration::from_secs(300);
    loop {
        let c = store.outbox_counts().await.unwrap();
        if done(&c) {
            return;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}: {c:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every delivery sent and arrived in its recipient's folder; a delivery that arrived more
/// than once had as many attempts cut off. The extra copies, and which they were.
async fn check_arrivals(
    stack: &Stack,
    store: &dyn Store,
    folders: &[String],
) -> (usize, Vec<String>) {
    let rows = store.deliveries(&DeliveryFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 1000);
    let mut copies: HashMap<String, usize> = HashMap::new();
    for f in folders {
        for id in stack.message_ids(f).await {
            *copies.entry(format!("{f} {id}")).or_default() += 1;
        }
    }
    let (mut extra, mut report) = (0, Vec::new());
    for r in &rows {
        assert_eq!(r.state.0, DeliveryState::Sent, "{r:?}");
        let folder = r
            .recipient
            .trim_start_matches("outloud+")
            .trim_end_matches("@corp.example");
        let n = copies
            .get(&format!("{folder} {}", r.message_id))
            .copied()
            .unwrap_or(0);
        assert!(n >= 1, "delivery {} ({}) never arrived", r.id, r.message_id);
        let attempts = store.attempts(r.id).await.unwrap();
        let cut_off = attempts
            .iter()
            .filter(|a| a.outcome.as_deref() == Some("interrupted"))
            .count();
        assert!(
            n <= 1 + cut_off,
            "delivery {} arrived {n} times but only {cut_off} of its attempts were cut off: {attempts:?}",
            r.id
        );
        if n > 1 {
            extra += n - 1;
            report.push(format!("{} ×{n} (cut off {cut_off}×)", r.message_id));
        }
    }
    let total: usize = copies.values().sum();
    assert_eq!(total, 1000 + extra, "no copy of anything else arrived");
    (extra, report)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_mails_survive_three_sigkills_and_arrive_once() {
    let stack = stack_or_skip!();
    let tmp = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite:{}", tmp.path().join("outloud.db").display());
    let store = outloud::store::open(&db_url).await.unwrap();
    store.migrate().await.unwrap();
    let tag = unique("obxk");
    let folders: Vec<String> = (0..20).map(|k| format!("{tag}r{k}")).collect();
    for f in &folders {
        stack.create_folder(f).await;
    }
    let now = Clock::system().now();
    let mails: Vec<Outgoing> = (0..1000)
        .map(|n| {
            let f = &folders[n % folders.len()];
            note(
                &format!("outloud+{f}@corp.example"),
                &format!("{tag} mail {n}"),
                now,
            )
        })
        .collect();
    store.enqueue(&mails).await.unwrap();
    // A restart keeps the instance name, so it takes back its own claims at once.
    let config = write_config(
        tmp.path(),
        &stack,
        &db_url,
        "\n[daemon]\ninstance = \"outbox-kill-test\"\n",
    );
    let log = tmp.path().join("outloud.log");
    for kill_at in [150, 450, 750] {
        let mut run = Run::start(&config, &stack.password, &log);
        wait_counts(&*store, &format!("{kill_at} sent"), |c| c.sent >= kill_at).await;
        run.kill9();
        let c = store.outbox_counts().await.unwrap();
        assert!(c.sent < 1000, "killed before the end: {c:?}");
    }
    let mut last = Run::start(&config, &stack.password, &log);
    wait_counts(&*store, "every mail sent", |c| c.sent == 1000).await;
    let _ = Command::new("kill").arg(last.0.id().to_string()).status();
    let _ = last.0.wait();

    stack.wait_postfix_queue_empty();
    let (extra, report) = check_arrivals(&stack, &*store, &folders).await;
    eprintln!(
        "1000 deliveries, 3 SIGKILLs: {extra} extra copies, each of a delivery whose SMTP transaction was cut off by a kill: {report:?}"
    );
    assert!(extra <= 3, "at most one transaction in flight per kill");
    for f in &folders {
        stack.delete_folder(f).await;
    }
}
