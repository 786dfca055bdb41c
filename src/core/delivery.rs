//! The sender's decisions, pure: what an SMTP reply means for a delivery, when to try again
//! (exponential backoff with jitter), and how much an address's bounces count (Discourse's
//! scoring: a soft bounce 1, a hard one 2, mail stops at 4, the score resets 30 days after the
//! last bounce).

use std::time::Duration;

use super::bounce::Severity;

/// First retry after a temporary failure; it doubles per attempt up to [`RETRY_MAX`].
pub const RETRY_BASE: Duration = Duration::from_secs(60);
pub const RETRY_MAX: Duration = Duration::from_secs(60 * 60);
/// Points of a soft and of a hard bounce.
pub const SOFT_SCORE: i64 = 1;
pub const HARD_SCORE: i64 = 2;
/// Mail to an address stops when its score reaches this.
pub const STOP_SCORE: i64 = 4;
/// A score falls back to 0 this long after an address's last bounce.
pub const SCORE_RESET_SECS: i64 = 30 * 86_400;

/// The step of an SMTP transaction a reply answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Connect,
    Tls,
    /// Getting the OAuth2 access token an XOAUTH2 / OAUTHBEARER login sends.
    Token,
    Auth,
    Mail,
    Rcpt,
    Data,
    /// The reply after the message's final dot: whether the server took the mail.
    Message,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Connect => "connect",
            Step::Tls => "TLS",
            Step::Token => "token",
            Step::Auth => "AUTH",
            Step::Mail => "MAIL FROM",
            Step::Rcpt => "RCPT TO",
            Step::Data => "DATA",
            Step::Message => "message",
        }
    }
}

/// How one attempt at a delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// 2xx after the message: the server took responsibility for it.
    Accepted { code: u16, text: String },
    /// A 4xx or 5xx reply at `step`.
    Refused { step: Step, code: u16, text: String },
    /// No reply: a timeout, a lost connection, a TLS or protocol error.
    Failed { step: Step, error: String },
    /// Never sent: the server cannot take this mail as it is (an address it cannot carry, an
    /// 8-bit mail to a 7-bit server).
    Unsendable { error: String },
}

/// What becomes of a delivery after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Sent,
    /// Try again at `at` (Unix seconds).
    Retry {
        at: i64,
    },
    /// Stop: the server refused for good, or retries ran out.
    Fail {
        failure: Failure,
        /// A bounce to count against the recipient (a 5xx answer to RCPT TO).
        bounce: Option<Severity>,
    },
}

/// Why a delivery stopped without being sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The server answered 5xx.
    Undeliverable,
    /// Temporary failures went on past `[smtp] retry_hours`.
    Expired,
    /// The address's bounce score reached [`STOP_SCORE`].
    Suppressed,
}

impl Failure {
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Undeliverable => "undeliverable",
            Failure::Expired => "expired",
            Failure::Suppressed => "suppressed",
        }
    }
}

/// The delivery's situation when an attempt ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempted {
    /// Attempts so far, this one included.
    pub attempts: i64,
    /// When its mail was queued.
    pub queued_at: i64,
    pub now: i64,
    /// Give up temporary failures this long after queueing.
    pub retry_secs: i64,
}

/// What `reply` means for the delivery. `jitter` in [0, 1] spreads retries ("full jitter"
/// between half and all of the backoff) so deliveries deferred together do not return together.
pub fn verdict(reply: &Reply, at: Attempted, jitter: f64) -> Verdict {
    match reply {
        Reply::Accepted { .. } => return Verdict::Sent,
        Reply::Refused { code, step, .. } if *code >= 500 => {
            // Only RCPT TO speaks about the address; a refused MAIL or message is the mail's.
            let bounce = (*step == Step::Rcpt).then_some(Severity::Hard);
            return Verdict::Fail {
                failure: Failure::Undeliverable,
                bounce,
            };
        }
        Reply::Unsendable { .. } => {
            return Verdict::Fail {
                failure: Failure::Undeliverable,
                bounce: None,
            }
        }
        // 4xx, timeouts and lost connections: temporary.
        Reply::Refused { .. } | Reply::Failed { .. } => {}
    }
    let next = at.now + retry_delay(at.attempts, jitter).as_secs() as i64;
    if next > at.queued_at + at.retry_secs {
        Verdict::Fail {
            failure: Failure::Expired,
            bounce: None,
        }
    } else {
        Verdict::Retry { at: next }
    }
}

/// Backoff before the attempt after the `attempts`-th: 1, 2, 4, … minutes up to an hour, scaled
/// into [½, 1] by `jitter`.
pub fn retry_delay(attempts: i64, jitter: f64) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 31)).unwrap_or(31);
    let ceiling = RETRY_BASE
        .checked_mul(1u32 << exp.min(20))
        .unwrap_or(RETRY_MAX)
        .min(RETRY_MAX);
    ceiling.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// Points of a bounce.
pub fn points(severity: Severity) -> i64 {
    match severity {
        Severity::Soft => SOFT_SCORE,
        Severity::Hard => HARD_SCORE,
    }
}

/// An address's score at `now` from its bounces `(at, points)`, oldest first: the sum since the
/// score last fell back to 0, which it does [`SCORE_RESET_SECS`] after a bounce unless another
/// follows (Discourse's `reset_bounce_score_after`).
pub fn bounce_score(bounces: &[(i64, i64)], now: i64) -> i64 {
    let mut score = 0;
    let mut last: Option<i64> = None;
    for &(at, pts) in bounces {
        if last.is_some_and(|l| at - l > SCORE_RESET_SECS) {
            score = 0;
        }
        score += pts;
        last = Some(last.map_or(at, |l| l.max(at)));
    }
    match last {
        Some(l) if now - l <= SCORE_RESET_SECS => score,
        _ => 0,
    }
}

/// Mail to an address with this score is not sent.
pub fn stops_mail(score: i64) -> bool {
    score >= STOP_SCORE
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: Attempted = Attempted {
        attempts: 1,
        queued_at: 1_000,
        now: 1_000,
        retry_secs: 48 * 3600,
    };

    fn refused(step: Step, code: u16) -> Reply {
        Reply::Refused {
            step,
            code,
            text: "x".into(),
        }
    }

    #[test]
    fn replies_decide_the_delivery() {
        let ok = Reply::Accepted {
            code: 250,
            text: "queued".into(),
        };
        assert_eq!(verdict(&ok, AT, 0.5), Verdict::Sent);
        assert_eq!(
            verdict(&refused(Step::Rcpt, 550), AT, 0.5),
            Verdict::Fail {
                failure: Failure::Undeliverable,
                bounce: Some(Severity::Hard)
            }
        );
        assert_eq!(
            verdict(&refused(Step::Message, 554), AT, 0.5),
            Verdict::Fail {
                failure: Failure::Undeliverable,
                bounce: None
            }
        );
        assert_eq!(
            verdict(&refused(Step::Rcpt, 450), AT, 1.0),
            Verdict::Retry { at: 1_060 }
        );
        let lost = Reply::Failed {
            step: Step::Data,
            error: "connection reset".into(),
        };
        assert_eq!(verdict(&lost, AT, 0.0), Verdict::Retry { at: 1_030 });
    }

    #[test]
    fn retries_back_off_to_an_hour_and_then_expire() {
        let secs: Vec<u64> = (1..=9).map(|n| retry_delay(n, 1.0).as_secs()).collect();
        assert_eq!(secs, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(
            retry_delay(3, 0.0).as_secs(),
            120,
            "half of the ceiling at least"
        );
        assert_eq!(retry_delay(1_000, 1.0), RETRY_MAX);
        let late = Attempted {
            attempts: 30,
            now: AT.queued_at + AT.retry_secs - 100,
            ..AT
        };
        assert_eq!(
            verdict(&refused(Step::Rcpt, 451), late, 0.5),
            Verdict::Fail {
                failure: Failure::Expired,
                bounce: None
            }
        );
    }

    #[test]
    fn scores_add_up_stop_at_four_and_reset_after_thirty_days() {
        let day = 86_400;
        let hard = |d: i64| (d * day, HARD_SCORE);
        let soft = |d: i64| (d * day, SOFT_SCORE);
        assert_eq!(bounce_score(&[], 0), 0);
        assert_eq!(bounce_score(&[soft(0)], day), 1);
        assert!(!stops_mail(bounce_score(&[hard(0), soft(1)], 2 * day)));
        assert!(stops_mail(bounce_score(&[hard(0), hard(10)], 11 * day)));
        // Thirty days after the last bounce the score is back to 0…
        assert_eq!(bounce_score(&[hard(0), hard(10)], 41 * day), 0);
        // …and bounces before a 30-day gap no longer count.
        assert_eq!(bounce_score(&[hard(0), hard(10), soft(45)], 46 * day), 1);
        assert_eq!(bounce_score(&[hard(0), soft(29), soft(58)], 59 * day), 4);
    }
}
