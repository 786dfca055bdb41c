//! Web sign-in on both backends, through the router as a browser would use it (cookies kept,
//! forms posted): emailed links (once, 15 minutes, newest only, a few per hour, never telling
//! whether an address is known, only a POST signs in), sessions, CSRF, the gate on pages and
//! API, personal API tokens; commenting, following, read marks, participants. The clock is
//! injected. OpenID Connect's ID token checks are unit-tested in `web::auth::oidc`; the browser
//! test signs in through a real provider.

#[macro_use]
mod common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::queued_to;
use common::web::{field, sign_in_links, signed_in, Browser, Page, SITE};
use outloud::clock::Clock;
use outloud::store::Store;
use outloud::web::{router_with_auth, AuthSettings, HealthDetail};

const T0: i64 = 1_800_000_000;

struct Site {
    store: Arc<dyn Store>,
    now: Arc<AtomicI64>,
    router: axum::Router,
}

fn site(store: Arc<dyn Store>, public: bool) -> Site {
    site_with_health(store, public, outloud::health::Health::new())
}

fn site_with_health(store: Arc<dyn Store>, public: bool, health: outloud::health::Health) -> Site {
    let now = Arc::new(AtomicI64::new(T0));
    let mut auth = AuthSettings::public_for_tests(SITE);
    auth.ingest = ingest_settings();
    auth.public = public;
    auth.allowed_domains = vec!["corp.example".into()];
    auth.admins = vec!["boss@corp.example".into()];
    auth.clock = Clock::from_fn({
        let now = now.clone();
        move || now.load(Ordering::Relaxed)
    });
    let router = router_with_auth(store.clone(), health, HealthDetail::default(), auth);
    Site { store, now, router }
}

impl common::web::Site for Site {
    fn router(&self) -> &axum::Router {
        &self.router
    }
}

/// Ask for a link for `email`; the page answered.
async fn ask(b: &mut Browser, site: &Site, email: &str) -> Page {
    let form = b.get(site, "/signin").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = field(&form.body, "csrf");
    b.post(
        site,
        "/signin/email",
        &[("email", email), ("csrf", &csrf), ("next", "/g/eng")],
    )
    .await
}

/// Open a link and press its button; the answer to the POST.
async fn use_link(b: &mut Browser, site: &Site, link: &str) -> Page {
    let page = b.get(site, link).await;
    if page.status != StatusCode::OK {
        return page;
    }
    assert!(page.body.contains(">Sign in</button>"), "{}", page.body);
    let (token, csrf, next) = (
        field(&page.body, "token"),
        field(&page.body, "csrf"),
        field(&page.body, "next"),
    );
    b.post(
        site,
        "/signin/link",
        &[("token", &token), ("csrf", &csrf), ("next", &next)],
    )
    .await
}

async fn anonymous_visitors_see_nothing(store: Arc<dyn Store>) {
    let s = site(store, false);
    let mut b = Browser::default();
    for path in ["/", "/g/eng", "/t/1", "/search?q=x", "/settings"] {
        let p = b.get(&s, path).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{path}");
        assert!(
            p.location.as_deref().unwrap().starts_with("/signin?next="),
            "{path}"
        );
        assert!(!p.body.contains("eng"), "{path}");
    }
    let api = b.get(&s, "/api/v1/groups").await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    for path in ["/healthz", "/signin", "/static/style.css"] {
        assert_eq!(b.get(&s, path).await.status, StatusCode::OK, "{path}");
    }
    // The counters of /metrics are for admins (healthz_detail_is_for_signed_in_admins).
    assert_eq!(b.get(&s, "/metrics").await.status, StatusCode::UNAUTHORIZED);
    // A made-up API token is no better.
    let req = Request::get("/api/v1/groups").header(header::AUTHORIZATION, "Bearer nope");
    assert_eq!(
        b.send(&s, req, Body::empty()).await.status,
        StatusCode::UNAUTHORIZED
    );
    // web.public opens it.
    let open = site(s.store.clone(), true);
    assert_eq!(
        Browser::default().get(&open, "/").await.status,
        StatusCode::OK
    );
}

async fn an_emailed_link_signs_in_once_by_post_only(store: Arc<dyn Store>) {
    let s = site(store, false);
    let mut b = Browser::default();
    let sent = ask(&mut b, &s, "  Ann@Corp.Example ").await;
    assert_eq!(sent.status, StatusCode::OK);
    assert!(sent.body.contains("Check your mail"), "{}", sent.body);
    let links = sign_in_links(&s.store, "ann@corp.example").await;
    assert_eq!(links.len(), 1);
    // The token in the link: 256 bits.
    assert!(
        links[0].contains("token=") && links[0].len() > 60,
        "{}",
        links[0]
    );
    // A scanner fetches the link (twice): nothing happens, nobody is signed in.
    let mut scanner = Browser::default();
    for _ in 0..2 {
        let p = scanner.get(&s, &links[0]).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("ann@corp.example"));
        assert!(!scanner.cookies.keys().any(|k| k.contains("session")));
    }
    // The person presses the button.
    let done = use_link(&mut b, &s, &links[0]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location.as_deref(), Some("/g/eng"));
    assert!(b.cookies.contains_key("outloud_session"));
    let home = b.get(&s, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Sign out"));
    assert_eq!(
        s.store.last_sign_in("ann@corp.example").await.unwrap(),
        Some(T0)
    );
    // Used once: the same link again is gone, for anyone.
    let again = use_link(&mut Browser::default(), &s, &links[0]).await;
    assert_eq!(again.status, StatusCode::GONE);
    // Signing out revokes the session server-side: the old cookie is worthless.
    let stolen = b.cookies.clone();
    let csrf = field(&home.body, "csrf");
    let out = b.post(&s, "/signout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let mut thief = Browser { cookies: stolen };
    assert_eq!(thief.get(&s, "/").await.status, StatusCode::SEE_OTHER);
}

async fn links_expire_and_a_new_one_cancels_the_old(store: Arc<dyn Store>) {
    let s = site(store, false);
    let mut b = Browser::default();
    ask(&mut b, &s, "bo@corp.example").await;
    ask(&mut b, &s, "bo@corp.example").await;
    let l = sign_in_links(&s.store, "bo@corp.example").await;
    assert_eq!(l.len(), 2);
    assert_eq!(
        use_link(&mut b, &s, &l[0]).await.status,
        StatusCode::GONE,
        "cancelled"
    );
    s.now.fetch_add(15 * 60, Ordering::Relaxed);
    assert_eq!(
        use_link(&mut b, &s, &l[1]).await.status,
        StatusCode::GONE,
        "expired"
    );
    s.now.fetch_sub(1, Ordering::Relaxed);
    assert_eq!(
        use_link(&mut b, &s, &l[1]).await.status,
        StatusCode::SEE_OTHER,
        "in time"
    );
}

async fn requests_are_limited_and_never_tell_who_is_known(store: Arc<dyn Store>) {
    let s = site(store, false);
    let mut b = Browser::default();
    let known = ask(&mut b, &s, "cy@corp.example").await;
    let unknown = ask(&mut b, &s, "cy@elsewhere.example").await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(
        known.body.replace("cy@corp.example", "X"),
        unknown.body.replace("cy@elsewhere.example", "X")
    );
    assert!(sign_in_links(&s.store, "cy@elsewhere.example")
        .await
        .is_empty());
    for _ in 0..10 {
        assert_eq!(
            ask(&mut b, &s, "cy@corp.example").await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        sign_in_links(&s.store, "cy@corp.example").await.len(),
        5,
        "5 per hour"
    );
    s.now.fetch_add(3601, Ordering::Relaxed);
    ask(&mut b, &s, "cy@corp.example").await;
    assert_eq!(
        sign_in_links(&s.store, "cy@corp.example").await.len(),
        6,
        "an hour later"
    );
}

async fn forms_need_their_csrf_token(store: Arc<dyn Store>) {
    let s = site(store, false);
    // No CSRF cookie: refused, nothing queued.
    let mut b = Browser::default();
    let p = b
        .post(
            &s,
            "/signin/email",
            &[("email", "di@corp.example"), ("csrf", "x")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(sign_in_links(&s.store, "di@corp.example").await.is_empty());
    // Signed in, a form without the session's token is refused.
    let mut b = signed_in(&s, &s.store, "di@corp.example").await;
    let p = b.post(&s, "/signout", &[("csrf", "forged")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(
        b.get(&s, "/").await.status,
        StatusCode::OK,
        "still signed in"
    );
    // A POST from another site is refused whatever it carries.
    let home = b.get(&s, "/settings").await;
    let csrf = field(&home.body, "csrf");
    let req = Request::post("/signout")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://evil.example");
    let body = format!("csrf={csrf}");
    let p = b
        .send(
            &s,
            req.header(header::CONTENT_LENGTH, body.len()),
            Body::from(body),
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
}

/// `/healthz` detail (the IMAP account, the server's error text) is for signed-in admins; a
/// signed-in colleague who is not one, like an anonymous caller, gets the status alone. The
/// same holds for `/metrics`: refused to both, read by the admin.
async fn healthz_detail_is_for_signed_in_admins(store: Arc<dyn Store>) {
    let health = outloud::health::Health::new();
    health.update("corp/INBOX", |m| {
        m.last_error = Some("outloud@imap.corp.example: login refused".into());
    });
    let s = site_with_health(store, false, health);
    let mut anonymous = Browser::default();
    let mut ed = signed_in(&s, &s.store, "ed@corp.example").await;
    let mut boss = signed_in(&s, &s.store, "boss@corp.example").await;
    for (b, who) in [(&mut anonymous, "anonymous"), (&mut ed, "ed")] {
        let p = b.get(&s, "/healthz").await;
        let v: serde_json::Value = serde_json::from_str(&p.body).unwrap();
        assert!(v["status"].is_string(), "{who}: {}", p.body);
        assert!(v.get("mailboxes").is_none(), "{who}: {}", p.body);
        assert!(!p.body.contains("imap.corp.example"), "{who}: {}", p.body);
    }
    let p = boss.get(&s, "/healthz").await;
    assert!(p.body.contains("login refused"), "admin: {}", p.body);
    for (b, who) in [(&mut anonymous, "anonymous"), (&mut ed, "ed")] {
        let p = b.get(&s, "/metrics").await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED, "{who}: {}", p.body);
        assert!(!p.body.contains("outloud_"), "{who}: {}", p.body);
    }
    let p = boss.get(&s, "/metrics").await;
    assert_eq!(p.status, StatusCode::OK, "admin: {}", p.body);
    assert!(p.body.ends_with("# EOF\n"), "admin: {}", p.body);
}

async fn personal_tokens_open_the_api_until_revoked(store: Arc<dyn Store>) {
    let s = site(store, false);
    let mut b = signed_in(&s, &s.store, "ed@corp.example").await;
    let settings = b.get(&s, "/settings").await;
    let csrf = field(&settings.body, "csrf");
    let made = b
        .post(
            &s,
            "/settings/tokens",
            &[("csrf", &csrf), ("label", "script")],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK);
    let at = made.body.find("<code class=\"token\">").unwrap() + 20;
    let token = made.body[at..at + made.body[at..].find('<').unwrap()].to_string();
    let api = |t: &str| {
        Request::get("/api/v1/groups").header(header::AUTHORIZATION, format!("Bearer {t}"))
    };
    let mut script = Browser::default();
    assert_eq!(
        script.send(&s, api(&token), Body::empty()).await.status,
        StatusCode::OK
    );
    // A token opens the API only, not the pages.
    let req = Request::get("/").header(header::AUTHORIZATION, format!("Bearer {token}"));
    assert_eq!(
        script.send(&s, req, Body::empty()).await.status,
        StatusCode::SEE_OTHER
    );
    let id = s.store.api_tokens("ed@corp.example").await.unwrap()[0]
        .id
        .to_string();
    let r = b
        .post(
            &s,
            "/settings/tokens/revoke",
            &[("csrf", &csrf), ("id", &id)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        script.send(&s, api(&token), Body::empty()).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The digest choice is kept on the account.
    b.post(&s, "/settings/digest", &[("csrf", &csrf), ("digest", "on")])
        .await;
    assert!(
        s.store
            .account("ed@corp.example")
            .await
            .unwrap()
            .unwrap()
            .digest_opt_in
    );
    b.post(&s, "/settings/digest", &[("csrf", &csrf)]).await;
    assert!(
        !s.store
            .account("ed@corp.example")
            .await
            .unwrap()
            .unwrap()
            .digest_opt_in
    );
    // Sessions are listed and revocable from the settings page.
    let sid = s.store.sessions("ed@corp.example", T0).await.unwrap()[0]
        .id
        .to_string();
    b.post(
        &s,
        "/settings/sessions/revoke",
        &[("csrf", &csrf), ("id", &sid)],
    )
    .await;
    assert_eq!(b.get(&s, "/settings").await.status, StatusCode::SEE_OTHER);
}

fn ingest_settings() -> outloud::ingest::IngestSettings {
    outloud::ingest::IngestSettings {
        pipeline: outloud::core::pipeline::Options {
            own: outloud::core::classify::OwnIdentity {
                addresses: vec!["outloud@localhost".into()],
                loop_marker: "outloud".into(),
                bounce_address: Some("bounces@localhost".into()),
            },
            ..Default::default()
        },
        subject_window_secs: 14 * 86_400,
        log_each_mail: false,
    }
}

async fn ingest(store: &Arc<dyn Store>, raws: Vec<outloud::ingest::RawMail>) -> Vec<String> {
    let ingestor = outloud::ingest::Ingestor::new(store.clone(), ingest_settings())
        .await
        .unwrap();
    let reports = ingestor.ingest(raws, None, T0).await.unwrap();
    reports.iter().map(|r| format!("{:?}", r.result)).collect()
}

fn raw(bytes: &[u8], source: &str) -> outloud::ingest::RawMail {
    outloud::ingest::RawMail {
        bytes: bytes.to_vec(),
        source: source.into(),
        force_groups: vec![],
    }
}

/// A group with one thread (from Bo, Cy in Cc) and Ann signed in: the site, Ann's browser,
/// the thread.
async fn commenter(store: Arc<dyn Store>) -> (Site, Browser, i64) {
    use outloud::model::{GroupAddress, Slug};
    let s = site(store, false);
    let eng = Slug::parse("eng").unwrap();
    s.store
        .upsert_group(
            &eng,
            "Engineering",
            &[GroupAddress::parse("eng@corp.example").unwrap()],
        )
        .await
        .unwrap();
    let root = b"From: Bo <bo@corp.example>\r\nTo: eng@corp.example\r\nCc: cy@partner.example\r\n\
Subject: Launch plan\r\nMessage-ID: <root@corp.example>\r\nDate: Tue, 1 Dec 2026 09:00:00 +0000\r\n\r\nShall we launch on Friday?\r\n";
    let r = ingest(&s.store, vec![raw(root, "imap:INBOX/1")]).await;
    assert!(r[0].starts_with("Published"), "{r:?}");
    let thread = s
        .store
        .threads(s.store.groups().await.unwrap()[0].id, 10, 0)
        .await
        .unwrap()[0]
        .id;

    let b = signed_in(&s, &s.store, "ann@corp.example").await;
    (s, b, thread)
}

/// The comment's mailed copy: to the group, Bo and Cy (in Cc), threaded, from outloud for Ann.
async fn comment_was_mailed(s: &Site) -> outloud::store::MessageRow {
    let thread = s
        .store
        .threads(s.store.groups().await.unwrap()[0].id, 10, 0)
        .await
        .unwrap()[0]
        .id;
    let detail = s.store.thread(thread).await.unwrap().unwrap();
    let c = detail.messages[1].clone();
    // Mailed to the group address and the thread's participant, threaded, from outloud.
    let to_group = queued_to(&s.store, "eng@corp.example").await;
    assert_eq!(to_group.len(), 1);
    let m = &to_group[0];
    assert_eq!(queued_to(&s.store, "bo@corp.example").await, to_group);
    assert_eq!(queued_to(&s.store, "cy@partner.example").await, to_group);
    assert!(queued_to(&s.store, "ann@corp.example")
        .await
        .iter()
        .all(|x| !x.contains("Friday")));
    for h in [
        "From: \"ann via outloud\" <outloud@localhost>",
        "Reply-To: ann@corp.example",
        "In-Reply-To: <root@corp.example>",
        "References: <root@corp.example>",
        &format!("Message-ID: <{}>", c.message_id),
    ] {
        assert!(m.contains(h), "{h} in {m}");
    }
    assert!(c.message_id.starts_with("outloud."));
    c
}

/// Reset and re-run every stored raw mail, as `outloud reprocess` does.
async fn reingest(s: &Site) {
    s.store.reset_derived().await.unwrap();
    let raws: Vec<_> = s
        .store
        .raws_after(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| outloud::ingest::RawMail {
            bytes: r.bytes,
            source: r.source,
            force_groups: r.force_groups,
        })
        .collect();
    ingest(&s.store, raws).await;
}

/// Reprocessed: the comment is back, once. The thread's new id.
async fn reprocessed(s: &Site) -> i64 {
    reingest(s).await;
    let gid = s.store.groups().await.unwrap()[0].id;
    let threads = s.store.threads(gid, 10, 0).await.unwrap();
    assert_eq!(threads.len(), 1);
    let again = s.store.thread(threads[0].id).await.unwrap().unwrap();
    let authors: Vec<&str> = again
        .messages
        .iter()
        .map(|m| m.author_email.as_str())
        .collect();
    assert_eq!(authors, ["bo@corp.example", "ann@corp.example"]);
    threads[0].id
}

/// The thread page's participants, from the stored To and Cc: Bo and Cy, not the group
/// address; "Reply by email" addresses the group and them, Re: subject, In-Reply-To.
fn participants_shown(body: &str) {
    assert!(body.contains("mailto:eng@corp.example,bo@corp.example,cy@partner.example?subject=Re%3A%20Launch%20plan&amp;In-Reply-To=%3Croot@corp.example%3E"), "{body}");
    let people = &body[body.find("Participants").expect("participants")..];
    let people = &people[..people.find("</ul>").unwrap()];
    assert!(
        people.contains(">Bo<") && people.contains("cy@partner.example"),
        "{people}"
    );
    assert!(!people.contains("eng@corp.example"), "{people}");
}

async fn a_comment_is_filed_at_once_and_mailed_into_the_thread(store: Arc<dyn Store>) {
    let (s, mut b, thread) = commenter(store).await;
    let page = b.get(&s, &format!("/t/{thread}")).await;
    assert_eq!(page.status, StatusCode::OK);
    participants_shown(&page.body);
    let csrf = field(&page.body, "csrf");
    let done = b
        .post(
            &s,
            &format!("/t/{thread}/comment"),
            &[("csrf", &csrf), ("text", "Friday works for me.")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location, Some(format!("/t/{thread}?posted=1#posted")));
    let shown = b.get(&s, done.location.as_deref().unwrap()).await;
    assert!(
        shown
            .body
            .contains("role=\"status\" tabindex=\"-1\" class=\"posted\">Your comment is posted"),
        "{}",
        shown.body
    );
    let detail = s.store.thread(thread).await.unwrap().unwrap();
    assert_eq!(detail.messages.len(), 2);
    let c = &detail.messages[1];
    assert_eq!(c.author_email, "ann@corp.example");
    assert_eq!(c.via, outloud::model::Via::Web);
    assert!(c.clean.body.contains("Friday works for me."));
    assert!(b
        .get(&s, &format!("/t/{thread}"))
        .await
        .body
        .contains("Friday works for me."));

    comment_was_mailed(&s).await;
    let m = &queued_to(&s.store, "eng@corp.example").await[0];
    // Its copy coming back through the group mailbox is not published twice.
    let back = ingest(&s.store, vec![raw(m.as_bytes(), "imap:INBOX/2")]).await;
    assert!(back[0].starts_with("Skipped"), "{back:?}");
    assert_eq!(
        s.store
            .thread(thread)
            .await
            .unwrap()
            .unwrap()
            .messages
            .len(),
        2
    );

    let rebuilt = reprocessed(&s).await;
    // A new post from the group page: a new thread, mailed to the group.
    let g = b.get(&s, "/g/eng").await;
    let csrf = field(&g.body, "csrf");
    let p = b
        .post(
            &s,
            "/g/eng/post",
            &[
                ("csrf", &csrf),
                ("subject", "Offsite"),
                ("text", "Who is in?"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let t = p.location.unwrap();
    assert!(b.get(&s, &t).await.body.contains("Who is in?"));
    let posted = queued_to(&s.store, "eng@corp.example").await;
    assert!(posted
        .iter()
        .any(|m| m.contains("Subject: Offsite") && !m.contains("In-Reply-To")));
    // An empty comment is refused, nothing is mailed.
    let empty = b
        .post(
            &s,
            &format!("/t/{rebuilt}/comment"),
            &[("csrf", &csrf), ("text", "  ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
}

async fn following_fills_the_home_page_with_unread_marks(store: Arc<dyn Store>) {
    let (s, mut b, thread) = commenter(store).await;
    let home = b.get(&s, "/").await;
    assert!(
        home.body.contains("You follow no group yet"),
        "{}",
        home.body
    );
    let g = b.get(&s, "/g/eng").await;
    assert!(g.body.contains(">Follow</button>"));
    let csrf = field(&g.body, "csrf");
    let f = b
        .post(&s, "/g/eng/follow", &[("csrf", &csrf), ("on", "1")])
        .await;
    assert_eq!(f.status, StatusCode::SEE_OTHER);
    assert!(b
        .get(&s, "/g/eng")
        .await
        .body
        .contains(">Following</button>"));
    let home = b.get(&s, "/").await;
    assert!(home.body.contains("Launch plan"), "{}", home.body);
    assert!(
        home.body.contains("class=\"unread\""),
        "unread before opening"
    );
    b.get(&s, &format!("/t/{thread}")).await;
    let home = b.get(&s, "/").await;
    assert!(home.body.contains("Launch plan") && !home.body.contains("class=\"unread\""));
    // `outloud reprocess` deletes every thread and files the mail again (new ids on
    // PostgreSQL; SQLite may reuse them): the read mark stays.
    reingest(&s).await;
    let home = b.get(&s, "/").await;
    assert!(
        home.body.contains("Launch plan") && !home.body.contains("class=\"unread\""),
        "{}",
        home.body
    );
    // A new message makes it unread again.
    let reply = b"From: Cy <cy@partner.example>\r\nTo: eng@corp.example\r\n\
Subject: Re: Launch plan\r\nMessage-ID: <r1@partner.example>\r\nIn-Reply-To: <root@corp.example>\r\n\
Date: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\nFine by me.\r\n";
    let r = ingest(&s.store, vec![raw(reply, "imap:INBOX/3")]).await;
    assert!(r[0].starts_with("Published"), "{r:?}");
    assert!(b.get(&s, "/").await.body.contains("class=\"unread\""));
    // Who posts here: Bo and Cy, one message each, linking to their pages.
    let g = b.get(&s, "/g/eng").await.body;
    let who = &g[g.find("Who posts here").expect("who posts here")..];
    assert!(
        who.contains("/p/bo%40corp.example") || who.contains("/p/bo@corp.example"),
        "{who}"
    );
    assert!(
        who.contains(">Bo<") && who.contains(">Cy<") && who.contains("1 message<"),
        "{who}"
    );
    assert!(b.get(&s, "/settings").await.body.contains("Unfollow"));
    // The author's page.
    let p = b.get(&s, "/p/bo@corp.example").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("Launch plan") && p.body.contains("#eng"));
    assert_eq!(
        b.get(&s, "/p/nobody@corp.example").await.status,
        StatusCode::NOT_FOUND
    );
    // Unfollowing empties the home page again.
    b.post(&s, "/g/eng/follow", &[("csrf", &csrf), ("on", "0")])
        .await;
    assert!(b
        .get(&s, "/")
        .await
        .body
        .contains("You follow no group yet"));
}

async fn feeds_carry_a_revocable_token(store: Arc<dyn Store>) {
    let (s, mut b, _) = commenter(store).await;
    let g = b.get(&s, "/g/eng").await;
    let csrf = field(&g.body, "csrf");
    b.post(&s, "/g/eng/follow", &[("csrf", &csrf), ("on", "1")])
        .await;
    // Signed in, the group feed is there; anonymous, it is not.
    let own = b.get(&s, "/g/eng/feed.atom").await;
    assert!(own.body.starts_with("<?xml") && own.body.contains("<title>Launch plan</title>"));
    assert_eq!(
        Browser::default().get(&s, "/g/eng/feed.atom").await.status,
        StatusCode::SEE_OTHER
    );
    let made = b.post(&s, "/settings/feed", &[("csrf", &csrf)]).await;
    let at = made.body.find("<code class=\"token\">").unwrap() + 20;
    let url = made.body[at..at + made.body[at..].find('<').unwrap()]
        .replace("&#x2f;", "/")
        .replace(SITE, "");
    let mut reader = Browser::default();
    let home = reader.get(&s, &url).await;
    assert_eq!(home.status, StatusCode::OK, "{url}");
    assert!(
        home.body.contains("<title>Launch plan</title>"),
        "{}",
        home.body
    );
    let group = reader
        .get(&s, &url.replace("home.atom", "g/eng.atom"))
        .await;
    assert!(group.body.contains("<title>Launch plan</title>"));
    // A new address revokes the old one.
    b.post(&s, "/settings/feed", &[("csrf", &csrf)]).await;
    assert_eq!(reader.get(&s, &url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        reader.get(&s, "/feeds/made-up/home.atom").await.status,
        StatusCode::NOT_FOUND
    );
}

story!(
    feeds_carry_a_revocable_token,
    following_fills_the_home_page_with_unread_marks,
    a_comment_is_filed_at_once_and_mailed_into_the_thread,
    anonymous_visitors_see_nothing,
    an_emailed_link_signs_in_once_by_post_only,
    links_expire_and_a_new_one_cancels_the_old,
    requests_are_limited_and_never_tell_who_is_known,
    forms_need_their_csrf_token,
    personal_tokens_open_the_api_until_revoked,
    healthz_detail_is_for_signed_in_admins,
);
