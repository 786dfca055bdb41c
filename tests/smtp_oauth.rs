//! Sending with an OAuth2 token against the real mail stack: Postfix submission (STARTTLS)
//! hands SASL XOAUTH2 / OAUTHBEARER to Dovecot's auth (`auth-postfix`), whose oauth2 passdb
//! introspects each token at the stack's token server (scripts/oauth-server.py). Mail goes to
//! `outloud+FOLDER@corp.example` and is read back over IMAP. The sender's rounds run on an
//! injected clock; `outloud mail test` and `check-config` run the real binary.
//!
//! Needs the stack's variables (scripts/test.sh, or `eval "$(scripts/mailstack.sh start)"`);
//! without them the tests fail, unless OUTLOUD_SKIP_MAILSTACK=1.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::imap::{unique, Stack};
use common::oauth::TokenServer;
use outloud::clock::Clock;
use outloud::config::{OAuth2Config, TlsMode};
use outloud::core::compose::{Draft, Outgoing};
use outloud::oauth::{Mechanism, TokenSource};
use outloud::outbox::{queue_draft, OutboxSender, SendError, SenderSettings};
use outloud::smtp::{Credentials, OAuthCredentials, SmtpError, SmtpSettings};
use outloud::store::outbox::{DeliveryFilter, DeliveryState};
use outloud::store::Store;
use serde_json::json;
use tokio_util::sync::CancellationToken;

macro_rules! stack_or_skip {
    () => {
        match (Stack::from_env(), TokenServer::from_env()) {
            (Some(s), Some(t)) => (s, t),
            _ if std::env::var("OUTLOUD_SKIP_MAILSTACK").as_deref() == Ok("1") => {
                eprintln!("skipped: OUTLOUD_SKIP_MAILSTACK=1");
                return;
            }
            _ => panic!(
                "the mail stack (with its token server) is not running: run scripts/test.sh, or eval \"$(scripts/mailstack.sh start)\" first (OUTLOUD_SKIP_MAILSTACK=1 skips these tests)"
            ),
        }
    };
}

fn note(to: &str, subject: &str) -> Outgoing {
    let draft = Draft {
        to: vec![to.to_string()],
        subject: subject.into(),
        text: format!("{subject}: sent with an OAuth2 token by outloud's tests.\n"),
        in_reply_to: None,
        references: vec![],
        auto_submitted: true,
        on_behalf_of: None,
        reply_to: None,
    };
    queue_draft(
        &common::outbox_sender(),
        &draft,
        "test",
        Clock::system().now(),
    )
    .unwrap()
}

/// `[smtp.oauth2]` lines parsed as the config would.
fn oauth2(lines: &str) -> OAuth2Config {
    use outloud::config::keys::Section;
    OAuth2Config::from_table(&toml::from_str(lines).unwrap()).unwrap()
}

/// A generic client_credentials client for the stack's user; `token_bytes` sizes its tokens.
async fn generic_client(
    tokens: &TokenServer,
    dir: &Path,
    token_bytes: usize,
) -> (String, OAuth2Config) {
    let id = unique("smtp-client-");
    let spec = json!({"client_id": id, "secret": "s3cret", "user": "outloud",
                      "lifetime": 3600, "token_bytes": token_bytes});
    tokens.add_client(spec).await;
    let secret = dir.join(format!("{id}.secret"));
    std::fs::write(&secret, "s3cret\n").unwrap();
    let lines = format!(
        "provider = \"generic\"\ntoken_url = \"{}/token\"\nclient_id = {id:?}\nclient_secret_file = {:?}\n",
        tokens.url,
        secret.display()
    );
    (id, oauth2(&lines))
}

/// The submission port (STARTTLS) logging in with `mechanism` and tokens from `source`.
fn smtp(stack: &Stack, mechanism: Mechanism, source: Arc<TokenSource>) -> SmtpSettings {
    SmtpSettings {
        host: stack.host.clone(),
        port: stack.submission_port,
        tls: TlsMode::Starttls,
        ca_pem: Some(std::fs::read(&stack.ca).expect("the stack's CA")),
        credentials: Credentials::OAuth2(OAuthCredentials {
            user: stack.user.clone(),
            mechanism,
            source,
            clock: Clock::system(),
        }),
        helo: lettre::transport::smtp::extension::ClientId::Domain("outloud.test".into()),
        timeout: Duration::from_secs(30),
    }
}

fn sender_on(store: Arc<dyn Store>, smtp: SmtpSettings) -> OutboxSender {
    OutboxSender::new(
        store,
        SenderSettings {
            instance: unique("sender"),
            sender: common::outbox_sender(),
            smtp,
            rate_per_minute: 0,
            retry_secs: 48 * 3600,
            poll: Duration::from_secs(1),
            clock: Clock::system(),
        },
    )
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

/// Queue one mail to `folder` and send it in one round; its Message-ID.
async fn send_one(s: &mut OutboxSender, store: &dyn Store, folder: &str, what: &str) -> String {
    let mail = note(&format!("outloud+{folder}@corp.example"), what);
    let id = mail.message_id.clone();
    store.enqueue(&[mail]).await.unwrap();
    let r = s
        .run_once(&CancellationToken::new())
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(r.sent, 1, "{what}: {r:?}");
    id
}

#[tokio::test]
async fn xoauth2_and_oauthbearer_send_through_submission() {
    let (stack, tokens) = stack_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let (id, cfg) = generic_client(&tokens, dir.path(), 32).await;
    let source = Arc::new(TokenSource::new(&cfg, &stack.user));
    let folder = unique("smtpoa");
    stack.create_folder(&folder).await;
    let db = common::sqlite().await;
    let mut sent = Vec::new();
    for mechanism in [Mechanism::Xoauth2, Mechanism::Oauthbearer] {
        let mut s = sender_on(db.store.clone(), smtp(&stack, mechanism, source.clone()));
        sent.push(send_one(&mut s, db.store.as_ref(), &folder, mechanism.name()).await);
    }
    let mut arrived = wait_for_mail(&stack, &folder, 2).await;
    arrived.sort();
    sent.sort();
    assert_eq!(arrived, sent);
    assert_eq!(
        tokens.stats(&id).await,
        (1, 2),
        "one token from the cache for both connections, each login introspected by Dovecot"
    );
    stack.delete_folder(&folder).await;
}

#[tokio::test]
async fn an_entra_sized_token_follows_the_empty_challenge() {
    // ~2,000-character tokens make `AUTH XOAUTH2 <response>` longer than SMTP's 512-octet
    // command line: the response goes after Postfix's empty 334 (RFC 4954 section 4).
    let (stack, tokens) = stack_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let (id, cfg) = generic_client(&tokens, dir.path(), 1500).await;
    let source = Arc::new(TokenSource::new(&cfg, &stack.user));
    let token = source.token(Clock::system().now()).await.unwrap();
    assert!(token.secret.0.len() > 1500);
    let folder = unique("smtpbig");
    stack.create_folder(&folder).await;
    let db = common::sqlite().await;
    let mut s = sender_on(db.store.clone(), smtp(&stack, Mechanism::Xoauth2, source));
    let sent = send_one(&mut s, db.store.as_ref(), &folder, "a long token").await;
    assert_eq!(wait_for_mail(&stack, &folder, 1).await, vec![sent]);
    assert_eq!(tokens.stats(&id).await, (1, 1));
    stack.delete_folder(&folder).await;
}

#[tokio::test]
async fn a_revoked_cached_token_is_replaced_once_and_a_refused_new_one_sends_nothing() {
    let (stack, tokens) = stack_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let (id, cfg) = generic_client(&tokens, dir.path(), 32).await;
    let source = Arc::new(TokenSource::new(&cfg, &stack.user));
    let folder = unique("smtprev");
    stack.create_folder(&folder).await;
    let db = common::sqlite().await;
    let mut s = sender_on(
        db.store.clone(),
        smtp(&stack, Mechanism::Xoauth2, source.clone()),
    );
    let first = send_one(&mut s, db.store.as_ref(), &folder, "before revocation").await;

    // The provider revokes the cached token mid-run: the next login is refused, a new token
    // is fetched and the same connection logs in with it.
    tokens.revoke_client(&id).await;
    let second = send_one(&mut s, db.store.as_ref(), &folder, "after revocation").await;
    assert_eq!(tokens.stats(&id).await.0, 2, "one new token");
    let mut arrived = wait_for_mail(&stack, &folder, 2).await;
    arrived.sort();
    let mut sent = vec![first, second];
    sent.sort();
    assert_eq!(arrived, sent);

    // A token command that keeps printing a revoked token: refused, a new one (the same) is
    // refused too, and the error says which server refused which mechanism for whom.
    let revoked = tokens.mint(&stack.user, 3600).await;
    tokens.revoke_token(&revoked).await;
    let cmd = oauth2(&format!(
        "provider = \"command\"\ncommand = [\"echo\", {revoked:?}]\n"
    ));
    let db = common::sqlite().await;
    let cmd_source = Arc::new(TokenSource::new(&cmd, &stack.user));
    let mut s = sender_on(
        db.store.clone(),
        smtp(&stack, Mechanism::Xoauth2, cmd_source),
    );
    db.store
        .enqueue(&[note(&format!("outloud+{folder}@corp.example"), "never")])
        .await
        .unwrap();
    let err = s.run_once(&CancellationToken::new()).await.unwrap_err();
    let SendError::Smtp(e) = &err else {
        panic!("{err}")
    };
    assert!(
        matches!(e, SmtpError::TokenRefused { .. }) && e.is_auth(),
        "{e:?}"
    );
    let text = e.to_string();
    eprintln!("the refused token's error: {text}");
    assert!(
        text.contains(&format!("refused the XOAUTH2 token for {}", stack.user))
            && text.contains("535"),
        "{text}"
    );
    assert!(
        !text.contains(&revoked),
        "the token is never in the error: {text}"
    );
    let rows = db
        .store
        .deliveries(&DeliveryFilter::default())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].state.0, DeliveryState::Queued, "{rows:?}");
    assert_eq!(rows[0].attempts, 0, "no transaction was started");
    stack.wait_postfix_queue_empty();
    assert_eq!(
        stack.message_ids(&folder).await.len(),
        2,
        "nothing else arrived"
    );
    stack.delete_folder(&folder).await;
}

#[tokio::test]
async fn a_connection_is_replaced_before_its_token_is_due() {
    let (stack, tokens) = stack_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let (id, cfg) = generic_client(&tokens, dir.path(), 32).await;
    let folder = unique("smtpdue");
    stack.create_folder(&folder).await;
    let db = common::sqlite().await;
    let mails: Vec<Outgoing> = (0..6)
        .map(|n| {
            note(
                &format!("outloud+{folder}@corp.example"),
                &format!("due {n}"),
            )
        })
        .collect();
    db.store.enqueue(&mails).await.unwrap();
    // Ten minutes pass each time the sender or the token source reads the clock (from when
    // the mails were queued): a one-hour token (renewed 5 minutes early) is due after a few
    // transactions of one round.
    let t = Arc::new(std::sync::atomic::AtomicI64::new(Clock::system().now() + 1));
    let clock = Clock::from_fn({
        let t = t.clone();
        move || t.fetch_add(600, std::sync::atomic::Ordering::SeqCst)
    });
    let source = Arc::new(TokenSource::new(&cfg, &stack.user));
    let mut settings = smtp(&stack, Mechanism::Xoauth2, source);
    if let Credentials::OAuth2(o) = &mut settings.credentials {
        o.clock = clock.clone();
    }
    let mut s = OutboxSender::new(
        db.store.clone(),
        SenderSettings {
            instance: unique("sender"),
            sender: common::outbox_sender(),
            smtp: settings,
            rate_per_minute: 0,
            retry_secs: 48 * 3600,
            poll: Duration::from_secs(1),
            clock,
        },
    );
    let r = s.run_once(&CancellationToken::new()).await.unwrap();
    assert_eq!(r.sent, 6, "{r:?}");
    let (issued, logins) = tokens.stats(&id).await;
    assert!(
        issued >= 2 && logins == issued,
        "a new token and a new login for each connection replaced: {issued} tokens, {logins} logins"
    );
    assert_eq!(wait_for_mail(&stack, &folder, 6).await.len(), 6);
    stack.wait_postfix_queue_empty();
    assert_eq!(stack.message_ids(&folder).await.len(), 6, "each mail once");
    stack.delete_folder(&folder).await;
}

#[tokio::test]
async fn a_server_without_the_mechanism_is_told_apart_from_a_refused_token() {
    // The stack's plain relay port offers no AUTH at all.
    let (stack, tokens) = stack_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let (id, cfg) = generic_client(&tokens, dir.path(), 32).await;
    let source = Arc::new(TokenSource::new(&cfg, &stack.user));
    let relay = SmtpSettings {
        port: stack.smtp_port,
        tls: TlsMode::None,
        ..smtp(&stack, Mechanism::Oauthbearer, source)
    };
    let db = common::sqlite().await;
    db.store
        .enqueue(&[note("outloud@corp.example", "never")])
        .await
        .unwrap();
    let err = sender_on(db.store.clone(), relay)
        .run_once(&CancellationToken::new())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("AUTH") && text.contains("does not offer AUTH OAUTHBEARER"),
        "{text}"
    );
    let SendError::Smtp(e) = err else { panic!() };
    assert!(
        !e.is_auth(),
        "not a credentials problem: retried with the usual back-off"
    );
    assert_eq!(tokens.stats(&id).await.0, 0, "no token was fetched");
    let rows = db
        .store
        .deliveries(&DeliveryFilter::default())
        .await
        .unwrap();
    assert_eq!(
        (rows[0].state.0, rows[0].attempts),
        (DeliveryState::Queued, 0)
    );
}

// --- the real binary ----------------------------------------------------------------------

/// A config with `[smtp]` on the submission port logging in with XOAUTH2 from a generic
/// client whose secret is in OUTLOUD_SMTP_OAUTH_TEST_SECRET.
fn write_config(dir: &Path, stack: &Stack, tokens: &TokenServer, client: &str) -> String {
    let db = dir.join("outloud.db");
    let text = format!(
        r#"[database]
url = "sqlite:{db}"

[identity]
addresses = ["outloud@corp.example"]
loop_marker = "outloud-tests"

[smtp]
host = "{host}"
port = {port}
tls = "starttls"
ca_file = "{ca}"
auth = "xoauth2"
user = "{user}"
from = "outloud@corp.example"

[smtp.oauth2]
provider = "generic"
token_url = "{url}/token"
client_id = "{client}"
client_secret_env = "SMTP_OAUTH_TEST_SECRET"
"#,
        db = db.display(),
        host = stack.host,
        port = stack.submission_port,
        ca = stack.ca.display(),
        user = stack.user,
        url = tokens.url,
    );
    let path = dir.join("outloud.toml");
    std::fs::write(&path, text).unwrap();
    format!("sqlite:{}", db.display())
}

fn outloud(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_outloud"));
    cmd.arg("--config").arg(dir.join("outloud.toml"));
    for (k, _) in std::env::vars() {
        if k.starts_with("OUTLOUD_SMTP_") || k == "OUTLOUD_CONFIG" || k == "OUTLOUD_DATABASE_URL" {
            cmd.env_remove(k);
        }
    }
    cmd.env("SMTP_OAUTH_TEST_SECRET", "s3cret")
        .env_remove("RUST_LOG");
    cmd
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

#[tokio::test]
async fn mail_test_reports_the_token_step_and_check_config_the_source() {
    let (stack, tokens) = stack_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let client = unique("smtp-cli-");
    tokens
        .add_client(json!({"client_id": client, "secret": "s3cret", "user": "outloud"}))
        .await;
    let db_url = write_config(dir.path(), &stack, &tokens, &client);
    let (ok, stdout, stderr) = run(outloud(dir.path()).arg("check-config"));
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("XOAUTH2 as outloud with a token from client_credentials at"),
        "{stdout}"
    );
    let (ok, _, stderr) = run(outloud(dir.path())
        .arg("check-config")
        .env_remove("SMTP_OAUTH_TEST_SECRET"));
    assert!(!ok);
    assert!(
        stderr.contains("smtp.oauth2.client_secret_env")
            && stderr.contains("SMTP_OAUTH_TEST_SECRET is not set"),
        "{stderr}"
    );

    let folder = unique("smtpcli");
    stack.create_folder(&folder).await;
    let to = format!("outloud+{folder}@corp.example");
    let (ok, stdout, stderr) = run(outloud(dir.path()).args(["mail", "test", "--to", &to]));
    assert!(ok, "{stdout}\n{stderr}");
    for step in ["connect", "TLS", "token", "AUTH", "MAIL FROM", "message"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("ok   {step}"))),
            "no ok line for {step}:\n{stdout}"
        );
    }
    assert!(
        stdout.contains("new token for outloud from client_credentials at")
            && stdout.contains("logged in as outloud with XOAUTH2"),
        "{stdout}"
    );
    wait_for_mail(&stack, &folder, 1).await;

    // The client is disabled at the provider: the token step fails, named, nothing is sent.
    tokens.disable(&client).await;
    let (ok, stdout, stderr) = run(outloud(dir.path()).args(["mail", "test", "--to", &to]));
    assert!(!ok);
    assert!(stdout.contains("FAIL token"), "{stdout}");
    assert!(
        stderr.contains("no OAuth2 token to log in to")
            && stderr.contains("refused the request (HTTP 401, invalid_client)"),
        "{stderr}"
    );
    assert!(!stdout.contains("s3cret") && !stderr.contains("s3cret"));
    let store = outloud::store::open(&db_url).await.unwrap();
    let rows = store.deliveries(&DeliveryFilter::default()).await.unwrap();
    let states: Vec<DeliveryState> = rows.iter().map(|r| r.state.0).collect();
    assert_eq!(
        states,
        [DeliveryState::Cancelled, DeliveryState::Sent],
        "{rows:?}"
    );
    stack.delete_folder(&folder).await;
}
