//! `/admin`: the moderation queue (list, show, approve, reject), the audit log (filtered,
//! paged, exported as JSON Lines) and retraction of a post or a thread — for the signed-in
//! admins named in `web.admins` only. Anonymous visitors are sent to sign in (even on a
//! `web.public` site), other people get 403. Every change is a CSRF-checked POST and goes
//! through the same code as the CLI (`outloud held`, `outloud retract`), audited with the
//! actor `web:ADDRESS`. docs/POLICY.md.

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

use super::auth::{csrf_ok, csrf_refused, Me, Viewer};
use super::html::PageError;
use super::AppState;
use crate::ingest::Ingestor;
use crate::model::text::visible_controls;
use crate::moderation::{decide, ModerationError, Moderator};
use crate::store::policy::{AuditFilter, HeldState, RetractTarget};

/// Audit lines per page.
const AUDIT_PAGE: i64 = 50;
/// Held mails listed at most.
const HELD_LIST: i64 = 500;
/// Audit lines one export holds at most.
const EXPORT_MAX: i64 = 100_000;
/// Bytes of a held mail's raw text shown on its page.
const RAW_SHOWN: usize = 256 * 1024;

/// Why someone other than a signed-in admin is turned away, on every admin page (these and
/// [`super::admin_mapping`]'s).
pub(super) enum Denied {
    /// Nobody signed in (or only by API token: the pages have forms): sign in first, then
    /// come back to this path.
    SignIn(String),
    /// Signed in, not in `web.admins`: 403, on the error page.
    Forbidden,
}

impl Denied {
    pub(super) fn response(self, st: &AppState) -> Response {
        match self {
            Denied::SignIn(path) => {
                let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
                Redirect::to(&format!("/signin?next={next}")).into_response()
            }
            Denied::Forbidden => st.error_page(PageError::AdminsOnly),
        }
    }
}

/// The signed-in admin (by session), or why not; `path` is where to come back after signing in.
pub(super) fn admin<'a>(me: &'a Me, path: &str) -> Result<&'a Viewer, Denied> {
    match me.session() {
        Some(v) if v.admin => Ok(v),
        Some(_) => Err(Denied::Forbidden),
        None => Err(Denied::SignIn(path.to_string())),
    }
}

fn actor(v: &Viewer) -> String {
    format!("web:{}", v.email)
}

/// `GET /admin`.
pub(crate) async fn index(State(st): State<AppState>, me: Me) -> Response {
    match admin(&me, "/admin") {
        Ok(_) => Redirect::to("/admin/held").into_response(),
        Err(d) => d.response(&st),
    }
}

#[derive(Deserialize)]
pub(crate) struct HeldQuery {
    state: Option<String>,
}

const STATES: [&str; 6] = [
    "held",
    "pending",
    "approved",
    "rejected",
    "cancelled",
    "all",
];

/// `GET /admin/held?state=…`: the queue, oldest first.
pub(crate) async fn held_list(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<HeldQuery>,
) -> Response {
    let v = match admin(&me, "/admin/held") {
        Ok(v) => v,
        Err(d) => return d.response(&st),
    };
    let r = async {
        let name = q
            .state
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or("held");
        let state = match name {
            "all" => None,
            s => Some(HeldState::parse(s).ok_or_else(|| {
                PageError::BadRequest(format!(
                    "Unknown state {s:?}: one of {}.",
                    STATES.join(", ")
                ))
            })?),
        };
        let entries = st.store.held(state, HELD_LIST).await?;
        let ctx = context! {
            entries => Serde(entries), state => name, states => STATES.to_vec(), csrf => &v.csrf,
        };
        st.render("admin_held.html", ctx).await
    }
    .await;
    st.respond(r)
}

/// `GET /admin/held/{id}`: why it is held, and the mail as received.
pub(crate) async fn held_show(State(st): State<AppState>, me: Me, Path(id): Path<i64>) -> Response {
    let v = match admin(&me, &format!("/admin/held/{id}")) {
        Ok(v) => v,
        Err(d) => return d.response(&st),
    };
    let r = async {
        let (entry, bytes) = st
            .store
            .held_one(id)
            .await?
            .ok_or_else(|| PageError::NotFound(format!("There is no held mail #{id}.")))?;
        let cut = bytes.len() > RAW_SHOWN;
        let raw = String::from_utf8_lossy(&bytes[..bytes.len().min(RAW_SHOWN)]);
        let raw = raw_shown(&raw);
        let open = matches!(entry.state, HeldState::Held | HeldState::Pending);
        let ctx = context! {
            entry => Serde(entry), raw, cut, open, csrf => &v.csrf, error => None::<String>,
        };
        st.render("admin_held_one.html", ctx).await
    }
    .await;
    st.respond(r)
}

#[derive(Deserialize)]
pub(crate) struct DecideForm {
    csrf: String,
    /// `approve` or `reject`.
    decision: String,
    note: Option<String>,
}

/// `POST /admin/held/{id}/decide`: approve (publish now) or reject; the sender is told.
pub(crate) async fn held_decide(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    Form(f): Form<DecideForm>,
) -> Response {
    let v = match admin(&me, &format!("/admin/held/{id}")) {
        Ok(v) => v,
        Err(d) => return d.response(&st),
    };
    if !csrf_ok(&me, &f.csrf) {
        return csrf_refused();
    }
    let r = async {
        let state = match f.decision.as_str() {
            "approve" => HeldState::Approved,
            "reject" => HeldState::Rejected,
            d => return Err(PageError::BadRequest(format!("Unknown decision {d:?}."))),
        };
        let ingestor = Ingestor::new(st.store.clone(), st.auth.ingest.clone())
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "admin: loading groups failed");
                PageError::Internal
            })?;
        let actor = actor(v);
        let note = f.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
        let m = Moderator {
            actor: &actor,
            note,
            now: st.auth.clock.now(),
            sender: Some(&st.auth.sender),
        };
        match decide(&ingestor, id, state, &m).await {
            Ok(_) => Ok(Redirect::to(&format!("/admin/held/{id}")).into_response()),
            Err(
                e @ (ModerationError::NotFound(_)
                | ModerationError::Decided { .. }
                | ModerationError::NoteTooLong(_)),
            ) => Err(PageError::BadRequest(format!("{e}."))),
            Err(e) => {
                tracing::error!(error = %e, held = id, "admin: deciding held mail failed");
                Err(PageError::Internal)
            }
        }
    }
    .await;
    st.respond(r)
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
    rule: Option<String>,
    message_id: Option<String>,
    /// YYYY-MM-DD (UTC), inclusive.
    since: Option<String>,
    until: Option<String>,
    /// Lines after this id (the next page).
    after: Option<i64>,
}

fn day(s: &str, end_of_day: bool, what: &str) -> Result<i64, PageError> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        PageError::BadRequest(format!("{what}: {s:?} is not a date like 2026-12-01."))
    })?;
    let t = d
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp();
    Ok(if end_of_day { t + 86_399 } else { t })
}

fn filter(q: &AuditQuery, limit: i64) -> Result<AuditFilter, PageError> {
    fn text(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let owned = |v: &Option<String>| text(v).map(str::to_string);
    Ok(AuditFilter {
        action: owned(&q.action),
        actor: owned(&q.actor),
        rule: owned(&q.rule),
        message_id: text(&q.message_id).map(|m| m.trim_matches(['<', '>']).to_string()),
        since: text(&q.since).map(|s| day(s, false, "From")).transpose()?,
        until: text(&q.until).map(|s| day(s, true, "Until")).transpose()?,
        after_id: q.after.unwrap_or(0).max(0),
        limit,
    })
}

/// The query string of `q`'s filters (no paging), for the next-page and export links.
fn filter_query(q: &AuditQuery) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("action", &q.action),
        ("actor", &q.actor),
        ("rule", &q.rule),
        ("message_id", &q.message_id),
        ("since", &q.since),
        ("until", &q.until),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
            s.append_pair(k, v);
        }
    }
    s.finish()
}

/// `GET /admin/audit`: the log, oldest first, a page at a time.
pub(crate) async fn audit(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<AuditQuery>,
) -> Response {
    if let Err(d) = admin(&me, "/admin/audit") {
        return d.response(&st);
    }
    let r = async {
        let f = filter(&q, AUDIT_PAGE + 1)?;
        let mut lines = st.store.audit(&f).await?;
        let more = lines.len() as i64 > AUDIT_PAGE;
        lines.truncate(AUDIT_PAGE as usize);
        let filters = filter_query(&q);
        let next = match (more, lines.last()) {
            (true, Some(last)) if filters.is_empty() => Some(format!("after={}", last.id)),
            (true, Some(last)) => Some(format!("{filters}&after={}", last.id)),
            _ => None,
        };
        let ctx = context! {
            lines => Serde(lines), q => context! {
                action => q.action, actor => q.actor, rule => q.rule,
                message_id => q.message_id, since => q.since, until => q.until,
            },
            next, filters, paged => q.after.is_some(),
        };
        st.render("admin_audit.html", ctx).await
    }
    .await;
    st.respond(r)
}

/// `GET /admin/audit.jsonl`: the filtered log as JSON Lines (as `outloud audit list --jsonl`).
pub(crate) async fn audit_export(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<AuditQuery>,
) -> Response {
    if let Err(d) = admin(&me, "/admin/audit") {
        return d.response(&st);
    }
    let r = async {
        let mut f = filter(&q, 1000)?;
        let mut out = String::new();
        let mut left = EXPORT_MAX;
        while left > 0 {
            f.limit = left.min(1000);
            let page = st.store.audit(&f).await?;
            let Some(last) = page.last() else { break };
            f.after_id = last.id;
            left -= page.len() as i64;
            for e in &page {
                out.push_str(&serde_json::to_string(e).map_err(|_| PageError::Internal)?);
                out.push('\n');
            }
        }
        Ok((
            [
                (header::CONTENT_TYPE, "application/jsonl; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"audit.jsonl\"",
                ),
            ],
            out,
        )
            .into_response())
    }
    .await;
    st.respond(r)
}

#[derive(Deserialize, Default)]
pub(crate) struct RetractQuery {
    message_id: Option<String>,
    thread: Option<String>,
}

/// `GET /admin/retract`: the form (pre-filled from the thread page's link).
pub(crate) async fn retract_form(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<RetractQuery>,
) -> Response {
    let v = match admin(&me, "/admin/retract") {
        Ok(v) => v,
        Err(d) => return d.response(&st),
    };
    let ctx = context! {
        csrf => &v.csrf, message_id => q.message_id, thread => q.thread,
        done => None::<String>, error => None::<String>,
        days => st.auth.retracted_raw_days,
    };
    let r = st.render("admin_retract.html", ctx).await;
    st.respond(r)
}

#[derive(Deserialize)]
pub(crate) struct RetractForm {
    csrf: String,
    message_id: Option<String>,
    thread: Option<String>,
}

/// What the form asks to retract.
fn target(f: &RetractForm) -> Result<RetractTarget, String> {
    let mid = (f.message_id.as_deref().map(str::trim))
        .map(|m| m.trim_matches(['<', '>']).trim())
        .filter(|m| !m.is_empty());
    let thread = f.thread.as_deref().map(str::trim).filter(|t| !t.is_empty());
    match (mid, thread) {
        (Some(_), Some(_)) => Err("Give a Message-ID or a thread, not both.".into()),
        (Some(m), None) => Ok(RetractTarget::Message(m.to_string())),
        (None, Some(t)) => t
            .trim_start_matches("/t/")
            .parse()
            .map(RetractTarget::Thread)
            .map_err(|_| format!("Thread {t:?}: give its number, as in /t/NUMBER.")),
        (None, None) => Err("Give the Message-ID of a post, or a thread number.".into()),
    }
}

/// `POST /admin/retract`: the same retraction as `outloud retract`, audited as `web:ADDRESS`.
pub(crate) async fn retract(
    State(st): State<AppState>,
    me: Me,
    Form(f): Form<RetractForm>,
) -> Response {
    let v = match admin(&me, "/admin/retract") {
        Ok(v) => v,
        Err(d) => return d.response(&st),
    };
    if !csrf_ok(&me, &f.csrf) {
        return csrf_refused();
    }
    let r = async {
        let days = st.auth.retracted_raw_days;
        let (status, done, error) = match target(&f) {
            Err(e) => (StatusCode::BAD_REQUEST, None, Some(e)),
            Ok(t) => {
                let now = st.auth.clock.now();
                let what = match &t {
                    RetractTarget::Message(m) => format!("post <{m}>"),
                    RetractTarget::Thread(id) => format!("thread {id}"),
                };
                match crate::moderation::retract(st.store.as_ref(), t, &actor(v), now, days).await? {
                    Some(d) => {
                        let msg = format!(
                            "Retracted the {what}: {} post(s), {} message row(s), {} thread(s) removed, {} quote(s) cleared.",
                            d.message_ids.len(), d.messages_deleted, d.threads_deleted, d.quotes_cleared
                        );
                        (StatusCode::OK, Some(msg), None)
                    }
                    None => (StatusCode::NOT_FOUND, None, Some(format!("There is no published {what}."))),
                }
            }
        };
        let ctx = context! {
            csrf => &v.csrf, message_id => f.message_id, thread => f.thread, done, error, days,
        };
        let mut page = st.render("admin_retract.html", ctx).await?;
        *page.status_mut() = status;
        Ok(page)
    }
    .await;
    st.respond(r)
}

/// A held mail's text for its page: line breaks and tabs kept, every other hidden character
/// (a bidi override in a header, a zero-width space) shown as `[U+XXXX]` to the admin judging
/// it, so nothing in the mail reorders or hides what they read.
fn raw_shown(raw: &str) -> String {
    let lines: Vec<String> = (raw.split('\n'))
        .map(|line| {
            let cells: Vec<String> = (line.trim_end_matches('\r').split('\t'))
                .map(visible_controls)
                .collect();
            cells.join("\t")
        })
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn raw_mail_shows_hidden_characters_but_keeps_its_lines() {
        assert_eq!(
            super::raw_shown("Subject: invoice\u{202e}gpj.exe\r\n\tfolded\u{200b}\r\n"),
            "Subject: invoice[U+202E]gpj.exe\n\tfolded[U+200B]\n"
        );
    }
}
