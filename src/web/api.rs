//! JSON API under `/api/v1`, described by the hand-written `openapi.json` beside this file.
//! Errors are `{"error": "..."}` with a fitting status; store failures are logged, not leaked.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

use super::{resanitize, AppState};
use crate::store::{GroupSummary, StoreError, ThreadDetail, ThreadSummary};

/// The OpenAPI 3.1 description of this API.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// Where the API is mounted.
pub const BASE: &str = "/api/v1";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        // `/api/v1`; `/api/v1/` is routed to the same handler by the parent router.
        .route("/", get(index))
        .route("/groups", get(groups))
        .route("/groups/{slug}/threads", get(threads))
        .route("/threads/{id}", get(thread))
        .route("/openapi.json", get(openapi))
        .fallback(|| async { ApiError::NotFound("no such API route".into()) })
}

#[derive(Debug)]
pub(crate) enum ApiError {
    NotFound(String),
    BadRequest(String),
    /// Already logged; the client gets a generic message.
    Internal,
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "api: store error");
        ApiError::Internal
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, msg) = match self {
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error".to_string(),
            ),
        };
        (status, ApiJson(serde_json::json!({ "error": msg }))).into_response()
    }
}

/// JSON with `<`, `>` and `&` written as `\u003c`, `\u003e`, `\u0026`: mail text holds markup,
/// and this way no API response contains a literal tag even if something renders it as HTML.
/// Those characters only occur inside JSON strings, where the escapes mean the same thing.
pub(crate) struct ApiJson<T>(pub T);

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        match serde_json::to_string(&self.0) {
            Ok(s) => {
                let s = s
                    .replace('<', "\\u003c")
                    .replace('>', "\\u003e")
                    .replace('&', "\\u0026");
                ([(header::CONTENT_TYPE, "application/json")], s).into_response()
            }
            Err(e) => {
                tracing::error!(error = %e, "api: cannot serialise response");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"error":"internal error"}"#,
                )
                    .into_response()
            }
        }
    }
}

/// The index `GET /api/v1` answers: every route of `openapi.json` with its summary, so the
/// two never disagree.
static INDEX: LazyLock<serde_json::Value> = LazyLock::new(|| index_of(OPENAPI_JSON));

fn index_of(openapi: &str) -> serde_json::Value {
    let doc: serde_json::Value =
        serde_json::from_str(openapi).expect("openapi.json is valid JSON (a test parses it)");
    let base = doc["servers"][0]["url"].as_str().unwrap_or(BASE);
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        // A path may name its own server (`/healthz` is served at the root).
        let base = item["servers"][0]["url"].as_str().unwrap_or(base);
        let full = format!("{}{path}", base.trim_end_matches('/'));
        let full = match full.trim_end_matches('/') {
            "" => "/".to_string(),
            trimmed => trimmed.to_string(),
        };
        for (method, op) in item.as_object().into_iter().flatten() {
            if method == "servers" || method == "parameters" {
                continue;
            }
            routes.push(serde_json::json!({
                "method": method.to_ascii_uppercase(),
                "path": full,
                "summary": op["summary"],
            }));
        }
    }
    serde_json::json!({
        "name": doc["info"]["title"],
        "version": doc["info"]["version"],
        "openapi": format!("{BASE}/openapi.json"),
        "routes": routes,
    })
}

pub(super) async fn index() -> ApiJson<&'static serde_json::Value> {
    ApiJson(&INDEX)
}

async fn groups(State(st): State<AppState>) -> Result<ApiJson<Vec<GroupSummary>>, ApiError> {
    Ok(ApiJson(st.store.group_summaries().await?))
}

#[derive(Debug, Deserialize)]
struct Paging {
    limit: Option<i64>,
    offset: Option<i64>,
}

impl Paging {
    fn validate(&self) -> Result<(i64, i64), ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::BadRequest(format!(
                "limit must be between 1 and {MAX_LIMIT}"
            )));
        }
        let offset = self.offset.unwrap_or(0);
        if offset < 0 {
            return Err(ApiError::BadRequest("offset must not be negative".into()));
        }
        Ok((limit, offset))
    }
}

async fn threads(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<ApiJson<Vec<ThreadSummary>>, ApiError> {
    let Query(paging) = paging.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let (limit, offset) = paging.validate()?;
    let group = st
        .store
        .groups()
        .await?
        .into_iter()
        .find(|g| g.slug == slug)
        .ok_or_else(|| ApiError::NotFound(format!("no group {slug:?}")))?;
    Ok(ApiJson(st.store.threads(group.id, limit, offset).await?))
}

async fn thread(
    State(st): State<AppState>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<ApiJson<ThreadDetail>, ApiError> {
    let Path(id) = id.map_err(|_| ApiError::BadRequest("thread id must be an integer".into()))?;
    let mut detail = st
        .store
        .thread(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no thread {id}")))?;
    resanitize(&mut detail);
    Ok(ApiJson(detail))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
}
