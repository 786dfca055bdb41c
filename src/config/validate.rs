//! Checks across keys and ranges that the types alone do not express. Every problem is
//! reported, each naming its key and where the value came from.

use std::collections::{HashMap, HashSet};

use super::{
    invalid, mask_url, AfterAction, AuthMethod, Config, ConfigError, MailboxConfig, TlsMode,
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
                    self.add(&key, format!("{a} is already the address of group {other}"));
                }
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
        p.groups();
        p.list
    }

    /// `Ok`, or every problem (see [`ConfigError::Several`]).
    pub fn validate(&self) -> Result<(), ConfigError> {
        ConfigError::from_list(self.problems())
    }
}
