//! Who gets a digest this period, and which threads, ranked for them.
//!
//! Restraint comes first: opted out, no group, signed in or posted within the active window,
//! or a non-user gone quiet for `dormant_after` digests in a row → no mail. Then eligibility:
//! a published thread of one of their groups, not withheld by policy, older than the undo
//! window, with human (not automated) messages in the period and an excerpt to show. Ranking,
//! per person: threads with people they exchange mail with first, then more distinct
//! participants in the period, then more replies in it, then the most recent.

use std::cmp::Reverse;

use serde::Serialize;

use super::excerpt::excerpt;
use super::{is_automated_sender, Candidate, CandidateMessage, Period, Recipient, Rules};

/// Why a person gets no digest this period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "skip", rename_all = "snake_case")]
pub enum Skip {
    /// Unsubscribed from every digest.
    OptedOut,
    /// In no group's audience, or opted out of each.
    NoGroups,
    /// Signed in or posted at `at`, within the active window: they use the network already.
    RecentlyActive { at: i64 },
    /// `streak` digests in a row with no click and no reply: no more until they act.
    Dormant { streak: u32 },
    /// Nothing eligible happened in their groups.
    NothingNew,
}

impl Skip {
    pub fn as_str(&self) -> &'static str {
        match self {
            Skip::OptedOut => "opted_out",
            Skip::NoGroups => "no_groups",
            Skip::RecentlyActive { .. } => "recently_active",
            Skip::Dormant { .. } => "dormant",
            Skip::NothingNew => "nothing_new",
        }
    }
}

/// Why a thread ranks where it does (shown by `outloud digest preview`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum Why {
    /// People they exchange mail with take part (their names).
    Correspondents { names: Vec<String> },
    /// Busy: distinct participants and replies in the period.
    Busy { participants: usize, replies: usize },
}

impl Why {
    pub fn text(&self) -> String {
        match self {
            Why::Correspondents { names } => format!("with {} whom you write to", names.join(", ")),
            Why::Busy { replies: 0, .. } => "new this period".to_string(),
            Why::Busy {
                participants,
                replies,
            } => format!(
                "{participants} {} and {replies} {} this period",
                if *participants == 1 {
                    "person"
                } else {
                    "people"
                },
                if *replies == 1 { "reply" } else { "replies" }
            ),
        }
    }
}

/// A thread in a digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub thread_id: i64,
    pub group_slug: String,
    pub group_name: String,
    pub subject: String,
    /// Who is talking in the period: display names, most active first (at most 3).
    pub talking: Vec<String>,
    /// Further participants not named.
    pub more_talking: usize,
    pub participants: usize,
    pub replies: usize,
    pub last_activity: i64,
    /// Paragraphs of clean text from the first human message of the period.
    pub excerpt: Vec<String>,
    /// Whose words the excerpt is.
    pub excerpt_author: String,
    pub why: Why,
    /// Among the first `featured` (shown in full); the rest are listed briefly.
    pub featured: bool,
}

/// A digest to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Selection {
    /// Best first.
    pub items: Vec<Item>,
    /// Their first digest ever: it says why they get it.
    pub first: bool,
    /// The groups it covers, by slug.
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Decision {
    Send(Selection),
    Skip(Skip),
}

/// The digest `recipient` gets for `period`, decided at `now`, from `candidates` (threads of
/// any group; those not theirs are ignored).
pub fn select(
    recipient: &Recipient,
    candidates: &[Candidate],
    period: Period,
    rules: &Rules,
    now: i64,
) -> Decision {
    if let Some(skip) = restraint(recipient, period, rules) {
        return Decision::Skip(skip);
    }
    let mut ranked: Vec<(RankKey, Item)> = candidates
        .iter()
        .filter(|c| wants_group(recipient, &c.group_slug))
        .filter_map(|c| eligible(c, recipient, period, rules, now))
        .collect();
    if ranked.is_empty() {
        return Decision::Skip(Skip::NothingNew);
    }
    ranked.sort_by_key(|a| a.0);
    let items: Vec<Item> = ranked
        .into_iter()
        .take(rules.featured + rules.more)
        .enumerate()
        .map(|(i, (_, mut item))| {
            item.featured = i < rules.featured;
            item
        })
        .collect();
    let groups = recipient
        .groups
        .iter()
        .filter(|g| wants_group(recipient, g))
        .cloned()
        .collect();
    Decision::Send(Selection {
        items,
        first: recipient.digests_sent == 0,
        groups,
    })
}

/// The restraint rules that stop a digest before any thread is looked at.
fn restraint(r: &Recipient, period: Period, rules: &Rules) -> Option<Skip> {
    if r.opted_out_all {
        return Some(Skip::OptedOut);
    }
    if !r.groups.iter().any(|g| wants_group(r, g)) {
        return Some(Skip::NoGroups);
    }
    if let Some(at) = r.last_active_at {
        if at > period.end - rules.active_skip_secs {
            return Some(Skip::RecentlyActive { at });
        }
    }
    if !r.is_user && rules.dormant_after > 0 && r.quiet_streak >= rules.dormant_after {
        return Some(Skip::Dormant {
            streak: r.quiet_streak,
        });
    }
    None
}

fn wants_group(r: &Recipient, slug: &str) -> bool {
    r.groups.contains(slug) && !r.opted_out_groups.contains(slug)
}

/// Sorts best first: correspondents, participants, replies, recency, then thread id.
type RankKey = (
    Reverse<bool>,
    Reverse<usize>,
    Reverse<usize>,
    Reverse<i64>,
    i64,
);

fn is_human(m: &CandidateMessage) -> bool {
    !m.reconstructed && !m.automated && !is_automated_sender(&m.author_email)
}

/// The item `c` makes for `r`, if it may be in their digest.
fn eligible(
    c: &Candidate,
    r: &Recipient,
    period: Period,
    rules: &Rules,
    now: i64,
) -> Option<(RankKey, Item)> {
    if c.withheld || now - c.started_at < rules.undo_window_secs {
        return None;
    }
    let human: Vec<&CandidateMessage> = (c.messages.iter())
        .filter(|m| is_human(m) && period.contains(m.date) && now - m.date >= 0)
        .collect();
    let (author, text) = human.iter().find_map(|m| {
        let e = excerpt(&m.body, rules.excerpt_min_chars, rules.excerpt_max_chars);
        (!e.is_empty()).then(|| (display(m), e))
    })?;
    // Distinct participants, most messages first, then first to speak.
    let mut counts: Vec<(&str, String, usize)> = Vec::new();
    for m in &human {
        match counts.iter_mut().find(|(e, _, _)| *e == m.author_email) {
            Some(entry) => entry.2 += 1,
            None => counts.push((&m.author_email, display(m), 1)),
        }
    }
    let order: Vec<usize> = {
        let mut idx: Vec<usize> = (0..counts.len()).collect();
        idx.sort_by_key(|&i| (Reverse(counts[i].2), i));
        idx
    };
    let participants = counts.len();
    let started_in_period = period.contains(c.started_at);
    let replies = human.len() - usize::from(started_in_period);
    let friends: Vec<String> = (counts.iter())
        .filter(|(e, _, _)| *e != r.email && r.correspondents.contains(*e))
        .map(|(_, n, _)| n.clone())
        .collect();
    let why = if friends.is_empty() {
        Why::Busy {
            participants,
            replies,
        }
    } else {
        Why::Correspondents { names: friends }
    };
    let key = (
        Reverse(matches!(why, Why::Correspondents { .. })),
        Reverse(participants),
        Reverse(replies),
        Reverse(c.last_activity),
        c.thread_id,
    );
    let talking: Vec<String> = order.iter().take(3).map(|&i| counts[i].1.clone()).collect();
    let item = Item {
        thread_id: c.thread_id,
        group_slug: c.group_slug.clone(),
        group_name: c.group_name.clone(),
        subject: c.subject.clone(),
        more_talking: participants - talking.len(),
        talking,
        participants,
        replies,
        last_activity: c.last_activity,
        excerpt: text,
        excerpt_author: author,
        why,
        featured: false,
    };
    Some((key, item))
}

fn display(m: &CandidateMessage) -> String {
    m.author_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&m.author_email)
        .to_string()
}
