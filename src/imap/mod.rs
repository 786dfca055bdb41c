//! The IMAP side of `outloud run`: [`connect()`] opens an authenticated session (implicit TLS,
//! STARTTLS or plain on loopback), [`watcher`] keeps one folder published (lease, catch-up from
//! the checkpoint, after-actions, IDLE or polling, reconnects), [`backoff`] paces reconnects,
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
//! - **Waiting.** IDLE when offered (re-issued every `idle_secs`, and at least every
//!   `lease_secs / 3` to renew the lease), else a poll every `poll_secs`.
//! - **Faults.** Any error drops the connection, is recorded as `last_error` in `/healthz`, and
//!   is retried after 1 s doubling to 60 s (±25 % jitter), reset by a good sync; a refused
//!   login waits 5 minutes. Other watchers and the web view carry on.
//! - **Replicas.** Only the lease holder publishes; others report `standby` and take over within
//!   `lease_secs` (at once when the holder shuts down cleanly and releases it).
//! - **Shutdown** (SIGINT/SIGTERM): the batch in hand is finished, the lease released, the
//!   session logged out.
//!
//! Log lines (target `outloud::imap::watcher`, inside a span `watcher` with fields `mailbox` and
//! `folder`): `watching`, `connected to IMAP` / `reconnected to IMAP`, `holding the lease:
//! leader`, `catching up` (`backlog`), `caught up` (counts), `IMAP connection lost; reconnecting
//! after a pause` (`error`, `retry_in_secs`), `sync failed; …`, `login refused …`, `recovered`,
//! `UIDVALIDITY changed: …`, `watcher stopped`. Each mail also gets one line from the ingestor,
//! inside the same span.

pub mod backoff;
pub mod commands;
pub mod connect;
pub mod decide;
pub mod watcher;

pub use connect::{connect, Account, Capabilities, ImapError, Session};
pub use watcher::{SyncReport, WatchError, Watcher, WatcherSettings};
