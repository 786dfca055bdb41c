//! outloud's HTTP client for OAuth2 and OpenID Connect: a form POST to a token endpoint, or any
//! request the `openidconnect` crate makes (discovery, keys, the code exchange). HTTPS (rustls
//! with ring, see [`crate::tls`]) or plain HTTP to loopback, over hyper's HTTP/1 client, one
//! connection per request (tokens are asked for about once an hour, sign-ins are rare). The whole exchange is bounded by [`TIMEOUT`] and the answer by
//! [`MAX_BODY`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use url::Url;

use crate::config::Secret;

/// Connect, handshake, send and read the whole answer within this.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// A token answer is a few kilobytes; anything larger is not one.
pub const MAX_BODY: usize = 1 << 20;

/// A form-encoded POST (`application/x-www-form-urlencoded`, RFC 6749 section 4.4.2).
pub struct FormPost<'a> {
    pub url: &'a Url,
    /// Names and values, encoded here.
    pub form: Vec<(&'static str, String)>,
    /// HTTP Basic client authentication (RFC 6749 section 2.3.1), when used.
    pub basic: Option<(&'a str, &'a Secret)>,
    /// An extra CA to trust, for a token endpoint behind a private CA.
    pub ca_file: Option<&'a Path>,
}

impl std::fmt::Debug for FormPost<'_> {
    // Form values carry secrets (client_secret, refresh_token, assertions): names only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.form.iter().map(|(k, _)| *k).collect();
        f.debug_struct("FormPost")
            .field("url", &self.url.as_str())
            .field("form", &names)
            .finish_non_exhaustive()
    }
}

/// The status and body of the answer, or why there is none (connection, TLS, timeout).
pub async fn post_form(req: &FormPost<'_>) -> Result<(u16, Bytes), String> {
    let built = request(req)?;
    match tokio::time::timeout(TIMEOUT, exchange_body(req.url, req.ca_file, built)).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {} s", TIMEOUT.as_secs())),
    }
}

/// Any request, as the `openidconnect` crate hands it over (an absolute URL, its headers and
/// body): sent over the same client, bounded the same way; no redirect is followed (a
/// redirect answer is returned as it is, so a provider cannot point us elsewhere: SSRF).
pub async fn send_any(
    req: hyper::Request<Vec<u8>>,
    ca_file: Option<&Path>,
) -> Result<hyper::Response<Vec<u8>>, String> {
    let url = Url::parse(&req.uri().to_string()).map_err(|e| format!("{}: {e}", req.uri()))?;
    let (parts, body) = req.into_parts();
    let mut builder = hyper::Request::builder()
        .method(parts.method)
        .uri(path_and_query(&url));
    for (name, value) in &parts.headers {
        builder = builder.header(name, value);
    }
    let built = builder
        .header(header::HOST, host_header(&url))
        .header(
            header::USER_AGENT,
            concat!("outloud/", env!("CARGO_PKG_VERSION")),
        )
        .header(header::CONNECTION, "close")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("building the request: {e}"))?;
    let answer = tokio::time::timeout(TIMEOUT, exchange(&url, ca_file, built)).await;
    let answer =
        answer.unwrap_or_else(|_| Err(format!("no answer within {} s", TIMEOUT.as_secs())));
    answer.map(|r| r.map(Vec::from))
}

/// Status and body only, for the callers that look at nothing else.
async fn exchange_body(
    url: &Url,
    ca_file: Option<&Path>,
    req: hyper::Request<Full<Bytes>>,
) -> Result<(u16, Bytes), String> {
    let r = exchange(url, ca_file, req).await?;
    Ok((r.status().as_u16(), r.into_body()))
}

async fn exchange(
    url: &Url,
    ca_file: Option<&Path>,
    req: hyper::Request<Full<Bytes>>,
) -> Result<hyper::Response<Bytes>, String> {
    let host = url.host_str().ok_or("the URL has no host")?;
    let port = url.port_or_known_default().ok_or("the URL has no port")?;
    let tcp = TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    match url.scheme() {
        "https" => {
            let config = crate::tls::client_config(ca_file)?;
            let name = rustls_name(host)?;
            let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS with {host}: {e}"))?;
            send(tls, req).await
        }
        "http" => send(tcp, req).await,
        other => Err(format!("unsupported URL scheme {other:?}")),
    }
}

fn rustls_name(host: &str) -> Result<tokio_rustls::rustls::pki_types::ServerName<'static>, String> {
    tokio_rustls::rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| format!("{host:?} is not a valid server name: {e}"))
}

async fn send<S>(io: S, req: hyper::Request<Full<Bytes>>) -> Result<hyper::Response<Bytes>, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| format!("HTTP handshake: {e}"))?;
    // The connection is driven beside the request and ends with it ("Connection: close").
    let driver = tokio::spawn(conn);
    let result = async {
        let response = sender
            .send_request(req)
            .await
            .map_err(|e| format!("sending the request: {e}"))?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, MAX_BODY)
            .collect()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?;
        Ok(hyper::Response::from_parts(parts, body.to_bytes()))
    }
    .await;
    driver.abort();
    result
}

fn request(req: &FormPost<'_>) -> Result<hyper::Request<Full<Bytes>>, String> {
    let url = req.url;
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in &req.form {
        body.append_pair(k, v);
    }
    let mut builder = hyper::Request::post(path_and_query(url))
        .header(header::HOST, host_header(url))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(
            header::USER_AGENT,
            concat!("outloud/", env!("CARGO_PKG_VERSION")),
        )
        .header(header::CONNECTION, "close");
    if let Some((id, secret)) = req.basic {
        builder = builder.header(header::AUTHORIZATION, basic_auth(id, secret));
    }
    builder
        .body(Full::new(Bytes::from(body.finish())))
        .map_err(|e| format!("building the request: {e}"))
}

fn host_header(url: &Url) -> String {
    match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    }
}

fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, as RFC 6749 section 2.3.1 spells it.
pub fn basic_auth(client_id: &str, secret: &Secret) -> String {
    use base64::Engine;
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", enc(client_id), enc(&secret.0));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_encodes_the_pair_first() {
        let s = Secret("p@ss:word".into());
        // "client%3A1:p%40ss%3Aword"
        assert_eq!(
            basic_auth("client:1", &s),
            "Basic Y2xpZW50JTNBMTpwJTQwc3MlM0F3b3Jk"
        );
    }

    #[test]
    fn the_request_is_a_form_post_without_secrets_in_debug() {
        let url = Url::parse("https://login.example/t/oauth2/v2.0/token?x=1").unwrap();
        let secret = Secret("hunter2".into());
        let post = FormPost {
            url: &url,
            form: vec![("client_secret", "hunter2".into()), ("scope", "a b".into())],
            basic: Some(("id", &secret)),
            ca_file: None,
        };
        let r = request(&post).unwrap();
        assert_eq!(r.uri(), "/t/oauth2/v2.0/token?x=1");
        assert_eq!(r.headers()[header::HOST], "login.example");
        assert!(!format!("{post:?}").contains("hunter2"));
    }
}
