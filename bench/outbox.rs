//! Outbox throughput into the local Postfix: queue N mails in a fresh database, start the
//! real `outloud run` with `[smtp]` on the mail stack's submission port (STARTTLS, login, no
//! rate limit), and time it until every delivery is recorded as sent; the sender process's
//! peak resident memory (VmHWM) is read just before it is stopped.
//!
//!     cargo bench --bench outbox -- --bin target/release/outloud [--mails 10000] [--pg URL]
//!         [--auth xoauth2]
//!
//! bench/outbox.sh starts the mail stack, builds the binary and runs this. With `--pg URL` (a
//! database it may wipe) it measures PostgreSQL instead of SQLite; with `--auth xoauth2` the
//! sender logs in with a token from the stack's token server (a generic client_credentials
//! client registered for the run) instead of the password.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use outloud::core::compose::{Draft, Sender};
use outloud::outbox::queue_draft;
use outloud::store::Store;

struct Args {
    bin: String,
    mails: usize,
    pg: Option<String>,
    /// Log in with an XOAUTH2 token instead of the password.
    xoauth2: bool,
}

fn args() -> Option<Args> {
    let mut a = std::env::args().skip(1);
    let (mut bin, mut mails, mut pg, mut xoauth2) = (None, 10_000, None, false);
    while let Some(x) = a.next() {
        match x.as_str() {
            "--bin" => bin = a.next(),
            "--mails" => mails = a.next()?.parse().ok()?,
            "--pg" => pg = a.next(),
            "--auth" => xoauth2 = a.next()? == "xoauth2",
            _ => {}
        }
    }
    Some(Args {
        bin: bin?,
        mails,
        pg,
        xoauth2,
    })
}

fn env(k: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: run bench/outbox.sh"))
}

fn main() {
    // `cargo test --all-targets` runs this too, with no arguments: nothing to measure then.
    let Some(args) = args() else {
        eprintln!("usage: cargo bench --bench outbox -- --bin PATH [--mails N] [--pg URL]   (see bench/outbox.sh)");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(args));
}

async fn run(args: Args) {
    let work = tempfile::tempdir().unwrap();
    let url = match &args.pg {
        Some(u) => u.clone(),
        None => format!("sqlite:{}", work.path().join("bench.db").display()),
    };
    let store = outloud::store::open(&url).await.expect("open the database");
    store.migrate().await.unwrap();
    if args.pg.is_some() {
        wipe_outbox(&url).await;
    }
    let folder = format!("obxbench{:08x}", rand::random::<u32>());
    imap(&format!("CREATE {folder}")).await;
    let t = Instant::now();
    queue(&*store, &folder, args.mails).await;
    let login = match args.xoauth2 {
        true => xoauth2_client().await,
        false => "password_env = \"OUTLOUD_BENCH_SMTP_PASSWORD\"\n".to_string(),
    };
    println!(
        "queued {} mails in {:.1} s ({}, login {})",
        args.mails,
        t.elapsed().as_secs_f64(),
        store.backend(),
        if args.xoauth2 { "XOAUTH2" } else { "password" }
    );

    let config = work.path().join("bench.toml");
    std::fs::write(&config, config_text(&url, &login)).unwrap();
    let log = std::fs::File::create(work.path().join("outloud.log")).unwrap();
    let started = Instant::now();
    let mut child = Command::new(&args.bin)
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env("OUTLOUD_BENCH_SMTP_PASSWORD", env("OUTLOUD_IMAP_PASSWORD"))
        .env("OUTLOUD_BENCH_CLIENT_SECRET", "bench-secret")
        .env_remove("OUTLOUD_SMTP_PORT")
        .env_remove("OUTLOUD_SMTP_HOST")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start outloud run");
    let total = i64::try_from(args.mails).unwrap();
    loop {
        let c = store.outbox_counts().await.unwrap();
        if c.sent + c.failed >= total {
            let secs = started.elapsed().as_secs_f64();
            let peak = peak_rss_kib(child.id());
            println!(
                "sent {} (failed {}) in {secs:.1} s: {:.0} mails/s; peak RSS of outloud run {} MiB",
                c.sent,
                c.failed,
                c.sent as f64 / secs,
                peak / 1024
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3600),
            "not done within an hour: {c:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();
    cleanup(&folder).await;
}

/// Delete the run's folder. Postfix is still handing the last mails to Dovecot, which refuses
/// to delete a folder that grows meanwhile: wait for the queue to drain (bounded) first.
async fn cleanup(folder: &str) {
    for _ in 0..60 {
        let queue = Command::new("postqueue")
            .args([
                "-c",
                &format!("{}/postfix", env("OUTLOUD_MAILSTACK_DIR")),
                "-p",
            ])
            .output();
        if queue.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("Mail queue is empty")) {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    if let Err(e) = imap_try(&format!("DELETE {folder}")).await {
        eprintln!("cleanup: DELETE {folder}: {e} (delete it by hand)");
    }
}

/// Queue `n` one-recipient notices to `outloud+FOLDER@corp.example`, 500 per transaction.
async fn queue(store: &dyn Store, folder: &str, n: usize) {
    let sender = Sender {
        from: "outloud@corp.example".into(),
        from_name: "outloud".into(),
        message_id_domain: "corp.example".into(),
        bounce_address: "bounces@corp.example".into(),
        loop_marker: "outloud-bench".into(),
    };
    let now = outloud::clock::Clock::system().now();
    let body = "Your mail to eng@corp.example is now a post in the group Engineering.\n\n\
                Everyone in the group can read it and the replies to it at\n\
                https://outloud.corp.example/t/4242\n\n-- \noutloud\n"
        .repeat(4);
    let mut batch = Vec::with_capacity(500);
    for i in 0..n {
        let draft = Draft {
            to: vec![format!("outloud+{folder}@corp.example")],
            subject: format!("Your mail is published ({i})"),
            text: body.clone(),
            in_reply_to: None,
            references: vec![],
            auto_submitted: true,
            on_behalf_of: None,
            reply_to: None,
        };
        batch.push(queue_draft(&sender, &draft, "bench", now).unwrap());
        if batch.len() == 500 || i + 1 == n {
            store.enqueue(&batch).await.unwrap();
            batch.clear();
        }
    }
}

/// `[smtp]` lines logging in with XOAUTH2 from a generic client registered now at the stack's
/// token server (one-hour tokens: one token for the whole run, as in production).
async fn xoauth2_client() -> String {
    let id = format!("outbox-bench-{:08x}", rand::random::<u32>());
    let body = format!(
        r#"{{"client_id":"{id}","secret":"bench-secret","user":"{}","lifetime":3600}}"#,
        env("OUTLOUD_IMAP_USER")
    );
    let request = format!(
        "POST /admin/clients HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let port: u16 = env("OUTLOUD_OAUTH_PORT").parse().unwrap();
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect to the token server");
    s.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "token server: {answer}");
    format!(
        "auth = \"xoauth2\"\n[smtp.oauth2]\nprovider = \"generic\"\ntoken_url = \"{}/token\"\n\
         client_id = \"{id}\"\nclient_secret_env = \"OUTLOUD_BENCH_CLIENT_SECRET\"\n",
        env("OUTLOUD_OAUTH_URL")
    )
}

/// The config; `login` ends `[smtp]` (a password variable, or `auth` and `[smtp.oauth2]`).
fn config_text(url: &str, login: &str) -> String {
    format!(
        "[database]\nurl = \"{url}\"\n[web]\nbind = \"127.0.0.1:0\"\n[log]\nlevel = \"warn\"\n\
         [identity]\naddresses = [\"outloud@corp.example\"]\n\
         [smtp]\nhost = \"{host}\"\nport = {port}\ntls = \"starttls\"\nca_file = \"{ca}\"\n\
         user = \"{user}\"\nrate_per_minute = 0\npoll_secs = 1\n{login}",
        host = env("OUTLOUD_IMAP_HOST"),
        port = env("OUTLOUD_SUBMISSION_PORT"),
        ca = env("OUTLOUD_MAILSTACK_CA"),
        user = env("OUTLOUD_IMAP_USER"),
    )
}

/// VmHWM of `pid` in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status"))
        .unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// One IMAP command as the stack's user (folder setup and cleanup).
async fn imap(command: &str) {
    imap_try(command).await.expect(command);
}

async fn imap_try(command: &str) -> Result<(), async_imap::error::Error> {
    let tcp = tokio::net::TcpStream::connect((
        env("OUTLOUD_IMAP_HOST"),
        env("OUTLOUD_IMAP_PORT").parse::<u16>().unwrap(),
    ))
    .await
    .expect("connect to IMAP");
    let mut client = async_imap::Client::new(tcp);
    let _ = client.read_response().await;
    let mut s = client
        .login(env("OUTLOUD_IMAP_USER"), env("OUTLOUD_IMAP_PASSWORD"))
        .await
        .map_err(|(e, _)| e)
        .expect("IMAP login");
    let done = s.run_command_and_check_ok(command).await;
    let _ = s.logout().await;
    done
}

/// Empty the outbox tables of a PostgreSQL benchmark database.
async fn wipe_outbox(url: &str) {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query("TRUNCATE bounces, outbox_attempts, outbox_deliveries, outbox CASCADE")
        .execute(&mut c)
        .await
        .unwrap();
}
