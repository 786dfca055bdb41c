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
use crate::core::pipeline::Options;
use crate::health::Health;
use crate::imap::{Login, Watcher, WatcherSettings};
use crate::ingest::{IngestError, IngestSettings, Ingestor};
use crate::oauth::OAuthError;
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
    /// This instance's name in leases and logs.
    instance: String,
}

impl Daemon {
    /// Everything `run` needs, checked and bound; `clock` dates what the watchers store and
    /// report.
    pub async fn build(cfg: &Config, clock: Clock) -> Result<Daemon, DaemonError> {
        // Credentials first: a missing one is a configuration error, not a reason to start half.
        let logins = logins(cfg, &clock)?;
        let store = open_store(cfg).await?;
        let health = Health::new();
        let bind = &cfg.web.bind;
        let app = Application::build_with_health(bind, store.clone(), health.clone())
            .await
            .map_err(|source| DaemonError::WebBind {
                bind: bind.clone(),
                source,
            })?;
        tracing::info!(address = %bind, port = app.port(), "outloud is serving");
        let settings = WatcherSettings {
            instance: cfg.daemon.instance.clone().unwrap_or_else(default_instance),
            lease_secs: cfg.daemon.lease_secs,
            clock,
        };
        let watchers = watchers(cfg, logins, store, &health, &settings).await?;
        Ok(Daemon {
            app,
            watchers,
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
    let ingestor = Arc::new(Ingestor::new(store, ingest_settings(cfg)).await?);
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
    for g in &cfg.groups {
        let name = g.name.clone().unwrap_or_else(|| g.slug.to_string());
        let upserted = store.upsert_group(&g.slug, &name, &g.addresses).await;
        upserted.map_err(|source| DaemonError::Group {
            slug: g.slug.to_string(),
            origin: cfg.origin.clone(),
            source,
        })?;
    }
    Ok(store)
}

/// The pipeline settings the configuration asks for (the daemon, import, reprocess and check
/// all use them).
pub fn ingest_settings(cfg: &Config) -> IngestSettings {
    IngestSettings {
        pipeline: Options {
            own: OwnIdentity {
                addresses: cfg
                    .identity
                    .addresses
                    .iter()
                    .map(|a| a.to_ascii_lowercase())
                    .collect(),
                loop_marker: cfg.identity.loop_marker.clone(),
            },
            force_groups: Vec::new(),
        },
        subject_window_secs: cfg.threading.subject_window_days * 86_400,
        log_each_mail: true,
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
