//! Logging in once the connection is secured: LOGIN with a password, or AUTHENTICATE XOAUTH2 /
//! OAUTHBEARER with a token from the mailbox's [`TokenSource`]. A refused token says so
//! (with the server's error challenge); a refused token that came from the cache is replaced
//! by a new one and tried once more on the same connection, since the server may have revoked
//! it early.

use std::sync::Arc;

use async_imap::error::Error as ImapProtoError;

use super::connect::{server_text, temporary_refusal, Account, ImapError, STEP_TIMEOUT};
use super::connect::{Client, Session};
use crate::clock::Clock;
use crate::config::{AuthMethod, MailboxConfig, Secret};
use crate::oauth::sasl::Exchange;
use crate::oauth::source::Origin;
use crate::oauth::{Mechanism, Token, TokenSource};

/// How a mailbox logs in.
#[derive(Clone)]
pub enum Login {
    Password(Secret),
    OAuth2(OAuthLogin),
}

/// A token login: which SASL mechanism, where tokens come from, and the clock their lifetimes
/// are read on.
#[derive(Clone)]
pub struct OAuthLogin {
    pub mechanism: Mechanism,
    pub source: Arc<TokenSource>,
    pub clock: Clock,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Login::Password(_) => f.write_str("Login::Password(***)"),
            Login::OAuth2(o) => write!(f, "Login::OAuth2({}, {:?})", o.mechanism.name(), o.source),
        }
    }
}

impl From<Secret> for Login {
    fn from(s: Secret) -> Login {
        Login::Password(s)
    }
}

impl Login {
    /// The token login of a mailbox with `auth = "xoauth2"` or `"oauthbearer"` (its token
    /// source's secrets not read yet: [`TokenSource::check`]); `None` for a password login.
    pub fn oauth2(m: &MailboxConfig, clock: &Clock) -> Option<Login> {
        let mechanism = match m.auth {
            AuthMethod::Password => return None,
            AuthMethod::Xoauth2 => Mechanism::Xoauth2,
            AuthMethod::Oauthbearer => Mechanism::Oauthbearer,
        };
        Some(Login::OAuth2(OAuthLogin {
            mechanism,
            source: Arc::new(TokenSource::new(m.oauth2.as_ref()?, &m.user)),
            clock: clock.clone(),
        }))
    }

    /// The mechanism as logs name it: `password`, `XOAUTH2`, `OAUTHBEARER`.
    pub fn method(&self) -> &'static str {
        match self {
            Login::Password(_) => "password",
            Login::OAuth2(o) => o.mechanism.name(),
        }
    }
}

/// The session, and for a token login when that token is due for renewal (Unix seconds): a
/// connection is replaced then, before a server that checks token lifetimes drops it.
pub(super) async fn log_in(
    cfg: &MailboxConfig,
    account: &Account,
    client: Client,
    login: &Login,
) -> Result<(Session, Option<i64>), ImapError> {
    match login {
        Login::Password(p) => password(cfg, account, client, p).await.map(|s| (s, None)),
        Login::OAuth2(o) => oauth2(cfg, account, client, o)
            .await
            .map(|(s, renew)| (s, Some(renew))),
    }
}

async fn password(
    cfg: &MailboxConfig,
    account: &Account,
    client: Client,
    password: &Secret,
) -> Result<Session, ImapError> {
    match tokio::time::timeout(STEP_TIMEOUT, client.login(&cfg.user, &password.0)).await {
        Err(_) => Err(ImapError::Timeout {
            account: account.clone(),
            what: "logging in".into(),
        }),
        Ok(Ok(s)) => Ok(s),
        Ok(Err((ImapProtoError::No(message), _))) if !temporary_refusal(&message) => {
            Err(ImapError::Auth {
                account: account.clone(),
                message: server_text(&message),
            })
        }
        Ok(Err((e, _))) => Err(ImapError::from_imap(account, "logging in", e)),
    }
}

/// Why a token was not accepted.
enum Refusal {
    /// The server said no to the token; the connection can try again.
    Token {
        client: Client,
        message: String,
    },
    Other(ImapError),
}

async fn oauth2(
    cfg: &MailboxConfig,
    account: &Account,
    client: Client,
    o: &OAuthLogin,
) -> Result<(Session, i64), ImapError> {
    let token_err = |source| ImapError::Token {
        account: account.clone(),
        source: Box::new(source),
    };
    let (token, origin) = o
        .source
        .token_with_origin(o.clock.now())
        .await
        .map_err(token_err)?;
    let client = match authenticate(cfg, account, client, o.mechanism, &token).await {
        Ok(session) => return Ok((session, token.renew_at())),
        Err(Refusal::Token { client, message }) if origin == Origin::Cache => {
            tracing::info!(refusal = %message, "the server refused the cached OAuth2 token; fetching a new one");
            o.source.invalidate().await;
            client
        }
        Err(Refusal::Token { message, .. }) => return Err(refused(account, o, message)),
        Err(Refusal::Other(e)) => return Err(e),
    };
    let token = o.source.token(o.clock.now()).await.map_err(token_err)?;
    match authenticate(cfg, account, client, o.mechanism, &token).await {
        Ok(session) => Ok((session, token.renew_at())),
        Err(Refusal::Token { message, .. }) => Err(refused(account, o, message)),
        Err(Refusal::Other(e)) => Err(e),
    }
}

fn refused(account: &Account, o: &OAuthLogin, message: String) -> ImapError {
    ImapError::TokenRefused {
        account: account.clone(),
        mechanism: o.mechanism.name(),
        message,
    }
}

/// Lets async-imap drive the exchange while it stays ours to read afterwards.
struct Driver<'a>(&'a mut Exchange);

impl async_imap::Authenticator for Driver<'_> {
    type Response = Vec<u8>;
    fn process(&mut self, challenge: &[u8]) -> Vec<u8> {
        self.0.respond(challenge)
    }
}

async fn authenticate(
    cfg: &MailboxConfig,
    account: &Account,
    client: Client,
    mechanism: Mechanism,
    token: &Token,
) -> Result<Session, Refusal> {
    let initial = mechanism.initial_response(&cfg.user, &token.secret.0, &cfg.host, cfg.port());
    let mut exchange = Exchange::new(mechanism, initial);
    let what = format!("logging in with {}", mechanism.name());
    let result = tokio::time::timeout(
        STEP_TIMEOUT,
        client.authenticate(mechanism.name(), Driver(&mut exchange)),
    )
    .await;
    match result {
        Err(_) => Err(Refusal::Other(ImapError::Timeout {
            account: account.clone(),
            what,
        })),
        Ok(Ok(session)) => Ok(session),
        Ok(Err((ImapProtoError::No(message), client))) if !temporary_refusal(&message) => {
            let mut message = server_text(&message);
            if let Some(detail) = exchange.error {
                message = format!("{message} ({detail})");
            }
            Err(Refusal::Token { client, message })
        }
        Ok(Err((e, _))) => Err(Refusal::Other(ImapError::from_imap(account, &what, e))),
    }
}

/// Tell the server who we are (RFC 2971 ID, when offered) and learn its name, which says
/// whether it holds IDLE pushes back. Best effort: a server that answers badly is just
/// unnamed.
pub(super) async fn identify(session: &mut Session, offered: bool) -> Option<String> {
    if !offered {
        return None;
    }
    let ours = [
        ("name", Some("outloud")),
        ("version", Some(env!("CARGO_PKG_VERSION"))),
    ];
    match tokio::time::timeout(STEP_TIMEOUT, session.id(ours)).await {
        Ok(Ok(Some(theirs))) => theirs.get("name").cloned(),
        _ => None,
    }
}
