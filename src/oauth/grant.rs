//! What a token request says and what its answer means, per provider, apart from the HTTP:
//! the token endpoint's URL, the form fields (RFC 6749 section 4.4 client credentials, section
//! 6 refresh, RFC 7523 JWT bearer and client assertions), the answer (section 5.1) or refusal
//! (section 5.2), and a token command's output. Pure: credentials are passed in, already read.

use serde::Deserialize;

use super::jwt::{self, Alg, GoogleGrant, Signer};
use super::OAuthError;
use crate::config::Secret;

pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Google's token endpoint when a key file does not name one.
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// Lifetime assumed when an answer has no `expires_in` (RFC 6749 only recommends it).
pub const DEFAULT_LIFETIME_SECS: i64 = 3600;

/// Entra's v2.0 token endpoint of a tenant.
pub fn microsoft_token_url(authority: &str, tenant: &str) -> String {
    format!(
        "{}/{tenant}/oauth2/v2.0/token",
        authority.trim_end_matches('/')
    )
}

/// How an Entra app proves who it is.
pub enum MicrosoftCredential {
    Secret(Secret),
    /// The certificate (DER) registered with the app, and its private key.
    Certificate {
        cert_der: Vec<u8>,
        signer: Box<Signer>,
    },
}

/// The form of Entra's client credentials grant.
pub fn microsoft_form(
    client_id: &str,
    scope: &str,
    token_url: &str,
    credential: &MicrosoftCredential,
    now: i64,
) -> Result<Vec<(&'static str, String)>, String> {
    let mut form = vec![
        ("grant_type", "client_credentials".to_string()),
        ("client_id", client_id.to_string()),
        ("scope", scope.to_string()),
    ];
    match credential {
        MicrosoftCredential::Secret(s) => form.push(("client_secret", s.0.clone())),
        MicrosoftCredential::Certificate { cert_der, signer } => {
            let jti = jwt::new_jti();
            let (h, c) = jwt::microsoft_assertion(client_id, token_url, cert_der, now, &jti);
            form.push(("client_assertion_type", CLIENT_ASSERTION_TYPE.into()));
            form.push(("client_assertion", jwt::encode(&h, &c, Alg::Ps256, signer)?));
        }
    }
    Ok(form)
}

/// A Google service account's JSON key file, the fields the grant needs.
#[derive(Deserialize)]
pub struct ServiceAccount {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub client_email: String,
    pub private_key: String,
    pub private_key_id: Option<String>,
    pub token_uri: Option<String>,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .field("private_key_id", &self.private_key_id)
            .finish_non_exhaustive()
    }
}

impl ServiceAccount {
    pub fn parse(text: &str) -> Result<ServiceAccount, String> {
        let sa: ServiceAccount = serde_json::from_str(text)
            .map_err(|e| format!("not a service account key file: {e}"))?;
        match sa.kind.as_deref() {
            Some("service_account") | None => Ok(sa),
            Some(other) => Err(format!(
                "type {other:?}: a service account key file (type \"service_account\") is needed"
            )),
        }
    }

    pub fn token_url(&self) -> &str {
        self.token_uri.as_deref().unwrap_or(GOOGLE_TOKEN_URL)
    }
}

/// The form of Google's service-account grant: a signed JWT for `subject`.
pub fn google_form(
    sa: &ServiceAccount,
    signer: &Signer,
    scope: &str,
    subject: &str,
    now: i64,
) -> Result<Vec<(&'static str, String)>, String> {
    let grant = GoogleGrant {
        client_email: &sa.client_email,
        key_id: sa.private_key_id.as_deref(),
        scope,
        token_url: sa.token_url(),
        subject,
    };
    let (h, c) = jwt::google_assertion(&grant, now);
    Ok(vec![
        ("grant_type", JWT_BEARER_GRANT.into()),
        ("assertion", jwt::encode(&h, &c, Alg::Rs256, signer)?),
    ])
}

/// A good answer (RFC 6749 section 5.1).
#[derive(Deserialize)]
struct Success {
    access_token: String,
    token_type: Option<String>,
    /// A number, or (some servers) a string holding one.
    expires_in: Option<serde_json::Value>,
    refresh_token: Option<String>,
}

/// A refusal (RFC 6749 section 5.2).
#[derive(Deserialize)]
struct Refusal {
    error: String,
    error_description: Option<String>,
}

/// What a token endpoint answered.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    pub token: Secret,
    pub lifetime_secs: i64,
    /// A new refresh token, when the server rotates them.
    pub refresh_token: Option<Secret>,
}

/// Read the endpoint's answer: the token, or why not (with the server's own words).
pub fn read_answer(url: &str, status: u16, body: &[u8]) -> Result<Answer, OAuthError> {
    let text = String::from_utf8_lossy(body);
    if (200..300).contains(&status) {
        let ok: Success = serde_json::from_slice(body).map_err(|e| OAuthError::Unreachable {
            url: url.into(),
            message: format!(
                "answered {status} without a token ({e}): {}",
                excerpt(&text)
            ),
        })?;
        if let Some(kind) = ok.token_type.filter(|t| !t.eq_ignore_ascii_case("bearer")) {
            return Err(OAuthError::Unreachable {
                url: url.into(),
                message: format!("issued a {kind:?} token; IMAP and SMTP need a Bearer token"),
            });
        }
        let lifetime = match ok.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_i64(),
            Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        return Ok(Answer {
            token: Secret(ok.access_token),
            lifetime_secs: lifetime.unwrap_or(DEFAULT_LIFETIME_SECS),
            refresh_token: ok.refresh_token.map(Secret),
        });
    }
    match serde_json::from_slice::<Refusal>(body) {
        Ok(r) => Err(OAuthError::Refused {
            url: url.into(),
            status,
            error: r.error,
            description: r.error_description,
        }),
        Err(_) => Err(OAuthError::Unreachable {
            url: url.into(),
            message: format!("answered HTTP {status}: {}", excerpt(&text)),
        }),
    }
}

/// A token command's output: a JSON object with `access_token` (and `expires_in`), or the
/// token itself on the first line (used for `default_lifetime` seconds).
pub fn read_command_output(stdout: &str, default_lifetime: i64) -> Result<Answer, String> {
    let text = stdout.trim();
    if text.starts_with('{') {
        let ok: Success = serde_json::from_str(text)
            .map_err(|e| format!("printed JSON without access_token: {e}"))?;
        let lifetime = ok.expires_in.and_then(|v| match v {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        });
        return Ok(Answer {
            token: Secret(ok.access_token),
            lifetime_secs: lifetime.unwrap_or(default_lifetime),
            refresh_token: None,
        });
    }
    match text.lines().next().map(str::trim).filter(|l| !l.is_empty()) {
        Some(token) if !token.contains(char::is_whitespace) => Ok(Answer {
            token: Secret(token.to_string()),
            lifetime_secs: default_lifetime,
            refresh_token: None,
        }),
        Some(_) => Err("printed a line with spaces, not a token".into()),
        None => Err("printed nothing".into()),
    }
}

/// The first 200 characters of a text, on one line.
pub fn excerpt(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = include_str!("../../tests/fixtures/oauth/test-rsa-key.pem");

    #[test]
    fn entra_token_url_and_secret_form() {
        let url = microsoft_token_url("https://login.microsoftonline.com/", "contoso.example");
        assert_eq!(
            url,
            "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token"
        );
        let secret = MicrosoftCredential::Secret(Secret("s3".into()));
        let form = microsoft_form(
            "app",
            "https://outlook.office365.com/.default",
            &url,
            &secret,
            0,
        )
        .unwrap();
        let names: Vec<&str> = form.iter().map(|(k, _)| *k).collect();
        assert_eq!(names, ["grant_type", "client_id", "scope", "client_secret"]);
        assert_eq!(form[0].1, "client_credentials");
    }

    #[test]
    fn entra_certificate_form_carries_a_signed_assertion() {
        let cert = MicrosoftCredential::Certificate {
            cert_der: vec![1, 2, 3],
            signer: Box::new(Signer::from_pem(KEY.as_bytes()).unwrap()),
        };
        let form = microsoft_form("app", "s", "https://t/token", &cert, 100).unwrap();
        assert_eq!(
            form[3],
            ("client_assertion_type", CLIENT_ASSERTION_TYPE.into())
        );
        assert_eq!(form[4].0, "client_assertion");
        assert_eq!(form[4].1.split('.').count(), 3);
    }

    #[test]
    fn google_key_file_and_form() {
        let text = serde_json::json!({
            "type": "service_account", "client_email": "sa@p.iam.gserviceaccount.com",
            "private_key": KEY, "private_key_id": "k1",
        })
        .to_string();
        let sa = ServiceAccount::parse(&text).unwrap();
        assert_eq!(sa.token_url(), GOOGLE_TOKEN_URL);
        assert!(!format!("{sa:?}").contains("PRIVATE KEY"));
        let signer = Signer::from_pem(sa.private_key.as_bytes()).unwrap();
        let form = google_form(&sa, &signer, "https://mail.google.com/", "g@corp", 0).unwrap();
        assert_eq!(form[0], ("grant_type", JWT_BEARER_GRANT.into()));
        let user = ServiceAccount::parse(
            r#"{"type":"authorized_user","client_email":"x","private_key":""}"#,
        );
        assert!(user.unwrap_err().contains("service_account"));
    }

    #[test]
    fn answers_and_refusals() {
        let ok = br#"{"access_token":"abc","token_type":"Bearer","expires_in":3599}"#;
        let a = read_answer("u", 200, ok).unwrap();
        assert_eq!((a.token.0.as_str(), a.lifetime_secs), ("abc", 3599));
        let s = br#"{"access_token":"abc","token_type":"bearer","expires_in":"60","refresh_token":"r2"}"#;
        let a = read_answer("u", 200, s).unwrap();
        assert_eq!(
            (a.lifetime_secs, a.refresh_token),
            (60, Some(Secret("r2".into())))
        );
        let refused = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#;
        let e = read_answer("https://t/token", 401, refused).unwrap_err();
        assert_eq!(
            e.to_string(),
            "token endpoint https://t/token refused the request (HTTP 401, invalid_client): AADSTS7000215: Invalid client secret provided."
        );
        let e = read_answer("u", 502, b"<html>Bad gateway</html>").unwrap_err();
        assert!(
            e.to_string()
                .contains("answered HTTP 502: <html>Bad gateway</html>"),
            "{e}"
        );
        let mac = br#"{"access_token":"abc","token_type":"mac"}"#;
        assert!(read_answer("u", 200, mac)
            .unwrap_err()
            .to_string()
            .contains("Bearer"));
    }

    #[test]
    fn command_output() {
        let a = read_command_output("tok123\n", 300).unwrap();
        assert_eq!((a.token.0.as_str(), a.lifetime_secs), ("tok123", 300));
        let a = read_command_output(r#"{"access_token":"t","expires_in":42}"#, 300).unwrap();
        assert_eq!((a.token.0.as_str(), a.lifetime_secs), ("t", 42));
        assert_eq!(read_command_output("\n", 1).unwrap_err(), "printed nothing");
        assert!(read_command_output("usage: get-token", 1).is_err());
    }
}
