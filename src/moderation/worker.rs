//! The policy worker of `outloud run`: every `poll` it publishes the posts whose undo window
//! ended (approving them as `undo_window`, then filing them like any approved mail) and deletes
//! the raw mail of retractions whose retention ran out (`policy.retracted_raw_days`).
//! Running twice — a restart, a second replica — is harmless: a post leaves `pending` once (the
//! store's update is conditional) and filing is deduplicated by Message-ID.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{decide, ModerationError, Moderator};
use crate::clock::Clock;
use crate::ingest::Ingestor;
use crate::store::policy::HeldState;

/// Posts published per round at most (the rest wait for the next round).
const RELEASE_BATCH: i64 = 200;

/// The actor of the audit lines of posts whose window ended.
pub const ACTOR: &str = "undo_window";

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PolicyRound {
    /// Held ids published because their undo window ended.
    pub released: Vec<i64>,
    /// Raw mails of retracted posts deleted.
    pub purged: u64,
}

pub struct PolicyWorker {
    ingestor: Arc<Ingestor>,
    clock: Clock,
    poll: Duration,
}

impl PolicyWorker {
    pub fn new(ingestor: Arc<Ingestor>, clock: Clock, poll: Duration) -> Self {
        PolicyWorker {
            ingestor,
            clock,
            poll,
        }
    }

    /// Publish what is due and purge what expired, as of the clock's now.
    pub async fn run_once(&self) -> Result<PolicyRound, ModerationError> {
        let now = self.clock.now();
        let store = self.ingestor.store();
        let mut round = PolicyRound::default();
        let due = store.due_pending(now, RELEASE_BATCH).await?;
        if !due.is_empty() {
            // Groups may have changed since the daemon started (`outloud group`, `apply`).
            self.ingestor.reload_groups().await?;
        }
        for id in due {
            let m = Moderator {
                actor: ACTOR,
                note: None,
                now,
                // The sender was told when it would appear: no second notice.
                sender: None,
            };
            match decide(&self.ingestor, id, HeldState::Approved, &m).await {
                Ok(_) => round.released.push(id),
                // Cancelled or decided by a moderator since it was listed.
                Err(ModerationError::Decided { .. } | ModerationError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        round.purged = store.purge_retracted(now).await?;
        Ok(round)
    }

    /// Rounds every `poll` until `stop`.
    pub async fn run(self, stop: CancellationToken) {
        tracing::info!(poll_secs = self.poll.as_secs(), "policy worker started");
        while !stop.is_cancelled() {
            match self.run_once().await {
                Ok(r) if r.released.is_empty() && r.purged == 0 => {}
                Ok(r) => tracing::info!(
                    released = r.released.len(),
                    purged = r.purged,
                    "policy round: undo windows ended, expired raw mail deleted"
                ),
                Err(e) => tracing::warn!(error = %e, "policy round failed; trying again"),
            }
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = tokio::time::sleep(self.poll) => {}
            }
        }
    }
}
