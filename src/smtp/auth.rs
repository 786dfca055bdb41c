//! Logging in to the submission server once the connection is secured: AUTH PLAIN or LOGIN
//! with a password (lettre's), or AUTH XOAUTH2 / OAUTHBEARER with a token from `[smtp.oauth2]`'s
//! [`TokenSource`] — the same token sources as the IMAP mailboxes.
//!
//! The token exchange is driven here rather than by lettre, which cannot answer the error
//! challenge a server sends when it refuses a token (RFC 7628 section 3.2.3; Postfix relays
//! Dovecot's, Gmail and Exchange send their own) and has no OAUTHBEARER. A refused token that
//! came from the cache is replaced by a new one and tried once more on the same connection (the
//! provider may have revoked it early); a refused new one is an error naming the server, the
//! mechanism and the user.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use lettre::transport::smtp::authentication::{Credentials as LettreCredentials, Mechanism};
use lettre::transport::smtp::client::AsyncSmtpConnection;

use super::{failed, text, timed, Failure, SmtpError, SmtpSettings, StepLog};
use crate::clock::Clock;
use crate::config::Secret;
use crate::core::delivery::Step;
use crate::oauth::sasl::describe_error;
use crate::oauth::source::Origin;
use crate::oauth::{self, Token, TokenSource};

/// How to log in.
#[derive(Clone)]
pub enum Credentials {
    None,
    Password {
        user: String,
        password: Secret,
    },
    /// A token from `source`, sent as SASL `mechanism` for the mailbox `user`.
    OAuth2(OAuthCredentials),
}

/// A token login: the mailbox sent from, the SASL mechanism, where tokens come from (shared by
/// every connection) and the clock their lifetimes are read on.
#[derive(Clone)]
pub struct OAuthCredentials {
    pub user: String,
    pub mechanism: oauth::Mechanism,
    pub source: Arc<TokenSource>,
    pub clock: Clock,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::None => f.write_str("Credentials::None"),
            Credentials::Password { user, .. } => write!(f, "Credentials::Password({user}, ***)"),
            Credentials::OAuth2(o) => write!(
                f,
                "Credentials::OAuth2({}, {}, {:?})",
                o.user,
                o.mechanism.name(),
                o.source
            ),
        }
    }
}

/// RFC 4954 section 4: an AUTH command whose initial response would make the line longer than
/// SMTP's 512 octets goes without it, and the response follows the server's empty challenge.
/// (Real Entra and Google tokens are 1-3 KB, too long for one line.)
const MAX_COMMAND_LINE: usize = 512;

/// Log in as `s.credentials` say; `offered` are the mechanisms the server's EHLO lists. For a
/// token login, when its token is due for renewal (Unix seconds): the connection should be
/// replaced by then.
pub(super) async fn log_in(
    conn: &mut AsyncSmtpConnection,
    s: &SmtpSettings,
    offered: &[String],
    log: &mut dyn StepLog,
) -> Result<Option<i64>, SmtpError> {
    match &s.credentials {
        Credentials::None => Ok(None),
        Credentials::Password { user, password } => password_login(conn, s, user, password, log)
            .await
            .map(|()| None),
        Credentials::OAuth2(o) => {
            let name = o.mechanism.name();
            if !offered.iter().any(|m| m == name) {
                // Not a refused token: no token is fetched for a server that cannot take one.
                let m = format!(
                    "the server does not offer AUTH {name} (it offers: {})",
                    offered.join(" ")
                );
                return Err(failed(log, s, Step::Auth, m));
            }
            oauth2_login(conn, s, o, log).await.map(Some)
        }
    }
}

async fn password_login(
    conn: &mut AsyncSmtpConnection,
    s: &SmtpSettings,
    user: &str,
    password: &Secret,
    log: &mut dyn StepLog,
) -> Result<(), SmtpError> {
    let creds = LettreCredentials::new(user.to_string(), password.0.clone());
    let auth = conn.auth(&[Mechanism::Plain, Mechanism::Login], &creds);
    match timed(s.timeout, auth).await {
        Ok(r) => {
            log.step(
                Step::Auth,
                true,
                &format!("logged in as {user}: {}", text(&r)),
            );
            Ok(())
        }
        Err(Failure::Refused(code, reply)) if code >= 500 => {
            let reply = format!("{code} {reply}");
            log.step(Step::Auth, false, &reply);
            Err(SmtpError::AuthRefused {
                server: s.server(),
                user: user.to_string(),
                reply,
            })
        }
        Err(e) => Err(failed(log, s, Step::Auth, e.text())),
    }
}

async fn oauth2_login(
    conn: &mut AsyncSmtpConnection,
    s: &SmtpSettings,
    o: &OAuthCredentials,
    log: &mut dyn StepLog,
) -> Result<i64, SmtpError> {
    let (token, origin) = token_step(s, o, log).await?;
    let reply = match sasl(conn, s, o, &token).await {
        Ok(reply) => return Ok(logged_in(o, &token, &reply, log)),
        Err(Sasl::Refused(reply)) if origin == Origin::Cache => reply,
        Err(Sasl::Refused(reply)) => return Err(refused(s, o, reply, log)),
        Err(Sasl::Other(e)) => return Err(failed(log, s, Step::Auth, e.text())),
    };
    log.step(
        Step::Auth,
        false,
        &format!("{reply}: the cached token was refused; fetching a new one"),
    );
    o.source.invalidate().await;
    let (token, _) = token_step(s, o, log).await?;
    match sasl(conn, s, o, &token).await {
        Ok(reply) => Ok(logged_in(o, &token, &reply, log)),
        Err(Sasl::Refused(reply)) => Err(refused(s, o, reply, log)),
        Err(Sasl::Other(e)) => Err(failed(log, s, Step::Auth, e.text())),
    }
}

fn logged_in(o: &OAuthCredentials, token: &Token, reply: &str, log: &mut dyn StepLog) -> i64 {
    let m = o.mechanism.name();
    log.step(
        Step::Auth,
        true,
        &format!("logged in as {} with {m}: {reply}", o.user),
    );
    token.renew_at()
}

fn refused(
    s: &SmtpSettings,
    o: &OAuthCredentials,
    reply: String,
    log: &mut dyn StepLog,
) -> SmtpError {
    log.step(Step::Auth, false, &reply);
    SmtpError::TokenRefused {
        server: s.server(),
        mechanism: o.mechanism.name(),
        user: o.user.clone(),
        reply,
    }
}

/// The token step: a token from the source (its cache or the provider), reported.
async fn token_step(
    s: &SmtpSettings,
    o: &OAuthCredentials,
    log: &mut dyn StepLog,
) -> Result<(Token, Origin), SmtpError> {
    let now = o.clock.now();
    match o.source.token_with_origin(now).await {
        Ok((token, origin)) => {
            let from = match origin {
                Origin::Cache => "cached",
                Origin::Provider => "new",
            };
            let m = format!(
                "{from} token for {} from {}, good for {} s",
                o.user,
                o.source.describe(),
                token.expires_at - now
            );
            log.step(Step::Token, true, &m);
            Ok((token, origin))
        }
        Err(source) => {
            log.step(Step::Token, false, &source.to_string());
            Err(SmtpError::Token {
                server: s.server(),
                user: o.user.clone(),
                source: Box::new(source),
            })
        }
    }
}

/// Why a token exchange did not log in.
enum Sasl {
    /// A 5xx: the server does not take this token. Its reply, with the error challenge's
    /// content when it sent one.
    Refused(String),
    /// A 4xx (try later), no reply or a broken exchange.
    Other(Failure),
}

/// A command line exactly as given (lettre's `command` writes what `Display` makes).
struct Line(String);

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\r\n", self.0)
    }
}

/// `AUTH <mechanism> <initial response>` (or the response after the first empty challenge when
/// the line would be too long); a further challenge is the server's error report, kept and
/// answered as the mechanism asks, after which the server ends the exchange with its refusal.
async fn sasl(
    conn: &mut AsyncSmtpConnection,
    s: &SmtpSettings,
    o: &OAuthCredentials,
    token: &Token,
) -> Result<String, Sasl> {
    let name = o.mechanism.name();
    let initial = o
        .mechanism
        .initial_response(&o.user, &token.secret.0, &s.host, s.port);
    let response = B64.encode(initial);
    let inline = format!("AUTH {name} {response}");
    let (first, mut pending) = match inline.len() + 2 <= MAX_COMMAND_LINE {
        true => (inline, None),
        false => (format!("AUTH {name}"), Some(response)),
    };
    let mut detail = None;
    let mut result = timed(s.timeout, conn.command(Line(first))).await;
    // The token, at most one error report, then the end: more challenges are a broken server.
    for _ in 0..3 {
        let reply = match result {
            Ok(r) if r.has_code(334) => r,
            Ok(r) => return Ok(format!("{} {}", r.code(), text(&r))),
            Err(Failure::Refused(code, reply)) if code >= 500 => {
                let reply = format!("{code} {reply}");
                return Err(Sasl::Refused(match detail {
                    Some(d) => format!("{reply} ({d})"),
                    None => reply,
                }));
            }
            Err(e) => return Err(Sasl::Other(e)),
        };
        let line = match pending.take() {
            Some(response) => response,
            None => {
                let challenge = B64.decode(text(&reply).trim()).unwrap_or_default();
                detail = Some(describe_error(&challenge));
                B64.encode(o.mechanism.reply_to_error())
            }
        };
        result = timed(s.timeout, conn.command(Line(line))).await;
    }
    Err(Sasl::Other(Failure::Broken(
        "the server kept sending SASL challenges".into(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let c = Credentials::Password {
            user: "outloud".into(),
            password: Secret("hunter2".into()),
        };
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && shown.contains("outloud"),
            "{shown}"
        );
    }

    #[test]
    fn long_initial_responses_wait_for_the_challenge() {
        // A real Entra token (~2 KB) makes the AUTH line far longer than 512 octets.
        let token = "x".repeat(2000);
        let initial =
            oauth::Mechanism::Xoauth2.initial_response("u@corp.example", &token, "h", 587);
        assert!(B64.encode(initial).len() + "AUTH XOAUTH2 ".len() + 2 > MAX_COMMAND_LINE);
        assert_eq!(Line("AUTH XOAUTH2".into()).to_string(), "AUTH XOAUTH2\r\n");
    }
}
