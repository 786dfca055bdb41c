//! The admin pages for the mapping (`/admin/groups`) on both backends, through the router as a
//! browser uses them: only admins named in `web.admins`, CSRF on every form, the same checks
//! as the CLI and the config file with the message next to the field, and every change in the
//! audit log under the admin's address, written with the change. Two admins' clashing changes
//! at the same instant: one is made, the other gets the check's message (both backends).

#[macro_use]
mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::web::{Browser, Page, SITE};
use outloud::clock::Clock;
use outloud::core::mapping::{check, group_exists, two_groups, Edit, Request as Change};
use outloud::model::{GroupAddress, Slug};
use outloud::store::accounts::{token_hash, NewSession};
use outloud::store::policy::{AuditFilter, AuditRow};
use outloud::store::{Store, StoreError};
use outloud::web::{router_with_auth, AuthSettings, HealthDetail};

const T0: i64 = 1_800_000_000;
const ADMIN: &str = "boss@corp.example";

fn site(store: &Arc<dyn Store>, public: bool) -> axum::Router {
    let mut auth = AuthSettings::public_for_tests(SITE);
    auth.public = public;
    auth.allowed_domains = vec!["corp.example".into()];
    auth.admins = vec![ADMIN.into()];
    auth.clock = Clock::from_fn(|| T0);
    auth.declared_groups = vec!["eng".into()];
    router_with_auth(
        store.clone(),
        outloud::health::Health::new(),
        HealthDetail::default(),
        auth,
    )
}

/// A signed-in browser: its session cookie and its CSRF token.
struct Session {
    token: String,
    csrf: String,
}

async fn sign_in(store: &Arc<dyn Store>, email: &str) -> Session {
    let token = format!("token-of-{email}");
    let csrf = format!("csrf-of-{email}");
    let new = NewSession {
        token_hash: &token_hash(&token),
        csrf: &csrf,
        method: "link",
        name: None,
        now: T0,
        expires_at: T0 + 86_400,
    };
    store.sign_in(email, &new).await.unwrap();
    Session { token, csrf }
}

/// A browser holding `who`'s session cookie (none for `None`).
fn browser(who: Option<&Session>) -> Browser {
    let mut b = Browser::default();
    if let Some(s) = who {
        b.cookies.insert("outloud_session".into(), s.token.clone());
    }
    b
}

async fn get(router: &axum::Router, who: Option<&Session>, uri: &str) -> Page {
    browser(who).get(router, uri).await
}

async fn post(
    router: &axum::Router,
    who: Option<&Session>,
    uri: &str,
    form: &[(&str, &str)],
) -> Page {
    browser(who).post(router, uri, form).await
}

async fn seed(store: &Arc<dyn Store>) {
    for (slug, address) in [("eng", "eng@corp.example"), ("ops", "ops@corp.example")] {
        let a = [GroupAddress::parse(address).unwrap()];
        let slug = Slug::parse(slug).unwrap();
        store.upsert_group(&slug, slug.as_str(), &a).await.unwrap();
    }
}

/// The mapping as `(slug, addresses)`, and the audiences as `(slug, pattern, source)`.
async fn mapping(
    store: &Arc<dyn Store>,
) -> (Vec<(String, Vec<String>)>, Vec<(String, String, String)>) {
    let mut groups: Vec<(String, Vec<String>)> = (store.groups().await.unwrap().into_iter())
        .map(|g| {
            let mut a = g.addresses;
            a.sort();
            (g.slug, a)
        })
        .collect();
    groups.sort();
    let audiences = (store.audiences().await.unwrap().into_iter())
        .map(|a| (a.group_slug, a.pattern, a.source))
        .collect();
    (groups, audiences)
}

async fn audit_lines(store: &Arc<dyn Store>) -> Vec<(String, String, String)> {
    let filter = AuditFilter {
        limit: 100,
        ..Default::default()
    };
    (store.audit(&filter).await.unwrap().into_iter())
        .map(|e| (e.row.actor, e.row.action, e.row.detail))
        .collect()
}

/// The page an admin sees: every group, the config-file rule, labelled forms with their token.
async fn the_page_shows_the_mapping(site: &axum::Router, admin: &Session) {
    let page = get(site, Some(admin), "/admin/groups").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for needle in [
        "<h1>Groups and audiences</h1>",
        "eng@corp.example",
        "ops@corp.example",
        "from the config file",
        "applies on every start",
        "<label for=\"addr-eng\">",
        "<label for=\"new-slug\">",
        &format!("name=\"csrf\" value=\"{}\"", admin.csrf),
    ] {
        assert!(page.body.contains(needle), "{needle} in {}", page.body);
    }
}

type Step = (&'static str, &'static [(&'static str, &'static str)]);

/// Each change an admin makes, and its audit line (action, detail).
const CHANGES: [(Step, &str, &str); 6] = [
    (
        (
            "/admin/groups/eng/addresses",
            &[("address", " Dev@Corp.Example ")],
        ),
        "group_changed",
        "web: + address dev@corp.example -> eng",
    ),
    (
        (
            "/admin/groups/ops/audience",
            &[("pattern", "*@Corp.Example")],
        ),
        "audience_changed",
        "web: + audience *@corp.example -> ops",
    ),
    (
        (
            "/admin/groups/ops/audience",
            &[("pattern", "ann@corp.example")],
        ),
        "audience_changed",
        "web: + audience ann@corp.example -> ops",
    ),
    (
        (
            "/admin/groups",
            &[
                ("slug", "sales"),
                ("name", "Sales"),
                ("address", "sales@corp.example"),
            ],
        ),
        "group_added",
        "web: + group sales \"Sales\": sales@corp.example",
    ),
    (
        (
            "/admin/groups/eng/addresses/remove",
            &[("address", "eng@corp.example")],
        ),
        "group_changed",
        "web: - address eng@corp.example (from eng)",
    ),
    (
        (
            "/admin/groups/ops/audience/remove",
            &[("pattern", "ann@corp.example")],
        ),
        "audience_changed",
        "web: - audience ann@corp.example (from ops)",
    ),
];

async fn an_admin_changes_the_mapping_and_each_change_is_audited(store: Arc<dyn Store>) {
    seed(&store).await;
    let site = site(&store, false);
    let admin = sign_in(&store, ADMIN).await;
    the_page_shows_the_mapping(&site, &admin).await;
    for ((uri, fields), _, _) in CHANGES {
        let mut form = vec![("csrf", admin.csrf.as_str())];
        form.extend_from_slice(fields);
        let done = post(&site, Some(&admin), uri, &form).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{uri}: {}", done.body);
        let to = done.location.unwrap();
        assert!(to.starts_with("/admin/groups?saved="), "{to}");
    }
    let (groups, audiences) = mapping(&store).await;
    assert_eq!(
        groups,
        [
            ("eng".to_string(), vec!["dev@corp.example".to_string()]),
            ("ops".into(), vec!["ops@corp.example".into()]),
            ("sales".into(), vec!["sales@corp.example".into()]),
        ]
    );
    assert_eq!(
        audiences,
        [(
            "ops".to_string(),
            "*@corp.example".to_string(),
            "web".to_string()
        )]
    );
    let want: Vec<(String, String, String)> = (CHANGES.iter())
        .map(|(_, a, d)| (format!("web:{ADMIN}"), a.to_string(), d.to_string()))
        .collect();
    assert_eq!(audit_lines(&store).await, want);
    // The page after a change names the group saved and shows the new state.
    let after = get(&site, Some(&admin), "/admin/groups?saved=sales").await;
    assert!(after.body.contains("Saved: group sales."), "{}", after.body);
    assert!(after.body.contains("(admin page)"), "{}", after.body);
    // A saved= naming no group shows nothing.
    let odd = get(&site, Some(&admin), "/admin/groups?saved=%3Cb%3E").await;
    assert!(!odd.body.contains("Saved:"));
}

/// Post `form` (with the admin's token) to `uri`: the page must come back 422 with `message`
/// next to the field.
async fn refused(site: &axum::Router, admin: &Session, (uri, form): Step, message: &str) -> Page {
    let mut f = vec![("csrf", admin.csrf.as_str())];
    f.extend_from_slice(form);
    let page = post(site, Some(admin), uri, &f).await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{uri} {form:?}: {}",
        page.body
    );
    assert!(page.body.contains(message), "{message:?} in {}", page.body);
    assert!(page.body.contains("role=\"alert\""), "{}", page.body);
    page
}

/// Bad changes and what the page says to each.
const REFUSED: [(Step, &str); 12] = [
    (
        (
            "/admin/groups/ops/addresses",
            &[("address", "ENG@corp.example")],
        ),
        "eng@corp.example would publish to two groups: it is already an address of group eng",
    ),
    (
        (
            "/admin/groups/ops/addresses",
            &[("address", "eng+ops@corp.example")],
        ),
        "by plus-addressing",
    ),
    (
        (
            "/admin/groups/ops/addresses",
            &[("address", "Ops Team <x@corp.example>")],
        ),
        "is not a plain address",
    ),
    (
        ("/admin/groups/eng/audience", &[("pattern", "*@corp")]),
        "is not an address or a",
    ),
    (
        (
            "/admin/groups/eng/audience",
            &[("pattern", "*.corp.example")],
        ),
        "is not an address or a",
    ),
    (
        (
            "/admin/groups/nope/audience",
            &[("pattern", "a@corp.example")],
        ),
        "there is no group nope",
    ),
    (
        (
            "/admin/groups/nope/addresses",
            &[("address", "a@corp.example")],
        ),
        "there is no group nope",
    ),
    (
        (
            "/admin/groups",
            &[
                ("slug", "Bad Slug"),
                ("name", "Bad"),
                ("address", "bad@corp.example"),
            ],
        ),
        "is not a valid slug",
    ),
    (
        (
            "/admin/groups",
            &[
                ("slug", "eng"),
                ("name", "Eng"),
                ("address", "eng2@corp.example"),
            ],
        ),
        "there is already a group eng",
    ),
    (
        (
            "/admin/groups",
            &[
                ("slug", "sales"),
                ("name", "Sales"),
                ("address", "ops@corp.example"),
            ],
        ),
        "would publish to two groups",
    ),
    (
        (
            "/admin/groups/ops/addresses/remove",
            &[("address", "ops@corp.example")],
        ),
        "last address of group ops",
    ),
    (
        (
            "/admin/groups/ops/audience/remove",
            &[("pattern", "a@corp.example")],
        ),
        "not in the audience of group ops",
    ),
];

async fn bad_changes_are_refused_with_the_message_at_the_field(store: Arc<dyn Store>) {
    seed(&store).await;
    let site = site(&store, false);
    let admin = sign_in(&store, ADMIN).await;
    let before = mapping(&store).await;
    for (step, message) in REFUSED {
        refused(&site, &admin, step, message).await;
    }
    // The field is marked, described by the message, and keeps what was typed.
    let page = refused(&site, &admin, REFUSED[0].0, "two groups").await;
    let marked =
        "value=\"ENG@corp.example\" aria-invalid=\"true\" aria-describedby=\"err-address-ops\"";
    assert!(page.body.contains(marked), "{}", page.body);
    assert!(page
        .body
        .contains("<p class=\"error\" id=\"err-address-ops\">"));
    // The create form keeps every field typed.
    let form: Step = (
        "/admin/groups",
        &[
            ("slug", "Bad Slug"),
            ("name", "Sales <team>"),
            ("address", "sales@corp.example"),
        ],
    );
    let page = refused(&site, &admin, form, "is not a valid slug").await;
    assert!(
        page.body.contains("value=\"Sales &lt;team&gt;\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("aria-describedby=\"err-create\""),
        "{}",
        page.body
    );
    assert_eq!(mapping(&store).await, before);
    assert!(audit_lines(&store).await.is_empty());
}

async fn only_signed_in_admins_with_the_form_token(store: Arc<dyn Store>) {
    seed(&store).await;
    let before = mapping(&store).await;
    let add = |csrf: &str| {
        vec![
            ("csrf".to_string(), csrf.to_string()),
            ("address".into(), "x@corp.example".into()),
        ]
    };
    for public in [false, true] {
        let site = site(&store, public);
        // Anonymous: to the sign-in page, back here afterwards.
        let page = get(&site, None, "/admin/groups").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "public={public}");
        assert!(
            page.location
                .as_deref()
                .unwrap()
                .starts_with("/signin?next=%2Fadmin%2Fgroups"),
            "{:?}",
            page.location
        );
        let form = add("whatever");
        let form: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let page = post(&site, None, "/admin/groups/eng/addresses", &form).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "public={public}");
    }
    let site = site(&store, false);
    // A colleague who is not an admin: 403, even with their own valid form token.
    let ann = sign_in(&store, "ann@corp.example").await;
    let page = get(&site, Some(&ann), "/admin/groups").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("Admins only"));
    assert!(!page.body.contains("eng@corp.example"));
    let form = add(&ann.csrf);
    let form: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let page = post(&site, Some(&ann), "/admin/groups/eng/addresses", &form).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // The settings page links admins (only) here.
    assert!(!get(&site, Some(&ann), "/settings")
        .await
        .body
        .contains("/admin/groups"));
    let admin = sign_in(&store, ADMIN).await;
    assert!(get(&site, Some(&admin), "/settings")
        .await
        .body
        .contains("href=\"/admin/groups\""));
    // The admin without the form's token, or with another session's: refused.
    for csrf in ["", "made-up", ann.csrf.as_str()] {
        let form = add(csrf);
        let form: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let page = post(&site, Some(&admin), "/admin/groups/eng/addresses", &form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "csrf {csrf:?}");
        assert!(page.body.contains("expired"), "{}", page.body);
    }
    // From another site, with the right token: refused before the handler.
    let body = format!("csrf={}&address=x%40corp.example", admin.csrf);
    let req = Request::post("/admin/groups/eng/addresses")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, body.len())
        .header(header::ORIGIN, "https://evil.example");
    let page = browser(Some(&admin))
        .send(&site, req, Body::from(body))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(mapping(&store).await, before);
    assert!(audit_lines(&store).await.is_empty());
}

/// The audit line of an admin's change, as the page writes it.
fn audit_of(edit: &Edit) -> AuditRow {
    AuditRow {
        at: T0,
        actor: format!("web:{ADMIN}"),
        action: edit.action().into(),
        rule: None,
        message_id: None,
        detail: format!("web: {edit}"),
    }
}

/// On PostgreSQL, a transaction holding `row` (uncommitted) in `table`, so that racing changes
/// get past their checks and queue at the insert; on SQLite (whose writers queue at BEGIN) none.
async fn blocker(db: &common::TestDb, insert: &str) -> Option<sqlx::PgConnection> {
    use sqlx::Connection;
    if db.store.backend() != "postgres" {
        return None;
    }
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(insert.to_string()))
        .execute(&mut conn)
        .await
        .unwrap();
    Some(conn)
}

/// Once `n` transactions wait behind the blocker, roll it back: they race for the row.
async fn release(db: &common::TestDb, blocker: Option<sqlx::PgConnection>, n: i64) {
    use sqlx::Connection;
    let Some(mut blocker) = blocker else { return };
    let mut watch = sqlx::PgConnection::connect(&db.url).await.unwrap();
    // A hang guard, not a timing assertion: the changes reach the insert when they do.
    for tries in 0.. {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut watch)
        .await
        .unwrap();
        if waiting >= n {
            break;
        }
        assert!(tries < 600, "the changes never reached the insert");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
}

/// Two admins make clashing changes at the same instant, both past the check: one is made,
/// the other gets the check's message (`Invalid`, shown at the field), never a database error
/// (a 500). On PostgreSQL both transactions reach the insert before either commits.
async fn racing_changes_get_the_checks_message(db: common::TestDb) {
    let store = db.store.clone();
    seed(&store).await;
    let stored = store.groups().await.unwrap();
    let edit = |req| check(req, &stored).unwrap();
    let shared = "shared@corp.example";
    let adds = [
        edit(Change::AddAddress {
            slug: "eng",
            address: shared,
        }),
        edit(Change::AddAddress {
            slug: "ops",
            address: shared,
        }),
    ];
    let creates = [
        edit(Change::CreateGroup {
            slug: "web",
            name: "Web",
            address: "web@corp.example",
        }),
        edit(Change::CreateGroup {
            slug: "web",
            name: "Web 2",
            address: "web2@corp.example",
        }),
    ];
    let steps = [
        (adds, "INSERT INTO group_addresses (address, group_id) SELECT 'shared@corp.example', id FROM groups WHERE slug = 'eng'"),
        (creates, "INSERT INTO groups (slug, name, created_at) VALUES ('web', 'Blocker', 0)"),
    ];
    for (pair, insert) in steps {
        let held = blocker(&db, insert).await;
        let race: Vec<_> = (pair.iter().cloned())
            .map(|e| {
                let store = store.clone();
                tokio::spawn(async move { store.edit_mapping(&e, &audit_of(&e)).await })
            })
            .collect();
        release(&db, held, 2).await;
        let mut made = Vec::new();
        let mut refused = Vec::new();
        for (e, r) in pair.iter().zip(race) {
            match r.await.unwrap() {
                Ok(true) => made.push(e.slug().to_string()),
                Err(StoreError::Invalid(m)) => refused.push((e.slug().to_string(), m)),
                other => panic!("{e}: {other:?}"),
            }
        }
        assert_eq!((made.len(), refused.len()), (1, 1), "{made:?} {refused:?}");
        let (loser, message) = &refused[0];
        let expected = match &pair[0] {
            Edit::AddAddress { .. } => two_groups(shared, &made[0], loser),
            _ => group_exists("web"),
        };
        assert_eq!(message, &expected);
    }
    let (groups, _) = mapping(&store).await;
    let web = groups.iter().find(|(s, _)| s == "web").unwrap();
    assert_eq!(web.1.len(), 1, "{groups:?}");
    assert_eq!(
        (groups.iter().filter(|(_, a)| a.iter().any(|a| a == shared))).count(),
        1,
        "{groups:?}"
    );
    assert_eq!(
        audit_lines(&store).await.len(),
        2,
        "one line per change made"
    );
}

#[tokio::test]
async fn racing_changes_get_the_checks_message_sqlite() {
    racing_changes_get_the_checks_message(common::sqlite().await).await;
}

#[tokio::test]
async fn racing_changes_get_the_checks_message_postgres() {
    racing_changes_get_the_checks_message(common::postgres().await).await;
}

story!(
    an_admin_changes_the_mapping_and_each_change_is_audited,
    bad_changes_are_refused_with_the_message_at_the_field,
    only_signed_in_admins_with_the_form_token,
);
