//! Server-rendered pages: groups, a group's threads, one thread.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;
use minijinja::value::Serde;

use super::search::{SearchError, SearchParams};
use super::AppState;
use crate::core::web_reply;
use crate::store::StoreError;

/// Threads per page on a group page.
pub(crate) const PAGE_SIZE: i64 = 50;
/// Hits per page of `/search`.
pub(crate) const SEARCH_PAGE_SIZE: i64 = 20;
/// Pages of hits one can step through (deep pages only cost the database).
const SEARCH_MAX_PAGE: i64 = 50;

/// Why a page could not be shown; rendered with `error.html`.
pub(crate) enum PageError {
    NotFound(String),
    BadRequest(String),
    /// Signed in, but the page is for the admins named in `web.admins` (403).
    AdminsOnly,
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
    /// Rendering is CPU work that grows with the page (a long thread is megabytes of text):
    /// it runs on a blocking thread so the async workers keep answering other requests.
    pub(crate) async fn render(
        &self,
        name: &'static str,
        ctx: minijinja::Value,
    ) -> Result<Response, PageError> {
        let templates = self.templates.clone();
        // The page header shows who is signed in (and their sign-out form's token).
        let viewer = super::auth::VIEWER.try_with(|v| v.clone()).ok().flatten();
        let ctx = context! { viewer => Serde(viewer), ..ctx };
        let body = tokio::task::spawn_blocking(move || templates.get_template(name)?.render(ctx))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "read view: render task failed");
                PageError::Internal
            })?
            .map_err(template_error)?;
        Ok(Html(body).into_response())
    }

    pub(crate) fn error_page(&self, e: PageError) -> Response {
        let (status, title, message) = match e {
            PageError::NotFound(m) => (StatusCode::NOT_FOUND, "Not found", m),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Bad request", m),
            PageError::AdminsOnly => (
                StatusCode::FORBIDDEN,
                "Admins only",
                "These pages are for the admins named in the web.admins setting.".to_string(),
            ),
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

    pub(crate) fn respond(&self, r: Result<Response, PageError>) -> Response {
        r.unwrap_or_else(|e| self.error_page(e))
    }
}

fn template_error(e: minijinja::Error) -> PageError {
    tracing::error!(error = %e, "read view: template error");
    PageError::Internal
}

/// People listed under "Who posts here" on a group page.
const TOP_POSTERS: i64 = 10;

/// Threads on a signed-in person's home page.
const HOME_THREADS: i64 = 50;

/// The signed-in viewer's address, if any.
fn viewer_email() -> Option<String> {
    super::auth::VIEWER
        .try_with(|v| v.as_ref().map(|v| v.email.clone()))
        .ok()
        .flatten()
}

pub(super) async fn index(State(st): State<AppState>) -> Response {
    let r = async {
        let groups = st.store.group_summaries().await?;
        let Some(email) = viewer_email() else {
            return st
                .render("index.html", context! { groups => Serde(groups) })
                .await;
        };
        // Home: the latest threads of the groups this person follows, unread marked.
        let followed = st.store.followed(&email).await?;
        let threads = st.store.home(&email, HOME_THREADS).await?;
        let pending = st.store.pending_from(&email).await?.len();
        let groups: Vec<_> = (groups.into_iter())
            .map(|g| {
                let f = followed.contains(&g.group.id);
                context! { slug => g.group.slug, name => g.group.name, thread_count => g.thread_count, followed => f }
            })
            .collect();
        st.render("home.html", context! { groups, threads => Serde(threads), pending })
            .await
    }
    .await;
    st.respond(r)
}

/// `/p/{email}`: what a person published, and where.
pub(super) async fn person(
    State(st): State<AppState>,
    email: Result<Path<String>, PathRejection>,
) -> Response {
    let r = async {
        let Path(email) = email.map_err(|_| bad_address())?;
        let email = email.trim().to_lowercase();
        let messages = st.store.authored(&email, PAGE_SIZE).await?;
        let mut groups: Vec<String> = messages.iter().map(|m| m.group_slug.clone()).collect();
        groups.sort();
        groups.dedup();
        let name = messages.iter().find_map(|m| m.author_name.clone());
        if messages.is_empty() && !st.store.person_known(&email).await? {
            return Err(PageError::NotFound(format!(
                "No one has written from {email}."
            )));
        }
        st.render(
            "person.html",
            context! { email, name, groups, messages => Serde(messages) },
        )
        .await
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
    slug: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        let Path(slug) = slug.map_err(|_| bad_address())?;
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
        let following = match viewer_email() {
            Some(e) => st.store.followed(&e).await?.contains(&group.group.id),
            None => false,
        };
        let posters = st.store.top_posters(group.group.id, TOP_POSTERS).await?;
        let group = context! {
            slug => group.group.slug,
            name => group.group.name,
            addresses => group.group.addresses,
            thread_count => group.thread_count,
        };
        st.render(
            "group.html",
            context! { group, threads => Serde(threads), page, pages, has_next, following, posters => Serde(posters) },
        )
        .await
    }
    .await;
    st.respond(r)
}

pub(super) async fn thread(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(q): RawQuery,
) -> Response {
    let r = async {
        let Path(id) = id.map_err(|_| bad_address())?;
        let not_found = || PageError::NotFound(format!("There is no thread {id}."));
        let id_num: i64 = id.parse().map_err(|_| not_found())?;
        // Stored HTML was sanitised once, when the mail was stored (and again by `reprocess`);
        // a page view does no HTML work.
        let detail = st.store.thread(id_num).await?.ok_or_else(not_found)?;
        let groups = st.store.groups().await?;
        let address = (groups.iter())
            .find(|g| g.id == detail.thread.group_id)
            .and_then(|g| g.addresses.first().cloned());
        let excluded = super::write::not_participants(&st, &groups);
        let participants =
            web_reply::participants(&super::write::thread_messages(&detail), &excluded);
        let mailto = address.map(|a| mailto(&detail, &a, &excluded));
        if let Some(e) = viewer_email() {
            mark_read(&st, &e, &detail).await?;
        }
        // Set by the redirect after a comment: the page confirms it.
        let posted = q.is_some_and(|q| q.split('&').any(|p| p == "posted=1"));
        st.render(
            "thread.html",
            context! {
                thread => Serde(detail.thread),
                messages => Serde(detail.messages),
                linked => Serde(detail.linked),
                participants => Serde(participants),
                mailto,
                posted,
            },
        )
        .await
    }
    .await;
    st.respond(r)
}

/// The viewer opened the thread: keyed on a Message-ID it holds (its first received mail's),
/// so the mark outlives `outloud reprocess`.
async fn mark_read(
    st: &AppState,
    email: &str,
    detail: &crate::store::ThreadDetail,
) -> Result<(), PageError> {
    let ms = &detail.messages;
    let Some(first) = ms.iter().find(|m| !m.reconstructed).or(ms.first()) else {
        return Ok(());
    };
    let mark = crate::store::accounts::ReadMark {
        email,
        group_id: detail.thread.group_id,
        message_id: &first.message_id,
        seen: detail.thread.message_count,
        now: st.auth.clock.now(),
    };
    Ok(st.store.mark_read(&mark).await?)
}

/// A `mailto:` URL (RFC 6068) answering the thread from the reader's own mail client: the
/// group and the participants, `Re:` subject, In-Reply-To and References.
fn mailto(detail: &crate::store::ThreadDetail, group_address: &str, excluded: &[String]) -> String {
    use web_reply::{recipients, reply_subject, threading, Written};
    let me = super::auth::VIEWER.try_with(|v| v.clone()).ok().flatten();
    let person = crate::core::compose::Person {
        name: None,
        email: me.map(|v| v.email).unwrap_or_default(),
    };
    let thread = super::write::thread_messages(detail);
    let w = Written {
        author: &person,
        subject: &detail.thread.subject,
        text: "",
        group_address,
    };
    let to: Vec<String> = recipients(&w, &thread, excluded)
        .iter()
        .map(|a| pct(a))
        .collect();
    let (parent, refs) = threading(&thread);
    let mut url = format!(
        "mailto:{}?subject={}",
        to.join(","),
        pct(&reply_subject(w.subject))
    );
    if let Some(p) = parent {
        url.push_str(&format!("&In-Reply-To={}", pct(&format!("<{p}>"))));
    }
    if !refs.is_empty() {
        let r: Vec<String> = refs.iter().map(|r| format!("<{r}>")).collect();
        url.push_str(&format!("&References={}", pct(&r.join(" "))));
    }
    url
}

/// Percent-encoding of everything but RFC 3986's unreserved characters and `@`.
fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A path segment that is not valid percent-encoded UTF-8.
fn bad_address() -> PageError {
    PageError::BadRequest("This address is not valid: it holds bytes that are not text.".into())
}

/// `/search`: the form, and when it was filled in, one page of hits.
pub(super) async fn search(
    State(st): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Response {
    let r = async {
        let Query(p) = params.map_err(|_| {
            PageError::BadRequest("The search form's fields could not be read.".into())
        })?;
        let page = p.page.unwrap_or(1);
        if !(1..=SEARCH_MAX_PAGE).contains(&page) {
            return Err(PageError::BadRequest(format!(
                "The page number must be between 1 and {SEARCH_MAX_PAGE}."
            )));
        }
        let groups = st.store.groups().await?;
        let form = context! {
            q => &p.q, group => &p.group, author => &p.author, from => &p.from, to => &p.to,
            groups => Serde(groups), page,
        };
        let asked = !(p.q.trim().is_empty() && p.author.trim().is_empty());
        if p.is_empty() {
            let error = asked.then_some("Type a word to search for.");
            return st.render("search.html", context! { error, ..form }).await;
        }
        let offset = (page - 1) * SEARCH_PAGE_SIZE;
        let (status, error) = match p
            .query(st.store.as_ref(), SEARCH_PAGE_SIZE + 1, offset)
            .await
        {
            Ok(query) => {
                let mut hits = st.store.search(&query).await?;
                let has_next = hits.len() as i64 > SEARCH_PAGE_SIZE;
                hits.truncate(SEARCH_PAGE_SIZE as usize);
                let first = offset + 1;
                let ctx =
                    context! { searched => true, hits => Serde(hits), has_next, first, ..form };
                return st.render("search.html", ctx).await;
            }
            Err(SearchError::BadRequest(m)) => (StatusCode::BAD_REQUEST, m),
            Err(SearchError::NoGroup(slug)) => {
                (StatusCode::NOT_FOUND, format!("There is no group #{slug}."))
            }
            Err(SearchError::Store(e)) => return Err(e.into()),
        };
        let mut res = st.render("search.html", context! { error, ..form }).await?;
        *res.status_mut() = status;
        Ok(res)
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
