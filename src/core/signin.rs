//! Sign-in decisions that need no I/O: who may sign in, the emailed link's mail, where to
//! return after signing in. The web adapter (`web::auth`) draws tokens, reads the clock and
//! stores.

use super::compose::Draft;

/// Minutes an emailed sign-in link stays valid.
pub const LINK_MINUTES: i64 = 15;

/// An address as typed, trimmed and lower-cased, if it looks like one (`local@domain`, no
/// spaces or angle brackets, at most 254 characters: RFC 5321's limit).
pub fn normalise_email(input: &str) -> Option<String> {
    let e = input.trim().to_lowercase();
    let (local, domain) = e.rsplit_once('@')?;
    let bad = |c: char| c.is_whitespace() || c.is_control() || "<>,;\"\\()[]".contains(c);
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && e.len() <= 254
        && !e.chars().any(bad);
    ok.then_some(e)
}

/// True when `email`'s domain is one of `domains` (compared case-insensitively, exactly: a
/// subdomain is another domain).
pub fn domain_allowed(email: &str, domains: &[String]) -> bool {
    let Some((_, domain)) = email.rsplit_once('@') else {
        return false;
    };
    domains.iter().any(|d| {
        d.trim()
            .trim_start_matches('@')
            .eq_ignore_ascii_case(domain)
    })
}

/// A local path to go to after signing in: `next` when it is a path on this site, else `/`
/// (never another site: `//host`, `/\host` and absolute URLs are refused).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(|c| c.is_control()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// The mail carrying a sign-in link. It says what the link does and that it can be ignored;
/// the link opens a page with a button, so a scanner fetching it signs nobody in.
pub fn link_draft(to: &str, link: &str, site: &str) -> Draft {
    let text = format!(
        "Someone (probably you) asked to sign in to outloud at {site} as {to}.\n\n\
         Open this link and press \"Sign in\":\n\n{link}\n\n\
         The link works once, for {LINK_MINUTES} minutes, and only the newest link you asked \
         for works.\nIf you did not ask for it, ignore this mail: nobody can sign in without \
         the link.\n"
    );
    Draft {
        to: vec![to.to_string()],
        subject: "Your outloud sign-in link".to_string(),
        text,
        in_reply_to: None,
        references: Vec::new(),
        auto_submitted: true,
        on_behalf_of: None,
        reply_to: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalised_or_refused() {
        assert_eq!(
            normalise_email("  Ann@Corp.Example ").as_deref(),
            Some("ann@corp.example")
        );
        for bad in [
            "",
            "ann",
            "@corp.example",
            "ann@corp",
            "a b@corp.example",
            "<a@b.c>",
            "a@b.c.",
        ] {
            assert_eq!(normalise_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn domains_match_exactly() {
        let d = vec!["corp.example".to_string(), "@Other.Example".to_string()];
        assert!(domain_allowed("ann@corp.example", &d));
        assert!(domain_allowed("bo@other.example", &d));
        assert!(!domain_allowed("eve@evil-corp.example", &d));
        assert!(!domain_allowed("eve@sub.corp.example", &d));
        assert!(!domain_allowed("corp.example", &d));
    }

    #[test]
    fn next_stays_on_the_site() {
        assert_eq!(safe_next(Some("/t/5?x=1")), "/t/5?x=1");
        for bad in [
            "//evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "t/5",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn link_mail_names_the_link_and_the_limits() {
        let d = link_draft(
            "ann@corp.example",
            "https://o.example/signin/link?token=abc",
            "https://o.example",
        );
        assert_eq!(d.to, vec!["ann@corp.example"]);
        assert!(d.text.contains("https://o.example/signin/link?token=abc"));
        assert!(d.text.contains("15 minutes"));
        assert!(d.auto_submitted);
    }
}
