//! The digest worker of `outloud run`: looks at the schedule every `poll`, and runs the round
//! last due when it has not run it yet (within a day of its due time: a daemon started days
//! later does not send an old week). Running a round twice — a restart, a second replica — is
//! harmless: each (person, period) is decided once, in the store.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::round::{run_round, DigestError, DigestSettings, RoundOptions, RoundReport};
use crate::clock::Clock;
use crate::config::Config;
use crate::store::Store;

/// A round due longer ago than this is not run by the worker (`outloud digest send` can).
pub const GRACE_SECS: i64 = 86_400;

pub struct DigestWorker {
    store: Arc<dyn Store>,
    settings: DigestSettings,
    clock: Clock,
    poll: Duration,
    /// Start of the last period this worker finished.
    done: Option<i64>,
}

impl DigestWorker {
    pub fn new(
        store: Arc<dyn Store>,
        settings: DigestSettings,
        clock: Clock,
        poll: Duration,
    ) -> Self {
        DigestWorker {
            store,
            settings,
            clock,
            poll,
            done: None,
        }
    }

    /// Runs the round due now, if it is due and this worker has not finished it.
    pub async fn run_once(&mut self) -> Result<Option<RoundReport>, DigestError> {
        let now = self.clock.now();
        let period = self.settings.schedule.current(now);
        if self.done == Some(period.start) || now - period.end > GRACE_SECS {
            return Ok(None);
        }
        let report = run_round(
            &self.store,
            &self.settings,
            period,
            now,
            RoundOptions::default(),
        )
        .await?;
        self.done = Some(period.start);
        Ok(Some(report))
    }

    /// Rounds on the schedule until `stop`.
    pub async fn run(mut self, stop: CancellationToken) {
        tracing::info!(
            next = self.settings.schedule.next_due(self.clock.now()),
            "digest worker started"
        );
        while !stop.is_cancelled() {
            match self.run_once().await {
                Ok(Some(r)) => tracing::info!(
                    period_start = r.period_start,
                    queued = r.queued,
                    already = r.already,
                    skipped = ?r.skipped,
                    "digest round done"
                ),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "digest round failed; trying again"),
            }
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = tokio::time::sleep(self.poll) => {}
            }
        }
    }
}

/// The round settings `cfg` asks for; `Err((key, message))` names the bad key.
pub fn settings(cfg: &Config) -> Result<DigestSettings, (&'static str, String)> {
    let d = &cfg.digest;
    let sender = cfg.smtp.sender(&cfg.identity)?;
    let mut exclude = cfg.identity.addresses.clone();
    exclude.push(sender.from.clone());
    Ok(DigestSettings {
        schedule: d.schedule(),
        rules: d.rules(),
        base_url: d.base_url(&cfg.web),
        site_name: d.site_name.clone(),
        operator: d.operator.clone(),
        exclude,
        sender,
    })
}
