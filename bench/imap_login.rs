//! IMAP login latency against the mail stack's Dovecot: a password LOGIN beside OAuth2 logins
//! (XOAUTH2 and OAUTHBEARER with a cached token; XOAUTH2 fetching a new token from the stack's
//! token server each time). Each login is the whole of `outloud::imap::connect` (TCP, greeting,
//! authentication, CAPABILITY, ID) over loopback; the logout after it is not timed.
//!
//!     bench/oauth.sh            (starts the stack, registers the OAuth2 client, runs this)
//!
//! Needs the stack's variables and BENCH_OAUTH_CLIENT_ID / BENCH_OAUTH_SECRET_FILE (a client
//! registered at the token server); without them (as under `cargo test --all-targets`) it
//! does nothing.

use std::time::Instant;

use outloud::clock::Clock;
use outloud::config::{MailboxConfig, Secret};
use outloud::imap::{connect, Login};

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The stack's mailbox over plain IMAP on loopback, logging in with `auth`.
fn mailbox(auth: &str, oauth2: &str) -> MailboxConfig {
    let text = format!(
        "name = \"bench\"\nhost = {:?}\nport = {}\ntls = \"none\"\nuser = {:?}\nauth = {auth:?}\n{}",
        var("OUTLOUD_IMAP_HOST").unwrap(),
        var("OUTLOUD_IMAP_PORT").unwrap(),
        var("OUTLOUD_IMAP_USER").unwrap(),
        match auth {
            "password" => "password_env = \"OUTLOUD_IMAP_PASSWORD\"\n".to_string(),
            _ => format!("[oauth2]\n{oauth2}"),
        }
    );
    toml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Milliseconds of `n` logins, each made by `login()` for that round.
async fn time_logins(m: &MailboxConfig, n: usize, mut login: impl FnMut() -> Login) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let login = login();
        let t = Instant::now();
        let (mut session, _) = connect(m, &login).await.expect("login");
        out.push(t.elapsed().as_secs_f64() * 1000.0);
        let _ = session.logout().await;
    }
    out.sort_by(f64::total_cmp);
    out
}

fn report(what: &str, ms: &[f64]) {
    let at = |p: f64| ms[((p / 100.0 * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
    println!(
        "{what:<52} p50 {:6.2} ms  p90 {:6.2} ms  p99 {:6.2} ms  max {:6.2} ms  ({} logins)",
        at(50.0),
        at(90.0),
        at(99.0),
        ms[ms.len() - 1],
        ms.len()
    );
}

fn main() {
    let (Some(client), Some(secret_file)) =
        (var("BENCH_OAUTH_CLIENT_ID"), var("BENCH_OAUTH_SECRET_FILE"))
    else {
        eprintln!("imap_login: BENCH_OAUTH_CLIENT_ID is not set; run bench/oauth.sh");
        return;
    };
    let n: usize = var("BENCH_LOGINS").map_or(200, |v| v.parse().unwrap());
    let oauth2 = format!(
        "provider = \"generic\"\ntoken_url = \"{}/token\"\nclient_id = {client:?}\nclient_secret_file = {secret_file:?}\n",
        var("OUTLOUD_OAUTH_URL").unwrap()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let clock = Clock::system();
        let m = mailbox("password", "");
        let password = Login::from(Secret(var("OUTLOUD_IMAP_PASSWORD").unwrap()));
        // One round first, so every mode meets warm processes and caches.
        time_logins(&m, 10, || password.clone()).await;
        report(
            "LOGIN with a password",
            &time_logins(&m, n, || password.clone()).await,
        );
        for auth in ["xoauth2", "oauthbearer"] {
            let m = mailbox(auth, &oauth2);
            let cached = Login::oauth2(&m, &clock).unwrap();
            let what = format!("{} with a cached token", auth.to_uppercase());
            report(&what, &time_logins(&m, n, || cached.clone()).await);
        }
        let m = mailbox("xoauth2", &oauth2);
        let fresh = || Login::oauth2(&m, &clock).unwrap();
        let what = "XOAUTH2 fetching a token first (client credentials)";
        report(what, &time_logins(&m, n, fresh).await);
    });
}
