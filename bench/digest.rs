//! Digest rounds at scale (issue 11): 10,000 recipients over 100 groups, each in the audience
//! of 3 groups, 5 discussed threads per group in the week. Measures, in one process:
//!
//! 1. selection and rendering alone (every recipient's digest decided, rendered and composed
//!    as a mail, nothing written), from data already read;
//! 2. the whole round: read, decide, render, and queue every digest in the outbox (SQLite, or
//!    PostgreSQL with `--pg URL`: a database it wipes first);
//! 3. sending: the outbox sender(s) deliver every digest through the mail stack's Postfix
//!    submission port (STARTTLS and login), until all are recorded sent;
//!
//! and the process's peak resident memory (VmHWM).
//!
//!     cargo bench --bench digest -- --run [--recipients 10000] [--groups 100] [--senders 4]
//!         [--pg URL]
//!
//! bench/digest.sh starts the mail stack and runs this.

use std::sync::Arc;
use std::time::{Duration, Instant};

use outloud::clock::Clock;
use outloud::config::{Secret, TlsMode};
use outloud::core::digest::schedule::{Schedule, Weekday};
use outloud::core::digest::Rules;
use outloud::digest::round::decide;
use outloud::digest::{run_round, DigestSettings, RoundOptions};
use outloud::ingest::{Ingestor, RawMail};
use outloud::model::{GroupAddress, Slug};
use outloud::outbox::{OutboxSender, SenderSettings};
use outloud::smtp::{Credentials, SmtpSettings};
use outloud::store::digest::DirectoryRow;
use outloud::store::outbox::{DeliveryFilter, DeliveryState};
use outloud::store::Store;
use tokio_util::sync::CancellationToken;

const DAY: i64 = 86_400;
const DUE: i64 = 1_796_634_000;

struct Args {
    recipients: usize,
    groups: usize,
    senders: usize,
    /// A PostgreSQL database to wipe and use instead of a fresh SQLite file.
    pg: Option<String>,
}

fn args() -> Option<Args> {
    let mut a = std::env::args().skip(1);
    let (mut run, mut recipients, mut groups, mut senders) = (false, 10_000, 100, 4);
    let mut pg = None;
    while let Some(x) = a.next() {
        match x.as_str() {
            "--run" => run = true,
            "--recipients" => recipients = a.next()?.parse().ok()?,
            "--groups" => groups = a.next()?.parse().ok()?,
            "--senders" => senders = a.next()?.parse().ok()?,
            "--pg" => pg = Some(a.next()?),
            _ => {}
        }
    }
    run.then_some(Args {
        recipients,
        groups,
        senders,
        pg,
    })
}

fn env(k: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: run bench/digest.sh"))
}

fn settings() -> DigestSettings {
    DigestSettings {
        schedule: Schedule::utc(Weekday::Mon, 9, 7),
        rules: Rules::default(),
        sender: outloud::core::compose::Sender {
            from: "outloud@corp.example".into(),
            from_name: "Corp outloud".into(),
            message_id_domain: "corp.example".into(),
            bounce_address: "bounces@corp.example".into(),
            loop_marker: "outloud-bench".into(),
        },
        base_url: "https://outloud.corp.example".into(),
        site_name: "Corp outloud".into(),
        operator: "IT (it@corp.example)".into(),
        exclude: vec!["outloud@corp.example".into()],
    }
}

fn peak_rss_mib() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn main() {
    // `cargo test --all-targets` runs this too, with no arguments: nothing to measure then.
    let Some(args) = args() else {
        eprintln!("usage: cargo bench --bench digest -- --run [--recipients N] [--groups N] [--senders N] [--pg URL]   (see bench/digest.sh)");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(args));
}

fn mail(group: usize, thread: usize, reply: usize) -> RawMail {
    let people = [
        "Ana Lima",
        "Bo Chen",
        "Cy Park",
        "Dana Roy",
        "Eve Stone",
        "Finn Berg",
    ];
    let who = people[(group + thread + reply) % people.len()];
    let email = format!(
        "{}@corp.example",
        who.split(' ').next().unwrap().to_lowercase()
    );
    let id = format!("g{group}t{thread}r{reply}@bench.example");
    let parent = (reply > 0).then(|| format!("g{group}t{thread}r{}@bench.example", reply - 1));
    let at = DUE - 6 * DAY + (thread * 3600 + reply * 7200) as i64;
    let date = chrono::DateTime::from_timestamp(at, 0)
        .unwrap()
        .to_rfc2822();
    let irt = parent
        .map(|p| format!("In-Reply-To: <{p}>\r\nReferences: <{p}>\r\n"))
        .unwrap_or_default();
    let subject = if reply == 0 {
        format!("Plan {thread} for group {group}")
    } else {
        format!("Re: Plan {thread} for group {group}")
    };
    let body = format!(
        "Hi all,\r\n\r\nHere is where plan {thread} of group {group} stands: the first part shipped on Tuesday, the second needs a review from someone who knows the billing code.\r\n\r\nWho can take it this week?\r\n\r\n-- \r\n{who}\r\n"
    );
    let bytes = format!(
        "From: {who} <{email}>\r\nTo: g{group}@corp.example\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{id}>\r\n{irt}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{body}"
    );
    RawMail {
        bytes: bytes.into_bytes(),
        source: "bench".into(),
        force_groups: vec![],
    }
}

async fn setup(store: &Arc<dyn Store>, a: &Args) {
    for g in 0..a.groups {
        let slug = Slug::parse(&format!("g{g}")).unwrap();
        let addr = GroupAddress::parse_all(&[&format!("g{g}@corp.example")]).unwrap();
        store
            .upsert_group(&slug, &format!("Group {g}"), &addr)
            .await
            .unwrap();
    }
    let settings = outloud::daemon::ingest_settings(&outloud::config::Config::default());
    let ingestor = Ingestor::new(store.clone(), settings).await.unwrap();
    let mut batch = Vec::new();
    for g in 0..a.groups {
        for t in 0..5 {
            for r in 0..3 {
                batch.push(mail(g, t, r));
            }
        }
    }
    for chunk in batch.chunks(500) {
        ingestor
            .ingest(chunk.to_vec(), None, DUE - DAY)
            .await
            .unwrap();
    }
    let rows: Vec<DirectoryRow> = (0..a.recipients)
        .map(|i| DirectoryRow {
            email: format!("outloud+d{i}@corp.example"),
            name: Some(format!("Reader {i}")),
            groups: [i % a.groups, (i + 1) % a.groups, (i + 7) % a.groups]
                .iter()
                .map(|g| Slug::parse(&format!("g{g}")).unwrap())
                .collect(),
        })
        .collect();
    store.import_directory(&rows, DUE - DAY).await.unwrap();
}

async fn run(a: Args) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&a, dir.path()).await;
    setup(&store, &a).await;
    let s = settings();
    let now = DUE + 3600;
    let period = s.schedule.current(now);
    let busy = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load before: {}", busy.trim());

    // 1. Selection and rendering alone.
    let inputs = store.digest_inputs(0).await.unwrap();
    let candidates = store.digest_candidates(period).await.unwrap();
    let people = outloud::digest::recipients::recipients(&inputs, &s.exclude);
    let addresses = inputs
        .group_addresses
        .iter()
        .map(|(ad, g)| (g.clone(), ad.clone()))
        .collect();
    let t = Instant::now();
    let mut bytes = 0usize;
    let mut n = 0usize;
    for r in &people {
        if let Some(d) = decide(&s, r, &candidates, &addresses, period, now).unwrap() {
            if let Some(m) = &d.mail {
                bytes += m.bytes.len();
                n += 1;
            }
        }
    }
    let pure = t.elapsed();
    println!(
        "selection+rendering: {} recipients, {} candidates, {n} digests ({} KiB average) in {:.2} s",
        people.len(),
        candidates.len(),
        bytes / n.max(1) / 1024,
        pure.as_secs_f64()
    );
    drop((inputs, candidates, people));

    // 2. The whole round into the outbox.
    let t = Instant::now();
    let r = run_round(&store, &s, period, now, RoundOptions::default())
        .await
        .unwrap();
    let round = t.elapsed();
    println!(
        "round (read, decide, render, queue): {} queued in {:.2} s",
        r.queued,
        round.as_secs_f64()
    );

    // 3. Sending through Postfix.
    let (sent, send) = send_all(&store, a.senders).await;
    let left = store
        .deliveries(&DeliveryFilter {
            state: Some(DeliveryState::Queued),
            ..Default::default()
        })
        .await
        .unwrap()
        .len();
    println!(
        "sending: {sent} sent by {} connections in {:.2} s ({:.0} mails/s), {left} left queued",
        a.senders,
        send.as_secs_f64(),
        sent as f64 / send.as_secs_f64()
    );
    println!(
        "whole round (round + sending): {:.2} s; peak RSS {:.0} MiB",
        (round + send).as_secs_f64(),
        peak_rss_mib()
    );
    println!(
        "load after: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
}

/// A fresh SQLite file in `dir`, or the `--pg` database emptied; migrated.
async fn open(a: &Args, dir: &std::path::Path) -> Arc<dyn Store> {
    let url = match &a.pg {
        Some(u) => {
            wipe(u).await;
            u.clone()
        }
        None => format!("sqlite:{}", dir.join("bench.db").display()),
    };
    let store = outloud::store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    println!("database: {}", store.backend());
    store
}

/// An empty PostgreSQL database: every table of an earlier run dropped.
async fn wipe(url: &str) {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        .execute(&mut c)
        .await
        .unwrap();
}

/// Every queued digest through `senders` concurrent outbox senders (replicas: they never claim
/// the same delivery): how many were sent, and how long it took.
async fn send_all(store: &Arc<dyn Store>, senders: usize) -> (usize, Duration) {
    let t = Instant::now();
    let stop = CancellationToken::new();
    let mut tasks = Vec::new();
    for i in 0..senders {
        let mut sender = OutboxSender::new(store.clone(), sender_settings(i));
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            sender.run_once(&stop).await.map(|r| r.sent)
        }));
    }
    let mut sent = 0;
    for task in tasks {
        sent += task.await.unwrap().unwrap();
    }
    (sent, t.elapsed())
}

fn sender_settings(i: usize) -> SenderSettings {
    let smtp = SmtpSettings {
        host: env("OUTLOUD_IMAP_HOST"),
        port: env("OUTLOUD_SUBMISSION_PORT").parse().unwrap(),
        tls: TlsMode::Starttls,
        ca_pem: Some(std::fs::read(env("OUTLOUD_MAILSTACK_CA")).unwrap()),
        credentials: Credentials::Password {
            user: env("OUTLOUD_IMAP_USER"),
            password: Secret(env("OUTLOUD_IMAP_PASSWORD")),
        },
        helo: lettre::transport::smtp::extension::ClientId::Domain("outloud.bench".into()),
        timeout: Duration::from_secs(30),
    };
    SenderSettings {
        instance: format!("bench-sender-{i}"),
        sender: settings().sender,
        smtp,
        rate_per_minute: 0,
        retry_secs: 48 * 3600,
        poll: Duration::from_secs(1),
        clock: Clock::fixed(DUE + 7200),
    }
}
