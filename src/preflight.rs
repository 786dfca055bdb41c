//! `outloud check-config`: everything `outloud run` needs before it starts, checked without
//! starting it — each mailbox's password or, for OAuth2, every secret, key and file its token
//! source reads (no token is asked for), its CA file, the database, the web address. The
//! configuration itself was checked when it loaded. Every problem is listed, each naming the
//! key it comes from and where that key was set.

use std::path::Path;
use std::time::Duration;

use crate::config::{mask_url, Config, MailboxConfig};
use crate::oauth::{OAuthError, TokenSource};

/// How long the database gets to answer.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(10);

/// One thing `run` would trip over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where the key was set: the file, `environment VAR` or `defaults`.
    pub origin: String,
    pub key: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: key `{}`: {}", self.origin, self.key, self.message)
    }
}

/// What was checked and found, for the report.
#[derive(Debug, Default)]
pub struct Report {
    /// One line per thing that is fine.
    pub ok: Vec<String>,
    pub problems: Vec<Problem>,
}

impl Report {
    fn problem(&mut self, cfg: &Config, key: &str, message: String) {
        self.problems.push(Problem {
            origin: cfg.origin_of(key).to_string(),
            key: key.to_string(),
            message,
        });
    }
}

/// Check everything; never stops at the first problem.
pub async fn check(cfg: &Config) -> Report {
    let mut report = Report::default();
    mailboxes(cfg, &mut report);
    smtp(cfg, &mut report);
    database(cfg, &mut report).await;
    digest_audiences(cfg, &mut report).await;
    web(cfg, &mut report);
    report
        .ok
        .push(format!("groups in the configuration: {}", cfg.groups.len()));
    report
}

fn mailboxes(cfg: &Config, report: &mut Report) {
    if cfg.mailboxes.is_empty() {
        report
            .ok
            .push("mailboxes: none (run serves the web view only)".into());
    }
    for (i, m) in cfg.mailboxes.iter().enumerate() {
        let mut fine = match m.uses_oauth2() {
            true => oauth2(cfg, i, m, report),
            false => password(cfg, i, m, report),
        };
        if let Some(ca) = &m.ca_file {
            if let Err(e) = std::fs::read(ca) {
                let message = format!("mailbox {}: cannot read {}: {e}", m.name, ca.display());
                report.problem(cfg, &format!("mailboxes[{i}].ca_file"), message);
                fine = false;
            }
        }
        if fine {
            let login = match &m.oauth2 {
                Some(o) => format!(
                    "{} with a token from {}",
                    m.auth.as_str().to_ascii_uppercase(),
                    TokenSource::new(o, &m.user).describe()
                ),
                None => format!("password from {}", m.password_source()),
            };
            report.ok.push(format!(
                "mailbox {}: {}@{}:{} ({}), {login}, folders {}",
                m.name,
                m.user,
                m.host,
                m.port(),
                m.tls.as_str(),
                m.folders.join(", ")
            ));
        }
    }
}

/// The password is there and not empty.
fn password(cfg: &Config, i: usize, m: &MailboxConfig, report: &mut Report) -> bool {
    let secret_key = match m.password_env {
        Some(_) => format!("mailboxes[{i}].password_env"),
        None => format!("mailboxes[{i}].password_file"),
    };
    let mut fine = true;
    match m.password() {
        Ok(p) if p.0.is_empty() => {
            let message = format!(
                "mailbox {}: the password ({}) is empty",
                m.name,
                m.password_source()
            );
            report.problem(cfg, &secret_key, message);
            fine = false;
        }
        Ok(_) => {}
        Err(e) => {
            report.problem(cfg, &secret_key, format!("mailbox {}: {e}", m.name));
            fine = false;
        }
    }
    fine
}

/// Every secret, key and file the token source will read is there and usable; the problem
/// names the `[mailboxes.oauth2]` key that points at it.
fn oauth2(cfg: &Config, i: usize, m: &MailboxConfig, report: &mut Report) -> bool {
    let Some(o) = &m.oauth2 else {
        return false;
    };
    let source = TokenSource::new(o, &m.user);
    match source.check() {
        Ok(()) => true,
        Err(e) => {
            let key = match &e {
                OAuthError::Setup { key, .. } => format!("mailboxes[{i}].oauth2.{key}"),
                _ => format!("mailboxes[{i}].oauth2"),
            };
            let message = format!("mailbox {}: OAuth2 ({}): {e}", m.name, source.describe());
            report.problem(cfg, &key, message);
            false
        }
    }
}

/// `[smtp]`: the password, or every secret and file `[smtp.oauth2]`'s token source reads, and
/// the CA file: what the sender reads when `run` starts.
fn smtp(cfg: &Config, report: &mut Report) {
    let s = &cfg.smtp;
    if !s.enabled() {
        report
            .ok
            .push("smtp: no host (outloud sends no mail)".into());
        return;
    }
    let mut fine = smtp_login(cfg, report);
    if let Some(ca) = &s.ca_file {
        if let Err(e) = std::fs::read(ca) {
            report.problem(
                cfg,
                "smtp.ca_file",
                format!("cannot read {}: {e}", ca.display()),
            );
            fine = false;
        }
    }
    if fine {
        let from = s.sender(&cfg.identity).map(|x| x.from).unwrap_or_default();
        let auth = match &s.oauth2 {
            Some(o) if s.uses_oauth2() => format!(
                "{} as {} with a token from {}",
                s.auth.as_str().to_ascii_uppercase(),
                s.user.as_deref().unwrap_or_default(),
                TokenSource::new(o, s.user.as_deref().unwrap_or_default()).describe()
            ),
            _ => format!("auth {}", s.auth.as_str()),
        };
        report.ok.push(format!(
            "smtp: {}:{} ({}, {auth}), from {from}, at most {} mails a minute",
            s.host.as_deref().unwrap_or_default(),
            s.port(),
            s.tls.as_str(),
            s.rate_per_minute
        ));
    }
}

/// The SMTP password is there and not empty, or the token source's secrets and files are.
fn smtp_login(cfg: &Config, report: &mut Report) -> bool {
    let s = &cfg.smtp;
    if s.uses_oauth2() {
        let Some(o) = &s.oauth2 else {
            return false;
        };
        let source = TokenSource::new(o, s.user.as_deref().unwrap_or_default());
        return match source.check() {
            Ok(()) => true,
            Err(e) => {
                let key = match &e {
                    OAuthError::Setup { key, .. } => format!("smtp.oauth2.{key}"),
                    _ => "smtp.oauth2".into(),
                };
                let message = format!("SMTP OAuth2 ({}): {e}", source.describe());
                report.problem(cfg, &key, message);
                false
            }
        };
    }
    if s.auth != crate::config::SmtpAuth::Password {
        return true;
    }
    let key = match s.password_env {
        Some(_) => "smtp.password_env",
        None => "smtp.password_file",
    };
    match s.password() {
        Ok(p) if p.0.is_empty() => {
            let m = format!("the SMTP password ({}) is empty", s.password_source());
            report.problem(cfg, key, m);
            false
        }
        Ok(_) => true,
        Err(e) => {
            report.problem(cfg, key, format!("SMTP password: {e}"));
            false
        }
    }
}

async fn database(cfg: &Config, report: &mut Report) {
    let url = &cfg.database.url;
    let result = match tokio::time::timeout(DATABASE_TIMEOUT, reachable(url)).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {} s", DATABASE_TIMEOUT.as_secs())),
    };
    match result {
        Ok(note) => report
            .ok
            .push(format!("database: {} ({note})", mask_url(url))),
        Err(e) => {
            let message = format!("database {}: {e}", mask_url(url));
            report.problem(cfg, "database.url", message);
        }
    }
}

/// Whether `run` can open the database, without creating or migrating it.
async fn reachable(url: &str) -> Result<&'static str, String> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        return sqlite_usable(path.trim_start_matches("//"));
    }
    use sqlx::Connection;
    let conn = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let _ = conn.close().await;
    Ok("reachable")
}

/// An existing SQLite file must open for reading and writing; a missing one needs a place
/// where `run` can create it (and the directories on the way).
fn sqlite_usable(path: &str) -> Result<&'static str, String> {
    if path == ":memory:" {
        return Ok("in memory");
    }
    let path = Path::new(path);
    if path.exists() {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| format!("cannot open {} for writing: {e}", path.display()))?;
        return Ok("exists");
    }
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        dir = d.parent();
    }
    let dir = dir
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() && !m.permissions().readonly() => Ok("will be created"),
        Ok(_) => Err(format!(
            "cannot be created: {} is not a writable directory",
            dir.display()
        )),
        Err(e) => Err(format!("cannot be created in {}: {e}", dir.display())),
    }
}

/// `[digest] audiences` must name groups that exist: in `[[groups]]`, or made with `outloud
/// group add` (looked up in the database, when it already exists).
async fn digest_audiences(cfg: &Config, report: &mut Report) {
    let in_file = |slug: &str| cfg.groups.iter().any(|g| g.slug.as_str() == slug);
    if cfg.digest.unknown_groups(in_file).is_empty() {
        return;
    }
    let stored = tokio::time::timeout(DATABASE_TIMEOUT, stored_groups(&cfg.database.url))
        .await
        .unwrap_or_default();
    let known = |slug: &str| in_file(slug) || stored.iter().any(|s| s == slug);
    for (entry, slug) in cfg.digest.unknown_groups(known) {
        report.problem(
            cfg,
            "digest.audiences",
            unknown_group_message(&entry, &slug),
        );
    }
}

/// What `run` and `check-config` say about an audience of a group that does not exist.
pub fn unknown_group_message(entry: &str, slug: &str) -> String {
    format!(
        "{entry:?} names group {slug:?}, which is neither in [[groups]] nor in the database \
         (`outloud group list`)"
    )
}

/// The slugs of the groups in the database, read without creating or migrating it; none when
/// it cannot be read (a new database: `database.url` reports why when it is a problem).
async fn stored_groups(url: &str) -> Vec<String> {
    use sqlx::Connection;
    const Q: &str = "SELECT slug FROM groups";
    if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.trim_start_matches("//");
        if path == ":memory:" || !Path::new(path).exists() {
            return Vec::new();
        }
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .read_only(true);
        let Ok(mut conn) = sqlx::SqliteConnection::connect_with(&opts).await else {
            return Vec::new();
        };
        let slugs = sqlx::query_scalar::<_, String>(Q)
            .fetch_all(&mut conn)
            .await;
        let _ = conn.close().await;
        return slugs.unwrap_or_default();
    }
    let Ok(mut conn) = sqlx::PgConnection::connect(url).await else {
        return Vec::new();
    };
    let slugs = sqlx::query_scalar::<_, String>(Q)
        .fetch_all(&mut conn)
        .await;
    let _ = conn.close().await;
    slugs.unwrap_or_default()
}

fn web(cfg: &Config, report: &mut Report) {
    let bind = &cfg.web.bind;
    match std::net::TcpListener::bind(bind) {
        Ok(_) => report.ok.push(format!("web: {bind} is free")),
        Err(e) => {
            let hint = match e.kind() {
                std::io::ErrorKind::AddrInUse => " (is outloud already running?)",
                _ => "",
            };
            let message = format!("cannot listen on {bind}: {e}{hint}");
            report.problem(cfg, "web.bind", message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str, env: &[(&str, &str)]) -> (tempfile::TempDir, Config) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("outloud.toml");
        std::fs::write(&p, text).unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        (dir, Config::load_with(Some(&p), &env).unwrap())
    }

    #[tokio::test]
    async fn every_problem_run_would_hit_is_listed() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let bind = taken.local_addr().unwrap();
        let text = format!(
            "[database]\nurl = \"sqlite:/proc/outloud-nowhere/x.db\"\n[web]\nbind = \"{bind}\"\n\
             [[mailboxes]]\nname = \"corp\"\nhost = \"h\"\nuser = \"u\"\n\
             password_env = \"OUTLOUD_PREFLIGHT_TEST_UNSET\"\nca_file = \"/nonexistent/ca.pem\"\n"
        );
        let (_d, cfg) = config(&text, &[]);
        let report = check(&cfg).await;
        let keys: Vec<&str> = report.problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "mailboxes[0].password_env",
                "mailboxes[0].ca_file",
                "database.url",
                "web.bind"
            ],
            "{:?}",
            report.problems
        );
        let text = report
            .problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            text.contains("OUTLOUD_PREFLIGHT_TEST_UNSET is not set"),
            "{text}"
        );
        assert!(text.contains("outloud.toml: key `web.bind`"), "{text}");
    }

    #[tokio::test]
    async fn digest_audiences_must_name_existing_groups() {
        let dir = tempfile::tempdir().unwrap();
        let db = format!(
            "[database]\nurl = \"sqlite:{}/x.db\"\n",
            dir.path().display()
        );
        // `outloud group add ops` made a group the file does not declare.
        let (_d, first) = config(
            &format!("{db}[[groups]]\nslug = \"ops\"\naddresses = [\"ops@corp.example\"]\n"),
            &[],
        );
        drop(crate::daemon::open_store(&first).await.unwrap());
        let text = format!(
            "{db}[web]\nbind = \"127.0.0.1:0\"\n[[groups]]\nslug = \"eng\"\naddresses = [\"eng@corp.example\"]\n\
             [digest]\naudiences = [\"eng:*@corp.example\", \"ops:*@corp.example\", \"egn:*@corp.example\"]\n"
        );
        let (_d2, cfg) = config(&text, &[]);
        let report = check(&cfg).await;
        let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("key `digest.audiences`")
                && problems[0].contains("\"egn:*@corp.example\" names group \"egn\""),
            "{problems:?}"
        );
        // `run` (and the digest commands) stop at it too, naming the key and the slug.
        let store = crate::daemon::open_store(&cfg).await.unwrap();
        let e = crate::daemon::check_audience_groups(&cfg, store.as_ref())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("key `digest.audiences`") && e.contains("names group \"egn\""),
            "{e}"
        );
    }

    #[tokio::test]
    async fn oauth2_secrets_and_keys_are_checked_without_asking_for_a_token() {
        let dir = tempfile::tempdir().unwrap();
        let sa = dir.path().join("sa.json");
        let key = include_str!("../tests/fixtures/oauth/test-rsa-key.pem");
        let json = serde_json::json!({"type": "service_account", "client_email": "sa@p.iam.gserviceaccount.com", "private_key": key});
        std::fs::write(&sa, json.to_string()).unwrap();
        let text = format!(
            "[database]\nurl = \"sqlite:{dir}/x.db\"\n[web]\nbind = \"127.0.0.1:0\"\n\
             [[mailboxes]]\nname = \"m365\"\nhost = \"outlook.office365.com\"\nuser = \"eng@corp.example\"\nauth = \"xoauth2\"\n\
             [mailboxes.oauth2]\nprovider = \"microsoft\"\ntenant = \"t\"\nclient_id = \"c\"\nclient_secret_env = \"OUTLOUD_PREFLIGHT_TEST_NO_SECRET\"\n\
             [[mailboxes]]\nname = \"gws\"\nhost = \"imap.gmail.com\"\nuser = \"eng@corp.example\"\nauth = \"xoauth2\"\n\
             [mailboxes.oauth2]\nprovider = \"google\"\nservice_account_file = {sa:?}\n",
            dir = dir.path().display(),
            sa = sa.display().to_string(),
        );
        let (_d, cfg) = config(&text, &[]);
        let report = check(&cfg).await;
        let keys: Vec<&str> = report.problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            ["mailboxes[0].oauth2.client_secret_env"],
            "{:?}",
            report.problems
        );
        let problem = report.problems[0].to_string();
        assert!(
            problem.contains("mailbox m365: OAuth2 (microsoft tenant t, client c (client secret))")
                && problem.contains("OUTLOUD_PREFLIGHT_TEST_NO_SECRET is not set"),
            "{problem}"
        );
        assert!(
            report.ok.iter().any(|l| l.starts_with("mailbox gws:")
                && l.contains("XOAUTH2 with a token from google service account")),
            "{:?}",
            report.ok
        );
    }

    #[tokio::test]
    async fn a_runnable_configuration_has_no_problem() {
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "secret\n").unwrap();
        let text = format!(
            "[database]\nurl = \"sqlite:{}/new/dir/outloud.db\"\n[web]\nbind = \"127.0.0.1:0\"\n\
             [[mailboxes]]\nname = \"corp\"\nhost = \"h\"\nuser = \"u\"\npassword_file = {:?}\n",
            dir.path().display(),
            pw.display().to_string()
        );
        let (_d, cfg) = config(&text, &[]);
        let report = check(&cfg).await;
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert!(
            report.ok.iter().any(|l| l.contains("will be created")),
            "{:?}",
            report.ok
        );
        assert!(!dir.path().join("new").exists(), "checking creates nothing");
    }
}
