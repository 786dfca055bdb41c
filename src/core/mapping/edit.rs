//! One change to the mapping as an admin asks for it (web form or CLI), checked against the
//! stored groups before anything is written. The one place that says what is wrong with a
//! slug, an address or an audience pattern, shared by the web pages, the CLI and the
//! declarative file's checks, so all three say the same thing.

use std::fmt;

use crate::core::digest::audience::Pattern;
use crate::model::{GroupAddress, GroupEntry, Slug};

/// A checked change, ready for the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    CreateGroup {
        slug: Slug,
        name: String,
        address: GroupAddress,
    },
    AddAddress {
        slug: Slug,
        address: GroupAddress,
    },
    RemoveAddress {
        slug: Slug,
        address: GroupAddress,
    },
    AddAudience {
        slug: Slug,
        pattern: Pattern,
    },
    RemoveAudience {
        slug: Slug,
        pattern: Pattern,
    },
}

impl Edit {
    pub fn slug(&self) -> &Slug {
        match self {
            Edit::CreateGroup { slug, .. }
            | Edit::AddAddress { slug, .. }
            | Edit::RemoveAddress { slug, .. }
            | Edit::AddAudience { slug, .. }
            | Edit::RemoveAudience { slug, .. } => slug,
        }
    }

    /// The audit log's `action` for it.
    pub fn action(&self) -> &'static str {
        match self {
            Edit::CreateGroup { .. } => "group_added",
            Edit::AddAddress { .. } | Edit::RemoveAddress { .. } => "group_changed",
            Edit::AddAudience { .. } | Edit::RemoveAudience { .. } => "audience_changed",
        }
    }
}

/// As `outloud apply --dry-run` writes changes: `+ address a@x -> eng`.
impl fmt::Display for Edit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Edit::CreateGroup {
                slug,
                name,
                address,
            } => write!(f, "+ group {slug} {name:?}: {address}"),
            Edit::AddAddress { slug, address } => write!(f, "+ address {address} -> {slug}"),
            Edit::RemoveAddress { slug, address } => {
                write!(f, "- address {address} (from {slug})")
            }
            Edit::AddAudience { slug, pattern } => write!(f, "+ audience {pattern} -> {slug}"),
            Edit::RemoveAudience { slug, pattern } => {
                write!(f, "- audience {pattern} (from {slug})")
            }
        }
    }
}

/// A change as asked for, unchecked (form fields, command-line words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    CreateGroup {
        slug: &'a str,
        name: &'a str,
        address: &'a str,
    },
    AddAddress {
        slug: &'a str,
        address: &'a str,
    },
    RemoveAddress {
        slug: &'a str,
        address: &'a str,
    },
    AddAudience {
        slug: &'a str,
        pattern: &'a str,
    },
    RemoveAudience {
        slug: &'a str,
        pattern: &'a str,
    },
}

/// What to fix, and in which field (`slug`, `name`, `address` or `pattern`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn problem(field: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        field,
        message: message.into(),
    }
}

/// Longest display name accepted (the web page shows it whole).
pub const MAX_NAME_CHARS: usize = 100;

/// Check `req` against the stored groups: a well-formed slug, address and pattern, a group
/// that exists (or, to create, does not), and no address that would publish to two groups.
pub fn check(req: Request<'_>, stored: &[GroupEntry]) -> Result<Edit, Problem> {
    match req {
        Request::CreateGroup {
            slug,
            name,
            address,
        } => {
            let slug = parse_slug(slug)?;
            if stored.iter().any(|g| g.slug == slug.as_str()) {
                return Err(problem("slug", group_exists(slug.as_str())));
            }
            let name = check_name(name, &slug)?;
            let address = parse_address(address)?;
            if let Some(p) = address_problem(address.as_str(), slug.as_str(), stored) {
                return Err(p);
            }
            Ok(Edit::CreateGroup {
                slug,
                name,
                address,
            })
        }
        Request::AddAddress { slug, address } => {
            let g = known_group(slug, stored)?;
            let address = parse_address(address)?;
            if g.addresses.iter().any(|a| a == address.as_str()) {
                return Err(problem(
                    "address",
                    format!("{address} is already an address of group {}", g.slug),
                ));
            }
            if let Some(p) = address_problem(address.as_str(), &g.slug, stored) {
                return Err(p);
            }
            Ok(Edit::AddAddress {
                slug: parse_slug(&g.slug)?,
                address,
            })
        }
        Request::RemoveAddress { slug, address } => {
            let g = known_group(slug, stored)?;
            let address = parse_address(address)?;
            if !g.addresses.iter().any(|a| a == address.as_str()) {
                return Err(problem(
                    "address",
                    format!("{address} is not an address of group {}", g.slug),
                ));
            }
            if g.addresses.len() == 1 {
                return Err(problem(
                    "address",
                    format!(
                        "{address} is the last address of group {}: a group needs at least one \
                         (add another first)",
                        g.slug
                    ),
                ));
            }
            Ok(Edit::RemoveAddress {
                slug: parse_slug(&g.slug)?,
                address,
            })
        }
        Request::AddAudience { slug, pattern } | Request::RemoveAudience { slug, pattern } => {
            let g = known_group(slug, stored)?;
            let slug = parse_slug(&g.slug)?;
            let pattern = parse_pattern(pattern)?;
            Ok(match req {
                Request::AddAudience { .. } => Edit::AddAudience { slug, pattern },
                _ => Edit::RemoveAudience { slug, pattern },
            })
        }
    }
}

pub fn parse_slug(s: &str) -> Result<Slug, Problem> {
    Slug::parse(s.trim()).map_err(|e| problem("slug", e.to_string()))
}

pub fn parse_address(s: &str) -> Result<GroupAddress, Problem> {
    if s.chars().any(char::is_control) {
        return Err(problem("address", "an address has no control characters"));
    }
    GroupAddress::parse(s).map_err(|e| problem("address", e.to_string()))
}

pub fn parse_pattern(s: &str) -> Result<Pattern, Problem> {
    if s.chars().any(char::is_control) {
        return Err(problem("pattern", "a pattern has no control characters"));
    }
    Pattern::parse(s).map_err(|e| problem("pattern", e.to_string()))
}

fn check_name(name: &str, slug: &Slug) -> Result<String, Problem> {
    let name = name.trim();
    if name.chars().any(char::is_control) {
        return Err(problem("name", "a name has no control characters"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(problem(
            "name",
            format!("at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(match name.is_empty() {
        true => slug.to_string(),
        false => name.to_string(),
    })
}

/// The stored group `slug` names, or what is wrong with it.
pub fn known_group<'a>(slug: &str, stored: &'a [GroupEntry]) -> Result<&'a GroupEntry, Problem> {
    let slug = parse_slug(slug)?;
    stored
        .iter()
        .find(|g| g.slug == slug.as_str())
        .ok_or_else(|| problem("slug", format!("there is no group {slug}")))
}

/// The message for a new group `slug` that exists already; the store says it in these words
/// too (another admin may create it between the check and the write).
pub fn group_exists(slug: &str) -> String {
    format!("there is already a group {slug}: add addresses to it instead")
}

/// The message for an address given to `slug` that `owner` already has; the config file's
/// check, `outloud apply` and the store say it in these words too.
pub fn two_groups(address: &str, owner: &str, slug: &str) -> String {
    format!(
        "{address} would publish to two groups: it is already an address of group {owner} \
         (remove it there before giving it to {slug})"
    )
}

/// What is wrong with giving lower-cased `address` to group `slug`: another group has it, or
/// already receives it by plus-addressing (`eng+ops@` reaches `eng@`'s group, and adding it
/// elsewhere would silently take that mail away).
pub fn address_problem(address: &str, slug: &str, stored: &[GroupEntry]) -> Option<Problem> {
    let owner = |a: &str| {
        stored
            .iter()
            .find(|g| g.addresses.iter().any(|x| x == a))
            .map(|g| g.slug.as_str())
    };
    if let Some(o) = owner(address).filter(|o| *o != slug) {
        return Some(problem("address", two_groups(address, o, slug)));
    }
    let (local, domain) = address.rsplit_once('@')?;
    for (at, _) in local.match_indices('+') {
        let base = format!("{}@{domain}", &local[..at]);
        if let Some(o) = owner(&base).filter(|o| *o != slug) {
            return Some(problem(
                "address",
                format!(
                    "{address} would publish to two groups: mail to it reaches group {o} today \
                     by plus-addressing ({base}); use an address without {base}'s \"+\" form"
                ),
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(id: i64, slug: &str, addresses: &[&str]) -> GroupEntry {
        GroupEntry {
            id,
            slug: slug.into(),
            name: slug.into(),
            addresses: addresses.iter().map(|a| a.to_string()).collect(),
        }
    }

    fn stored() -> Vec<GroupEntry> {
        vec![
            g(1, "eng", &["eng@corp.example", "engineering@corp.example"]),
            g(2, "ops", &["ops@corp.example"]),
        ]
    }

    fn field(r: Result<Edit, Problem>) -> (&'static str, String) {
        let p = r.expect_err("a problem");
        (p.field, p.message)
    }

    #[test]
    fn good_requests_become_edits() {
        let s = stored();
        let e = check(
            Request::AddAddress {
                slug: "eng",
                address: " Dev@Corp.Example ",
            },
            &s,
        )
        .unwrap();
        assert_eq!(e.to_string(), "+ address dev@corp.example -> eng");
        assert_eq!(e.action(), "group_changed");
        let e = check(
            Request::CreateGroup {
                slug: "sales",
                name: "",
                address: "sales@corp.example",
            },
            &s,
        )
        .unwrap();
        assert_eq!(e.to_string(), "+ group sales \"sales\": sales@corp.example");
        let e = check(
            Request::AddAudience {
                slug: "ops",
                pattern: "*@Corp.Example",
            },
            &s,
        )
        .unwrap();
        assert_eq!(e.to_string(), "+ audience *@corp.example -> ops");
        // The group's own plus form is no conflict.
        assert!(address_problem("eng+x@corp.example", "eng", &s).is_none());
    }

    #[test]
    fn problems_name_the_field_and_what_to_fix() {
        let s = stored();
        let (f, m) = field(check(
            Request::AddAddress {
                slug: "ops",
                address: "eng@corp.example",
            },
            &s,
        ));
        assert_eq!(f, "address");
        assert!(
            m.contains("would publish to two groups") && m.contains("group eng"),
            "{m}"
        );
        let (f, m) = field(check(
            Request::AddAddress {
                slug: "ops",
                address: "eng+ops@corp.example",
            },
            &s,
        ));
        assert_eq!(f, "address");
        assert!(m.contains("plus-addressing"), "{m}");
        let (f, m) = field(check(
            Request::AddAudience {
                slug: "eng",
                pattern: "*@corp",
            },
            &s,
        ));
        assert_eq!(f, "pattern");
        assert!(m.contains("\"*@domain\" pattern"), "{m}");
        let (f, m) = field(check(
            Request::AddAudience {
                slug: "nope",
                pattern: "a@corp.example",
            },
            &s,
        ));
        assert_eq!((f, m.as_str()), ("slug", "there is no group nope"));
        let (f, m) = field(check(
            Request::CreateGroup {
                slug: "Bad Slug",
                name: "x",
                address: "x@corp.example",
            },
            &s,
        ));
        assert_eq!(f, "slug");
        assert!(m.contains("not a valid slug"), "{m}");
    }

    #[test]
    fn groups_keep_an_address_and_names_stay_printable() {
        let s = stored();
        let (f, _) = field(check(
            Request::CreateGroup {
                slug: "eng",
                name: "x",
                address: "x@corp.example",
            },
            &s,
        ));
        assert_eq!(f, "slug");
        let (f, m) = field(check(
            Request::RemoveAddress {
                slug: "ops",
                address: "ops@corp.example",
            },
            &s,
        ));
        assert_eq!(f, "address");
        assert!(m.contains("last address"), "{m}");
        let (f, _) = field(check(
            Request::AddAddress {
                slug: "ops",
                address: "Ops <ops2@corp.example>",
            },
            &s,
        ));
        assert_eq!(f, "address");
        let (f, _) = field(check(
            Request::CreateGroup {
                slug: "x",
                name: "a\u{0}b",
                address: "x@corp.example",
            },
            &s,
        ));
        assert_eq!(f, "name");
    }
}
