//! Atom feeds (RFC 4287): a group's latest threads, and a person's home (the groups they
//! follow). Feed readers send no cookie, so on a site that needs sign-in a feed's address
//! carries the person's feed token (`/feeds/TOKEN/home.atom`, `/feeds/TOKEN/g/SLUG.atom`),
//! made and replaced on `/settings` (a new one revokes the old). On a public site
//! `/g/SLUG/feed.atom` needs none.

use axum::extract::{Form, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::DateTime;

use super::auth::{csrf_ok, csrf_refused, random_token, Me};
use super::html::PageError;
use super::AppState;
use crate::store::accounts::token_hash;
use crate::store::ThreadSummary;

/// Entries per feed.
const ENTRIES: i64 = 30;
const ATOM: &str = "application/atom+xml; charset=utf-8";

fn xml(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n'))
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn rfc3339(ts: i64) -> String {
    DateTime::from_timestamp(ts, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// The feed document: `threads`, newest first, linking to `base`.
pub(crate) fn atom(base: &str, id: &str, title: &str, threads: &[ThreadSummary]) -> String {
    let base = base.trim_end_matches('/');
    let updated = threads.iter().map(|t| t.last_activity).max().unwrap_or(0);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <id>{}</id>\n<title>{}</title>\n<updated>{}</updated>\n<link href=\"{}/\"/>\n\
         <generator>outloud</generator>\n",
        xml(&format!("{base}{id}")),
        xml(title),
        rfc3339(updated),
        xml(base)
    );
    for t in threads {
        let link = format!("{base}/t/{}", t.id);
        let subject = if t.subject.is_empty() {
            "(no subject)"
        } else {
            &t.subject
        };
        let n = t.message_count;
        let summary = format!(
            "{n} message{} in #{}",
            if n == 1 { "" } else { "s" },
            t.group_slug
        );
        out.push_str(&format!(
            "<entry>\n<id>{}</id>\n<title>{}</title>\n<link href=\"{}\"/>\n<published>{}</published>\n\
             <updated>{}</updated>\n<author><name>#{}</name></author>\n<summary>{}</summary>\n</entry>\n",
            xml(&link),
            // A feed reader lays the title out beside its own text (dates, counts): a subject
            // with bidi controls or right-to-left letters must not reorder that.
            xml(&crate::model::text::isolate_if_bidi(subject)),
            xml(&link),
            rfc3339(t.started_at),
            rfc3339(t.last_activity),
            xml(&t.group_slug),
            xml(&summary)
        ));
    }
    out.push_str("</feed>\n");
    out
}

fn atom_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, ATOM)], body).into_response()
}

async fn group_feed(st: &AppState, slug: &str) -> Result<Response, PageError> {
    let group = (st.store.group_summaries().await?.into_iter())
        .find(|g| g.group.slug == slug)
        .ok_or_else(|| PageError::NotFound(format!("There is no group #{slug}.")))?;
    let threads = st.store.threads(group.group.id, ENTRIES, 0).await?;
    let title = format!("{} (#{slug}) · outloud", group.group.name);
    let base = st.auth.base_url.as_str();
    Ok(atom_response(atom(
        base,
        &format!("/g/{slug}"),
        &title,
        &threads,
    )))
}

/// `/g/{slug}/feed.atom`: for a signed-in browser, or anyone on a public site (the gate
/// decides).
pub(crate) async fn group(State(st): State<AppState>, Path(slug): Path<String>) -> Response {
    let r = group_feed(&st, &slug).await;
    st.respond(r)
}

async fn owner(st: &AppState, token: &str) -> Result<String, PageError> {
    st.store
        .feed_token_owner(&token_hash(token))
        .await?
        .ok_or_else(|| PageError::NotFound("This feed address is not valid (any more).".into()))
}

/// `/feeds/{token}/g/{slug}`: a group's feed by feed token (`SLUG.atom`).
pub(crate) async fn group_by_token(
    State(st): State<AppState>,
    Path((token, file)): Path<(String, String)>,
) -> Response {
    let r = async {
        owner(&st, &token).await?;
        let slug = file.strip_suffix(".atom").unwrap_or(&file);
        group_feed(&st, slug).await
    }
    .await;
    st.respond(r)
}

/// `/feeds/{token}/home.atom`: the latest threads of the groups the token's owner follows.
pub(crate) async fn home(
    State(st): State<AppState>,
    Path((token, file)): Path<(String, String)>,
) -> Response {
    let r = async {
        if file != "home.atom" {
            return Err(PageError::NotFound("There is no such feed.".into()));
        }
        let email = owner(&st, &token).await?;
        let threads: Vec<ThreadSummary> = (st.store.home(&email, ENTRIES).await?.into_iter())
            .map(|h| h.thread)
            .collect();
        let base = st.auth.base_url.as_str();
        Ok(atom_response(atom(
            base,
            "/",
            "Your groups · outloud",
            &threads,
        )))
    }
    .await;
    st.respond(r)
}

#[derive(serde::Deserialize)]
pub(crate) struct CsrfOnly {
    csrf: String,
}

/// `POST /settings/feed`: a new feed address (the old one stops working).
pub(crate) async fn new_token(
    State(st): State<AppState>,
    me: Me,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if !csrf_ok(&me, &f.csrf) {
        return csrf_refused();
    }
    let Some(v) = me.0 else {
        return (StatusCode::FORBIDDEN, "sign in").into_response();
    };
    let token = random_token();
    let r = async {
        let now = st.auth.clock.now();
        st.store
            .new_feed_token(&v.email, &token_hash(&token), now)
            .await?;
        let url = st
            .auth
            .base_url
            .join(&format!("/feeds/{token}/home.atom"))
            .map_err(|_| PageError::Internal)?;
        let ctx = minijinja::context! { url => url.as_str() };
        st.render("feed_made.html", ctx).await
    }
    .await;
    st.respond(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atom_is_escaped_and_dated() {
        let t = ThreadSummary {
            id: 7,
            group_id: 1,
            group_slug: "eng".into(),
            subject: "<b>Tom & Jerry</b>\u{1}".into(),
            started_at: 1_800_000_000,
            last_activity: 1_800_000_600,
            message_count: 2,
        };
        let doc = atom("https://o.example/", "/g/eng", "Eng", &[t]);
        assert!(
            doc.contains("<title>&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;</title>"),
            "{doc}"
        );
        assert!(doc.contains("<link href=\"https://o.example/t/7\"/>"));
        assert!(
            doc.contains("<updated>2027-01-15T08:10:00Z</updated>"),
            "{doc}"
        );
        assert!(!doc.contains('\u{1}'));
    }

    #[test]
    fn spoofing_subjects_are_isolated() {
        let t = ThreadSummary {
            id: 8,
            group_id: 1,
            group_slug: "eng".into(),
            subject: "invoice\u{202e}gpj.exe".into(),
            started_at: 1_800_000_000,
            last_activity: 1_800_000_600,
            message_count: 1,
        };
        let doc = atom("https://o.example/", "/g/eng", "Eng", &[t]);
        assert!(
            doc.contains("<title>\u{2068}invoice\u{202e}gpj.exe\u{2069}</title>"),
            "{doc}"
        );
    }
}
