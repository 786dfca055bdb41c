//! The `[smtp]` section: where outloud submits the mail it sends (the outbox), as whom, and how
//! politely. Unset `host` means outloud sends nothing: mail stays queued in the outbox.

use std::path::PathBuf;

use super::keys::{choice, settings};
use super::oauth2::read_secret;
use super::{secret_source, IdentityConfig, OAuth2Config, Secret, TlsMode};
use crate::core::compose::Sender;

/// How outloud authenticates to the submission server. Microsoft 365 and Google Workspace turn
/// password SMTP AUTH off: there a token from `[smtp.oauth2]` (the same token sources as a
/// `[[mailboxes]]` entry) goes out as SASL XOAUTH2 or OAUTHBEARER. `smtp::Credentials` is the
/// one place that turns this choice into what the connection sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpAuth {
    /// AUTH PLAIN or LOGIN with `user` and the password from `password_env`/`password_file`.
    Password,
    /// AUTH XOAUTH2 with a token from `[smtp.oauth2]` (Exchange Online, Gmail, Dovecot).
    Xoauth2,
    /// AUTH OAUTHBEARER (RFC 7628) with a token from `[smtp.oauth2]`.
    Oauthbearer,
    /// No AUTH: a relay that trusts this host (e.g. by its address).
    None,
}

choice!(SmtpAuth {
    "password" => SmtpAuth::Password,
    "xoauth2" => SmtpAuth::Xoauth2,
    "oauthbearer" => SmtpAuth::Oauthbearer,
    "none" => SmtpAuth::None,
});

settings! {
    section
    #[derive(Clone, PartialEq)]
    pub struct SmtpConfig {
        /// The submission server. Unset: outloud sends no mail (queued mail waits).
        host: Option<String> = None,
        /// Default: 587 for STARTTLS, 465 for implicit TLS, 25 without TLS.
        port: Option<u16> = None,
        tls: TlsMode = TlsMode::Starttls,
        /// Allow `tls = "none"` to a host that is not on loopback.
        allow_insecure: bool = false,
        /// PEM file of an extra CA to trust (a private CA or a self-signed server certificate).
        ca_file: Option<PathBuf> = None,
        /// "password", "xoauth2" / "oauthbearer" with a token from `[smtp.oauth2]`, or "none".
        auth: SmtpAuth = SmtpAuth::Password,
        /// The login; with OAuth2 the mailbox sent from (the token says who may use it).
        user: Option<String> = None,
        /// Where OAuth2 tokens come from (with `auth = "xoauth2"` or `"oauthbearer"`): the
        /// keys of `[mailboxes.oauth2]`.
        oauth2: Option<OAuth2Config> = None,
        /// Environment variable holding the password.
        password_env: Option<String> = None,
        /// File whose first line is the password.
        password_file: Option<PathBuf> = None,
        /// From address of every mail outloud sends (default: the first `[identity]` address).
        from: Option<String> = None,
        /// Display name in From.
        from_name: String = "outloud".into(),
        /// Domain of the Message-IDs outloud gives its mail (default: the From domain).
        message_id_domain: Option<String> = None,
        /// Return path; each delivery goes out as `LOCAL+TOKEN@DOMAIN` (VERP), so a bounce
        /// names the mail and recipient it is about (default: `bounces@<message_id_domain>`).
        bounce_address: Option<String> = None,
        /// Mails started per minute (0: no limit). Exchange Online accepts 30 per mailbox.
        rate_per_minute: u32 = 30,
        /// Seconds to wait for the server at each step before giving the attempt up.
        timeout_secs: u64 = 30,
        /// A delivery the server keeps deferring (4xx) is given up after this many hours.
        retry_hours: u64 = 48,
        /// Seconds between looks at the outbox when nothing is due.
        poll_secs: u64 = 5,
        /// Name in EHLO (default: this machine's hostname).
        helo_name: Option<String> = None,
    }
}

impl std::fmt::Debug for SmtpConfig {
    // The password never lives here, but say where it comes from.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port())
            .field("tls", &self.tls)
            .field("auth", &self.auth)
            .field("user", &self.user)
            .field("oauth2", &self.oauth2)
            .field("password_env", &self.password_env)
            .field("password_file", &self.password_file)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl SmtpConfig {
    /// True when outloud should send mail at all.
    pub fn enabled(&self) -> bool {
        self.host.as_deref().is_some_and(|h| !h.trim().is_empty())
    }

    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            TlsMode::Starttls => 587,
            TlsMode::Implicit => 465,
            TlsMode::None => 25,
        })
    }

    /// Read the password from the environment variable or file the config names.
    pub fn password(&self) -> Result<Secret, String> {
        read_secret(self.password_env.as_deref(), self.password_file.as_deref())
    }

    /// Where the password comes from, as the key that says so: `password_env = "VAR"`.
    pub fn password_source(&self) -> String {
        secret_source(self.password_env.as_deref(), self.password_file.as_deref())
    }

    /// Whether the login is an OAuth2 token.
    pub fn uses_oauth2(&self) -> bool {
        matches!(self.auth, SmtpAuth::Xoauth2 | SmtpAuth::Oauthbearer)
    }
}

impl SmtpConfig {
    /// Who outloud sends as, from `[smtp]` and `[identity]`; an error names the key and says
    /// why.
    pub fn sender(&self, identity: &IdentityConfig) -> Result<Sender, (&'static str, String)> {
        let smtp = self;
        let from = match (&smtp.from, identity.addresses.first()) {
            (Some(f), _) => f.trim().to_ascii_lowercase(),
            (None, Some(a)) => a.trim().to_ascii_lowercase(),
            (None, None) => {
                return Err((
                    "smtp.from",
                    "set a From address (or [identity] addresses)".into(),
                ))
            }
        };
        let Some((_, from_domain)) = split_address(&from) else {
            return Err((
                "smtp.from",
                format!("{from:?} is not an address such as outloud@corp.example"),
            ));
        };
        let domain = match &smtp.message_id_domain {
            Some(d) => d.trim().to_ascii_lowercase(),
            None => from_domain.to_string(),
        };
        if !is_domain(&domain) {
            let m = format!("{domain:?} is not a domain such as corp.example");
            return Err(("smtp.message_id_domain", m));
        }
        let bounce = match &smtp.bounce_address {
            Some(b) => b.trim().to_ascii_lowercase(),
            None => format!("bounces@{domain}"),
        };
        match split_address(&bounce) {
            Some((local, _)) if !local.contains('+') => {}
            Some(_) => {
                let m =
                    format!("{bounce:?}: the local part must have no '+' (outloud adds +TOKEN)");
                return Err(("smtp.bounce_address", m));
            }
            None => {
                return Err((
                    "smtp.bounce_address",
                    format!("{bounce:?} is not an address"),
                ))
            }
        }
        Ok(Sender {
            from,
            from_name: smtp.from_name.trim().to_string(),
            message_id_domain: domain,
            bounce_address: bounce,
            loop_marker: identity.loop_marker.clone(),
        })
    }
}

/// `local@domain` with both parts non-empty, no spaces and a dotted or plain domain.
fn split_address(a: &str) -> Option<(&str, &str)> {
    let (local, domain) = a.rsplit_once('@')?;
    (!local.is_empty() && !local.contains(char::is_whitespace) && is_domain(domain))
        .then_some((local, domain))
}

fn is_domain(d: &str) -> bool {
    !d.is_empty()
        && d.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp(text: &str) -> SmtpConfig {
        use crate::config::keys::Section;
        SmtpConfig::from_table(&toml::from_str(text).unwrap()).unwrap()
    }

    #[test]
    fn sender_defaults_come_from_identity_and_from() {
        let id = IdentityConfig {
            addresses: vec!["Outloud@Corp.Example".into()],
            loop_marker: "corp-1".into(),
        };
        let s = smtp("host = \"h\"").sender(&id).unwrap();
        assert_eq!(s.from, "outloud@corp.example");
        assert_eq!(s.message_id_domain, "corp.example");
        assert_eq!(s.bounce_address, "bounces@corp.example");
        assert_eq!(s.loop_marker, "corp-1");
        let s =
            smtp("from = \"news@mail.corp.example\"\nmessage_id_domain = \"outloud.corp.example\"")
                .sender(&id)
                .unwrap();
        assert_eq!(s.bounce_address, "bounces@outloud.corp.example");
        assert_eq!(s.from, "news@mail.corp.example");
    }

    #[test]
    fn bad_identities_name_their_key() {
        let id = IdentityConfig::default();
        let err = |t: &str| smtp(t).sender(&id).unwrap_err().0;
        assert_eq!(err("from = \"nobody\""), "smtp.from");
        assert_eq!(err("message_id_domain = \"a b\""), "smtp.message_id_domain");
        assert_eq!(
            err("bounce_address = \"b+x@corp.example\""),
            "smtp.bounce_address"
        );
        assert_eq!(
            err("bounce_address = \"corp.example\""),
            "smtp.bounce_address"
        );
    }

    #[test]
    fn ports_follow_tls() {
        assert_eq!(smtp("").port(), 587);
        assert_eq!(smtp("tls = \"implicit\"").port(), 465);
        assert_eq!(smtp("tls = \"none\"").port(), 25);
        assert_eq!(smtp("port = 2525").port(), 2525);
        assert!(!smtp("").enabled());
        assert!(smtp("host = \"smtp.corp.example\"").enabled());
    }
}
