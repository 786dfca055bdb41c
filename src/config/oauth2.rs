//! `[mailboxes.oauth2]`: where a mailbox's OAuth2 access tokens come from. One block of keys
//! for every provider (unused keys of another provider are refused), so the same block can
//! later serve outgoing mail too. Secrets are never here: a client secret or refresh token
//! comes from an environment variable or a file, keys from files.

use std::path::{Path, PathBuf};

use super::keys::{choice, settings, Raw, Section, Setting};
use super::Secret;

/// Who issues the tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Microsoft Entra ID, client credentials (Exchange Online).
    Microsoft,
    /// A Google service account with domain-wide delegation (Google Workspace).
    Google,
    /// Any OAuth2 token endpoint: client credentials or a refresh token.
    Generic,
    /// A command that prints a token.
    Command,
}

choice!(Provider {
    "microsoft" => Provider::Microsoft,
    "google" => Provider::Google,
    "generic" => Provider::Generic,
    "command" => Provider::Command,
});

/// The grant a generic token endpoint is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    ClientCredentials,
    RefreshToken,
}

choice!(Grant {
    "client_credentials" => Grant::ClientCredentials,
    "refresh_token" => Grant::RefreshToken,
});

/// How a generic client proves who it is (RFC 6749 section 2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// HTTP Basic (`client_secret_basic`), which every server must support.
    Basic,
    /// `client_id` and `client_secret` in the form (`client_secret_post`).
    Post,
}

choice!(ClientAuth { "basic" => ClientAuth::Basic, "post" => ClientAuth::Post });

/// Microsoft's public cloud; national clouds have their own (login.microsoftonline.us, ...).
pub const MICROSOFT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// Exchange Online's IMAP, POP and SMTP for app-only (client credentials) tokens.
pub const MICROSOFT_SCOPE: &str = "https://outlook.office365.com/.default";
/// Gmail over IMAP and SMTP.
pub const GOOGLE_SCOPE: &str = "https://mail.google.com/";

settings! {
    entry
    /// The keys of `[mailboxes.oauth2]`.
    #[derive(Clone, PartialEq)]
    pub struct OAuth2Config {
        provider: Provider,
        /// microsoft: the directory (tenant) ID or a verified domain.
        tenant: Option<String> = None,
        /// microsoft, generic: the application (client) ID.
        client_id: Option<String> = None,
        /// microsoft, generic: the variable holding the client secret, or:
        client_secret_env: Option<String> = None,
        /// a file whose first line is the client secret.
        client_secret_file: Option<PathBuf> = None,
        /// microsoft, instead of a secret: the certificate uploaded to the app registration
        /// (PEM) and its private key (PEM, PKCS#8 or PKCS#1 RSA).
        certificate_file: Option<PathBuf> = None,
        certificate_key_file: Option<PathBuf> = None,
        /// microsoft: the sign-in host (national clouds have their own).
        authority: String = MICROSOFT_AUTHORITY.into(),
        /// google: the service account's JSON key file.
        service_account_file: Option<PathBuf> = None,
        /// google: the mailbox acted for (default: the mailbox's `user`).
        subject: Option<String> = None,
        /// generic: the token endpoint.
        token_url: Option<String> = None,
        /// generic: "client_credentials" or "refresh_token".
        grant: Grant = Grant::ClientCredentials,
        /// generic, grant = "refresh_token": the variable holding the refresh token, or:
        refresh_token_env: Option<String> = None,
        /// a file whose first line is the refresh token.
        refresh_token_file: Option<PathBuf> = None,
        /// generic: "basic" or "post".
        client_auth: ClientAuth = ClientAuth::Basic,
        /// The scope asked for (default: microsoft's or google's mail scope; generic: none).
        scope: Option<String> = None,
        /// command: the program and its arguments (no shell). It prints the token, or a JSON
        /// object with `access_token` and `expires_in`.
        command: Vec<String> = Vec::new(),
        /// command: how long a printed token without `expires_in` is used.
        command_lifetime_secs: u64 = 3000,
        /// PEM file of an extra CA to trust for the token endpoint.
        ca_file: Option<PathBuf> = None,
    }
}

impl std::fmt::Debug for OAuth2Config {
    // Only names and paths live here; the command's arguments may carry anything, so only its
    // program is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2Config")
            .field("provider", &self.provider)
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("client_secret_env", &self.client_secret_env)
            .field("client_secret_file", &self.client_secret_file)
            .field("certificate_file", &self.certificate_file)
            .field("service_account_file", &self.service_account_file)
            .field("token_url", &self.token_url)
            .field("command", &self.command.first())
            .finish_non_exhaustive()
    }
}

/// A `[mailboxes.oauth2]` table in the file; in the environment only its keys one by one
/// (`OUTLOUD_MAILBOX_<NAME>_OAUTH2_<KEY>`).
impl Setting for OAuth2Config {
    fn read(raw: Raw<'_>) -> Result<Self, String> {
        Self::read_table(raw).map_err(|errors| {
            let lines: Vec<String> = errors
                .iter()
                .map(|(k, m)| format!("key `{k}`: {m}"))
                .collect();
            lines.join("; ")
        })
    }

    fn read_table(raw: Raw<'_>) -> Result<Self, Vec<(String, String)>> {
        match raw {
            Raw::Toml(toml::Value::Table(t)) => OAuth2Config::from_table(t),
            Raw::Toml(v) => Err(vec![(
                String::new(),
                format!("expected a table such as [mailboxes.oauth2], got {}", v.type_str()),
            )]),
            Raw::Env(_) => Err(vec![(
                String::new(),
                "a table: set its keys one by one (OUTLOUD_MAILBOX_<NAME>_OAUTH2_<KEY>) or in the file".into(),
            )]),
        }
    }

    fn as_section(&mut self) -> Option<&mut dyn Section> {
        Some(self)
    }
}

/// A secret from the environment variable `env`, else the first line of `file`.
pub fn read_secret(env: Option<&str>, file: Option<&Path>) -> Result<Secret, String> {
    if let Some(var) = env {
        return std::env::var(var)
            .map(Secret)
            .map_err(|_| format!("environment variable {var} is not set"));
    }
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        return Ok(Secret(text.lines().next().unwrap_or("").to_string()));
    }
    Err("no variable or file is configured".into())
}

impl OAuth2Config {
    /// The client secret, when one is configured.
    pub fn client_secret(&self) -> Option<Result<Secret, String>> {
        let (env, file) = (&self.client_secret_env, &self.client_secret_file);
        (env.is_some() || file.is_some()).then(|| read_secret(env.as_deref(), file.as_deref()))
    }

    /// The refresh token (generic provider, grant = "refresh_token").
    pub fn refresh_token(&self) -> Result<Secret, String> {
        read_secret(
            self.refresh_token_env.as_deref(),
            self.refresh_token_file.as_deref(),
        )
    }

    /// The variables this block names as holding secrets: never settings themselves.
    pub fn secret_vars(&self) -> impl Iterator<Item = &String> {
        self.client_secret_env
            .iter()
            .chain(self.refresh_token_env.iter())
    }

    /// The scope asked for: the configured one, else the provider's mail scope.
    pub fn scope(&self) -> Option<&str> {
        match (&self.scope, self.provider) {
            (Some(s), _) => Some(s),
            (None, Provider::Microsoft) => Some(MICROSOFT_SCOPE),
            (None, Provider::Google) => Some(GOOGLE_SCOPE),
            (None, _) => None,
        }
    }

    /// Every problem as (key within the block, message): keys a provider needs, keys it does
    /// not use, secrets given twice.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let p = self.provider.as_str();
        let need = |key: &'static str, set: bool, out: &mut Vec<(&'static str, String)>| {
            if !set {
                out.push((key, format!("provider = {p:?} needs {key}")));
            }
        };
        let secret_set = self.client_secret_env.is_some() || self.client_secret_file.is_some();
        if self.client_secret_env.is_some() && self.client_secret_file.is_some() {
            let m = "set either client_secret_env or client_secret_file, not both".into();
            out.push(("client_secret_file", m));
        }
        if self.refresh_token_env.is_some() && self.refresh_token_file.is_some() {
            let m = "set either refresh_token_env or refresh_token_file, not both".into();
            out.push(("refresh_token_file", m));
        }
        match self.provider {
            Provider::Microsoft => {
                need("tenant", self.tenant.is_some(), &mut out);
                need("client_id", self.client_id.is_some(), &mut out);
                self.microsoft_credential(secret_set, &mut out);
                check_url("authority", &self.authority, &mut out);
            }
            Provider::Google => {
                need(
                    "service_account_file",
                    self.service_account_file.is_some(),
                    &mut out,
                );
            }
            Provider::Generic => {
                need("client_id", self.client_id.is_some(), &mut out);
                match &self.token_url {
                    Some(url) => check_url("token_url", url, &mut out),
                    None => need("token_url", false, &mut out),
                }
                if self.grant == Grant::RefreshToken {
                    let set = self.refresh_token_env.is_some() || self.refresh_token_file.is_some();
                    need("refresh_token_env", set, &mut out);
                } else {
                    need("client_secret_env", secret_set, &mut out);
                }
            }
            Provider::Command => need("command", !self.command.is_empty(), &mut out),
        }
        out.extend(self.unused_keys());
        out
    }

    /// A client secret or a certificate with its key, not both.
    fn microsoft_credential(&self, secret_set: bool, out: &mut Vec<(&'static str, String)>) {
        let cert = self.certificate_file.is_some();
        let key = self.certificate_key_file.is_some();
        match (secret_set, cert || key) {
            (false, false) => out.push((
                "client_secret_env",
                "provider = \"microsoft\" needs a client secret (client_secret_env or client_secret_file) or a certificate (certificate_file and certificate_key_file)".into(),
            )),
            (true, true) => out.push((
                "certificate_file",
                "set a client secret or a certificate, not both".into(),
            )),
            (false, true) if cert != key => out.push((
                if cert { "certificate_key_file" } else { "certificate_file" },
                "a certificate needs both certificate_file and certificate_key_file".into(),
            )),
            _ => {}
        }
    }

    /// Keys set that the provider does not read: a sign of a mix-up, so they are refused.
    fn unused_keys(&self) -> Vec<(&'static str, String)> {
        use Provider::*;
        let set: [(&'static str, bool, &[Provider]); 13] = [
            ("tenant", self.tenant.is_some(), &[Microsoft]),
            ("client_id", self.client_id.is_some(), &[Microsoft, Generic]),
            (
                "client_secret_env",
                self.client_secret_env.is_some(),
                &[Microsoft, Generic],
            ),
            (
                "client_secret_file",
                self.client_secret_file.is_some(),
                &[Microsoft, Generic],
            ),
            (
                "certificate_file",
                self.certificate_file.is_some(),
                &[Microsoft],
            ),
            (
                "certificate_key_file",
                self.certificate_key_file.is_some(),
                &[Microsoft],
            ),
            (
                "authority",
                self.authority != MICROSOFT_AUTHORITY,
                &[Microsoft],
            ),
            (
                "service_account_file",
                self.service_account_file.is_some(),
                &[Google],
            ),
            ("subject", self.subject.is_some(), &[Google]),
            ("token_url", self.token_url.is_some(), &[Generic]),
            (
                "refresh_token_env",
                self.refresh_token_env.is_some(),
                &[Generic],
            ),
            (
                "refresh_token_file",
                self.refresh_token_file.is_some(),
                &[Generic],
            ),
            ("command", !self.command.is_empty(), &[Command]),
        ];
        set.iter()
            .filter(|(_, is_set, users)| *is_set && !users.contains(&self.provider))
            .map(|(key, _, _)| {
                let m = format!("not used by provider = {:?}", self.provider.as_str());
                (*key, m)
            })
            .collect()
    }
}

/// https, or http to a loopback host (a local token server).
fn check_url(key: &'static str, url: &str, out: &mut Vec<(&'static str, String)>) {
    match url::Url::parse(url) {
        Ok(u) if u.scheme() == "https" && u.host_str().is_some() => {}
        Ok(u) if u.scheme() == "http" && u.host_str().is_some_and(super::is_loopback_host) => {}
        Ok(u) if u.scheme() == "http" => out.push((
            key,
            format!("{url:?}: http sends secrets in clear; use https (http only to loopback)"),
        )),
        _ => out.push((key, format!("{url:?} is not an https:// URL"))),
    }
}
