//! `outloud run` as a library: one IMAP watcher per configured mailbox folder plus the web view,
//! until a shutdown future resolves. The command line only adds signals; tests and embedders
//! call [`run`] (or [`Daemon::build`], to learn the port bound for `web.bind` port 0) directly.
//!
//! Lifecycle: [`Daemon::build`] checks the credentials (passwords; for OAuth2 every secret, key
//! and file a token request needs), opens the database and binds the web view
//! (every configuration error surfaces before anything runs); [`Daemon::run_until_stopped`]
//! serves until `shutdown` resolves or the web view fails, then lets every watcher finish the
//! batch in hand, release its lease and log out (at most [`DRAIN_TIMEOUT`]), and stops the web
//! view last so `/healthz` answers throughout the drain.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::{mask_url, Config, MailboxConfig};
use crate::core::classify::OwnIdentity;
use crate::core::compose::Sender;
use crate::core::pipeline::Options;
use crate::health::Health;
use crate::imap::{Login, Watcher, WatcherSettings};
use crate::ingest::{IngestError, IngestSettings, Ingestor};
use crate::oauth::OAuthError;
use crate::outbox::{OutboxSender, SenderSettings};
use crate::smtp::SmtpSettings;
use crate::store::{Store, StoreError};
use crate::web::{Application, WebError};

/// How long a shutdown waits for the watchers; a stuck one is abandoned (its uncommitted batch
/// is read again on the next start, so nothing is lost).
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);

/// Why the daemon could not start, or stopped with an error. The messages leave the cause to
/// the error chain (`{:#}` prints it after a colon).
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("mailbox {mailbox}: no password ({origin}): {reason}")]
    NoPassword {
        mailbox: String,
        /// Where the password should have come from, e.g. `password_env = "VAR"`.
        origin: String,
        reason: String,
    },
    #[error("mailbox {mailbox}: OAuth2 ({origin})")]
    OAuth2 {
        mailbox: String,
        /// Where tokens come from, e.g. `microsoft tenant T, client C (client secret)`.
        origin: String,
        source: Box<OAuthError>,
    },
    #[error("web.admin_token_env: environment variable {var} is not set")]
    NoAdminToken { var: String },
    #[error("web.oidc_client_secret_env: environment variable {var} is not set")]
    NoOidcSecret { var: String },
    #[error("cannot create {}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("opening database {url}")]
    Open { url: String, source: StoreError },
    #[error("migrating database {url}")]
    Migrate { url: String, source: StoreError },
    #[error("creating group {slug} from {origin}")]
    Group {
        slug: String,
        origin: String,
        source: StoreError,
    },
    #[error("starting the web view on {bind} (web.bind)")]
    WebBind { bind: String, source: WebError },
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("serving the web view")]
    WebServe(#[source] WebError),
    #[error("web view task failed: {0}")]
    WebTask(JoinError),
    #[error("[smtp]")]
    Smtp(#[source] crate::smtp::SmtpError),
    #[error("key `{key}`: {message}")]
    Sender { key: &'static str, message: String },
    #[error("{origin}: key `digest.audiences`: {message}")]
    UnknownAudienceGroup { origin: String, message: String },
}

/// Run the daemon until `shutdown` resolves: [`Daemon::build`], then
/// [`Daemon::run_until_stopped`].
pub async fn run(cfg: &Config, shutdown: impl Future) -> Result<(), DaemonError> {
    let daemon = Daemon::build(cfg, Clock::system()).await?;
    daemon.run_until_stopped(shutdown).await
}

/// A daemon whose database is open and whose web view is bound, not yet serving.
pub struct Daemon {
    app: Application,
    watchers: Vec<Watcher>,
    /// The outbox's sender worker, when `[smtp]` is set.
    sender: Option<OutboxSender>,
    /// The digest worker, when `[digest] enabled`.
    digests: Option<crate::digest::worker::DigestWorker>,
    /// Publishes posts whose undo window ended; purges expired raw mail of retractions.
    policy: crate::moderation::worker::PolicyWorker,
    /// This instance's name in leases and logs.
    instance: String,
}

impl Daemon {
    /// Everything `run` needs, checked and bound; `clock` dates what the watchers store and
    /// report.
    pub async fn build(cfg: &Config, clock: Clock) -> Result<Daemon, DaemonError> {
        // Credentials first: a missing one is a configuration error, not a reason to start half.
        let logins = logins(cfg, &clock)?;
        let smtp = smtp_settings(cfg, &clock)?;
        let detail = health_detail(cfg)?;
        let store = open_store(cfg).await?;
        check_audience_groups(cfg, store.as_ref()).await?;
        let health = Health::new().with_clock(clock.clone());
        let bind = &cfg.web.bind;
        let app = Application::build_with_health(bind, store.clone(), health.clone())
            .await
            .map_err(|source| DaemonError::WebBind {
                bind: bind.clone(),
                source,
            })?
            .with_limits(crate::web::Limits {
                max_connections: cfg.web.max_connections,
                header_timeout: std::time::Duration::from_secs(cfg.web.header_timeout_secs),
            })
            .with_health_detail(detail);
        let auth = auth_settings(cfg, &clock, app.port())?;
        let app = app.with_auth(auth);
        tracing::info!(address = %bind, port = app.port(), "outloud is serving");
        let settings = WatcherSettings {
            instance: cfg.daemon.instance.clone().unwrap_or_else(default_instance),
            lease_secs: cfg.daemon.lease_secs,
            clock,
        };
        let sender = smtp.map(|smtp| outbox_sender(cfg, smtp, store.clone(), &settings));
        let digests = digest_worker(cfg, store.clone(), &settings)?;
        let policy = crate::moderation::worker::PolicyWorker::new(
            Arc::new(Ingestor::new(store.clone(), ingest_settings(cfg)).await?),
            settings.clock.clone(),
            POLICY_POLL,
        );
        let watchers = watchers(cfg, logins, store, &health, &settings).await?;
        Ok(Daemon {
            app,
            watchers,
            sender,
            digests,
            policy,
            instance: settings.instance,
        })
    }

    /// The port the web view is bound to (the real one when `web.bind` asked for port 0).
    pub fn port(&self) -> u16 {
        self.app.port()
    }

    /// Serve and watch until `shutdown` resolves or the web view fails (which stops the watchers
    /// too), then drain: watchers finish their batch, release their leases and log out; the
    /// web view stops last.
    pub async fn run_until_stopped(self, shutdown: impl Future) -> Result<(), DaemonError> {
        let stop = CancellationToken::new();
        let web_stop = CancellationToken::new();
        let mut web = tokio::spawn(self.app.run_until_stopped(web_stop.clone()));
        let mut watchers = spawn_watchers(self.watchers, &self.instance, &stop);
        // The sender drains with the watchers: it finishes the transaction in hand.
        if let Some(sender) = self.sender {
            watchers.spawn(sender.run(stop.clone()));
        }
        if let Some(digests) = self.digests {
            watchers.spawn(digests.run(stop.clone()));
        }
        watchers.spawn(self.policy.run(stop.clone()));
        let web_ended = tokio::select! {
            _ = shutdown => None,
            r = &mut web => {
                tracing::error!("the web view stopped unexpectedly: stopping the watchers");
                Some(r)
            }
        };
        stop.cancel();
        drain(&mut watchers).await;
        web_stop.cancel();
        let web_result = match web_ended {
            Some(r) => r,
            None => web.await,
        };
        web_result
            .map_err(DaemonError::WebTask)?
            .map_err(DaemonError::WebServe)?;
        tracing::info!("outloud stopped");
        Ok(())
    }
}

/// How often the policy worker looks for ended undo windows and expired raw mail: a post goes
/// live at most this long after its window.
const POLICY_POLL: Duration = Duration::from_secs(30);

/// The digest worker, when `[digest] enabled` (its mail waits in the outbox without `[smtp]`).
fn digest_worker(
    cfg: &Config,
    store: Arc<dyn Store>,
    settings: &WatcherSettings,
) -> Result<Option<crate::digest::worker::DigestWorker>, DaemonError> {
    if !cfg.digest.enabled {
        return Ok(None);
    }
    let s = crate::digest::worker::settings(cfg)
        .map_err(|(key, message)| DaemonError::Sender { key, message })?;
    let poll = std::time::Duration::from_secs(cfg.digest.poll_secs.max(1));
    let clock = settings.clock.clone();
    Ok(Some(crate::digest::worker::DigestWorker::new(
        store, s, clock, poll,
    )))
}

/// What the sender needs from `[smtp]`, when it names a server: who outloud sends as, and the
/// password or every secret of `[smtp.oauth2]`'s token source and the CA file, read now.
fn smtp_settings(
    cfg: &Config,
    clock: &Clock,
) -> Result<Option<(Sender, SmtpSettings)>, DaemonError> {
    if !cfg.smtp.enabled() {
        tracing::info!("[smtp] host is not set: no mail is sent (queued mail waits)");
        return Ok(None);
    }
    let sender = cfg
        .smtp
        .sender(&cfg.identity)
        .map_err(|(key, message)| DaemonError::Sender { key, message })?;
    let smtp = SmtpSettings::from_config(&cfg.smtp, clock).map_err(DaemonError::Smtp)?;
    Ok(Some((sender, smtp)))
}

/// The sender worker.
fn outbox_sender(
    cfg: &Config,
    (sender, smtp): (Sender, SmtpSettings),
    store: Arc<dyn Store>,
    settings: &WatcherSettings,
) -> OutboxSender {
    let s = SenderSettings {
        instance: settings.instance.clone(),
        sender,
        smtp,
        rate_per_minute: cfg.smtp.rate_per_minute,
        retry_secs: i64::try_from(cfg.smtp.retry_hours.saturating_mul(3600)).unwrap_or(i64::MAX),
        poll: Duration::from_secs(cfg.smtp.poll_secs),
        clock: settings.clock.clone(),
    };
    OutboxSender::new(store, s)
}

/// One watcher per folder of every mailbox, sharing one ingestor (none without mailboxes).
async fn watchers(
    cfg: &Config,
    logins: Vec<Login>,
    store: Arc<dyn Store>,
    health: &Health,
    settings: &WatcherSettings,
) -> Result<Vec<Watcher>, DaemonError> {
    let mut watchers = Vec::new();
    if cfg.mailboxes.is_empty() {
        return Ok(watchers);
    }
    let replies = crate::digest::replies::ReplySettings {
        max_age_secs: cfg.digest.reply_token_days * 86_400,
        sender: cfg.smtp.sender(&cfg.identity).ok(),
    };
    let ingestor = Arc::new(
        Ingestor::new(store, ingest_settings(cfg))
            .await?
            .with_digest_replies(replies)
            .with_notices(undo_notices(cfg)),
    );
    for (m, login) in cfg.mailboxes.iter().zip(logins) {
        for folder in &m.folders {
            let (ingestor, health) = (ingestor.clone(), health.clone());
            let w = Watcher::new(
                m.clone(),
                folder,
                login.clone(),
                ingestor,
                health,
                settings.clone(),
            );
            watchers.push(w);
        }
    }
    Ok(watchers)
}

fn spawn_watchers(watchers: Vec<Watcher>, instance: &str, stop: &CancellationToken) -> JoinSet<()> {
    let mut set = JoinSet::new();
    if watchers.is_empty() {
        tracing::info!("no mailboxes configured: serving the web view only");
        return set;
    }
    for w in watchers {
        set.spawn(w.run(stop.clone()));
    }
    tracing::info!(instance = %instance, watchers = set.len(), "IMAP watchers started");
    set
}

/// Wait for the watchers to finish the batch in hand; abandon any still running after
/// [`DRAIN_TIMEOUT`].
async fn drain(watchers: &mut JoinSet<()>) {
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while let Some(r) = watchers.join_next().await {
            if let Err(e) = r {
                tracing::error!(error = %e, "a watcher task failed");
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            left = watchers.len(),
            "watchers did not stop within {} s; leaving them",
            DRAIN_TIMEOUT.as_secs()
        );
        watchers.abort_all();
    }
}

/// How the web view signs people in, from `[web]` (and `[smtp]`/`[identity]` for the sign-in
/// mail's sender).
fn auth_settings(
    cfg: &Config,
    clock: &Clock,
    port: u16,
) -> Result<crate::web::AuthSettings, DaemonError> {
    let web = &cfg.web;
    // Default: the bound address, with the real port when web.bind asked for port 0.
    let base_url = web.base_url.clone().unwrap_or_else(|| {
        let host = web.bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h);
        let host = if host == "0.0.0.0" || host == "[::]" {
            "127.0.0.1"
        } else {
            host
        };
        format!("http://{host}:{port}")
    });
    let base_url = url::Url::parse(&base_url).map_err(|e| DaemonError::Sender {
        key: "web.base_url",
        message: format!("{base_url:?}: {e}"),
    })?;
    let sender = cfg
        .smtp
        .sender(&cfg.identity)
        .map_err(|(key, message)| DaemonError::Sender { key, message })?;
    let oidc = match (&web.oidc_issuer, &web.oidc_client_id) {
        (Some(issuer), Some(client_id)) => {
            let secret = match &web.oidc_client_secret_env {
                Some(var) => Some(
                    std::env::var(var)
                        .map(crate::config::Secret)
                        .map_err(|_| DaemonError::NoOidcSecret { var: var.clone() })?,
                ),
                None => None,
            };
            Some(crate::web::OidcSettings::new(
                issuer.clone(),
                client_id.clone(),
                secret,
                web.oidc_ca_file.clone(),
                web.oidc_name.clone(),
            ))
        }
        _ => None,
    };
    Ok(crate::web::AuthSettings {
        public: web.public,
        base_url,
        admins: web.admins.iter().map(|a| a.trim().to_lowercase()).collect(),
        allowed_domains: web.allowed_domains.clone(),
        session_secs: web.session_days as i64 * 86_400,
        sender,
        oidc,
        clock: clock.clone(),
        ingest: ingest_settings(cfg),
        declared_groups: cfg.groups.iter().map(|g| g.slug.to_string()).collect(),
        retracted_raw_days: cfg.policy.retracted_raw_days,
    })
}

/// Who tells authors their post waits out an undo window, with the web page to cancel it on
/// when the web view's address is configured.
fn undo_notices(cfg: &Config) -> Option<crate::moderation::undo_window::Notices> {
    let sender = cfg.smtp.sender(&cfg.identity).ok()?;
    let pending_url =
        (cfg.web.base_url.as_deref()).map(|u| format!("{}/pending", u.trim_end_matches('/')));
    Some(crate::moderation::undo_window::Notices {
        sender,
        pending_url,
    })
}

/// Who sees the `/healthz` detail: `[web] health_detail`, and the admin token if one is named.
fn health_detail(cfg: &Config) -> Result<crate::web::HealthDetail, DaemonError> {
    let admin_token = match &cfg.web.admin_token_env {
        Some(var) => Some(
            std::env::var(var)
                .map(crate::config::Secret)
                .map_err(|_| DaemonError::NoAdminToken { var: var.clone() })?,
        ),
        None => None,
    };
    Ok(crate::web::HealthDetail {
        public: cfg.web.health_detail,
        admin_token,
    })
}

/// How every mailbox logs in, in `cfg.mailboxes` order: its password, or its token source
/// (one per mailbox, shared by its folders' watchers) with every secret it needs readable.
fn logins(cfg: &Config, clock: &Clock) -> Result<Vec<Login>, DaemonError> {
    let login = |m: &MailboxConfig| -> Result<Login, DaemonError> {
        let Some(login) = Login::oauth2(m, clock) else {
            return password(m).map(Login::Password);
        };
        if let Login::OAuth2(o) = &login {
            o.source.check().map_err(|source| DaemonError::OAuth2 {
                mailbox: m.name.clone(),
                origin: o.source.describe(),
                source: Box::new(source),
            })?;
        }
        Ok(login)
    };
    cfg.mailboxes.iter().map(login).collect()
}

fn password(m: &MailboxConfig) -> Result<crate::config::Secret, DaemonError> {
    m.password().map_err(|reason| DaemonError::NoPassword {
        mailbox: m.name.clone(),
        origin: m.password_source(),
        reason,
    })
}

/// Open and migrate the database; create the groups the config declares. Every command starts
/// this way.
pub async fn open_store(cfg: &Config) -> Result<Arc<dyn Store>, DaemonError> {
    let store = open_unapplied(cfg).await?;
    for g in &cfg.groups {
        let name = g.name.clone().unwrap_or_else(|| g.slug.to_string());
        let upserted = store.upsert_group(&g.slug, &name, &g.addresses).await;
        upserted.map_err(|source| DaemonError::Group {
            slug: g.slug.to_string(),
            origin: cfg.origin.clone(),
            source,
        })?;
    }
    let audiences: Vec<_> = (cfg.digest.audiences.iter())
        .map(|a| (a.group.clone(), a.pattern.clone()))
        .collect();
    let now = chrono::Utc::now().timestamp();
    (store.sync_config_audiences(&audiences, now).await).map_err(|source| DaemonError::Group {
        slug: "digest.audiences".into(),
        origin: cfg.origin.clone(),
        source,
    })?;
    Ok(store)
}

/// `[digest] audiences` name groups that exist (after the file's `[[groups]]` were applied):
/// an audience of a mistyped group would otherwise get no digest, silently. Checked by `run`
/// and the digest commands, not by every command, so that `outloud group add` can still make
/// the group an audience names.
pub async fn check_audience_groups(cfg: &Config, store: &dyn Store) -> Result<(), DaemonError> {
    if cfg.digest.audiences.is_empty() {
        return Ok(());
    }
    let groups = store.groups().await.map_err(|source| DaemonError::Open {
        url: mask_url(&cfg.database.url),
        source,
    })?;
    let known = |slug: &str| groups.iter().any(|g| g.slug == slug);
    match cfg.digest.unknown_groups(known).into_iter().next() {
        None => Ok(()),
        Some((entry, slug)) => Err(DaemonError::UnknownAudienceGroup {
            origin: cfg.origin_of("digest.audiences").to_string(),
            message: crate::preflight::unknown_group_message(&entry, &slug),
        }),
    }
}

/// The store opened and migrated, the file's `[[groups]]` not applied (`outloud apply
/// --dry-run` compares them first).
pub async fn open_unapplied(cfg: &Config) -> Result<Arc<dyn Store>, DaemonError> {
    if let Some(path) = cfg.database.url.strip_prefix("sqlite:") {
        let path = path.trim_start_matches("//");
        let parent = Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty());
        if let Some(parent) = parent.filter(|_| path != ":memory:") {
            std::fs::create_dir_all(parent).map_err(|source| DaemonError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
    }
    let url = mask_url(&cfg.database.url);
    let store = crate::store::open(&cfg.database.url)
        .await
        .map_err(|source| DaemonError::Open {
            url: url.clone(),
            source,
        })?;
    store
        .migrate()
        .await
        .map_err(|source| DaemonError::Migrate { url, source })?;
    Ok(store)
}

/// The pipeline settings the configuration asks for (the daemon, import, reprocess and check
/// all use them).
pub fn ingest_settings(cfg: &Config) -> IngestSettings {
    IngestSettings {
        pipeline: Options {
            own: own_identity(cfg),
            force_groups: Vec::new(),
            from_web: false,
            policy: cfg.policy(),
        },
        subject_window_secs: cfg.threading.subject_window_days * 86_400,
        log_each_mail: true,
    }
}

/// What outloud's own mail looks like: `[identity]` addresses, the `[smtp]` From address and
/// return path (also when sending is off, so mail sent earlier is still recognised).
fn own_identity(cfg: &Config) -> OwnIdentity {
    let mut addresses: Vec<String> = (cfg.identity.addresses.iter())
        .map(|a| a.to_ascii_lowercase())
        .collect();
    let sender = cfg.smtp.sender(&cfg.identity).ok();
    if let Some(s) = &sender {
        if !addresses.contains(&s.from) {
            addresses.push(s.from.clone());
        }
    }
    OwnIdentity {
        addresses,
        loop_marker: cfg.identity.loop_marker.clone(),
        bounce_address: sender.map(|s| s.bounce_address),
    }
}

/// `<hostname>-<pid>`: unique per process, readable in lease tables.
fn default_instance() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "outloud".into());
    format!("{host}-{}", std::process::id())
}
