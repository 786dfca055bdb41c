//! One [`Watcher`] per (mailbox, folder): hold the replica lease, catch up from the stored
//! checkpoint in UID-ordered batches (each batch committed with its checkpoint, so a crash
//! re-reads at most one batch and dedupe makes that harmless), apply the after-action, then
//! wait for new mail with IDLE (or by polling), and start over. Any failure drops the
//! connection and retries with backoff; the rest of the daemon keeps serving.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::backoff::Backoff;
use super::commands;
use super::connect::{open, step, Account, Capabilities, ImapError, Opened, Session};
use super::decide::{self, AfterPlan};
use super::login::Login;
use crate::clock::Clock;
use crate::config::{AfterAction, MailboxConfig};
use crate::core::plan::Checkpoint;
use crate::health::{Health, Role};
use crate::ingest::{IngestError, Ingestor, MailReport, MailResult, RawMail};
use crate::store::StoreError;

mod wait;

/// Settings shared by every watcher of a daemon.
#[derive(Debug, Clone)]
pub struct WatcherSettings {
    /// This instance's name in leases and logs.
    pub instance: String,
    pub lease_secs: u64,
    /// Dates mail without one, and times the last sync in `/healthz`.
    pub clock: Clock,
}

/// What one [`Watcher::run_once`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub role: Role,
    pub uidvalidity: Option<u32>,
    /// UIDVALIDITY changed: the folder was read again from the start.
    pub resynced: bool,
    /// Mails fetched and handed to the pipeline.
    pub fetched: usize,
    pub published: usize,
    pub duplicates: usize,
    pub skipped: usize,
    /// Held by policy for a moderator.
    pub held: usize,
    pub quarantined: usize,
    /// Checkpoint after the sync.
    pub last_uid: u32,
    /// Mails still waiting (non-zero only when shutdown interrupted the catch-up).
    pub backlog: u64,
}

impl SyncReport {
    fn standby() -> Self {
        SyncReport {
            role: Role::Standby,
            ..Default::default()
        }
    }

    /// Another instance took the lease mid-pass: what was committed so far stands.
    fn lost_lease(self) -> Self {
        SyncReport {
            role: Role::Standby,
            ..self
        }
    }

    fn count(&mut self, mails: &[MailReport]) {
        for m in mails {
            match &m.result {
                MailResult::Published { .. } => self.published += 1,
                MailResult::Duplicate => self.duplicates += 1,
                MailResult::Skipped { .. } => self.skipped += 1,
                MailResult::Held { .. } => self.held += 1,
                MailResult::Quarantined { .. } => self.quarantined += 1,
            }
        }
    }
}

/// Where a leader's pass starts (see [`Watcher::resume`]).
struct Resumed {
    uidvalidity: u32,
    /// The checkpoint's last UID (0 after a UIDVALIDITY change).
    after_uid: u32,
    resync: bool,
    /// Mails above the checkpoint.
    backlog: u64,
    batches: Vec<Vec<u32>>,
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error("{lease}: storing mail: {source}")]
    Ingest { lease: String, source: IngestError },
    #[error("{lease}: database: {source}")]
    Store { lease: String, source: StoreError },
    /// Shutdown came while connecting (nothing was in hand, so nothing waits for it).
    #[error("stopped while connecting")]
    Stopped,
}

impl WatchError {
    pub fn is_auth(&self) -> bool {
        matches!(self, WatchError::Imap(e) if e.is_auth())
    }
    /// The server closed the connection (BYE, end of stream, reset).
    fn is_closed(&self) -> bool {
        matches!(self, WatchError::Imap(ImapError::Closed { .. }))
    }
    fn is_connection(&self) -> bool {
        matches!(
            self,
            WatchError::Imap(
                ImapError::Closed { .. } | ImapError::Connect { .. } | ImapError::Timeout { .. }
            )
        )
    }
}

/// A logged-in session. Between passes it waits in [`Watcher::conn`]; during a pass the pass
/// owns it, so a pass that fails drops it (the next one reconnects).
struct Conn {
    session: Session,
    caps: Capabilities,
    /// Whether this connection already looked for mail left behind by an interrupted
    /// after-action (see [`Watcher::sweep`]).
    swept: bool,
    /// When the OAuth2 token it logged in with is due for renewal (Unix seconds): the
    /// connection is replaced then.
    renew_at: Option<i64>,
    /// When it was opened (Unix seconds on the injected clock: whether the server ending it
    /// was housekeeping or a fault depends on its age).
    opened_at: i64,
    /// When the server last answered a command on it.
    last_answer: tokio::time::Instant,
}

pub struct Watcher {
    cfg: MailboxConfig,
    folder: String,
    login: Login,
    ingestor: Arc<Ingestor>,
    health: Health,
    settings: WatcherSettings,
    /// `<mailbox name>/<folder>`: lease, checkpoint and health key.
    lease: String,
    account: Account,
    /// The connection kept between passes; `None` before the first and after a failure.
    conn: Option<Conn>,
    leader: bool,
    /// Failures since the last good sync (for the "reconnected" log line).
    failures: u32,
    /// Folders known to exist (after-action targets).
    folders_ready: HashSet<String>,
    /// Poll every `poll_secs` even when the server offers IDLE.
    poll_only: bool,
    /// Checked between batches: a shutdown lets the batch in hand finish.
    stop: CancellationToken,
    /// Carries `mailbox` and `folder`, so every line logged while this watcher works (the
    /// ingestor's per-mail lines too) names them without repeating them.
    span: tracing::Span,
}

impl Watcher {
    pub fn new(
        cfg: MailboxConfig,
        folder: impl Into<String>,
        login: impl Into<Login>,
        ingestor: Arc<Ingestor>,
        health: Health,
        settings: WatcherSettings,
    ) -> Self {
        let folder = folder.into();
        let lease = format!("{}/{}", cfg.name, folder);
        health.update(&lease, |h| h.role = Role::Starting);
        let account = Account::of(&cfg);
        let span = tracing::info_span!("watcher", mailbox = %cfg.name, folder = %folder);
        Watcher {
            cfg,
            folder,
            login: login.into(),
            ingestor,
            health,
            settings,
            lease,
            account,
            conn: None,
            leader: false,
            failures: 0,
            folders_ready: HashSet::new(),
            poll_only: false,
            stop: CancellationToken::new(),
            span,
        }
    }

    /// Poll every `poll_secs` even when the server offers IDLE (for servers whose IDLE
    /// misbehaves, and to test the polling path against a server that has IDLE).
    pub fn poll_only(mut self) -> Self {
        self.poll_only = true;
        self
    }

    /// `<mailbox name>/<folder>`.
    pub fn lease_name(&self) -> &str {
        &self.lease
    }

    fn ingest_err(&self, source: IngestError) -> WatchError {
        WatchError::Ingest {
            lease: self.lease.clone(),
            source,
        }
    }

    fn store_err(&self, source: StoreError) -> WatchError {
        WatchError::Store {
            lease: self.lease.clone(),
            source,
        }
    }

    /// The connection kept from the last pass, or a new one. A connection whose OAuth2 token
    /// is due for renewal is logged out and replaced by one with a fresh token.
    async fn connection(&mut self) -> Result<Conn, WatchError> {
        if let Some(mut conn) = self.conn.take() {
            if !decide::token_due(conn.renew_at, self.settings.clock.now()) {
                return Ok(conn);
            }
            tracing::info!("the OAuth2 token is due for renewal: reconnecting with a fresh one");
            let logout = conn.session.logout();
            let _ = tokio::time::timeout(Duration::from_secs(5), logout).await;
        }
        let stop = self.stop.clone();
        let opened = tokio::select! {
            r = open(&self.cfg, &self.login) => r?,
            _ = stop.cancelled() => return Err(WatchError::Stopped),
        };
        let Opened {
            session,
            caps,
            renew_at,
        } = opened;
        self.log_connected(&caps, renew_at);
        self.health.update(&self.lease, |h| h.connected = true);
        Ok(Conn {
            session,
            caps,
            swept: false,
            renew_at,
            opened_at: self.settings.clock.now(),
            last_answer: tokio::time::Instant::now(),
        })
    }

    /// One line per connection: where, how, what the server is and how it is waited on.
    fn log_connected(&self, caps: &Capabilities, renew_at: Option<i64>) {
        let what = if self.failures > 0 {
            "reconnected to IMAP"
        } else {
            "connected to IMAP"
        };
        let recheck = decide::idle_recheck(self.cfg.idle_recheck_ms, caps.server);
        let recheck_ms = recheck.map_or(0, |d| d.as_millis() as u64);
        let why = match (self.cfg.idle_recheck_ms, recheck) {
            (Some(_), _) => "configured",
            (None, Some(_)) => "the server holds IDLE pushes back",
            (None, None) => "IDLE alone",
        };
        tracing::info!(
            host = %self.cfg.host, port = self.cfg.port(), tls = ?self.cfg.tls,
            auth = self.login.method(), server = caps.server.as_str(), idle = caps.idle,
            r#move = caps.mv, idle_recheck_ms = recheck_ms, idle_recheck = why,
            token_renew_at = renew_at, "{what}"
        );
    }

    /// Take or renew the lease; true when this instance is the leader.
    async fn renew_lease(&mut self) -> Result<bool, WatchError> {
        let ttl = self.settings.lease_secs as i64;
        let held = self
            .ingestor
            .store()
            .acquire_lease(&self.lease, &self.settings.instance, ttl)
            .await
            .map_err(|e| self.store_err(e))?;
        self.set_leader(held);
        Ok(held)
    }

    fn set_leader(&mut self, held: bool) {
        match (self.leader, held) {
            (false, true) => {
                tracing::info!(instance = %self.settings.instance, "holding the lease: leader")
            }
            (true, false) => {
                tracing::warn!(instance = %self.settings.instance, "lost the lease to another instance: standby")
            }
            _ => {}
        }
        if !held && self.health.snapshot().get(&self.lease).map(|h| h.role) == Some(Role::Starting)
        {
            tracing::info!("another instance holds the lease: standby");
        }
        self.leader = held;
        self.health.update(&self.lease, |h| {
            h.role = if held { Role::Leader } else { Role::Standby }
        });
    }

    /// One pass: connect if needed, hold the lease, publish everything above the checkpoint.
    pub async fn run_once(&mut self) -> Result<SyncReport, WatchError> {
        let span = self.span.clone();
        async {
            let (report, conn) = self.sync().await?;
            self.conn = Some(conn);
            Ok(report)
        }
        .instrument(span)
        .await
    }

    /// One pass, handing back the connection it used (dropped on failure). A connection the
    /// server closed after it served a while (a standby's or a poller's, between passes) is
    /// the server's housekeeping: the pass is made once more on a new one, counting no failure.
    async fn sync(&mut self) -> Result<(SyncReport, Conn), WatchError> {
        // Groups may have been added since the last pass.
        let reloaded = self.ingestor.reload_groups().await;
        reloaded.map_err(|e| self.ingest_err(e))?;
        let mut conn = self.connection().await?;
        match self.sync_on(&mut conn).await {
            Ok(report) => Ok((report, conn)),
            Err(e) if e.is_closed() && self.aged(&conn) => {
                tracing::info!(error = %e, "the server had ended the connection; reconnecting");
                let mut conn = self.connection().await?;
                let report = self.sync_on(&mut conn).await?;
                Ok((report, conn))
            }
            Err(e) => Err(e),
        }
    }

    /// Open long enough for the server ending it to be housekeeping, not a fault.
    fn aged(&self, conn: &Conn) -> bool {
        decide::ended_by_housekeeping(conn.opened_at, self.settings.clock.now())
    }

    /// A leader's pass reads top-down: resume from the checkpoint, then per batch fetch, commit
    /// (with the checkpoint) and apply the after-actions, then report.
    async fn sync_on(&mut self, conn: &mut Conn) -> Result<SyncReport, WatchError> {
        if !self.renew_lease().await? {
            return self.stand_by(conn).await;
        }
        let Some(start) = self.resume(conn).await? else {
            return Ok(SyncReport::standby());
        };
        let mut report = SyncReport {
            role: Role::Leader,
            uidvalidity: Some(start.uidvalidity),
            resynced: start.resync,
            last_uid: start.after_uid,
            ..Default::default()
        };
        let mut backlog = start.backlog;
        for (i, uids) in start.batches.iter().enumerate() {
            if self.stop.is_cancelled() {
                tracing::info!(backlog, "stopping between batches");
                break;
            }
            // Renew before every batch after the first: a long catch-up outlasts the lease.
            if i > 0 && !self.renew_lease().await? {
                return Ok(report.lost_lease());
            }
            let Some(&last) = uids.last() else { continue };
            let raws = self.fetch_batch(conn, uids).await?;
            report.fetched += raws.len();
            let metrics = self.health.metrics();
            metrics.fetched(&self.cfg.name, &self.folder, raws.len());
            let cp = self.checkpoint(start.uidvalidity, last);
            let Some(mails) = self.commit(raws, &cp).await? else {
                return Ok(report.lost_lease());
            };
            report.last_uid = last;
            report.count(&mails);
            let metrics = self.health.metrics();
            metrics.mails(&self.cfg.name, &self.folder, &mails);
            backlog = backlog.saturating_sub(uids.len() as u64);
            self.health.update(&self.lease, |h| {
                h.backlog = backlog;
                h.processed += mails.len() as u64;
            });
            // The batch is committed: a failed after-action leaves mail in place, never
            // unpublished or published twice.
            let results = mails
                .iter()
                .filter_map(|m| Some((decide::uid_of_source(&m.source)?, &m.result)));
            let plan = decide::after_plan(self.cfg.after, results);
            self.after_actions(conn, plan).await?;
        }
        Ok(self.finish(conn, report, backlog))
    }

    /// A standby keeps its session alive (and its health honest) with a NOOP, so a takeover
    /// needs no login and the server does not drop an idle connection.
    async fn stand_by(&self, conn: &mut Conn) -> Result<SyncReport, WatchError> {
        if conn.last_answer.elapsed() >= decide::standby_keepalive(self.cfg.idle_secs) {
            let noop = conn.session.noop();
            step(&self.account, "keeping the session alive", noop).await?;
            conn.last_answer = tokio::time::Instant::now();
        }
        Ok(SyncReport::standby())
    }

    /// Select the folder, find where the checkpoint left off, finish after-actions an earlier
    /// connection left undone, and list the mail above the checkpoint in batches. `None` when
    /// the lease was lost meanwhile.
    async fn resume(&mut self, conn: &mut Conn) -> Result<Option<Resumed>, WatchError> {
        let what = format!("selecting {:?}", self.folder);
        let mbox = step(&self.account, &what, conn.session.select(&self.folder)).await?;
        let Some(uidvalidity) = mbox.uid_validity else {
            return Err(self.no_uidvalidity(conn, &what).await);
        };
        let stored = self.ingestor.store().checkpoint(&self.lease).await;
        let stored = stored.map_err(|e| self.store_err(e))?;
        let resume = decide::resume(stored.as_ref(), uidvalidity);
        if resume.resync {
            tracing::warn!(
                old = stored.as_ref().map(|c| c.uidvalidity), new = uidvalidity,
                "UIDVALIDITY changed: reading the folder again from the start (already published mail is recognised by Message-ID)"
            );
        }
        if !conn.swept && !resume.resync && mbox.exists > 0 {
            self.sweep(conn, resume.after_uid).await?;
        }
        let pending = if decide::may_have_new(resume.after_uid, mbox.exists, mbox.uid_next) {
            let query = conn
                .session
                .uid_search(format!("UID {}:*", resume.after_uid + 1));
            let found = step(&self.account, "searching new mail", query).await?;
            decide::pending_uids(found, resume.after_uid)
        } else {
            Vec::new()
        };
        let backlog = pending.len() as u64;
        self.health.update(&self.lease, |h| h.backlog = backlog);
        if !pending.is_empty() {
            tracing::info!(backlog, after_uid = resume.after_uid, "catching up");
        } else if resume.resync {
            // Nothing to read, but remember the new UIDVALIDITY so the next pass does not resync.
            let cp = self.checkpoint(uidvalidity, 0);
            if self.commit(Vec::new(), &cp).await?.is_none() {
                return Ok(None);
            }
        }
        Ok(Some(Resumed {
            uidvalidity,
            after_uid: resume.after_uid,
            resync: resume.resync,
            backlog,
            batches: self.batches(conn, &pending).await?,
        }))
    }

    /// A SELECT answered without UIDVALIDITY. async-imap answers so when the connection ended
    /// mid-SELECT too: a NOOP tells a closed connection from a server that gave none.
    async fn no_uidvalidity(&self, conn: &mut Conn, what: &str) -> WatchError {
        if let Err(e) = step(&self.account, what, conn.session.noop()).await {
            return e.into();
        }
        WatchError::Imap(ImapError::Protocol {
            account: self.account.clone(),
            message: format!("folder {:?} has no UIDVALIDITY", self.folder),
        })
    }

    /// Sizes first, so a batch of large mails stays within MAX_BATCH_BYTES.
    async fn batches(&self, conn: &mut Conn, pending: &[u32]) -> Result<Vec<Vec<u32>>, ImapError> {
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let sized = commands::fetch_sizes(&mut conn.session, &self.account, pending).await?;
        let max_count = self.cfg.batch_size as usize;
        Ok(decide::batches(&sized, max_count, decide::MAX_BATCH_BYTES))
    }

    /// End of a leader's pass: only a shutdown leaves a backlog (mail expunged before its size
    /// was read never made it into a batch); log the counts and mark the folder synced.
    fn finish(&self, conn: &mut Conn, mut report: SyncReport, backlog: u64) -> SyncReport {
        report.backlog = if self.stop.is_cancelled() { backlog } else { 0 };
        self.health
            .update(&self.lease, |h| h.backlog = report.backlog);
        if report.fetched > 0 {
            tracing::info!(
                fetched = report.fetched,
                published = report.published,
                duplicates = report.duplicates,
                skipped = report.skipped,
                quarantined = report.quarantined,
                last_uid = report.last_uid,
                backlog = report.backlog,
                "{}",
                if report.backlog > 0 {
                    "sync interrupted by shutdown"
                } else {
                    "caught up"
                }
            );
        }
        // Untagged responses nobody asked for (EXISTS, flag changes): IDLE will tell anew.
        while conn.session.unsolicited_responses.try_recv().is_ok() {}
        let now = self.settings.clock.now();
        self.health.update(&self.lease, |h| {
            h.last_sync = Some(now);
            h.last_error = None;
            h.connected = true;
        });
        report
    }

    fn checkpoint(&self, uidvalidity: u32, last_uid: u32) -> Checkpoint {
        Checkpoint {
            mailbox: self.lease.clone(),
            uidvalidity,
            last_uid,
            lease_holder: Some(self.settings.instance.clone()),
        }
    }

    /// Ingest with the checkpoint in one transaction; `None` when the lease was lost (nothing
    /// committed).
    async fn commit(
        &mut self,
        raws: Vec<RawMail>,
        cp: &Checkpoint,
    ) -> Result<Option<Vec<MailReport>>, WatchError> {
        let now = self.settings.clock.now();
        match self.ingestor.ingest(raws, Some(cp), now).await {
            Ok(reports) => Ok(Some(reports)),
            Err(IngestError::Store(StoreError::LeaseLost { .. })) => {
                tracing::warn!(
                    "lease lost during the batch: not committed, another instance takes over"
                );
                self.set_leader(false);
                Ok(None)
            }
            Err(e) => Err(self.ingest_err(e)),
        }
    }

    /// One batch (UID order) as raw mail for the pipeline, each named by its source. Mail
    /// expunged meanwhile is named in the log and passed over.
    async fn fetch_batch(&self, conn: &mut Conn, uids: &[u32]) -> Result<Vec<RawMail>, ImapError> {
        let mails = commands::fetch_bodies(&mut conn.session, &self.account, uids).await?;
        if mails.len() < uids.len() {
            let got: HashSet<u32> = mails.iter().map(|(u, _)| *u).collect();
            tracing::info!(uids = ?decide::missing(uids, &got), "mails expunged before they could be fetched");
        }
        let raws = mails.into_iter().map(|(uid, bytes)| RawMail {
            bytes,
            source: decide::source(&self.cfg.name, &self.folder, uid),
            force_groups: Vec::new(),
        });
        Ok(raws.collect())
    }

    /// Once per connection: mail at or below the checkpoint that still lacks its after-action
    /// (the connection dropped between commit and MOVE/STORE) gets it now. Such mail is never
    /// published again; this only tidies the mailbox.
    async fn sweep(&mut self, conn: &mut Conn, last_uid: u32) -> Result<(), ImapError> {
        conn.swept = true;
        let query = match self.cfg.after {
            AfterAction::Keep => return Ok(()),
            _ if last_uid == 0 => return Ok(()),
            AfterAction::Flag => format!("UID 1:{last_uid} UNKEYWORD {}", self.cfg.flag_keyword),
            AfterAction::Move => format!("UID 1:{last_uid}"),
        };
        let found = commands::search(
            &mut conn.session,
            &self.account,
            "looking for mail left behind",
            query,
        )
        .await?;
        let left: Vec<u32> = found.into_iter().filter(|&u| u <= last_uid).collect();
        if left.is_empty() {
            return Ok(());
        }
        tracing::info!(uids = ?left, after = ?self.cfg.after, "applying an after-action an earlier connection did not finish");
        let plan = match self.cfg.after {
            AfterAction::Flag => AfterPlan {
                flag: left,
                ..Default::default()
            },
            _ => AfterPlan {
                move_to: left,
                ..Default::default()
            },
        };
        self.after_actions(conn, plan).await
    }

    async fn after_actions(&mut self, conn: &mut Conn, plan: AfterPlan) -> Result<(), ImapError> {
        if !plan.flag.is_empty() {
            let (session, keyword) = (&mut conn.session, &self.cfg.flag_keyword);
            commands::add_flags(session, &self.account, &plan.flag, keyword).await?;
        }
        if !plan.quarantine.is_empty() {
            let folder = self.cfg.quarantine_folder.clone();
            tracing::warn!(uids = ?plan.quarantine, to = %folder, "moving unparseable mail to the quarantine folder");
            self.move_uids(conn, &plan.quarantine, &folder).await?;
        }
        if !plan.move_to.is_empty() {
            let folder = self.cfg.move_to.clone().unwrap_or_default();
            self.move_uids(conn, &plan.move_to, &folder).await?;
        }
        Ok(())
    }

    /// Move, creating the target folder on first use.
    async fn move_uids(
        &mut self,
        conn: &mut Conn,
        uids: &[u32],
        folder: &str,
    ) -> Result<(), ImapError> {
        if !self.folders_ready.contains(folder) {
            if commands::create_folder(&mut conn.session, &self.account, folder).await? {
                tracing::info!(created = %folder, "created folder");
            }
            self.folders_ready.insert(folder.to_string());
        }
        if !commands::move_uids(&mut conn.session, &self.account, conn.caps, uids, folder).await? {
            tracing::warn!("server has neither MOVE nor UIDPLUS: moved mail stays marked \\Deleted until the next expunge");
        }
        Ok(())
    }

    /// Watch until `shutdown`: sync, wait for mail, sync again; on failure back off and reconnect.
    pub async fn run(self, shutdown: CancellationToken) {
        let span = self.span.clone();
        self.watch(shutdown).instrument(span).await
    }

    async fn watch(mut self, shutdown: CancellationToken) {
        self.stop = shutdown.clone();
        let mut backoff = Backoff::default();
        let mut rng: StdRng = rand::make_rng();
        tracing::info!(instance = %self.settings.instance, "watching");
        while !shutdown.is_cancelled() {
            let result = match self.sync().await {
                Ok((report, conn)) => {
                    if self.failures > 0 {
                        tracing::info!(after_failures = self.failures, "recovered");
                    }
                    self.failures = 0;
                    backoff.reset();
                    if shutdown.is_cancelled() {
                        self.conn = Some(conn);
                        break;
                    }
                    self.wait_for_mail(conn, report.role, &shutdown).await
                }
                Err(e) => Err(e),
            };
            let e = match result {
                Ok(()) => continue,
                Err(WatchError::Stopped) => break,
                Err(e) => e,
            };
            self.failures += 1;
            let metrics = self.health.metrics();
            metrics.reconnect(&self.cfg.name);
            if e.is_auth() {
                metrics.auth_failure(&self.cfg.name);
            }
            // Whatever failed, start the next pass on a fresh connection.
            self.conn = None;
            let delay = if e.is_auth() {
                backoff.auth_delay()
            } else {
                backoff.next_delay(&mut rng)
            };
            let message = e.to_string();
            let what = if e.is_auth() {
                "login refused (fix the credentials or user; retrying slowly)"
            } else if e.is_connection() {
                "IMAP connection lost"
            } else {
                "sync failed"
            };
            tracing::warn!(error = %message, retry_in_secs = delay.as_secs_f64(), attempt = self.failures, "{what}; reconnecting after a pause");
            self.health.update(&self.lease, |h| {
                h.connected = false;
                h.last_error = Some(message);
            });
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.cancelled() => {}
            }
        }
        self.close().await;
    }

    /// Give the lease up so a standby takes over at once, and log out.
    async fn close(&mut self) {
        if self.leader {
            if let Err(e) = self
                .ingestor
                .store()
                .release_lease(&self.lease, &self.settings.instance)
                .await
            {
                tracing::warn!(error = %e, "could not release the lease (it expires by itself)");
            }
            self.leader = false;
        }
        if let Some(mut c) = self.conn.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), c.session.logout()).await;
        }
        self.health.update(&self.lease, |h| h.connected = false);
        tracing::info!("watcher stopped");
    }
}
