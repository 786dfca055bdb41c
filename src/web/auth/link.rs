//! Sign-in by emailed link: the request form (which never tells whether an address is known),
//! the link's page (a button: only its POST signs in, so mail scanners that fetch links neither
//! use nor burn them), and signing out.

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::{csrf_ok, csrf_refused, random_token, same_secret, Me};
use crate::core::signin::{domain_allowed, link_draft, normalise_email, safe_next, LINK_MINUTES};
use crate::store::accounts::{token_hash, LinkOutcome, LinkRequest, NewSession, LINKS_PER_HOUR};
use crate::web::html::PageError;
use crate::web::AppState;

/// Cookie holding the session token.
pub(crate) const SESSION_COOKIE: &str = "outloud_session";
/// Cookie holding the CSRF token of the forms shown before signing in.
pub(crate) const PRE_CSRF_COOKIE: &str = "outloud_csrf";

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

/// The pre-session CSRF token: the cookie's, or a new one to set.
fn pre_csrf(st: &AppState, headers: &HeaderMap) -> (String, Option<String>) {
    match st.auth.cookie(headers, PRE_CSRF_COOKIE) {
        Some(v) if v.len() >= 32 => (v.to_string(), None),
        _ => {
            let v = random_token();
            let set = st.auth.set_cookie(PRE_CSRF_COOKIE, Some(&v), None);
            (v, Some(set))
        }
    }
}

fn with_cookie(mut res: Response, set: Option<String>) -> Response {
    if let Some(c) = set.and_then(|c| header::HeaderValue::from_str(&c).ok()) {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

fn pre_csrf_ok(st: &AppState, headers: &HeaderMap, presented: &str) -> bool {
    st.auth
        .cookie(headers, PRE_CSRF_COOKIE)
        .is_some_and(|c| same_secret(c, presented))
}

/// `GET /signin`: the email form and, when configured, the single sign-on button.
pub(crate) async fn form(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    let (csrf, set) = pre_csrf(&st, &headers);
    let oidc_name = st.auth.oidc.as_ref().map(|o| o.name.clone());
    let r = st
        .render("signin.html", context! { csrf, next, oidc_name })
        .await;
    with_cookie(st.respond(r), set)
}

#[derive(Deserialize)]
pub(crate) struct EmailForm {
    email: String,
    csrf: String,
    next: Option<String>,
}

/// `POST /signin/email`: queue a link when the address may sign in; the same answer either way.
pub(crate) async fn request(
    State(st): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<EmailForm>,
) -> Response {
    if !pre_csrf_ok(&st, &headers, &f.csrf) {
        return csrf_refused();
    }
    let next = safe_next(f.next.as_deref());
    let Some(email) = normalise_email(&f.email) else {
        let oidc_name = st.auth.oidc.as_ref().map(|o| o.name.clone());
        let error = "That is not an email address: type it as name@company.example.";
        let ctx = context! { csrf => f.csrf, next, oidc_name, error, email => f.email };
        let r = st.render("signin.html", ctx).await.map(|mut res| {
            *res.status_mut() = StatusCode::BAD_REQUEST;
            res
        });
        return st.respond(r);
    };
    let r = async {
        if may_sign_in(&st, &email).await? {
            send_link(&st, &email, &next).await?;
        }
        st.render("signin_sent.html", context! { email }).await
    }
    .await;
    st.respond(r)
}

async fn may_sign_in(st: &AppState, email: &str) -> Result<bool, PageError> {
    let domains = &st.auth.allowed_domains;
    Ok(if domains.is_empty() {
        st.store.person_known(email).await?
    } else {
        domain_allowed(email, domains)
    })
}

async fn send_link(st: &AppState, email: &str, next: &str) -> Result<(), PageError> {
    let auth = &st.auth;
    let token = random_token();
    let mut link = auth
        .base_url
        .join("/signin/link")
        .map_err(|_| PageError::Internal)?;
    link.query_pairs_mut().append_pair("token", &token);
    if next != "/" {
        link.query_pairs_mut().append_pair("next", next);
    }
    let site = auth.base_url.as_str().trim_end_matches('/');
    let draft = link_draft(email, link.as_str(), site);
    let now = auth.clock.now();
    let mail = crate::outbox::queue_draft(&auth.sender, &draft, "sign-in", now).map_err(|e| {
        tracing::error!(error = %e, "web: composing a sign-in mail failed");
        PageError::Internal
    })?;
    let hash = token_hash(&token);
    let req = LinkRequest {
        email,
        token_hash: &hash,
        now,
        expires_at: now + LINK_MINUTES * 60,
        max_per_hour: LINKS_PER_HOUR,
        mail: &mail,
    };
    if st.store.request_sign_in_link(&req).await? == LinkOutcome::Limited {
        // The address is not logged: the log would tell who tried to sign in.
        tracing::info!("web: sign-in link refused: too many requests for one address this hour");
    }
    Ok(())
}

#[derive(Deserialize)]
pub(crate) struct LinkQuery {
    token: Option<String>,
    next: Option<String>,
}

/// `GET /signin/link?token=…`: a page with a "Sign in" button. Fetching it uses nothing.
pub(crate) async fn page(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LinkQuery>,
) -> Response {
    let token = q.token.unwrap_or_default();
    let next = safe_next(q.next.as_deref());
    let (csrf, set) = pre_csrf(&st, &headers);
    let r = async {
        let now = st.auth.clock.now();
        let email = match token.is_empty() {
            true => None,
            false => {
                st.store
                    .sign_in_link_email(&token_hash(&token), now)
                    .await?
            }
        };
        let gone = email.is_none();
        let mut res = st
            .render("signin_link.html", context! { token, next, csrf, email })
            .await?;
        if gone {
            *res.status_mut() = StatusCode::GONE;
        }
        Ok(res)
    }
    .await;
    with_cookie(st.respond(r), set)
}

#[derive(Deserialize)]
pub(crate) struct LinkForm {
    token: String,
    csrf: String,
    next: Option<String>,
}

/// `POST /signin/link`: use the link (once) and open a session.
pub(crate) async fn redeem(
    State(st): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LinkForm>,
) -> Response {
    if !pre_csrf_ok(&st, &headers, &f.csrf) {
        return csrf_refused();
    }
    let r = async {
        let (token, csrf) = (random_token(), random_token());
        let (hash, now) = (token_hash(&token), st.auth.clock.now());
        let session = NewSession {
            token_hash: &hash,
            csrf: &csrf,
            method: "link",
            name: None,
            now,
            expires_at: now + st.auth.session_secs,
        };
        match st
            .store
            .redeem_sign_in_link(&token_hash(&f.token), &session)
            .await?
        {
            Some(_) => Ok(signed_in(&st, &token, &safe_next(f.next.as_deref()))),
            None => {
                let ctx =
                    context! { token => "", next => "/", csrf => f.csrf, email => None::<String> };
                let mut res = st.render("signin_link.html", ctx).await?;
                *res.status_mut() = StatusCode::GONE;
                Ok(res)
            }
        }
    }
    .await;
    st.respond(r)
}

/// The answer that signs the browser in: the session cookie and a redirect to `next`.
pub(crate) fn signed_in(st: &AppState, token: &str, next: &str) -> Response {
    let cookie = st
        .auth
        .set_cookie(SESSION_COOKIE, Some(token), Some(st.auth.session_secs));
    let mut res = Redirect::to(next).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    pub(crate) csrf: String,
}

/// `POST /signout`: revoke this session and forget the cookie.
pub(crate) async fn sign_out(
    State(st): State<AppState>,
    me: Me,
    Form(f): Form<CsrfForm>,
) -> Response {
    if !csrf_ok(&me, &f.csrf) {
        return csrf_refused();
    }
    let Some(v) = me.0 else {
        return Redirect::to("/signin").into_response();
    };
    if let Some(id) = v.session_id {
        if let Err(e) = st
            .store
            .revoke_session(&v.email, id, st.auth.clock.now())
            .await
        {
            tracing::error!(error = %e, "web: revoking a session failed");
            return st.error_page(PageError::Internal);
        }
    }
    let clear = st.auth.set_cookie(SESSION_COOKIE, None, None);
    let mut res = Redirect::to("/signin").into_response();
    if let Ok(v) = header::HeaderValue::from_str(&clear) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
