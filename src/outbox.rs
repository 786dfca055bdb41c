//! Outgoing mail: how a part of outloud queues a mail ([`queue_draft`], then the write set's
//! `outbox` or [`OutboxStore::enqueue`](crate::store::outbox::OutboxStore::enqueue)), the [`sender`] worker of
//! `outloud run` that delivers it, and the `outloud mail|outbox|bounces` [`commands`].
//! docs/OUTBOX.md describes the guarantees.

use std::collections::HashMap;

use rand::RngExt;

use crate::core::compose::{outgoing, ComposeError, Draft, Outgoing, Sender};
use crate::core::delivery::{bounce_score, stops_mail};
use crate::metrics::OutboxFigures;
use crate::store::{Store, StoreError};

pub mod commands;
pub mod sender;

pub use sender::{OutboxSender, RoundReport, SendError, SenderSettings};

/// Letters of the random tokens in Message-IDs and return paths: lower-case, since servers
/// change the case of addresses they echo back.
const TOKEN_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// 20 of them: about 103 random bits.
const TOKEN_LEN: usize = 20;

/// A fresh random token.
pub fn token() -> String {
    let mut rng = rand::rng();
    (0..TOKEN_LEN)
        .map(|_| char::from(TOKEN_ALPHABET[rng.random_range(0..TOKEN_ALPHABET.len())]))
        .collect()
}

/// `draft` composed as `sender` at `now`, ready to queue: what a part of outloud puts in its
/// write set (or hands to `Store::enqueue`) to send a mail.
pub fn queue_draft(
    sender: &Sender,
    draft: &Draft,
    kind: &str,
    now: i64,
) -> Result<Outgoing, ComposeError> {
    outgoing(sender, draft, kind, now, &mut token)
}

/// What `/metrics` reports of the outbox at `now`: deliveries per state (every state, zeros
/// too, so a series never disappears), bounces recorded, and addresses whose bounce score
/// stops mail to them.
pub async fn figures(store: &dyn Store, now: i64) -> Result<OutboxFigures, StoreError> {
    let c = store.outbox_counts().await?;
    let mut points: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
    // Listed by address, oldest first: each address's history in the order scoring reads it.
    for e in store.bounce_events(None).await? {
        points.entry(e.address).or_default().push((e.at, e.points));
    }
    let bouncing = points
        .values()
        .filter(|p| stops_mail(bounce_score(p, now)))
        .count();
    let by_state = [
        ("queued", c.queued),
        ("retrying", c.retrying),
        ("sent", c.sent),
        ("failed", c.failed),
        ("bounced", c.bounced),
        ("cancelled", c.cancelled),
    ];
    Ok(OutboxFigures {
        by_state: by_state.map(|(s, n)| (s.to_string(), n)).to_vec(),
        bounces: c.bounces,
        bouncing_addresses: i64::try_from(bouncing).unwrap_or(i64::MAX),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_fresh_lower_case_and_long() {
        let a = super::token();
        assert_eq!(a.len(), 20);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert_ne!(a, super::token());
    }
}
