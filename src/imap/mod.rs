//! The IMAP side of `outloud run`: [`connect`] opens an authenticated session (implicit TLS,
//! STARTTLS or plain on loopback), [`watcher`] keeps one folder published (lease, catch-up from
//! the checkpoint, after-actions, IDLE or polling, reconnects), [`backoff`] paces reconnects,
//! and [`decide`] holds the watcher's pure decisions.

pub mod backoff;
pub mod connect;
pub mod decide;
pub mod watcher;

pub use connect::{connect, Account, Capabilities, ImapError, Session};
pub use watcher::{SyncReport, WatchError, Watcher, WatcherSettings};
