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

use super::search::{SearchError, SearchParams};
use super::AppState;
use crate::store::{GroupSummary, SearchHit, StoreError, ThreadDetail, ThreadSummary};

/// The OpenAPI 3.1 description of this API.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;
/// Search hits per response: by default, and at most.
pub const SEARCH_DEFAULT_LIMIT: i64 = 20;
pub const SEARCH_MAX_LIMIT: i64 = 100;

/// Where the API is mounted.
pub const BASE: &str = "/api/v1";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        // `/api/v1`; `/api/v1/` is routed to the same handler by the parent router.
        .route("/", get(index))
        .route("/groups", get(groups))
        .route("/groups/{slug}/threads", get(threads))
        .route("/threads/{id}", get(thread))
        .route("/search", get(search))
        .route("/openapi.json", get(openapi))
        .fallback(|| async { ApiError::NotFound("no such API route".into()) })
        .layer(axum::middleware::map_response(json_errors))
}

/// [`json_errors`] for every request under `/api`, wherever its answer comes from: the nested
/// router, or the layers and routes around it (the gate, the body limit, a wrong method on
/// `/api/v1/`, a path outside `/api/v1`).
pub(super) async fn json_errors_under_api(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    let api = path == "/api" || path.starts_with("/api/");
    let res = next.run(req).await;
    if api {
        json_errors(res).await
    } else {
        res
    }
}

/// Every API error is `{"error": …}`: errors that do not come from a handler (a method the
/// route does not allow, a rejection axum answers itself) get their status's reason as JSON.
async fn json_errors(res: Response) -> Response {
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let status = res.status();
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let reason = status
        .canonical_reason()
        .unwrap_or("error")
        .to_ascii_lowercase();
    let mut out = (status, ApiJson(serde_json::json!({ "error": reason }))).into_response();
    // Keep what tells the client how to retry (Allow on 405).
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = res.headers().get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
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
    /// `(limit, offset)`: `limit` defaults to `default` and may be 1 to `max`.
    fn validate(&self, default: i64, max: i64) -> Result<(i64, i64), ApiError> {
        let limit = self.limit.unwrap_or(default);
        if !(1..=max).contains(&limit) {
            return Err(ApiError::BadRequest(format!(
                "limit must be between 1 and {max}"
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
    slug: Result<Path<String>, PathRejection>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<ApiJson<Vec<ThreadSummary>>, ApiError> {
    let Path(slug) =
        slug.map_err(|_| ApiError::BadRequest("the group slug is not valid UTF-8".into()))?;
    let Query(paging) = paging.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let (limit, offset) = paging.validate(DEFAULT_LIMIT, MAX_LIMIT)?;
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
    let detail = st
        .store
        .thread(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no thread {id}")))?;
    Ok(ApiJson(detail))
}

/// `GET /api/v1/search`: one page of hits, best first, and whether more follow.
#[derive(Debug, Serialize)]
struct SearchResults {
    hits: Vec<SearchHit>,
    limit: i64,
    offset: i64,
    has_more: bool,
}

async fn search(
    State(st): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<ApiJson<SearchResults>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let paging = Paging {
        limit: params.limit,
        offset: params.offset,
    };
    let (limit, offset) = paging.validate(SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT)?;
    if params.is_empty() {
        return Err(ApiError::BadRequest(
            "nothing to search for: give q or author with at least one letter or digit".into(),
        ));
    }
    // One extra hit tells whether another page exists without counting every match.
    let query =
        (params.query(st.store.as_ref(), limit + 1, offset).await).map_err(|e| match e {
            SearchError::BadRequest(m) => ApiError::BadRequest(m),
            SearchError::NoGroup(slug) => ApiError::NotFound(format!("no group {slug:?}")),
            SearchError::Store(e) => e.into(),
        })?;
    let mut hits = st.store.search(&query).await?;
    let has_more = hits.len() as i64 > limit;
    hits.truncate(limit as usize);
    Ok(ApiJson(SearchResults {
        hits,
        limit,
        offset,
        has_more,
    }))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
}
