//! Digests, the pure half: who gets one this period and what is in it ([`select`]), the clean
//! excerpt of a thread ([`excerpt`]), and the mail itself ([`render`]: HTML that desktop
//! Outlook's Word engine, Gmail and Apple Mail all lay out, and a plain-text part with every
//! link). No clock, store or network: the caller passes "now", the period, the candidates and
//! the recipient's history, so the same inputs give the same digest (docs/DIGESTS.md).
//!
//! **Policy seam.** [`Candidate`]s are threads the store already found *published*: a thread
//! held, retracted or marked confidential by the policy issue must never reach a digest, so the
//! store's candidate query is where those are filtered out, and [`Candidate::withheld`] is
//! checked here again, so a caller that builds candidates any other way cannot forget it.

use std::collections::BTreeSet;

use serde::Serialize;

pub mod audience;
pub mod excerpt;
pub mod links;
pub mod render;
pub mod schedule;
pub mod select;
pub mod stats;
#[cfg(test)]
mod tests;

pub use render::{render, RenderContext, Rendered};
pub use select::{select, Decision, Item, Selection, Skip, Why};

/// One message of a candidate thread, as the digest needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CandidateMessage {
    /// Lower-cased.
    pub author_email: String,
    pub author_name: Option<String>,
    /// Unix seconds.
    pub date: i64,
    /// The clean body (quotes, signature and disclaimer already split off by the pipeline).
    pub body: String,
    /// Rebuilt from a quote: counts as history, not as activity.
    pub reconstructed: bool,
    /// Sent by a machine (`Auto-Submitted`, a no-reply or notification sender): not human talk.
    pub automated: bool,
}

/// A published thread with activity in the period: what selection chooses from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub thread_id: i64,
    pub group_slug: String,
    pub group_name: String,
    pub subject: String,
    /// Unix seconds: the thread's first message.
    pub started_at: i64,
    pub last_activity: i64,
    /// Oldest first.
    pub messages: Vec<CandidateMessage>,
    /// Held, retracted or confidential (policy): never shown. See the module's policy seam.
    pub withheld: bool,
}

/// One digest period: `[start, end)` in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub start: i64,
    pub end: i64,
}

impl Period {
    pub fn contains(&self, t: i64) -> bool {
        self.start <= t && t < self.end
    }
}

/// What outloud knows about a recipient when it decides on their digest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recipient {
    /// Lower-cased.
    pub email: String,
    pub name: Option<String>,
    /// Groups whose digest they get (audience or opted in), by slug.
    pub groups: BTreeSet<String>,
    /// A user (posted, replied, commented or signed in) rather than a non-user.
    pub is_user: bool,
    /// The last time they signed in or posted (Unix seconds).
    pub last_active_at: Option<i64>,
    /// Addresses they exchange mail with (shared threads): their threads rank first.
    pub correspondents: BTreeSet<String>,
    /// Digests sent to them before this one.
    pub digests_sent: u32,
    /// Digests in a row, the latest last, with no human click and no reply.
    pub quiet_streak: u32,
    /// Unsubscribed from every digest.
    pub opted_out_all: bool,
    /// Groups they opted out of.
    pub opted_out_groups: BTreeSet<String>,
}

/// The restraint and size rules (`[digest]` in the config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub featured: usize,
    pub more: usize,
    /// Someone who signed in or posted within this many seconds before the period's end is
    /// skipped: they are using the network already.
    pub active_skip_secs: i64,
    /// After this many digests in a row with no click and no reply, a non-user gets no more
    /// until they act (0: never stop).
    pub dormant_after: u32,
    /// Threads that started less than this long before "now" may still be cancelled or
    /// retracted (policy's undo window): left for the next digest.
    pub undo_window_secs: i64,
    /// Excerpts hold at least about this many characters.
    pub excerpt_min_chars: usize,
    /// And at most about this many.
    pub excerpt_max_chars: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            featured: 5,
            more: 5,
            active_skip_secs: 7 * 86_400,
            dormant_after: 4,
            undo_window_secs: 3600,
            excerpt_min_chars: 100,
            excerpt_max_chars: 400,
        }
    }
}

/// True for an address machines send from: notifications, no-reply senders, daemons.
pub fn is_automated_sender(email: &str) -> bool {
    const LOCALS: &[&str] = &[
        "noreply",
        "no-reply",
        "no_reply",
        "donotreply",
        "do-not-reply",
        "notifications",
        "notification",
        "notify",
        "alerts",
        "alert",
        "mailer-daemon",
        "postmaster",
        "jira",
        "confluence",
        "github",
        "gitlab",
        "jenkins",
        "builds",
        "monitoring",
        "calendar-notification",
    ];
    let local = email.split('@').next().unwrap_or("").to_ascii_lowercase();
    let base = local.split('+').next().unwrap_or("");
    LOCALS.contains(&base)
}
