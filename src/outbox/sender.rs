//! The sender worker of `outloud run`: claims due deliveries under a lease, sends each in its
//! own SMTP transaction over one connection per round, and records every reply.
//!
//! - **Exactly once, or visibly not.** An attempt is recorded before its first SMTP command
//!   and closed with the server's reply. A sender that dies in between leaves the attempt open;
//!   the next claim closes it as `interrupted` and sends the mail again, with the same bytes and
//!   Message-ID. That is the only way a mail goes out twice.
//! - **Replicas.** Deliveries are claimed under a lease on the database's clock (see
//!   [`OutboxStore::claim_deliveries`]). A sender starts a transaction only while its lease
//!   has room for the longest one (every step's deadline), so no other replica can take it
//!   meanwhile.
//! - **Politeness.** At most `rate_per_minute` transactions start per minute; a server that is
//!   down is retried after 1 s doubling to 60 s (jittered), a refused login after 5 minutes.
//! - **Time.** Due times and retry delays use the injected [`Clock`]; pacing and deadlines use
//!   tokio's clock (paused in tests).
//!
//! [`OutboxStore::claim_deliveries`]: crate::store::outbox::OutboxStore::claim_deliveries

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rand::RngExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::core::compose::{verp_address, Sender};
use crate::core::delivery::{
    bounce_score, stops_mail, verdict, Attempted, Failure, Reply, Verdict,
};
use crate::imap::backoff::Backoff;
use crate::smtp::{Connection, Envelope, SmtpError, SmtpSettings, StepLog, TraceSteps};
use crate::store::outbox::{ClaimRequest, ClaimedDelivery, DeliveryEnd, DeliveryState};
use crate::store::{Store, StoreError};

/// Deliveries claimed at once, at most.
pub const BATCH: i64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Smtp(#[from] SmtpError),
}

/// What the sender needs besides the store.
#[derive(Debug, Clone)]
pub struct SenderSettings {
    /// This instance's name in leases and attempts.
    pub instance: String,
    pub sender: Sender,
    pub smtp: SmtpSettings,
    /// Transactions started per minute, at most (0: no limit).
    pub rate_per_minute: u32,
    /// Temporary failures are given up this long after the mail was queued.
    pub retry_secs: i64,
    /// Pause between looks at the outbox when nothing is due.
    pub poll: Duration,
    pub clock: Clock,
}

impl SenderSettings {
    /// The claim lease: room for several transactions at every step's deadline.
    fn lease(&self) -> Duration {
        self.smtp.timeout * 12
    }

    /// A transaction's longest run: MAIL, RCPT and DATA replies, the message (4 deadlines) and
    /// RSET.
    fn longest_transaction(&self) -> Duration {
        self.smtp.timeout * 8
    }

    /// Claim no more than can start within the lease at the configured rate.
    fn claim_size(&self) -> i64 {
        if self.rate_per_minute == 0 {
            return BATCH;
        }
        let window = (self.lease() - self.longest_transaction()).as_secs();
        let fits = i64::from(self.rate_per_minute) * i64::try_from(window).unwrap_or(0) / 60;
        fits.clamp(1, BATCH)
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub claimed: usize,
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Not sent: the address is bouncing.
    pub suppressed: usize,
    /// Claimed but not attempted (a shutdown, the end of the lease's room, a failed connection).
    pub released: usize,
}

/// The sender worker. One per `outloud run`; several replicas may share a database.
pub struct OutboxSender {
    store: Arc<dyn Store>,
    s: SenderSettings,
    pacer: Pacer,
    conn: Option<Connection>,
}

impl OutboxSender {
    pub fn new(store: Arc<dyn Store>, settings: SenderSettings) -> OutboxSender {
        let pacer = Pacer::new(settings.rate_per_minute);
        OutboxSender {
            store,
            s: settings,
            pacer,
            conn: None,
        }
    }

    /// Send until nothing is due (or `stop`), over one connection, then QUIT.
    pub async fn run_once(&mut self, stop: &CancellationToken) -> Result<RoundReport, SendError> {
        let mut report = RoundReport::default();
        let result = self.round(stop, &mut report).await;
        if let Some(conn) = self.conn.take() {
            conn.quit().await;
        }
        result.map(|()| report)
    }

    /// Rounds until `stop`: a pause of `poll` when nothing is due, a growing one when the
    /// server cannot be reached, five minutes after a refused login.
    pub async fn run(mut self, stop: CancellationToken) {
        let mut backoff = Backoff::default();
        tracing::info!(server = %self.s.smtp.server(), instance = %self.s.instance, "outbox sender started");
        while !stop.is_cancelled() {
            let pause = match self.run_once(&stop).await {
                Ok(r) => {
                    if r.claimed > 0 {
                        tracing::info!(
                            sent = r.sent,
                            retrying = r.retrying,
                            failed = r.failed,
                            suppressed = r.suppressed,
                            "outbox round done"
                        );
                    }
                    backoff.reset();
                    self.s.poll
                }
                Err(SendError::Smtp(e)) if e.is_auth() => {
                    // A refused password or token, or a token endpoint refusing the credentials.
                    tracing::error!(error = %e, "SMTP login failed; trying again in 5 minutes");
                    backoff.auth_delay()
                }
                Err(e) => {
                    let pause = backoff.next_delay(&mut rand::rng());
                    tracing::warn!(error = %e, retry_in_secs = pause.as_secs(), "outbox round failed");
                    pause
                }
            };
            tokio::select! {
                _ = stop.cancelled() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
        tracing::info!("outbox sender stopped");
    }

    async fn round(
        &mut self,
        stop: &CancellationToken,
        report: &mut RoundReport,
    ) -> Result<(), SendError> {
        while !stop.is_cancelled() {
            let claimed_at = Instant::now();
            let batch = self.store.claim_deliveries(&self.claim_request()).await?;
            if batch.is_empty() {
                return Ok(());
            }
            report.claimed += batch.len();
            // Start transactions only while the lease has room for the longest one.
            let room = claimed_at + self.s.lease() - self.s.longest_transaction();
            let batch = self.screen(batch, report).await?;
            let mut rest = batch.into_iter().peekable();
            let sent = self.send_while(&mut rest, room, stop, report).await;
            let left: Vec<i64> = rest.map(|d| d.id).collect();
            report.released += left.len();
            self.store
                .release_deliveries(&left, &self.s.instance)
                .await?;
            sent?;
        }
        Ok(())
    }

    fn claim_request(&self) -> ClaimRequest {
        ClaimRequest {
            holder: self.s.instance.clone(),
            now: self.s.clock.now(),
            limit: self.s.claim_size(),
            lease_secs: i64::try_from(self.s.lease().as_secs()).unwrap_or(i64::MAX),
            only: None,
        }
    }

    /// Sends from `rest` until it is empty, the lease has no room left or `stop`.
    async fn send_while(
        &mut self,
        rest: &mut std::iter::Peekable<std::vec::IntoIter<ClaimedDelivery>>,
        room: Instant,
        stop: &CancellationToken,
        report: &mut RoundReport,
    ) -> Result<(), SendError> {
        while rest.peek().is_some() && !stop.is_cancelled() {
            if !self.pacer.wait(stop).await || Instant::now() >= room {
                return Ok(());
            }
            // A token login's connection is replaced before its token runs out.
            let now = self.s.clock.now();
            if let Some(old) = self.conn.take_if(|c| c.token_due(now)) {
                old.quit().await;
            }
            if self.conn.is_none() {
                self.conn = Some(Connection::open(&self.s.smtp, &mut TraceSteps).await?);
            }
            let Some(d) = rest.next() else { break };
            let mut conn = self.conn.take().expect("opened above");
            let end = self.deliver(&mut conn, &d, &mut TraceSteps).await;
            let alive = match end {
                Ok(Some((end, alive))) => {
                    count(report, &end);
                    log_end(&d, &end);
                    alive
                }
                Ok(None) => true,
                Err(e) => {
                    self.conn = Some(conn);
                    return Err(e);
                }
            };
            if alive {
                self.conn = Some(conn);
            } else {
                // The connection broke mid-transaction: the rest waits for the next round.
                return Ok(());
            }
        }
        Ok(())
    }

    /// One attempt at `d` over `conn`: recorded, sent, its reply recorded. `None` when the
    /// delivery was taken over meanwhile (its lease ran out).
    pub async fn deliver(
        &mut self,
        conn: &mut Connection,
        d: &ClaimedDelivery,
        log: &mut dyn StepLog,
    ) -> Result<Option<(DeliveryEnd, bool)>, SendError> {
        let holder = self.s.instance.clone();
        let attempt = match self
            .store
            .start_attempt(d.id, &holder, self.s.clock.now())
            .await
        {
            Ok(n) => n,
            Err(StoreError::DeliveryLost { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let return_path = verp_address(&self.s.sender.bounce_address, &d.token);
        let env = Envelope {
            return_path: &return_path,
            recipient: &d.recipient,
            token: &d.token,
        };
        let (reply, alive) = conn.send(&env, &d.bytes, log).await;
        let now = self.s.clock.now();
        let at = Attempted {
            attempts: attempt,
            queued_at: d.created_at,
            now,
            retry_secs: self.s.retry_secs,
        };
        let v = verdict(&reply, at, rand::rng().random::<f64>());
        let end = delivery_end(&reply, &v, now);
        match self.store.finish_delivery(d.id, &holder, &end).await {
            Ok(()) => Ok(Some((end, alive))),
            Err(StoreError::DeliveryLost { .. }) => {
                tracing::warn!(
                    delivery = d.id,
                    "delivery taken over by another sender while this one sent it"
                );
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Settle the deliveries whose address is bouncing; the rest go on.
    async fn screen(
        &mut self,
        batch: Vec<ClaimedDelivery>,
        report: &mut RoundReport,
    ) -> Result<Vec<ClaimedDelivery>, SendError> {
        let mut addresses: Vec<String> = batch.iter().map(|d| d.recipient.clone()).collect();
        addresses.sort();
        addresses.dedup();
        let mut history: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
        for e in self.store.bounce_events(Some(&addresses)).await? {
            history.entry(e.address).or_default().push((e.at, e.points));
        }
        let now = self.s.clock.now();
        let mut keep = Vec::with_capacity(batch.len());
        for d in batch {
            let score = history
                .get(&d.recipient)
                .map_or(0, |h| bounce_score(h, now));
            if !stops_mail(score) {
                keep.push(d);
                continue;
            }
            let end = suppressed(&d.recipient, score, now);
            match self
                .store
                .finish_delivery(d.id, &self.s.instance, &end)
                .await
            {
                Ok(()) | Err(StoreError::DeliveryLost { .. }) => report.suppressed += 1,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(keep)
    }
}

/// How a delivery's turn ends after `reply` and its verdict.
pub fn delivery_end(reply: &Reply, v: &Verdict, now: i64) -> DeliveryEnd {
    let (code, text) = match reply {
        Reply::Accepted { code, text } => (Some(i32::from(*code)), text.clone()),
        Reply::Refused { step, code, text } => {
            (Some(i32::from(*code)), format!("{}: {text}", step.as_str()))
        }
        Reply::Failed { step, error } => (None, format!("{}: {error}", step.as_str())),
        Reply::Unsendable { error } => (None, error.clone()),
    };
    let (state, outcome, next, failure, bounce) = match v {
        Verdict::Sent => (DeliveryState::Sent, "sent", None, None, None),
        Verdict::Retry { at } => (DeliveryState::Retrying, "deferred", Some(*at), None, None),
        Verdict::Fail { failure, bounce } => (
            DeliveryState::Failed,
            failure.as_str(),
            None,
            Some(*failure),
            *bounce,
        ),
    };
    DeliveryEnd {
        at: now,
        attempted: true,
        outcome: outcome.into(),
        code,
        reply: text,
        state,
        next_attempt_at: next,
        failure,
        bounce,
    }
}

fn suppressed(address: &str, score: i64, now: i64) -> DeliveryEnd {
    DeliveryEnd {
        at: now,
        attempted: false,
        outcome: Failure::Suppressed.as_str().into(),
        code: None,
        reply: format!(
            "not sent: {address} is bouncing (score {score}); `outloud bounces clear {address}` sends to it again"
        ),
        state: DeliveryState::Failed,
        next_attempt_at: None,
        failure: Some(Failure::Suppressed),
        bounce: None,
    }
}

fn count(r: &mut RoundReport, end: &DeliveryEnd) {
    match end.state {
        DeliveryState::Sent => r.sent += 1,
        DeliveryState::Retrying => r.retrying += 1,
        _ => r.failed += 1,
    }
}

fn log_end(d: &ClaimedDelivery, end: &DeliveryEnd) {
    tracing::info!(
        delivery = d.id,
        message_id = %d.message_id,
        to = %d.recipient,
        outcome = %end.outcome,
        reply = %end.reply,
        "mail {}", end.outcome
    );
}

/// Spaces transaction starts `60 / rate` seconds apart (tokio's clock).
struct Pacer {
    interval: Option<Duration>,
    next: Option<Instant>,
}

impl Pacer {
    fn new(rate_per_minute: u32) -> Pacer {
        let interval = (rate_per_minute > 0).then(|| Duration::from_secs(60) / rate_per_minute);
        Pacer {
            interval,
            next: None,
        }
    }

    /// When the next start may be, asked at `now`; the one after is booked from then.
    fn reserve(&mut self, now: Instant) -> Instant {
        let Some(interval) = self.interval else {
            return now;
        };
        let at = self.next.map_or(now, |n| n.max(now));
        self.next = Some(at + interval);
        at
    }

    /// Wait for the next start; false when `stop` came first.
    async fn wait(&mut self, stop: &CancellationToken) -> bool {
        let at = self.reserve(Instant::now());
        tokio::select! {
            _ = stop.cancelled() => false,
            _ = tokio::time::sleep_until(at) => !stop.is_cancelled(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pacer_spaces_starts_by_the_rate() {
        let t0 = Instant::now();
        let mut p = Pacer::new(30);
        let starts: Vec<Duration> = (0..4).map(|_| p.reserve(t0) - t0).collect();
        assert_eq!(starts, [0, 2, 4, 6].map(Duration::from_secs));
        // After a quiet spell the next start is at once, not in the past.
        let later = t0 + Duration::from_secs(60);
        assert_eq!(p.reserve(later), later);
        let mut free = Pacer::new(0);
        assert_eq!(free.reserve(t0), t0);
        assert_eq!(free.reserve(t0), t0);
    }
}
