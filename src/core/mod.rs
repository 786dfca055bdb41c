//! The pure core: bytes in, decisions out. No tokio, no sqlx, no network, no clock.
//!
//! Stages, each in its own file, in pipeline order:
//! `parse` → `classify` → `route` → `thread_keys` → `clean_body` → `quote_history`,
//! composed by `pipeline::process`. `plan` then decides, for a batch of processed mails and
//! what the store already knows, exactly which rows to write (threading, dedupe, replacing
//! reconstructions) so the store adapter only executes a plan.

pub mod classify;
pub mod clean_body;
pub mod parse;
pub mod pipeline;
pub mod plan;
pub mod quote_history;
pub mod route;
pub mod sanitize;
pub mod thread_keys;
