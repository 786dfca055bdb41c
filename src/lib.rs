//! outloud: work out loud over plain email.
//!
//! Layout (data flows top to bottom):
//!
//! - [`model`]: plain data shared by every part.
//! - [`core`]: the pure pipeline — parse → classify → route → thread keys → clean body →
//!   rebuild quoted history → plan the rows to write; and the pure half of search (index
//!   terms, queries, marked snippets). No tokio, sqlx or network.
//! - [`store`]: the storage trait and its SQLite and PostgreSQL adapters (with the full-text
//!   index: FTS5, `tsvector`).
//! - [`ingest`]: runs batches of raw mail through the core into the store.
//! - [`mailbox_files`]: reading and writing mbox, Maildir and .eml files.
//! - [`import`], [`export`]: the `outloud import` / `outloud export` jobs; [`check`]: `outloud
//!   check`, which proves every stored mail is published or recorded as skipped; [`eval`]:
//!   accuracy on the labelled evaluation corpus (`outloud eval`).
//! - [`imap`]: the daemon's IMAP watchers; [`health`] is what they report for `/healthz`,
//!   [`metrics`] the counters for `/metrics`; [`oauth`]: OAuth2 access tokens (Microsoft Entra,
//!   Google service accounts, any token endpoint, a command) for logging in with SASL XOAUTH2 /
//!   OAUTHBEARER; [`tls`]: the TLS client settings they share.
//! - [`outbox`]: every mail outloud sends — queued with the change that causes it, delivered by
//!   the sender worker over [`smtp`], bounces fed back (docs/OUTBOX.md).
//! - [`moderation`]: the queue of mail policy held (`outloud held`) and the audit log
//!   (`outloud audit`); the policy decisions themselves are pure, in `core::policy`.
//! - [`daemon`]: `outloud run` as a library — watchers and web view until a shutdown future,
//!   then the drain.
//! - [`web`]: the read view (HTML and JSON API).
//! - [`config`], [`cli`]: configuration loading and the command line (`main.rs` only calls
//!   [`cli::main`]); [`logging`]: the log subscriber, which keeps other crates' wire traces
//!   (credentials) out of the log whatever the filter; [`clock`]: wall-clock time, injected where it is stored or reported;
//!   [`preflight`]: `outloud check-config`, what `run` needs before starting; [`seeded`]:
//!   reproducible seeded draws for the eval's shuffle and the corpus generators.

pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod core;
pub mod daemon;
pub mod digest;
pub mod eval;
pub mod export;
pub mod health;
pub mod imap;
pub mod import;
pub mod ingest;
pub mod logging;
pub mod mailbox_files;
pub mod metrics;
pub mod model;
pub mod moderation;
pub mod oauth;
pub mod outbox;
pub mod preflight;
pub mod seeded;
pub mod smtp;
pub mod store;
pub mod tls;
pub mod web;
