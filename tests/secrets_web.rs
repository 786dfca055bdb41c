//! The web view's secrets never reach the output of an `outloud run` at `RUST_LOG=trace`: the
//! OpenID Connect client secret (and a password in the issuer URL, met in the provider error
//! logged when discovery fails), the `/healthz` admin token, and what signing in hands out —
//! the emailed link's token, the session cookie and its CSRF token, a personal API token —
//! while a colleague signs in by emailed link, makes a token and uses it.

mod common;

use std::collections::HashMap;
use std::process::{Command, Stdio};

use outloud::store::outbox::ClaimRequest;

const OIDC_SECRET: &str = "Oidc-Client-S3cret";
const ISSUER_PASSWORD: &str = "Issuer-Pw-S3cret";
const ADMIN_TOKEN: &str = "Admin-Health-T0ken";

struct Answer {
    status: u16,
    head: String,
    body: String,
}

/// One HTTP/1.1 request on loopback with the cookies in `jar`, which takes what is set.
async fn http(
    port: u16,
    jar: &mut HashMap<String, String>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    form: &[(&str, &str)],
) -> Answer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let cookies: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Cookie: {}\r\nOrigin: http://127.0.0.1:{port}\r\nContent-Length: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n",
        cookies.join("; "),
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    for line in head.lines() {
        let Some(c) = line.strip_prefix("set-cookie: ") else {
            continue;
        };
        let (kv, _) = c.split_once(';').unwrap_or((c, ""));
        let (k, v) = kv.split_once('=').unwrap();
        jar.insert(k.to_string(), v.to_string());
    }
    Answer {
        status: head.split_whitespace().nth(1).unwrap().parse().unwrap(),
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// The value of the hidden field `name` in a page.
fn field(body: &str, name: &str) -> String {
    let at = body
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in {body}"));
    let rest = &body[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()]
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

/// The token of the sign-in link mailed to `to`, read from the outbox.
async fn mailed_link_token(db_url: &str, to: &str) -> String {
    let store = outloud::store::open(db_url).await.unwrap();
    let claimed = store
        .claim_deliveries(&ClaimRequest {
            holder: "test".into(),
            now: i64::MAX / 2,
            limit: 10,
            lease_secs: 1,
            only: None,
        })
        .await
        .unwrap();
    let ids: Vec<i64> = claimed.iter().map(|d| d.id).collect();
    store.release_deliveries(&ids, "test").await.unwrap();
    let mail = claimed.iter().find(|d| d.recipient == to).expect("a link");
    let text = String::from_utf8_lossy(&mail.bytes)
        .replace("=\r\n", "")
        .replace("=3D", "=");
    let at = text.find("token=").expect("a token in the mail") + 6;
    text[at..]
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .next()
        .unwrap()
        .to_string()
}

fn config(dir: &std::path::Path, port: u16) -> (std::path::PathBuf, String) {
    let db_url = format!("sqlite:{}", dir.join("outloud.db").display());
    let path = dir.join("outloud.toml");
    std::fs::write(
        &path,
        format!(
            "[database]\nurl = \"{db_url}\"\n[identity]\naddresses = [\"outloud@corp.example\"]\n\
             [web]\nbind = \"127.0.0.1:{port}\"\nadmins = [\"boss@corp.example\"]\n\
             allowed_domains = [\"corp.example\"]\nadmin_token_env = \"SECRETS_TEST_ADMIN\"\n\
             oidc_issuer = \"http://app:{ISSUER_PASSWORD}@127.0.0.1:1/idp\"\n\
             oidc_client_id = \"outloud\"\noidc_client_secret_env = \"SECRETS_TEST_OIDC\"\n"
        ),
    )
    .unwrap();
    (path, db_url)
}

/// Sign in by emailed link, make a personal token and use it, ask for the /healthz detail,
/// start an OpenID Connect sign-in: every secret handed out or held on the way.
async fn sign_in_and_use_tokens(port: u16, db_url: &str) -> Vec<String> {
    let jar = &mut HashMap::new();
    let form = http(port, jar, "GET", "/signin", &[], &[]).await;
    let csrf = field(&form.body, "csrf");
    let who = "boss@corp.example";
    let sent = (http(
        port,
        jar,
        "POST",
        "/signin/email",
        &[],
        &[("email", who), ("csrf", &csrf)],
    ))
    .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let link = mailed_link_token(db_url, who).await;
    let page = http(
        port,
        jar,
        "GET",
        &format!("/signin/link?token={link}"),
        &[],
        &[],
    )
    .await;
    let form = [
        ("token", link.as_str()),
        ("csrf", &field(&page.body, "csrf")),
        ("next", "/"),
    ];
    let signed = http(port, jar, "POST", "/signin/link", &[], &form).await;
    assert_eq!(signed.status, 303, "{}\n{}", signed.head, signed.body);
    let session = jar["outloud_session"].clone();
    let settings = http(port, jar, "GET", "/settings", &[], &[]).await;
    let session_csrf = field(&settings.body, "csrf");
    let form = [("csrf", session_csrf.as_str()), ("label", "script")];
    let made = http(port, jar, "POST", "/settings/tokens", &[], &form).await;
    let at = made.body.find("<code class=\"token\">").expect("a token") + 20;
    let api_token = made.body[at..at + made.body[at..].find('<').unwrap()].to_string();
    let bearer = format!("Bearer {api_token}");
    let api = http(
        port,
        &mut HashMap::new(),
        "GET",
        "/api/v1/groups",
        &[("Authorization", &bearer)],
        &[],
    )
    .await;
    assert_eq!(api.status, 200, "{}", api.body);
    let admin = format!("Bearer {ADMIN_TOKEN}");
    let health = http(
        port,
        &mut HashMap::new(),
        "GET",
        "/healthz",
        &[("Authorization", &admin)],
        &[],
    )
    .await;
    assert!(health.body.contains("mailboxes"), "{}", health.body);
    // Discovery fails (nothing listens at the issuer): logged, with the issuer's URL.
    let oidc = http(port, jar, "GET", "/signin/oidc", &[], &[]).await;
    assert_eq!(oidc.status, 500, "{}", oidc.body);
    vec![link, session, session_csrf, api_token]
}

#[tokio::test]
async fn trace_run_of_the_web_view_prints_no_sign_in_secret() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (config, db_url) = config(dir.path(), port);
    let log = dir.path().join("outloud.log");
    let out = std::fs::File::create(&log).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_outloud"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .env_remove("OUTLOUD_CONFIG")
        .env_remove("OUTLOUD_DATABASE_URL")
        .env("RUST_LOG", "trace")
        .env("SECRETS_TEST_OIDC", OIDC_SECRET)
        .env("SECRETS_TEST_ADMIN", ADMIN_TOKEN)
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .expect("start outloud run");
    common::eventually("the web view answers", || async {
        common::http_get(port, "/healthz").await.is_some()
    })
    .await;
    let handed_out = sign_in_and_use_tokens(port, &db_url).await;
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("DEBUG"),
        "RUST_LOG=trace did not take effect:\n{text}"
    );
    assert!(
        text.contains("OpenID Connect provider unavailable") && text.contains("app:***@"),
        "the failed discovery is logged, its URL masked:\n{text}"
    );
    let held = [OIDC_SECRET, ISSUER_PASSWORD, ADMIN_TOKEN].map(str::to_string);
    for secret in held.iter().chain(&handed_out) {
        assert!(
            !text.contains(secret.as_str()),
            "{secret:?} appears in the output of outloud run at RUST_LOG=trace:\n{text}"
        );
    }
}
