//! A leader's wait for new mail between passes, and a standby's nap.
//!
//! IDLE when offered: the lease is renewed while idling (no need to leave IDLE for it), IDLE
//! is re-issued every `idle_secs`, ended early when the OAuth2 token it logged in with is due
//! for renewal, and, where the server holds pushes back (Dovecot) or `idle_recheck_ms` asks
//! for it, left that often for a NOOP (which also looks at the injected clock for a token
//! that became due). A server that ends an idle connection (BYE, or closing it) after it
//! served a minute or more is reconnected to at once, without counting a failure (ages on the
//! injected clock: [`decide::ended_by_housekeeping`]). Without IDLE, a poll every `poll_secs`.

use std::time::Duration;

use async_imap::extensions::idle::IdleResponse;
use async_imap::imap_proto::{Response, Status};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Conn, WatchError, Watcher};
use crate::health::Role;
use crate::imap::connect::{step, Account, ImapError};
use crate::imap::decide;

/// Why one IDLE ended.
enum IdleEnd {
    /// The server sent something (new mail, flags, expunges).
    Pushed,
    /// Its time slice ran out: the deadline, or a NOOP re-check is due.
    SliceEnd,
    LeaseLost,
    Shutdown,
    /// The server said BYE or closed the connection.
    Closed(String),
}

/// After one IDLE: the connection back, or ended by the server (it was opened at
/// `opened_at`, Unix seconds).
enum Idled {
    Back(Conn, IdleEnd),
    Closed { opened_at: i64, why: String },
}

impl Watcher {
    /// Until new mail may be there (IDLE), the poll interval passed, or it is time to replace
    /// the connection. Standbys only nap. The connection is kept for the next pass, dropped on
    /// failure or when the server ended it.
    pub(super) async fn wait_for_mail(
        &mut self,
        conn: Conn,
        role: Role,
        shutdown: &CancellationToken,
    ) -> Result<(), WatchError> {
        if role != Role::Leader {
            self.conn = Some(conn);
            nap(decide::lease_renewal(self.settings.lease_secs), shutdown).await;
            return Ok(());
        }
        self.conn = if !conn.caps.idle || self.poll_only {
            let wake = decide::wake_every(self.cfg.idle_secs, self.settings.lease_secs);
            let limit = self.wait_limit(self.cfg.poll_secs, conn.renew_at);
            self.poll_wait(limit, wake, shutdown).await?;
            Some(conn)
        } else {
            self.idle(conn, shutdown).await?
        };
        Ok(())
    }

    /// How long to wait at most: `secs`, or less when the connection's token is due sooner.
    fn wait_limit(&self, secs: u64, renew_at: Option<i64>) -> Duration {
        decide::wait_limit(secs, renew_at, self.settings.clock.now())
    }

    /// Sleep `limit`, renewing the lease every `wake`; stop early when the lease is lost.
    async fn poll_wait(
        &mut self,
        limit: Duration,
        wake: Duration,
        shutdown: &CancellationToken,
    ) -> Result<(), WatchError> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || shutdown.is_cancelled() {
                return Ok(());
            }
            nap(left.min(wake), shutdown).await;
            if !shutdown.is_cancelled() && !self.renew_lease().await? {
                return Ok(());
            }
        }
    }

    /// IDLE until the server pushes something, the deadline, a lost lease or shutdown; `None`
    /// when the server ended the connection meanwhile.
    async fn idle(
        &mut self,
        mut conn: Conn,
        shutdown: &CancellationToken,
    ) -> Result<Option<Conn>, WatchError> {
        let deadline = Instant::now() + self.wait_limit(self.cfg.idle_secs, conn.renew_at);
        let recheck = decide::idle_recheck(self.cfg.idle_recheck_ms, conn.caps.server);
        let mut renewal = Instant::now() + decide::lease_renewal(self.settings.lease_secs);
        loop {
            let slice_end = recheck.map_or(deadline, |r| deadline.min(Instant::now() + r));
            let end = match self
                .idle_once(conn, slice_end, &mut renewal, shutdown)
                .await?
            {
                Idled::Back(c, end) => {
                    conn = c;
                    end
                }
                Idled::Closed { opened_at, why } => {
                    return self.server_ended(opened_at, why).map(|()| None)
                }
            };
            let recheck_due = matches!(end, IdleEnd::SliceEnd) && slice_end < deadline;
            let token_due = decide::token_due(conn.renew_at, self.settings.clock.now());
            if !recheck_due || token_due || self.recheck_sees_mail(&mut conn).await? {
                break;
            }
        }
        Ok(Some(conn))
    }

    /// One IDLE command, until `until`, renewing the lease when `renewal` comes.
    async fn idle_once(
        &mut self,
        conn: Conn,
        until: Instant,
        renewal: &mut Instant,
        shutdown: &CancellationToken,
    ) -> Result<Idled, WatchError> {
        let account = self.account.clone();
        let every = decide::lease_renewal(self.settings.lease_secs);
        let Conn {
            session,
            caps,
            swept,
            renew_at,
            opened_at,
            ..
        } = conn;
        let mut idle = session.idle();
        step(&account, "starting IDLE", idle.init()).await?;
        let end = {
            let slice = until.saturating_duration_since(Instant::now());
            let (wait, _interrupt) = idle.wait_with_timeout(slice);
            tokio::pin!(wait);
            loop {
                tokio::select! {
                    r = &mut wait => break idle_response(r, &account)?,
                    _ = tokio::time::sleep_until(until) => break IdleEnd::SliceEnd,
                    _ = shutdown.cancelled() => break IdleEnd::Shutdown,
                    _ = tokio::time::sleep_until(*renewal) => {
                        *renewal = Instant::now() + every;
                        if !self.renew_lease().await? {
                            break IdleEnd::LeaseLost;
                        }
                    }
                }
            }
        };
        if let IdleEnd::Closed(why) = end {
            return Ok(Idled::Closed { opened_at, why });
        }
        let session = step(&account, "ending IDLE", idle.done()).await?;
        let conn = Conn {
            session,
            caps,
            swept,
            renew_at,
            opened_at,
            last_answer: Instant::now(),
        };
        Ok(Idled::Back(conn, end))
    }

    /// A NOOP makes a server that holds pushes back look at the folder at once: whether it
    /// reported new mail.
    async fn recheck_sees_mail(&self, conn: &mut Conn) -> Result<bool, ImapError> {
        use async_imap::types::UnsolicitedResponse as U;
        let session = &mut conn.session;
        while session.unsolicited_responses.try_recv().is_ok() {}
        step(&self.account, "checking for new mail", session.noop()).await?;
        let mut new_mail = false;
        while let Ok(r) = session.unsolicited_responses.try_recv() {
            new_mail |= matches!(r, U::Exists(_) | U::Recent(_));
        }
        Ok(new_mail)
    }

    /// The server ended a connection that was idling: after a while in service that is the
    /// server's housekeeping (Gmail, Exchange Online and others end long idle connections), so
    /// reconnect at once; sooner it is a fault, retried with back-off.
    fn server_ended(&self, opened_at: i64, why: String) -> Result<(), WatchError> {
        let now = self.settings.clock.now();
        let open_secs = now.saturating_sub(opened_at).max(0);
        if !decide::ended_by_housekeeping(opened_at, now) {
            return Err(WatchError::Imap(ImapError::Closed {
                account: self.account.clone(),
                what: format!("in IDLE, {open_secs} s after logging in ({why})"),
            }));
        }
        tracing::info!(reason = %why, open_secs, "the server ended the idle connection; reconnecting");
        Ok(())
    }
}

/// What an IDLE wait's answer means.
fn idle_response(
    r: Result<IdleResponse, async_imap::error::Error>,
    account: &Account,
) -> Result<IdleEnd, ImapError> {
    match r {
        Ok(IdleResponse::Timeout) => Ok(IdleEnd::SliceEnd),
        Ok(IdleResponse::NewData(data)) => match data.parsed() {
            Response::Data {
                status: Status::Bye,
                outcome,
            } => Ok(IdleEnd::Closed(format!(
                "BYE {}",
                outcome.information.as_deref().unwrap_or_default()
            ))),
            _ => Ok(IdleEnd::Pushed),
        },
        // Never interrupted here (the stop source lives as long as the wait): the stream ended.
        Ok(IdleResponse::ManualInterrupt) => Ok(IdleEnd::Closed("connection closed".into())),
        Err(e) => match ImapError::from_imap(account, "in IDLE", e) {
            ImapError::Closed { .. } => Ok(IdleEnd::Closed("connection closed".into())),
            other => Err(other),
        },
    }
}

pub(super) async fn nap(d: Duration, shutdown: &CancellationToken) {
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = shutdown.cancelled() => {}
    }
}
