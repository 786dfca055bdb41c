//! Web sign-in as stored (migration 0010, docs/WEB.md): accounts (who has signed in, and when
//! last: signing in makes a non-user a user), emailed sign-in links, server-side sessions,
//! personal API tokens and OpenID Connect logins in progress. Tokens are stored only as
//! [`token_hash`]es.

use async_trait::async_trait;
use serde::Serialize;

use crate::core::compose::Outgoing;
use crate::core::plan::{GroupId, ThreadId};
use crate::store::Result;

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

/// Web sign-in's storage (docs/WEB.md): links, sessions, tokens, accounts, follows and read
/// marks. Part of every [`Store`](crate::store::Store); both backends share one
/// implementation (`accounts_impl.rs`).
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// In one transaction: refuse when the address asked for `max_per_hour` links in the last
    /// hour; otherwise cancel its unused links, store this one and queue its mail.
    async fn request_sign_in_link(&self, req: &LinkRequest<'_>) -> Result<LinkOutcome>;
    /// The address of a link still usable at `now` (unused, not cancelled, not expired),
    /// without using it.
    async fn sign_in_link_email(&self, token_hash: &str, now: i64) -> Result<Option<String>>;
    /// In one transaction: use the link (once), create or update the account and open the
    /// session. None when the link is unknown, used, cancelled or expired.
    async fn redeem_sign_in_link(
        &self,
        token_hash: &str,
        session: &NewSession<'_>,
    ) -> Result<Option<SessionRow>>;
    /// Create or update the account of `email` (lower-cased) and open a session (OIDC).
    async fn sign_in(&self, email: &str, session: &NewSession<'_>) -> Result<SessionRow>;
    /// The session of a cookie, when open (not revoked, not expired) at `now`.
    async fn session(&self, token_hash: &str, now: i64) -> Result<Option<SessionRow>>;
    /// A person's open sessions, newest first.
    async fn sessions(&self, email: &str, now: i64) -> Result<Vec<SessionRow>>;
    /// Revoke one of `email`'s sessions; false when there was no such open session.
    async fn revoke_session(&self, email: &str, id: i64, now: i64) -> Result<bool>;
    /// Store a personal API token's hash for `email`; its id.
    async fn create_api_token(
        &self,
        email: &str,
        label: &str,
        token_hash: &str,
        now: i64,
    ) -> Result<i64>;
    /// The account an unrevoked API token belongs to.
    async fn api_token_owner(&self, token_hash: &str) -> Result<Option<Account>>;
    /// A person's unrevoked API tokens, oldest first.
    async fn api_tokens(&self, email: &str) -> Result<Vec<ApiTokenRow>>;
    async fn revoke_api_token(&self, email: &str, id: i64, now: i64) -> Result<bool>;
    /// The account of `email` (lower-cased), if they ever signed in.
    async fn account(&self, email: &str) -> Result<Option<Account>>;
    /// When `email` last signed in (unix seconds); None if never. For the digest.
    async fn last_sign_in(&self, email: &str) -> Result<Option<i64>> {
        Ok(self.account(email).await?.map(|a| a.last_sign_in_at))
    }
    /// Every account, by address.
    async fn accounts(&self) -> Result<Vec<Account>>;
    /// The settings page's digest choice; false when there is no such account.
    async fn set_digest_opt_in(&self, email: &str, on: bool) -> Result<bool>;
    /// Remember an OpenID Connect login until the provider sends the browser back.
    async fn begin_oidc_login(&self, login: &OidcLogin) -> Result<()>;
    /// Take (and forget) the login of a state, if it has not expired by `now`.
    async fn take_oidc_login(&self, state_hash: &str, now: i64) -> Result<Option<OidcLogin>>;
    /// True when `email` has been seen in group mail (the `people` table).
    async fn person_known(&self, email: &str) -> Result<bool>;
    /// Follow (`on`) or unfollow a group.
    async fn follow(&self, email: &str, group: GroupId, on: bool, now: i64) -> Result<()>;
    /// The groups `email` follows, by id.
    async fn followed(&self, email: &str) -> Result<Vec<GroupId>>;
    /// The latest threads of the groups `email` follows, unread ones marked.
    async fn home(&self, email: &str, limit: i64) -> Result<Vec<HomeThread>>;
    /// Someone opened a thread (see [`ReadMark`]).
    async fn mark_read(&self, mark: &ReadMark<'_>) -> Result<()>;
    /// What `email` published (not reconstructed), newest first.
    async fn authored(&self, email: &str, limit: i64) -> Result<Vec<AuthoredMessage>>;
    /// Who published most in `group` (not reconstructed, address known), most first.
    async fn top_posters(&self, group: GroupId, limit: i64) -> Result<Vec<Poster>>;
    /// Store a new feed token for `email` (hashed), revoking the older one.
    async fn new_feed_token(&self, email: &str, token_hash: &str, now: i64) -> Result<()>;
    /// Whose unrevoked feed token this is.
    async fn feed_token_owner(&self, token_hash: &str) -> Result<Option<String>>;
    /// The thread a message with this Message-ID is filed in, in group `group`.
    async fn message_thread(&self, message_id: &str, group: GroupId) -> Result<Option<ThreadId>>;
}
