//! Opening an authenticated IMAP session for one [`MailboxConfig`]: TCP, then TLS from the
//! first byte, STARTTLS, or nothing (loopback only, enforced by the config), then the greeting,
//! the login ([`super::login`]: a password or an OAuth2 token), and what the server is and can
//! do. Every step has a timeout, and every error names the account and the address, so a log
//! line alone says which mailbox is failing and why.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_imap::imap_proto::{Response, Status};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

use super::decide::{self, ServerKind};
use super::login::{identify, log_in, Login};
use crate::config::{MailboxConfig, TlsMode};
use crate::oauth::OAuthError;

/// Timeout of a single network step (connect, handshake, login, one command or response).
pub const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// The one stream type under every session, so [`Session`] is a single type whatever the
/// TLS mode.
#[derive(Debug)]
pub enum ImapStream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

pub type Session = async_imap::Session<ImapStream>;
pub(super) type Client = async_imap::Client<ImapStream>;

impl AsyncRead for ImapStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ImapStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_flush(cx),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Which account an error is about: `corp (outloud@imap.corp.example:993)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub user: String,
    pub addr: String,
}

impl Account {
    pub fn of(cfg: &MailboxConfig) -> Self {
        Account {
            name: cfg.name.clone(),
            user: cfg.user.clone(),
            addr: format!("{}:{}", cfg.host, cfg.port()),
        }
    }
}

impl std::fmt::Display for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "mailbox {} ({}@{})", self.name, self.user, self.addr)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("{account}: cannot connect: {source}")]
    Connect { account: Account, source: io::Error },
    #[error("{account}: TLS: {message}")]
    Tls { account: Account, message: String },
    /// Wrong user or password: retrying at once will not help (and may lock the account).
    #[error("{account}: login refused (check user and password): {message}")]
    Auth { account: Account, message: String },
    /// No OAuth2 token: the token endpoint refused or could not be reached, or a secret is
    /// missing.
    #[error("{account}: getting an OAuth2 token: {source}")]
    Token {
        account: Account,
        source: Box<OAuthError>,
    },
    /// The server did not accept the token (even a freshly fetched one).
    #[error("{account}: the server refused the OAuth2 token ({mechanism}): {message}; check that the app may open this mailbox as user {}", account.user)]
    TokenRefused {
        account: Account,
        mechanism: &'static str,
        message: String,
    },
    #[error("{account}: {message}")]
    Protocol { account: Account, message: String },
    #[error("{account}: no answer within {}s while {what}", STEP_TIMEOUT.as_secs())]
    Timeout { account: Account, what: String },
    #[error("{account}: connection closed by the server while {what}")]
    Closed { account: Account, what: String },
}

impl ImapError {
    /// Credentials the server or the token endpoint turned down: retrying at once will not
    /// help (and may lock the account).
    pub fn is_auth(&self) -> bool {
        match self {
            ImapError::Auth { .. } | ImapError::TokenRefused { .. } => true,
            ImapError::Token { source, .. } => source.is_refusal(),
            _ => false,
        }
    }

    /// Classify an async-imap error of the step `what`.
    pub fn from_imap(account: &Account, what: &str, e: async_imap::error::Error) -> Self {
        use async_imap::error::Error as E;
        let account = account.clone();
        match e {
            E::ConnectionLost => ImapError::Closed {
                account,
                what: what.into(),
            },
            E::Io(io) if is_closed(&io) => ImapError::Closed {
                account,
                what: what.into(),
            },
            E::Io(io) if bye_text(&io).is_some() => ImapError::Closed {
                account,
                what: format!("{what} (BYE {})", bye_text(&io).unwrap_or_default()),
            },
            E::No(m) => ImapError::Protocol {
                account,
                message: format!("{what}: refused: {}", server_text(&m)),
            },
            E::Bad(m) => ImapError::Protocol {
                account,
                message: format!("{what}: rejected as bad: {}", server_text(&m)),
            },
            other => ImapError::Protocol {
                account,
                message: format!("{what}: {other}"),
            },
        }
    }
}

fn is_closed(e: &io::Error) -> bool {
    use io::ErrorKind as K;
    matches!(
        e.kind(),
        K::UnexpectedEof
            | K::ConnectionReset
            | K::ConnectionAborted
            | K::BrokenPipe
            | K::NotConnected
    )
}

/// async-imap reports a `* BYE` that came instead of a command's answer as an I/O error
/// `status: Bye, outcome: Outcome { …, information: Some("…") }`: the server's words.
fn bye_text(e: &io::Error) -> Option<String> {
    let text = e.to_string();
    let rest = text.strip_prefix("status: Bye")?;
    let info = rest
        .split_once("information: Some(\"")
        .and_then(|(_, r)| r.rsplit_once("\")"))
        .map(|(info, _)| info.replace("\\\"", "\""));
    Some(info.unwrap_or_default())
}

/// Run one network step with [`STEP_TIMEOUT`], mapping its error.
pub async fn step<T>(
    account: &Account,
    what: &str,
    fut: impl std::future::Future<Output = Result<T, async_imap::error::Error>>,
) -> Result<T, ImapError> {
    match tokio::time::timeout(STEP_TIMEOUT, fut).await {
        Ok(r) => r.map_err(|e| ImapError::from_imap(account, what, e)),
        Err(_) => Err(ImapError::Timeout {
            account: account.clone(),
            what: what.into(),
        }),
    }
}

/// What the server is and can do, as far as the watcher cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    pub idle: bool,
    /// RFC 6851 `MOVE`; without it a move is COPY + \Deleted + UID EXPUNGE.
    pub mv: bool,
    /// RFC 4315 `UIDPLUS` (`UID EXPUNGE`).
    pub uidplus: bool,
    /// Which server it is, from its greeting and ID (its quirks depend on it).
    pub server: ServerKind,
}

/// A logged-in session and what came with it.
pub struct Opened {
    pub session: Session,
    pub caps: Capabilities,
    /// With an OAuth2 login: when its token is due for renewal (Unix seconds), which is when
    /// this connection should be replaced.
    pub renew_at: Option<i64>,
}

/// Connect, secure, read the greeting and log in; the session and what the server can do.
pub async fn connect(
    cfg: &MailboxConfig,
    login: &Login,
) -> Result<(Session, Capabilities), ImapError> {
    open(cfg, login).await.map(|o| (o.session, o.caps))
}

/// [`connect`], keeping what the watcher also needs (when an OAuth2 token runs out).
pub async fn open(cfg: &MailboxConfig, login: &Login) -> Result<Opened, ImapError> {
    let account = Account::of(cfg);
    let (client, greeting) = secure(cfg, &account).await?;
    let (mut session, renew_at) = log_in(cfg, &account, client, login).await?;
    let caps = step(&account, "asking for capabilities", session.capabilities()).await?;
    let name = identify(&mut session, caps.has_str("ID")).await;
    let caps = Capabilities {
        idle: caps.has_str("IDLE"),
        mv: caps.has_str("MOVE"),
        uidplus: caps.has_str("UIDPLUS"),
        server: decide::server_kind(&greeting, name.as_deref()),
    };
    Ok(Opened {
        session,
        caps,
        renew_at,
    })
}

/// TCP, then TLS as configured, and the greeting: the client, not logged in yet, and the
/// greeting's text.
async fn secure(cfg: &MailboxConfig, account: &Account) -> Result<(Client, String), ImapError> {
    let account = account.clone();
    let tcp = match tokio::time::timeout(
        STEP_TIMEOUT,
        TcpStream::connect((cfg.host.as_str(), cfg.port())),
    )
    .await
    {
        Ok(Ok(s)) => s,
        Ok(Err(source)) => return Err(ImapError::Connect { account, source }),
        Err(_) => {
            return Err(ImapError::Timeout {
                account,
                what: "connecting".into(),
            })
        }
    };
    let _ = tcp.set_nodelay(true);
    Ok(match cfg.tls {
        TlsMode::Implicit => {
            let tls = tls_handshake(cfg, &account, tcp).await?;
            let mut client = Client::new(tls);
            let text = greeting(&account, &mut client).await?;
            (client, text)
        }
        TlsMode::Starttls => {
            let mut client = Client::new(ImapStream::Plain(tcp));
            let text = greeting(&account, &mut client).await?;
            step(
                &account,
                "asking for STARTTLS",
                client.run_command_and_check_ok("STARTTLS", None),
            )
            .await?;
            let ImapStream::Plain(tcp) = client.into_inner() else {
                unreachable!("the stream is plain before STARTTLS")
            };
            (Client::new(tls_handshake(cfg, &account, tcp).await?), text)
        }
        TlsMode::None => {
            let mut client = Client::new(ImapStream::Plain(tcp));
            let text = greeting(&account, &mut client).await?;
            (client, text)
        }
    })
}

/// async-imap renders a NO as `code: None, info: Some("[AUTHENTICATIONFAILED] …")`; keep the
/// server's own words.
pub(super) fn server_text(message: &str) -> String {
    message
        .split_once("info: Some(\"")
        .and_then(|(_, rest)| rest.rsplit_once("\")"))
        .map(|(text, _)| text.replace("\\\"", "\""))
        .unwrap_or_else(|| message.to_string())
}

/// RFC 5530 codes that mean "try later", not "wrong password".
pub(super) fn temporary_refusal(message: &str) -> bool {
    let m = message.to_ascii_uppercase();
    m.contains("[UNAVAILABLE]") || m.contains("[SERVERBUG]") || m.contains("[INUSE]")
}

/// Read the greeting; its text (`Dovecot ready.`, `Gimap ready for requests from …`).
async fn greeting(account: &Account, client: &mut Client) -> Result<String, ImapError> {
    let closed = || ImapError::Closed {
        account: account.clone(),
        what: "waiting for the greeting".into(),
    };
    let res = match tokio::time::timeout(STEP_TIMEOUT, client.read_response()).await {
        Err(_) => {
            return Err(ImapError::Timeout {
                account: account.clone(),
                what: "waiting for the greeting".into(),
            })
        }
        Ok(Ok(None)) => return Err(closed()),
        Ok(Err(e)) if is_closed(&e) => return Err(closed()),
        Ok(Err(e)) => {
            return Err(ImapError::Protocol {
                account: account.clone(),
                message: format!("reading the greeting: {e}"),
            })
        }
        Ok(Ok(Some(res))) => res,
    };
    match res.parsed() {
        Response::Data {
            status: Status::Ok,
            outcome,
        } => Ok(outcome
            .information
            .as_deref()
            .unwrap_or_default()
            .to_string()),
        other => Err(ImapError::Protocol {
            account: account.clone(),
            message: format!("unexpected greeting: {other:?}"),
        }),
    }
}

async fn tls_handshake(
    cfg: &MailboxConfig,
    account: &Account,
    tcp: TcpStream,
) -> Result<ImapStream, ImapError> {
    let tls_err = |message: String| ImapError::Tls {
        account: account.clone(),
        message,
    };
    let config = crate::tls::client_config(cfg.ca_file.as_deref()).map_err(tls_err)?;
    let name = rustls::pki_types::ServerName::try_from(cfg.host.clone())
        .map_err(|e| tls_err(format!("{:?} is not a valid server name: {e}", cfg.host)))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    match tokio::time::timeout(STEP_TIMEOUT, connector.connect(name, tcp)).await {
        Err(_) => Err(ImapError::Timeout {
            account: account.clone(),
            what: "in the TLS handshake".into(),
        }),
        Ok(Err(e)) => Err(tls_err(format!("handshake failed: {e}"))),
        Ok(Ok(s)) => Ok(ImapStream::Tls(Box::new(s))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_refusals_are_not_auth_errors() {
        assert!(temporary_refusal(
            "[UNAVAILABLE] Temporary authentication failure."
        ));
        assert!(!temporary_refusal(
            "[AUTHENTICATIONFAILED] Authentication failed."
        ));
    }

    #[test]
    fn server_text_is_extracted() {
        let m = r#"code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")"#;
        assert_eq!(
            server_text(m),
            "[AUTHENTICATIONFAILED] Authentication failed."
        );
        assert_eq!(server_text("plain"), "plain");
    }

    #[test]
    fn a_bye_instead_of_an_answer_is_a_closed_connection() {
        let account = Account {
            name: "corp".into(),
            user: "outloud".into(),
            addr: "imap.corp.example:993".into(),
        };
        // As async-imap 0.12 reports it (parse.rs, client.rs).
        let bye = "status: Bye, outcome: Outcome { code: None, information: Some(\"Server shutting down.\") }";
        let e = async_imap::error::Error::Io(io::Error::other(bye));
        let e = ImapError::from_imap(&account, "selecting \"INBOX\"", e);
        assert_eq!(e.to_string(), "mailbox corp (outloud@imap.corp.example:993): connection closed by the server while selecting \"INBOX\" (BYE Server shutting down.)");
        let other = async_imap::error::Error::Io(io::Error::other("status: PreAuth"));
        let other = ImapError::from_imap(&account, "x", other);
        assert!(matches!(other, ImapError::Protocol { .. }), "{other:?}");
    }

    #[test]
    fn account_names_itself() {
        let a = Account {
            name: "corp".into(),
            user: "outloud".into(),
            addr: "imap.corp.example:993".into(),
        };
        let e = ImapError::Auth {
            account: a,
            message: "no".into(),
        };
        assert_eq!(e.to_string(), "mailbox corp (outloud@imap.corp.example:993): login refused (check user and password): no");
        assert!(e.is_auth());
    }
}
