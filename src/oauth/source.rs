//! [`TokenSource`]: where a mailbox's access tokens come from, cached until shortly before they
//! expire. One per `[mailboxes.oauth2]` block, shared by every connection to that mailbox, so
//! its folders' watchers fetch one token between them.

use std::path::Path;
use std::time::Duration;

use tokio::sync::Mutex;
use url::Url;

use super::cache::{self, Token};
use super::grant::{self, Answer, MicrosoftCredential, ServiceAccount};
use super::http::{post_form, FormPost};
use super::jwt::{cert_der_from_pem, Signer};
use super::OAuthError;
use crate::config::oauth2::{ClientAuth, Grant, OAuth2Config, Provider};
use crate::config::Secret;

/// How long a token command may run.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// A provider's tokens for one login, cached.
pub struct TokenSource {
    cfg: OAuth2Config,
    /// The mailbox the tokens are for (Google's subject unless `subject` says otherwise).
    user: String,
    cache: Mutex<Cached>,
}

/// Where a token handed out came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Cache,
    /// Just fetched.
    Provider,
}

#[derive(Default)]
struct Cached {
    token: Option<Token>,
    /// A refresh token the server handed out in place of the configured one (rotation).
    refresh_token: Option<Secret>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("provider", &self.cfg.provider)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

fn setup(key: &'static str, what: &str, message: impl Into<String>) -> OAuthError {
    OAuthError::Setup {
        key,
        what: what.into(),
        message: message.into(),
    }
}

fn read_file(key: &'static str, what: &str, path: &Path) -> Result<String, OAuthError> {
    std::fs::read_to_string(path)
        .map_err(|e| setup(key, what, format!("cannot read {}: {e}", path.display())))
}

impl TokenSource {
    /// Tokens as `cfg` says, for the login `user`.
    pub fn new(cfg: &OAuth2Config, user: &str) -> TokenSource {
        TokenSource {
            cfg: cfg.clone(),
            user: user.to_string(),
            cache: Mutex::new(Cached::default()),
        }
    }

    /// A token good at `now`: the cached one while fresh, else a new one from the provider.
    pub async fn token(&self, now: i64) -> Result<Token, OAuthError> {
        self.token_with_origin(now).await.map(|(t, _)| t)
    }

    /// [`TokenSource::token`], saying whether it came from the cache (a server that refuses
    /// a cached token may have revoked it: fetching a new one is worth a try).
    pub async fn token_with_origin(&self, now: i64) -> Result<(Token, Origin), OAuthError> {
        let mut cached = self.cache.lock().await;
        if let Some(t) = cache::usable(cached.token.as_ref(), now) {
            return Ok((t.clone(), Origin::Cache));
        }
        let answer = self.fetch(now, cached.refresh_token.clone()).await?;
        if let Some(rotated) = answer.refresh_token.clone() {
            self.keep_refresh_token(&rotated);
            cached.refresh_token = Some(rotated);
        }
        let token = Token::new(answer.token, now, answer.lifetime_secs);
        tracing::debug!(
            provider = self.cfg.provider.as_str(),
            expires_at = token.expires_at,
            "got an OAuth2 token"
        );
        cached.token = Some(token.clone());
        Ok((token, Origin::Provider))
    }

    /// Forget the cached token (the server refused it): the next call fetches a new one.
    pub async fn invalidate(&self) {
        self.cache.lock().await.token = None;
    }

    /// Where tokens come from, for logs and `check-config`: `microsoft tenant T, client C
    /// (certificate)`.
    pub fn describe(&self) -> String {
        let c = &self.cfg;
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        match c.provider {
            Provider::Microsoft => format!(
                "microsoft tenant {}, client {} ({})",
                opt(&c.tenant),
                opt(&c.client_id),
                if c.certificate_file.is_some() {
                    "certificate"
                } else {
                    "client secret"
                }
            ),
            Provider::Google => format!(
                "google service account {}, for {}",
                c.service_account_file
                    .as_deref()
                    .unwrap_or(Path::new(""))
                    .display(),
                self.subject()
            ),
            Provider::Generic => format!("{} at {}", c.grant.as_str(), opt(&c.token_url)),
            Provider::Command => {
                format!("command {}", c.command.first().cloned().unwrap_or_default())
            }
        }
    }

    /// Read every secret, key and file a token request will need, without asking the
    /// provider: what `check-config` and the daemon's start check.
    pub fn check(&self) -> Result<(), OAuthError> {
        match self.cfg.provider {
            Provider::Microsoft => self.microsoft_credential().map(drop),
            Provider::Google => self.service_account().map(drop),
            Provider::Generic => {
                self.client_secret()?;
                if self.cfg.grant == Grant::RefreshToken {
                    self.configured_refresh_token()?;
                }
                Ok(())
            }
            Provider::Command => find_program(&self.cfg.command[0])
                .map(drop)
                .map_err(|m| setup("command", "token command", m)),
        }
    }

    fn subject(&self) -> &str {
        self.cfg.subject.as_deref().unwrap_or(&self.user)
    }

    fn client_secret(&self) -> Result<Option<Secret>, OAuthError> {
        let key = match self.cfg.client_secret_env {
            Some(_) => "client_secret_env",
            None => "client_secret_file",
        };
        match self.cfg.client_secret() {
            None => Ok(None),
            Some(Ok(s)) if s.0.is_empty() => Err(setup(key, "client secret", "is empty")),
            Some(Ok(s)) => Ok(Some(s)),
            Some(Err(m)) => Err(setup(key, "client secret", m)),
        }
    }

    fn configured_refresh_token(&self) -> Result<Secret, OAuthError> {
        let key = match self.cfg.refresh_token_env {
            Some(_) => "refresh_token_env",
            None => "refresh_token_file",
        };
        match self.cfg.refresh_token() {
            Ok(s) if s.0.is_empty() => Err(setup(key, "refresh token", "is empty")),
            Ok(s) => Ok(s),
            Err(m) => Err(setup(key, "refresh token", m)),
        }
    }

    fn microsoft_credential(&self) -> Result<MicrosoftCredential, OAuthError> {
        if let Some(secret) = self.client_secret()? {
            return Ok(MicrosoftCredential::Secret(secret));
        }
        let (Some(cert), Some(key)) = (&self.cfg.certificate_file, &self.cfg.certificate_key_file)
        else {
            return Err(setup(
                "client_secret_env",
                "client credential",
                "no secret or certificate",
            ));
        };
        let what = "certificate";
        let cert_der = cert_der_from_pem(read_file("certificate_file", what, cert)?.as_bytes())
            .map_err(|m| setup("certificate_file", what, format!("{}: {m}", cert.display())))?;
        let what = "certificate key";
        let signer = Signer::from_pem(read_file("certificate_key_file", what, key)?.as_bytes())
            .map_err(|m| {
                setup(
                    "certificate_key_file",
                    what,
                    format!("{}: {m}", key.display()),
                )
            })?;
        let signer = Box::new(signer);
        Ok(MicrosoftCredential::Certificate { cert_der, signer })
    }

    fn service_account(&self) -> Result<(ServiceAccount, Signer), OAuthError> {
        let key = "service_account_file";
        let path = self
            .cfg
            .service_account_file
            .as_deref()
            .unwrap_or(Path::new(""));
        let what = "service account key file";
        let in_file = |m: String| setup(key, what, format!("{}: {m}", path.display()));
        let sa = ServiceAccount::parse(&read_file(key, what, path)?).map_err(in_file)?;
        let signer = Signer::from_pem(sa.private_key.as_bytes()).map_err(in_file)?;
        Ok((sa, signer))
    }

    /// Ask the provider. `refresh` is a rotated refresh token to use instead of the configured
    /// one.
    async fn fetch(&self, now: i64, refresh: Option<Secret>) -> Result<Answer, OAuthError> {
        let cfg = &self.cfg;
        let scope = cfg.scope().unwrap_or_default();
        let (url, form, basic) = match cfg.provider {
            Provider::Command => return self.run_command().await,
            Provider::Microsoft => {
                let tenant = cfg.tenant.as_deref().unwrap_or_default();
                let url = grant::microsoft_token_url(&cfg.authority, tenant);
                let client_id = cfg.client_id.as_deref().unwrap_or_default();
                let credential = self.microsoft_credential()?;
                let form = grant::microsoft_form(client_id, scope, &url, &credential, now)
                    .map_err(|m| setup("certificate_key_file", "client assertion", m))?;
                (url, form, None)
            }
            Provider::Google => {
                let (sa, signer) = self.service_account()?;
                let form = grant::google_form(&sa, &signer, scope, self.subject(), now)
                    .map_err(|m| setup("service_account_file", "service account JWT", m))?;
                (sa.token_url().to_string(), form, None)
            }
            Provider::Generic => self.generic_request(scope, refresh)?,
        };
        let parsed = Url::parse(&url).map_err(|e| OAuthError::Unreachable {
            url: url.clone(),
            message: format!("not a URL: {e}"),
        })?;
        let basic = basic
            .as_ref()
            .map(|(id, s): &(String, Secret)| (id.as_str(), s));
        let post = FormPost {
            url: &parsed,
            form,
            basic,
            ca_file: cfg.ca_file.as_deref(),
        };
        let (status, body) = post_form(&post)
            .await
            .map_err(|message| OAuthError::Unreachable {
                url: url.clone(),
                message,
            })?;
        grant::read_answer(&url, status, &body)
    }

    /// URL, form and Basic credentials of a generic endpoint's request.
    #[allow(clippy::type_complexity)] // a one-off triple, named where it is taken apart
    fn generic_request(
        &self,
        scope: &str,
        refresh: Option<Secret>,
    ) -> Result<
        (
            String,
            Vec<(&'static str, String)>,
            Option<(String, Secret)>,
        ),
        OAuthError,
    > {
        let cfg = &self.cfg;
        let client_id = cfg.client_id.clone().unwrap_or_default();
        let mut form = match cfg.grant {
            Grant::ClientCredentials => vec![("grant_type", "client_credentials".to_string())],
            Grant::RefreshToken => {
                let token = match refresh {
                    Some(t) => t,
                    None => self.configured_refresh_token()?,
                };
                vec![
                    ("grant_type", "refresh_token".into()),
                    ("refresh_token", token.0),
                ]
            }
        };
        if !scope.is_empty() {
            form.push(("scope", scope.to_string()));
        }
        let basic = match (self.client_secret()?, cfg.client_auth) {
            (Some(secret), ClientAuth::Basic) => Some((client_id, secret)),
            (Some(secret), ClientAuth::Post) => {
                form.push(("client_id", client_id));
                form.push(("client_secret", secret.0));
                None
            }
            // A public client (refresh token only) names itself.
            (None, _) => {
                form.push(("client_id", client_id));
                None
            }
        };
        Ok((cfg.token_url.clone().unwrap_or_default(), form, basic))
    }

    /// Run the token command (no shell) and read what it printed.
    async fn run_command(&self) -> Result<Answer, OAuthError> {
        let argv = &self.cfg.command;
        let program = argv[0].clone();
        let fail = |message: String| OAuthError::Command {
            program: program.clone(),
            message,
        };
        let child = tokio::process::Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        let out = match tokio::time::timeout(COMMAND_TIMEOUT, child).await {
            Err(_) => {
                return Err(fail(format!(
                    "no token within {} s",
                    COMMAND_TIMEOUT.as_secs()
                )))
            }
            Ok(Err(e)) => return Err(fail(format!("cannot run it: {e}"))),
            Ok(Ok(out)) => out,
        };
        if !out.status.success() {
            let stderr = grant::excerpt(&String::from_utf8_lossy(&out.stderr));
            return Err(fail(format!("{}: {stderr}", out.status)));
        }
        let lifetime = i64::try_from(self.cfg.command_lifetime_secs).unwrap_or(i64::MAX);
        grant::read_command_output(&String::from_utf8_lossy(&out.stdout), lifetime).map_err(fail)
    }

    /// A rotated refresh token replaces the one in `refresh_token_file`, so a restart does not
    /// fall back to one the server no longer takes; from a variable it lives in memory only.
    fn keep_refresh_token(&self, token: &Secret) {
        let Some(path) = &self.cfg.refresh_token_file else {
            tracing::info!("the token endpoint rotated the refresh token: kept in memory (set refresh_token_file to keep it across restarts)");
            return;
        };
        let tmp = path.with_extension("outloud-new");
        let written = std::fs::write(&tmp, format!("{}\n", token.0))
            .and_then(|()| std::fs::rename(&tmp, path));
        match written {
            Ok(()) => {
                tracing::info!(file = %path.display(), "the token endpoint rotated the refresh token: saved")
            }
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "the token endpoint rotated the refresh token but it could not be saved: kept in memory")
            }
        }
    }
}

/// The program a command names: a path as given, else the first match on `PATH`.
fn find_program(name: &str) -> Result<std::path::PathBuf, String> {
    let is_file = |p: &Path| p.is_file();
    if name.contains('/') {
        let p = Path::new(name);
        return match is_file(p) {
            true => Ok(p.to_path_buf()),
            false => Err(format!("{name}: no such file")),
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_file(p))
        .ok_or_else(|| format!("{name}: not found on PATH"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::keys::Section;

    fn cfg(text: &str) -> OAuth2Config {
        OAuth2Config::from_table(&toml::from_str(text).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn a_command_token_is_cached_until_renewal() {
        let dir = tempfile::tempdir().unwrap();
        let counter = dir.path().join("n");
        let script = format!(
            "echo x >> {0}; printf '{{\"access_token\":\"t%s\",\"expires_in\":40}}' $(wc -l < {0})",
            counter.display()
        );
        let source = TokenSource::new(
            &cfg(&format!(
                "provider = \"command\"\ncommand = [\"sh\", \"-c\", {script:?}]\n"
            )),
            "u",
        );
        let (first, origin) = source.token_with_origin(1000).await.unwrap();
        assert_eq!((first.secret.0.as_str(), origin), ("t1", Origin::Provider));
        assert_eq!(first.expires_at, 1040);
        let (again, origin) = source.token_with_origin(1029).await.unwrap();
        assert_eq!((again.secret.0.as_str(), origin), ("t1", Origin::Cache));
        assert_eq!(
            source.token(1030).await.unwrap().secret.0,
            "t2",
            "renewed 10 s early"
        );
        source.invalidate().await;
        assert_eq!(source.token(1031).await.unwrap().secret.0, "t3");
    }

    #[tokio::test]
    async fn a_failing_command_says_so() {
        let source = TokenSource::new(
            &cfg("provider = \"command\"\ncommand = [\"sh\", \"-c\", \"echo nope >&2; exit 3\"]\n"),
            "u",
        );
        let e = source.token(0).await.unwrap_err().to_string();
        assert!(
            e.starts_with("token command sh: exit status: 3: nope"),
            "{e}"
        );
    }

    #[test]
    fn missing_secrets_are_named_by_their_key() {
        let s = TokenSource::new(
            &cfg("provider = \"microsoft\"\ntenant = \"t\"\nclient_id = \"c\"\nclient_secret_env = \"OUTLOUD_TEST_UNSET_SECRET\"\n"),
            "u",
        );
        let e = s.check().unwrap_err();
        assert!(matches!(
            e,
            OAuthError::Setup {
                key: "client_secret_env",
                ..
            }
        ));
        assert!(
            e.to_string()
                .contains("OUTLOUD_TEST_UNSET_SECRET is not set"),
            "{e}"
        );
        assert!(e.is_refusal());
        let s = TokenSource::new(
            &cfg("provider = \"google\"\nservice_account_file = \"/nonexistent/sa.json\"\n"),
            "group@corp.example",
        );
        assert!(s
            .check()
            .unwrap_err()
            .to_string()
            .contains("/nonexistent/sa.json"));
        assert!(s.describe().ends_with("for group@corp.example"));
        let s = TokenSource::new(
            &cfg("provider = \"command\"\ncommand = [\"no-such-program-x\"]\n"),
            "u",
        );
        assert!(s
            .check()
            .unwrap_err()
            .to_string()
            .contains("not found on PATH"));
    }
}
