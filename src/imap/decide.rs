//! The watcher's decisions, apart from the protocol: where to resume, which UIDs to fetch,
//! what to do with each mail afterwards, how long to wait. Plain functions, unit-tested.

use std::collections::HashSet;
use std::time::Duration;

use crate::config::AfterAction;
use crate::core::plan::Checkpoint;
use crate::ingest::MailResult;

/// Where a sync resumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    /// Fetch UIDs above this one.
    pub after_uid: u32,
    /// The folder's UIDVALIDITY differs from the checkpoint's: its UIDs mean other mails now,
    /// so read it all again (Message-ID dedupe in the planner keeps posts single).
    pub resync: bool,
}

pub fn resume(stored: Option<&Checkpoint>, uidvalidity: u32) -> Resume {
    match stored {
        Some(c) if c.uidvalidity == uidvalidity => Resume {
            after_uid: c.last_uid,
            resync: false,
        },
        Some(_) => Resume {
            after_uid: 0,
            resync: true,
        },
        None => Resume {
            after_uid: 0,
            resync: false,
        },
    }
}

/// Whether a UID SEARCH can find anything: when the server tells UIDNEXT, nothing above
/// `after_uid` exists unless UIDNEXT is beyond `after_uid + 1`.
pub fn may_have_new(after_uid: u32, exists: u32, uid_next: Option<u32>) -> bool {
    exists > 0 && uid_next.is_none_or(|next| next > after_uid.saturating_add(1))
}

/// The answer to `UID SEARCH UID <after+1>:*`, in fetch order. `*` is the highest UID in the
/// folder, so `n:*` matches the last mail even when its UID is below `n`: filter.
pub fn pending_uids(found: impl IntoIterator<Item = u32>, after_uid: u32) -> Vec<u32> {
    let mut v: Vec<u32> = found.into_iter().filter(|&u| u > after_uid).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Bytes of mail held in memory per batch while catching up: a batch ends at `max_count` mails
/// or when the next mail would pass this (a mail larger than it makes a batch of its own).
pub const MAX_BATCH_BYTES: u64 = 64 << 20;

/// Split pending mail (UID order, with RFC822.SIZE) into fetch-and-commit batches.
pub fn batches(sized: &[(u32, u32)], max_count: usize, max_bytes: u64) -> Vec<Vec<u32>> {
    let mut out: Vec<Vec<u32>> = Vec::new();
    let mut current = Vec::new();
    let mut bytes = 0u64;
    for &(uid, size) in sized {
        let size = u64::from(size);
        if !current.is_empty() && (current.len() >= max_count.max(1) || bytes + size > max_bytes) {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(uid);
        bytes += size;
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// An IMAP sequence set for sorted UIDs, with runs collapsed: `1:3,7,9:10`.
pub fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            i += 1;
            end = uids[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// `imap:<mailbox>/<folder>/<uid>`: the source of a fetched mail in logs and the stored raw.
pub fn source(mailbox: &str, folder: &str, uid: u32) -> String {
    format!("imap:{mailbox}/{folder}/{uid}")
}

/// The UID back from a [`source`].
pub fn uid_of_source(source: &str) -> Option<u32> {
    source
        .strip_prefix("imap:")?
        .rsplit_once('/')?
        .1
        .parse()
        .ok()
}

/// What to do in the mailbox after a batch was committed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AfterPlan {
    /// Set the configured keyword.
    pub flag: Vec<u32>,
    /// Move to `move_to`.
    pub move_to: Vec<u32>,
    /// Move to the quarantine folder.
    pub quarantine: Vec<u32>,
}

/// Mail that could not be parsed goes to the quarantine folder whatever `after` says; every
/// other handled mail (published, duplicate or skipped: all recorded by the checkpoint) gets
/// the configured action, so a mailbox set to `move` empties as outloud reads it.
pub fn after_plan<'a>(
    after: AfterAction,
    results: impl IntoIterator<Item = (u32, &'a MailResult)>,
) -> AfterPlan {
    let mut plan = AfterPlan::default();
    for (uid, result) in results {
        match (result, after) {
            (MailResult::Quarantined { .. }, _) => plan.quarantine.push(uid),
            (_, AfterAction::Keep) => {}
            (_, AfterAction::Flag) => plan.flag.push(uid),
            (_, AfterAction::Move) => plan.move_to.push(uid),
        }
    }
    for v in [&mut plan.flag, &mut plan.move_to, &mut plan.quarantine] {
        v.sort_unstable();
        v.dedup();
    }
    plan
}

/// UIDs requested but not returned by FETCH: expunged meanwhile. Reported, then passed over.
pub fn missing(requested: &[u32], got: &HashSet<u32>) -> Vec<u32> {
    requested
        .iter()
        .copied()
        .filter(|u| !got.contains(u))
        .collect()
}

/// How long one IDLE (or one nap between polls) may last: short enough to re-issue IDLE
/// before the server drops it, and to renew the lease well before it runs out.
pub fn wake_every(idle_secs: u64, lease_secs: u64) -> Duration {
    Duration::from_secs(idle_secs.min((lease_secs / 3).max(1)).max(1))
}

/// How often the lease is renewed: a third of its length, so two renewals may fail before a
/// standby takes over.
pub fn lease_renewal(lease_secs: u64) -> Duration {
    Duration::from_secs((lease_secs / 3).max(1))
}

/// A standby's session gets a NOOP this often, so the server does not drop it (RFC 3501
/// servers wait at least 30 minutes) and a dead connection is noticed before a takeover.
pub fn standby_keepalive(idle_secs: u64) -> Duration {
    Duration::from_secs(idle_secs.clamp(1, 60))
}

/// How long one wait (IDLE or poll) lasts at most: `secs`, or until the connection's OAuth2
/// token is due for renewal (`renew_at`, Unix seconds) if that comes first.
pub fn wait_limit(secs: u64, renew_at: Option<i64>, now: i64) -> Duration {
    let token_left = renew_at.map_or(u64::MAX, |at| u64::try_from(at - now).unwrap_or(0));
    Duration::from_secs(secs.min(token_left))
}

/// Whether the OAuth2 token a connection logged in with (`renew_at`, Unix seconds) is due for
/// renewal at `now`: then the connection is replaced by one with a fresh token.
pub fn token_due(renew_at: Option<i64>, now: i64) -> bool {
    renew_at.is_some_and(|at| now >= at)
}

/// How long (seconds) a connection must have been open for its end by the server to count as
/// the server's housekeeping rather than a fault.
pub const CLEAN_END_AFTER_SECS: i64 = 60;

/// A server that ends a connection opened at `opened_at` (Unix seconds) after it served a
/// while is tidying up (Gmail, Exchange Online and others end long idle connections): the
/// watcher reconnects at once. One ended sooner is a fault, retried with back-off, so a
/// server that keeps hanging up is not hammered.
pub fn ended_by_housekeeping(opened_at: i64, now: i64) -> bool {
    now.saturating_sub(opened_at) >= CLEAN_END_AFTER_SECS
}

/// Which IMAP server the watcher talks to, where that changes what it should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerKind {
    /// Holds IDLE pushes back for a fixed 500 ms to batch changes.
    Dovecot,
    /// Gmail: labels appear as folders; throttles chatty clients; caps connections per account.
    Gmail,
    /// Exchange Online or Exchange Server: throttles chatty clients.
    Exchange,
    #[default]
    Other,
}

impl ServerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ServerKind::Dovecot => "dovecot",
            ServerKind::Gmail => "gmail",
            ServerKind::Exchange => "exchange",
            ServerKind::Other => "other",
        }
    }
}

/// The server, from its greeting (`* OK … Dovecot ready.`, `* OK Gimap ready for requests
/// from …`, `* OK The Microsoft Exchange IMAP4 service is ready.`) and the name it gives in
/// its ID answer (RFC 2971: `"name" "Dovecot"`, `"name" "GImap"`). Admins can change a
/// greeting; ID is asked too for that reason.
pub fn server_kind(greeting: &str, id_name: Option<&str>) -> ServerKind {
    let text = format!("{} {}", id_name.unwrap_or_default(), greeting).to_ascii_lowercase();
    if text.contains("dovecot") {
        ServerKind::Dovecot
    } else if text.contains("gimap") {
        ServerKind::Gmail
    } else if text.contains("microsoft exchange") {
        ServerKind::Exchange
    } else {
        ServerKind::Other
    }
}

/// The NOOP re-check used against servers that hold IDLE pushes back, unless configured.
pub const DOVECOT_RECHECK: Duration = Duration::from_millis(100);

/// How often to leave IDLE for a NOOP: as configured (`0` = never); unconfigured, only on a
/// server known to delay IDLE pushes (Dovecot's fixed 500 ms), never elsewhere — Gmail and
/// Exchange Online push at once and throttle clients that chatter.
pub fn idle_recheck(configured: Option<u64>, server: ServerKind) -> Option<Duration> {
    match (configured, server) {
        (Some(0), _) => None,
        (Some(ms), _) => Some(Duration::from_millis(ms)),
        (None, ServerKind::Dovecot) => Some(DOVECOT_RECHECK),
        (None, _) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SkipReason, SkipRule};

    fn cp(uidvalidity: u32, last_uid: u32) -> Checkpoint {
        Checkpoint {
            mailbox: "corp/INBOX".into(),
            uidvalidity,
            last_uid,
            lease_holder: None,
        }
    }

    #[test]
    fn a_token_is_due_from_its_renewal_time_on() {
        assert!(!token_due(None, i64::MAX), "a password login never is");
        assert!(!token_due(Some(100), 99));
        assert!(token_due(Some(100), 100));
    }

    #[test]
    fn a_connection_ended_after_a_minute_is_housekeeping() {
        assert!(!ended_by_housekeeping(1_000, 1_000));
        assert!(!ended_by_housekeeping(1_000, 1_059));
        assert!(ended_by_housekeeping(1_000, 1_060));
        // A clock set back meanwhile is no reason to hammer the server.
        assert!(!ended_by_housekeeping(1_000, 900));
    }

    #[test]
    fn resume_after_the_checkpoint_or_from_the_start() {
        assert_eq!(
            resume(None, 5),
            Resume {
                after_uid: 0,
                resync: false
            }
        );
        assert_eq!(
            resume(Some(&cp(5, 40)), 5),
            Resume {
                after_uid: 40,
                resync: false
            }
        );
        assert_eq!(
            resume(Some(&cp(5, 40)), 6),
            Resume {
                after_uid: 0,
                resync: true
            }
        );
    }

    #[test]
    fn star_returns_the_last_mail_even_below_the_range() {
        assert_eq!(pending_uids([40], 40), Vec::<u32>::new());
        assert_eq!(pending_uids([43, 41, 42, 41], 40), vec![41, 42, 43]);
    }

    #[test]
    fn uidnext_says_when_a_search_is_pointless() {
        assert!(!may_have_new(40, 10, Some(41)));
        assert!(may_have_new(40, 10, Some(42)));
        assert!(may_have_new(40, 10, None));
        assert!(!may_have_new(0, 0, None));
    }

    #[test]
    fn batches_end_at_the_count_or_the_byte_budget() {
        let sized: Vec<(u32, u32)> = (1..=7).map(|u| (u, 10)).collect();
        assert_eq!(
            batches(&sized, 3, 1000),
            vec![vec![1, 2, 3], vec![4, 5, 6], vec![7]]
        );
        assert_eq!(
            batches(&sized, 100, 25),
            vec![vec![1, 2], vec![3, 4], vec![5, 6], vec![7]]
        );
        let big = [(1, 5), (2, 500), (3, 5)];
        assert_eq!(
            batches(&big, 100, 100),
            vec![vec![1], vec![2], vec![3]],
            "a large mail travels alone"
        );
        assert!(batches(&[], 10, 10).is_empty());
    }

    #[test]
    fn uid_sets_collapse_runs() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn sources_round_trip() {
        let s = source("corp", "Lists/eng", 812);
        assert_eq!(s, "imap:corp/Lists/eng/812");
        assert_eq!(uid_of_source(&s), Some(812));
        assert_eq!(uid_of_source("import:x.mbox#3"), None);
    }

    #[test]
    fn after_actions_per_result() {
        let published = MailResult::Published {
            groups: vec!["eng".into()],
            new_threads: 1,
            replaced: 0,
            duplicates: 0,
        };
        let skipped = MailResult::Skipped {
            reason: SkipReason::NoGroup,
            rule: SkipRule::NoGroup,
            detail: String::new(),
        };
        let bad = MailResult::Quarantined {
            reason: "not_a_mail",
            error: "no headers".into(),
        };
        let results = [
            (3, &published),
            (1, &bad),
            (2, &skipped),
            (4, &MailResult::Duplicate),
        ];
        assert_eq!(
            after_plan(AfterAction::Keep, results),
            AfterPlan {
                quarantine: vec![1],
                ..Default::default()
            }
        );
        assert_eq!(
            after_plan(AfterAction::Flag, results),
            AfterPlan {
                flag: vec![2, 3, 4],
                quarantine: vec![1],
                ..Default::default()
            }
        );
        assert_eq!(
            after_plan(AfterAction::Move, results).move_to,
            vec![2, 3, 4]
        );
    }

    #[test]
    fn wakes_before_idle_and_lease_run_out() {
        assert_eq!(wake_every(1680, 20), Duration::from_secs(6));
        assert_eq!(wake_every(5, 600), Duration::from_secs(5));
        assert_eq!(wake_every(1680, 3), Duration::from_secs(1));
    }

    #[test]
    fn waits_end_before_the_token_is_due() {
        assert_eq!(wait_limit(600, None, 0), Duration::from_secs(600));
        assert_eq!(wait_limit(600, Some(1030), 1000), Duration::from_secs(30));
        assert_eq!(wait_limit(600, Some(990), 1000), Duration::ZERO);
        assert_eq!(lease_renewal(20), Duration::from_secs(6));
        assert_eq!(standby_keepalive(600), Duration::from_secs(60));
    }

    #[test]
    fn servers_are_told_apart_by_greeting_or_id() {
        assert_eq!(
            server_kind("Dovecot (Debian) ready.", None),
            ServerKind::Dovecot
        );
        assert_eq!(
            server_kind("IMAP ready", Some("Dovecot")),
            ServerKind::Dovecot
        );
        assert_eq!(
            server_kind(
                "Gimap ready for requests from 192.0.2.1 a1mb2",
                Some("GImap")
            ),
            ServerKind::Gmail
        );
        assert_eq!(
            server_kind(
                "The Microsoft Exchange IMAP4 service is ready. [TQBOADIAUABSADAA]",
                None
            ),
            ServerKind::Exchange
        );
        assert_eq!(server_kind("Cyrus IMAP ready", None), ServerKind::Other);
    }

    #[test]
    fn idle_alone_unless_configured_or_dovecot() {
        assert_eq!(idle_recheck(None, ServerKind::Gmail), None);
        assert_eq!(idle_recheck(None, ServerKind::Exchange), None);
        assert_eq!(
            idle_recheck(None, ServerKind::Dovecot),
            Some(DOVECOT_RECHECK)
        );
        assert_eq!(idle_recheck(Some(0), ServerKind::Dovecot), None);
        assert_eq!(
            idle_recheck(Some(250), ServerKind::Gmail),
            Some(Duration::from_millis(250))
        );
    }

    #[test]
    fn missing_uids_are_named() {
        let got: HashSet<u32> = [1, 3].into();
        assert_eq!(missing(&[1, 2, 3], &got), vec![2]);
    }
}
