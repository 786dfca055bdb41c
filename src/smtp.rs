//! SMTP submission for the outbox, on lettre's connection: connect with implicit TLS, STARTTLS
//! (never falling back to plain) or plain on loopback, log in, then one transaction per
//! delivery — `MAIL FROM:<LOCAL+TOKEN@DOMAIN>`, `RCPT TO`, `DATA` — on one connection. Every
//! step has a deadline; every reply is reported to a [`StepLog`] (`outloud mail test` prints
//! them) and classified as a [`Reply`] for the sender's pure decisions.
//!
//! Logging in ([`auth`]): a password, or an OAuth2 token from `[smtp.oauth2]` as SASL XOAUTH2 or
//! OAUTHBEARER, with the token step reported like the others.
//!
//! Where the server offers DSN (RFC 3461), each transaction asks for failure reports only,
//! with headers only, names the delivery in `ENVID` and the recipient in `ORCPT`: a bounce then
//! names its delivery even when the return path was rewritten on the way.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{
    ClientId, Extension, MailBodyParameter, MailParameter, RcptParameter,
};
use lettre::transport::smtp::response::Response;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

use crate::clock::Clock;
use crate::config::{SmtpAuth, SmtpConfig, TlsMode};
use crate::core::delivery::{Reply, Step};
use crate::oauth::{self, OAuthError, TokenSource};

mod auth;
pub use auth::{Credentials, OAuthCredentials};

/// Why no connection could be opened (the deliveries were not attempted).
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("smtp.password ({origin}): {reason}")]
    NoPassword { origin: String, reason: String },
    #[error("cannot read smtp.ca_file {path}: {reason}")]
    CaFile { path: String, reason: String },
    #[error("{step} with {server} failed: {reason}")]
    Step {
        step: &'static str,
        server: String,
        reason: String,
    },
    #[error(
        "{server} does not offer STARTTLS (tls = \"starttls\" never falls back to plain text)"
    )]
    NoStarttls { server: String },
    #[error("{server} refused the login as {user}: {reply}")]
    AuthRefused {
        server: String,
        user: String,
        reply: String,
    },
    /// `[smtp.oauth2]` names a secret, key or program that cannot be read or run.
    #[error("smtp.oauth2: {0}")]
    OAuthSetup(OAuthError),
    /// The token step failed: the token endpoint (or command) gave no token.
    #[error("no OAuth2 token to log in to {server} as {user}: {source}")]
    Token {
        server: String,
        user: String,
        source: Box<OAuthError>,
    },
    /// The AUTH step failed: the server refused the token (a new one too, when the first came
    /// from the cache).
    #[error("{server} refused the {mechanism} token for {user}: {reply}")]
    TokenRefused {
        server: String,
        mechanism: &'static str,
        user: String,
        reply: String,
    },
}

impl SmtpError {
    /// A refused login or token: retrying soon only risks locking the account or hammering
    /// the token endpoint.
    pub fn is_auth(&self) -> bool {
        match self {
            SmtpError::AuthRefused { .. } | SmtpError::TokenRefused { .. } => true,
            SmtpError::Token { source, .. } => source.is_refusal(),
            _ => false,
        }
    }
}

/// Everything needed to open a connection, checked once (password read, CA file parsed).
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub ca_pem: Option<Vec<u8>>,
    pub credentials: Credentials,
    pub helo: ClientId,
    /// Deadline of each step.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("server", &self.server())
            .field("tls", &self.tls)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl SmtpSettings {
    /// From `[smtp]` (which must be enabled): reads the password, or every secret and key
    /// file `[smtp.oauth2]` names, and the CA file now. `clock` dates tokens.
    pub fn from_config(c: &SmtpConfig, clock: &Clock) -> Result<SmtpSettings, SmtpError> {
        let user = c.user.clone().unwrap_or_default();
        let mechanism = match c.auth {
            SmtpAuth::Xoauth2 => oauth::Mechanism::Xoauth2,
            _ => oauth::Mechanism::Oauthbearer,
        };
        let credentials = match (c.auth, &c.oauth2) {
            (SmtpAuth::None, _) => Credentials::None,
            (SmtpAuth::Password, _) => Credentials::Password {
                user,
                password: c.password().map_err(|reason| SmtpError::NoPassword {
                    origin: c.password_source(),
                    reason,
                })?,
            },
            (_, None) => {
                let e = OAuthError::Setup {
                    key: "provider",
                    what: "token source".into(),
                    message: "no [smtp.oauth2] table".into(),
                };
                return Err(SmtpError::OAuthSetup(e));
            }
            (_, Some(o)) => {
                let source = TokenSource::new(o, &user);
                source.check().map_err(SmtpError::OAuthSetup)?;
                Credentials::OAuth2(OAuthCredentials {
                    user,
                    mechanism,
                    source: std::sync::Arc::new(source),
                    clock: clock.clone(),
                })
            }
        };
        let ca_pem = match &c.ca_file {
            Some(p) => Some(std::fs::read(p).map_err(|e| SmtpError::CaFile {
                path: p.display().to_string(),
                reason: e.to_string(),
            })?),
            None => None,
        };
        Ok(SmtpSettings {
            host: c.host.clone().unwrap_or_default(),
            port: c.port(),
            tls: c.tls,
            ca_pem,
            credentials,
            helo: c
                .helo_name
                .clone()
                .map_or_else(ClientId::default, ClientId::Domain),
            timeout: Duration::from_secs(c.timeout_secs.max(1)),
        })
    }

    pub fn server(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    fn tls_parameters(&self) -> Result<TlsParameters, SmtpError> {
        let mut b = TlsParameters::builder(self.host.clone());
        if let Some(pem) = &self.ca_pem {
            let cert = Certificate::from_pem(pem).map_err(|e| SmtpError::CaFile {
                path: "(smtp.ca_file)".into(),
                reason: e.to_string(),
            })?;
            b = b.add_root_certificate(cert);
        }
        b.build_rustls().map_err(|e| self.step_error("TLS", e))
    }

    fn step_error(&self, step: &'static str, e: impl std::fmt::Display) -> SmtpError {
        SmtpError::Step {
            step,
            server: self.server(),
            reason: e.to_string(),
        }
    }
}

/// Where each step's outcome goes: a log line in the daemon, a printed line in `mail test`.
pub trait StepLog: Send {
    fn step(&mut self, step: Step, ok: bool, text: &str);
}

/// Logs each step at DEBUG.
pub struct TraceSteps;

impl StepLog for TraceSteps {
    fn step(&mut self, step: Step, ok: bool, text: &str) {
        tracing::debug!(step = step.as_str(), ok, "{text}");
    }
}

/// An open, logged-in submission connection.
pub struct Connection {
    inner: AsyncSmtpConnection,
    timeout: Duration,
    /// The server offers DSN (RFC 3461).
    dsn: bool,
    eight_bit: bool,
    utf8: bool,
    /// For a token login, when the token is due for renewal (Unix seconds): the connection is
    /// replaced before a server that checks token lifetimes drops it.
    renew_at: Option<i64>,
}

impl Connection {
    /// Connect, secure and log in as `settings` say, reporting each step.
    pub async fn open(s: &SmtpSettings, log: &mut dyn StepLog) -> Result<Connection, SmtpError> {
        let mut conn = match tokio::time::timeout(s.timeout * 2, wire(s)).await {
            Ok(Ok(stream)) => {
                let greeted = AsyncSmtpConnection::connect_with_transport(stream, &s.helo);
                match tokio::time::timeout(s.timeout * 2, greeted).await {
                    Ok(Ok(c)) => c,
                    Ok(Err(e)) => return Err(failed(log, s, Step::Connect, e)),
                    Err(_) => return Err(failed(log, s, Step::Connect, "no greeting in time")),
                }
            }
            Ok(Err(e)) => return Err(failed(log, s, Step::Connect, e)),
            Err(_) => return Err(failed(log, s, Step::Connect, "no answer in time")),
        };
        let how = if s.tls == TlsMode::Implicit {
            "implicit TLS"
        } else {
            "plain"
        };
        log.step(
            Step::Connect,
            true,
            &format!("connected to {} ({how})", s.server()),
        );
        if s.tls == TlsMode::Starttls {
            if !conn.can_starttls() {
                log.step(Step::Tls, false, "the server does not offer STARTTLS");
                return Err(SmtpError::NoStarttls { server: s.server() });
            }
            let upgrade = conn.starttls(s.tls_parameters()?, &s.helo);
            match tokio::time::timeout(s.timeout, upgrade).await {
                Ok(Ok(())) => log.step(Step::Tls, true, "STARTTLS: encrypted"),
                Ok(Err(e)) => return Err(failed(log, s, Step::Tls, e)),
                Err(_) => return Err(failed(log, s, Step::Tls, "no answer in time")),
            }
        }
        let caps = match timed(s.timeout, conn.command(Ehlo::new(s.helo.clone()))).await {
            Ok(r) => r,
            Err(e) => return Err(failed(log, s, Step::Connect, e.text())),
        };
        let mut c = Connection {
            dsn: caps.message().any(|l| keyword(l) == "DSN"),
            eight_bit: conn.server_info().supports_feature(Extension::EightBitMime),
            utf8: conn.server_info().supports_feature(Extension::SmtpUtfEight),
            inner: conn,
            timeout: s.timeout,
            renew_at: None,
        };
        let offered = auth_mechanisms(&caps);
        c.renew_at = auth::log_in(&mut c.inner, s, &offered, log).await?;
        Ok(c)
    }

    /// Whether the token this connection logged in with is due for renewal at `now` (never for
    /// a password login): time to QUIT and open a new one.
    pub fn token_due(&self, now: i64) -> bool {
        self.renew_at.is_some_and(|at| now >= at)
    }

    /// One transaction: `bytes` from `return_path` to `recipient`, naming delivery `token`.
    /// Returns how it ended and whether the connection can carry the next one.
    pub async fn send(
        &mut self,
        env: &Envelope<'_>,
        bytes: &[u8],
        log: &mut dyn StepLog,
    ) -> (Reply, bool) {
        let (mail, rcpt) = match self.commands(env, bytes) {
            Ok(c) => c,
            Err(error) => {
                log.step(Step::Mail, false, &error);
                return (Reply::Unsendable { error }, true);
            }
        };
        let result = timed(self.timeout, self.inner.command(mail)).await;
        if let Some(end) = self.step_end(Step::Mail, result, log).await {
            return end;
        }
        let result = timed(self.timeout, self.inner.command(rcpt)).await;
        if let Some(end) = self.step_end(Step::Rcpt, result, log).await {
            return end;
        }
        let result = timed(self.timeout, self.inner.command(Data)).await;
        if let Some(end) = self.step_end(Step::Data, result, log).await {
            return end;
        }
        // The message itself may take a while to go over the wire.
        let result = timed(self.timeout * 4, self.inner.message(bytes)).await;
        match self.step_end(Step::Message, result, log).await {
            Some(end) => end,
            None => unreachable!("the message step always ends the transaction"),
        }
    }

    /// Logs a step's reply; `Some` when the transaction ends here (always after the message).
    async fn step_end(
        &mut self,
        step: Step,
        result: Result<Response, Failure>,
        log: &mut dyn StepLog,
    ) -> Option<(Reply, bool)> {
        match result {
            Ok(r) => {
                let code = r.code().to_string().parse().unwrap_or(250);
                let text = text(&r);
                log.step(step, true, &format!("{code} {text}"));
                (step == Step::Message).then_some((Reply::Accepted { code, text }, true))
            }
            Err(Failure::Refused(code, text)) => {
                log.step(step, false, &format!("{code} {text}"));
                // A refused step leaves a transaction half open: RSET, or drop the connection.
                let alive = timed(self.timeout, self.inner.command(Rset)).await.is_ok();
                Some((Reply::Refused { step, code, text }, alive))
            }
            Err(e) => {
                let error = e.text();
                log.step(step, false, &error);
                Some((Reply::Failed { step, error }, false))
            }
        }
    }

    fn commands(&self, env: &Envelope<'_>, bytes: &[u8]) -> Result<(Mail, Rcpt), String> {
        let from = env
            .return_path
            .parse()
            .map_err(|e| format!("return path {}: {e}", env.return_path))?;
        let to = env
            .recipient
            .parse()
            .map_err(|e| format!("recipient {}: {e}", env.recipient))?;
        let mut mail_params = Vec::new();
        let mut rcpt_params = Vec::new();
        if !env.recipient.is_ascii() || !env.return_path.is_ascii() {
            if !self.utf8 {
                return Err(format!(
                    "{} needs SMTPUTF8, which the server does not offer",
                    env.recipient
                ));
            }
            mail_params.push(MailParameter::SmtpUtfEight);
        }
        if !bytes.is_ascii() {
            if !self.eight_bit {
                return Err("the mail is 8-bit and the server does not offer 8BITMIME".into());
            }
            mail_params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        if self.dsn {
            let other = |k: &str, v: &str| (k.to_string(), Some(v.to_string()));
            for (keyword, value) in [other("RET", "HDRS"), other("ENVID", env.token)] {
                mail_params.push(MailParameter::Other { keyword, value });
            }
            let orcpt = format!("rfc822;{}", env.recipient);
            for (keyword, value) in [other("NOTIFY", "FAILURE"), other("ORCPT", &orcpt)] {
                rcpt_params.push(RcptParameter::Other { keyword, value });
            }
        }
        Ok((
            Mail::new(Some(from), mail_params),
            Rcpt::new(to, rcpt_params),
        ))
    }

    /// QUIT, politely; errors do not matter any more.
    pub async fn quit(mut self) {
        let _ = timed(self.timeout, self.inner.quit()).await;
    }
}

/// The TCP connection (Nagle off: a command and the message's final dot go out at once,
/// not 40 ms later behind a delayed ACK), with implicit TLS done here when asked for.
async fn wire(s: &SmtpSettings) -> Result<Box<dyn AsyncTokioStream>, String> {
    let tcp = TcpStream::connect((s.host.as_str(), s.port))
        .await
        .map_err(|e| format!("cannot connect to {}: {e}", s.server()))?;
    let _ = tcp.set_nodelay(true);
    if s.tls != TlsMode::Implicit {
        return Ok(Box::new(tcp));
    }
    let ca = s.ca_pem.as_deref().map(|pem| (pem, "smtp.ca_file"));
    let config = crate::tls::client_config_pem(ca)?;
    let name = rustls::pki_types::ServerName::try_from(s.host.clone())
        .map_err(|e| format!("{:?} is not a valid server name: {e}", s.host))?;
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS handshake with {} failed: {e}", s.server()))?;
    Ok(Box::new(TlsWire(tls)))
}

/// An implicit-TLS stream lettre can use as its transport.
#[derive(Debug)]
struct TlsWire(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncTokioStream for TlsWire {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl AsyncRead for TlsWire {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsWire {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

/// The envelope of one delivery.
pub struct Envelope<'a> {
    /// `LOCAL+TOKEN@DOMAIN`.
    pub return_path: &'a str,
    pub recipient: &'a str,
    /// The delivery's token (also the DSN envelope id).
    pub token: &'a str,
}

/// Why a step gave no positive reply.
enum Failure {
    /// A 4xx or 5xx reply: code and text.
    Refused(u16, String),
    /// No reply: network, TLS, protocol error or deadline.
    Broken(String),
}

impl Failure {
    fn text(&self) -> String {
        match self {
            Failure::Refused(code, text) => format!("{code} {text}"),
            Failure::Broken(e) => e.clone(),
        }
    }
}

/// `fut` within `limit`, its error split into a reply or a broken connection.
async fn timed(
    limit: Duration,
    fut: impl std::future::Future<Output = Result<Response, lettre::transport::smtp::Error>>,
) -> Result<Response, Failure> {
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(match e.status() {
            Some(code) => {
                let code = code.to_string().parse().unwrap_or(0);
                let text = std::error::Error::source(&e).map(|s| s.to_string());
                Failure::Refused(code, text.unwrap_or_default())
            }
            None => Failure::Broken(e.to_string()),
        }),
        Err(_) => Err(Failure::Broken(format!(
            "no answer within {} s",
            limit.as_secs()
        ))),
    }
}

fn failed(
    log: &mut dyn StepLog,
    s: &SmtpSettings,
    step: Step,
    e: impl std::fmt::Display,
) -> SmtpError {
    let reason = e.to_string();
    log.step(step, false, &reason);
    s.step_error(step.as_str(), reason)
}

/// A reply's text lines joined.
fn text(r: &Response) -> String {
    r.message().collect::<Vec<_>>().join(" ")
}

/// The SASL mechanisms an EHLO reply offers (`AUTH PLAIN LOGIN XOAUTH2`), upper-cased.
fn auth_mechanisms(ehlo: &Response) -> Vec<String> {
    ehlo.message()
        .filter(|l| keyword(l) == "AUTH")
        .flat_map(|l| l.split_whitespace().skip(1))
        .map(str::to_ascii_uppercase)
        .collect()
}

/// The keyword of an EHLO line (`DSN`, `SIZE 10240000` → `SIZE`), upper-cased.
fn keyword(line: &str) -> String {
    line.split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase()
}
