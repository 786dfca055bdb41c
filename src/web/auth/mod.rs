//! Who is asking: sign-in (emailed link in [`link`], OpenID Connect in [`oidc`]), sessions,
//! personal API tokens, CSRF protection, and the gate that keeps every page and the API for
//! signed-in colleagues unless `web.public` is set (docs/WEB.md).
//!
//! - Sessions are rows (`sessions`, hashed token); the cookie is HttpOnly, SameSite=Lax and
//!   Secure (`__Host-` prefixed) unless the site is plain http on loopback.
//! - Every form carries a CSRF token: the session's synchroniser token once signed in; before
//!   (the sign-in forms), the value of a `__Host-` cookie it must equal (double submit, the
//!   prefix stops a sibling subdomain from planting the cookie). A POST whose `Origin` names
//!   another site is refused before any handler runs (`Origin: null`, which browsers send
//!   under the site's `Referrer-Policy: no-referrer`, is left to the token).
//! - The API also takes `Authorization: Bearer TOKEN` with a personal token (settings page).

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

use super::AppState;
use crate::clock::Clock;
use crate::core::compose::Sender;
use crate::store::accounts::token_hash;

pub(crate) mod link;
pub(crate) mod oidc;
pub(crate) mod settings;

pub use oidc::OidcSettings;

/// How the web view signs people in; built from `[web]` by the daemon.
#[derive(Clone)]
pub struct AuthSettings {
    /// No sign-in needed to read (`web.public`).
    pub public: bool,
    /// Where people reach the site (`web.base_url`): links in mail, the OIDC redirect URI.
    pub base_url: url::Url,
    /// Lower-cased admin addresses (`web.admins`).
    pub admins: Vec<String>,
    /// `web.allowed_domains`.
    pub allowed_domains: Vec<String>,
    pub session_secs: i64,
    /// Who the sign-in mail is from.
    pub sender: Sender,
    pub oidc: Option<OidcSettings>,
    pub clock: Clock,
    /// How a comment written on the web is filed (the pipeline's settings, as the daemon's).
    pub ingest: crate::ingest::IngestSettings,
    /// Slugs of the config file's `[[groups]]`: applied on every start, so a web change to
    /// them does not last (the admin pages say so).
    pub declared_groups: Vec<String>,
    /// `policy.retracted_raw_days`: how long a retraction from the admin pages keeps raw mail.
    pub retracted_raw_days: i64,
}

impl AuthSettings {
    /// An open site on `base_url` (what [`super::router`] serves, for tests of the read view).
    pub fn public_for_tests(base_url: &str) -> AuthSettings {
        AuthSettings {
            public: true,
            base_url: url::Url::parse(base_url).expect("test base URL"),
            admins: Vec::new(),
            allowed_domains: Vec::new(),
            session_secs: 30 * 86_400,
            sender: Sender {
                from: "outloud@localhost".into(),
                from_name: "outloud".into(),
                message_id_domain: "localhost".into(),
                bounce_address: "bounces@localhost".into(),
                loop_marker: "outloud".into(),
            },
            oidc: None,
            clock: Clock::system(),
            ingest: crate::ingest::IngestSettings {
                pipeline: crate::core::pipeline::Options::default(),
                subject_window_secs: 14 * 86_400,
                log_each_mail: true,
            },
            declared_groups: Vec::new(),
            retracted_raw_days: 30,
        }
    }

    /// Cookies need `Secure` unless the site is plain http on a loopback host.
    pub fn secure_cookies(&self) -> bool {
        !(self.base_url.scheme() == "http" && is_loopback(&self.base_url))
    }

    fn cookie_name(&self, base: &str) -> String {
        if self.secure_cookies() {
            format!("__Host-{base}")
        } else {
            base.to_string()
        }
    }

    /// `Set-Cookie` for `name=value` (`None`: delete it).
    pub(crate) fn set_cookie(
        &self,
        base: &str,
        value: Option<&str>,
        max_age: Option<i64>,
    ) -> String {
        let name = self.cookie_name(base);
        let secure = if self.secure_cookies() {
            "; Secure"
        } else {
            ""
        };
        match value {
            Some(v) => {
                let age = max_age
                    .map(|a| format!("; Max-Age={a}"))
                    .unwrap_or_default();
                format!("{name}={v}; Path=/; HttpOnly; SameSite=Lax{secure}{age}")
            }
            None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax{secure}; Max-Age=0"),
        }
    }

    pub(crate) fn cookie<'h>(&self, headers: &'h HeaderMap, base: &str) -> Option<&'h str> {
        cookie(headers, &self.cookie_name(base))
    }

    /// The origin browsers send in `Origin` for this site: `scheme://host[:port]`.
    fn origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }
}

/// `web.base_url` is plain http to a non-loopback host: cookies would be Secure and never
/// come back, and sessions would cross the network in the clear.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        None => false,
    }
}

/// The person a request is from.
#[derive(Debug, Clone, Serialize)]
pub struct Viewer {
    pub email: String,
    pub name: Option<String>,
    pub admin: bool,
    /// The session's CSRF token (empty for an API token: no forms).
    pub csrf: String,
    /// None when signed in by API token.
    pub session_id: Option<i64>,
}

tokio::task_local! {
    /// The viewer of the request being served, for templates (the page header).
    pub(crate) static VIEWER: Option<Viewer>;
}

/// A random token of 256 bits, base64url.
pub(crate) fn random_token() -> String {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .expect("the system's random source works");
    crate::oauth::jwt::b64url(b)
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Constant-time equality of two secrets (compared as digests).
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    use sha2::{Digest, Sha256};
    !a.is_empty() && Sha256::digest(a) == Sha256::digest(b)
}

/// Paths reachable without signing in.
fn open_path(path: &str) -> bool {
    matches!(path, "/healthz" | "/metrics" | "/static/style.css")
        || path == "/signin"
        || path.starts_with("/signin/")
        // Feed readers send no cookie: the feed token in the path decides (web::feed).
        || path.starts_with("/feeds/")
        // A digest's unsubscribe and click links: their token decides (web::digest). One-click
        // unsubscribe (RFC 8058) is a POST from the recipient's mail provider, never signed in.
        || path.starts_with("/d/")
}

/// Resolve the viewer (session cookie, or a personal token on the API), refuse anonymous
/// visitors where sign-in is needed, refuse cross-site POSTs, and make the viewer known to
/// handlers (an extension) and templates ([`VIEWER`]).
pub(crate) async fn gate(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let auth = st.auth.clone();
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok());
        // `null` is what browsers send under `Referrer-Policy: no-referrer` (set on every
        // page): it says nothing, and the CSRF token decides.
        if origin.is_some_and(|o| o != "null" && o != auth.origin()) {
            return plain_or_json(&req, StatusCode::FORBIDDEN, "cross-site request refused");
        }
    }
    let path = req.uri().path().to_owned();
    let viewer = match resolve(&st, req.headers(), path.starts_with("/api/")).await {
        Ok(v) => v,
        // The open paths (`/healthz` above all) answer as for an anonymous caller.
        Err(e) if open_path(&path) => {
            tracing::warn!(error = %e, "web: looking up the session failed; served as anonymous");
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "web: looking up the session failed");
            return plain_or_json(&req, StatusCode::INTERNAL_SERVER_ERROR, "try again");
        }
    };
    if viewer.is_none() && !auth.public && !open_path(&path) {
        return refuse(&req, &path);
    }
    req.extensions_mut().insert(Me(viewer.clone()));
    VIEWER.scope(viewer, next.run(req)).await
}

/// The viewer of a request, as handlers take it.
#[derive(Debug, Clone)]
pub(crate) struct Me(pub(crate) Option<Viewer>);

impl Me {
    /// The viewer signed in by a session, if any (an API token does not count: the pages
    /// have forms, checked against the session's CSRF token).
    pub(crate) fn session(&self) -> Option<&Viewer> {
        self.0.as_ref().filter(|v| v.session_id.is_some())
    }

    /// [`Me::session`]'s viewer, or the page saying "Sign in to `to`."
    pub(crate) fn signed_in(&self, to: &str) -> Result<&Viewer, crate::web::html::PageError> {
        self.session()
            .ok_or_else(|| crate::web::html::PageError::BadRequest(format!("Sign in to {to}.")))
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Me {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Me>().cloned().unwrap_or(Me(None)))
    }
}

/// The gate's own refusals: `{"error": …}` on the API (every API error is JSON), a line of
/// text elsewhere.
fn plain_or_json(req: &Request, status: StatusCode, msg: &'static str) -> Response {
    if req.uri().path().starts_with("/api/") {
        let body = super::api::ApiJson(serde_json::json!({ "error": msg }));
        return (status, body).into_response();
    }
    (status, msg).into_response()
}

fn refuse(req: &Request, path: &str) -> Response {
    if path.starts_with("/api/") {
        let body = super::api::ApiJson(serde_json::json!({
            "error": "sign in, or send Authorization: Bearer with a personal token"
        }));
        let mut res = (StatusCode::UNAUTHORIZED, body).into_response();
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"outloud\""),
        );
        return res;
    }
    let here = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
    Redirect::to(&format!("/signin?next={next}")).into_response()
}

async fn resolve(
    st: &AppState,
    headers: &HeaderMap,
    api: bool,
) -> Result<Option<Viewer>, crate::store::StoreError> {
    let auth = &st.auth;
    let admin = |email: &str| auth.admins.iter().any(|a| a.eq_ignore_ascii_case(email));
    if let Some(token) = auth.cookie(headers, link::SESSION_COOKIE) {
        let now = auth.clock.now();
        if let Some(s) = st.store.session(&token_hash(token), now).await? {
            return Ok(Some(Viewer {
                admin: admin(&s.email),
                email: s.email,
                name: s.name,
                csrf: s.csrf,
                session_id: Some(s.id),
            }));
        }
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if let (true, Some(token)) = (api, bearer) {
        if let Some(a) = st.store.api_token_owner(&token_hash(token)).await? {
            return Ok(Some(Viewer {
                admin: admin(&a.email),
                email: a.email,
                name: a.name,
                csrf: String::new(),
                session_id: None,
            }));
        }
    }
    Ok(None)
}

/// Why a form was refused.
pub(crate) fn csrf_refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        axum::response::Html(
            "<!doctype html><title>Form expired</title><p>This form has expired or did not come \
             from this site. Go back, reload the page and try again.</p>",
        ),
    )
        .into_response()
}

/// True when a signed-in viewer's form carries their session's token.
pub(crate) fn csrf_ok(me: &Me, presented: &str) -> bool {
    me.session()
        .is_some_and(|v| same_secret(&v.csrf, presented))
}
