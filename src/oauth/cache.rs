//! An access token and when to give it up. Pure: times are Unix seconds from the injected
//! clock.

use crate::config::Secret;

/// Longest head start a token is renewed with; one-hour tokens are renewed five minutes
/// before they expire.
pub const MAX_MARGIN_SECS: i64 = 300;

/// An access token with its lifetime.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    pub secret: Secret,
    /// When it was obtained and when it expires (Unix seconds).
    pub obtained_at: i64,
    pub expires_at: i64,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("secret", &self.secret)
            .field("obtained_at", &self.obtained_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Token {
    /// A token obtained at `now` that the issuer says lasts `lifetime_secs`.
    pub fn new(secret: Secret, now: i64, lifetime_secs: i64) -> Token {
        Token {
            secret,
            obtained_at: now,
            expires_at: now.saturating_add(lifetime_secs.max(0)),
        }
    }

    /// From when on a new token is fetched instead: a quarter of the lifetime before expiry,
    /// at most [`MAX_MARGIN_SECS`], so a short-lived token is still used for most of its life
    /// and a connection opened with it is replaced before the server turns it away.
    pub fn renew_at(&self) -> i64 {
        let lifetime = self.expires_at - self.obtained_at;
        self.expires_at - (lifetime / 4).clamp(0, MAX_MARGIN_SECS)
    }

    /// Still good to log in with at `now`.
    pub fn fresh(&self, now: i64) -> bool {
        now < self.renew_at()
    }
}

/// The token to use at `now`: the cached one while fresh, else `None` (fetch a new one).
pub fn usable(cached: Option<&Token>, now: i64) -> Option<&Token> {
    cached.filter(|t| t.fresh(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(now: i64, lifetime: i64) -> Token {
        Token::new(Secret("t".into()), now, lifetime)
    }

    #[test]
    fn an_hour_long_token_is_renewed_five_minutes_early() {
        let t = token(1000, 3600);
        assert_eq!(t.renew_at(), 1000 + 3300);
        assert!(t.fresh(1000 + 3299));
        assert!(!t.fresh(1000 + 3300));
    }

    #[test]
    fn a_short_token_is_used_for_three_quarters_of_its_life() {
        let t = token(0, 8);
        assert_eq!(t.renew_at(), 6);
        assert_eq!(token(0, 1).renew_at(), 1);
        assert_eq!(token(0, 0).renew_at(), 0);
        assert!(
            !token(0, 0).fresh(0),
            "a token that expires at once is never cached"
        );
    }

    #[test]
    fn the_cache_hands_out_only_fresh_tokens() {
        let t = token(100, 60);
        assert_eq!(usable(Some(&t), 100), Some(&t));
        assert_eq!(usable(Some(&t), 145), None);
        assert_eq!(usable(None, 100), None);
        assert!(!format!("{t:?}").contains("\"t\""), "the secret is masked");
    }
}
