//! The IMAP side of `outloud run`: [`connect()`] opens an authenticated session (implicit TLS,
//! STARTTLS or plain on loopback; [`login`]: a password, or an OAuth2 token over SASL XOAUTH2
//! or OAUTHBEARER), [`watcher`] keeps one folder published (lease, catch-up from the
//! checkpoint, after-actions, IDLE or polling, reconnects), [`backoff`] paces reconnects,
//! [`commands`] are the IMAP commands it issues, and [`decide`] holds its pure decisions.
//!
//! # Behaviour of a watcher (one per configured mailbox and folder)
//!
//! - **Names.** Lease, checkpoint and `/healthz` entry are all `<mailbox name>/<folder>`, e.g.
//!   `corp/INBOX`; a fetched mail's source is `imap:corp/INBOX/<uid>`.
//! - **Exactly once.** Mail is fetched in UID order in batches (at most `batch_size` mails and
//!   64 MiB); each batch is committed in one transaction with the checkpoint (UIDVALIDITY, last
//!   UID), fenced by the lease. A crash re-reads at most the batch in hand, and Message-ID dedupe
//!   makes that harmless. A changed UIDVALIDITY re-reads the folder from UID 1, again without
//!   double posts.
//! - **After-actions** run once the batch is committed: `keep`, `flag` (keyword) or `move`;
//!   unparseable mail goes to `quarantine_folder` (created if missing) and to the database
//!   quarantine. An after-action cut short by a lost connection is finished on the next
//!   connection (mail is never published twice for it).
//! - **Waiting.** IDLE when offered, re-issued every `idle_secs` (default 10 minutes); the lease
//!   is renewed every `lease_secs / 3` without leaving IDLE. Only where the server holds IDLE
//!   pushes back (Dovecot, told by its greeting or ID answer) or `idle_recheck_ms` asks for it
//!   is IDLE left for a NOOP re-check; Gmail and Exchange Online get IDLE alone. Without IDLE,
//!   a poll every `poll_secs`. A standby sends a NOOP at most once a minute.
//! - **OAuth2.** A connection that logged in with a token is logged out and replaced when the
//!   token is due for renewal (a quarter of its lifetime before expiry, at most 5 minutes), so
//!   a server that checks token lifetimes never drops it; a refused cached token is replaced by
//!   a fresh one at once. A server ending an idle connection that served a minute or more is
//!   reconnected to at once; sooner, it counts as a failure.
//! - **Faults.** Any error drops the connection, is recorded as `last_error` in `/healthz`, and
//!   is retried after 1 s doubling to 60 s (±25 % jitter), reset by a good sync; a refused
//!   login (a wrong password, a refused token, a token endpoint refusing the credentials)
//!   waits 5 minutes. Other watchers and the web view carry on.
//! - **Replicas.** Only the lease holder publishes; others report `standby` and take over within
//!   `lease_secs` (at once when the holder shuts down cleanly and releases it).
//! - **Shutdown** (SIGINT/SIGTERM): the batch in hand is finished, the lease released, the
//!   session logged out.
//!
//! Log lines (target `outloud::imap::watcher`, inside a span `watcher` with fields `mailbox` and
//! `folder`): `watching`, `connected to IMAP` / `reconnected to IMAP` (with `auth`, `server`,
//! `idle_recheck_ms` and why), `the OAuth2 token is due for renewal: reconnecting …`, `the
//! server ended the idle connection; reconnecting`, `holding the lease:
//! leader`, `catching up` (`backlog`), `caught up` (counts), `IMAP connection lost; reconnecting
//! after a pause` (`error`, `retry_in_secs`), `sync failed; …`, `login refused …`, `recovered`,
//! `UIDVALIDITY changed: …`, `watcher stopped`. Each mail also gets one line from the ingestor,
//! inside the same span.

pub mod backoff;
pub mod commands;
pub mod connect;
pub mod decide;
pub mod login;
pub mod watcher;

pub use connect::{connect, open, Account, Capabilities, ImapError, Opened, Session};
pub use login::{Login, OAuthLogin};
pub use watcher::{SyncReport, WatchError, Watcher, WatcherSettings};
