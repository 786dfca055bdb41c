//! The read view: server-rendered HTML pages ([`html`]) and a JSON API under `/api/v1`
//! ([`api`]), both reading through the [`Store`] trait only.
//!
//! Every response carries a strict Content-Security-Policy, so even if mail content slipped
//! past the sanitiser it could neither run script nor load a remote resource.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::header::{self, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::core::sanitize::sanitize_html;
use crate::store::{Store, ThreadDetail};

pub mod api;
mod html;
mod templates;

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
    pub(crate) templates: Arc<minijinja::Environment<'static>>,
}

/// A bound, not yet serving, read view. Binding happens in [`Application::build`] so the
/// caller learns the real port (for `127.0.0.1:0`) and bind errors before serving starts.
pub struct Application {
    port: u16,
    listener: TcpListener,
    router: Router,
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
            router: router_with_health(store, health),
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serve until `shutdown` is cancelled, then finish in-flight requests and return.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> Result<(), WebError> {
        let port = self.port;
        tracing::info!(port, "read view listening");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
            .map_err(|source| WebError::Serve { port, source })?;
        tracing::info!(port, "read view stopped");
        Ok(())
    }
}

/// Every route of the read view, with security headers on all responses. Public for tests.
pub fn router(store: Arc<dyn Store>) -> Router {
    router_with_health(store, crate::health::Health::new())
}

/// [`router`] with `/healthz` reading the watchers' health.
pub fn router_with_health(store: Arc<dyn Store>, health: crate::health::Health) -> Router {
    let state = AppState {
        store,
        health,
        templates: Arc::new(templates::environment()),
    };
    Router::new()
        .route("/", get(html::index))
        .route("/g/{slug}", get(html::group))
        .route("/t/{id}", get(html::thread))
        .route("/static/style.css", get(style_css))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .nest(api::BASE, api::router())
        // A nested "/" answers the bare prefix only; the trailing-slash form is routed here.
        .route("/api/v1/", get(api::index))
        .fallback(html::not_found)
        // Added last so they wrap every route, the nested API and both fallbacks.
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn_with_state(state.clone(), time_request))
        .with_state(state)
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

/// `/metrics`: the counters of [`crate::metrics::Metrics`] in the OpenMetrics text format.
async fn metrics(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let body = state.health.metrics().render();
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], body).into_response()
}

async fn style_css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLE_CSS,
    )
        .into_response()
}

/// `{"status": "ok"|"degraded", "mailboxes": {NAME: {connected, role, last_sync, backlog,
/// last_error, processed}}}`; 503 when degraded so a load balancer can act on it.
async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let status = state.health.status();
    let code = if status == "ok" {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(serde_json::json!({ "status": status, "mailboxes": state.health.snapshot() })),
    )
        .into_response()
}

/// Stored HTML was sanitised at ingest; sanitising again on the way out (idempotent, cheap)
/// means a row written by an older or buggy writer still cannot inject markup.
fn resanitize(detail: &mut ThreadDetail) {
    for m in &mut detail.messages {
        m.html = m
            .html
            .as_deref()
            .map(sanitize_html)
            .filter(|h| !h.trim().is_empty());
    }
}
