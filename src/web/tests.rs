//! Router tests against an in-memory store, so rendering, routing, headers and error handling
//! are checked without a database (tests/web.rs repeats the story on a real SqliteStore).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

use super::{router, CONTENT_SECURITY_POLICY};
use crate::core::compose::Outgoing;
use crate::core::plan::{Checkpoint, GroupId, Known, Lookup, MessageRowId, ThreadId, WriteSet};
use crate::model::{
    Attachment, Attachments, CleanBody, DateTrust, GroupAddress, GroupEntry, Slug, Via,
};
use crate::store::accounts::{
    Account, ApiTokenRow, LinkOutcome, LinkRequest, NewSession, OidcLogin, SessionRow,
};
use crate::store::outbox::{
    AttemptRow, BounceEvent, ClaimRequest, ClaimedDelivery, DeliveryEnd, DeliveryFilter,
    DeliveryId, DeliveryRow, OutboxCounts, Queued,
};
use crate::store::*;

#[derive(Default)]
struct FakeStore {
    groups: Vec<GroupSummary>,
    threads: Vec<ThreadSummary>,
    details: Vec<ThreadDetail>,
    /// Every read fails, to exercise 500 handling.
    broken: bool,
    /// (group_id, limit, offset) of each `threads` call.
    calls: Mutex<Vec<(GroupId, i64, i64)>>,
    /// What every search finds (paged by its limit and offset).
    hits: Vec<SearchHit>,
    /// Each search asked for.
    searches: Mutex<Vec<SearchQuery>>,
}

impl FakeStore {
    fn check(&self) -> Result<()> {
        if self.broken {
            Err(StoreError::Invalid("disk on fire at /secret/path".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl crate::store::digest::DigestStore for FakeStore {}

#[async_trait]
impl crate::store::outbox::OutboxStore for FakeStore {
    async fn enqueue(&self, _: &[Outgoing]) -> Result<Vec<Queued>> {
        unimplemented!("read-only fake")
    }
    async fn claim_deliveries(&self, _: &ClaimRequest) -> Result<Vec<ClaimedDelivery>> {
        unimplemented!("read-only fake")
    }
    async fn start_attempt(&self, _: DeliveryId, _: &str, _: i64) -> Result<i64> {
        unimplemented!("read-only fake")
    }
    async fn finish_delivery(&self, _: DeliveryId, _: &str, _: &DeliveryEnd) -> Result<()> {
        unimplemented!("read-only fake")
    }
    async fn release_deliveries(&self, _: &[DeliveryId], _: &str) -> Result<()> {
        unimplemented!("read-only fake")
    }
    async fn deliveries(&self, _: &DeliveryFilter) -> Result<Vec<DeliveryRow>> {
        Ok(Vec::new())
    }
    async fn attempts(&self, _: DeliveryId) -> Result<Vec<AttemptRow>> {
        Ok(Vec::new())
    }
    async fn retry_deliveries(&self, _: &[DeliveryId], _: i64) -> Result<u64> {
        unimplemented!("read-only fake")
    }
    async fn cancel_deliveries(&self, _: &[DeliveryId], _: i64) -> Result<u64> {
        unimplemented!("read-only fake")
    }
    async fn outbox_counts(&self) -> Result<OutboxCounts> {
        Ok(OutboxCounts::default())
    }
    async fn bounce_events(&self, _: Option<&[String]>) -> Result<Vec<BounceEvent>> {
        Ok(Vec::new())
    }
    async fn clear_bounces(&self, _: &str, _: i64) -> Result<u64> {
        unimplemented!("read-only fake")
    }
}

#[async_trait]
impl crate::store::read::ReadStore for FakeStore {
    async fn group_summaries(&self) -> Result<Vec<GroupSummary>> {
        self.check()?;
        Ok(self.groups.clone())
    }
    async fn threads(
        &self,
        group_id: GroupId,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<ThreadSummary>> {
        self.check()?;
        self.calls.lock().unwrap().push((group_id, limit, offset));
        let mut v: Vec<_> = self
            .threads
            .iter()
            .filter(|t| t.group_id == group_id)
            .cloned()
            .collect();
        v.sort_by_key(|t| std::cmp::Reverse(t.last_activity));
        Ok(v.into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect())
    }
    async fn thread(&self, id: ThreadId) -> Result<Option<ThreadDetail>> {
        self.check()?;
        Ok(self.details.iter().find(|d| d.thread.id == id).cloned())
    }
    async fn messages_after(&self, _: MessageRowId, _: i64) -> Result<Vec<MessageRow>> {
        Ok(vec![])
    }
    async fn threads_after(&self, _: ThreadId, _: i64) -> Result<Vec<ThreadSummary>> {
        Ok(vec![])
    }
    async fn raws_after(&self, _: i64, _: i64) -> Result<Vec<RawRow>> {
        Ok(vec![])
    }
}

#[async_trait]
impl crate::store::policy::PolicyStore for FakeStore {
    async fn held(
        &self,
        _: Option<crate::store::policy::HeldState>,
        _: i64,
    ) -> Result<Vec<crate::store::policy::HeldEntry>> {
        Ok(vec![])
    }
    async fn held_one(&self, _: i64) -> Result<Option<(crate::store::policy::HeldEntry, Vec<u8>)>> {
        Ok(None)
    }
    async fn decide_held(
        &self,
        _: &crate::store::policy::HeldDecision<'_>,
    ) -> Result<Option<crate::store::policy::HeldEntry>> {
        unimplemented!("read-only fake")
    }
    async fn retract(
        &self,
        _: &crate::store::policy::Retraction<'_>,
    ) -> Result<Option<crate::store::policy::Retracted>> {
        unimplemented!("read-only fake")
    }
    async fn due_pending(&self, _: i64, _: i64) -> Result<Vec<i64>> {
        Ok(Vec::new())
    }
    async fn purge_retracted(&self, _: i64) -> Result<u64> {
        unimplemented!("read-only fake")
    }
    async fn append_audit(&self, _: &[crate::store::policy::AuditRow]) -> Result<()> {
        unimplemented!("read-only fake")
    }
    async fn audit(
        &self,
        _: &crate::store::policy::AuditFilter,
    ) -> Result<Vec<crate::store::policy::AuditEntry>> {
        Ok(vec![])
    }
}

#[async_trait]
impl crate::store::accounts::AccountStore for FakeStore {
    async fn new_feed_token(&self, _: &str, _: &str, _: i64) -> Result<()> {
        unimplemented!("read-only fake")
    }
    async fn feed_token_owner(&self, _: &str) -> Result<Option<String>> {
        Ok(None)
    }
    async fn follow(&self, _: &str, _: GroupId, _: bool, _: i64) -> Result<()> {
        unimplemented!("read-only fake")
    }
    async fn followed(&self, _: &str) -> Result<Vec<GroupId>> {
        Ok(vec![])
    }
    async fn home(&self, _: &str, _: i64) -> Result<Vec<crate::store::accounts::HomeThread>> {
        Ok(vec![])
    }
    async fn mark_read(&self, _: &crate::store::accounts::ReadMark<'_>) -> Result<()> {
        Ok(())
    }
    async fn authored(
        &self,
        _: &str,
        _: i64,
    ) -> Result<Vec<crate::store::accounts::AuthoredMessage>> {
        Ok(vec![])
    }
    async fn top_posters(&self, _: GroupId, _: i64) -> Result<Vec<crate::store::accounts::Poster>> {
        Ok(vec![])
    }
    async fn message_thread(&self, _: &str, _: GroupId) -> Result<Option<ThreadId>> {
        Ok(None)
    }
    async fn request_sign_in_link(&self, _: &LinkRequest<'_>) -> Result<LinkOutcome> {
        unimplemented!("read-only fake")
    }
    async fn sign_in_link_email(&self, _: &str, _: i64) -> Result<Option<String>> {
        Ok(None)
    }
    async fn redeem_sign_in_link(&self, _: &str, _: &NewSession<'_>) -> Result<Option<SessionRow>> {
        unimplemented!("read-only fake")
    }
    async fn sign_in(&self, _: &str, _: &NewSession<'_>) -> Result<SessionRow> {
        unimplemented!("read-only fake")
    }
    async fn session(&self, _: &str, _: i64) -> Result<Option<SessionRow>> {
        self.check()?;
        Ok(None)
    }
    async fn sessions(&self, _: &str, _: i64) -> Result<Vec<SessionRow>> {
        unimplemented!("read-only fake")
    }
    async fn revoke_session(&self, _: &str, _: i64, _: i64) -> Result<bool> {
        unimplemented!("read-only fake")
    }
    async fn create_api_token(&self, _: &str, _: &str, _: &str, _: i64) -> Result<i64> {
        unimplemented!("read-only fake")
    }
    async fn api_token_owner(&self, _: &str) -> Result<Option<Account>> {
        Ok(None)
    }
    async fn api_tokens(&self, _: &str) -> Result<Vec<ApiTokenRow>> {
        unimplemented!("read-only fake")
    }
    async fn revoke_api_token(&self, _: &str, _: i64, _: i64) -> Result<bool> {
        unimplemented!("read-only fake")
    }
    async fn account(&self, _: &str) -> Result<Option<Account>> {
        Ok(None)
    }
    async fn accounts(&self) -> Result<Vec<Account>> {
        unimplemented!("read-only fake")
    }
    async fn set_digest_opt_in(&self, _: &str, _: bool) -> Result<bool> {
        unimplemented!("read-only fake")
    }
    async fn begin_oidc_login(&self, _: &OidcLogin) -> Result<()> {
        unimplemented!("read-only fake")
    }
    async fn take_oidc_login(&self, _: &str, _: i64) -> Result<Option<OidcLogin>> {
        Ok(None)
    }
    async fn person_known(&self, _: &str) -> Result<bool> {
        Ok(false)
    }
}

#[async_trait::async_trait]
impl Store for FakeStore {
    fn backend(&self) -> &'static str {
        "fake"
    }
    async fn migrate(&self) -> Result<()> {
        Ok(())
    }
    async fn upsert_group(&self, _: &Slug, _: &str, _: &[GroupAddress]) -> Result<GroupEntry> {
        unimplemented!("read-only fake")
    }
    async fn remove_group(&self, _: &Slug) -> Result<bool> {
        unimplemented!("read-only fake")
    }
    async fn groups(&self) -> Result<Vec<GroupEntry>> {
        self.check()?;
        Ok(self.groups.iter().map(|g| g.group.clone()).collect())
    }
    async fn ingest(
        &self,
        _: &Lookup,
        _: &(dyn Fn(Known) -> WriteSet + Send + Sync),
        _: Option<&Checkpoint>,
    ) -> Result<WriteSet> {
        unimplemented!("read-only fake")
    }
    async fn quarantine(&self, _: &str, _: &str, _: &str, _: &[u8], _: i64) -> Result<bool> {
        unimplemented!("read-only fake")
    }
    async fn quarantined(&self) -> Result<Vec<QuarantineRow>> {
        Ok(vec![])
    }
    async fn quarantined_bytes(&self, _: i64) -> Result<Option<Vec<u8>>> {
        Ok(None)
    }
    async fn reset_derived(&self) -> Result<()> {
        unimplemented!("read-only fake")
    }
    async fn checkpoint(&self, _: &str) -> Result<Option<Checkpoint>> {
        Ok(None)
    }
    async fn acquire_lease(&self, _: &str, _: &str, _: i64) -> Result<bool> {
        Ok(true)
    }
    async fn release_lease(&self, _: &str, _: &str) -> Result<()> {
        Ok(())
    }
    async fn skip_counts(&self) -> Result<Vec<SkipCount>> {
        Ok(vec![])
    }
    async fn raw_accounts(&self, _: i64, _: i64) -> Result<Vec<crate::store::RawAccount>> {
        Ok(vec![])
    }
    async fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>> {
        self.check()?;
        self.searches.lock().unwrap().push(query.clone());
        let page = self.hits.iter().skip(query.offset as usize);
        Ok(page.take(query.limit as usize).cloned().collect())
    }
}

fn group(id: i64, slug: &str, name: &str, threads: i64, last: Option<i64>) -> GroupSummary {
    GroupSummary {
        group: GroupEntry {
            id,
            slug: slug.into(),
            name: name.into(),
            addresses: vec![format!("{slug}@corp.example")],
        },
        thread_count: threads,
        message_count: threads,
        last_activity: last,
    }
}

fn thread_summary(id: i64, group_id: i64, slug: &str, subject: &str, last: i64) -> ThreadSummary {
    ThreadSummary {
        id,
        group_id,
        group_slug: slug.into(),
        subject: subject.into(),
        started_at: last - 100,
        last_activity: last,
        message_count: 2,
    }
}

fn message(id: i64, thread: &ThreadSummary, body: &str) -> MessageRow {
    MessageRow {
        place: Stored {
            id,
            thread_id: thread.id,
            group_id: thread.group_id,
            group_slug: thread.group_slug.clone(),
        },
        message_id: format!("m{id}@corp.example"),
        raw_sha256: Some("ab".repeat(32)),
        author_email: "ann@corp.example".into(),
        author_name: Some("Ann Example".into()),
        date: 1_709_647_620,
        date_trust: DateTrust::Exact,
        subject: thread.subject.clone(),
        subject_key: thread.subject.to_lowercase(),
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

/// Two groups; `eng` has threads 1..=120 (higher id = later), thread 7 is detailed and linked
/// to thread 500 in `ops`.
fn fixture() -> FakeStore {
    let mut threads: Vec<_> = (1..=120)
        .map(|i| {
            thread_summary(
                i,
                1,
                "eng",
                &format!("Topic {i:03}"),
                1_700_000_000 + i * 60,
            )
        })
        .collect();
    threads.push(thread_summary(
        500,
        2,
        "ops",
        "Outage <review>",
        1_700_500_000,
    ));
    let t7 = threads[6].clone();
    let mut m1 = message(70, &t7, "First line\nsecond line <script>alert(1)</script>");
    m1.clean.quoted = "> older text".into();
    m1.clean.signoff = "Best regards,".into();
    m1.clean.signature = "Ann\nStaff Engineer".into();
    m1.clean.disclaimer = "CONFIDENTIAL notice".into();
    // Stored HTML is what the pipeline's sanitiser made of the mail's; pages show it as is.
    m1.html = Some(crate::core::sanitize::sanitize_html(
        r#"<p>Hi <b>all</b></p><script>alert(2)</script><img src="http://evil.example/x.png" onerror="alert(3)"><style>p{background:url(http://evil.example/s.png)}</style>"#,
    ));
    m1.attachments = Attachments(vec![Attachment {
        filename: Some("plan.pdf".into()),
        content_type: "application/pdf".into(),
        size: 2048,
    }]);
    let mut m0 = message(69, &t7, "The original, rebuilt");
    m0.reconstructed = true;
    m0.raw_sha256 = None;
    m0.author_name = None;
    m0.author_email = "bob@corp.example".into();
    m0.date = 1_709_600_000;
    let detail = ThreadDetail {
        thread: t7,
        messages: vec![m0, m1],
        linked: vec![LinkedThread {
            thread_id: 500,
            group_slug: "ops".into(),
            subject: "Topic 007".into(),
        }],
    };
    FakeStore {
        groups: vec![
            group(1, "eng", "Engineering", 120, Some(1_700_007_200)),
            group(2, "ops", "Operations & <Infra>", 1, Some(1_700_500_000)),
            group(3, "empty", "Empty", 0, None),
        ],
        threads,
        details: vec![detail],
        ..FakeStore::default()
    }
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn get(store: Arc<FakeStore>, uri: &str) -> Reply {
    get_from(router(store), uri).await
}

async fn get_from(app: axum::Router, uri: &str) -> Reply {
    send_to(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

fn json(r: &Reply) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.body))
}

fn assert_security_headers(r: &Reply) {
    assert_eq!(
        r.headers["content-security-policy"],
        CONTENT_SECURITY_POLICY
    );
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert_eq!(r.headers["referrer-policy"], "no-referrer");
}

#[tokio::test]
async fn index_lists_groups_escaped() {
    let r = get(Arc::new(fixture()), "/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_security_headers(&r);
    let eng = r.body.find("/g/eng").unwrap();
    let ops = r.body.find("/g/ops").unwrap();
    assert!(eng < ops);
    assert!(
        r.body.contains("Operations &amp; &lt;Infra&gt;"),
        "{}",
        r.body
    );
    assert!(r.body.contains("eng@corp.example"));
    assert!(r.body.contains("120"));
    assert!(r.body.contains("never"), "empty group has no activity");
}

#[tokio::test]
async fn group_page_pages_by_fifty_latest_first() {
    let store = Arc::new(fixture());
    let r = get(store.clone(), "/g/eng").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.find("Topic 120").unwrap() < r.body.find("Topic 119").unwrap());
    assert!(r.body.contains("Topic 071") && !r.body.contains("Topic 070"));
    assert!(r.body.contains(r#"href="/g/eng?page=2""#) && !r.body.contains(r#"rel="prev""#));

    let r = get(store.clone(), "/g/eng?page=3").await;
    assert!(
        r.body.contains("Topic 020")
            && r.body.contains("Topic 001")
            && !r.body.contains("Topic 021")
    );
    assert!(r.body.contains(r#"href="/g/eng?page=2""#) && !r.body.contains(r#"rel="next""#));
    assert!(r.body.contains("Page 3 of 3"));

    let r = get(store.clone(), "/g/eng?page=9").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("No threads on page 9"));

    assert_eq!(store.calls.lock().unwrap()[..2], [(1, 51, 0), (1, 51, 100)]);
    assert_eq!(
        get(store.clone(), "/g/eng?page=0").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(store, "/g/eng?page=x").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn thread_page_shows_parts_and_sanitises() {
    let r = get(Arc::new(fixture()), "/t/7").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_security_headers(&r);
    let b = &r.body;
    assert!(
        b.contains("First line\nsecond line &lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{b}"
    );
    assert!(b.contains("Ann Example") && b.contains("&lt;<bdi>ann@corp.example</bdi>&gt;"));
    assert!(b.contains("Tue 5 Mar 2024, 14:07 UTC"));
    assert!(b.contains("reconstructed from quotes"));
    assert!(b.find("The original, rebuilt").unwrap() < b.find("First line").unwrap());
    for summary in [
        "Quoted history",
        "Sign-off",
        "Signature",
        "Disclaimer",
        "Original HTML (sanitised)",
    ] {
        assert!(
            b.contains(&format!("<summary>{summary}</summary>")),
            "{summary}"
        );
    }
    assert!(b.contains("&gt; older text") && b.contains("CONFIDENTIAL notice"));
    assert!(
        b.contains("<p>Hi <b>all</b></p>"),
        "sanitised HTML is rendered as markup"
    );
    assert!(b.contains("plan.pdf") && b.contains("application&#x2f;pdf") && b.contains("2.0 KB"));
    assert!(b.contains(r#"<a href="/t/500">#ops</a>"#));
    let lower = b.to_ascii_lowercase();
    for bad in ["<script", "<img", "<style", "onerror", "evil.example"] {
        assert!(!lower.contains(bad), "{bad} in page");
    }
}

#[tokio::test]
async fn not_found_pages() {
    let store = Arc::new(fixture());
    for uri in ["/g/nope", "/t/999", "/t/abc", "/nowhere", "/g/eng/extra"] {
        let r = get(store.clone(), uri).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(r.body.contains("<h1>Not found</h1>"), "{uri}");
        assert_security_headers(&r);
    }
    let r = get(store, "/g/%3Cscript%3E").await;
    assert!(
        r.body.contains("#&lt;script&gt;") && !r.body.contains("<script>"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn store_errors_are_500_and_not_leaked() {
    let store = Arc::new(FakeStore {
        broken: true,
        ..fixture()
    });
    for uri in [
        "/",
        "/g/eng",
        "/t/7",
        "/api/v1/groups",
        "/api/v1/threads/7",
        "/api/v1/groups/eng/threads",
    ] {
        let r = get(store.clone(), uri).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{uri}");
        assert!(!r.body.contains("secret"), "{uri}: {}", r.body);
        assert_security_headers(&r);
    }
    assert_eq!(
        json(&get(store, "/api/v1/groups").await)["error"],
        "internal error"
    );
}

#[tokio::test]
async fn static_css_and_healthz() {
    let store = Arc::new(fixture());
    let r = get(store.clone(), "/static/style.css").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "text/css; charset=utf-8");
    assert!(!r.body.contains("url("), "CSS loads nothing");
    assert_security_headers(&r);
    let r = get(store, "/healthz").await;
    assert_eq!(json(&r), serde_json::json!({"status": "ok"}));
    assert_security_headers(&r);
}

/// Every route that takes a body (sign-in, settings, posts and comments, admin forms, the
/// digest's one-click unsubscribe) refuses one over the limit, or of unannounced length,
/// before any handler reads it.
#[tokio::test]
async fn every_form_refuses_oversized_bodies() {
    let posts = [
        "/signin/email",
        "/signin/link",
        "/signout",
        "/settings/digest",
        "/settings/tokens",
        "/settings/tokens/revoke",
        "/settings/sessions/revoke",
        "/settings/feed",
        "/g/eng/post",
        "/g/eng/follow",
        "/t/1/comment",
        "/t/1/retract",
        "/admin/held/1/decide",
        "/admin/retract",
        "/admin/groups",
        "/admin/groups/eng/addresses",
        "/d/u/abc",
    ];
    let too_big = (super::MAX_BODY_BYTES + 1).to_string();
    for path in posts {
        let big = Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("content-length", too_big.as_str())
            .body(Body::from(vec![b'a'; super::MAX_BODY_BYTES + 1]))
            .unwrap();
        let r = send(Arc::new(fixture()), big).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        let chunked = Request::post(path)
            .header("transfer-encoding", "chunked")
            .body(Body::from("a=b"))
            .unwrap();
        let r = send(Arc::new(fixture()), chunked).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{path} (chunked)");
    }
}

/// A store that cannot look up the caller's session leaves the open paths open: `/healthz`
/// still reports (JSON, as documented), as an anonymous caller; a page or the API is a 500
/// (JSON on the API) that says nothing of the cause.
#[tokio::test]
async fn a_failing_session_lookup_keeps_healthz_answering() {
    let broken = || {
        Arc::new(FakeStore {
            broken: true,
            ..fixture()
        })
    };
    let with_cookie = |path: &str| {
        Request::get(path)
            .header("cookie", "outloud_session=abc")
            .body(Body::empty())
            .unwrap()
    };
    let r = send(broken(), with_cookie("/healthz")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(json(&r), serde_json::json!({"status": "ok"}));
    let r = send(broken(), with_cookie("/api/v1/groups")).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(json(&r)["error"].is_string());
    assert!(!r.body.contains("fire"), "{}", r.body);
}

/// Anonymous callers get the status alone; the detail (account, server error text) goes to a
/// caller with the admin token, or to everyone when it is made public.
#[tokio::test]
async fn healthz_detail_is_for_admins() {
    use crate::health::{Health, Role};
    let health = Health::new();
    health.update("corp/INBOX", |m| {
        m.role = Role::Leader;
        m.last_error = Some("outloud@imap.corp.example: login refused".into());
    });
    let detail = super::HealthDetail {
        public: false,
        admin_token: Some(crate::config::Secret("s3cret-token".into())),
    };
    let app = super::router_with_options(Arc::new(fixture()), health.clone(), detail);
    let call = |auth: Option<&'static str>| {
        let mut req = Request::builder().uri("/healthz");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        app.clone().oneshot(req.body(Body::empty()).unwrap())
    };
    for anonymous in [None, Some("Bearer wrong"), Some("Basic s3cret-token")] {
        let res = call(anonymous).await.unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"status": "degraded"}),
            "{anonymous:?}"
        );
    }
    let res = call(Some("Bearer s3cret-token")).await.unwrap();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        v["mailboxes"]["corp/INBOX"]["last_error"].is_string(),
        "{v}"
    );
    let public = super::HealthDetail {
        public: true,
        admin_token: None,
    };
    let app = super::router_with_options(Arc::new(fixture()), health, public);
    let res = app
        .oneshot(
            Request::builder()
                .uri("/healthz")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&body).contains("login refused"));
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern() {
    let health = crate::health::Health::new();
    let app = super::router_with_health(Arc::new(fixture()), health.clone());
    get_from(app.clone(), "/t/7").await;
    get_from(app.clone(), "/no/such/page").await;
    let r = get_from(app, "/metrics").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], crate::metrics::CONTENT_TYPE);
    let series = |route: &str, status: u16| {
        format!(
            r#"outloud_http_request_duration_seconds_count{{method="GET",route="{route}",status="{status}"}} 1"#
        )
    };
    assert!(r.body.contains(&series("/t/{id}", 200)), "{}", r.body);
    // Unknown paths share one series, so probing cannot grow the registry.
    assert!(r.body.contains(&series("unmatched", 404)), "{}", r.body);
    assert!(!r.body.contains("/no/such/page"), "{}", r.body);
    assert!(r.body.ends_with("# EOF\n"));
}

#[tokio::test]
async fn api_shapes_and_errors() {
    let store = Arc::new(fixture());
    let g = json(&get(store.clone(), "/api/v1/groups").await);
    assert_eq!(g[0]["slug"], "eng");
    assert_eq!(g[0]["thread_count"], 120);
    assert_eq!(g[2]["last_activity"], serde_json::Value::Null);

    let t = json(&get(store.clone(), "/api/v1/groups/eng/threads").await);
    assert_eq!(t.as_array().unwrap().len(), 50);
    assert_eq!(t[0]["id"], 120);
    let t = json(
        &get(
            store.clone(),
            "/api/v1/groups/eng/threads?limit=500&offset=110",
        )
        .await,
    );
    assert_eq!(t.as_array().unwrap().len(), 10);
    assert_eq!(t[0]["subject"], "Topic 010");

    let d = get(store.clone(), "/api/v1/threads/7").await;
    assert_eq!(d.headers["content-type"], "application/json");
    assert!(
        !d.body.contains('<') && !d.body.contains('>'),
        "markup is \\u-escaped in JSON"
    );
    assert!(json(&d)["messages"][1]["body"]
        .as_str()
        .unwrap()
        .contains("<script>alert(1)</script>"));
    let d = json(&d);
    assert_eq!(d["thread"]["id"], 7);
    assert_eq!(d["messages"][1]["via"], "cc");
    assert_eq!(d["messages"][0]["reconstructed"], true);
    assert_eq!(d["linked"][0]["group_slug"], "ops");
    let html = d["messages"][1]["html"].as_str().unwrap();
    assert!(
        !html.contains("<script") && !html.contains("evil"),
        "{html}"
    );

    for (uri, status) in [
        ("/api/v1/groups/nope/threads", StatusCode::NOT_FOUND),
        ("/api/v1/threads/999", StatusCode::NOT_FOUND),
        ("/api/v1/nothing", StatusCode::NOT_FOUND),
        ("/api/v1/threads/abc", StatusCode::BAD_REQUEST),
        (
            "/api/v1/groups/eng/threads?limit=0",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/groups/eng/threads?limit=501",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/groups/eng/threads?limit=ten",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/groups/eng/threads?offset=-1",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let r = get(store.clone(), uri).await;
        assert_eq!(r.status, status, "{uri}: {}", r.body);
        assert!(json(&r)["error"].is_string(), "{uri}");
        assert_security_headers(&r);
    }
}

#[tokio::test]
async fn openapi_lists_every_api_route() {
    let r = get(Arc::new(fixture()), "/api/v1/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "application/json");
    let doc = json(&r);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let mut listed: Vec<_> = paths.keys().map(String::as_str).collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "/",
            "/groups",
            "/groups/{slug}/threads",
            "/healthz",
            "/openapi.json",
            "/search",
            "/threads/{id}"
        ]
    );
    for (path, item) in paths {
        assert!(item["get"]["responses"]["200"].is_object(), "{path}");
        // Behind sign-in every API route answers 401 (the gate); /healthz is always open.
        let gated = path != "/healthz";
        assert_eq!(item["get"]["responses"]["401"].is_object(), gated, "{path}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["personalToken"]["scheme"],
        "bearer"
    );
}

async fn send(store: Arc<FakeStore>, req: Request<Body>) -> Reply {
    send_to(router(store), req).await
}

async fn send_to(app: axum::Router, req: Request<Body>) -> Reply {
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// API errors are JSON whoever produces them: a handler, a rejection axum answers itself
/// (invalid UTF-8 in a path segment), the method router, the body limit.
#[tokio::test]
async fn api_errors_are_json_everywhere() {
    let store = Arc::new(fixture());
    let r = get(store.clone(), "/api/v1/groups/%FF%FE/threads").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        json(&r)["error"].as_str().unwrap().contains("UTF-8"),
        "{}",
        r.body
    );
    let r = send(
        store.clone(),
        Request::post("/api/v1/groups").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(json(&r)["error"], "method not allowed");
    assert_eq!(r.headers["allow"], "GET,HEAD");
    let r = send(
        store.clone(),
        Request::get("/api/v1/groups")
            .header("content-length", "10000000")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(json(&r)["error"].is_string());
    // The sign-in gate's refusal of a cross-site POST, the method router around the nested
    // API (`/api/v1/`) and paths outside `/api/v1` answer JSON too.
    let r = send(
        store.clone(),
        Request::post("/api/v1/groups")
            .header("origin", "https://evil.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(json(&r)["error"], "cross-site request refused");
    let r = send(
        store.clone(),
        Request::post("/api/v1/").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(json(&r)["error"], "method not allowed");
    for path in ["/api", "/api/v2/groups"] {
        let r = get(store.clone(), path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(json(&r)["error"].is_string(), "{path}: {}", r.body);
    }
    // The pages answer an invalid address with their own error page, not a plain text line.
    let r = get(store, "/g/%FF").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("<h1>Bad request</h1>"), "{}", r.body);
}

fn search_hit(id: i64, author_name: &str) -> SearchHit {
    SearchHit {
        id,
        thread_id: 500,
        group_id: 2,
        group_slug: "ops".into(),
        message_id: format!("m{id}@corp.example"),
        subject: "Outage <review>".into(),
        author_email: "eve@corp.example".into(),
        author_name: Some(author_name.into()),
        date: 1_709_647_620,
        reconstructed: id == 1,
        subject_html: "Outage &lt;<mark>review</mark>&gt;".into(),
        snippet_html: "… the <mark>review</mark> &amp; more …".into(),
    }
}

#[tokio::test]
async fn search_page_marks_hits_and_escapes_everything_else() {
    let store = Arc::new(FakeStore {
        hits: (1..=25).map(|i| search_hit(i, "<b>Eve</b>")).collect(),
        ..fixture()
    });
    let uri = "/search?q=review&group=ops&author=Eve&from=2024-03-01&to=1709999999&page=2";
    let r = get(store.clone(), uri).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_security_headers(&r);
    // The store was asked for page 2 (20 a page, one more to see if a third follows).
    let asked = store.searches.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        asked,
        SearchQuery {
            text: "review".into(),
            group: Some(2),
            author: Some("Eve".into()),
            from: Some(1_709_251_200),
            to: Some(1_709_999_999),
            limit: 21,
            offset: 20,
        }
    );
    // Five hits on page 2, numbered from 21; only the marked fields carry markup.
    assert_eq!(
        r.body.matches(r#"<p class="snippet" dir="auto">"#).count(),
        5
    );
    // Mail-supplied text is isolated: a bidi override cannot reorder what surrounds it.
    assert!(r
        .body
        .contains("<bdi>Outage &lt;<mark>review</mark>&gt;</bdi>"));
    assert!(r.body.contains("<bdi>&lt;b&gt;Eve&lt;"), "{}", r.body);
    assert!(r.body.contains(r#"start="21""#));
    assert!(r.body.contains(r##"href="/t/500#m21""##));
    assert!(r.body.contains("Outage &lt;<mark>review</mark>&gt;"));
    assert!(r.body.contains("&lt;b&gt;Eve&lt;"), "{}", r.body);
    assert!(!r.body.contains("<b>"));
    assert!(r.body.contains(r#"rel="prev""#) && !r.body.contains(r#"rel="next""#));
    // The first page marks the rebuilt entry.
    let r = get(store.clone(), "/search?q=review").await;
    assert_eq!(r.body.matches("reconstructed from quotes").count(), 1);
    assert!(r.body.contains(r#"rel="next""#));
    // A failing store is a 500 that leaks nothing.
    let broken = Arc::new(FakeStore {
        broken: true,
        ..fixture()
    });
    let r = get(broken, "/search?q=review").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!r.body.contains("/secret/path"));
}

#[tokio::test]
async fn search_api_pages_with_has_more() {
    let store = Arc::new(FakeStore {
        hits: (1..=25).map(|i| search_hit(i, "Eve")).collect(),
        ..fixture()
    });
    let r = get(store.clone(), "/api/v1/search?q=review&limit=10&offset=10").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains('<'), "markup is \\u-escaped in JSON");
    let j = json(&r);
    assert_eq!(j["hits"].as_array().unwrap().len(), 10);
    assert_eq!(
        (&j["limit"], &j["offset"], &j["has_more"]),
        (&10.into(), &10.into(), &true.into())
    );
    assert_eq!(
        j["hits"][0]["subject_html"],
        "Outage &lt;<mark>review</mark>&gt;"
    );
    let j = json(&get(store.clone(), "/api/v1/search?q=review&offset=20").await);
    assert_eq!(
        (j["hits"].as_array().unwrap().len(), &j["has_more"]),
        (5, &false.into())
    );
    let asked = store.searches.lock().unwrap().last().cloned().unwrap();
    assert_eq!((asked.limit, asked.offset, asked.group), (21, 20, None));
}
