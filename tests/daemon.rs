//! The daemon as a library: started in-process through `daemon::run` or `Daemon::build`, and
//! stopped through its shutdown future, as an embedder would. No mailboxes, so no mail stack is
//! needed (tests/imap.rs runs one against the stack).

mod common;

use std::path::Path;
use std::time::Duration;

use outloud::clock::Clock;
use outloud::config::Config;
use outloud::daemon::{self, Daemon, DaemonError};
use tokio_util::sync::CancellationToken;

/// A config on a fresh SQLite file in a directory the daemon has to create.
fn config(dir: &Path, bind: &str) -> Config {
    let mut cfg = Config::default();
    cfg.database.url = format!("sqlite:{}", dir.join("var/outloud.db").display());
    cfg.web.bind = bind.into();
    cfg
}

/// `/healthz` once it answers (the server may still be starting).
async fn healthz(port: u16) -> (u16, serde_json::Value) {
    for _ in 0..300 {
        if let Some((status, body)) = common::http_get(port, "/healthz").await {
            return (
                status,
                serde_json::from_str(&body).expect("/healthz is JSON"),
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/healthz never answered on port {port}");
}

#[tokio::test]
async fn run_serves_until_the_shutdown_future_resolves_then_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    // `run` cannot report the port it binds, so take a free one first.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = config(dir.path(), &format!("127.0.0.1:{port}"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move { daemon::run(&cfg, stopped).await });

    let (status, health) = healthz(port).await;
    assert_eq!(status, 200, "{health}");
    // Status alone: the mailboxes' detail is for admins (`[web] health_detail` is off).
    assert_eq!(health, serde_json::json!({"status": "ok"}));

    stop.send(()).unwrap();
    let exit = tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("run returns after shutdown")
        .expect("run does not panic");
    assert!(exit.is_ok(), "{exit:?}");
    assert!(
        common::http_get(port, "/healthz").await.is_none(),
        "the web view still answers after run returned"
    );
    assert!(dir.path().join("var/outloud.db").exists());
}

#[tokio::test]
async fn build_on_port_zero_reports_the_bound_port() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = Daemon::build(&config(dir.path(), "127.0.0.1:0"), Clock::system())
        .await
        .unwrap();
    let port = daemon.port();
    assert_ne!(port, 0);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(daemon.run_until_stopped(shutdown.clone().cancelled_owned()));
    let (status, health) = healthz(port).await;
    assert_eq!((status, &health["status"]), (200, &serde_json::json!("ok")));
    shutdown.cancel();
    let exit = tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the daemon stops after shutdown")
        .unwrap();
    assert!(exit.is_ok(), "{exit:?}");
}

#[tokio::test]
async fn a_mailbox_without_its_password_stops_the_build_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), "127.0.0.1:0");
    cfg.mailboxes = vec![toml::from_str(
        "name = \"corp\"\nhost = \"127.0.0.1\"\nuser = \"outloud\"\npassword_env = \"OUTLOUD_TEST_DAEMON_NO_PASSWORD\"\n",
    )
    .unwrap()];
    let err = Daemon::build(&cfg, Clock::system())
        .await
        .err()
        .expect("no password, no daemon");
    assert!(matches!(err, DaemonError::NoPassword { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("mailbox corp") && text.contains("OUTLOUD_TEST_DAEMON_NO_PASSWORD"),
        "{text}"
    );
    // Refused before the database was even opened.
    assert!(!dir.path().join("var").exists());
}

#[tokio::test]
async fn an_oauth2_mailbox_without_its_secret_stops_the_build_naming_the_step() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), "127.0.0.1:0");
    cfg.mailboxes = vec![toml::from_str(
        "name = \"m365\"\nhost = \"outlook.office365.com\"\nuser = \"eng@corp.example\"\nauth = \"xoauth2\"\n\
         [oauth2]\nprovider = \"microsoft\"\ntenant = \"t\"\nclient_id = \"c\"\n\
         certificate_file = \"/nonexistent/app.crt\"\ncertificate_key_file = \"/nonexistent/app.key\"\n",
    )
    .unwrap()];
    let err = Daemon::build(&cfg, Clock::system())
        .await
        .err()
        .expect("no certificate, no daemon");
    assert!(matches!(err, DaemonError::OAuth2 { .. }), "{err:?}");
    // The cause is in the chain, as `{:#}` prints it.
    let text = format!("{:#}", anyhow::Error::from(err));
    assert!(
        text.contains("mailbox m365: OAuth2 (microsoft tenant t, client c (certificate))")
            && text.contains("certificate (certificate_file): cannot read /nonexistent/app.crt"),
        "{text}"
    );
    assert!(!dir.path().join("var").exists());
}

#[tokio::test]
async fn an_oauth2_smtp_login_without_its_secret_stops_the_build_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), "127.0.0.1:0");
    cfg.identity.addresses = vec!["outloud@corp.example".into()];
    cfg.smtp = toml::from_str::<toml::Table>(
        "host = \"smtp.office365.com\"\nauth = \"xoauth2\"\nuser = \"eng@corp.example\"\n\
         [oauth2]\nprovider = \"microsoft\"\ntenant = \"t\"\nclient_id = \"c\"\n\
         client_secret_env = \"OUTLOUD_TEST_DAEMON_NO_SMTP_SECRET\"\n",
    )
    .map(|t| {
        use outloud::config::keys::Section;
        outloud::config::SmtpConfig::from_table(&t).unwrap()
    })
    .unwrap();
    let err = Daemon::build(&cfg, Clock::system())
        .await
        .err()
        .expect("no client secret, no daemon");
    assert!(matches!(err, DaemonError::Smtp(_)), "{err:?}");
    let text = format!("{:#}", anyhow::Error::from(err));
    assert!(
        text.contains("smtp.oauth2: client secret (client_secret_env)")
            && text.contains("OUTLOUD_TEST_DAEMON_NO_SMTP_SECRET is not set"),
        "{text}"
    );
    // Refused before the database was even opened.
    assert!(!dir.path().join("var").exists());
}
