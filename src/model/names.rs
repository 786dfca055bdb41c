//! Names that cross the program's edges — group slugs and group addresses. Each is checked
//! once, where it comes in (config file, environment, command line), and carried as its type
//! from there on, so the store and the web never see an unchecked one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A group's short name, used in URLs: lower-case ASCII letters, digits and dashes, not
/// starting with a dash, at most [`Slug::MAX_LEN`] characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a valid slug (lower-case letters, digits and dashes, at most 64)")]
pub struct InvalidSlug(pub String);

impl Slug {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Result<Slug, InvalidSlug> {
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && !s.starts_with('-')
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        match ok {
            true => Ok(Slug(s.to_string())),
            false => Err(InvalidSlug(s.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An address that publishes into a group, e.g. `eng@corp.example`: a plain address (no
/// display name, no angle brackets), trimmed and lower-cased (ASCII, as
/// [`Address::new`](super::Address::new) does) so routing compares equal strings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GroupAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAddress {
    #[error("{0:?} is not an address such as eng@corp.example")]
    NotAnAddress(String),
    #[error("{0:?} is not a plain address such as eng@corp.example")]
    NotPlain(String),
}

impl GroupAddress {
    pub fn parse(s: &str) -> Result<GroupAddress, InvalidAddress> {
        let a = s.trim();
        let well_formed = match a.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && (domain.contains('.') || domain.eq_ignore_ascii_case("localhost"))
            }
            None => false,
        };
        if !well_formed {
            return Err(InvalidAddress::NotAnAddress(s.to_string()));
        }
        if a.chars()
            .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | ',' | '"'))
        {
            return Err(InvalidAddress::NotPlain(s.to_string()));
        }
        Ok(GroupAddress(a.to_ascii_lowercase()))
    }

    /// Every address of a list, or the first that is not one.
    pub fn parse_all<S: AsRef<str>>(list: &[S]) -> Result<Vec<GroupAddress>, InvalidAddress> {
        list.iter()
            .map(|s| GroupAddress::parse(s.as_ref()))
            .collect()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_newtype {
    ($t:ident, $err:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl FromStr for $t {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $t::parse(s)
            }
        }
        impl TryFrom<String> for $t {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $t::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

string_newtype!(Slug, InvalidSlug);
string_newtype!(GroupAddress, InvalidAddress);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for ok in ["eng", "a", "team-2", "0ps", &"x".repeat(64)] {
            assert_eq!(Slug::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "Eng", "-eng", "en g", "eng/x", "é", &"x".repeat(65)] {
            let e = Slug::parse(bad).unwrap_err().to_string();
            assert!(e.contains("not a valid slug"), "{e}");
        }
        let s: Slug = serde_json::from_str("\"eng\"").unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"eng\"");
        assert!(serde_json::from_str::<Slug>("\"ENG\"").is_err());
    }

    #[test]
    fn group_addresses() {
        let a = GroupAddress::parse(" Eng@Corp.Example ").unwrap();
        assert_eq!(a, "eng@corp.example");
        assert_eq!(GroupAddress::parse("x@localhost").unwrap(), "x@localhost");
        for bad in ["", "eng", "@corp.example", "eng@corp", "a@b@c.d"] {
            assert!(
                matches!(
                    GroupAddress::parse(bad),
                    Err(InvalidAddress::NotAnAddress(_))
                ),
                "{bad}"
            );
        }
        for bad in [
            "Eng <eng@corp.example>",
            "a b@corp.example",
            "a,b@corp.example",
        ] {
            let e = GroupAddress::parse(bad).unwrap_err().to_string();
            assert!(e.contains("plain address"), "{bad}: {e}");
        }
        assert_eq!(
            GroupAddress::parse_all(&["a@x.y", "B@x.y"]).unwrap(),
            vec![
                GroupAddress::parse("a@x.y").unwrap(),
                GroupAddress::parse("b@x.y").unwrap()
            ]
        );
    }
}
