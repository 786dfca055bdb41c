//! Server-rendered pages: groups, a group's threads, one thread.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;
use minijinja::value::Serde;

use super::{resanitize, AppState};
use crate::store::StoreError;

/// Threads per page on a group page.
pub(crate) const PAGE_SIZE: i64 = 50;

/// Why a page could not be shown; rendered with `error.html`.
enum PageError {
    NotFound(String),
    BadRequest(String),
    /// Logged where it happens; the visitor sees a generic message.
    Internal,
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "read view: store error");
        PageError::Internal
    }
}

impl AppState {
    fn render(&self, name: &str, ctx: minijinja::Value) -> Result<Response, PageError> {
        let tpl = self.templates.get_template(name).map_err(template_error)?;
        let body = tpl.render(ctx).map_err(template_error)?;
        Ok(Html(body).into_response())
    }

    fn error_page(&self, e: PageError) -> Response {
        let (status, title, message) = match e {
            PageError::NotFound(m) => (StatusCode::NOT_FOUND, "Not found", m),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Bad request", m),
            PageError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The page could not be shown. The error has been logged.".to_string(),
            ),
        };
        let page = self
            .templates
            .get_template("error.html")
            .and_then(|t| t.render(context! { title, message }))
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "read view: error page failed to render");
                title.to_string()
            });
        (status, Html(page)).into_response()
    }

    fn respond(&self, r: Result<Response, PageError>) -> Response {
        r.unwrap_or_else(|e| self.error_page(e))
    }
}

fn template_error(e: minijinja::Error) -> PageError {
    tracing::error!(error = %e, "read view: template error");
    PageError::Internal
}

pub(super) async fn index(State(st): State<AppState>) -> Response {
    let r = async {
        let groups = st.store.group_summaries().await?;
        st.render("index.html", context! { groups => Serde(groups) })
    }
    .await;
    st.respond(r)
}

/// `?page=N`, 1-based. Anything else in the query is ignored.
fn parse_page(query: Option<&str>) -> Result<i64, PageError> {
    let Some(q) = query else { return Ok(1) };
    let mut page = 1;
    for pair in q.split('&') {
        if let Some(v) = pair.strip_prefix("page=") {
            page = v
                .parse::<i64>()
                .ok()
                .filter(|p| (1..=i64::MAX / PAGE_SIZE).contains(p))
                .ok_or_else(|| {
                    PageError::BadRequest("The page number must be a positive whole number.".into())
                })?;
        }
    }
    Ok(page)
}

pub(super) async fn group(
    State(st): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        let page = parse_page(q.as_deref())?;
        let group = st
            .store
            .group_summaries()
            .await?
            .into_iter()
            .find(|g| g.group.slug == slug)
            .ok_or_else(|| PageError::NotFound(format!("There is no group #{slug}.")))?;
        // One extra row tells whether an older page exists without a count query.
        let mut threads = st
            .store
            .threads(group.group.id, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
            .await?;
        let has_next = threads.len() as i64 > PAGE_SIZE;
        threads.truncate(PAGE_SIZE as usize);
        let pages = ((group.thread_count + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        let group = context! {
            slug => group.group.slug,
            name => group.group.name,
            addresses => group.group.addresses,
            thread_count => group.thread_count,
        };
        st.render(
            "group.html",
            context! { group, threads => Serde(threads), page, pages, has_next },
        )
    }
    .await;
    st.respond(r)
}

pub(super) async fn thread(State(st): State<AppState>, Path(id): Path<String>) -> Response {
    let r = async {
        let not_found = || PageError::NotFound(format!("There is no thread {id}."));
        let id_num: i64 = id.parse().map_err(|_| not_found())?;
        let mut detail = st.store.thread(id_num).await?.ok_or_else(not_found)?;
        resanitize(&mut detail);
        st.render(
            "thread.html",
            context! {
                thread => Serde(detail.thread),
                messages => Serde(detail.messages),
                linked => Serde(detail.linked),
            },
        )
    }
    .await;
    st.respond(r)
}

pub(super) async fn not_found(State(st): State<AppState>) -> Response {
    st.error_page(PageError::NotFound(
        "There is no page at this address.".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_parameter() {
        assert_eq!(parse_page(None).ok(), Some(1));
        assert_eq!(parse_page(Some("")).ok(), Some(1));
        assert_eq!(parse_page(Some("page=3")).ok(), Some(3));
        assert_eq!(parse_page(Some("x=1&page=2")).ok(), Some(2));
        for bad in [
            "page=0",
            "page=-1",
            "page=abc",
            "page=",
            "page=99999999999999999999",
        ] {
            assert!(
                matches!(parse_page(Some(bad)), Err(PageError::BadRequest(_))),
                "{bad}"
            );
        }
    }
}
