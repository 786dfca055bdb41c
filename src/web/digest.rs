//! The public routes digests link to (docs/DIGESTS.md); they need no sign-in, the token in the
//! path is the credential:
//!
//! - `GET /d/u/{token}`: a page with an "Unsubscribe" button — only a page, because mail
//!   scanners fetch every link; `POST /d/u/{token}` unsubscribes from all digests (RFC 8058
//!   one-click: mail clients POST `List-Unsubscribe=One-Click` here, the button posts too).
//! - `GET|HEAD /d/c/{token}/{thread}`: records the follow, then redirects to the thread. HEAD
//!   requests and follows within a minute of delivery are recorded apart (likely scanners).

use axum::extract::{Path, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::AppState;
use crate::clock::Clock;
use crate::core::digest::links::thread_url;
use crate::store::digest::{Choice, NewChoice};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/d/u/{token}", get(unsubscribe_page).post(unsubscribe))
        .route("/d/c/{token}/{thread}", get(click).head(click))
}

/// How a follow of a digest link is counted.
pub fn click_kind(is_head: bool, sent_at: Option<i64>, now: i64) -> &'static str {
    match (is_head, sent_at) {
        (true, _) => "head",
        (false, Some(sent)) if (0..60).contains(&(now - sent)) => "early",
        _ => "click",
    }
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"/static/style.css\"><title>{title}</title></head>\
         <body><main><h1>{title}</h1>{body}</main></body></html>"
    );
    (status, Html(html)).into_response()
}

fn unknown() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Link not recognised",
        "<p>This digest link is not known. It may have been copied incompletely.</p>",
    )
}

fn server_error(e: &crate::store::StoreError) -> Response {
    tracing::error!(error = %e, "digest route failed");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "<p>Please try again in a minute.</p>",
    )
}

fn token_ok(token: &str) -> bool {
    !token.is_empty() && token.len() <= 64 && token.bytes().all(|b| b.is_ascii_alphanumeric())
}

async fn unsubscribe_page(State(st): State<AppState>, Path(token): Path<String>) -> Response {
    if !token_ok(&token) {
        return unknown();
    }
    match st.store.digest_send_by_token(&token).await {
        Ok(Some(_)) => page(
            StatusCode::OK,
            "Unsubscribe from digests",
            &format!(
                "<p>Stop every outloud digest to this address?</p>\
                 <form method=\"post\" action=\"/d/u/{token}\">\
                 <input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
                 <button type=\"submit\">Unsubscribe</button></form>"
            ),
        ),
        Ok(None) => unknown(),
        Err(e) => server_error(&e),
    }
}

async fn unsubscribe(State(st): State<AppState>, Path(token): Path<String>) -> Response {
    if !token_ok(&token) {
        return unknown();
    }
    let send = match st.store.digest_send_by_token(&token).await {
        Ok(Some(s)) => s,
        Ok(None) => return unknown(),
        Err(e) => return server_error(&e),
    };
    let choice = NewChoice {
        email: send.email.clone(),
        group: None,
        choice: Choice::Out,
        via: "one-click".into(),
        send_id: Some(send.id),
        at: Clock::system().now(),
    };
    if let Err(e) = st.store.set_digest_choice(&choice).await {
        return server_error(&e);
    }
    tracing::info!(send_id = send.id, "digest unsubscribe");
    page(
        StatusCode::OK,
        "You are unsubscribed",
        "<p>This address gets no more outloud digests.</p>",
    )
}

async fn click(
    State(st): State<AppState>,
    method: Method,
    Path((token, thread)): Path<(String, i64)>,
) -> Response {
    if !token_ok(&token) {
        return unknown();
    }
    let send = match st.store.digest_send_by_token(&token).await {
        Ok(Some(s)) => s,
        Ok(None) => return unknown(),
        Err(e) => return server_error(&e),
    };
    let listed: Vec<i64> = serde_json::from_str(&send.threads).unwrap_or_default();
    if !listed.contains(&thread) {
        return unknown();
    }
    let now = Clock::system().now();
    let kind = click_kind(method == Method::HEAD, send.sent_at, now);
    if let Err(e) = (st.store)
        .record_digest_click(send.id, Some(thread), kind, now)
        .await
    {
        return server_error(&e);
    }
    // Relative to this site: the thread page of the same web view.
    let to = thread_url("", thread);
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn scanners_are_counted_apart() {
        assert_eq!(super::click_kind(true, Some(0), 1000), "head");
        assert_eq!(super::click_kind(false, Some(1000), 1030), "early");
        assert_eq!(super::click_kind(false, Some(1000), 1060), "click");
        assert_eq!(super::click_kind(false, None, 5), "click");
    }
}
