//! Hostile input against the real read view and store: one mail built to stall the HTML stage,
//! text built to deceive or to break the page layout. Behaviour only: no timed assertions
//! (the timings are in bench/ and docs/BENCHMARKS.md).

mod common;

use std::sync::Arc;

use outloud::core::pipeline::Options;
use outloud::ingest::{IngestSettings, Ingestor, MailResult, RawMail};
use outloud::store::Store;
use outloud::web::Application;
use tokio_util::sync::CancellationToken;

use common::{addresses, http_get, slug};

/// An HTML-only mail of `depth` nested `<div>`s around one sentence (100,000 make 1.1 MB).
fn nested_div_mail(depth: usize) -> Vec<u8> {
    let mut html = String::with_capacity(depth * 11 + 200);
    html.push_str("<html><body>");
    html.push_str(&"<div>".repeat(depth));
    html.push_str("The deepest sentence.");
    html.push_str(&"</div>".repeat(depth));
    html.push_str("</body></html>");
    format!(
        "From: Mallory <mallory@evil.example>\r\nTo: eng@corp.example\r\n\
         Subject: Nested\r\nMessage-ID: <nested@evil.example>\r\n\
         Date: Tue, 5 Mar 2024 14:07:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
    )
    .into_bytes()
}

async fn ingestor(store: Arc<dyn Store>) -> Ingestor {
    store
        .upsert_group(
            &slug("eng"),
            "Engineering",
            &addresses(&["eng@corp.example"]),
        )
        .await
        .unwrap();
    let settings = IngestSettings {
        pipeline: Options::default(),
        subject_window_secs: 14 * 86_400,
        log_each_mail: false,
    };
    Ingestor::new(store, settings).await.unwrap()
}

/// The read view serving `store` on a free loopback port, until [`Server::stop`].
struct Server {
    port: u16,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), outloud::web::WebError>>,
}

impl Server {
    async fn start(store: Arc<dyn Store>) -> Server {
        let app = Application::build("127.0.0.1:0", store).await.unwrap();
        let port = app.port();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(app.run_until_stopped(shutdown.clone()));
        Server {
            port,
            shutdown,
            task,
        }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_div_mail_is_stored_degraded_and_every_page_keeps_answering() {
    let db = common::sqlite().await;
    let ing = ingestor(db.store.clone()).await;
    let raw = nested_div_mail(100_000);
    assert!(raw.len() > 1_100_000, "{} bytes", raw.len());
    let reports = ing
        .ingest(
            vec![RawMail {
                bytes: raw,
                source: "test:nested".into(),
                force_groups: vec![],
            }],
            None,
            1_709_647_620,
        )
        .await
        .unwrap();
    assert!(
        matches!(reports[0].result, MailResult::Published { .. }),
        "{:?}",
        reports[0].result
    );
    let eng = db.store.groups().await.unwrap()[0].id;
    let thread = db.store.threads(eng, 10, 0).await.unwrap()[0].id;
    let detail = db.store.thread(thread).await.unwrap().unwrap();
    let m = &detail.messages[0];
    // The HTML part is not kept; the reason is, and the text part carries the words.
    assert_eq!(m.html, None);
    let note = m.html_note.as_deref().unwrap_or_default();
    assert!(note.contains("elements deep"), "{note:?}");
    assert!(
        m.clean.body.contains("The deepest sentence."),
        "{:?}",
        m.clean.body
    );

    let server = Server::start(db.store.clone()).await;
    let port = server.port;
    // Several views of the thread at once, and the other pages alongside them.
    let page = format!("/t/{thread}");
    let views: Vec<_> = (0..4)
        .map(|_| {
            let page = page.clone();
            tokio::spawn(async move { http_get(port, &page).await })
        })
        .collect();
    for path in ["/healthz", "/", "/g/eng", "/api/v1/groups"] {
        let (status, _) = http_get(port, path).await.expect(path);
        assert_eq!(status, 200, "{path}");
    }
    for v in views {
        let (status, body) = v.await.unwrap().expect("thread page");
        assert_eq!(status, 200);
        assert!(body.contains("The deepest sentence."));
        assert!(body.contains("Original HTML not shown"), "{body}");
        assert!(!body.contains("<div><div>"));
    }
    server.stop().await;
    db.cleanup().await;
}

/// Raise the soft file limit to the hard one (the test holds thousands of sockets), with the
/// util-linux tool rather than unsafe code; returns the soft limit in force afterwards.
fn raise_nofile() -> u64 {
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("prlimit")
        .args(["--pid", &pid, "--nofile=unlimited:"])
        .status();
    let hard = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            let line = l.lines().find(|l| l.starts_with("Max open files"))?;
            line.split_whitespace().nth(4)?.parse::<u64>().ok()
        });
    if let Some(hard) = hard {
        let _ = std::process::Command::new("prlimit")
            .args(["--pid", &pid, &format!("--nofile={hard}:")])
            .status();
    }
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            let line = l.lines().find(|l| l.starts_with("Max open files"))?;
            line.split_whitespace().nth(3)?.parse().ok()
        })
        .unwrap_or(1024)
}

/// Thousands of idle connections (opened and never used, as a slow-loris or a leaky client
/// pool does): `/healthz` still answers, the server keeps to its cap, and every idle
/// connection is closed by the server, by eviction at the cap or by the header timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_capped_and_closed() {
    use tokio::io::AsyncReadExt;
    let soft = raise_nofile();
    // Both ends of every connection live in this process; keep well inside the limit.
    let n = 3000usize.min((soft as usize).saturating_sub(400) / 2);
    assert!(n >= 500, "file limit {soft} too low for this test");
    let db = common::sqlite().await;
    let cap = 200;
    let app = Application::build("127.0.0.1:0", db.store.clone())
        .await
        .unwrap()
        .with_limits(outloud::web::Limits {
            max_connections: cap,
            header_timeout: std::time::Duration::from_secs(2),
        });
    let (port, stats) = (app.port(), app.stats());
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));

    let mut idle = Vec::with_capacity(n);
    for _ in 0..n {
        idle.push(
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap(),
        );
    }
    // The server answers while thousands of idle connections are open or queued.
    let (status, body) = http_get(port, "/healthz").await.expect("/healthz answers");
    assert_eq!(status, 200, "{body}");
    assert!(
        stats.open() <= cap,
        "{} open over the cap {cap}",
        stats.open()
    );
    // Every idle connection is closed by the server: read() sees end-of-file. Bounded: a
    // connection the server never closed fails the test instead of hanging it.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut closed = 0;
    for mut s in idle {
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout_at(deadline, s.read(&mut buf));
        if let Ok(Ok(0)) | Ok(Err(_)) = read.await {
            closed += 1;
        }
    }
    assert_eq!(closed, n, "idle connections left open by the server");
    assert!(stats.evicted() > 0, "the cap was never reached");
    let (status, _) = http_get(port, "/healthz").await.expect("/healthz answers");
    assert_eq!(status, 200);
    shutdown.cancel();
    server.await.unwrap().unwrap();
    assert_eq!(stats.open(), 0);
    db.cleanup().await;
}

/// A mail whose subject, sender name and attachment name carry bidi overrides, and one with a
/// 5,000-character subject without a space.
fn spoofing_mails() -> Vec<RawMail> {
    let spoof = "From: =?utf-8?b?{name}?= <eve@evil.example>\r\nTo: eng@corp.example\r\n\
        Subject: =?utf-8?b?{subject}?=\r\nMessage-ID: <spoof@evil.example>\r\n\
        Date: Tue, 5 Mar 2024 14:07:00 +0000\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n--b\r\n\
        Content-Type: application/octet-stream\r\n\
        Content-Disposition: attachment; filename*=utf-8''invoice%E2%80%AEgpj.exe\r\n\r\n\
        AAAA\r\n--b--\r\n";
    let b64 = |s: &str| {
        // Small base64 encoder, so the test needs no crate for it.
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in s.as_bytes().chunks(3) {
            let n = c
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..4 {
                if i <= c.len() {
                    out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    };
    let spoof = spoof
        .replace("{name}", &b64("Bob \u{202e}nimdA"))
        .replace("{subject}", &b64("Pay \u{202e}won 0001$"));
    let long = format!(
        "From: Ann <ann@corp.example>\r\nTo: eng@corp.example\r\nSubject: {}\r\n\
         Message-ID: <long@corp.example>\r\nDate: Tue, 5 Mar 2024 15:07:00 +0000\r\n\r\nhi\r\n",
        "W".repeat(5000)
    );
    [("spoof", spoof), ("long", long)]
        .into_iter()
        .map(|(name, m)| RawMail {
            bytes: m.into_bytes(),
            source: format!("test:{name}"),
            force_groups: vec![],
        })
        .collect()
}

#[tokio::test]
async fn mail_text_cannot_reorder_or_widen_the_page() {
    let db = common::sqlite().await;
    let ing = ingestor(db.store.clone()).await;
    ing.ingest(spoofing_mails(), None, 1_709_647_620)
        .await
        .unwrap();
    let eng = db.store.groups().await.unwrap()[0].id;
    let threads = db.store.threads(eng, 10, 0).await.unwrap();
    let long = threads
        .iter()
        .find(|t| t.subject.starts_with("WWW"))
        .unwrap();
    // Stored capped; the raw mail keeps all 5,000 characters.
    assert_eq!(long.subject.chars().count(), 500);
    assert!(long.subject.ends_with('…'));
    let spoof = threads
        .iter()
        .find(|t| t.subject.starts_with("Pay"))
        .unwrap();

    let server = Server::start(db.store.clone()).await;
    let port = server.port;

    let (_, group) = http_get(port, "/g/eng").await.unwrap();
    assert!(
        group.contains("<bdi>Pay \u{202e}won 0001$</bdi>"),
        "subject not isolated:\n{group}"
    );
    let (_, page) = http_get(port, &format!("/t/{}", spoof.id)).await.unwrap();
    // Every mail-supplied string is isolated, in the title with FSI…PDI.
    assert!(
        page.contains("<h1><bdi>Pay \u{202e}won 0001$</bdi></h1>"),
        "{page}"
    );
    assert!(
        page.contains("<title>\u{2068}Pay \u{202e}won 0001$\u{2069} ·"),
        "{page}"
    );
    assert!(
        page.contains(
            "<a class=\"author\" href=\"/p/eve%40evil.example\"><bdi>Bob \u{202e}nimdA</bdi></a>"
        ),
        "{page}"
    );
    // The file name shows its override instead of obeying it.
    assert!(
        page.contains("<bdi class=\"filename\">invoice[U+202E]gpj.exe</bdi>"),
        "{page}"
    );
    // The newer pages too: who posts here, the person page, search results.
    let bob = "<bdi>Bob \u{202e}nimdA</bdi>";
    assert!(group.contains(bob), "who posts here:\n{group}");
    let (_, person) = http_get(port, "/p/eve%40evil.example").await.unwrap();
    assert!(person.contains(bob), "{person}");
    assert!(
        person.contains("<bdi>Pay \u{202e}won 0001$</bdi>"),
        "{person}"
    );
    let (_, found) = http_get(port, "/search?q=attached").await.unwrap();
    assert!(found.contains(bob), "{found}");
    assert!(
        found.contains("<bdi>Pay \u{202e}won 0001$</bdi>"),
        "{found}"
    );
    assert!(
        found.contains("<p class=\"snippet\" dir=\"auto\">"),
        "{found}"
    );
    // Long words wrap: the stylesheet says so for every element holding mail text.
    let (_, css) = http_get(port, "/static/style.css").await.unwrap();
    assert!(css.contains("overflow-wrap: anywhere"), "{css}");
    assert!(css.contains("unicode-bidi: isolate"), "{css}");
    server.stop().await;
    db.cleanup().await;
}
