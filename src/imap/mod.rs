//! The IMAP side of `outloud run`: [`connect`] opens an authenticated session (implicit TLS,
//! STARTTLS or plain on loopback), [`watcher`] keeps one folder published (lease, catch-up from
//! the checkpoint, after-actions, IDLE or polling, reconnects), [`backoff`] paces reconnects,
//! [`commands`] are the IMAP commands it issues, and [`decide`] holds its pure decisions.

pub mod backoff;
pub mod commands;
pub mod connect;
pub mod decide;
pub mod watcher;

pub use connect::{connect, Account, Capabilities, ImapError, Session};
pub use watcher::{SyncReport, WatchError, Watcher, WatcherSettings};
