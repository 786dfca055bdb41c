//! Stage 3: which groups does this mail reach, and how (To, Cc, or Bcc via the envelope)?
use std::borrow::Cow;
use std::collections::HashMap;

use crate::model::{GroupEntry, ParsedMail, Route, Via};

/// Address → group lookup, case-insensitive, understanding plus-addressing (`eng+x@corp`).
#[derive(Debug, Clone, Default)]
pub struct GroupDirectory {
    groups: Vec<GroupEntry>,
    /// Lower-cased address → index into `groups`. Routing runs for every mail, so lookups
    /// must not scan every group's addresses.
    by_address: HashMap<String, usize>,
}

impl GroupDirectory {
    pub fn new(groups: Vec<GroupEntry>) -> Self {
        let mut by_address = HashMap::new();
        for (i, g) in groups.iter().enumerate() {
            for a in &g.addresses {
                // First group listing an address owns it, so a misconfiguration is deterministic.
                by_address.entry(a.trim().to_ascii_lowercase()).or_insert(i);
            }
        }
        GroupDirectory { groups, by_address }
    }
    pub fn groups(&self) -> &[GroupEntry] {
        &self.groups
    }
    pub fn by_slug(&self, slug: &str) -> Option<&GroupEntry> {
        self.groups.iter().find(|g| g.slug == slug)
    }
    /// The group an address publishes into, if any.
    pub fn lookup(&self, email: &str) -> Option<&GroupEntry> {
        let email = email.trim();
        let email: Cow<str> = if email.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(email.to_ascii_lowercase())
        } else {
            Cow::Borrowed(email)
        };
        if let Some(&i) = self.by_address.get(email.as_ref()) {
            return self.groups.get(i);
        }
        // Plus-addressing: `eng+launch@corp` → `eng@corp`. Try the last `+` first so a group
        // registered with a plus in its own address (`outloud+eng@corp`) still gets tags.
        let (local, domain) = email.rsplit_once('@')?;
        let mut cuts = [local.rfind('+'), local.find('+')];
        if cuts[0] == cuts[1] {
            cuts[1] = None;
        }
        for cut in cuts.into_iter().flatten() {
            let base = format!("{}@{}", &local[..cut], domain);
            if let Some(&i) = self.by_address.get(&base) {
                return self.groups.get(i);
            }
        }
        None
    }
}

/// Every group reached, each once, To before Cc before Bcc.
pub fn route(mail: &ParsedMail, dir: &GroupDirectory) -> Vec<Route> {
    let mut routes: Vec<Route> = Vec::new();
    let mut add = |email: &str, via: Via| {
        if let Some(g) = dir.lookup(email) {
            if !routes.iter().any(|r| r.group_id == g.id) {
                routes.push(Route {
                    group_id: g.id,
                    slug: g.slug.clone(),
                    via,
                });
            }
        }
    };
    for a in &mail.to {
        add(&a.email, Via::To);
    }
    for a in &mail.cc {
        add(&a.email, Via::Cc);
    }
    // A group seen only in the envelope was Bcc'd (or reached through a list expansion).
    for e in &mail.envelope_to {
        add(e, Via::Bcc);
    }
    routes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Address;

    fn dir() -> GroupDirectory {
        GroupDirectory::new(vec![
            GroupEntry {
                id: 1,
                slug: "eng".into(),
                name: "Engineering".into(),
                addresses: vec!["eng@corp.example".into(), "Engineering@Corp.Example".into()],
            },
            GroupEntry {
                id: 2,
                slug: "sales".into(),
                name: "Sales".into(),
                addresses: vec!["sales@corp.example".into()],
            },
            GroupEntry {
                id: 3,
                slug: "ops".into(),
                name: "Ops".into(),
                addresses: vec!["outloud+ops@corp.example".into()],
            },
        ])
    }

    fn addr(e: &str) -> Address {
        Address::new(None, e)
    }

    #[test]
    fn lookup_case_and_plus() {
        let d = dir();
        assert_eq!(d.lookup("eng@corp.example").unwrap().slug, "eng");
        assert_eq!(d.lookup("ENG@Corp.Example").unwrap().slug, "eng");
        assert_eq!(d.lookup("engineering@corp.example").unwrap().slug, "eng");
        assert_eq!(d.lookup("eng+launch@corp.example").unwrap().slug, "eng");
        assert_eq!(d.lookup("Eng+A+B@corp.example").unwrap().slug, "eng");
        assert_eq!(d.lookup("outloud+ops@corp.example").unwrap().slug, "ops");
        assert_eq!(d.lookup("outloud+ops+x@corp.example").unwrap().slug, "ops");
        assert!(d.lookup("eng@other.example").is_none());
        assert!(d.lookup("engx@corp.example").is_none());
        assert!(d.lookup("").is_none());
        assert!(d.lookup("+@").is_none());
        assert_eq!(d.by_slug("sales").unwrap().id, 2);
    }

    #[test]
    fn route_order_and_dedupe() {
        let d = dir();
        let mail = ParsedMail {
            to: vec![addr("alice@corp.example"), addr("sales@corp.example")],
            cc: vec![addr("eng@corp.example"), addr("sales+x@corp.example")],
            envelope_to: vec!["eng@corp.example".into(), "outloud+ops@corp.example".into()],
            ..Default::default()
        };
        let r = route(&mail, &d);
        let got: Vec<(&str, Via)> = r.iter().map(|r| (r.slug.as_str(), r.via)).collect();
        assert_eq!(
            got,
            vec![("sales", Via::To), ("eng", Via::Cc), ("ops", Via::Bcc)]
        );
    }

    #[test]
    fn no_group() {
        let mail = ParsedMail {
            to: vec![addr("bob@corp.example")],
            ..Default::default()
        };
        assert!(route(&mail, &dir()).is_empty());
    }
}
