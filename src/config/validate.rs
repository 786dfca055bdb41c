//! Checks across keys and ranges that the types alone do not express. Every problem is
//! reported, each naming its key and where the value came from.

use crate::core::mapping::two_groups;
use std::collections::{HashMap, HashSet};

use super::{
    invalid, mask_url, AfterAction, AuthMethod, Config, ConfigError, MailboxConfig, SmtpAuth,
    TlsMode,
};

/// The problems found so far.
struct Problems<'a> {
    cfg: &'a Config,
    list: Vec<ConfigError>,
}

impl Problems<'_> {
    fn add(&mut self, key: &str, message: impl Into<String>) {
        let origin = self.cfg.origin_of(key);
        self.list.push(invalid(origin, key, message));
    }

    fn sections(&mut self) {
        let cfg = self.cfg;
        let url = &cfg.database.url;
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            let m = format!(
                "{:?} is neither sqlite:PATH nor postgres://…",
                mask_url(url)
            );
            self.add("database.url", m);
        }
        if cfg.web.bind.parse::<std::net::SocketAddr>().is_err() {
            let m = format!(
                "{:?} is not an address:port such as 127.0.0.1:8080",
                cfg.web.bind
            );
            self.add("web.bind", m);
        }
        if !(1..=1_000_000).contains(&cfg.web.max_connections) {
            self.add("web.max_connections", "must be between 1 and 1000000");
        }
        if !(1..=3600).contains(&cfg.web.header_timeout_secs) {
            self.add("web.header_timeout_secs", "must be between 1 and 3600");
        }
        self.web_sign_in();
        if cfg.threading.subject_window_days < 0 {
            self.add("threading.subject_window_days", "must be 0 or more");
        }
        if cfg.import.batch_size == 0 || cfg.import.batch_size > 100_000 {
            self.add("import.batch_size", "must be between 1 and 100000");
        }
        if cfg.daemon.lease_secs < 3 {
            self.add("daemon.lease_secs", "must be at least 3");
        }
    }

    /// `web.base_url`, `web.session_days`, the OpenID Connect keys, admins and domains.
    fn web_sign_in(&mut self) {
        let cfg = self.cfg;
        let web = &cfg.web;
        if let Some(b) = &web.base_url {
            match url::Url::parse(b) {
                Ok(u) if u.scheme() == "https" => {}
                Ok(u) if u.scheme() == "http" => {
                    if !u
                        .host_str()
                        .is_some_and(|h| is_loopback_host(h.trim_matches(['[', ']'])))
                    {
                        let m = format!("{b:?} is plain http to a host that is not loopback: sessions would cross the network in the clear; use https://");
                        self.add("web.base_url", m);
                    }
                }
                _ => self.add("web.base_url", format!("{b:?} is not an http(s):// URL")),
            }
        }
        if !(1..=365).contains(&web.session_days) {
            self.add("web.session_days", "must be between 1 and 365");
        }
        match (&web.oidc_issuer, &web.oidc_client_id) {
            (Some(i), Some(_)) if url::Url::parse(i).is_err() => {
                self.add("web.oidc_issuer", format!("{i:?} is not a URL"));
            }
            (Some(_), None) => self.add("web.oidc_client_id", "is needed with web.oidc_issuer"),
            (None, Some(_)) => self.add("web.oidc_issuer", "is needed with web.oidc_client_id"),
            _ => {}
        }
        for a in &web.admins {
            if crate::core::signin::normalise_email(a).is_none() {
                self.add("web.admins", format!("{a:?} is not an email address"));
            }
        }
        for d in &web.allowed_domains {
            if d.trim().is_empty() || d.contains(['@', ' ', '*']) && !d.starts_with('@') {
                self.add(
                    "web.allowed_domains",
                    format!("{d:?} is not a domain such as corp.example"),
                );
            }
        }
    }

    fn mailbox(&mut self, i: usize, m: &MailboxConfig, names: &mut HashSet<String>) {
        let key = |k: &str| format!("mailboxes[{i}].{k}");
        if m.name.is_empty() || m.name.contains(['/', ' ']) {
            self.add(
                &key("name"),
                "a short name without spaces or slashes is needed",
            );
        } else if !names.insert(m.name.clone()) {
            self.add(
                &key("name"),
                format!("{:?} is used by two mailboxes", m.name),
            );
        }
        if m.host.trim().is_empty() {
            self.add(&key("host"), "must not be empty");
        }
        if m.user.trim().is_empty() {
            self.add(&key("user"), "must not be empty");
        }
        if m.tls == TlsMode::None && !m.allow_insecure && !is_loopback_host(&m.host) {
            let msg = format!("\"none\" sends the password in clear to {}; use \"implicit\" or \"starttls\", or set allow_insecure = true", m.host);
            self.add(&key("tls"), msg);
        }
        match m.auth {
            AuthMethod::Password => self.password(i, m),
            _ => self.oauth2(i, m),
        }
        if m.folders.is_empty() {
            self.add(
                &key("folders"),
                "list at least one folder, e.g. [\"INBOX\"]",
            );
        }
        if m.after == AfterAction::Move && m.move_to.as_deref().unwrap_or("").is_empty() {
            self.add(
                &key("move_to"),
                "after = \"move\" needs move_to = \"FOLDER\"",
            );
        }
        self.mailbox_timing(i, m);
    }

    fn password(&mut self, i: usize, m: &MailboxConfig) {
        let key = |k: &str| format!("mailboxes[{i}].{k}");
        match (&m.password_env, &m.password_file) {
            (None, None) => self.add(&key("password_env"), "set password_env (a variable name) or password_file; passwords never go in the config file"),
            (Some(_), Some(_)) => self.add(&key("password_file"), "set either password_env or password_file, not both"),
            _ => {}
        }
        if m.oauth2.is_some() {
            let msg = "[mailboxes.oauth2] is set but auth = \"password\": set auth = \"xoauth2\" (or \"oauthbearer\") to log in with its tokens";
            self.add(&key("auth"), msg);
        }
    }

    fn oauth2(&mut self, i: usize, m: &MailboxConfig) {
        let key = |k: &str| format!("mailboxes[{i}].{k}");
        let auth = m.auth.as_str();
        for k in ["password_env", "password_file"] {
            let set = if k == "password_env" {
                m.password_env.is_some()
            } else {
                m.password_file.is_some()
            };
            if set {
                self.add(
                    &key(k),
                    format!("not used with auth = {auth:?} (the token is the credential)"),
                );
            }
        }
        let Some(o) = &m.oauth2 else {
            let msg = format!("auth = {auth:?} needs a [mailboxes.oauth2] table saying where tokens come from (provider = \"microsoft\", \"google\", \"generic\" or \"command\")");
            return self.add(&key("oauth2"), msg);
        };
        for (k, message) in o.problems() {
            self.add(&key(&format!("oauth2.{k}")), message);
        }
    }

    fn mailbox_timing(&mut self, i: usize, m: &MailboxConfig) {
        let key = |k: &str| format!("mailboxes[{i}].{k}");
        if m.batch_size == 0 || m.batch_size > 10_000 {
            self.add(&key("batch_size"), "must be between 1 and 10000");
        }
        if m.idle_secs == 0 || m.idle_secs >= 30 * 60 {
            self.add(
                &key("idle_secs"),
                "must be between 1 and 1799 (servers drop IDLE after 30 minutes)",
            );
        }
        if m.poll_secs == 0 {
            self.add(&key("poll_secs"), "must be at least 1");
        }
    }

    /// `[smtp]`, only when outloud is to send (`host` set).
    fn smtp(&mut self) {
        let s = &self.cfg.smtp;
        if !s.enabled() {
            return;
        }
        let host = s.host.as_deref().unwrap_or_default();
        if s.tls == TlsMode::None && !s.allow_insecure && !is_loopback_host(host) {
            let m = format!("\"none\" sends mail and password in clear to {host}; use \"starttls\" or \"implicit\", or set allow_insecure = true");
            self.add("smtp.tls", m);
        }
        match s.auth {
            SmtpAuth::Password => self.smtp_password(),
            SmtpAuth::Xoauth2 | SmtpAuth::Oauthbearer => self.smtp_oauth2(),
            SmtpAuth::None => {
                if s.oauth2.is_some() {
                    let m = "[smtp.oauth2] is set but auth = \"none\": set auth = \"xoauth2\" (or \"oauthbearer\") to log in with its tokens";
                    self.add("smtp.auth", m);
                }
            }
        }
        if s.timeout_secs == 0 {
            self.add("smtp.timeout_secs", "must be at least 1");
        }
        if s.poll_secs == 0 {
            self.add("smtp.poll_secs", "must be at least 1");
        }
        if let Err((key, message)) = s.sender(&self.cfg.identity) {
            self.add(key, message);
        }
    }

    fn smtp_password(&mut self) {
        let s = &self.cfg.smtp;
        if s.user.as_deref().unwrap_or("").trim().is_empty() {
            self.add(
                "smtp.user",
                "auth = \"password\" needs the user to log in as (or set auth = \"none\")",
            );
        }
        match (&s.password_env, &s.password_file) {
            (None, None) => self.add("smtp.password_env", "set password_env (a variable name) or password_file; passwords never go in the config file"),
            (Some(_), Some(_)) => self.add("smtp.password_file", "set either password_env or password_file, not both"),
            _ => {}
        }
        if s.oauth2.is_some() {
            let m = "[smtp.oauth2] is set but auth = \"password\": set auth = \"xoauth2\" (or \"oauthbearer\") to log in with its tokens";
            self.add("smtp.auth", m);
        }
    }

    /// `auth = "xoauth2"` / `"oauthbearer"`: the mailbox sent from and where tokens come from.
    fn smtp_oauth2(&mut self) {
        let s = &self.cfg.smtp;
        let auth = s.auth.as_str();
        if s.user.as_deref().unwrap_or("").trim().is_empty() {
            let m = format!(
                "auth = {auth:?} needs the mailbox to send as (the address the token is for)"
            );
            self.add("smtp.user", m);
        }
        for (key, set) in [
            ("smtp.password_env", s.password_env.is_some()),
            ("smtp.password_file", s.password_file.is_some()),
        ] {
            if set {
                let m = format!("not used with auth = {auth:?} (the token is the credential)");
                self.add(key, m);
            }
        }
        let Some(o) = &s.oauth2 else {
            let m = format!("auth = {auth:?} needs an [smtp.oauth2] table saying where tokens come from (provider = \"microsoft\", \"google\", \"generic\" or \"command\")");
            return self.add("smtp.oauth2", m);
        };
        for (k, message) in o.problems() {
            self.add(&format!("smtp.oauth2.{k}"), message);
        }
    }

    fn groups(&mut self) {
        let mut slugs = HashSet::new();
        let mut owner = HashMap::new();
        for (i, g) in self.cfg.groups.iter().enumerate() {
            if !slugs.insert(g.slug.clone()) {
                self.add(
                    &format!("groups[{i}].slug"),
                    format!("{} is used by two groups", g.slug),
                );
            }
            let key = format!("groups[{i}].addresses");
            if g.addresses.is_empty() {
                self.add(&key, "a group needs at least one address");
            }
            for a in &g.addresses {
                if let Some(other) = owner.insert(a.clone(), g.slug.clone()) {
                    self.add(
                        &key,
                        two_groups(a.as_str(), other.as_str(), g.slug.as_str()),
                    );
                }
            }
        }
    }
}

impl Problems<'_> {
    fn policy(&mut self) {
        let p = &self.cfg.policy;
        for (i, spec) in p.header_patterns.iter().enumerate() {
            if let Err(m) = crate::core::policy::HeaderPattern::parse(spec) {
                self.add(&format!("policy.header_patterns[{i}]"), m);
            }
        }
        for (i, g) in p.blocked_labels.iter().enumerate() {
            if !super::policy::is_guid(g.trim()) {
                let m = format!(
                    "{g:?} is not a label GUID such as 3a2e9c1f-7b4d-4e8a-9f61-2c5d8e0b7a14"
                );
                self.add(&format!("policy.blocked_labels[{i}]"), m);
            }
        }
        if p.retracted_raw_days < 0 {
            self.add("policy.retracted_raw_days", "must be 0 or more");
        }
        for (i, d) in p.allowed_domains.iter().enumerate() {
            let d = d.trim();
            if d.is_empty() || d.contains(['@', ' ', '*']) || !d.contains('.') {
                let m =
                    format!("{d:?} is not a domain such as corp.example (subdomains are included)");
                self.add(&format!("policy.allowed_domains[{i}]"), m);
            }
        }
    }
}

pub(super) fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

impl Config {
    /// Every problem with the loaded values, each naming its key.
    pub fn problems(&self) -> Vec<ConfigError> {
        let mut p = Problems {
            cfg: self,
            list: Vec::new(),
        };
        p.sections();
        let mut names = HashSet::new();
        for (i, m) in self.mailboxes.iter().enumerate() {
            p.mailbox(i, m, &mut names);
        }
        p.smtp();
        p.groups();
        p.policy();
        p.list
    }

    /// `Ok`, or every problem (see [`ConfigError::Several`]).
    pub fn validate(&self) -> Result<(), ConfigError> {
        ConfigError::from_list(self.problems())
    }
}
