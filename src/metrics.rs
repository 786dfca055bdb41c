//! What `/metrics` reports, in the Prometheus/OpenMetrics text format: mails fetched,
//! published, skipped and quarantined (by reason), IMAP reconnects and refused logins, HTTP
//! request durations, and the outbox and bounce figures read from the store at scrape time.
//!
//! One [`Metrics`] per daemon, cheap to clone; the watchers and the web view write to it.
//! The families are created once with the registry, so a series is never registered twice.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

use crate::ingest::{MailReport, MailResult};

/// The Content-Type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FolderLabels {
    mailbox: String,
    folder: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MailboxLabels {
    mailbox: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    /// The route pattern (`/t/{id}`), never the raw path: one series per route, not per URL.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

/// Outbox rows per state and addresses stopped by bounces, as the store counts them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxFigures {
    /// `(state, rows)`: queued, sent, retrying, failed, cancelled, ...
    pub by_state: Vec<(String, i64)>,
    /// Bounces recorded so far.
    pub bounces: i64,
    /// Addresses whose bounce score stops sending to them.
    pub bouncing_addresses: i64,
}

struct Families {
    fetched: Family<FolderLabels, Counter>,
    published: Family<FolderLabels, Counter>,
    duplicates: Family<FolderLabels, Counter>,
    skipped: Family<ReasonLabels, Counter>,
    quarantined: Family<ReasonLabels, Counter>,
    reconnects: Family<MailboxLabels, Counter>,
    auth_failures: Family<MailboxLabels, Counter>,
    http: Family<HttpLabels, Histogram>,
    outbox: Family<StateLabels, Gauge>,
    bounces: Gauge,
    bouncing: Gauge,
}

/// The daemon's counters; clones share them.
#[derive(Clone)]
pub struct Metrics {
    families: Arc<Families>,
    registry: Arc<Registry>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn http_histogram() -> Histogram {
    // 1 ms to ~16 s: a page is milliseconds, a slow search or a stalled store is seconds.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Families {
    fn new() -> Self {
        Families {
            fetched: Family::default(),
            published: Family::default(),
            duplicates: Family::default(),
            skipped: Family::default(),
            quarantined: Family::default(),
            reconnects: Family::default(),
            auth_failures: Family::default(),
            http: Family::new_with_constructor(http_histogram),
            outbox: Family::default(),
            bounces: Gauge::default(),
            bouncing: Gauge::default(),
        }
    }

    fn register(&self, r: &mut Registry) {
        let f = self;
        r.register(
            "outloud_mails_fetched",
            "Mails fetched over IMAP",
            f.fetched.clone(),
        );
        r.register(
            "outloud_mails_published",
            "Mails published in at least one group",
            f.published.clone(),
        );
        r.register(
            "outloud_mails_duplicate",
            "Mails already stored (not published again)",
            f.duplicates.clone(),
        );
        r.register(
            "outloud_mails_skipped",
            "Mails recorded but not published, by reason",
            f.skipped.clone(),
        );
        r.register(
            "outloud_mails_quarantined",
            "Mails that could not be parsed, by reason",
            f.quarantined.clone(),
        );
        r.register(
            "outloud_imap_reconnects",
            "IMAP reconnections after a failure",
            f.reconnects.clone(),
        );
        r.register(
            "outloud_imap_auth_failures",
            "IMAP logins refused by the server",
            f.auth_failures.clone(),
        );
        r.register_with_unit(
            "outloud_http_request_duration",
            "HTTP request durations by route",
            Unit::Seconds,
            f.http.clone(),
        );
        r.register(
            "outloud_outbox_mails",
            "Outbox rows by state",
            f.outbox.clone(),
        );
        r.register(
            "outloud_bounces",
            "Bounces recorded for sent mail",
            f.bounces.clone(),
        );
        r.register(
            "outloud_bouncing_addresses",
            "Addresses not mailed because they bounce",
            f.bouncing.clone(),
        );
    }
}

impl Metrics {
    pub fn new() -> Self {
        let families = Families::new();
        let mut registry = Registry::default();
        families.register(&mut registry);
        Metrics {
            families: Arc::new(families),
            registry: Arc::new(registry),
        }
    }

    /// Mails fetched from `mailbox`/`folder`.
    pub fn fetched(&self, mailbox: &str, folder: &str, n: usize) {
        let l = folder_labels(mailbox, folder);
        self.families.fetched.get_or_create(&l).inc_by(n as u64);
    }

    /// What became of each mail of a committed batch.
    pub fn mails(&self, mailbox: &str, folder: &str, reports: &[MailReport]) {
        let f = &self.families;
        let l = folder_labels(mailbox, folder);
        for r in reports {
            match &r.result {
                MailResult::Published { .. } => {
                    f.published.get_or_create(&l).inc();
                }
                MailResult::Duplicate => {
                    f.duplicates.get_or_create(&l).inc();
                }
                MailResult::Skipped { reason, .. } => {
                    f.skipped
                        .get_or_create(&reason_labels(reason.as_str()))
                        .inc();
                }
                // Counted with the skips, under its own reason, until /metrics has a family
                // for the moderation queue.
                MailResult::Held { .. } => {
                    f.skipped.get_or_create(&reason_labels("held")).inc();
                }
                MailResult::Quarantined { reason, .. } => {
                    f.quarantined.get_or_create(&reason_labels(reason)).inc();
                }
            }
        }
    }

    /// A watcher starts over on a fresh connection after a failure.
    pub fn reconnect(&self, mailbox: &str) {
        let l = MailboxLabels {
            mailbox: mailbox.to_string(),
        };
        self.families.reconnects.get_or_create(&l).inc();
    }

    /// The server refused the credentials (password or token).
    pub fn auth_failure(&self, mailbox: &str) {
        let l = MailboxLabels {
            mailbox: mailbox.to_string(),
        };
        self.families.auth_failures.get_or_create(&l).inc();
    }

    /// One answered HTTP request; `route` is the matched pattern or `unmatched`.
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let l = HttpLabels {
            method: method.to_string(),
            route: route.to_string(),
            status,
        };
        self.families
            .http
            .get_or_create(&l)
            .observe(took.as_secs_f64());
    }

    /// The outbox and bounce figures, refreshed from the store before each scrape.
    pub fn set_outbox(&self, figures: &OutboxFigures) {
        let f = &self.families;
        for (state, rows) in &figures.by_state {
            let l = StateLabels {
                state: state.clone(),
            };
            f.outbox.get_or_create(&l).set(*rows);
        }
        f.bounces.set(figures.bounces);
        f.bouncing.set(figures.bouncing_addresses);
    }

    /// Every series in the text format (see [`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

fn folder_labels(mailbox: &str, folder: &str) -> FolderLabels {
    FolderLabels {
        mailbox: mailbox.to_string(),
        folder: folder.to_string(),
    }
}

fn reason_labels(reason: &str) -> ReasonLabels {
    ReasonLabels {
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SkipReason, SkipRule};

    fn report(result: MailResult) -> MailReport {
        MailReport {
            source: "imap:corp/INBOX/1".into(),
            message_id: None,
            result,
        }
    }

    #[test]
    fn counts_each_outcome_under_its_reason() {
        let m = Metrics::new();
        m.fetched("corp", "INBOX", 3);
        let skipped = MailResult::Skipped {
            reason: SkipReason::AutoReply,
            rule: SkipRule::AutoSubmitted,
            detail: String::new(),
        };
        let quarantined = MailResult::Quarantined {
            reason: "empty",
            error: "empty input".into(),
        };
        m.mails(
            "corp",
            "INBOX",
            &[
                report(MailResult::Duplicate),
                report(skipped),
                report(quarantined),
            ],
        );
        let text = m.render();
        assert!(
            text.contains(r#"outloud_mails_fetched_total{mailbox="corp",folder="INBOX"} 3"#),
            "{text}"
        );
        assert!(
            text.contains(r#"outloud_mails_duplicate_total{mailbox="corp",folder="INBOX"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"outloud_mails_skipped_total{reason="auto_reply"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"outloud_mails_quarantined_total{reason="empty"} 1"#),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn http_durations_are_a_histogram_per_route() {
        let m = Metrics::new();
        m.http_request("GET", "/t/{id}", 200, Duration::from_millis(3));
        let text = m.render();
        assert!(
            text.contains("# TYPE outloud_http_request_duration_seconds histogram"),
            "{text}"
        );
        assert!(
            text.contains(r#"outloud_http_request_duration_seconds_count{method="GET",route="/t/{id}",status="200"} 1"#),
            "{text}"
        );
    }

    #[test]
    fn outbox_figures_replace_the_previous_scrape() {
        let m = Metrics::new();
        let mut f = OutboxFigures {
            by_state: vec![("queued".into(), 5)],
            bounces: 2,
            bouncing_addresses: 1,
        };
        m.set_outbox(&f);
        f.by_state = vec![("queued".into(), 0), ("sent".into(), 5)];
        m.set_outbox(&f);
        let text = m.render();
        assert!(
            text.contains(r#"outloud_outbox_mails{state="queued"} 0"#),
            "{text}"
        );
        assert!(
            text.contains(r#"outloud_outbox_mails{state="sent"} 5"#),
            "{text}"
        );
        assert!(text.contains("outloud_bouncing_addresses 1"), "{text}");
    }
}
