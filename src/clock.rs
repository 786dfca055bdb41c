//! Wall-clock time where it is stored or reported: the date given to mail without one, a
//! quarantined mail's arrival, a folder's last sync in `/healthz`. Injected, so a test can pin
//! it. Timers and timeouts keep tokio's own clock (which `tokio::time::pause` controls).

use std::fmt;
use std::sync::Arc;

/// Unix seconds. Cheap to clone; the default is [`Clock::system`].
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The machine's clock.
    pub fn system() -> Self {
        Clock(Arc::new(|| chrono::Utc::now().timestamp()))
    }

    /// Always `secs`.
    pub fn fixed(secs: i64) -> Self {
        Clock(Arc::new(move || secs))
    }

    /// Any source of time, e.g. a counter a test advances.
    pub fn from_fn(f: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Clock(Arc::new(f))
    }

    pub fn now(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Clock(now = {})", self.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};

    #[test]
    fn fixed_and_injected_clocks_say_what_they_are_told() {
        assert_eq!(Clock::fixed(1_700_000_000).now(), 1_700_000_000);
        let t = Arc::new(AtomicI64::new(5));
        let clock = Clock::from_fn({
            let t = t.clone();
            move || t.load(Ordering::Relaxed)
        });
        t.store(6, Ordering::Relaxed);
        assert_eq!(clock.clone().now(), 6);
        // After 2020-01-01: the system clock is the real one.
        assert!(Clock::system().now() > 1_577_836_800);
    }
}
