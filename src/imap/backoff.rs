//! How long to wait before reconnecting: exponential from 1 s, doubling to 60 s, with jitter
//! so replicas and mailboxes that failed together do not reconnect together; reset after a
//! successful sync. A refused login waits a long fixed time instead: hammering a server with a
//! wrong password gets the account locked and fixes nothing. Pure: the caller passes the rng.

use std::time::Duration;

use rand::{Rng, RngExt};

pub const BASE: Duration = Duration::from_secs(1);
pub const MAX: Duration = Duration::from_secs(60);
/// After a refused login.
pub const AUTH_DELAY: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// Uniform in [0, ceiling] ("full jitter").
    Full,
    /// Uniform in [0.75, 1.25] × ceiling, capped at the maximum.
    Quarter,
}

#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    jitter: Jitter,
    attempt: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(BASE, MAX, Jitter::Quarter)
    }
}

impl Backoff {
    pub fn new(base: Duration, max: Duration, jitter: Jitter) -> Self {
        Backoff {
            base,
            max,
            jitter,
            attempt: 0,
        }
    }

    /// Failures since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// The delay before the next attempt, without jitter: base × 2^attempt, at most `max`.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(31)).unwrap_or(u32::MAX);
        self.base
            .checked_mul(factor)
            .unwrap_or(self.max)
            .min(self.max)
    }

    /// Record a failure and return how long to wait.
    pub fn next_delay(&mut self, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        match self.jitter {
            Jitter::Full => ceiling.mul_f64(rng.random_range(0.0..=1.0)),
            Jitter::Quarter => ceiling.mul_f64(rng.random_range(0.75..=1.25)).min(self.max),
        }
    }

    /// Record a refused login: a long fixed wait; the exponential sequence continues after.
    pub fn auth_delay(&mut self) -> Duration {
        self.attempt = self.attempt.saturating_add(1);
        AUTH_DELAY
    }

    /// After a successful sync.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn ceiling_doubles_to_the_maximum() {
        let mut b = Backoff::new(BASE, MAX, Jitter::Quarter);
        let mut rng = StdRng::seed_from_u64(7);
        let mut ceilings = Vec::new();
        for _ in 0..10 {
            ceilings.push(b.ceiling().as_secs());
            b.next_delay(&mut rng);
        }
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
    }

    #[test]
    fn quarter_jitter_stays_within_a_quarter_and_the_cap() {
        let mut b = Backoff::default();
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..200 {
            let c = b.ceiling();
            let d = b.next_delay(&mut rng);
            assert!(
                d >= c.mul_f64(0.75) && d <= c.mul_f64(1.25).min(MAX),
                "{d:?} vs {c:?}"
            );
        }
    }

    #[test]
    fn full_jitter_is_never_above_the_ceiling_and_varies() {
        let mut rng = StdRng::seed_from_u64(42);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..50 {
            let mut b = Backoff::new(BASE, MAX, Jitter::Full);
            for _ in 0..6 {
                b.next_delay(&mut rng);
            }
            let d = b.next_delay(&mut rng);
            assert!(d <= MAX);
            seen.insert(d.as_millis());
        }
        assert!(seen.len() > 10, "jitter spreads reconnects: {seen:?}");
    }

    #[test]
    fn reset_starts_over_and_auth_waits_long() {
        let mut b = Backoff::default();
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..5 {
            b.next_delay(&mut rng);
        }
        assert_eq!(b.auth_delay(), AUTH_DELAY);
        b.reset();
        assert_eq!(b.attempts(), 0);
        assert!(b.next_delay(&mut rng) <= Duration::from_millis(1250));
    }

    #[test]
    fn same_seed_same_delays() {
        let run = |seed| {
            let mut b = Backoff::default();
            let mut rng = StdRng::seed_from_u64(seed);
            (0..8).map(|_| b.next_delay(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
    }
}
