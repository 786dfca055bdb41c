//! Conversation plots: who writes when, to whom, and whether the group sees it. Ordinary
//! conversations (group cc'd from the start, or added after two to five private mails,
//! forwards) plus the threading traps: three same-subject conversations in one week, the same
//! subject a year apart, replies arriving before their parents, Outlook mails with only a
//! Thread-Index, clients that truncate References.

use outloud::seeded::{SeededRng, SliceSeeded};

use crate::clients::Client;
use crate::people::{Lang, Person};

/// Which threading headers a reply carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refs {
    Full,
    /// In-Reply-To only (some mobile and web clients).
    InReplyToOnly,
    /// References cut to the first and the parent id.
    Trimmed,
    /// Neither In-Reply-To nor References (Outlook through some gateways: Thread-Index only).
    None,
}

#[derive(Debug, Clone)]
pub struct Step {
    /// Index into the conversation's people.
    pub author: usize,
    /// Index of the step this one answers (or forwards).
    pub parent: Option<usize>,
    pub in_group: bool,
    /// Seconds after the parent was sent (after the start for the first step).
    pub delay: i64,
    pub adds_group: bool,
    pub forward: bool,
    pub refs: Refs,
    /// Seconds from sending to arrival in the group mailbox.
    pub delivery: i64,
    /// Use the desk client (no phone) — for the Outlook-only plots.
    pub desk_only: bool,
    /// Group in To rather than Cc.
    pub group_in_to: bool,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub subject: String,
    pub topic: usize,
    pub lang: Lang,
    pub group: usize,
    pub start: i64,
    /// Indices into the roster; `people[0]` starts the conversation.
    pub people: Vec<usize>,
    pub steps: Vec<Step>,
    pub plot: &'static str,
    pub tags: Vec<String>,
}

/// 2025-01-13 (Monday) 00:00 UTC: the corpus spans about 20 months from here.
pub const EPOCH: i64 = 1_736_726_400;
const SPAN_DAYS: i64 = 600;

fn step(author: usize, parent: Option<usize>, in_group: bool, delay: i64) -> Step {
    Step {
        author,
        parent,
        in_group,
        delay,
        adds_group: false,
        forward: false,
        refs: Refs::Full,
        delivery: 0,
        desk_only: false,
        group_in_to: false,
    }
}

/// How long people take to answer: mostly within the hour, sometimes the next day.
pub fn reply_delay(rng: &mut SeededRng) -> i64 {
    let x: f64 = rng.random();
    if x < 0.4 {
        rng.gen_range(4 * 60..60 * 60)
    } else if x < 0.75 {
        rng.gen_range(3600..6 * 3600)
    } else {
        rng.gen_range(6 * 3600..30 * 3600)
    }
}

/// A start time in working hours of the initiator's office, on a weekday.
pub fn start_time(rng: &mut SeededRng, p: &Person) -> i64 {
    loop {
        let day = EPOCH + rng.gen_range(0..SPAN_DAYS) * 86_400;
        let local_hour = rng.gen_range(8..18) * 3600 + rng.gen_range(0..3600);
        let t = day + local_hour - i64::from(p.zone.offset_at(day + 12 * 3600));
        let (c, _) = p.zone.local(t);
        if c.wd < 5 {
            return t + rng.gen_range(0..60);
        }
    }
}

/// People for a conversation: mostly one office, sometimes a colleague elsewhere or a
/// partner. `outlook_only` picks Outlook desk users only; `office` fixes the office.
pub fn pick_people(
    rng: &mut SeededRng,
    roster: &[Person],
    n: usize,
    outlook_only: bool,
    office: Option<usize>,
) -> Vec<usize> {
    let eligible: Vec<usize> = (0..roster.len())
        .filter(|&i| {
            !outlook_only
                || matches!(
                    roster[i].desk,
                    Client::OutlookDesktop | Client::OutlookPlain | Client::OutlookWeb
                )
        })
        .collect();
    // Offices first (uniformly), so every language gets its share, then a person.
    let mut offices: Vec<usize> = eligible.iter().map(|&i| roster[i].office).collect();
    offices.dedup();
    let office = office
        .filter(|o| offices.contains(o))
        .unwrap_or_else(|| *offices.choose(rng).expect("roster not empty"));
    let here: Vec<usize> = eligible
        .iter()
        .copied()
        .filter(|&i| roster[i].office == office)
        .collect();
    let first = *here.choose(rng).expect("office has people");
    let mut same: Vec<usize> = eligible
        .iter()
        .copied()
        .filter(|&i| i != first && roster[i].office == office)
        .collect();
    let mut other: Vec<usize> = eligible
        .iter()
        .copied()
        .filter(|&i| roster[i].office != office)
        .collect();
    same.shuffle(rng);
    other.shuffle(rng);
    let mut out = vec![first];
    let mixed = rng.gen_bool(0.15);
    while out.len() < n {
        let from_other = mixed && out.len() == 1 || same.is_empty();
        let next = if from_other { other.pop() } else { same.pop() };
        match next {
            Some(i) => out.push(i),
            None => break,
        }
    }
    out
}

/// The language a conversation is written in: shared, or English.
pub fn conv_lang(roster: &[Person], people: &[usize]) -> Lang {
    let l = roster[people[0]].lang;
    if people.iter().all(|&i| roster[i].lang == l) {
        l
    } else {
        Lang::En
    }
}

fn private_author(k: usize, people: usize, rng: &mut SeededRng) -> usize {
    if people > 2 && k >= 2 && rng.gen_bool(0.3) {
        2
    } else {
        k % 2
    }
}

/// Replies in the group phase: to the latest mail mostly, sometimes to an earlier group mail.
fn group_replies(rng: &mut SeededRng, steps: &mut Vec<Step>, n: usize, people: usize) {
    let first_group = steps.iter().position(|s| s.in_group).unwrap_or(0);
    for _ in 0..n {
        let last = steps.len() - 1;
        let parent = if rng.gen_bool(0.25) && last > first_group {
            rng.gen_range(first_group..last)
        } else {
            last
        };
        let prev = steps[parent].author;
        let mut author = rng.gen_range(0..people);
        if author == prev {
            author = (author + 1) % people;
        }
        steps.push(step(author, Some(parent), true, reply_delay(rng)));
    }
}

/// The group is cc'd after `private` private mails; `public` group replies follow.
pub fn late_cc(rng: &mut SeededRng, people: usize, private: usize, public: usize) -> Vec<Step> {
    let mut steps = vec![step(0, None, false, 0)];
    for k in 1..private {
        let author = private_author(k, people, rng);
        let author = if author == steps[k - 1].author {
            (author + 1) % 2
        } else {
            author
        };
        steps.push(step(author, Some(k - 1), false, reply_delay(rng)));
    }
    let prev = steps[private - 1].author;
    let adder = if rng.gen_bool(0.7) {
        1 - prev.min(1)
    } else {
        prev
    };
    let mut s = step(adder, Some(private - 1), true, reply_delay(rng));
    s.adds_group = true;
    steps.push(s);
    group_replies(rng, &mut steps, public, people);
    steps
}

/// The group is on the first mail.
pub fn from_start(rng: &mut SeededRng, people: usize, n: usize) -> Vec<Step> {
    let mut first = step(0, None, true, 0);
    first.group_in_to = rng.gen_bool(0.5);
    let mut steps = vec![first];
    group_replies(rng, &mut steps, n - 1, people);
    steps
}

/// A private exchange forwarded to the group, then answered there.
pub fn forward(rng: &mut SeededRng, people: usize, private: usize, public: usize) -> Vec<Step> {
    let mut steps = vec![step(1, None, false, 0)];
    for k in 1..private {
        steps.push(step((k + 1) % 2, Some(k - 1), false, reply_delay(rng)));
    }
    let mut f = step(0, Some(private - 1), true, reply_delay(rng));
    f.forward = true;
    f.group_in_to = true;
    steps.push(f);
    group_replies(rng, &mut steps, public, people);
    steps
}

/// Delivery delays: seconds normally; `late` makes one group mail arrive after its reply.
pub fn deliveries(rng: &mut SeededRng, steps: &mut [Step], late: bool) -> bool {
    for s in steps.iter_mut() {
        s.delivery = rng.gen_range(2..40);
    }
    if !late {
        return false;
    }
    // A group mail stuck in a queue: its answer, written quickly, arrives first.
    let pairs: Vec<(usize, usize)> = (0..steps.len())
        .filter_map(|c| steps[c].parent.map(|p| (p, c)))
        .filter(|&(p, c)| steps[p].in_group && steps[c].in_group && !steps[p].forward)
        .collect();
    let Some(&(p, c)) = pairs.choose(rng) else {
        return false;
    };
    steps[c].delay = rng.gen_range(3 * 60..15 * 60);
    steps[p].delivery = steps[c].delay + rng.gen_range(120..900);
    true
}
