//! The web tests' browser: requests through the router as a browser sends them (cookies kept,
//! forms posted from the site's origin), hidden form fields read back, and signing in by an
//! emailed link.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use outloud::store::Store;
use tower::ServiceExt;

/// The site's origin (`AuthSettings::public_for_tests(SITE)`): forms are posted from it.
pub const SITE: &str = "http://127.0.0.1:8080";

/// What a browser talks to: the router, or a test's site around one.
pub trait Site {
    fn router(&self) -> &axum::Router;
}

impl Site for axum::Router {
    fn router(&self) -> &axum::Router {
        self
    }
}

/// A browser: keeps cookies (and checks every cookie is `HttpOnly` and `SameSite=Lax`).
#[derive(Default)]
pub struct Browser {
    pub cookies: HashMap<String, String>,
}

/// An answer, read whole.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub content_type: String,
    pub body: String,
}

impl Browser {
    pub async fn send(
        &mut self,
        site: &impl Site,
        req: axum::http::request::Builder,
        body: Body,
    ) -> Page {
        let cookie: Vec<String> = (self.cookies.iter())
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let req = req
            .header(header::COOKIE, cookie.join("; "))
            .body(body)
            .unwrap();
        let res = site.router().clone().oneshot(req).await.unwrap();
        for c in res.headers().get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax"), "{c}");
            let (kv, _) = c.split_once(';').unwrap();
            let (k, v) = kv.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.into(), v.into());
            }
        }
        let status = res.status();
        let header = |h| {
            (res.headers().get(h)).map(|v: &header::HeaderValue| v.to_str().unwrap().to_string())
        };
        let location = header(header::LOCATION);
        let content_type = header(header::CONTENT_TYPE).unwrap_or_default();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        Page {
            status,
            location,
            content_type,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    pub async fn get(&mut self, site: &impl Site, uri: &str) -> Page {
        self.send(site, Request::get(uri), Body::empty()).await
    }

    /// A form posted from [`SITE`].
    pub async fn post(&mut self, site: &impl Site, uri: &str, form: &[(&str, &str)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::CONTENT_LENGTH, body.len())
            .header(header::ORIGIN, SITE);
        self.send(site, req, Body::from(body)).await
    }
}

/// The value of the hidden field `name` in a page.
pub fn field(body: &str, name: &str) -> String {
    let at = body
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in {body}"));
    let rest = &body[at + name.len() + 15..];
    // As a browser reads it: minijinja escapes `/`, `&` and quotes.
    rest[..rest.find('"').unwrap()]
        .replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Every sign-in link mailed to `to` so far, oldest first, as paths (read from the outbox's
/// bytes; the deliveries are released again).
pub async fn sign_in_links(store: &Arc<dyn Store>, to: &str) -> Vec<String> {
    (super::queued_to(store, to).await.into_iter())
        .filter_map(|mail| {
            // Quoted-printable soft line breaks and `=` undone.
            let text = mail.replace("=\r\n", "").replace("=3D", "=");
            let at = text.find(&format!("{SITE}/signin/link?"))?;
            let l = text[at..].split_whitespace().next().unwrap();
            Some(l.trim_start_matches(SITE).to_string())
        })
        .collect()
}

/// A browser signed in as `email` by the newest link mailed to it.
pub async fn signed_in(site: &impl Site, store: &Arc<dyn Store>, email: &str) -> Browser {
    let mut b = Browser::default();
    let form = b.get(site, "/signin").await;
    let csrf = field(&form.body, "csrf");
    let sent = b
        .post(
            site,
            "/signin/email",
            &[("email", email), ("csrf", &csrf), ("next", "/")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    let links = sign_in_links(store, &email.trim().to_ascii_lowercase()).await;
    let page = b.get(site, links.last().expect("a sign-in link")).await;
    let (token, csrf, next) = (
        field(&page.body, "token"),
        field(&page.body, "csrf"),
        field(&page.body, "next"),
    );
    let done = b
        .post(
            site,
            "/signin/link",
            &[("token", &token), ("csrf", &csrf), ("next", &next)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    b
}
