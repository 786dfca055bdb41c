//! Configuration: defaults → TOML file (`--config FILE` or `OUTLOUD_CONFIG`) → environment.
//! Every key is declared once ([`keys`]); its environment variable is derived from its name
//! (`OUTLOUD_<SECTION>_<KEY>`, `OUTLOUD_MAILBOX_<NAME>_<KEY>`, `OUTLOUD_GROUP_<SLUG>_<KEY>`).
//! Every error names the key and where its value came from, and loading reports every
//! problem, not just the first. Secrets never live in the file: they come from the
//! environment or from a file path.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use crate::model::{GroupAddress, Slug};

mod digest;
pub mod keys;
pub mod oauth2;
mod policy;
mod smtp;
mod validate;

pub use digest::{AudienceRule, DigestConfig, TimeZone};
pub use policy::PolicySection;
pub use smtp::{SmtpAuth, SmtpConfig};

#[cfg(test)]
mod tests;

use keys::{choice, env_name, settings, unknown_keys, Raw, Section};
pub use oauth2::OAuth2Config;
use validate::is_loopback_host;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The reason is part of the message, not a `source`, so an error chain says it once.
    #[error("cannot read config file {}: {err}", path.display())]
    Read { path: PathBuf, err: std::io::Error },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{origin}: key `{key}`: {message}")]
    Invalid {
        origin: String,
        key: String,
        message: String,
    },
    /// More than one problem, one per line.
    #[error("{} problems in the configuration:\n  {}", .0.len(), join_lines(.0))]
    Several(Vec<ConfigError>),
}

fn join_lines(errors: &[ConfigError]) -> String {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    lines.join("\n  ")
}

impl ConfigError {
    /// `Ok` for no problem, the problem itself for one, `Several` for more.
    pub fn from_list(mut list: Vec<ConfigError>) -> Result<(), ConfigError> {
        match list.len() {
            0 => Ok(()),
            1 => Err(list.remove(0)),
            _ => Err(ConfigError::Several(list)),
        }
    }
}

fn invalid(origin: &str, key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        origin: origin.to_string(),
        key: key.to_string(),
        message: message.into(),
    }
}

/// The whole configuration. See `config/outloud.example.toml` for every key and its default.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub database: DatabaseConfig,
    pub web: WebConfig,
    pub threading: ThreadingConfig,
    pub import: ImportConfig,
    pub identity: IdentityConfig,
    pub log: LogConfig,
    pub daemon: DaemonConfig,
    pub smtp: SmtpConfig,
    pub digest: DigestConfig,
    pub policy: PolicySection,
    pub groups: Vec<GroupConfig>,
    pub mailboxes: Vec<MailboxConfig>,
    /// Where the values came from, for error messages: the file path or "defaults".
    pub origin: String,
    /// Keys set from the environment or the command line (`mailboxes[0].host`), with what
    /// set them (`environment OUTLOUD_MAILBOX_CORP_HOST`).
    pub overrides: BTreeMap<String, String>,
    /// What did not stop loading but is probably a mistake: `OUTLOUD_*` variables that name
    /// no setting (a misspelt `OUTLOUD_DATABSE_URL` would otherwise be ignored silently).
    pub warnings: Vec<String>,
}

/// The top-level keys of the file: the single sections, then the lists.
const SECTIONS: &[&str] = &[
    "database",
    "web",
    "threading",
    "import",
    "identity",
    "log",
    "daemon",
    "smtp",
    "digest",
    "policy",
];
const TOP_LEVEL: &[&str] = &[
    "database",
    "web",
    "threading",
    "import",
    "identity",
    "log",
    "daemon",
    "smtp",
    "digest",
    "policy",
    "groups",
    "mailboxes",
];

impl Default for Config {
    fn default() -> Self {
        Config::from_table(&toml::Table::new()).expect("the defaults are complete")
    }
}

settings! {
    section
    #[derive(Clone, PartialEq)]
    pub struct DatabaseConfig {
        /// `sqlite:PATH` (default `sqlite:var/outloud.db`) or `postgres://user@host/db`.
        /// A URL with a password must come from `OUTLOUD_DATABASE_URL` or `url_file`.
        url: String = "sqlite:var/outloud.db".into(),
        /// A file whose first line is the database URL (for URLs with a password).
        url_file: Option<PathBuf> = None,
    }
}

impl std::fmt::Debug for DatabaseConfig {
    // Never print a password, even in a debug log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &mask_url(&self.url))
            .field("url_file", &self.url_file)
            .finish()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`, and a `password=`
/// parameter (`?password=secret`, libpq's spelling) → `password=***`.
pub fn mask_url(url: &str) -> String {
    mask_secrets(url)
}

/// Every URL password in `text` masked, wherever the URLs stand (error messages quote them):
/// the password of `scheme://user:password@host` and `password=` / `sslpassword=` parameters.
pub fn mask_secrets(text: &str) -> String {
    use std::sync::LazyLock;
    static USERINFO: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r#"([A-Za-z][A-Za-z0-9+.\-]*://[^/?#@\s:"'<>]*):[^@\s"'<>]*@"#).unwrap()
    });
    static PARAM: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r#"(?i)\b((?:ssl)?password|passwd|pwd)=[^&\s"'<>]*"#).unwrap()
    });
    let text = USERINFO.replace_all(text, "$1:***@");
    PARAM.replace_all(&text, "$1=***").into_owned()
}

fn url_has_password(url: &str) -> bool {
    mask_url(url) != url
}

settings! {
    section
    #[derive(Debug, Clone, PartialEq)]
    pub struct WebConfig {
        /// Address the web view and API listen on.
        bind: String = "127.0.0.1:8080".into(),
        /// Open connections at most. At the cap the longest-idle connection is closed for
        /// each new one (a warning is logged).
        max_connections: usize = 1024,
        /// Seconds a client has to send a request head, from connecting or from the previous
        /// response (so also how long an idle keep-alive connection stays open).
        header_timeout_secs: u64 = 10,
        /// Show every caller the per-mailbox detail of /healthz (IMAP account, server error
        /// text). Off: anonymous callers get the status alone.
        health_detail: bool = false,
        /// Environment variable holding the admin token: a caller sending
        /// `Authorization: Bearer TOKEN` sees the /healthz detail (for monitoring; signed-in
        /// admins see it anyway).
        admin_token_env: Option<String> = None,
        /// Let anyone read every page and the API without signing in (an archive reachable
        /// only inside the company). Off: pages and API need a signed-in colleague.
        public: bool = false,
        /// Where people reach the web view: links in mail point here, and an `https://` URL
        /// makes cookies `Secure`. `http://` only to a loopback host (tests, trying it out).
        /// Default: `http://` + `bind`.
        base_url: Option<String> = None,
        /// Addresses that are admins (lower-cased when read).
        admins: Vec<String> = Vec::new(),
        /// Domains whose addresses may sign in (by OpenID Connect or emailed link). Empty:
        /// by emailed link any address outloud has seen in group mail; by OpenID Connect any
        /// verified address the provider vouches for.
        allowed_domains: Vec<String> = Vec::new(),
        /// Days a session lasts.
        session_days: u64 = 30,
        /// OpenID Connect issuer URL (discovery at ISSUER/.well-known/openid-configuration).
        /// Unset: sign-in by emailed link only.
        oidc_issuer: Option<String> = None,
        oidc_client_id: Option<String> = None,
        /// Environment variable holding the OpenID Connect client secret (unset: a public
        /// client, PKCE alone).
        oidc_client_secret_env: Option<String> = None,
        /// PEM file of an extra CA to trust for the provider (a private CA).
        oidc_ca_file: Option<PathBuf> = None,
        /// Name shown on the sign-in button.
        oidc_name: String = "company sign-in".into(),
    }
}

settings! {
    section
    #[derive(Debug, Clone, PartialEq)]
    pub struct ThreadingConfig {
        /// A reply with no usable References joins a same-subject thread only if that thread
        /// was active within this many days.
        subject_window_days: i64 = 14,
    }
}

settings! {
    section
    #[derive(Debug, Clone, PartialEq)]
    pub struct ImportConfig {
        /// Mails written per database transaction.
        batch_size: usize = 1000,
    }
}

settings! {
    section
    #[derive(Debug, Clone, PartialEq)]
    pub struct IdentityConfig {
        /// Addresses outloud sends from (digests, notices); mail from them is never published.
        addresses: Vec<String> = vec!["outloud@localhost".into()],
        /// Value of the `X-Outloud-Loop` header outloud stamps on its own mail. Incoming mail
        /// with that header is skipped whatever its value; this only names the instance in logs.
        loop_marker: String = "outloud".into(),
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

choice!(LogFormat { "text" => LogFormat::Text, "json" => LogFormat::Json });

settings! {
    section
    #[derive(Debug, Clone, PartialEq)]
    pub struct LogConfig {
        /// tracing filter, e.g. `info` or `outloud=debug,sqlx=warn`. `RUST_LOG` overrides it.
        level: String = "info".into(),
        format: LogFormat = LogFormat::Text,
    }
}

settings! {
    section
    #[derive(Debug, Clone, PartialEq)]
    pub struct DaemonConfig {
        /// Several replicas may watch the same mailboxes on one PostgreSQL database: only the
        /// holder of a mailbox's lease fetches and publishes. The lease lasts this long unless
        /// renewed; a standby takes over at most this long (plus one poll) after the holder dies.
        lease_secs: u64 = 20,
        /// This instance's name in leases and logs (default: hostname and process id).
        instance: Option<String> = None,
    }
}

/// How to secure the IMAP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// TLS from the first byte (IMAPS, usually port 993).
    Implicit,
    /// Plain connection upgraded with STARTTLS (usually port 143).
    Starttls,
    /// No TLS: only on loopback, unless `allow_insecure = true`.
    None,
}

choice!(TlsMode {
    "implicit" => TlsMode::Implicit,
    "starttls" => TlsMode::Starttls,
    "none" => TlsMode::None,
});

/// How outloud logs in to a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// LOGIN with `password_env` / `password_file`.
    Password,
    /// SASL XOAUTH2 with a token from `[mailboxes.oauth2]` (Microsoft 365, Gmail, Dovecot).
    Xoauth2,
    /// SASL OAUTHBEARER (RFC 7628) with a token from `[mailboxes.oauth2]`.
    Oauthbearer,
}

choice!(AuthMethod {
    "password" => AuthMethod::Password,
    "xoauth2" => AuthMethod::Xoauth2,
    "oauthbearer" => AuthMethod::Oauthbearer,
});

/// What to do with a mail in the mailbox once it is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterAction {
    /// Leave it as it is (the checkpoint remembers it was seen).
    Keep,
    /// Set the keyword `flag_keyword`.
    Flag,
    /// Move it to `move_to`.
    Move,
}

choice!(AfterAction {
    "keep" => AfterAction::Keep,
    "flag" => AfterAction::Flag,
    "move" => AfterAction::Move,
});

settings! {
    entry
    /// One IMAP account watched by `outloud run`. Also readable on its own from TOML (tests).
    #[derive(Clone, PartialEq, serde::Deserialize)]
    #[serde(try_from = "toml::Table")]
    pub struct MailboxConfig {
        /// Short name used in logs, /healthz and checkpoints.
        name: String,
        host: String,
        /// Default: 993 for implicit TLS, 143 otherwise.
        port: Option<u16> = None,
        tls: TlsMode = TlsMode::Implicit,
        /// Allow `tls = "none"` to a host that is not on loopback.
        allow_insecure: bool = false,
        /// PEM file of an extra CA to trust (a private CA or a self-signed server certificate).
        ca_file: Option<PathBuf> = None,
        /// The login; with OAuth2 the mailbox address (the token says who may open it).
        user: String,
        /// "password", or "xoauth2" / "oauthbearer" with a token from `[mailboxes.oauth2]`.
        auth: AuthMethod = AuthMethod::Password,
        /// Where OAuth2 tokens come from (with `auth = "xoauth2"` or `"oauthbearer"`).
        oauth2: Option<OAuth2Config> = None,
        /// Environment variable holding the password.
        password_env: Option<String> = None,
        /// File whose first line is the password.
        password_file: Option<PathBuf> = None,
        folders: Vec<String> = vec!["INBOX".into()],
        after: AfterAction = AfterAction::Keep,
        flag_keyword: String = "$OutloudPublished".into(),
        move_to: Option<String> = None,
        /// Mail that cannot be parsed is moved here (created if missing) and kept in the
        /// database quarantine; it is never dropped.
        quarantine_folder: String = "outloud-quarantine".into(),
        /// Seconds between checks when the server has no IDLE.
        poll_secs: u64 = 60,
        /// IDLE is re-issued after this many seconds (RFC 2177 asks for less than 30 minutes;
        /// shorter notices a connection a NAT or firewall dropped without a word sooner).
        idle_secs: u64 = 10 * 60,
        /// Mails fetched and published per transaction while catching up.
        batch_size: u32 = 500,
        /// While in IDLE, also check with a NOOP this often (milliseconds; 0 = IDLE alone).
        /// Unset: only on servers known to hold IDLE pushes back (Dovecot: 500 ms), every
        /// 100 ms; IDLE alone elsewhere (Gmail, Exchange Online throttle chatty clients).
        idle_recheck_ms: Option<u64> = None,
    }
}

impl TryFrom<toml::Table> for MailboxConfig {
    type Error = String;
    fn try_from(table: toml::Table) -> Result<Self, String> {
        MailboxConfig::from_table(&table).map_err(|errors| {
            let lines: Vec<String> = errors
                .iter()
                .map(|(k, m)| format!("key `{k}`: {m}"))
                .collect();
            lines.join("; ")
        })
    }
}

impl std::fmt::Debug for MailboxConfig {
    // The password never lives here, but say where it comes from.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxConfig")
            .field("name", &self.name)
            .field("host", &self.host)
            .field("port", &self.port())
            .field("tls", &self.tls)
            .field("user", &self.user)
            .field("auth", &self.auth)
            .field("oauth2", &self.oauth2)
            .field("password_env", &self.password_env)
            .field("password_file", &self.password_file)
            .field("folders", &self.folders)
            .field("after", &self.after)
            .finish_non_exhaustive()
    }
}

impl MailboxConfig {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(if self.tls == TlsMode::Implicit {
            993
        } else {
            143
        })
    }

    /// Read the password from the environment variable or file the config names.
    pub fn password(&self) -> Result<Secret, String> {
        if self.password_env.is_none() && self.password_file.is_none() {
            return Err("no password_env or password_file".into());
        }
        oauth2::read_secret(self.password_env.as_deref(), self.password_file.as_deref())
    }

    /// Whether this mailbox logs in with an OAuth2 token.
    pub fn uses_oauth2(&self) -> bool {
        self.auth != AuthMethod::Password
    }

    /// Where the password comes from, as the key that says so: `password_env = "VAR"`.
    pub fn password_source(&self) -> String {
        secret_source(self.password_env.as_deref(), self.password_file.as_deref())
    }
}

/// Where a secret comes from, as the key that says so: `password_env = "VAR"`.
fn secret_source(var: Option<&str>, file: Option<&Path>) -> String {
    match (var, file) {
        (Some(var), _) => format!("password_env = {var:?}"),
        (_, Some(path)) => format!("password_file = {:?}", path.display().to_string()),
        _ => "no password_env or password_file".into(),
    }
}

/// The variables `OUTLOUD_SMTP_PASSWORD_ENV` and `[smtp.oauth2]`'s `…_ENV` keys name, when
/// those are themselves set from the environment: they hold secrets, not settings.
fn secret_env_of_smtp(env: &[(String, String)]) -> Vec<String> {
    let keys = [
        keys::env_name(&["smtp", "password_env"]),
        keys::env_name(&["smtp", "oauth2", "client_secret_env"]),
        keys::env_name(&["smtp", "oauth2", "refresh_token_env"]),
    ];
    env.iter()
        .filter(|(k, _)| keys.contains(k))
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

/// A password: never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

settings! {
    entry
    #[derive(Debug, Clone, PartialEq)]
    pub struct GroupConfig {
        /// Short name used in URLs.
        slug: Slug,
        /// Display name (default: the slug).
        name: Option<String> = None,
        /// Addresses that publish into the group.
        addresses: Vec<GroupAddress>,
        /// Undo window: a post goes live this many minutes after it arrives; its sender is
        /// told and may reply CANCEL meanwhile. 0: at once.
        undo_minutes: u64 = 0,
    }
}

/// An entry of a `[[list]]`: which list, and the key that names the entry in environment
/// variables (`OUTLOUD_MAILBOX_<NAME>_…`).
trait Entry: Section {
    /// The list's key in the file.
    const LIST: &'static str;
    /// The word for one entry in variable names.
    const WORD: &'static str;
    /// The key whose value names the entry.
    const ID_KEY: &'static str;
    fn id(&self) -> &str;
}

impl Entry for MailboxConfig {
    const LIST: &'static str = "mailboxes";
    const WORD: &'static str = "mailbox";
    const ID_KEY: &'static str = "name";
    fn id(&self) -> &str {
        &self.name
    }
}

impl Entry for GroupConfig {
    const LIST: &'static str = "groups";
    const WORD: &'static str = "group";
    const ID_KEY: &'static str = "slug";
    fn id(&self) -> &str {
        self.slug.as_str()
    }
}

/// Prefixes each problem's key with `path.`.
fn under(path: &str, errors: Vec<(String, String)>) -> impl Iterator<Item = (String, String)> + '_ {
    errors
        .into_iter()
        .map(move |(k, m)| (format!("{path}.{k}"), m))
}

/// The `[name]` section of `table`, its defaults when absent.
fn section<T: Section + Default>(
    table: &toml::Table,
    name: &str,
    errors: &mut Vec<(String, String)>,
) -> T {
    match table.get(name) {
        None => T::default(),
        Some(toml::Value::Table(t)) => T::from_table(t).unwrap_or_else(|e| {
            errors.extend(under(name, e));
            T::default()
        }),
        Some(v) => {
            let m = format!("expected a [{name}] section, got {}", v.type_str());
            errors.push((name.to_string(), m));
            T::default()
        }
    }
}

/// The `[[name]]` entries of `table`.
fn list<T: Entry>(table: &toml::Table, errors: &mut Vec<(String, String)>) -> Vec<T> {
    let name = T::LIST;
    let items = match table.get(name) {
        None => return Vec::new(),
        Some(toml::Value::Array(items)) => items,
        Some(v) => {
            let m = format!("expected [[{name}]] entries, got {}", v.type_str());
            errors.push((name.to_string(), m));
            return Vec::new();
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = format!("{name}[{i}]");
        match item {
            toml::Value::Table(t) => match T::from_table(t) {
                Ok(entry) => out.push(entry),
                Err(e) => errors.extend(under(&path, e)),
            },
            v => errors.push((path, format!("expected a table, got {}", v.type_str()))),
        }
    }
    out
}

impl Config {
    /// Load from an optional file, then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with("OUTLOUD_"))
            .collect();
        Config::load_with(file, &env)
    }

    /// Load from an optional file and the given environment (testable without touching the
    /// process environment).
    pub fn load_with(file: Option<&Path>, env: &[(String, String)]) -> Result<Config, ConfigError> {
        let mut cfg = match file {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        cfg.apply_env(env)?;
        if let Some(path) = cfg.database.url_file.clone() {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                let m = format!("cannot read {}: {e}", path.display());
                invalid(cfg.origin_of("database.url_file"), "database.url_file", m)
            })?;
            cfg.database.url = text.lines().next().unwrap_or("").trim().to_string();
        }
        cfg.validate()?;
        Ok(cfg)
    }

    fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|err| ConfigError::Read {
            path: path.to_path_buf(),
            err,
        })?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let origin = path.display().to_string();
        let mut cfg = Config::from_table(&table).map_err(|errors| {
            let list = errors.iter().map(|(k, m)| invalid(&origin, k, m)).collect();
            ConfigError::from_list(list).unwrap_err()
        })?;
        if url_has_password(&cfg.database.url) {
            return Err(invalid(
                &origin,
                "database.url",
                "contains a password; secrets must not be in the config file: set OUTLOUD_DATABASE_URL or database.url_file",
            ));
        }
        cfg.origin = origin;
        Ok(cfg)
    }

    /// Every key of a parsed file, or every problem as (key, message).
    fn from_table(table: &toml::Table) -> Result<Config, Vec<(String, String)>> {
        let mut errors: Vec<(String, String)> = unknown_keys(table, TOP_LEVEL);
        let cfg = Config {
            database: section(table, "database", &mut errors),
            web: section(table, "web", &mut errors),
            threading: section(table, "threading", &mut errors),
            import: section(table, "import", &mut errors),
            identity: section(table, "identity", &mut errors),
            log: section(table, "log", &mut errors),
            daemon: section(table, "daemon", &mut errors),
            smtp: section(table, "smtp", &mut errors),
            digest: section(table, "digest", &mut errors),
            policy: section(table, "policy", &mut errors),
            groups: list(table, &mut errors),
            mailboxes: list(table, &mut errors),
            origin: "defaults".into(),
            overrides: BTreeMap::new(),
            warnings: Vec::new(),
        };
        match errors.is_empty() {
            true => Ok(cfg),
            false => Err(errors),
        }
    }

    /// A single section by name, for the environment.
    fn section_mut(&mut self, name: &str) -> &mut dyn Section {
        match name {
            "database" => &mut self.database,
            "web" => &mut self.web,
            "threading" => &mut self.threading,
            "import" => &mut self.import,
            "identity" => &mut self.identity,
            "log" => &mut self.log,
            "daemon" => &mut self.daemon,
            "smtp" => &mut self.smtp,
            "digest" => &mut self.digest,
            "policy" => &mut self.policy,
            _ => unreachable!("{name} is in SECTIONS"),
        }
    }

    /// Where `key`'s value came from: the variable or option that set it, else the file.
    pub fn origin_of(&self, key: &str) -> &str {
        self.overrides.get(key).unwrap_or(&self.origin)
    }

    /// `--database URL` on the command line: overrides the file and the environment.
    pub fn set_database_url(&mut self, url: &str) {
        self.database.url = url.to_string();
        self.overrides
            .insert("database.url".into(), "option --database".into());
    }

    /// Every environment variable of the single sections, with the key it sets.
    pub fn env_vars() -> Vec<(String, String)> {
        let mut cfg = Config::default();
        let mut out = Vec::new();
        for name in SECTIONS {
            for key in cfg.section_mut(name).keys() {
                out.push((env_name(&[name, key]), format!("{name}.{key}")));
            }
        }
        out
    }

    /// Apply every `OUTLOUD_*` variable that names a key; report every one that fails.
    /// Variables a mailbox or `[smtp]` names as its `password_env` are secrets, not settings.
    fn apply_env(&mut self, env: &[(String, String)]) -> Result<(), ConfigError> {
        let secrets: HashSet<String> = self
            .mailboxes
            .iter()
            .flat_map(|m| {
                let oauth2 = m.oauth2.iter().flat_map(OAuth2Config::secret_vars);
                m.password_env.iter().chain(oauth2).cloned()
            })
            .chain(self.smtp.password_env.clone())
            .chain(
                self.smtp
                    .oauth2
                    .iter()
                    .flat_map(OAuth2Config::secret_vars)
                    .cloned(),
            )
            .chain(secret_env_of_smtp(env))
            .chain(self.web.admin_token_env.clone())
            .chain(self.web.oidc_client_secret_env.clone())
            .collect();
        let problems = env
            .iter()
            .filter(|(var, _)| !secrets.contains(var))
            .filter_map(|(var, value)| self.apply_var(var, value).err())
            .collect();
        ConfigError::from_list(problems)
    }

    fn apply_var(&mut self, var: &str, value: &str) -> Result<(), ConfigError> {
        let origin = format!("environment {var}");
        let set = if let Some(name) = SECTIONS
            .iter()
            .find(|s| var.starts_with(&format!("{}_", env_name(&[s]))))
        {
            set_in_section(self.section_mut(name), name, var, value)
        } else if var.starts_with(&format!("{}_", env_name(&[MailboxConfig::WORD]))) {
            set_in_list(&mut self.mailboxes, var, value)
        } else if var.starts_with(&format!("{}_", env_name(&[GroupConfig::WORD]))) {
            set_in_list(&mut self.groups, var, value)
        } else {
            // Not one of our sections: OUTLOUD_CONFIG, the scripts' and tests' settings, or a
            // misspelling, which would otherwise be ignored without a word.
            if !NOT_SETTINGS
                .iter()
                .any(|p| var == *p || (p.ends_with('_') && var.starts_with(p)))
            {
                self.warnings.push(unknown_variable(var));
            }
            return Ok(());
        };
        let key = set.map_err(|(key, m)| invalid(&origin, &key, m))?;
        self.overrides.insert(key, origin);
        Ok(())
    }
}

/// `OUTLOUD_*` variables that are not settings and are no mistake: the config file's path, and
/// what the project's scripts and tests read (a trailing `_` is a prefix).
const NOT_SETTINGS: &[&str] = &[
    "OUTLOUD_CONFIG",
    "OUTLOUD_TEST_",
    "OUTLOUD_SKIP_",
    "OUTLOUD_MAILSTACK_",
    "OUTLOUD_IMAP_",
    "OUTLOUD_IMAPS_",
    "OUTLOUD_SMTP_",
    "OUTLOUD_LMTP_",
    "OUTLOUD_SUBMISSION_",
    "OUTLOUD_FUZZ_",
    "OUTLOUD_BENCH_",
];

/// The warning for a variable that names no setting, with the closest known one.
fn unknown_variable(var: &str) -> String {
    let known = Config::env_vars();
    let closest = (known.iter())
        .map(|(v, _)| (edit_distance(var, v), v))
        .min()
        .filter(|(d, _)| *d <= 3);
    match closest {
        Some((_, v)) => {
            format!("environment {var}: not a setting of outloud, ignored (did you mean {v}?)")
        }
        None => format!("environment {var}: not a setting of outloud, ignored"),
    }
}

/// Levenshtein distance, for suggesting a variable name.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Sets the key `var` names in one section; its path, or (what to name, why not).
fn set_in_section(
    section: &mut dyn Section,
    name: &str,
    var: &str,
    value: &str,
) -> Result<String, (String, String)> {
    let var_key = var[env_name(&[name]).len() + 1..].to_ascii_lowercase();
    // A key of a table in the section (`OUTLOUD_SMTP_OAUTH2_TENANT`: `smtp.oauth2.tenant`).
    let key = entry_key(section, &var_key).unwrap_or(var_key);
    let set = match key.split_once('.') {
        Some((table, sub)) => section
            .section_of(table)
            .and_then(|s| s.set(sub, Raw::Env(value))),
        None => section.set(&key, Raw::Env(value)),
    };
    match set {
        Some(Ok(())) => Ok(format!("{name}.{key}")),
        Some(Err(m)) => Err((format!("{name}.{key}"), m)),
        None => {
            let known: Vec<String> = section
                .keys()
                .iter()
                .map(|k| env_name(&[name, k]))
                .collect();
            Err((
                var.to_string(),
                format!("unknown setting; known variables: {}", known.join(", ")),
            ))
        }
    }
}

/// A key of `entry`, or of a table of keys in it (`oauth2_client_id`: `client_id` of its
/// `oauth2`), as its path (`oauth2.client_id`).
fn entry_key(entry: &mut dyn Section, key: &str) -> Option<String> {
    if entry.keys().contains(&key) {
        return Some(key.to_string());
    }
    entry.keys().iter().find_map(|table| {
        let sub = key.strip_prefix(table)?.strip_prefix('_')?;
        let known = entry.section_of(table)?.keys().contains(&sub);
        known.then(|| format!("{table}.{sub}"))
    })
}

/// Sets the key `var` names in the entry it names (`OUTLOUD_MAILBOX_CORP_HOST`: `host` of
/// mailbox `corp`; `OUTLOUD_MAILBOX_CORP_OAUTH2_TENANT`: `tenant` of its `[mailboxes.oauth2]`).
/// When entry names overlap (`corp`, `corp-eu`) the longest that leaves a known key wins.
fn set_in_list<T: Entry>(
    entries: &mut [T],
    var: &str,
    value: &str,
) -> Result<String, (String, String)> {
    let found = entries
        .iter_mut()
        .enumerate()
        .filter_map(|(i, e)| {
            let prefix = format!("{}_", env_name(&[T::WORD, e.id()]));
            let key = var.strip_prefix(&prefix)?.to_ascii_lowercase();
            entry_key(e, &key).map(|key| (i, key, prefix.len()))
        })
        .max_by_key(|(_, _, len)| *len);
    let Some((i, key)) = found.map(|(i, key, _)| (i, key)) else {
        let names: Vec<String> = entries
            .iter()
            .map(|e| env_name(&[T::WORD, e.id()]))
            .collect();
        let message =
            format!(
            "names no key of a [[{}]] entry: expected {}_<{}>_<KEY> for an entry in the file ({})",
            T::LIST,
            env_name(&[T::WORD]),
            T::ID_KEY.to_ascii_uppercase(),
            if names.is_empty() { "there are none".into() } else { names.join(", ") },
        );
        return Err((var.to_string(), message));
    };
    let path = format!("{}[{i}].{key}", T::LIST);
    if key == T::ID_KEY {
        let m = format!("the {key} names the entry in variables; change it in the file");
        return Err((path, m));
    }
    let set = match key.split_once('.') {
        Some((table, sub)) => entries[i]
            .section_of(table)
            .and_then(|s| s.set(sub, Raw::Env(value))),
        None => entries[i].set(&key, Raw::Env(value)),
    };
    match set {
        Some(Ok(())) => Ok(path),
        Some(Err(m)) => Err((path, m)),
        None => unreachable!("{key} is one of the entry's keys"),
    }
}
