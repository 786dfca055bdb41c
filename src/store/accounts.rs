//! Web sign-in as stored (migration 0010, docs/WEB.md): accounts (who has signed in, and when
//! last: signing in makes a non-user a user), emailed sign-in links, server-side sessions,
//! personal API tokens and OpenID Connect logins in progress. Tokens are stored only as
//! [`token_hash`]es.

use serde::Serialize;

use crate::core::compose::Outgoing;

/// Emailed sign-in links an address may ask for per hour; more are refused silently.
pub const LINKS_PER_HOUR: i64 = 5;

/// The stored form of a token handed out (link, session, API or feed token): hex SHA-256.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A person who has signed in at least once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Account {
    /// Lower-cased.
    pub email: String,
    pub name: Option<String>,
    /// First sign-in, unix seconds.
    pub created_at: i64,
    pub last_sign_in_at: i64,
    /// Wants digests although a user (the digest reads it).
    pub digest_opt_in: bool,
}

/// A request for an emailed sign-in link, with the mail that carries it.
#[derive(Debug, Clone)]
pub struct LinkRequest<'a> {
    /// Lower-cased.
    pub email: &'a str,
    pub token_hash: &'a str,
    pub now: i64,
    pub expires_at: i64,
    /// Requests an address may make in the hour before `now`, this one included.
    pub max_per_hour: i64,
    pub mail: &'a Outgoing,
}

/// What became of a [`LinkRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkOutcome {
    /// Stored, older links of the address cancelled, the mail queued.
    Queued,
    /// Too many requests in the last hour: nothing stored, nothing sent.
    Limited,
}

/// A session to open (the cookie carries the token whose hash is here).
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub csrf: &'a str,
    /// `link` or `oidc`.
    pub method: &'a str,
    /// The name the identity provider gave, if any (kept on the account).
    pub name: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
}

/// An open session and whose it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    #[serde(skip)]
    pub csrf: String,
    pub method: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A personal API token (its value is shown once, when made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ApiTokenRow {
    pub id: i64,
    pub label: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// An OpenID Connect login between the redirect to the provider and its answer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OidcLogin {
    pub state_hash: String,
    pub nonce: String,
    /// PKCE code verifier (RFC 7636).
    pub verifier: String,
    /// Local path to return to after signing in.
    pub next: String,
    pub expires_at: i64,
}

pub(crate) const ACCOUNT_COLUMNS: &str = "email, name, created_at, last_sign_in_at, digest_opt_in";
pub(crate) const SESSION_COLUMNS: &str =
    "s.id, s.email, a.name, s.csrf, s.method, s.created_at, s.expires_at";

/// A thread on someone's home page: a followed group's, unread when it has more messages than
/// when they last opened it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct HomeThread {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub thread: crate::store::ThreadSummary,
    pub unread: bool,
}

/// Someone opened a thread. Keyed on the group and a Message-ID the thread holds (its first
/// mail's), not the thread's id, so the mark survives `outloud reprocess` (migration 0015).
#[derive(Debug, Clone)]
pub struct ReadMark<'a> {
    pub email: &'a str,
    pub group_id: i64,
    pub message_id: &'a str,
    /// Messages the thread had then: it is unread again when it has more.
    pub seen: i64,
    pub now: i64,
}

/// Someone who posts in a group ("who posts here" on its page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Poster {
    pub email: String,
    pub name: Option<String>,
    /// Messages they published there (not reconstructed).
    pub messages: i64,
}

/// A message on its author's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuthoredMessage {
    pub id: i64,
    pub thread_id: i64,
    pub group_slug: String,
    pub subject: String,
    pub author_name: Option<String>,
    pub date: i64,
}
