//! The digest tests' fixtures: the weekly schedule and its settings, groups at `corp.example`,
//! and plain-text mail written in the week before a round.

use std::sync::Arc;

use outloud::core::digest::schedule::{Schedule, Weekday};
use outloud::core::digest::Rules;
use outloud::digest::DigestSettings;
use outloud::ingest::RawMail;
use outloud::store::Store;

pub const DAY: i64 = 86_400;
/// Monday 7 December 2026 09:00 UTC: a round is due.
pub const DUE: i64 = 1_796_634_000;

/// Mondays at 09:00 UTC over the last 7 days, from outloud at corp.example.
pub fn settings() -> DigestSettings {
    DigestSettings {
        schedule: Schedule::utc(Weekday::Mon, 9, 7),
        rules: Rules::default(),
        sender: super::outbox_sender(),
        base_url: "https://outloud.corp.example".into(),
        site_name: "Corp outloud".into(),
        operator: "IT (it@corp.example)".into(),
        exclude: vec!["outloud@corp.example".into()],
    }
}

/// Group `slug` named `name`, reached at `SLUG@corp.example`.
pub async fn group(store: &Arc<dyn Store>, slug: &str, name: &str) {
    let address = format!("{slug}@corp.example");
    store
        .upsert_group(&super::slug(slug), name, &super::addresses(&[&address]))
        .await
        .unwrap();
}

/// A plain-text mail `id` written at `at`; a reply to `parent` when given.
#[allow(clippy::too_many_arguments)]
pub fn mail(
    from: &str,
    to: &str,
    cc: &str,
    subject: &str,
    at: i64,
    id: &str,
    parent: Option<&str>,
    body: &str,
) -> RawMail {
    let date = chrono::DateTime::from_timestamp(at, 0)
        .unwrap()
        .to_rfc2822();
    let irt = parent
        .map(|p| format!("In-Reply-To: <{p}>\r\nReferences: <{p}>\r\n"))
        .unwrap_or_default();
    let bytes = format!(
        "From: {from}\r\nTo: {to}\r\nCc: {cc}\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <{id}>\r\n{irt}\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{}",
        body.replace('\n', "\r\n")
    );
    RawMail {
        bytes: bytes.into_bytes(),
        source: format!("test:{id}"),
        force_groups: vec![],
    }
}
