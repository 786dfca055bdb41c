//! Log setup: the configured (or `RUST_LOG`) filter and format, and one rule no filter can
//! lift: **other crates log at INFO and above only**.
//!
//! Protocol libraries write the wire at DEBUG and TRACE: async-imap logs every command it
//! encodes, `LOGIN user password` included; lettre logs `AUTH PLAIN <base64>`; HTTP clients
//! and servers log headers (`Authorization: Bearer …`, OAuth2 token responses). Which crates do
//! that changes with every dependency added, so the rule is by target and deny-by-default:
//! outloud's own targets keep every level the filter asks for, other crates' DEBUG and TRACE
//! events are dropped unless the crate is in [`VERBOSE_ALLOWED`] (crates known not to log
//! payloads). outloud's own logs never carry a secret: passwords live in
//! [`crate::config::Secret`], URLs are masked.

use std::io::IsTerminal;

use tracing::{Level, Metadata};
use tracing_subscriber::filter::{filter_fn, EnvFilter, LevelFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::config::{Config, LogFormat};

/// Crates other than outloud whose DEBUG and TRACE output is let through: they log
/// statements and timings, never what goes over a connection. sqlx logs each query's text
/// (outloud binds every value, so no value appears).
pub const VERBOSE_ALLOWED: &[&str] = &["sqlx"];

/// Whether an event or span with this metadata may be logged at all (before the filter).
pub fn allowed(meta: &Metadata<'_>) -> bool {
    *meta.level() <= Level::INFO || own_or_allowed(meta.target())
}

fn own_or_allowed(target: &str) -> bool {
    let krate = target.split("::").next().unwrap_or(target);
    krate == "outloud" || VERBOSE_ALLOWED.contains(&krate)
}

/// Install the global subscriber: `RUST_LOG` if set, else `[log] level`, in `[log] format`,
/// to stderr, with [`allowed`] applied on top. A second call does nothing.
pub fn init(cfg: &Config) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&cfg.log.level));
    let ansi = std::io::stderr().is_terminal();
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    let fmt = if cfg.log.format == LogFormat::Json {
        fmt.json().boxed()
    } else {
        fmt.boxed()
    };
    // The outer filter's level hint is the whole stack's, and `log`'s max level follows it: with
    // none, every crate's DEBUG and TRACE call would build its message (html5ever formats each
    // HTML token) only to be dropped here. Nothing above the filter's own hint passes it anyway.
    let hint = filter.max_level_hint().unwrap_or(LevelFilter::TRACE);
    let allowed = filter_fn(move |m| *m.level() <= hint && allowed(m)).with_max_level_hint(hint);
    let _ = tracing_subscriber::registry()
        .with(fmt.with_filter(filter).with_filter(allowed))
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::own_or_allowed;

    #[test]
    fn only_own_and_allowed_targets_log_below_info() {
        assert!(own_or_allowed("outloud"));
        assert!(own_or_allowed("outloud::imap::watcher"));
        assert!(own_or_allowed("sqlx::query"));
        for wire in [
            "async_imap::imap_stream",
            "imap_proto",
            "lettre::transport::smtp::client::async_connection",
            "hyper::proto::h1::io",
            "reqwest::connect",
            "oauth2",
            "rustls::client",
            "outloud_extra",
        ] {
            assert!(!own_or_allowed(wire), "{wire}");
        }
    }
}
