//! Configuration: defaults → TOML file (`--config FILE` or `OUTLOUD_CONFIG`) → environment
//! (`OUTLOUD_<SECTION>_<KEY>`). Every error names the key and where it came from.
//! Secrets never live in the file: they come from the environment or from a file path.

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{origin}: key `{key}`: {message}")]
    Invalid {
        origin: String,
        key: String,
        message: String,
    },
}

fn invalid(origin: &str, key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        origin: origin.to_string(),
        key: key.to_string(),
        message: message.into(),
    }
}

/// The whole configuration. See `config/outloud.example.toml` for every key and its default.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub database: DatabaseConfig,
    pub web: WebConfig,
    pub threading: ThreadingConfig,
    pub import: ImportConfig,
    pub identity: IdentityConfig,
    pub log: LogConfig,
    pub daemon: DaemonConfig,
    pub groups: Vec<GroupConfig>,
    pub mailboxes: Vec<MailboxConfig>,
    /// Where the values came from, for error messages: the file path or "defaults".
    #[serde(skip)]
    pub origin: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: DatabaseConfig::default(),
            web: WebConfig::default(),
            threading: ThreadingConfig::default(),
            import: ImportConfig::default(),
            identity: IdentityConfig::default(),
            log: LogConfig::default(),
            daemon: DaemonConfig::default(),
            groups: Vec::new(),
            mailboxes: Vec::new(),
            origin: "defaults".into(),
        }
    }
}

#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite:PATH` (default `sqlite:var/outloud.db`) or `postgres://user@host/db`.
    /// A URL with a password must come from `OUTLOUD_DATABASE_URL` or `url_file`.
    pub url: String,
    /// A file whose first line is the database URL (for URLs with a password).
    pub url_file: Option<PathBuf>,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: "sqlite:var/outloud.db".into(),
            url_file: None,
        }
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

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn mask_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((userinfo, host)) = rest.split_once('@') {
            if let Some((user, _)) = userinfo.split_once(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    url.to_string()
}

fn url_has_password(url: &str) -> bool {
    mask_url(url) != url
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Address the web view and API listen on.
    pub bind: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            bind: "127.0.0.1:8080".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ThreadingConfig {
    /// A reply with no usable References joins a same-subject thread only if that thread was
    /// active within this many days.
    pub subject_window_days: i64,
}

impl Default for ThreadingConfig {
    fn default() -> Self {
        ThreadingConfig {
            subject_window_days: 14,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ImportConfig {
    /// Mails written per database transaction.
    pub batch_size: usize,
}

impl Default for ImportConfig {
    fn default() -> Self {
        ImportConfig { batch_size: 1000 }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityConfig {
    /// Addresses outloud sends from (digests, notices); mail from them is never published.
    pub addresses: Vec<String>,
    /// Value of the `X-Outloud-Loop` header outloud stamps on its own mail. Incoming mail with
    /// that header is skipped whatever its value; this only names the instance in the log.
    pub loop_marker: String,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            addresses: vec!["outloud@localhost".into()],
            loop_marker: "outloud".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// tracing filter, e.g. `info` or `outloud=debug,sqlx=warn`. `RUST_LOG` overrides it.
    pub level: String,
    /// `text` or `json`.
    pub format: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: "text".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonConfig {
    /// Several replicas may watch the same mailboxes on one PostgreSQL database: only the
    /// holder of a mailbox's lease fetches and publishes. The lease lasts this long unless
    /// renewed; a standby takes over at most this long (plus one poll) after the holder dies.
    pub lease_secs: u64,
    /// This instance's name in leases and logs (default: hostname and process id).
    pub instance: Option<String>,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            lease_secs: 20,
            instance: None,
        }
    }
}

/// How to secure the IMAP connection.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// TLS from the first byte (IMAPS, usually port 993).
    Implicit,
    /// Plain connection upgraded with STARTTLS (usually port 143).
    Starttls,
    /// No TLS: only on loopback, unless `allow_insecure = true`.
    None,
}

/// What to do with a mail in the mailbox once it is published.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AfterAction {
    /// Leave it as it is (the checkpoint remembers it was seen).
    Keep,
    /// Set the keyword `flag_keyword`.
    Flag,
    /// Move it to `move_to`.
    Move,
}

/// One IMAP account watched by `outloud run`.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MailboxConfig {
    /// Short name used in logs, /healthz and checkpoints.
    pub name: String,
    pub host: String,
    /// Default: 993 for implicit TLS, 143 otherwise.
    pub port: Option<u16>,
    #[serde(default = "default_tls")]
    pub tls: TlsMode,
    /// Allow `tls = "none"` to a host that is not on loopback.
    #[serde(default)]
    pub allow_insecure: bool,
    /// PEM file of an extra CA to trust (a private CA or a self-signed server certificate).
    pub ca_file: Option<std::path::PathBuf>,
    pub user: String,
    /// Environment variable holding the password.
    pub password_env: Option<String>,
    /// File whose first line is the password.
    pub password_file: Option<std::path::PathBuf>,
    #[serde(default = "default_folders")]
    pub folders: Vec<String>,
    #[serde(default = "default_after")]
    pub after: AfterAction,
    #[serde(default = "default_keyword")]
    pub flag_keyword: String,
    pub move_to: Option<String>,
    /// Mail that cannot be parsed is moved here (created if missing) and kept in the database
    /// quarantine; it is never dropped.
    #[serde(default = "default_quarantine_folder")]
    pub quarantine_folder: String,
    /// Seconds between checks when the server has no IDLE.
    #[serde(default = "default_poll")]
    pub poll_secs: u64,
    /// IDLE is re-issued after this many seconds (RFC 2177 asks for less than 30 minutes).
    #[serde(default = "default_idle")]
    pub idle_secs: u64,
    /// Mails fetched and published per transaction while catching up.
    #[serde(default = "default_fetch_batch")]
    pub batch_size: u32,
    /// While in IDLE, also check with a NOOP this often (milliseconds; 0 = rely on IDLE
    /// alone). Servers hold IDLE pushes back to coalesce changes (Dovecot: 500 ms), which alone
    /// would put "cc the group and it is there" at over half a second.
    #[serde(default = "default_idle_recheck")]
    pub idle_recheck_ms: u64,
}

fn default_tls() -> TlsMode {
    TlsMode::Implicit
}
fn default_folders() -> Vec<String> {
    vec!["INBOX".into()]
}
fn default_after() -> AfterAction {
    AfterAction::Keep
}
fn default_keyword() -> String {
    "$OutloudPublished".into()
}
fn default_quarantine_folder() -> String {
    "outloud-quarantine".into()
}
fn default_poll() -> u64 {
    60
}
fn default_idle() -> u64 {
    29 * 60 - 60
}
fn default_idle_recheck() -> u64 {
    100
}
fn default_fetch_batch() -> u32 {
    500
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
        if let Some(var) = &self.password_env {
            return std::env::var(var)
                .map(Secret)
                .map_err(|_| format!("environment variable {var} is not set"));
        }
        if let Some(path) = &self.password_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            return Ok(Secret(text.lines().next().unwrap_or("").to_string()));
        }
        Err("no password_env or password_file".into())
    }
}

/// A password: never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GroupConfig {
    pub slug: String,
    pub name: Option<String>,
    pub addresses: Vec<String>,
}

/// The environment variables read, with the key each overrides.
pub const ENV_KEYS: &[(&str, &str)] = &[
    ("OUTLOUD_DATABASE_URL", "database.url"),
    ("OUTLOUD_DATABASE_URL_FILE", "database.url_file"),
    ("OUTLOUD_WEB_BIND", "web.bind"),
    (
        "OUTLOUD_THREADING_SUBJECT_WINDOW_DAYS",
        "threading.subject_window_days",
    ),
    ("OUTLOUD_IMPORT_BATCH_SIZE", "import.batch_size"),
    ("OUTLOUD_IDENTITY_ADDRESSES", "identity.addresses"),
    ("OUTLOUD_IDENTITY_LOOP_MARKER", "identity.loop_marker"),
    ("OUTLOUD_LOG_LEVEL", "log.level"),
    ("OUTLOUD_LOG_FORMAT", "log.format"),
];

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
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                let mut cfg: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?;
                cfg.origin = path.display().to_string();
                if url_has_password(&cfg.database.url) {
                    return Err(invalid(
                        &cfg.origin,
                        "database.url",
                        "contains a password; secrets must not be in the config file: set OUTLOUD_DATABASE_URL or database.url_file",
                    ));
                }
                cfg
            }
            None => Config::default(),
        };
        for (name, value) in env {
            cfg.apply_env(name, value)?;
        }
        if let Some(path) = cfg.database.url_file.clone() {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                invalid(
                    &cfg.origin,
                    "database.url_file",
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            cfg.database.url = text.lines().next().unwrap_or("").trim().to_string();
        }
        cfg.validate()?;
        Ok(cfg)
    }

    fn apply_env(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        let origin = format!("environment {name}");
        let Some((_, key)) = ENV_KEYS.iter().find(|(n, _)| *n == name) else {
            // A variable in one of our sections that matches no key is a typo worth reporting;
            // other OUTLOUD_* variables (OUTLOUD_CONFIG, test and script settings) are not ours.
            let section = ENV_KEYS.iter().any(|(n, _)| {
                let prefix = &n[..n[8..].find('_').map(|i| i + 9).unwrap_or(n.len())];
                name.starts_with(prefix)
            });
            if section {
                let known: Vec<&str> = ENV_KEYS.iter().map(|(n, _)| *n).collect();
                return Err(invalid(
                    &origin,
                    name,
                    format!("unknown setting; known variables: {}", known.join(", ")),
                ));
            }
            return Ok(());
        };
        let num = |v: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| invalid(&origin, key, format!("expected a whole number, got {v:?}")))
        };
        match *key {
            "database.url" => self.database.url = value.to_string(),
            "database.url_file" => self.database.url_file = Some(PathBuf::from(value)),
            "web.bind" => self.web.bind = value.to_string(),
            "threading.subject_window_days" => self.threading.subject_window_days = num(value)?,
            "import.batch_size" => self.import.batch_size = num(value)?.max(0) as usize,
            "identity.addresses" => {
                self.identity.addresses = value
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            }
            "identity.loop_marker" => self.identity.loop_marker = value.to_string(),
            "log.level" => self.log.level = value.to_string(),
            "log.format" => self.log.format = value.to_string(),
            _ => unreachable!("every ENV_KEYS entry is handled"),
        }
        if self.origin == "defaults" {
            self.origin = origin;
        }
        Ok(())
    }

    /// Checks serde cannot express. Errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let o = &self.origin;
        let url = &self.database.url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(invalid(
                o,
                "database.url",
                format!(
                    "{:?} is neither sqlite:PATH nor postgres://…",
                    mask_url(url)
                ),
            ));
        }
        if self.web.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(invalid(
                o,
                "web.bind",
                format!(
                    "{:?} is not an address:port such as 127.0.0.1:8080",
                    self.web.bind
                ),
            ));
        }
        if self.threading.subject_window_days < 0 {
            return Err(invalid(
                o,
                "threading.subject_window_days",
                "must be 0 or more",
            ));
        }
        if self.import.batch_size == 0 || self.import.batch_size > 100_000 {
            return Err(invalid(
                o,
                "import.batch_size",
                "must be between 1 and 100000",
            ));
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(invalid(
                o,
                "log.format",
                format!("{:?}: expected \"text\" or \"json\"", self.log.format),
            ));
        }
        if self.daemon.lease_secs < 3 {
            return Err(invalid(o, "daemon.lease_secs", "must be at least 3"));
        }
        let mut names = std::collections::HashSet::new();
        for (i, m) in self.mailboxes.iter().enumerate() {
            let key = |k: &str| format!("mailboxes[{i}].{k}");
            if m.name.is_empty() || m.name.contains(['/', ' ']) {
                return Err(invalid(
                    o,
                    &key("name"),
                    "a short name without spaces or slashes is needed",
                ));
            }
            if !names.insert(m.name.clone()) {
                return Err(invalid(
                    o,
                    &key("name"),
                    format!("{:?} is used by two mailboxes", m.name),
                ));
            }
            if m.host.trim().is_empty() {
                return Err(invalid(o, &key("host"), "must not be empty"));
            }
            if m.tls == TlsMode::None && !m.allow_insecure && !is_loopback_host(&m.host) {
                return Err(invalid(
                    o,
                    &key("tls"),
                    format!("\"none\" sends the password in clear to {}; use \"implicit\" or \"starttls\", or set allow_insecure = true", m.host),
                ));
            }
            match (&m.password_env, &m.password_file) {
                (None, None) => {
                    return Err(invalid(o, &key("password_env"), "set password_env (a variable name) or password_file; passwords never go in the config file"))
                }
                (Some(_), Some(_)) => return Err(invalid(o, &key("password_file"), "set either password_env or password_file, not both")),
                _ => {}
            }
            if m.folders.is_empty() {
                return Err(invalid(
                    o,
                    &key("folders"),
                    "list at least one folder, e.g. [\"INBOX\"]",
                ));
            }
            if m.after == AfterAction::Move && m.move_to.as_deref().unwrap_or("").is_empty() {
                return Err(invalid(
                    o,
                    &key("move_to"),
                    "after = \"move\" needs move_to = \"FOLDER\"",
                ));
            }
            if m.batch_size == 0 || m.batch_size > 10_000 {
                return Err(invalid(
                    o,
                    &key("batch_size"),
                    "must be between 1 and 10000",
                ));
            }
            if m.idle_secs == 0 || m.idle_secs >= 30 * 60 {
                return Err(invalid(
                    o,
                    &key("idle_secs"),
                    "must be between 1 and 1799 (servers drop IDLE after 30 minutes)",
                ));
            }
            if m.poll_secs == 0 {
                return Err(invalid(o, &key("poll_secs"), "must be at least 1"));
            }
        }
        let mut seen = std::collections::HashMap::new();
        for (i, g) in self.groups.iter().enumerate() {
            let key = format!("groups[{i}]");
            validate_slug(&g.slug).map_err(|m| invalid(o, &format!("{key}.slug"), m))?;
            if g.addresses.is_empty() {
                return Err(invalid(
                    o,
                    &format!("{key}.addresses"),
                    "a group needs at least one address",
                ));
            }
            for a in &g.addresses {
                validate_address(a).map_err(|m| invalid(o, &format!("{key}.addresses"), m))?;
                if let Some(other) = seen.insert(a.to_ascii_lowercase(), g.slug.clone()) {
                    return Err(invalid(
                        o,
                        &format!("{key}.addresses"),
                        format!("{a} is already the address of group {other}"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Slugs appear in URLs: lower-case letters, digits and dashes.
pub fn validate_slug(slug: &str) -> Result<(), String> {
    let ok = !slug.is_empty()
        && slug.len() <= 64
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{slug:?} is not a valid slug (lower-case letters, digits and dashes, at most 64)"
        ))
    }
}

pub fn validate_address(a: &str) -> Result<(), String> {
    match a.split_once('@') {
        Some((l, d)) if !l.is_empty() && d.contains('.') || d == "localhost" && !l.is_empty() => {
            if a.chars()
                .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',')
            {
                Err(format!(
                    "{a:?} is not a plain address such as eng@corp.example"
                ))
            } else {
                Ok(())
            }
        }
        _ => Err(format!("{a:?} is not an address such as eng@corp.example")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("outloud.toml");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn defaults_are_valid() {
        let c = Config::load_with(None, &[]).unwrap();
        assert_eq!(c.database.url, "sqlite:var/outloud.db");
        assert_eq!(c.threading.subject_window_days, 14);
    }

    #[test]
    fn example_config_loads() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/outloud.example.toml");
        let c = Config::load_with(Some(&p), &[]).unwrap();
        assert!(!c.groups.is_empty());
    }

    #[test]
    fn example_mailbox_block_is_valid() {
        // The commented example in the file stays true: un-comment it and load it.
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/outloud.example.toml");
        let text: String = std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| l.strip_prefix("#> ").unwrap_or(l))
            .map(|l| format!("{l}\n"))
            .collect();
        let (_d, p) = write(&text);
        let c = Config::load_with(Some(&p), &[]).unwrap();
        assert_eq!(c.mailboxes[0].name, "corp");
        assert_eq!(c.mailboxes[0].after, AfterAction::Flag);
    }

    #[test]
    fn unknown_key_names_key_and_file() {
        let (_d, p) = write("[web]\nbnd = \"x\"\n");
        let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
        assert!(e.contains("outloud.toml") && e.contains("bnd"), "{e}");
    }

    #[test]
    fn bad_value_names_key() {
        let (_d, p) = write("[web]\nbind = \"nowhere\"\n");
        let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
        assert!(e.contains("web.bind") && e.contains("outloud.toml"), "{e}");
    }

    #[test]
    fn env_overrides_file_and_names_variable() {
        let (_d, p) = write("[web]\nbind = \"127.0.0.1:1\"\n");
        let env = vec![("OUTLOUD_WEB_BIND".to_string(), "127.0.0.1:2".to_string())];
        assert_eq!(
            Config::load_with(Some(&p), &env).unwrap().web.bind,
            "127.0.0.1:2"
        );
        let env = vec![("OUTLOUD_IMPORT_BATCH_SIZE".to_string(), "lots".to_string())];
        let e = Config::load_with(Some(&p), &env).unwrap_err().to_string();
        assert!(
            e.contains("OUTLOUD_IMPORT_BATCH_SIZE") && e.contains("import.batch_size"),
            "{e}"
        );
        let env = vec![("OUTLOUD_WEB_BINDD".to_string(), "x".to_string())];
        assert!(Config::load_with(Some(&p), &env)
            .unwrap_err()
            .to_string()
            .contains("OUTLOUD_WEB_BINDD"));
        let env = vec![("OUTLOUD_MAILSTACK_DIR".to_string(), "/tmp/x".to_string())];
        assert!(
            Config::load_with(Some(&p), &env).is_ok(),
            "variables outside our sections are not ours"
        );
    }

    #[test]
    fn password_in_file_is_refused_and_masked() {
        let (_d, p) = write("[database]\nurl = \"postgres://u:hunter2@db/x\"\n");
        let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
        assert!(e.contains("database.url") && !e.contains("hunter2"), "{e}");
        let d = DatabaseConfig {
            url: "postgres://u:hunter2@db/x".into(),
            url_file: None,
        };
        assert!(!format!("{d:?}").contains("hunter2"));
    }

    #[test]
    fn mailbox_errors_name_the_key() {
        let base =
            "[[mailboxes]]\nname = \"corp\"\nhost = \"imap.corp.example\"\nuser = \"outloud\"\n";
        let (_d, p) = write(&format!("{base}tls = \"none\"\npassword_env = \"X\"\n"));
        let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
        assert!(e.contains("mailboxes[0].tls"), "{e}");
        let (_d, p) = write(base);
        let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
        assert!(e.contains("mailboxes[0].password_env"), "{e}");
        let (_d, p) = write(&format!("{base}password_env = \"X\"\nafter = \"move\"\n"));
        let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
        assert!(e.contains("mailboxes[0].move_to"), "{e}");
        let (_d, p) = write(&format!("{base}password_env = \"X\"\ntls = \"starttls\"\n"));
        let c = Config::load_with(Some(&p), &[]).unwrap();
        assert_eq!(c.mailboxes[0].port(), 143);
        assert!(!format!("{:?}", c.mailboxes[0]).contains("password\""));
    }

    #[test]
    fn duplicate_group_address_is_reported() {
        let (_d, p) = write(
            "[[groups]]\nslug = \"eng\"\naddresses = [\"eng@corp.example\"]\n[[groups]]\nslug = \"ops\"\naddresses = [\"ENG@corp.example\"]\n",
        );
        let e = Config::load_with(Some(&p), &[]).unwrap_err().to_string();
        assert!(
            e.contains("groups[1].addresses") && e.contains("eng"),
            "{e}"
        );
    }
}
