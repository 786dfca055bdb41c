//! The IMAP watcher against the real mail stack (scripts/mailstack.sh: Dovecot + Postfix on
//! loopback). Every test works in a folder of its own (`t-<random>`) or with a group address of
//! its own, so the tests run in parallel on the one shared account.
//!
//! Needs the stack's variables (`eval "$(scripts/mailstack.sh start)"`, or scripts/test.sh);
//! without them the tests fail, unless OUTLOUD_SKIP_MAILSTACK=1.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::eventually;
use futures::StreamExt;
use outloud::clock::Clock;
use outloud::config::{AfterAction, MailboxConfig, Secret, TlsMode};
use outloud::health::{Health, Role};
use outloud::imap::commands::move_uids;
use outloud::imap::{
    connect, Account, Capabilities, ImapError, Login, Session, Watcher, WatcherSettings,
};
use outloud::ingest::Ingestor;
use outloud::store::Store;
use tokio_util::sync::CancellationToken;

struct Stack {
    host: String,
    imap_port: u16,
    imaps_port: u16,
    smtp_port: u16,
    user: String,
    password: String,
    ca: String,
    /// The stack's directory (its dovecot.conf, for doveadm).
    dir: std::path::PathBuf,
}

/// The stack's coordinates, or `None` when the run asked to skip it.
fn stack() -> Option<Stack> {
    if std::env::var("OUTLOUD_SKIP_MAILSTACK").as_deref() == Ok("1") {
        return None;
    }
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run the tests through scripts/test.sh (or eval \"$(scripts/mailstack.sh start)\" first); OUTLOUD_SKIP_MAILSTACK=1 skips them")
        })
    };
    let port = |name: &str| {
        var(name)
            .parse::<u16>()
            .unwrap_or_else(|_| panic!("{name} is not a port"))
    };
    Some(Stack {
        host: var("OUTLOUD_IMAP_HOST"),
        imap_port: port("OUTLOUD_IMAP_PORT"),
        imaps_port: port("OUTLOUD_IMAPS_PORT"),
        smtp_port: common::imap::mailstack_smtp_port().expect(
            "OUTLOUD_MAILSTACK_SMTP_PORT is not set: run the tests through scripts/test.sh",
        ),
        user: var("OUTLOUD_IMAP_USER"),
        password: var("OUTLOUD_IMAP_PASSWORD"),
        ca: var("OUTLOUD_MAILSTACK_CA"),
        dir: var("OUTLOUD_MAILSTACK_DIR").into(),
    })
}

macro_rules! stack_or_skip {
    () => {
        match stack() {
            Some(s) => s,
            None => return,
        }
    };
}

impl Stack {
    fn mailbox(&self, name: &str, tls: TlsMode, folder: &str) -> MailboxConfig {
        let port = if tls == TlsMode::Implicit {
            self.imaps_port
        } else {
            self.imap_port
        };
        let toml = format!(
            "name = {name:?}\nhost = {:?}\nport = {port}\nuser = {:?}\npassword_env = \"OUTLOUD_IMAP_PASSWORD\"\nca_file = {:?}\nfolders = [{folder:?}]\nbatch_size = 10\nidle_secs = 60\nidle_recheck_ms = 100\n",
            self.host, self.user, self.ca
        );
        let mut m: MailboxConfig = toml::from_str(&toml).unwrap();
        m.tls = tls;
        m
    }

    fn login(&self) -> Login {
        Secret(self.password.clone()).into()
    }

    /// A plain session for setting up folders and reading them back.
    async fn admin(&self) -> Session {
        connect(
            &self.mailbox("admin", TlsMode::None, "INBOX"),
            &self.login(),
        )
        .await
        .expect("admin login")
        .0
    }
}

fn unique(prefix: &str) -> String {
    common::imap::unique(&format!("{prefix}-"))
}

/// Create a fresh folder `t-<random>`.
async fn new_folder(s: &mut Session) -> String {
    let name = unique("t");
    s.create(&name).await.expect("create folder");
    name
}

/// Delete a test's folders (`t-…` and its `-quarantine` / `-done` companions). Only on
/// success: a failing test leaves them to look at.
async fn remove_folders(s: &mut Session, folder: &str) {
    let _ = s.select("INBOX").await;
    for f in [
        folder.to_string(),
        format!("{folder}-quarantine"),
        format!("{folder}-done"),
    ] {
        let _ = s.delete(&f).await;
    }
}

async fn append(s: &mut Session, folder: &str, bytes: &[u8]) {
    s.append(folder, None, None, bytes).await.expect("append");
}

fn mail(id: &str, subject: &str, to: &str) -> String {
    format!(
        "From: Anna <anna@corp.example>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Mon, 3 Mar 2025 10:00:00 +0000\r\n\r\nHello, {subject}.\r\n"
    )
}

/// Number of mails in `folder`.
async fn count(s: &mut Session, folder: &str) -> u32 {
    s.select(folder).await.expect("select").exists
}

/// A store with one group whose address is unique to the test.
async fn setup() -> (common::TestDb, Arc<Ingestor>, String) {
    setup_on(common::sqlite().await).await
}

async fn setup_on(db: common::TestDb) -> (common::TestDb, Arc<Ingestor>, String) {
    common::with_group(db, &unique("g")).await
}

fn watcher(
    stack: &Stack,
    cfg: MailboxConfig,
    ingestor: &Arc<Ingestor>,
    health: &Health,
) -> Watcher {
    let folder = cfg.folders[0].clone();
    let settings = WatcherSettings {
        instance: unique("test"),
        lease_secs: 20,
        clock: Clock::system(),
    };
    Watcher::new(
        cfg,
        folder,
        stack.login(),
        ingestor.clone(),
        health.clone(),
        settings,
    )
}

async fn messages(store: &Arc<dyn Store>) -> i64 {
    store
        .group_summaries()
        .await
        .unwrap()
        .iter()
        .map(|g| g.message_count)
        .sum()
}

#[tokio::test]
async fn connects_over_implicit_tls_starttls_and_plain() {
    let stack = stack_or_skip!();
    for tls in [TlsMode::Implicit, TlsMode::Starttls, TlsMode::None] {
        let (mut s, caps) = connect(&stack.mailbox("corp", tls, "INBOX"), &stack.login())
            .await
            .unwrap_or_else(|e| panic!("{tls:?}: {e}"));
        assert!(caps.idle, "{tls:?}: Dovecot offers IDLE");
        s.select("INBOX").await.unwrap();
        s.logout().await.unwrap();
    }
}

#[tokio::test]
async fn wrong_password_is_an_auth_error_naming_the_account() {
    let stack = stack_or_skip!();
    let cfg = stack.mailbox("corp-wrong", TlsMode::Starttls, "INBOX");
    let err = connect(&cfg, &Secret("not-the-password".into()).into())
        .await
        .expect_err("login must fail");
    assert!(matches!(err, ImapError::Auth { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("corp-wrong") && text.contains(&stack.user),
        "{text}"
    );
}

#[tokio::test]
async fn catch_up_publishes_each_mail_exactly_once_and_checkpoints() {
    let stack = stack_or_skip!();
    let (db, ingestor, address) = setup().await;
    let mut admin = stack.admin().await;
    let folder = new_folder(&mut admin).await;
    for i in 0..25 {
        append(
            &mut admin,
            &folder,
            mail(&format!("{folder}-{i}@x"), &format!("topic {i}"), &address).as_bytes(),
        )
        .await;
    }
    let health = Health::new();
    let mut w = watcher(
        &stack,
        stack.mailbox("corp", TlsMode::Implicit, &folder),
        &ingestor,
        &health,
    );
    let r = w.run_once().await.unwrap();
    assert_eq!(
        (r.role, r.fetched, r.published),
        (Role::Leader, 25, 25),
        "{r:?}"
    );
    assert_eq!(messages(&db.store).await, 25);
    let cp = db
        .store
        .checkpoint(&format!("corp/{folder}"))
        .await
        .unwrap()
        .expect("checkpoint stored");
    assert_eq!(cp.last_uid, 25);
    assert_eq!(Some(cp.uidvalidity), r.uidvalidity);
    let h = &health.snapshot()[&format!("corp/{folder}")];
    assert!(
        h.connected && h.last_sync.is_some() && h.backlog == 0 && h.processed == 25,
        "{h:?}"
    );

    let again = w.run_once().await.unwrap();
    assert_eq!((again.fetched, again.published), (0, 0), "{again:?}");
    assert_eq!(messages(&db.store).await, 25);
    assert_eq!(
        count(&mut admin, &folder).await,
        25,
        "after = keep leaves the mail"
    );
    remove_folders(&mut admin, &folder).await;
}

#[tokio::test]
async fn malformed_mail_goes_to_the_quarantine_folder_and_the_db() {
    let stack = stack_or_skip!();
    let (db, ingestor, address) = setup().await;
    let mut admin = stack.admin().await;
    let folder = new_folder(&mut admin).await;
    append(
        &mut admin,
        &folder,
        mail(&format!("{folder}-ok@x"), "fine", &address).as_bytes(),
    )
    .await;
    append(&mut admin, &folder, b"\x01\x02\x03 not a mail at all\r\n").await;
    let mut cfg = stack.mailbox("corp", TlsMode::None, &folder);
    cfg.quarantine_folder = format!("{folder}-quarantine");
    let mut w = watcher(&stack, cfg, &ingestor, &Health::new());
    let r = w.run_once().await.unwrap();
    assert_eq!((r.published, r.quarantined), (1, 1), "{r:?}");
    assert_eq!(count(&mut admin, &format!("{folder}-quarantine")).await, 1);
    assert_eq!(
        count(&mut admin, &folder).await,
        1,
        "the good mail stays (after = keep)"
    );
    let q = db.store.quarantined().await.unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].source, format!("imap:corp/{folder}/2"));
    remove_folders(&mut admin, &folder).await;
}

#[tokio::test]
async fn flag_after_action_sets_the_keyword() {
    let stack = stack_or_skip!();
    let (_db, ingestor, address) = setup().await;
    let mut admin = stack.admin().await;
    let folder = new_folder(&mut admin).await;
    for i in 0..3 {
        append(
            &mut admin,
            &folder,
            mail(&format!("{folder}-{i}@x"), "flagged", &address).as_bytes(),
        )
        .await;
    }
    let mut cfg = stack.mailbox("corp", TlsMode::Starttls, &folder);
    cfg.after = AfterAction::Flag;
    let mut w = watcher(&stack, cfg, &ingestor, &Health::new());
    assert_eq!(w.run_once().await.unwrap().published, 3);
    admin.select(&folder).await.unwrap();
    let fetches: Vec<_> = admin
        .uid_fetch("1:*", "(UID FLAGS)")
        .await
        .unwrap()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(fetches.len(), 3);
    for f in fetches {
        let f = f.unwrap();
        let flags: Vec<String> = f.flags().map(|fl| format!("{fl:?}")).collect();
        assert!(
            flags.iter().any(|fl| fl.contains("$OutloudPublished")),
            "uid {:?}: {flags:?}",
            f.uid
        );
    }
    remove_folders(&mut admin, &folder).await;
}

#[tokio::test]
async fn move_after_action_empties_the_folder() {
    let stack = stack_or_skip!();
    let (db, ingestor, address) = setup().await;
    let mut admin = stack.admin().await;
    let folder = new_folder(&mut admin).await;
    for i in 0..4 {
        append(
            &mut admin,
            &folder,
            mail(&format!("{folder}-{i}@x"), "moved", &address).as_bytes(),
        )
        .await;
    }
    let mut cfg = stack.mailbox("corp", TlsMode::Implicit, &folder);
    cfg.after = AfterAction::Move;
    cfg.move_to = Some(format!("{folder}-done"));
    let mut w = watcher(&stack, cfg, &ingestor, &Health::new());
    assert_eq!(w.run_once().await.unwrap().published, 4);
    assert_eq!(count(&mut admin, &folder).await, 0);
    assert_eq!(count(&mut admin, &format!("{folder}-done")).await, 4);
    assert_eq!(w.run_once().await.unwrap().fetched, 0);
    assert_eq!(messages(&db.store).await, 4);
    remove_folders(&mut admin, &folder).await;
}

/// A server without MOVE gets COPY + \Deleted + UID EXPUNGE; the target's name is quoted exactly
/// once on the way (a space and a double quote in it must survive).
#[tokio::test]
async fn copy_fallback_moves_into_a_folder_whose_name_needs_quoting() {
    let stack = stack_or_skip!();
    let mut admin = stack.admin().await;
    let folder = new_folder(&mut admin).await;
    let target = format!("{folder} done \"q\"");
    // Dovecot once answered this CREATE with ALREADYEXISTS although the folder was new (seen
    // once in CI, not understood yet); the move below is what is under test.
    if let Err(e) = admin.create(&target).await {
        assert!(
            format!("{e:?}").contains("ALREADYEXISTS"),
            "create target: {e:?}"
        );
    }
    for i in 0..3 {
        append(
            &mut admin,
            &folder,
            mail(&format!("{folder}-{i}@x"), "copied", "x@corp.example").as_bytes(),
        )
        .await;
    }
    admin.select(&folder).await.expect("select");
    let mut uids: Vec<u32> = admin
        .uid_search("ALL")
        .await
        .expect("search")
        .into_iter()
        .collect();
    uids.sort_unstable();
    let caps = Capabilities {
        idle: true,
        mv: false,
        uidplus: true,
        ..Default::default()
    };
    let account = Account::of(&stack.mailbox("admin", TlsMode::None, &folder));
    let expunged = move_uids(&mut admin, &account, caps, &uids, &target)
        .await
        .expect("move");
    assert!(expunged, "UIDPLUS: the originals are expunged");
    assert_eq!(count(&mut admin, &folder).await, 0);
    assert_eq!(count(&mut admin, &target).await, 3);
    remove_folders(&mut admin, &folder).await;
    let _ = admin.delete(&target).await;
}

#[tokio::test]
async fn uidvalidity_change_resyncs_without_double_posts() {
    let stack = stack_or_skip!();
    let (db, ingestor, address) = setup().await;
    let mut admin = stack.admin().await;
    let folder = new_folder(&mut admin).await;
    let mails: Vec<String> = (0..5)
        .map(|i| mail(&format!("{folder}-{i}@x"), &format!("uv {i}"), &address))
        .collect();
    for m in &mails {
        append(&mut admin, &folder, m.as_bytes()).await;
    }
    let mut w = watcher(
        &stack,
        stack.mailbox("corp", TlsMode::None, &folder),
        &ingestor,
        &Health::new(),
    );
    let first = w.run_once().await.unwrap();
    assert_eq!(first.published, 5);

    // Recreate the folder: a new UIDVALIDITY, the same mails under the same UIDs plus one.
    admin.select("INBOX").await.unwrap();
    admin.delete(&folder).await.unwrap();
    admin.create(&folder).await.unwrap();
    for m in &mails {
        append(&mut admin, &folder, m.as_bytes()).await;
    }
    append(
        &mut admin,
        &folder,
        mail(&format!("{folder}-new@x"), "uv new", &address).as_bytes(),
    )
    .await;
    let second = w.run_once().await.unwrap();
    assert!(second.resynced, "{second:?}");
    assert_ne!(second.uidvalidity, first.uidvalidity);
    assert_eq!(
        (second.fetched, second.published, second.duplicates),
        (6, 1, 5),
        "{second:?}"
    );
    assert_eq!(messages(&db.store).await, 6);
    let cp = db
        .store
        .checkpoint(&format!("corp/{folder}"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((Some(cp.uidvalidity), cp.last_uid), (second.uidvalidity, 6));
    remove_folders(&mut admin, &folder).await;
}

#[tokio::test]
async fn smtp_mail_reaches_a_running_watcher_through_idle() {
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let stack = stack_or_skip!();
    let (db, ingestor, address) = setup().await;
    let health = Health::new();
    let w = watcher(
        &stack,
        stack.mailbox("corp", TlsMode::Implicit, "INBOX"),
        &ingestor,
        &health,
    );
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(w.run(shutdown.clone()));
    // Wait until the watcher has caught up with INBOX and sits in IDLE.
    eventually("first sync of INBOX", || {
        let h = health.snapshot().get("corp/INBOX").cloned();
        async move { h.is_some_and(|h| h.last_sync.is_some() && h.role == Role::Leader) }
    })
    .await;

    let subject = unique("idle");
    let message = Message::builder()
        .from("Bob <bob@corp.example>".parse().unwrap())
        .to(address.parse().unwrap())
        .subject(&subject)
        .message_id(None)
        .body(String::from("Sent over SMTP while the watcher idles.\n"))
        .unwrap();
    let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(stack.host.as_str())
        .port(stack.smtp_port)
        .build();
    smtp.send(message).await.expect("SMTP send");

    let store = db.store.clone();
    eventually("the SMTP mail in the store", || {
        let store = store.clone();
        async move { messages(&store).await == 1 }
    })
    .await;
    let group = db.store.group_summaries().await.unwrap().remove(0);
    let threads = db.store.threads(group.group.id, 10, 0).await.unwrap();
    assert_eq!(threads[0].subject, subject);

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(60), task)
        .await
        .expect("run stops after shutdown")
        .unwrap();
    assert!(!health.snapshot()["corp/INBOX"].connected);
}

#[tokio::test]
async fn shutdown_stops_run_and_releases_the_lease() {
    let stack = stack_or_skip!();
    let (db, ingestor, _address) = setup().await;
    let mut admin = stack.admin().await;
    let folder = new_folder(&mut admin).await;
    let health = Health::new();
    let w = watcher(
        &stack,
        stack.mailbox("corp", TlsMode::Starttls, &folder),
        &ingestor,
        &health,
    );
    let lease = w.lease_name().to_string();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(w.run(shutdown.clone()));
    eventually("first sync", || {
        let h = health.snapshot().get(&lease).cloned();
        async move { h.is_some_and(|h| h.last_sync.is_some()) }
    })
    .await;
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(60), task)
        .await
        .expect("run stops after shutdown")
        .unwrap();
    // Released: another instance takes the lease at once.
    assert!(db
        .store
        .acquire_lease(&lease, "someone-else", 20)
        .await
        .unwrap());
    remove_folders(&mut admin, &folder).await;
}

/// Replicas share a database (PostgreSQL in production): only the lease holder publishes.
async fn standby_story(db: common::TestDb) {
    let stack = stack_or_skip!();
    let (db, ingestor, address) = setup_on(db).await;
    let mut admin = stack.admin().await;
    let folder = new_folder(&mut admin).await;
    append(
        &mut admin,
        &folder,
        mail(&format!("{folder}-1@x"), "lease", &address).as_bytes(),
    )
    .await;
    let health = Health::new();
    let cfg = stack.mailbox("corp", TlsMode::None, &folder);
    let mut leader = watcher(&stack, cfg.clone(), &ingestor, &health);
    let mut standby = watcher(&stack, cfg, &ingestor, &Health::new());
    assert_eq!(leader.run_once().await.unwrap().published, 1);
    append(
        &mut admin,
        &folder,
        mail(&format!("{folder}-2@x"), "lease", &address).as_bytes(),
    )
    .await;
    let r = standby.run_once().await.unwrap();
    assert_eq!((r.role, r.fetched), (Role::Standby, 0), "{r:?}");
    assert_eq!(
        messages(&db.store).await,
        1,
        "the standby publishes nothing"
    );

    // The leader goes away cleanly: the standby takes over at once and resumes at the checkpoint.
    let stop = CancellationToken::new();
    stop.cancel();
    leader.run(stop).await;
    let r = standby.run_once().await.unwrap();
    assert_eq!(
        (r.role, r.fetched, r.published),
        (Role::Leader, 1, 1),
        "{r:?}"
    );
    assert_eq!(messages(&db.store).await, 2);
    remove_folders(&mut admin, &folder).await;
    db.cleanup().await;
}

#[tokio::test]
async fn a_second_instance_stands_by_until_the_lease_is_released_sqlite() {
    standby_story(common::sqlite().await).await;
}

#[tokio::test]
async fn a_second_instance_stands_by_until_the_lease_is_released_postgres() {
    if stack().is_some() {
        standby_story(common::postgres().await).await;
    }
}

#[tokio::test]
async fn groups_added_while_running_are_used_on_the_next_sync() {
    let stack = stack_or_skip!();
    let (db, ingestor, _address) = setup().await;
    let mut admin = stack.admin().await;
    let folder = new_folder(&mut admin).await;
    let mut w = watcher(
        &stack,
        stack.mailbox("corp", TlsMode::None, &folder),
        &ingestor,
        &Health::new(),
    );
    assert_eq!(w.run_once().await.unwrap().fetched, 0);
    let late = format!("{}@corp.example", unique("late"));
    db.store
        .upsert_group(&common::slug("late"), "Late", &common::addresses(&[&late]))
        .await
        .unwrap();
    append(
        &mut admin,
        &folder,
        mail(&format!("{folder}-late@x"), "late group", &late).as_bytes(),
    )
    .await;
    let r = w.run_once().await.unwrap();
    assert_eq!((r.published, r.skipped), (1, 0), "{r:?}");
    remove_folders(&mut admin, &folder).await;
}

/// Needs no mail stack: the daemon refuses to start without a mailbox's password.
#[test]
fn run_without_the_password_names_the_mailbox_and_variable() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("outloud.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = \"sqlite:{}\"\n[web]\nbind = \"127.0.0.1:0\"\n[[mailboxes]]\nname = \"corp\"\nhost = \"127.0.0.1\"\nuser = \"outloud\"\npassword_env = \"OUTLOUD_TEST_NO_SUCH_PASSWORD\"\n",
            dir.path().join("o.db").display()
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_outloud"))
        .args(["--config", config.to_str().unwrap(), "run"])
        .env_remove("OUTLOUD_TEST_NO_SUCH_PASSWORD")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("mailbox corp") && err.contains("OUTLOUD_TEST_NO_SUCH_PASSWORD"),
        "{err}"
    );
}

#[tokio::test]
async fn an_interrupted_move_is_finished_on_the_next_connection() {
    let stack = stack_or_skip!();
    let (db, ingestor, address) = setup().await;
    let mut admin = stack.admin().await;
    let folder = new_folder(&mut admin).await;
    for i in 0..3 {
        append(
            &mut admin,
            &folder,
            mail(&format!("{folder}-{i}@x"), "left", &address).as_bytes(),
        )
        .await;
    }
    // Published and checkpointed, but still in the folder: as if the connection had dropped
    // between the commit and the MOVE.
    let mut keep = watcher(
        &stack,
        stack.mailbox("corp", TlsMode::None, &folder),
        &ingestor,
        &Health::new(),
    );
    assert_eq!(keep.run_once().await.unwrap().published, 3);
    let stopped = CancellationToken::new();
    stopped.cancel();
    keep.run(stopped).await; // releases the lease
    let mut cfg = stack.mailbox("corp", TlsMode::None, &folder);
    cfg.after = AfterAction::Move;
    cfg.move_to = Some(format!("{folder}-done"));
    let mut w = watcher(&stack, cfg, &ingestor, &Health::new());
    let r = w.run_once().await.unwrap();
    assert_eq!(
        (r.role, r.fetched),
        (Role::Leader, 0),
        "nothing is read twice: {r:?}"
    );
    assert_eq!(count(&mut admin, &folder).await, 0);
    assert_eq!(count(&mut admin, &format!("{folder}-done")).await, 3);
    assert_eq!(messages(&db.store).await, 3);
    remove_folders(&mut admin, &folder).await;
}

#[tokio::test]
async fn polling_finds_new_mail_without_idle() {
    let stack = stack_or_skip!();
    let (db, ingestor, address) = setup().await;
    let mut admin = stack.admin().await;
    let folder = new_folder(&mut admin).await;
    let mut cfg = stack.mailbox("corp", TlsMode::Starttls, &folder);
    cfg.poll_secs = 1;
    let health = Health::new();
    let w = watcher(&stack, cfg, &ingestor, &health).poll_only();
    let lease = w.lease_name().to_string();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(w.run(shutdown.clone()));
    eventually("first sync", || {
        let h = health.snapshot().get(&lease).cloned();
        async move { h.is_some_and(|h| h.last_sync.is_some()) }
    })
    .await;
    append(
        &mut admin,
        &folder,
        mail(&format!("{folder}-polled@x"), "polled", &address).as_bytes(),
    )
    .await;
    let store = db.store.clone();
    eventually("the appended mail in the store", || {
        let store = store.clone();
        async move { messages(&store).await == 1 }
    })
    .await;
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(60), task)
        .await
        .expect("run stops after shutdown")
        .unwrap();
    remove_folders(&mut admin, &folder).await;
}

/// How a connection in IDLE ends.
enum End {
    /// Dovecot ends it (`doveadm kick`: `* BYE Server shutting down.`, then it closes).
    Kicked,
    /// It is cut without a word (a NAT or firewall forgetting it, a server that just closes).
    Cut,
}

/// A leader waits for mail through a relay — in IDLE alone, as on Gmail and Exchange Online,
/// or (`poll`) polling every second on a connection that sits quiet between passes. Once the
/// injected clock says its connection is `age` seconds old, it is ended (`how`). The watcher
/// logs in again and publishes a mail that arrives after. Returns the reconnections after a
/// failure that /metrics counted.
async fn server_ends_connection(stack: &Stack, age: i64, how: End, poll: bool) -> u64 {
    use std::sync::atomic::{AtomicI64, Ordering};
    let (db, ingestor, address) = setup().await;
    let mut admin = stack.admin().await;
    let folder = new_folder(&mut admin).await;
    let relay = common::relay::Relay::start(&stack.host, stack.imap_port).await;
    let name = unique("ended");
    let mut cfg = stack.mailbox(&name, TlsMode::None, &folder);
    (cfg.port, cfg.idle_recheck_ms, cfg.poll_secs) = (Some(relay.port), Some(0), 1);
    let now = Arc::new(AtomicI64::new(Clock::system().now()));
    let clock = Clock::from_fn({
        let now = now.clone();
        move || now.load(Ordering::SeqCst)
    });
    let settings = WatcherSettings {
        instance: unique("test"),
        lease_secs: 20,
        clock,
    };
    let health = Health::new();
    let w = Watcher::new(
        cfg,
        &folder,
        stack.login(),
        ingestor,
        health.clone(),
        settings,
    );
    let w = if poll { w.poll_only() } else { w };
    let lease = w.lease_name().to_string();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(w.run(shutdown.clone()));
    // Waiting: in IDLE, or (polling) past the first pass.
    let waiting = |n: usize| {
        let synced = health
            .snapshot()
            .get(&lease)
            .is_some_and(|h| h.last_sync.is_some());
        let ok = relay.accepted() == n && synced && (poll || relay.idling());
        async move { ok }
    };
    eventually("the watcher waiting for mail", || waiting(1)).await;
    now.fetch_add(age, Ordering::SeqCst);
    match how {
        End::Kicked => relay.kick_in_dovecot(&stack.dir, &stack.user),
        End::Cut => relay.cut().await,
    }
    eventually("waiting again on a new connection", || waiting(2)).await;
    let id = format!("{folder}-after-the-end@x");
    append(&mut admin, &folder, mail(&id, "after", &address).as_bytes()).await;
    let store = db.store.clone();
    eventually("the mail published on the new connection", || {
        let store = store.clone();
        async move { messages(&store).await == 1 }
    })
    .await;
    assert_eq!(relay.accepted(), 2, "one reconnection, no more");
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(60), task)
        .await
        .expect("run stops after shutdown")
        .unwrap();
    remove_folders(&mut admin, &folder).await;
    let metrics = health.metrics().render();
    let series = format!("outloud_imap_reconnects_total{{mailbox=\"{name}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&series))
        .map_or(0, |n| n.parse().unwrap())
}

/// Gmail and Exchange Online end connections that idled a long while, with a `* BYE` or
/// without: that is housekeeping, so the watcher reconnects at once and counts no failure.
#[tokio::test]
async fn a_server_ending_a_long_idle_connection_is_reconnected_without_a_failure() {
    let stack = stack_or_skip!();
    assert_eq!(
        server_ends_connection(&stack, 600, End::Kicked, false).await,
        0
    );
    assert_eq!(
        server_ends_connection(&stack, 600, End::Cut, false).await,
        0
    );
}

/// The same between two polls (or a standby's NOOPs): the next pass finds the connection
/// closed and is made again at once on a new one, counting no failure.
#[tokio::test]
async fn a_server_ending_a_quiet_connection_between_polls_is_reconnected_without_a_failure() {
    let stack = stack_or_skip!();
    assert_eq!(
        server_ends_connection(&stack, 600, End::Kicked, true).await,
        0
    );
    assert_eq!(server_ends_connection(&stack, 600, End::Cut, true).await, 0);
    // Ended soon after the login, it is a failure, as in IDLE.
    assert_eq!(
        server_ends_connection(&stack, 0, End::Kicked, true).await,
        1
    );
}

/// A connection ended soon after the login (a server or firewall that keeps hanging up) is a
/// fault: counted, retried with back-off, and then mail flows again.
#[tokio::test]
async fn a_server_hanging_up_soon_after_login_is_a_failure_that_recovers() {
    let stack = stack_or_skip!();
    assert_eq!(
        server_ends_connection(&stack, 0, End::Kicked, false).await,
        1
    );
    assert_eq!(server_ends_connection(&stack, 0, End::Cut, false).await, 1);
}

/// Needs no mail stack: a server that accepts and never greets must not hold up a shutdown.
#[tokio::test]
async fn shutdown_does_not_wait_for_a_silent_server() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (accepted_tx, accepted) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let _ = accepted_tx.send(());
        tokio::time::sleep(Duration::from_secs(3600)).await;
        drop(socket);
    });
    let cfg: MailboxConfig = toml::from_str(&format!(
        "name = \"silent\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nuser = \"u\"\npassword_env = \"X\"\n"
    ))
    .unwrap();
    let db = common::sqlite().await;
    let settings = outloud::daemon::ingest_settings(&outloud::config::Config::default());
    let ingestor = Arc::new(Ingestor::new(db.store.clone(), settings).await.unwrap());
    let health = Health::new();
    let w = Watcher::new(
        cfg,
        "INBOX",
        Secret("p".into()),
        ingestor,
        health.clone(),
        WatcherSettings {
            instance: "i".into(),
            lease_secs: 20,
            clock: Clock::system(),
        },
    );
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(w.run(shutdown.clone()));
    accepted.await.unwrap();
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(120), task)
        .await
        .expect("run stops")
        .unwrap();
    // Had it waited for the greeting timeout, the timeout would be the last error.
    assert_eq!(health.snapshot()["silent/INBOX"].last_error, None);
    server.abort();
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_tls_error() {
    let stack = stack_or_skip!();
    let mut cfg = stack.mailbox("corp", TlsMode::Implicit, "INBOX");
    cfg.ca_file = None; // the stack's certificate is self-signed: only its own PEM trusts it
    let err = connect(&cfg, &stack.login())
        .await
        .expect_err("must not trust a self-signed certificate");
    assert!(matches!(err, ImapError::Tls { .. }), "{err:?}");
    assert!(err.to_string().contains("mailbox corp"), "{err}");
}

/// The daemon in-process, as an embedder starts it (`Daemon::build` on port 0, stopped through
/// its shutdown future): it publishes, dates mail and reports its last sync by the injected
/// clock, drains, and releases the lease on the way out.
#[tokio::test]
async fn the_daemon_in_process_publishes_by_its_clock_and_drains() {
    use outloud::daemon::Daemon;
    const AT: i64 = 1_750_000_000;
    let stack = stack_or_skip!();
    let (db, _ingestor, address) = setup().await;
    let mut admin = stack.admin().await;
    let folder = new_folder(&mut admin).await;
    for i in 0..2 {
        append(
            &mut admin,
            &folder,
            mail(&format!("{folder}-{i}@x"), "in process", &address).as_bytes(),
        )
        .await;
    }
    let undated = format!(
        "From: Anna <anna@corp.example>\r\nTo: {address}\r\nSubject: no date\r\nMessage-ID: <{folder}-undated@x>\r\n\r\nWhen?\r\n"
    );
    append(&mut admin, &folder, undated.as_bytes()).await;
    let mut cfg = outloud::config::Config::default();
    cfg.database.url = db.url.clone();
    cfg.web.bind = "127.0.0.1:0".into();
    cfg.web.health_detail = true;
    cfg.daemon.instance = Some(unique("in-process"));
    cfg.mailboxes = vec![stack.mailbox("corp", TlsMode::None, &folder)];
    let daemon = Daemon::build(&cfg, Clock::fixed(AT)).await.unwrap();
    let port = daemon.port();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(daemon.run_until_stopped(shutdown.clone().cancelled_owned()));

    let key = format!("corp/{folder}");
    eventually(
        "three mails handled and a sync reported in /healthz",
        || {
            let key = key.clone();
            async move {
                let Some((_, body)) = common::http_get(port, "/healthz").await else {
                    return false;
                };
                let h: serde_json::Value = serde_json::from_str(&body).unwrap();
                let m = &h["mailboxes"][&key];
                m["processed"] == 3 && m["last_sync"] == AT && m["role"] == "leader"
            }
        },
    )
    .await;
    let rows = db
        .store
        .messages_after(Default::default(), 100)
        .await
        .unwrap();
    let undated = rows
        .iter()
        .find(|m| m.message_id == format!("{folder}-undated@x"))
        .expect("the undated mail is published");
    assert_eq!(
        undated.date, AT,
        "a mail without Date: is dated by the clock"
    );
    let (_, metrics) = common::http_get(port, "/metrics").await.unwrap();
    let labels = format!(r#"{{mailbox="corp",folder="{folder}"}}"#);
    for series in [
        "outloud_mails_fetched_total",
        "outloud_mails_published_total",
    ] {
        assert!(
            metrics.contains(&format!("{series}{labels} 3")),
            "{series}: {metrics}"
        );
    }

    shutdown.cancel();
    let exit = tokio::time::timeout(Duration::from_secs(60), task)
        .await
        .expect("the daemon stops after shutdown")
        .unwrap();
    assert!(exit.is_ok(), "{exit:?}");
    assert!(common::http_get(port, "/healthz").await.is_none());
    // Released on the way out: another instance takes the folder at once.
    let taken = db.store.acquire_lease(&key, "someone-else", 20).await;
    assert!(taken.unwrap(), "the lease was not released");
    remove_folders(&mut admin, &folder).await;
}
