//! Audience patterns: an address, or every address of a domain (`*@corp.example`).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub enum Pattern {
    /// Lower-cased.
    Address(String),
    /// `*@DOMAIN`, the domain lower-cased.
    Domain(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an address or a \"*@domain\" pattern")]
pub struct BadPattern(pub String);

impl Pattern {
    pub fn parse(s: &str) -> Result<Pattern, BadPattern> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || BadPattern(s.trim().to_string());
        let ok_domain = |d: &str| {
            !d.is_empty()
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && d.chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        };
        if let Some(domain) = t.strip_prefix("*@") {
            return ok_domain(domain)
                .then(|| Pattern::Domain(domain.to_string()))
                .ok_or_else(bad);
        }
        let (local, domain) = t.rsplit_once('@').ok_or_else(bad)?;
        let local_ok = !local.is_empty()
            && !local.contains('*')
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',');
        (local_ok && ok_domain(domain))
            .then(|| Pattern::Address(t.clone()))
            .ok_or_else(bad)
    }

    /// Does lower-cased `email` fall under it?
    pub fn matches(&self, email: &str) -> bool {
        match self {
            Pattern::Address(a) => a == email,
            Pattern::Domain(d) => email
                .rsplit_once('@')
                .is_some_and(|(_, domain)| domain == d),
        }
    }

    pub fn as_str(&self) -> String {
        match self {
            Pattern::Address(a) => a.clone(),
            Pattern::Domain(d) => format!("*@{d}"),
        }
    }
}

impl From<Pattern> for String {
    fn from(p: Pattern) -> String {
        p.as_str()
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let d = Pattern::parse(" *@Corp.Example ").unwrap();
        assert!(d.matches("ana@corp.example"));
        assert!(!d.matches("ana@sub.corp.example"));
        assert!(!d.matches("ana@corp.example.org"));
        let a = Pattern::parse("Ana@corp.example").unwrap();
        assert!(a.matches("ana@corp.example") && !a.matches("bo@corp.example"));
        for bad in [
            "",
            "ana",
            "*@",
            "*@corp",
            "a*b@corp.example",
            "@corp.example",
            "a b@c.de",
        ] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
    }
}
