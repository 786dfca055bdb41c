//! The read view over a real SQLite store: pages, API, security headers, and one run over TCP.
// The fixture builds one realistic network in one place; splitting it would scatter it.
#![allow(clippy::too_many_lines)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use outloud::core::plan::{
    ItemOutcome, NewMessage, NewRaw, NewThread, Planned, ThreadRef, WriteSet,
};
use outloud::core::sanitize::sanitize_html;
use outloud::model::{Address, Attachment, Attachments, CleanBody, GroupAddress, Slug, Via};
use outloud::store::Store;
use outloud::web::{router, Application, WebError, CONTENT_SECURITY_POLICY};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

const T0: i64 = 1_709_647_620; // Tue 5 Mar 2024, 14:07 UTC
const OLD_TOPICS: i64 = 55;

const NASTY_BODY: &str = "Ship it on Friday.\nSecond line <script>alert(1)</script>";
const NASTY_HTML: &str = r#"<p>Ship it on <b>Friday</b>.</p><script>alert(2)</script><img src="http://evil/x.png" onerror="alert(3)"><style>p{background:url(http://evil/s.png)}</style><a href="javascript:alert(4)">x</a>"#;

struct Fixture {
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

fn raw(sha: &str, message_id: &str, at: i64) -> NewRaw {
    NewRaw {
        sha256: sha.into(),
        message_id: message_id.into(),
        source: format!("test:{message_id}"),
        force_groups: vec![],
        received_at: at,
        bytes: Arc::new(format!("Message-ID: <{message_id}>\r\n\r\nbody\r\n").into_bytes()),
    }
}

fn thread(group_id: i64, subject: &str, start: i64, last: i64, count: i64) -> NewThread {
    NewThread {
        group_id,
        subject: subject.into(),
        subject_key: subject.to_lowercase(),
        started_at: start,
        last_activity: last,
        message_count: count,
    }
}

#[allow(clippy::too_many_arguments)] // a test row builder: every field matters to some test
fn message(
    group_id: i64,
    thread: usize,
    sha: Option<&str>,
    message_id: &str,
    author: Address,
    date: i64,
    subject: &str,
    body: &str,
) -> NewMessage {
    NewMessage {
        place: Planned {
            group_id,
            thread: ThreadRef::New(thread),
        },
        raw_sha256: sha.map(str::to_string),
        message_id: message_id.into(),
        author_email: author.email,
        author_name: author.name,
        date,
        date_trust: outloud::core::plan::DateTrust::Exact,
        subject: subject.into(),
        subject_key: subject.to_lowercase(),
        subject_link: false,
        clean: CleanBody {
            body: body.into(),
            ..CleanBody::default()
        },
        html: None,
        html_note: None,
        attachments: Attachments::default(),
        recipients: Default::default(),
        via: Via::Cc,
        reconstructed: false,
    }
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).unwrap()
}

fn addresses(a: &str) -> Vec<GroupAddress> {
    vec![GroupAddress::parse(a).unwrap()]
}

/// Groups `eng` (55 old topics + "Launch plan", latest), `ops` ("Launch plan", the same mail
/// cc'd to both) and `quiet` (nothing). "Launch plan" in eng holds a reconstructed entry and
/// the nasty mail.
async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("outloud.db").display());
    // `store::open` picks SqliteStore for a `sqlite:` URL.
    let store = outloud::store::open(&url).await.expect("open sqlite");
    assert_eq!(store.backend(), "sqlite");
    store.migrate().await.expect("migrate");
    let eng = store
        .upsert_group(&slug("eng"), "Engineering", &addresses("eng@corp.example"))
        .await
        .unwrap();
    let ops = store
        .upsert_group(&slug("ops"), "Operations", &addresses("ops@corp.example"))
        .await
        .unwrap();
    store
        .upsert_group(
            &slug("quiet"),
            "Quiet <corner>",
            &addresses("quiet@corp.example"),
        )
        .await
        .unwrap();

    let ann = Address::new(Some("Ann Example"), "ann@corp.example");
    let bob = Address::new(None, "bob@corp.example");
    let mut ws = WriteSet {
        people: vec![ann.clone(), bob.clone()],
        ..WriteSet::default()
    };
    for i in 0..OLD_TOPICS {
        let at = T0 - 100_000 + i * 60;
        let (sha, mid) = (format!("{i:064x}"), format!("topic{i}@corp.example"));
        let subject = format!("Topic {i:02}");
        ws.raws.push(raw(&sha, &mid, at));
        ws.threads.push(thread(eng.id, &subject, at, at, 1));
        let idx = ws.threads.len() - 1;
        ws.messages.push(message(
            eng.id,
            idx,
            Some(&sha),
            &mid,
            bob.clone(),
            at,
            &subject,
            &format!("Body of topic {i}"),
        ));
        ws.refs.push((eng.id, mid, ThreadRef::New(idx)));
        ws.outcomes.push(ItemOutcome::Filed(vec![]));
    }

    let sha = "f".repeat(64);
    let mid = "launch@corp.example";
    ws.raws.push(raw(&sha, mid, T0));
    let mut nasty = message(
        eng.id,
        0,
        Some(&sha),
        mid,
        ann.clone(),
        T0,
        "Launch plan",
        NASTY_BODY,
    );
    nasty.clean.quoted = "> When do we ship?".into();
    nasty.clean.signoff = "Best regards,".into();
    nasty.clean.signature = "Ann\nStaff Engineer".into();
    nasty.clean.disclaimer = "CONFIDENTIAL: for the addressee only".into();
    nasty.html = Some(sanitize_html(NASTY_HTML));
    nasty.attachments = Attachments(vec![Attachment {
        filename: Some("plan.pdf".into()),
        content_type: "application/pdf".into(),
        size: 2048,
    }]);
    for (group_id, n) in [(eng.id, 2), (ops.id, 1)] {
        ws.threads
            .push(thread(group_id, "Launch plan", T0 - 3600, T0, n));
        let idx = ws.threads.len() - 1;
        if group_id == eng.id {
            let mut rebuilt = message(
                group_id,
                idx,
                None,
                "rebuilt-1@outloud.invalid",
                bob.clone(),
                T0 - 3600,
                "Launch plan",
                "When do we ship?",
            );
            rebuilt.reconstructed = true;
            ws.messages.push(rebuilt);
        }
        ws.messages.push(NewMessage {
            place: Planned {
                group_id,
                thread: ThreadRef::New(idx),
            },
            ..nasty.clone()
        });
        ws.refs
            .push((group_id, mid.to_string(), ThreadRef::New(idx)));
    }
    ws.outcomes.push(ItemOutcome::Filed(vec![]));

    let lookup = outloud::core::plan::Lookup::default();
    store
        .ingest(&lookup, &move |_| ws.clone(), None)
        .await
        .expect("ingest");
    Fixture { store, _dir: dir }
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn get(f: &Fixture, uri: &str) -> Reply {
    let res = router(f.store.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    let r = Reply {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    };
    assert_safe(uri, &r);
    r
}

/// Every response: security headers, and nothing of the nasty mail alive.
fn assert_safe(uri: &str, r: &Reply) {
    assert_eq!(
        r.headers["content-security-policy"], CONTENT_SECURITY_POLICY,
        "{uri}"
    );
    assert_eq!(r.headers["x-content-type-options"], "nosniff", "{uri}");
    assert_eq!(r.headers["referrer-policy"], "no-referrer", "{uri}");
    let lower = r.body.to_ascii_lowercase();
    for bad in [
        "<script",
        "<img",
        "<style",
        "onerror",
        "evil/",
        "javascript:",
        "alert(2)",
        "alert(3)",
    ] {
        assert!(
            !lower.contains(bad),
            "{uri}: {bad:?} in response:\n{}",
            r.body
        );
    }
}

fn json(r: &Reply) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.body))
}

async fn thread_id(f: &Fixture, slug: &str, subject: &str) -> i64 {
    let list = json(&get(f, &format!("/api/v1/groups/{slug}/threads?limit=500")).await);
    list.as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"] == subject)
        .expect(subject)["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn index_lists_every_group_in_store_order() {
    let f = fixture().await;
    let r = get(&f, "/").await;
    assert_eq!(r.status, StatusCode::OK);
    let summaries = f.store.group_summaries().await.unwrap();
    let mut last = 0;
    for g in &summaries {
        let at = r
            .body
            .find(&format!(r#"href="/g/{}""#, g.group.slug))
            .expect(&g.group.slug);
        assert!(at > last, "groups in store order");
        last = at;
    }
    assert!(r.body.contains("Quiet &lt;corner&gt;"));
    assert!(r.body.contains("eng@corp.example"));
    assert!(r.body.contains(">56<"), "eng thread count");
}

#[tokio::test]
async fn group_page_latest_first_with_paging() {
    let f = fixture().await;
    let r = get(&f, "/g/eng").await;
    assert_eq!(r.status, StatusCode::OK);
    let b = &r.body;
    let launch = b.find("Launch plan").unwrap();
    let t54 = b.find("Topic 54").unwrap();
    let t53 = b.find("Topic 53").unwrap();
    assert!(launch < t54 && t54 < t53);
    assert!(
        b.contains("Topic 06") && !b.contains("Topic 05<"),
        "page 1 holds 50 threads"
    );
    assert!(b.contains(r#"href="/g/eng?page=2""#));

    let r = get(&f, "/g/eng?page=2").await;
    for i in 0..=5 {
        assert!(
            r.body.contains(&format!("Topic {i:02}")),
            "Topic {i:02} on page 2"
        );
    }
    assert!(!r.body.contains("Topic 06") && !r.body.contains("Launch plan"));
    assert!(!r.body.contains(r#"rel="next""#));
}

#[tokio::test]
async fn thread_page_shows_bodies_parts_and_links() {
    let f = fixture().await;
    let id = thread_id(&f, "eng", "Launch plan").await;
    let ops_id = thread_id(&f, "ops", "Launch plan").await;
    let r = get(&f, &format!("/t/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let b = &r.body;
    assert!(
        b.contains("Ship it on Friday.\nSecond line &lt;script&gt;"),
        "body escaped, line breaks kept"
    );
    assert!(b.contains("Ann Example") && b.contains("&lt;<bdi>ann@corp.example</bdi>&gt;"));
    assert!(b.contains("Tue 5 Mar 2024, 14:07 UTC"));
    assert!(b.contains("reconstructed from quotes"));
    assert!(
        b.find("When do we ship?</div>").unwrap() < b.find("Ship it on Friday.\n").unwrap(),
        "oldest first"
    );
    for summary in [
        "Quoted history",
        "Sign-off",
        "Signature",
        "Disclaimer",
        "Original HTML (sanitised)",
    ] {
        assert!(
            b.contains(&format!(
                "<details class=\"part\"><summary>{summary}</summary>"
            )),
            "{summary}"
        );
    }
    assert!(
        b.contains("<p>Ship it on <b>Friday</b>.</p>"),
        "sanitised HTML rendered"
    );
    assert!(b.contains("plan.pdf") && b.contains("2.0 KB"));
    assert!(
        b.contains(&format!(r#"<a href="/t/{ops_id}">#ops</a>"#)),
        "also in #ops"
    );
}

#[tokio::test]
async fn unknown_things_are_404() {
    let f = fixture().await;
    for uri in [
        "/g/nope",
        "/t/999999",
        "/t/x",
        "/nowhere",
        "/api/v1/groups/nope/threads",
        "/api/v1/threads/999999",
        "/api/v1/nope",
    ] {
        assert_eq!(get(&f, uri).await.status, StatusCode::NOT_FOUND, "{uri}");
    }
    for uri in [
        "/api/v1/threads/x",
        "/api/v1/groups/eng/threads?limit=501",
        "/api/v1/groups/eng/threads?offset=-1",
        "/g/eng?page=0",
    ] {
        assert_eq!(get(&f, uri).await.status, StatusCode::BAD_REQUEST, "{uri}");
    }
}

#[tokio::test]
async fn api_json_shapes() {
    let f = fixture().await;
    let groups = json(&get(&f, "/api/v1/groups").await);
    let eng = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["slug"] == "eng")
        .unwrap();
    for key in [
        "id",
        "slug",
        "name",
        "addresses",
        "thread_count",
        "message_count",
        "last_activity",
    ] {
        assert!(eng.get(key).is_some(), "GroupSummary.{key}");
    }
    assert_eq!(eng["thread_count"], 56);
    assert_eq!(eng["addresses"][0], "eng@corp.example");

    let threads = json(&get(&f, "/api/v1/groups/eng/threads").await);
    let threads = threads.as_array().unwrap();
    assert_eq!(threads.len(), 50, "default limit");
    assert_eq!(threads[0]["subject"], "Launch plan");
    assert_eq!(threads[1]["subject"], "Topic 54");
    let page = json(&get(&f, "/api/v1/groups/eng/threads?limit=2&offset=2").await);
    assert_eq!(page[0]["subject"], "Topic 53");
    assert_eq!(page.as_array().unwrap().len(), 2);

    let id = threads[0]["id"].as_i64().unwrap();
    let d = json(&get(&f, &format!("/api/v1/threads/{id}")).await);
    assert_eq!(d["thread"]["id"], id);
    let msgs = d["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["reconstructed"], true);
    assert_eq!(msgs[1]["body"], NASTY_BODY, "text survives JSON escaping");
    assert_eq!(msgs[1]["via"], "cc");
    assert_eq!(msgs[1]["attachments"][0]["content_type"], "application/pdf");
    assert_eq!(d["linked"][0]["group_slug"], "ops");

    let err = json(&get(&f, "/api/v1/threads/999999").await);
    assert!(err["error"].is_string());
    assert_eq!(
        json(&get(&f, "/healthz").await),
        serde_json::json!({"status": "ok"})
    );
}

#[tokio::test]
async fn openapi_parses_and_lists_every_route() {
    let f = fixture().await;
    let doc = json(&get(&f, "/api/v1/openapi.json").await);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for route in [
        "/",
        "/groups",
        "/groups/{slug}/threads",
        "/threads/{id}",
        "/search",
        "/openapi.json",
        "/healthz",
    ] {
        assert!(
            paths.contains_key(route),
            "{route} missing from openapi.json"
        );
    }
}

#[tokio::test]
async fn api_root_answers_with_an_index_of_routes() {
    let f = fixture().await;
    for path in ["/api/v1", "/api/v1/"] {
        let res = get(&f, path).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
        let index = json(&res);
        assert_eq!(index["openapi"], "/api/v1/openapi.json");
        let routes: Vec<String> = index["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r["method"].as_str().unwrap(),
                    r["path"].as_str().unwrap()
                )
            })
            .collect();
        for route in [
            "GET /api/v1",
            "GET /api/v1/groups",
            "GET /api/v1/groups/{slug}/threads",
            "GET /api/v1/threads/{id}",
            "GET /api/v1/search",
            "GET /api/v1/openapi.json",
            "GET /healthz",
        ] {
            assert!(
                routes.contains(&route.to_string()),
                "{route} not in {routes:?}"
            );
        }
        assert!(index["routes"][1]["summary"].as_str().unwrap().len() > 10);
    }
    // Every listed route answers (with a real slug and id where the path has one).
    let t = json(&get(&f, "/api/v1/groups/eng/threads").await)[0]["id"].clone();
    for route in json(&get(&f, "/api/v1").await)["routes"]
        .as_array()
        .unwrap()
    {
        let path = route["path"]
            .as_str()
            .unwrap()
            .replace("{slug}", "eng")
            .replace("{id}", &t.to_string());
        // Search needs something to search for.
        let path = match path.ends_with("/search") {
            true => format!("{path}?q=topic"),
            false => path,
        };
        assert_eq!(get(&f, &path).await.status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn search_page_and_api_find_marked_and_escaped() {
    let f = fixture().await;
    // Every page offers the search box.
    assert!(get(&f, "/").await.body.contains(r#"action="/search""#));
    // The page: hits in both groups the mail was cc'd to, linking to the message, the
    // matches marked and the mail's markup escaped (assert_safe checks no tag is alive).
    let r = get(&f, "/search?q=script+FRIDAY").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("<mark>Friday</mark>"), "{}", r.body);
    assert!(r.body.contains("&lt;<mark>script</mark>&gt;"), "{}", r.body);
    let eng_launch = thread_id(&f, "eng", "Launch plan").await;
    assert!(
        r.body.contains(&format!(r#"href="/t/{eng_launch}#m"#)),
        "{}",
        r.body
    );
    assert!(r.body.contains("#ops") && r.body.contains("#eng"));
    // The form's fields come back filled in; an empty field is no filter.
    let r = get(
        &f,
        "/search?q=friday&group=ops&author=ann&from=&to=2024-03-05",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body.matches(r#"<p class="snippet" dir="auto">"#).count(),
        1,
        "{}",
        r.body
    );
    assert!(r.body.contains(r#"<option value="ops" selected>"#));
    assert!(r.body.contains(r#"value="2024-03-05""#));
    // Paging: 55 topics, 20 a page.
    let r = get(&f, "/search?q=topic&page=3").await;
    assert!(
        r.body.contains(r#"<ol class="hits" start="41""#),
        "{}",
        r.body
    );
    assert!(r.body.contains(
        r#"rel="prev" href="/search?q=topic&amp;group=&amp;author=&amp;from=&amp;to=&amp;page=2""#
    ));
    assert!(!r.body.contains(r#"rel="next""#));
    // Nothing asked, nothing to search for, bad fields.
    let r = get(&f, "/search").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("role=\"alert\""));
    assert!(get(&f, "/search?q=%22%22")
        .await
        .body
        .contains("Type a word"));
    let r = get(&f, "/search?q=x&from=yesterday").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("YYYY-MM-DD") && r.body.contains(r#"name="q""#));
    assert_eq!(
        get(&f, "/search?q=x&group=nope").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&f, "/search?q=x&page=0").await.status,
        StatusCode::BAD_REQUEST
    );

    // The API: the same hits as JSON, markup only in the marked fields.
    let j = json(&get(&f, "/api/v1/search?q=friday&group=eng").await);
    assert_eq!(j["hits"].as_array().unwrap().len(), 1);
    let hit = &j["hits"][0];
    assert_eq!(hit["thread_id"], eng_launch);
    assert_eq!(hit["author_email"], "ann@corp.example");
    assert!(hit["snippet_html"]
        .as_str()
        .unwrap()
        .contains("<mark>Friday</mark>"));
    assert_eq!(j["has_more"], false);
    let j = json(&get(&f, "/api/v1/search?q=topic&limit=50").await);
    assert_eq!(
        (j["hits"].as_array().unwrap().len(), &j["has_more"]),
        (50, &true.into())
    );
    let j = json(
        &get(
            &f,
            "/api/v1/search?author=bob%40corp.example&q=topic&offset=50",
        )
        .await,
    );
    assert_eq!(
        (j["hits"].as_array().unwrap().len(), &j["has_more"]),
        (5, &false.into())
    );
    for (uri, status) in [
        ("/api/v1/search", StatusCode::BAD_REQUEST),
        ("/api/v1/search?q=%20%2A%20", StatusCode::BAD_REQUEST),
        ("/api/v1/search?q=x&group=nope", StatusCode::NOT_FOUND),
        ("/api/v1/search?q=x&from=yesterday", StatusCode::BAD_REQUEST),
        ("/api/v1/search?q=x&limit=101", StatusCode::BAD_REQUEST),
        ("/api/v1/search?q=x&offset=-1", StatusCode::BAD_REQUEST),
    ] {
        let r = get(&f, uri).await;
        assert_eq!(r.status, status, "{uri}: {}", r.body);
        assert!(json(&r)["error"].is_string(), "{uri}");
    }
}

/// A hand-written HTTP/1.1 GET; returns the whole response text.
async fn http_get(port: u16, path: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn serves_over_tcp_and_stops_on_cancel() {
    let f = fixture().await;
    let app = Application::build("127.0.0.1:0", f.store.clone())
        .await
        .unwrap();
    let port = app.port();
    assert_ne!(port, 0);

    // The port is taken now: a second bind must fail and name the address.
    let taken = format!("127.0.0.1:{port}");
    match Application::build(&taken, f.store.clone()).await {
        Err(e @ WebError::Bind { .. }) => assert!(e.to_string().contains(&taken), "{e}"),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("second bind on {taken} succeeded"),
    }

    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));

    let health = http_get(port, "/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.to_ascii_lowercase().contains(
        &format!("content-security-policy: {CONTENT_SECURITY_POLICY}").to_ascii_lowercase()
    ));
    assert!(health.ends_with(r#"{"status":"ok"}"#), "{health}");

    let page = http_get(port, "/g/eng").await;
    assert!(
        page.starts_with("HTTP/1.1 200") && page.contains("Launch plan"),
        "{page}"
    );
    assert!(http_get(port, "/t/999999")
        .await
        .starts_with("HTTP/1.1 404"));

    shutdown.cancel();
    server.await.unwrap().unwrap();
}
