//! OpenID Connect, the pure half: which address a checked ID token vouches for. The token itself
//! (signature, issuer, audience, expiry, nonce) is checked by the `openidconnect` crate in the
//! web adapter (`web::auth::oidc`); this says what outloud then requires of its claims.

/// Clock difference tolerated between outloud and the provider, in seconds.
pub const LEEWAY_SECS: i64 = 120;

/// The claims of a checked ID token that say who signed in.
#[derive(Debug, Clone, Default)]
pub struct EmailClaims<'a> {
    pub email: Option<&'a str>,
    pub email_verified: Option<bool>,
    /// Entra ID's optional claim `xms_edov` ("email domain owner verified"): `true` or `"true"`.
    pub xms_edov: Option<&'a serde_json::Value>,
    pub name: Option<&'a str>,
    pub subject: &'a str,
}

/// Who signed in, from a checked ID token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Lower-cased.
    pub email: String,
    pub name: Option<String>,
    pub subject: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the provider did not give a verified email address")]
pub struct Unverified;

/// The address, when present and verified: `email_verified: true`, or on Entra ID (which sends
/// no `email_verified`) `xms_edov: true`, the domain's owner vouching for it.
pub fn identity(c: &EmailClaims<'_>) -> Result<Identity, Unverified> {
    let email = c.email.map(str::trim).filter(|e| e.contains('@'));
    let edov = c
        .xms_edov
        .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
    let verified = c.email_verified == Some(true) || edov;
    let (Some(email), true) = (email, verified) else {
        return Err(Unverified);
    };
    Ok(Identity {
        email: email.to_lowercase(),
        // Capped like a name from a mail's From (the provider's directory is user-editable).
        name: c.name.map(|n| {
            crate::model::text::cap(n.trim().to_string(), crate::model::text::MAX_NAME_CHARS)
        }),
        subject: c.subject.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims<'a>(email: Option<&'a str>, verified: Option<bool>) -> EmailClaims<'a> {
        EmailClaims {
            email,
            email_verified: verified,
            name: Some("Ann A"),
            subject: "123",
            ..EmailClaims::default()
        }
    }

    #[test]
    fn a_verified_address_is_lower_cased() {
        let id = identity(&claims(Some(" Ann@Corp.Example"), Some(true))).unwrap();
        assert_eq!(id.email, "ann@corp.example");
        assert_eq!(id.name.as_deref(), Some("Ann A"));
        let long = "N".repeat(5_000);
        let named = EmailClaims {
            name: Some(&long),
            ..claims(Some("ann@corp.example"), Some(true))
        };
        let capped = identity(&named).unwrap().name.unwrap();
        assert_eq!(capped.chars().count(), crate::model::text::MAX_NAME_CHARS);
    }

    #[test]
    fn unverified_or_missing_addresses_are_refused() {
        assert_eq!(identity(&claims(Some("a@b"), Some(false))), Err(Unverified));
        assert_eq!(identity(&claims(Some("a@b"), None)), Err(Unverified));
        assert_eq!(identity(&claims(None, Some(true))), Err(Unverified));
        assert_eq!(
            identity(&claims(Some("nobody"), Some(true))),
            Err(Unverified)
        );
    }

    #[test]
    fn entra_vouches_with_xms_edov() {
        for (v, ok) in [
            (json!(true), true),
            (json!("true"), true),
            (json!(false), false),
        ] {
            let c = EmailClaims {
                xms_edov: Some(&v),
                ..claims(Some("ann@corp.example"), None)
            };
            assert_eq!(identity(&c).is_ok(), ok, "{v}");
        }
    }
}
