//! Is a newly arrived mail the original of a reconstructed entry? Do two mails rebuilt from
//! different quotes describe the same earlier mail? Both need the same author, a matching date
//! and a matching body: author and rough time alone would let an author's later reply replace
//! (and so erase) the rebuilt copy of their earlier private mail.

use std::collections::HashSet;

/// Attribution lines show minutes and clients round differently.
pub const SAME_TIME_SECS: i64 = 120;
/// An attribution time may be shown in another zone than the original's Date header (the
/// quoting reader's zone): whole quarter hours up to 14 h apart still match, body permitting.
pub const MAX_ZONE_SHIFT_SECS: i64 = 14 * 3600;
/// Zone offsets are whole quarter hours.
pub const ZONE_STEP_SECS: i64 = 900;
/// Bodies are compared on their opening words: quoting clients rewrap, and trim the end.
pub const OPENING_WORDS: usize = 40;
/// Share of the opening words the two bodies must have in common, in order.
pub const MIN_WORD_OVERLAP: f64 = 0.8;
/// Words one side may have inserted into the opening (a rewrapped link, a greeting).
pub const OPENING_SLACK: usize = 5;
/// Below this many words a body must match word for word ("Thanks!", "OK for me").
pub const SHORT_BODY_WORDS: usize = 4;

/// What the matching looks at, from either a stored entry or a new mail.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub date: i64,
    pub body: &'a str,
}

impl<'a> Entry<'a> {
    /// What matching looks at in a message of the plan.
    pub fn of(m: &'a super::NewMessage) -> Self {
        Entry {
            email: &m.author_email,
            name: m.author_name.as_deref(),
            date: m.date,
            body: &m.clean.body,
        }
    }
}

/// `mail` is the original of the rebuilt entry `rec`: same author, and a matching date and
/// body. When either body is empty (a quote that held only a signature) the dates must agree
/// to the minute, without zone shifts.
pub fn is_original_of(rec: &Entry, mail: &Entry) -> bool {
    if !same_author(rec, mail) {
        return false;
    }
    let (a, b) = (words(rec.body), words(mail.body));
    if a.is_empty() || b.is_empty() {
        return (rec.date - mail.date).abs() <= SAME_TIME_SECS;
    }
    same_time(rec.date, mail.date) && same_opening(&a, &b)
}

/// `rec` is a reading of `known` (same author and text) shown in another zone: the whole
/// quarter hours it is off by (0 when it is right).
pub fn zone_shift(rec: &Entry, known: &Entry) -> Option<i64> {
    let (a, b) = (words(rec.body), words(known.body));
    if !same_author(rec, known) || a.is_empty() || b.is_empty() || !same_opening(&a, &b) {
        return None;
    }
    let diff = rec.date - known.date;
    let shift = (diff as f64 / ZONE_STEP_SECS as f64).round() as i64 * ZONE_STEP_SECS;
    ((diff - shift).abs() <= SAME_TIME_SECS && shift.abs() <= MAX_ZONE_SHIFT_SECS).then_some(shift)
}

/// Same person: equal addresses when both have one, else equal names (word order and quoted
/// nicknames aside: `Diaz, Oscar` = `Oscar "Ozzy" Diaz`).
pub fn same_author(a: &Entry, b: &Entry) -> bool {
    if !a.email.is_empty() && !b.email.is_empty() {
        return a.email.eq_ignore_ascii_case(b.email);
    }
    match (a.name, b.name) {
        (Some(x), Some(y)) => same_name(x, y),
        _ => false,
    }
}

fn same_name(x: &str, y: &str) -> bool {
    let (x, y) = (name_words(x), name_words(y));
    let (small, large) = if x.len() <= y.len() {
        (&x, &y)
    } else {
        (&y, &x)
    };
    !small.is_empty() && (small.len() >= 2 || large.len() == 1) && small.is_subset(large)
}

fn name_words(s: &str) -> HashSet<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Within a couple of minutes, or off by whole quarter hours up to 14 h (a zone shift).
pub fn same_time(a: i64, b: i64) -> bool {
    let diff = (a - b).abs();
    let off_step = (diff % ZONE_STEP_SECS).min(ZONE_STEP_SECS - diff % ZONE_STEP_SECS);
    diff <= SAME_TIME_SECS
        || (diff <= MAX_ZONE_SHIFT_SECS + SAME_TIME_SECS && off_step <= SAME_TIME_SECS)
}

/// Lower-cased words, punctuation dropped: quoting changes neither.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(OPENING_WORDS * 2)
        .map(str::to_lowercase)
        .collect()
}

/// The first words of both, in order, share at least [`MIN_WORD_OVERLAP`] of the shorter
/// opening (longest common subsequence: order matters, a few inserted words do not).
fn same_opening(a: &[String], b: &[String]) -> bool {
    let n = a.len().min(b.len()).min(OPENING_WORDS);
    if n < SHORT_BODY_WORDS {
        return a == b;
    }
    let a = &a[..(n + OPENING_SLACK).min(a.len())];
    let b = &b[..(n + OPENING_SLACK).min(b.len())];
    lcs(a, b) as f64 >= MIN_WORD_OVERLAP * n as f64
}

fn lcs(a: &[String], b: &[String]) -> usize {
    let mut row = vec![0usize; b.len() + 1];
    for x in a {
        let mut diag = 0;
        for (j, y) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = if x == y { diag + 1 } else { up.max(row[j]) };
            diag = up;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e<'a>(email: &'a str, name: Option<&'a str>, date: i64, body: &'a str) -> Entry<'a> {
        Entry {
            email,
            name,
            date,
            body,
        }
    }

    const BODY: &str = "Looks good to me, ship it on Monday after the review with the team";

    #[test]
    fn original_needs_author_time_and_body() {
        let rec = e("bob@x.com", None, 1000, BODY);
        assert!(is_original_of(
            &rec,
            &e("bob@x.com", Some("Bob"), 1060, BODY)
        ));
        // A zone shift of one hour, same body.
        assert!(is_original_of(
            &rec,
            &e("bob@x.com", None, 1000 + 3600, BODY)
        ));
        // Same author, same time, other text: a different mail.
        let other = "Another topic entirely: the budget for next quarter is due Friday";
        assert!(!is_original_of(&rec, &e("bob@x.com", None, 1000, other)));
        // Same author and body opening, a day later: the later reply must not replace it.
        assert!(!is_original_of(
            &rec,
            &e("bob@x.com", None, 1000 + 86_400 + 7, BODY)
        ));
        assert!(!is_original_of(&rec, &e("ann@x.com", None, 1000, BODY)));
    }

    #[test]
    fn rewrapped_and_trimmed_quotes_still_match() {
        let rec = e(
            "",
            Some("Bob Stone"),
            1000,
            "looks good to me,\nship it on Monday after the",
        );
        let mail = e("bob@x.com", Some("Stone, Bob"), 1000, BODY);
        assert!(is_original_of(&rec, &mail));
    }

    #[test]
    fn short_and_empty_bodies() {
        let rec = e("bob@x.com", None, 1000, "Thanks!");
        assert!(is_original_of(&rec, &e("bob@x.com", None, 1030, "thanks")));
        assert!(!is_original_of(
            &rec,
            &e("bob@x.com", None, 1030, "No thanks")
        ));
        let empty = e("bob@x.com", None, 1000, "");
        assert!(is_original_of(&empty, &e("bob@x.com", None, 1100, BODY)));
        assert!(!is_original_of(
            &empty,
            &e("bob@x.com", None, 1000 + 3600, BODY)
        ));
    }

    #[test]
    fn same_words_in_another_order_do_not_match() {
        let a = "ship the numbers review on friday with the budget team draft";
        let b = "budget team draft ship review the numbers friday with on the";
        let rec = e("bob@x.com", None, 1000, a);
        assert!(!is_original_of(&rec, &e("bob@x.com", None, 1000, b)));
    }

    #[test]
    fn zone_shift_is_whole_quarter_hours() {
        let known = e("bob@x.com", None, 10_000, BODY);
        assert_eq!(
            zone_shift(&e("bob@x.com", None, 10_030, BODY), &known),
            Some(0)
        );
        assert_eq!(
            zone_shift(&e("bob@x.com", None, 10_000 + 7200 - 40, BODY), &known),
            Some(7200)
        );
        assert_eq!(
            zone_shift(&e("bob@x.com", None, 10_000 - 19_800, BODY), &known),
            Some(-19_800)
        );
        assert_eq!(
            zone_shift(&e("bob@x.com", None, 10_000 + 500, BODY), &known),
            None
        );
        assert_eq!(
            zone_shift(&e("ann@x.com", None, 10_000, BODY), &known),
            None
        );
    }

    #[test]
    fn names_match_across_order_and_nicknames() {
        assert!(same_name("Diaz, Oscar", "Oscar \"Ozzy\" Diaz"));
        assert!(same_name("bob", "Bob"));
        assert!(!same_name("Bob", "Bob Stone"));
        assert!(!same_name("Oscar Diaz", "Oscar Ramirez"));
    }
}
