//! Rebuilt dates read in a guessed zone, read again once the zone is learned.
//!
//! A rebuilt entry whose time was shown by a client of unknown zone (an Exchange Online user
//! whose Date headers all say `+0000` so far, or a writer not seen yet) keeps the wall-clock
//! time and who showed it ([`DateGuess`]). When a mail of that person shows their zone — later
//! in the batch or in a later one — the entries guessed for them are read in it, so the
//! result does not depend on which of their mails arrived first.

use super::dating::Reading;
use super::state::{OpenReconstruction, State};
use super::{DateGuess, DateTrust, GroupId, MessageRowId, ThreadRef};
use crate::core::quote_history::read_in_zone;

/// Which rebuilt entry: a stored row or one of this batch's new messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RecKey {
    Row(MessageRowId),
    Pending(usize),
}

impl RecKey {
    pub fn of(r: &OpenReconstruction) -> Self {
        match r {
            OpenReconstruction::Row(r) => RecKey::Row(r.id),
            OpenReconstruction::Pending(i) => RecKey::Pending(*i),
        }
    }
}

/// A rebuilt entry of thread `t` dated by a guess for one person.
#[derive(Debug, Clone, Copy)]
pub(super) struct Guessed {
    t: ThreadRef,
    key: RecKey,
    local: i64,
    /// Made by this batch: the store has to record it.
    fresh: bool,
}

impl State {
    /// Entry `key` of thread `t` is dated by `guess`, and by no earlier one.
    pub(super) fn note_guess(&mut self, t: ThreadRef, key: RecKey, guess: DateGuess, fresh: bool) {
        self.forget_guess(key);
        let g = Guessed {
            t,
            key,
            local: guess.local,
            fresh,
        };
        self.guesses.entry(guess.shown_by).or_default().push(g);
    }

    /// Entry `key` is dated otherwise now.
    pub(super) fn forget_guess(&mut self, key: RecKey) {
        for list in self.guesses.values_mut() {
            list.retain(|g| g.key != key);
        }
    }

    /// `email`'s zone is known now: their guessed entries are read in it.
    pub(super) fn read_guesses_again(&mut self, email: &str) {
        let (Some(list), Some(zone)) = (self.guesses.remove(email), self.zones.get(email).copied())
        else {
            return;
        };
        for g in list {
            let Some((t, pos)) = self.locate(g.t, g.key) else {
                continue;
            };
            if !self.rec_trust(t, pos).is_guess() {
                continue;
            }
            let date = read_in_zone(g.local, zone.offset, zone.seen_at);
            let reading = Reading {
                date,
                trust: DateTrust::ShownZone,
                guess: None,
            };
            self.redate(t, pos, reading);
        }
    }

    /// Where entry `key`, once of thread `t`, is now (threads merge, entries are replaced).
    fn locate(&self, t: ThreadRef, key: RecKey) -> Option<(ThreadRef, usize)> {
        let t = self.canon(t);
        let pos = (self.reconstructions.get(&t)?.iter()).position(|r| RecKey::of(r) == key)?;
        Some((t, pos))
    }

    /// The guesses this batch made that still date their entry: (group, Message-ID, guess),
    /// in a stable order.
    pub(super) fn guesses_to_store(&self) -> Vec<(GroupId, String, DateGuess)> {
        let mut out = Vec::new();
        for (email, list) in &self.guesses {
            for g in list.iter().filter(|g| g.fresh) {
                let Some((t, pos)) = self.locate(g.t, g.key) else {
                    continue;
                };
                if !self.rec_trust(t, pos).is_guess() {
                    continue;
                }
                let (group, message_id) = match &self.reconstructions[&t][pos] {
                    OpenReconstruction::Row(r) => (r.group_id, r.message_id.clone()),
                    OpenReconstruction::Pending(i) => {
                        let m = &self.ws.messages[*i];
                        (m.place.group_id, m.message_id.clone())
                    }
                };
                let guess = DateGuess {
                    local: g.local,
                    shown_by: email.clone(),
                };
                out.push((group, message_id, guess));
            }
        }
        out.sort_unstable_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        out.dedup_by(|a, b| (a.0, &a.1) == (b.0, &b.1));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{item, mail, OPTS};
    use super::super::{plan, Known, Reconstruction, WriteSet};
    use super::*;
    use crate::core::pipeline::Processed;

    const H: i64 = 3600;
    /// 2025-07-01 12:00 UTC.
    const NOON: i64 = 1_751_371_200;
    const BODY: &str = "the numbers look fine to me for the launch";

    /// Steve's reply, stamped `+0000` by Exchange Online, quoting Thiago's mail as Steve's
    /// client in New York showed it: 07:00, that is 11:00 UTC.
    fn utc_stamped() -> Processed {
        let mut c = mail("c@x", "steve@x.com", NOON, "Re: Plan", &["p@y"]);
        c.mail.date_offset_secs = Some(0);
        c.clean.quoted =
            format!("On Tue, Jul 1, 2025 at 7:00 AM Thiago <thiago@x.com> wrote:\n\n> {BODY}\n");
        c
    }

    /// Another mail of Steve's, from a client that stamps his zone (-0400 in July).
    fn zone_shown() -> Processed {
        let mut m = mail("m@x", "steve@x.com", NOON + H, "Other topic", &[]);
        m.mail.date_offset_secs = Some(-4 * 3600);
        m
    }

    fn thiago(ws: &WriteSet) -> (i64, DateTrust) {
        let m = ws.messages.iter().find(|m| m.reconstructed).unwrap();
        (m.date, m.date_trust)
    }

    #[test]
    fn a_guess_is_read_again_once_the_zone_shows_whatever_the_order() {
        let alone = plan(&[item(utc_stamped())], Known::default(), &OPTS);
        assert_eq!(thiago(&alone), (NOON - 5 * H, DateTrust::UtcGuess));
        let guess = DateGuess {
            local: NOON - 5 * H,
            shown_by: "steve@x.com".into(),
        };
        let id = alone.messages[0].message_id.clone();
        assert_eq!(alone.guesses, vec![(1, id, guess)]);

        let right = (NOON - H, DateTrust::ShownZone);
        for order in [[utc_stamped(), zone_shown()], [zone_shown(), utc_stamped()]] {
            let ws = plan(&order.map(item), Known::default(), &OPTS);
            assert_eq!(thiago(&ws), right);
            assert!(ws.guesses.is_empty());
        }
    }

    #[test]
    fn a_stored_guess_is_read_again_once_the_zone_shows() {
        let mut known = Known::default();
        let rec = Reconstruction {
            id: 77,
            thread_id: 9,
            group_id: 1,
            message_id: "reconstructed.c.0@outloud.invalid".into(),
            author_email: "thiago@x.com".into(),
            author_name: Some("Thiago".into()),
            date: NOON - 5 * H,
            date_trust: DateTrust::UtcGuess,
            body: BODY.into(),
        };
        let guess = DateGuess {
            local: NOON - 5 * H,
            shown_by: "steve@x.com".into(),
        };
        known.guesses.push((rec, guess));
        let ws = plan(&[item(zone_shown())], known, &OPTS);
        assert_eq!(ws.redates, vec![(77, NOON - H, DateTrust::ShownZone)]);
        assert!(ws.touches.iter().any(|t| t.id == 9 && t.added == 0));
        assert!(ws.guesses.is_empty());
    }
}
