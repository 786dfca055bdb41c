//! The read view: server-rendered HTML pages ([`html`]) and a JSON API under `/api/v1`
//! ([`api`]), both reading through the [`Store`] trait only.
//!
//! Every response carries a strict Content-Security-Policy, so even if mail content slipped
//! past the sanitiser it could neither run script nor load a remote resource.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header::{self, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::store::Store;

mod admin;
mod admin_mapping;
pub mod api;
pub mod auth;
mod cancel_mine;
mod digest;
mod feed;
mod html;
mod retract_mine;
mod search;
mod serve;
mod templates;
mod write;

pub use auth::{AuthSettings, OidcSettings};
pub use serve::{ConnectionStats, Limits};

#[cfg(test)]
mod tests;

/// Sent on every response, including errors and static files.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLE_CSS: &str = include_str!("static/style.css");

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("web server on port {port} failed: {source}")]
    Serve { port: u16, source: std::io::Error },
}

/// Shared by every handler: cheap to clone.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) health: crate::health::Health,
    pub(crate) detail: Arc<HealthDetail>,
    pub(crate) templates: Arc<minijinja::Environment<'static>>,
    pub(crate) auth: Arc<AuthSettings>,
}

/// A bound, not yet serving, read view. Binding happens in [`Application::build`] so the
/// caller learns the real port (for `127.0.0.1:0`) and bind errors before serving starts.
pub struct Application {
    port: u16,
    listener: TcpListener,
    store: Arc<dyn Store>,
    health: crate::health::Health,
    detail: HealthDetail,
    limits: Limits,
    stats: Arc<ConnectionStats>,
    auth: AuthSettings,
}

impl Application {
    /// Bind `bind` (e.g. `127.0.0.1:8080`, or port 0 for any free port).
    pub async fn build(bind: &str, store: Arc<dyn Store>) -> Result<Application, WebError> {
        Self::build_with_health(bind, store, crate::health::Health::new()).await
    }

    /// As [`Application::build`], with `/healthz` reporting the daemon's mailboxes.
    pub async fn build_with_health(
        bind: &str,
        store: Arc<dyn Store>,
        health: crate::health::Health,
    ) -> Result<Application, WebError> {
        let bind_err = |source| WebError::Bind {
            addr: bind.to_string(),
            source,
        };
        let listener = TcpListener::bind(bind).await.map_err(bind_err)?;
        let port = listener.local_addr().map_err(bind_err)?.port();
        Ok(Application {
            port,
            listener,
            store,
            health,
            detail: HealthDetail::default(),
            limits: Limits::default(),
            stats: Arc::default(),
            auth: AuthSettings::public_for_tests(&format!("http://127.0.0.1:{port}")),
        })
    }

    /// Bound connections with `limits` instead of [`Limits::default`].
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Who sees the mailboxes' detail in `/healthz` (default: nobody).
    pub fn with_health_detail(mut self, detail: HealthDetail) -> Self {
        self.detail = detail;
        self
    }

    /// Sign-in as `auth` says (default: an open site, [`AuthSettings::public_for_tests`]).
    pub fn with_auth(mut self, auth: AuthSettings) -> Self {
        self.auth = auth;
        self
    }

    /// The accept loop's counters (open, accepted, evicted and refused connections).
    pub fn stats(&self) -> Arc<ConnectionStats> {
        self.stats.clone()
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serve until `shutdown` is cancelled, then finish in-flight requests and return.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), WebError> {
        let port = self.port;
        let limits = self.limits;
        tracing::info!(
            port,
            max_connections = limits.max_connections,
            header_timeout_secs = limits.header_timeout.as_secs_f64(),
            "read view listening"
        );
        let router = router_with_auth(self.store, self.health, self.detail, self.auth);
        serve::serve(self.listener, router, limits, self.stats, shutdown).await;
        tracing::info!(port, "read view stopped");
        Ok(())
    }
}

/// Every route of the read view, with security headers on all responses. Public for tests.
pub fn router(store: Arc<dyn Store>) -> Router {
    router_with_health(store, crate::health::Health::new())
}

/// [`router`] with `/healthz` reading the watchers' health (status only for every caller).
pub fn router_with_health(store: Arc<dyn Store>, health: crate::health::Health) -> Router {
    router_with_options(store, health, HealthDetail::default())
}

/// Who may read the per-mailbox detail of `/healthz` (IMAP account, server error text).
/// Anonymous callers get `{"status": …}` alone. Until outloud has sign-in, detail is for a
/// caller presenting the admin token (`Authorization: Bearer TOKEN`), or for everyone when
/// `public` is set (`[web] health_detail = true`, for a view reachable by operators only).
#[derive(Debug, Clone, Default)]
pub struct HealthDetail {
    pub public: bool,
    pub admin_token: Option<crate::config::Secret>,
}

impl HealthDetail {
    fn allows(&self, headers: &axum::http::HeaderMap) -> bool {
        if self.public {
            return true;
        }
        let Some(token) = self.admin_token.as_ref().filter(|t| !t.0.is_empty()) else {
            return false;
        };
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        // Compared as digests: the time taken does not depend on how much of the token matched.
        use sha2::{Digest, Sha256};
        presented.is_some_and(|p| Sha256::digest(p) == Sha256::digest(token.0.trim()))
    }
}

/// Every route, with `/healthz` detail as `detail` allows, on an open site (no sign-in).
pub fn router_with_options(
    store: Arc<dyn Store>,
    health: crate::health::Health,
    detail: HealthDetail,
) -> Router {
    let auth = AuthSettings::public_for_tests("http://127.0.0.1");
    router_with_auth(store, health, detail, auth)
}

/// Every route, signing people in as `auth` says.
pub fn router_with_auth(
    store: Arc<dyn Store>,
    health: crate::health::Health,
    detail: HealthDetail,
    auth: AuthSettings,
) -> Router {
    let state = AppState {
        store,
        health,
        detail: Arc::new(detail),
        templates: Arc::new(templates::environment()),
        auth: Arc::new(auth),
    };
    Router::new()
        .route("/signin", get(auth::link::form))
        .route("/signin/email", post(auth::link::request))
        .route(
            "/signin/link",
            get(auth::link::page).post(auth::link::redeem),
        )
        .route("/signin/oidc", get(auth::oidc::start))
        .route("/signin/oidc/callback", get(auth::oidc::callback))
        .route("/signout", post(auth::link::sign_out))
        .route("/settings", get(auth::settings::show))
        .route("/settings/digest", post(auth::settings::digest))
        .route(
            "/settings/sessions/revoke",
            post(auth::settings::revoke_session),
        )
        .route("/settings/tokens", post(auth::settings::create_token))
        .route(
            "/settings/tokens/revoke",
            post(auth::settings::revoke_token),
        )
        .route("/admin", get(admin::index))
        .route("/admin/held", get(admin::held_list))
        .route("/admin/held/{id}", get(admin::held_show))
        .route("/admin/held/{id}/decide", post(admin::held_decide))
        .route("/admin/audit", get(admin::audit))
        .route("/admin/audit.jsonl", get(admin::audit_export))
        .route(
            "/admin/retract",
            get(admin::retract_form).post(admin::retract),
        )
        .route("/", get(html::index))
        .route("/g/{slug}", get(html::group))
        .route("/g/{slug}/post", post(write::post))
        .route("/g/{slug}/follow", post(write::follow))
        .route("/p/{email}", get(html::person))
        .route("/g/{slug}/feed.atom", get(feed::group))
        .route("/feeds/{token}/{file}", get(feed::home))
        .route("/feeds/{token}/g/{file}", get(feed::group_by_token))
        .route("/settings/feed", post(feed::new_token))
        .route("/t/{id}", get(html::thread))
        .route("/t/{id}/comment", post(write::comment))
        .route("/t/{id}/retract", post(retract_mine::retract_mine))
        .route(cancel_mine::PATH, get(cancel_mine::list))
        .route("/pending/{id}/cancel", post(cancel_mine::cancel))
        .route("/search", get(html::search))
        .route("/static/style.css", get(style_css))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .merge(digest::routes())
        .merge(admin_mapping::routes())
        .nest(api::BASE, api::router())
        // A nested "/" answers the bare prefix only; the trailing-slash form is routed here.
        .route("/api/v1/", get(api::index))
        .fallback(html::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), auth::gate))
        .layer(middleware::from_fn(body_limit))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(api::json_errors_under_api))
        // Added last so they wrap every route, the nested API and both fallbacks.
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn_with_state(state.clone(), time_request))
        .with_state(state)
}

/// Largest request body accepted: forms (sign-in, settings, comments) are small; this bounds
/// what a client can make the web view read.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// 413 for a body announced larger than [`MAX_BODY_BYTES`] or of unannounced length (chunked),
/// before any handler runs.
async fn body_limit(req: Request, next: Next) -> Response {
    let headers = req.headers();
    let too_long = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.trim()
                .parse::<u64>()
                .map_or(true, |n| n > MAX_BODY_BYTES as u64)
        })
        .unwrap_or(false);
    if too_long || headers.contains_key(header::TRANSFER_ENCODING) {
        let msg = format!("request bodies are limited to {MAX_BODY_BYTES} bytes of known length");
        return (
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            api::ApiJson(serde_json::json!({ "error": msg })),
        )
            .into_response();
    }
    next.run(req).await
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// Observes each request's duration under its route pattern (`unmatched` for 404s, so
/// scanners probing random paths cannot create a series per path).
async fn time_request(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let res = next.run(req).await;
    let status = res.status().as_u16();
    let metrics = state.health.metrics();
    metrics.http_request(&method, &route, status, started.elapsed());
    res
}

/// `/metrics`: the counters of [`crate::metrics::Metrics`] in the OpenMetrics text format, the
/// outbox and bounce gauges refreshed from the store first (two count queries and a read of
/// the uncleared bounces). A store that cannot answer leaves the last figures, with a warning.
/// Prometheus text for whoever may read `/healthz`'s detail (admins, the admin token,
/// `web.health_detail`) and on an open site (`web.public`); others get 401, as the counts
/// say how much mail the company sends and how its mailboxes fare.
async fn metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: axum::http::HeaderMap,
    me: auth::Me,
) -> Response {
    if !(state.auth.public || sees_detail(&state, &headers, &me)) {
        return (
            axum::http::StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "/metrics is for admins: sign in as one, or send the admin token \
             (Authorization: Bearer, web.admin_token_env)\n",
        )
            .into_response();
    }
    let metrics = state.health.metrics();
    match crate::outbox::figures(state.store.as_ref(), state.health.now()).await {
        Ok(figures) => metrics.set_outbox(&figures),
        Err(e) => tracing::warn!(error = %e, "/metrics: the outbox figures could not be read"),
    }
    let body = metrics.render();
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], body).into_response()
}

async fn style_css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLE_CSS,
    )
        .into_response()
}

/// Whether the caller may read operators' detail (account names, server errors, counters):
/// a signed-in admin, or as [`HealthDetail`] allows (the admin token, `web.health_detail`).
fn sees_detail(state: &AppState, headers: &axum::http::HeaderMap, me: &auth::Me) -> bool {
    me.0.as_ref().is_some_and(|v| v.admin) || state.detail.allows(headers)
}

/// `{"status": "ok"|"degraded"}`, 503 when degraded so a load balancer can act on it; for
/// callers [`HealthDetail`] allows, also `"mailboxes": {NAME: {connected, role, last_sync,
/// backlog, last_error, processed}}`.
async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: axum::http::HeaderMap,
    me: auth::Me,
) -> Response {
    let status = state.health.status();
    let code = if status == "ok" {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    let body = if sees_detail(&state, &headers, &me) {
        serde_json::json!({ "status": status, "mailboxes": state.health.snapshot() })
    } else {
        serde_json::json!({ "status": status })
    };
    (code, Json(body)).into_response()
}
