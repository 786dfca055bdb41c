//! Secrets never reach the output: failing starts with a database password in the URL, a
//! `RUST_LOG=trace` daemon logging in to the mail stack's real Dovecot with a wrong password,
//! and OAuth2 (client secrets, refresh tokens, every access token issued) with the SMTP
//! password, over IMAP and SMTP submission, at every `RUST_LOG` level, in logs and errors.
//! Each run's whole output (stdout and stderr) is searched for the secret and its encodings.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::imap::{unique, Stack};
use common::oauth::TokenServer;
use serde_json::json;

/// The secret and the forms a protocol trace would carry it in: as is, quoted, and base64
/// inside SASL PLAIN (`\0user\0password`) or alone.
fn forms(user: &str, secret: &str) -> Vec<String> {
    vec![
        secret.to_string(),
        b64(secret.as_bytes()),
        b64(format!("\0{user}\0{secret}").as_bytes()),
    ]
}

fn b64(bytes: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (c.iter().enumerate()).fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= c.len() {
                T[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

fn assert_unprinted(what: &str, output: &str, user: &str, secret: &str) {
    for form in forms(user, secret) {
        assert!(
            !output.contains(&form),
            "{what}: the secret appears (as {form:?}) in:\n{output}"
        );
    }
}

/// `outloud ARGS` with `RUST_LOG=trace` and `env`; its exit status and all it printed.
fn outloud(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_outloud"));
    cmd.args(args)
        .current_dir(dir.path())
        .env_remove("OUTLOUD_CONFIG")
        .env_remove("OUTLOUD_DATABASE_URL")
        .env("RUST_LOG", "trace")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run outloud");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn failing_starts_print_no_database_password() {
    const SECRET: &str = "Pg-S3cret-pw";
    // Nothing listens on port 1: every start fails at the database.
    let urls = [
        format!("postgres://outloud:{SECRET}@127.0.0.1:1/outloud"),
        format!("postgresql://outloud:{SECRET}@127.0.0.1:1/outloud?connect_timeout=2"),
        format!("postgres://outloud@127.0.0.1:1/outloud?password={SECRET}"),
        format!("postgres://outloud:{SECRET}@127.0.0.1:notaport/outloud"),
        format!("mysql://outloud:{SECRET}@127.0.0.1/outloud"),
    ];
    for (i, url) in urls.iter().enumerate() {
        // `migrate` waits out the pool's 10 s connect timeout: two URLs are enough for it.
        let commands: &[&[&str]] = if i < 2 {
            &[&["check-config"], &["migrate"]]
        } else {
            &[&["check-config"]]
        };
        for args in commands {
            let (ok, out) = outloud(args, &[("OUTLOUD_DATABASE_URL", url)]);
            assert!(!ok, "{args:?} with {url} succeeded:\n{out}");
            assert_unprinted(&format!("{args:?} with {url}"), &out, "outloud", SECRET);
            assert!(
                out.contains("***"),
                "{args:?}: the masked URL is shown:\n{out}"
            );
        }
        let (ok, out) = outloud(&["--database", url, "check-config"], &[]);
        assert!(!ok);
        assert_unprinted(&format!("--database {url}"), &out, "outloud", SECRET);
    }
}

/// `outloud run` at `RUST_LOG=trace` with a wrong IMAP password against the real Dovecot:
/// the login is refused and logged, the password is not (async-imap traces every command it
/// sends, LOGIN included).
#[test]
fn trace_run_with_wrong_imap_password_prints_no_password() {
    const SECRET: &str = "Wr0ng-Imap-S3cret";
    let stack = match Stack::from_env() {
        Some(s) => s,
        None if std::env::var("OUTLOUD_SKIP_MAILSTACK").as_deref() == Ok("1") => return,
        None => panic!("the mail stack is not running: run scripts/test.sh"),
    };
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("outloud.toml");
    std::fs::write(
        &config,
        format!(
            "[database]\nurl = \"sqlite:{db}\"\n[web]\nbind = \"127.0.0.1:{port}\"\n\
             [[mailboxes]]\nname = \"corp\"\nhost = \"{host}\"\nport = {imap}\ntls = \"none\"\n\
             user = \"{user}\"\npassword_env = \"SECRETS_TEST_PASSWORD\"\n",
            db = dir.path().join("outloud.db").display(),
            host = stack.host,
            imap = stack.imap_port,
            user = stack.user,
        ),
    )
    .unwrap();
    let log = dir.path().join("outloud.log");
    let out = std::fs::File::create(&log).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_outloud"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env_remove("OUTLOUD_CONFIG")
        .env_remove("OUTLOUD_DATABASE_URL")
        .env("RUST_LOG", "trace")
        .env("SECRETS_TEST_PASSWORD", SECRET)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("start outloud run");
    // Until the refused login is logged (bounded: a daemon that never logs it fails the test).
    let end = Instant::now() + Duration::from_secs(60);
    let mut text = String::new();
    while Instant::now() < end {
        text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("login refused") {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap_or(text);
    assert!(
        text.contains("login refused"),
        "no refused login logged:\n{text}"
    );
    // The filter was really at trace: outloud's and sqlx's debug lines are there.
    assert!(
        text.contains("DEBUG"),
        "RUST_LOG=trace did not take effect:\n{text}"
    );
    assert_unprinted("outloud run at RUST_LOG=trace", &text, &stack.user, SECRET);
}

// --- OAuth2 tokens and the SMTP password ----------------------------------------------------

/// A bearer token and the SASL messages that carry it (XOAUTH2, OAUTHBEARER), base64-encoded
/// as they go over IMAP and SMTP.
fn token_forms(user: &str, token: &str, host: &str, port: u16) -> Vec<String> {
    vec![
        token.to_string(),
        b64(format!("user={user}\x01auth=Bearer {token}\x01\x01").as_bytes()),
        b64(
            format!("n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01")
                .as_bytes(),
        ),
    ]
}

/// `outloud --config CONFIG ARGS` at `RUST_LOG=level` with `env`; success and all it printed.
fn outloud_at(level: &str, config: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_outloud"));
    cmd.arg("--config").arg(config).args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("OUTLOUD_SMTP_") || k == "OUTLOUD_CONFIG" || k == "OUTLOUD_DATABASE_URL" {
            cmd.env_remove(k);
        }
    }
    cmd.env("RUST_LOG", level).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run outloud");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

const LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];
const IMAP_CLIENT_SECRET: &str = "Imap-Client-S3cret";
const IMAP_REFRESH_TOKEN: &str = "Imap-Refresh-T0ken-x9";
const SMTP_CLIENT_SECRET: &str = "Smtp-Client-S3cret";
const SMTP_PASSWORD: &str = "Wr0ng-Smtp-S3cret";

/// The secrets' variables, as each run gets them.
const SECRET_ENV: [(&str, &str); 4] = [
    ("SECRETS_IMAP_CLIENT_SECRET", IMAP_CLIENT_SECRET),
    ("SECRETS_IMAP_REFRESH_TOKEN", IMAP_REFRESH_TOKEN),
    ("SECRETS_SMTP_CLIENT_SECRET", SMTP_CLIENT_SECRET),
    ("SECRETS_SMTP_PASSWORD", SMTP_PASSWORD),
];

/// A config: the database, web view, `[smtp]` on the stack's submission port with `smtp`'s
/// lines, and `rest` (mailboxes).
fn oauth_config(dir: &Path, stack: &Stack, name: &str, smtp: &str, rest: &str) -> PathBuf {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        "[database]\nurl = \"sqlite:{db}\"\n[web]\nbind = \"127.0.0.1:{port}\"\n\
         [identity]\naddresses = [\"outloud@corp.example\"]\n\
         [smtp]\nhost = \"{host}\"\nport = {sub}\ntls = \"starttls\"\nca_file = \"{ca}\"\n\
         user = \"{user}\"\n{smtp}\n{rest}",
        db = dir.join("outloud.db").display(),
        host = stack.host,
        sub = stack.submission_port,
        ca = stack.ca.display(),
        user = stack.user,
    );
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// `outloud run` at trace with an OAuth2 IMAP mailbox (refresh-token grant) and XOAUTH2
/// `[smtp]`, until Dovecot has checked the mailbox's token; `mail test` and `check-config` at
/// every level, sending with a token, with a revoked token and with a wrong SMTP password.
/// Nothing printed carries a client secret, refresh token, access token or password.
#[tokio::test]
async fn oauth2_tokens_and_the_smtp_password_never_print_at_any_level() {
    let (stack, tokens) = match (Stack::from_env(), TokenServer::from_env()) {
        (Some(s), Some(t)) => (s, t),
        _ if std::env::var("OUTLOUD_SKIP_MAILSTACK").as_deref() == Ok("1") => return,
        _ => panic!("the mail stack is not running: run scripts/test.sh"),
    };
    let dir = tempfile::tempdir().unwrap();
    let imap_client = unique("secrets-imap-");
    let smtp_client = unique("secrets-smtp-");
    tokens
        .add_client(
            json!({"client_id": imap_client, "secret": IMAP_CLIENT_SECRET,
                           "user": stack.user, "refresh_token": IMAP_REFRESH_TOKEN}),
        )
        .await;
    tokens
        .add_client(
            json!({"client_id": smtp_client, "secret": SMTP_CLIENT_SECRET,
                           "user": stack.user}),
        )
        .await;
    let revoked = tokens.mint(&stack.user, 3600).await;
    tokens.revoke_token(&revoked).await;
    let folder = unique("secrets");
    stack.create_folder(&folder).await;

    let (sending, revoked_cfg, password_cfg) = write_configs(
        dir.path(),
        &stack,
        &tokens,
        [&imap_client, &smtp_client, &folder, &revoked],
    );

    let mut outputs = vec![(
        "run".to_string(),
        trace_run(&sending, &tokens, &imap_client).await,
    )];
    let to = format!("outloud+{folder}@corp.example");
    let mail_test = ["mail", "test", "--to", to.as_str()];
    for level in LEVELS {
        for (cfg, args, should_pass) in [
            (&sending, &["check-config"][..], true),
            (&sending, &mail_test[..], true),
            (&revoked_cfg, &mail_test[..], false),
            (&password_cfg, &mail_test[..], false),
        ] {
            let (ok, out) = outloud_at(level, cfg, args, &SECRET_ENV);
            let what = format!("{args:?} with {} at {level}", cfg.display());
            assert_eq!(ok, should_pass, "{what}:\n{out}");
            outputs.push((what, out));
        }
    }
    let refusals = outputs
        .iter()
        .filter(|(_, o)| o.contains("refused the XOAUTH2 token"));
    assert_eq!(
        refusals.count(),
        LEVELS.len(),
        "the revoked token's error is printed"
    );
    let logins = outputs
        .iter()
        .filter(|(_, o)| o.contains("refused the login as"));
    assert_eq!(
        logins.count(),
        LEVELS.len(),
        "the wrong password's error is printed"
    );

    let mut issued = tokens.tokens(&imap_client).await;
    issued.extend(tokens.tokens(&smtp_client).await);
    assert!(
        issued.len() >= 2,
        "tokens were issued to both clients: {issued:?}"
    );
    issued.push(revoked);
    assert_no_secret(&outputs, &issued, &stack);
    stack.delete_folder(&folder).await;
}

/// The three configs: sending (an OAuth2 mailbox and XOAUTH2 `[smtp]` from generic clients),
/// a token command printing a revoked token, and a password login.
fn write_configs(
    dir: &Path,
    stack: &Stack,
    tokens: &TokenServer,
    [imap_client, smtp_client, folder, revoked]: [&str; 4],
) -> (PathBuf, PathBuf, PathBuf) {
    let generic = |id: &str, secret_env: &str| {
        format!(
            "provider = \"generic\"\ntoken_url = \"{}/token\"\nclient_id = \"{id}\"\nclient_secret_env = \"{secret_env}\"\n",
            tokens.url
        )
    };
    let mailbox = format!(
        "[[mailboxes]]\nname = \"m365\"\nhost = \"{host}\"\nport = {imap}\ntls = \"none\"\n\
         user = \"{user}\"\nauth = \"xoauth2\"\nfolders = [\"{folder}\"]\n[mailboxes.oauth2]\n{o}\
         grant = \"refresh_token\"\nrefresh_token_env = \"SECRETS_IMAP_REFRESH_TOKEN\"\n",
        host = stack.host,
        imap = stack.imap_port,
        user = stack.user,
        o = generic(imap_client, "SECRETS_IMAP_CLIENT_SECRET"),
    );
    let smtp_oauth = format!(
        "auth = \"xoauth2\"\n[smtp.oauth2]\n{}",
        generic(smtp_client, "SECRETS_SMTP_CLIENT_SECRET")
    );
    let sending = oauth_config(dir, stack, "sending", &smtp_oauth, &mailbox);
    let revoked_cfg = oauth_config(
        dir,
        stack,
        "revoked",
        &format!("auth = \"xoauth2\"\n[smtp.oauth2]\nprovider = \"command\"\ncommand = [\"echo\", \"{revoked}\"]\n"),
        "",
    );
    let password_cfg = oauth_config(
        dir,
        stack,
        "password",
        "password_env = \"SECRETS_SMTP_PASSWORD\"\n",
        "",
    );
    (sending, revoked_cfg, password_cfg)
}

/// No output holds a client secret, the refresh token, the SMTP password or any form of an
/// issued access token.
fn assert_no_secret(outputs: &[(String, String)], issued: &[String], stack: &Stack) {
    for (what, out) in outputs {
        for secret in [IMAP_CLIENT_SECRET, IMAP_REFRESH_TOKEN, SMTP_CLIENT_SECRET] {
            assert!(!out.contains(secret), "{what}: {secret} appears in:\n{out}");
            assert!(
                !out.contains(&b64(secret.as_bytes())),
                "{what}: {secret} (base64) in:\n{out}"
            );
        }
        assert_unprinted(what, out, &stack.user, SMTP_PASSWORD);
        for token in issued {
            for port in [stack.imap_port, stack.submission_port] {
                for form in token_forms(&stack.user, token, &stack.host, port) {
                    assert!(
                        !out.contains(&form),
                        "{what}: an access token appears in:\n{out}"
                    );
                }
            }
        }
    }
}

/// `outloud run` at trace until Dovecot has introspected the mailbox's token and the login is
/// logged; all it printed.
async fn trace_run(config: &Path, tokens: &TokenServer, client: &str) -> String {
    let log = config.with_extension("log");
    let out = std::fs::File::create(&log).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_outloud"));
    cmd.arg("--config").arg(config).arg("run");
    for (k, _) in std::env::vars() {
        if k.starts_with("OUTLOUD_SMTP_") || k == "OUTLOUD_CONFIG" || k == "OUTLOUD_DATABASE_URL" {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .env("RUST_LOG", "trace")
        .envs(SECRET_ENV)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("start outloud run");
    let end = Instant::now() + Duration::from_secs(60);
    let mut text = String::new();
    while Instant::now() < end {
        text = std::fs::read_to_string(&log).unwrap_or_default();
        if tokens.stats(client).await.1 >= 1
            && text.contains("XOAUTH2")
            && text.contains("watching")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap_or(text);
    assert!(
        tokens.stats(client).await.1 >= 1,
        "the mailbox never logged in:\n{text}"
    );
    assert!(
        text.contains("DEBUG"),
        "RUST_LOG=trace did not take effect:\n{text}"
    );
    text
}
