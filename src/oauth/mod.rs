//! OAuth2 access tokens for logging in to mail servers (IMAP now, SMTP later) with SASL
//! XOAUTH2 or OAUTHBEARER instead of a password.
//!
//! - [`source`]: [`TokenSource`], one per `[mailboxes.oauth2]` block: asks the provider for a
//!   token (Microsoft Entra client credentials with a secret or a certificate, a Google service
//!   account with domain-wide delegation, any OAuth2 token endpoint, or a command), caches it
//!   and renews it before it expires.
//! - Pure parts, unit-tested without a network: [`grant`] (request forms, answers, refusals),
//!   [`jwt`] (signed assertions), [`cache`] (when a token is renewed), [`sasl`] (the SASL
//!   messages and the answer to a refusal).
//! - [`http`]: the one HTTP request a token costs.
//!
//! Secrets (client secrets, refresh tokens, private keys) are read from the environment or
//! files each time a token is fetched, so a rotated secret is picked up without a restart;
//! they and the tokens are masked in `Debug`.

pub mod cache;
pub mod grant;
pub mod http;
pub mod jwt;
pub mod sasl;
pub mod source;

pub use cache::Token;
pub use sasl::Mechanism;
pub use source::TokenSource;

/// Why no token could be had. Each says which step failed, in the provider's words where it
/// gave any; the caller adds which mailbox.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// A secret, key, certificate or key file could not be read or used: a setup problem.
    /// `key` is the `[mailboxes.oauth2]` key that names it.
    #[error("{what} ({key}): {message}")]
    Setup {
        key: &'static str,
        what: String,
        message: String,
    },
    /// The token endpoint could not be reached, or answered without a token or refusal.
    #[error("token endpoint {url}: {message}")]
    Unreachable { url: String, message: String },
    /// The token endpoint refused (RFC 6749 section 5.2), e.g. `invalid_client`.
    #[error("token endpoint {url} refused the request (HTTP {status}, {error}){}", description_suffix(.description))]
    Refused {
        url: String,
        status: u16,
        error: String,
        description: Option<String>,
    },
    /// The token command failed or printed no token.
    #[error("token command {program}: {message}")]
    Command { program: String, message: String },
}

fn description_suffix(d: &Option<String>) -> String {
    d.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
}

impl OAuthError {
    /// Asking again at once will not help: the credentials or the setup are wrong (a refusal
    /// other than a server error or throttling). Retried slowly, like a wrong password.
    pub fn is_refusal(&self) -> bool {
        match self {
            OAuthError::Setup { .. } => true,
            OAuthError::Refused { status, error, .. } => {
                *status < 500 && *status != 429 && error != "temporarily_unavailable"
            }
            _ => false,
        }
    }
}
