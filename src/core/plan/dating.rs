//! Reading a rebuilt mail's date. An attribution time without a zone is what the client that
//! wrote the attribution showed, in its user's zone: the quoting mail's client for the first
//! level, and for a deeper level the client of the person whose mail held that quote (Outlook
//! in London quoting a Gmail reply from New York quoting Tokyo shows the Tokyo mail's time as
//! New York saw it). So each level is read in the zone of whoever showed it, when known:
//! - the quoting mail's Date offset (or its author's learned zone when the Date says `+0000`);
//! - the zone learned from that person's own Date headers ([`super::PersonZone`]);
//! - the zone that person's attribution wrote (`… 10:02 +0100, Bob wrote:`).
//!
//! Otherwise the time is read in the quoting mail's zone, as a guess kept with who showed it
//! ([`DateTrust::ZoneGuess`], or [`DateTrust::UtcGuess`] when that zone is a `+0000` stamp), to
//! be read again once their zone is learned.
//!
//! **Calibration**: when a quote also shows a mail the thread has published (true time known),
//! the difference is the error of that client's zone, and the other times the same client
//! showed are corrected by it.

use std::collections::HashMap;

use super::history::quoted_entry;
use super::matching::{same_author, zone_shift, Entry};
use super::state::{Filing, State};
use super::{DateGuess, DateTrust, ThreadRef};
use crate::core::quote_history::read_in_zone;
use crate::model::{Address, QuotedMail};

/// One rebuilt mail's date and how far it can be trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Reading {
    pub date: i64,
    pub trust: DateTrust,
    /// For a guessed zone: the time to read again once the zone is learned.
    pub guess: Option<DateGuess>,
}

impl Reading {
    /// No readable date: placed at `date`, just before the mail that quoted it.
    pub fn undated(date: i64) -> Self {
        Reading {
            date,
            trust: DateTrust::Undated,
            guess: None,
        }
    }

    fn known(date: i64, trust: DateTrust) -> Self {
        Reading {
            date,
            trust,
            guess: None,
        }
    }
}

/// Whose client showed a quoted mail's attribution.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shower {
    /// The quoting mail's own client.
    quoter: bool,
    /// Their address, when the quote or the thread tells it.
    email: Option<String>,
    /// Same key, same client: calibration spreads along it.
    key: String,
}

impl State {
    /// The date of each rebuilt mail of `rebuilt` (quoted by `f`, filed in thread `t`), `None`
    /// when it has none. `quoter_zone`: the quoting client's zone is known, not a UTC guess.
    pub(super) fn readings(
        &self,
        f: &Filing,
        t: ThreadRef,
        rebuilt: &[QuotedMail],
        quoter_zone: bool,
    ) -> Vec<Option<Reading>> {
        let showers: Vec<Shower> = (rebuilt.iter())
            .map(|q| self.shower(f, t, q, rebuilt))
            .collect();
        let mut out: Vec<Option<Reading>> = (rebuilt.iter().zip(&showers))
            .map(|(q, s)| self.first_reading(f, q, s, quoter_zone))
            .collect();
        let shifts = self.calibrations(t, rebuilt, &showers, &out);
        for ((q, s), reading) in rebuilt.iter().zip(&showers).zip(out.iter_mut()) {
            let (Some(shift), Some(r)) = (shifts.get(&s.key), reading.as_mut()) else {
                continue;
            };
            if !q.date_zoned {
                *r = Reading::known(r.date - shift, DateTrust::Exact);
            }
        }
        out
    }

    /// The date read in the zone of the client that showed it, before calibration.
    fn first_reading(
        &self,
        f: &Filing,
        q: &QuotedMail,
        s: &Shower,
        quoter_zone: bool,
    ) -> Option<Reading> {
        let date = q.date?;
        let guess = |email: Option<&String>| Reading {
            date,
            trust: match quoter_zone {
                true => DateTrust::ZoneGuess,
                false => DateTrust::UtcGuess,
            },
            guess: (email.zip(q.date_local)).map(|(e, local)| DateGuess {
                local,
                shown_by: e.clone(),
            }),
        };
        if q.date_zoned {
            return Some(Reading::known(date, DateTrust::Exact));
        }
        if s.quoter && quoter_zone {
            return Some(Reading::known(date, DateTrust::ShownZone));
        }
        if s.quoter {
            return Some(guess(Some(&f.author.email)));
        }
        if q.shown_offset.is_some() {
            return Some(Reading::known(date, DateTrust::ShownZone));
        }
        let zone = (s.email.as_ref()).and_then(|e| self.zones.get(e));
        Some(match (zone, q.date_local) {
            (Some(z), Some(local)) => Reading::known(
                read_in_zone(local, z.offset, z.seen_at),
                DateTrust::ShownZone,
            ),
            _ => guess(s.email.as_ref()),
        })
    }

    /// Who showed `q`'s attribution. An attribution that names its author without an address
    /// is matched by name with the quote's other authors, the quoting mail's and the thread's.
    fn shower(&self, f: &Filing, t: ThreadRef, q: &QuotedMail, rebuilt: &[QuotedMail]) -> Shower {
        let Some(by) = &q.shown_by else {
            return self.quoting_shower(f);
        };
        let email = match by.email.as_str() {
            "" => self.email_of_name(f, t, by, rebuilt),
            e => Some(e.to_string()),
        };
        let quoter = match &email {
            Some(e) => *e == f.author.email,
            None => same_author(&entry_of(by), &entry_of(&f.author)),
        };
        if quoter {
            return self.quoting_shower(f);
        }
        let key = (email.clone())
            .or_else(|| by.name.clone())
            .unwrap_or_default();
        Shower { quoter, email, key }
    }

    fn quoting_shower(&self, f: &Filing) -> Shower {
        Shower {
            quoter: true,
            email: Some(f.author.email.clone()),
            key: String::new(),
        }
    }

    fn email_of_name(
        &self,
        f: &Filing,
        t: ThreadRef,
        by: &Address,
        rebuilt: &[QuotedMail],
    ) -> Option<String> {
        by.name.as_ref()?;
        let me = entry_of(by);
        let quoted = rebuilt.iter().map(|q| entry_of(&q.author));
        let published =
            (self.published.get(&t).into_iter().flatten()).map(|p| self.published_entry(p));
        std::iter::once(entry_of(&f.author))
            .chain(quoted)
            .chain(published)
            .find(|e| !e.email.is_empty() && same_author(&me, e))
            .map(|e| e.email.to_string())
    }

    /// The error of each client's zone, from a zone-less time it showed of a mail the thread
    /// has published.
    fn calibrations(
        &self,
        t: ThreadRef,
        rebuilt: &[QuotedMail],
        showers: &[Shower],
        readings: &[Option<Reading>],
    ) -> HashMap<String, i64> {
        let published: Vec<Entry> = (self.published.get(&t).into_iter().flatten())
            .map(|p| self.published_entry(p))
            .collect();
        let mut shifts = HashMap::new();
        for ((q, s), r) in rebuilt.iter().zip(showers).zip(readings) {
            let Some(r) = r.as_ref().filter(|_| !q.date_zoned) else {
                continue;
            };
            if shifts.contains_key(&s.key) {
                continue;
            }
            let e = quoted_entry(q, r.date);
            if let Some(shift) = published.iter().find_map(|p| zone_shift(&e, p)) {
                shifts.insert(s.key.clone(), shift);
            }
        }
        shifts
    }
}

fn entry_of(a: &Address) -> Entry<'_> {
    Entry {
        email: &a.email,
        name: a.name.as_deref(),
        date: 0,
        body: "",
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::super::tests::{item, mail, quoted, OPTS};
    use super::super::{plan, Known, PersonZone, Published};
    use super::*;

    const H: i64 = 3600;
    /// 2025-01-15 12:00 UTC.
    const NOON: i64 = 1_736_942_400;

    /// `q` as a level whose attribution `by`'s client wrote, showing wall-clock time `local`.
    fn shown_by(mut q: QuotedMail, local: i64, by: Option<(&str, &str)>) -> QuotedMail {
        q.date_local = Some(local);
        q.shown_by = by.map(|(name, email)| Address::new(Some(name), email));
        q
    }

    #[test]
    fn each_level_is_read_in_the_zone_of_the_client_that_showed_it() {
        // Ann in New York (-0500) quotes Bob, whose client in Paris (+0100) showed Carl's
        // mail at 05:00: 04:00 UTC, not 10:00 as New York would read it.
        let (bob_local, carl_local) = (NOON - 8 * H, NOON - 7 * H);
        let mut c = mail("c@x", "ann@x.com", NOON, "Re: Plan", &["p@y"]);
        c.mail.date_offset_secs = Some(-5 * 3600);
        let carl = quoted("Carl", "carl@x.com", carl_local + 5 * H, "carl wrote this");
        let bob = quoted("Bob", "bob@x.com", bob_local + 5 * H, "bob wrote that");
        c.reconstructed = OnceLock::from(vec![
            shown_by(carl, carl_local, Some(("Bob", "bob@x.com"))),
            shown_by(bob, bob_local, None),
        ]);
        let mut known = Known::default();
        let paris = PersonZone {
            offset: 3600,
            seen_at: NOON - 30 * 24 * H,
        };
        known.zones.insert("bob@x.com".into(), paris);
        let ws = plan(&[item(c.clone())], known, &OPTS);
        let dates: Vec<_> = ws.messages.iter().map(|m| (m.date, m.date_trust)).collect();
        assert_eq!(
            dates[..2],
            [
                (carl_local - H, DateTrust::ShownZone),
                (bob_local + 5 * H, DateTrust::ShownZone)
            ]
        );
        assert!(ws.guesses.is_empty());

        // Bob's zone unknown: New York's is a guess, kept with who showed the time.
        let ws = plan(&[item(c)], Known::default(), &OPTS);
        let carl = &ws.messages[0];
        assert_eq!(
            (carl.date, carl.date_trust),
            (carl_local + 5 * H, DateTrust::ZoneGuess)
        );
        let guess = DateGuess {
            local: carl_local,
            shown_by: "bob@x.com".into(),
        };
        assert_eq!(ws.guesses, vec![(1, carl.message_id.clone(), guess)]);
    }

    #[test]
    fn calibration_corrects_only_the_times_the_same_client_showed() {
        // Ann in Moscow (+0300) quotes Helen, whose client in Paris showed Ann's own published
        // mail (09:00 UTC) at 10:00, and under it Carl's mail as Ann's client had shown it.
        let ann_body = "the vendor sent the revised quote this morning";
        let mut known = Known::default();
        known.refs.insert((1, "p@y".into()), 9);
        let published = Published {
            thread_id: 9,
            author_email: "ann@x.com".into(),
            author_name: Some("Ann".into()),
            date: NOON - 3 * H,
            body: ann_body.into(),
        };
        known.published.insert(9, vec![published]);
        let (carl_local, ann_local, helen_local) = (NOON - 6 * H, NOON - 2 * H, NOON + 2 * H);
        let mut c = mail("c@x", "ann@x.com", NOON, "Re: Plan", &["p@y"]);
        c.mail.date_offset_secs = Some(3 * 3600);
        let carl = quoted("Carl", "carl@x.com", carl_local - 3 * H, "carl wrote this");
        let ann = quoted("Ann", "ann@x.com", ann_local - 3 * H, ann_body);
        let helen = quoted("Helen", "helen@x.com", helen_local - 3 * H, "helen asks");
        c.reconstructed = OnceLock::from(vec![
            shown_by(carl, carl_local, Some(("Ann", "ann@x.com"))),
            shown_by(ann, ann_local, Some(("Helen", "helen@x.com"))),
            shown_by(helen, helen_local, None),
        ]);
        let ws = plan(&[item(c)], known, &OPTS);
        let rebuilt: Vec<_> = (ws.messages.iter().filter(|m| m.reconstructed))
            .map(|m| (m.author_email.as_str(), m.date, m.date_trust))
            .collect();
        assert_eq!(
            rebuilt,
            [
                ("carl@x.com", carl_local - 3 * H, DateTrust::ShownZone),
                ("helen@x.com", helen_local - 3 * H, DateTrust::ShownZone),
            ],
            "Ann's mail is published; Helen's client's error does not move Carl's time"
        );
    }
}
