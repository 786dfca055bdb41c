//! What `/healthz` reports: per watched mailbox, whether it is connected, when it last synced,
//! how many mails wait, and the last error. Written by the IMAP watchers, read by the web view.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde::Serialize;

use crate::clock::Clock;
use crate::metrics::Metrics;

/// A watcher's role under the replica lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    Starting,
    /// Holds the lease: fetches and publishes.
    Leader,
    /// Another instance holds the lease: waits to take over.
    Standby,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct MailboxHealth {
    pub connected: bool,
    pub role: Role,
    /// Unix seconds of the last completed sync.
    pub last_sync: Option<i64>,
    /// Mails in the mailbox above the checkpoint, as of the last look.
    pub backlog: u64,
    pub last_error: Option<String>,
    /// Mails handled (published, skipped, duplicate or quarantined) since start.
    pub processed: u64,
}

/// Shared, cheap to clone. Also carries the daemon's [`Metrics`], which the same writers
/// (watchers) and the same reader (the web view) share, and the daemon's clock, which dates
/// what `/metrics` reads at scrape time (bounce scores decay with it).
#[derive(Debug, Clone, Default)]
pub struct Health {
    inner: Arc<RwLock<BTreeMap<String, MailboxHealth>>>,
    metrics: Metrics,
    clock: Clock,
}

impl Health {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reading time on `clock` instead of the system's.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Now, on the daemon's clock.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The counters behind `/metrics`.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Change one mailbox's entry (created on first use).
    pub fn update(&self, mailbox: &str, f: impl FnOnce(&mut MailboxHealth)) {
        let mut map = self.inner.write().unwrap_or_else(|e| e.into_inner());
        f(map.entry(mailbox.to_string()).or_default());
    }

    pub fn snapshot(&self) -> BTreeMap<String, MailboxHealth> {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// `ok` when every leader is connected and no mailbox is failing; `degraded` otherwise.
    pub fn status(&self) -> &'static str {
        let map = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let bad = map.values().any(|m| {
            m.role == Role::Leader && !m.connected
                || m.role != Role::Standby && m.last_error.is_some() && !m.connected
        });
        if bad {
            "degraded"
        } else {
            "ok"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degraded_when_a_leader_is_disconnected() {
        let h = Health::new();
        assert_eq!(h.status(), "ok");
        h.update("corp", |m| {
            m.role = Role::Leader;
            m.connected = true;
        });
        assert_eq!(h.status(), "ok");
        h.update("corp", |m| {
            m.connected = false;
            m.last_error = Some("connection reset".into());
        });
        assert_eq!(h.status(), "degraded");
        assert_eq!(
            h.snapshot()["corp"].last_error.as_deref(),
            Some("connection reset")
        );
    }
}
