//! The pure core: bytes in, decisions out. No tokio, no sqlx, no network, no clock.
//!
//! Stages, each in its own file, in pipeline order:
//! `parse` → `classify` → `route` → `thread_keys` → `clean_body` → `quote_history`,
//! composed by `pipeline::process`. `plan` then decides, for a batch of processed mails and
//! what the store already knows, exactly which rows to write (threading, dedupe, replacing
//! reconstructions) so the store adapter only executes a plan.
//!
//! Beside the pipeline, `search` holds the pure half of full-text search: index terms, query
//! clauses and highlighted snippets.

pub mod bounce;
pub mod classify;
pub mod clean_body;
pub mod compose;
pub mod delivery;
pub mod digest;
pub mod exercise;
pub mod html_shape;
pub mod mapping;
pub mod oidc;
pub mod parse;
pub mod pipeline;
pub mod plan;
pub mod policy;
pub mod quote_history;
pub mod route;
pub mod sanitize;
pub mod search;
pub mod signin;
pub mod thread_keys;
pub mod web_reply;
