//! OAuth2 logins against the real mail stack: Dovecot's oauth2 passdb introspects every token
//! at the stack's token server (scripts/oauth-server.py), which also plays each provider's
//! token endpoint — Entra (client secret and certificate), a Google service account, a generic
//! client credentials / refresh token endpoint — and mints or revokes tokens for the tests.
//! Each test registers OAuth2 clients of its own, so they run in parallel.
//!
//! Needs the stack's variables (scripts/test.sh, or `eval "$(scripts/mailstack.sh start)"`);
//! without them the tests fail, unless OUTLOUD_SKIP_MAILSTACK=1.

mod common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::eventually;
use common::imap::{unique, Stack};
use common::oauth::TokenServer;
use outloud::clock::Clock;
use outloud::config::MailboxConfig;
use outloud::health::{Health, Role};
use outloud::imap::{connect, ImapError, Login, Session, Watcher, WatcherSettings};
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

/// A mailbox on the stack (plain IMAP on loopback) logging in with `auth` and the given
/// `[mailboxes.oauth2]` lines.
fn mailbox(stack: &Stack, name: &str, auth: &str, folder: &str, oauth2: &str) -> MailboxConfig {
    let text = format!(
        "name = {name:?}\nhost = {:?}\nport = {}\ntls = \"none\"\nuser = {:?}\nauth = {auth:?}\n\
         folders = [{folder:?}]\nidle_secs = 60\nidle_recheck_ms = 100\n[oauth2]\n{oauth2}",
        stack.host, stack.imap_port, stack.user
    );
    toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn login(m: &MailboxConfig) -> Login {
    Login::oauth2(m, &Clock::system()).expect("an OAuth2 mailbox")
}

/// A secret in a file of its own (the test's temporary directory).
fn secret_file(dir: &tempfile::TempDir, name: &str, value: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, format!("{value}\n")).unwrap();
    p.display().to_string()
}

/// A generic client_credentials client registered for the stack's user.
async fn generic_client(
    tokens: &TokenServer,
    dir: &tempfile::TempDir,
    lifetime: u64,
) -> (String, String) {
    let id = unique("client-");
    tokens
        .add_client(
            json!({"client_id": id, "secret": "s3cret", "user": "outloud", "lifetime": lifetime}),
        )
        .await;
    let lines = format!(
        "provider = \"generic\"\ntoken_url = \"{}/token\"\nclient_id = {id:?}\nclient_secret_file = {:?}\n",
        tokens.url,
        secret_file(dir, "client-secret", "s3cret")
    );
    (id, lines)
}

async fn can_select(mut s: Session) {
    s.select("INBOX")
        .await
        .expect("SELECT INBOX after an OAuth2 login");
    let _ = s.logout().await;
}

#[tokio::test]
async fn xoauth2_and_oauthbearer_log_in_with_a_client_credentials_token() {
    let (stack, tokens) = stack_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let (id, lines) = generic_client(&tokens, &dir, 3600).await;
    for auth in ["xoauth2", "oauthbearer"] {
        let m = mailbox(&stack, "kc", auth, "INBOX", &lines);
        let (s, caps) = connect(&m, &login(&m))
            .await
            .unwrap_or_else(|e| panic!("{auth}: {e}"));
        assert_eq!(caps.server.as_str(), "dovecot");
        can_select(s).await;
    }
    let (issued, introspected) = tokens.stats(&id).await;
    assert_eq!(
        issued, 2,
        "one token per source (each login had its own source)"
    );
    assert_eq!(introspected, 2, "Dovecot checked each login's token");
}

#[tokio::test]
async fn one_source_serves_many_logins_from_its_cache() {
    let (stack, tokens) = stack_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let (id, lines) = generic_client(&tokens, &dir, 3600).await;
    let m = mailbox(&stack, "kc", "xoauth2", "INBOX", &lines);
    let login = login(&m);
    for _ in 0..3 {
        can_select(connect(&m, &login).await.unwrap().0).await;
    }
    assert_eq!(tokens.stats(&id).await, (1, 3));
}

#[tokio::test]
async fn a_refresh_token_grant_keeps_the_rotated_refresh_token() {
    let (stack, tokens) = stack_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let id = unique("public-");
    let spec = json!({"client_id": id, "user": "outloud", "refresh_token": "r-first", "rotate_refresh": true});
    tokens.add_client(spec).await;
    let refresh_file = secret_file(&dir, "refresh", "r-first");
    let lines = format!(
        "provider = \"generic\"\ntoken_url = \"{}/token\"\nclient_id = {id:?}\ngrant = \"refresh_token\"\nrefresh_token_file = {refresh_file:?}\n",
        tokens.url
    );
    let m = mailbox(&stack, "rt", "oauthbearer", "INBOX", &lines);
    let first = login(&m);
    can_select(connect(&m, &first).await.unwrap().0).await;
    let saved = std::fs::read_to_string(&refresh_file).unwrap();
    assert_ne!(
        saved.trim(),
        "r-first",
        "the rotated refresh token replaced the old one"
    );
    // A new process (a new source) starts from the saved one; the old one no longer works.
    let second = login(&m);
    can_select(connect(&m, &second).await.unwrap().0).await;
    assert_eq!(tokens.stats(&id).await.0, 2);
}

#[tokio::test]
async fn entra_client_credentials_with_a_secret_and_with_a_certificate() {
    let (stack, tokens) = stack_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let id = unique("entra-app-");
    tokens
        .add_client(json!({"client_id": id, "secret": "entra-secret", "user": "outloud"}))
        .await;
    let tenant = unique("tenant-");
    let secret = format!(
        "provider = \"microsoft\"\nauthority = {:?}\ntenant = {tenant:?}\nclient_id = {id:?}\nclient_secret_file = {:?}\n",
        tokens.url,
        secret_file(&dir, "entra", "entra-secret")
    );
    let m = mailbox(&stack, "m365", "xoauth2", "INBOX", &secret);
    can_select(connect(&m, &login(&m)).await.unwrap().0).await;
    assert_eq!(tokens.stats(&id).await.0, 1);

    // The stack's certificate client: a PS256 client assertion naming the certificate by its
    // thumbprint, checked by the server against the registered certificate.
    let cert = format!(
        "provider = \"microsoft\"\nauthority = {:?}\ntenant = {tenant:?}\nclient_id = {:?}\n\
         certificate_file = {:?}\ncertificate_key_file = {:?}\n",
        tokens.url,
        tokens.cert_client,
        tokens.client_cert.display().to_string(),
        tokens.client_key.display().to_string()
    );
    let m = mailbox(&stack, "m365-cert", "xoauth2", "INBOX", &cert);
    can_select(connect(&m, &login(&m)).await.unwrap().0).await;
}

#[tokio::test]
async fn a_google_service_account_acts_for_the_mailbox() {
    let (stack, tokens) = stack_or_skip!();
    let lines = format!(
        "provider = \"google\"\nservice_account_file = {:?}\n",
        tokens.service_account.display().to_string()
    );
    let m = mailbox(&stack, "gws", "xoauth2", "INBOX", &lines);
    // The token server issues the token to the JWT's subject: the mailbox's user.
    can_select(connect(&m, &login(&m)).await.unwrap().0).await;
    let m = mailbox(&stack, "gws", "oauthbearer", "INBOX", &lines);
    can_select(connect(&m, &login(&m)).await.unwrap().0).await;
}

#[tokio::test]
async fn a_token_command_prints_the_token() {
    let (stack, tokens) = stack_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let token = tokens.mint("outloud", 600).await;
    let file = secret_file(&dir, "token", &token);
    let lines = format!("provider = \"command\"\ncommand = [\"cat\", {file:?}]\n");
    let m = mailbox(&stack, "cmd", "xoauth2", "INBOX", &lines);
    can_select(connect(&m, &login(&m)).await.unwrap().0).await;
}

#[tokio::test]
async fn a_revoked_token_is_refused_by_the_server_naming_the_step_and_mailbox() {
    let (stack, tokens) = stack_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let token = tokens.mint("outloud", 600).await;
    tokens.revoke_token(&token).await;
    let file = secret_file(&dir, "token", &token);
    let lines = format!("provider = \"command\"\ncommand = [\"cat\", {file:?}]\n");
    for auth in ["xoauth2", "oauthbearer"] {
        let m = mailbox(&stack, "revoked", auth, "INBOX", &lines);
        let err = connect(&m, &login(&m)).await.expect_err("a revoked token");
        assert!(matches!(err, ImapError::TokenRefused { .. }), "{err:?}");
        assert!(err.is_auth());
        let text = err.to_string();
        assert!(
            text.starts_with("mailbox revoked (outloud@")
                && text.contains(&format!(
                    "the server refused the OAuth2 token ({})",
                    auth.to_ascii_uppercase()
                ))
                && text.contains("AUTHENTICATIONFAILED"),
            "{text}"
        );
        // Dovecot's error challenge, answered as each mechanism asks, is in the report.
        assert!(text.contains("(status "), "{text}");
    }
}

#[tokio::test]
async fn a_revoked_cached_token_is_replaced_on_the_same_login() {
    let (stack, tokens) = stack_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let (id, lines) = generic_client(&tokens, &dir, 3600).await;
    let m = mailbox(&stack, "kc", "xoauth2", "INBOX", &lines);
    let login = login(&m);
    can_select(connect(&m, &login).await.unwrap().0).await;
    tokens.revoke_client(&id).await;
    // Served from the cache, refused, replaced by a fresh one: the login still succeeds.
    can_select(connect(&m, &login).await.unwrap().0).await;
    assert_eq!(tokens.stats(&id).await.0, 2);
}

#[tokio::test]
async fn a_refusing_token_endpoint_is_named_with_its_reason() {
    let (stack, tokens) = stack_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let (id, lines) = generic_client(&tokens, &dir, 3600).await;
    tokens.disable(&id).await;
    let m = mailbox(&stack, "kc-off", "xoauth2", "INBOX", &lines);
    let err = connect(&m, &login(&m))
        .await
        .expect_err("a disabled client");
    assert!(matches!(err, ImapError::Token { .. }), "{err:?}");
    assert!(
        err.is_auth(),
        "credentials the endpoint refused are not retried at once"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("mailbox kc-off (")
            && text.contains("getting an OAuth2 token: token endpoint http://")
            && text.contains("refused the request (HTTP 401, invalid_client)")
            && text.contains(&format!("client {id} is disabled")),
        "{text}"
    );
}

/// A running watcher on a clock the test moves. Tokens live an hour, so each is due for
/// renewal 55 minutes after it was fetched: moving the clock there ends the IDLE, logs the
/// session out and opens a new one with a fresh token, and mail keeps flowing. The token
/// server's counts show it; nothing waits for real time to pass.
#[tokio::test]
async fn a_token_expiring_during_idle_leads_to_a_clean_reconnect() {
    let (stack, tokens) = stack_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let (id, lines) = generic_client(&tokens, &dir, 3600).await;
    let slug = unique("g");
    let (db, ingestor, address) = common::with_group(common::sqlite().await, &slug).await;
    let folder = unique("t-");
    stack.create_folder(&folder).await;
    let m = mailbox(&stack, "kc", "xoauth2", &folder, &lines);
    let now = Arc::new(AtomicI64::new(Clock::system().now()));
    let clock = Clock::from_fn({
        let now = now.clone();
        move || now.load(Ordering::SeqCst)
    });
    let health = Health::new();
    let settings = WatcherSettings {
        instance: unique("test"),
        lease_secs: 20,
        clock: clock.clone(),
    };
    let login = Login::oauth2(&m, &clock).expect("an OAuth2 mailbox");
    let w = Watcher::new(
        m.clone(),
        &folder,
        login,
        ingestor,
        health.clone(),
        settings,
    );
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(w.run(shutdown.clone()));
    let lease = format!("kc/{folder}");
    eventually("the first login and sync", || {
        let h = health.snapshot().get(&lease).cloned();
        let tokens = tokens.clone();
        let id = id.clone();
        async move {
            let synced = h.is_some_and(|h| h.last_sync.is_some() && h.role == Role::Leader);
            synced && tokens.stats(&id).await == (1, 1)
        }
    })
    .await;

    // Each renewal: one new token, one new login (Dovecot introspects it), no more.
    for logins in [2, 3] {
        now.fetch_add(3300, Ordering::SeqCst);
        eventually("a reconnect with a fresh token", || {
            let tokens = tokens.clone();
            let id = id.clone();
            async move { tokens.stats(&id).await == (logins, logins) }
        })
        .await;
    }
    let h = health.snapshot()[&lease].clone();
    assert!(h.last_error.is_none(), "a renewal is not a failure: {h:?}");
    assert_eq!(h.role, Role::Leader);

    // Mail still arrives on the renewed connection.
    stack
        .append_all(&folder, &[common::imap::mail(&slug, 1, &address)])
        .await;
    let store = db.store.clone();
    eventually("the mail published", || {
        let store = store.clone();
        async move {
            let groups = store.group_summaries().await.unwrap();
            groups.iter().map(|g| g.message_count).sum::<i64>() == 1
        }
    })
    .await;
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(60), task)
        .await
        .expect("the watcher stops")
        .unwrap();
    stack.delete_folder(&folder).await;
}
