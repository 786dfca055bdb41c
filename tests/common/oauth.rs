//! The mail stack's OAuth2 token server (scripts/oauth-server.py) seen from the tests: its
//! address, the credentials the stack made for it, and its admin calls (register a client,
//! mint, revoke, disable, count what it issued).

use std::path::PathBuf;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The token server of the running stack, from the variables `scripts/mailstack.sh` exports.
#[derive(Debug, Clone)]
pub struct TokenServer {
    pub port: u16,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// A client registered with the stack's certificate (an Entra certificate credential).
    pub cert_client: String,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// A Google-style service-account key file whose token_uri is this server.
    pub service_account: PathBuf,
}

impl TokenServer {
    /// `None` when the stack's variables are not set (the caller skips or fails).
    pub fn from_env() -> Option<TokenServer> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Some(TokenServer {
            port: var("OUTLOUD_OAUTH_PORT")?.parse().ok()?,
            url: var("OUTLOUD_OAUTH_URL")?,
            cert_client: var("OUTLOUD_OAUTH_CERT_CLIENT")?,
            client_cert: var("OUTLOUD_OAUTH_CLIENT_CERT")?.into(),
            client_key: var("OUTLOUD_OAUTH_CLIENT_KEY")?.into(),
            service_account: var("OUTLOUD_OAUTH_SERVICE_ACCOUNT")?.into(),
        })
    }

    /// POST a JSON body to an admin endpoint; the JSON answer.
    pub async fn admin(&self, path: &str, body: Value) -> Value {
        let body = body.to_string();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        self.exchange(&request).await
    }

    async fn exchange(&self, request: &str) -> Value {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect to the token server");
        s.write_all(request.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.unwrap();
        let text = String::from_utf8_lossy(&buf);
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
        assert!(
            head.starts_with("HTTP/1.1 200"),
            "token server: {head}\n{body}"
        );
        serde_json::from_str(body).expect("JSON from the token server")
    }

    /// Register a client (see the server's doc for the fields).
    pub async fn add_client(&self, spec: Value) {
        self.admin("/admin/clients", spec).await;
    }

    /// A token for `user` without a client, valid `lifetime` seconds.
    pub async fn mint(&self, user: &str, lifetime: u64) -> String {
        let v = self
            .admin("/admin/mint", json!({"user": user, "lifetime": lifetime}))
            .await;
        v["access_token"].as_str().unwrap().to_string()
    }

    pub async fn revoke_token(&self, token: &str) {
        self.admin("/admin/revoke", json!({ "token": token })).await;
    }

    pub async fn revoke_client(&self, client_id: &str) {
        self.admin("/admin/revoke", json!({ "client_id": client_id }))
            .await;
    }

    pub async fn disable(&self, client_id: &str) {
        self.admin("/admin/disable", json!({ "client_id": client_id }))
            .await;
    }

    /// Every access token issued to `client_id`.
    pub async fn tokens(&self, client_id: &str) -> Vec<String> {
        let request = format!(
            "GET /admin/tokens?client_id={client_id} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        );
        let v = self.exchange(&request).await;
        let list = v["tokens"].as_array().expect("a token list");
        list.iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect()
    }

    /// Tokens issued to `client_id`, and how often its tokens were introspected (one per
    /// login).
    pub async fn stats(&self, client_id: &str) -> (u64, u64) {
        let request = format!(
            "GET /admin/stats?client_id={client_id} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        );
        let v = self.exchange(&request).await;
        (
            v["issued"].as_u64().unwrap(),
            v["introspected"].as_u64().unwrap(),
        )
    }
}
