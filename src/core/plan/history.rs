//! Rebuilt history: the earlier mails a quote shows, as reconstructed entries of a thread, once
//! each, at the best date the quotes give.
//!
//! How each date is read is in [`super::dating`]: in the zone of the client that showed it,
//! calibrated against a mail the thread has published. Each rebuilt date records how it was
//! read ([`DateTrust`]); a later quote of the same mail with a better reading re-dates the
//! entry, and a date read in a guessed zone is read again once that zone is learned
//! ([`super::zone_guesses`]).

use super::dating::Reading;
use super::matching::{is_original_of, Entry};
use super::state::{Filing, OpenReconstruction, State};
use super::zone_guesses::RecKey;
use super::{DateTrust, GroupId, NewMessage, Planned, ThreadRef};
use std::borrow::Cow;

use crate::core::quote_history::{reconstruct, QuoteContext};
use crate::core::thread_keys::subject_key_of;
use crate::model::{Attachments, CleanBody, QuotedMail, Via};

/// A quoted mail cannot be younger than the mail quoting it. An attribution time later than that
/// was shown in a zone east of the one it was read in: step back whole hours (up to 14), which
/// keeps its minutes, so the original still matches it when it arrives.
fn quoted_date(date: i64, quoting: i64, fallback: i64) -> i64 {
    let mut d = date;
    for _ in 0..=14 {
        if d <= quoting {
            return d;
        }
        d -= 3600;
    }
    fallback
}

impl State {
    /// The mails rebuilt from the quote, as reconstructed entries of thread `t`; a mail the
    /// thread shows already may be re-dated by a better reading instead.
    pub(super) fn add_reconstructions(&mut self, f: &Filing, g: GroupId, t: ThreadRef) {
        let p = f.p;
        let (rebuilt, quoter_zone) = self.rebuilt_quote(f);
        let rebuilt: &[QuotedMail] = &rebuilt;
        let n = rebuilt.len();
        let readings = self.readings(f, t, rebuilt, quoter_zone);
        // When the quote chain and References line up one to one, the rebuilt entries take the
        // real Message-IDs, so the originals are recognised by id when they arrive.
        let ids_line_up = n > 0 && n == p.mail.references.len();
        let sha = &p.mail.raw_sha256[..16.min(p.mail.raw_sha256.len())];
        for (i, (q, reading)) in rebuilt.iter().zip(readings).enumerate() {
            let message_id = if ids_line_up {
                p.mail.references[i].clone()
            } else {
                format!("reconstructed.{sha}.{i}@outloud.invalid")
            };
            // Undated quotes keep their order just before the mail that quoted them.
            let before = f.date - (n - i) as i64;
            let reading = match reading {
                None => Reading::undated(before),
                Some(r) => Reading {
                    date: quoted_date(r.date, f.date, before),
                    ..r
                },
            };
            if self.messages.contains_key(&(g, message_id.clone())) {
                // Rebuilt before under its real id (or published): at most a better date.
                let at = (self.reconstructions.get(&t).into_iter().flatten())
                    .position(|r| self.rec_message_id(r) == message_id);
                if let Some(pos) = at.filter(|pos| self.rec_trust(t, *pos) < reading.trust) {
                    self.redate(t, pos, reading);
                }
                continue;
            }
            if self.shown_already(t, q, &reading) {
                continue;
            }
            let m = rebuilt_entry(f, g, t, q, message_id, &reading);
            let index = self.ws.messages.len();
            self.push_message(m);
            self.reconstructions
                .entry(t)
                .or_default()
                .push(OpenReconstruction::Pending(index));
            if let Some(guess) = reading.guess {
                self.note_guess(t, RecKey::Pending(index), guess, true);
            }
            self.add_person(&q.author);
            self.touch(t, reading.date, 1);
        }
    }

    /// The mails the quote shows. A `+0000` Date may be a server's UTC stamp: when the author's
    /// other mail shows their zone, the quote's zone-less times are read in it instead. The
    /// second value: the quoting client's zone is known (not a UTC guess).
    fn rebuilt_quote<'p>(&self, f: &Filing<'p>) -> (Cow<'p, [QuotedMail]>, bool) {
        let p = f.p;
        let zone = self.zones.get(&f.author.email);
        match (p.mail.date_offset_secs, zone) {
            (Some(0), Some(z)) => {
                let ctx = QuoteContext {
                    date_offset_secs: Some(z.offset),
                    date: Some(z.seen_at),
                };
                (Cow::Owned(reconstruct(&p.clean.quoted, ctx)), true)
            }
            (offset, _) => (
                Cow::Borrowed(p.reconstructed()),
                offset.is_some_and(|o| o != 0),
            ),
        }
    }

    /// Thread `t` shows this earlier mail already, published or rebuilt. A rebuilt copy read
    /// less reliably takes this reading's date.
    fn shown_already(&mut self, t: ThreadRef, q: &QuotedMail, reading: &Reading) -> bool {
        let e = quoted_entry(q, reading.date);
        let published = (self.published.get(&t).into_iter().flatten())
            .any(|p| is_original_of(&e, &self.published_entry(p)));
        if published {
            return true;
        }
        let list = self.reconstructions.get(&t).into_iter().flatten();
        let Some(pos) = list
            .enumerate()
            .find(|(_, r)| is_original_of(&e, &self.rec_entry(r)))
            .map(|(k, _)| k)
        else {
            return false;
        };
        if self.rec_trust(t, pos) < reading.trust {
            self.redate(t, pos, reading.clone());
        }
        true
    }

    fn rec_message_id<'s>(&'s self, r: &'s OpenReconstruction) -> &'s str {
        match r {
            OpenReconstruction::Row(r) => &r.message_id,
            OpenReconstruction::Pending(i) => &self.ws.messages[*i].message_id,
        }
    }

    pub(super) fn rec_trust(&self, t: ThreadRef, pos: usize) -> DateTrust {
        match &self.reconstructions[&t][pos] {
            OpenReconstruction::Row(r) => r.date_trust,
            OpenReconstruction::Pending(i) => self.ws.messages[*i].date_trust,
        }
    }

    /// The rebuilt entry at `pos` of thread `t` takes a better reading's date.
    pub(super) fn redate(&mut self, t: ThreadRef, pos: usize, reading: Reading) {
        let Some(list) = self.reconstructions.get_mut(&t) else {
            return;
        };
        let Reading { date, trust, guess } = reading;
        let key = RecKey::of(&list[pos]);
        match &mut list[pos] {
            OpenReconstruction::Row(r) => {
                r.date = date;
                r.date_trust = trust;
                self.ws.redates.push((r.id, date, trust));
            }
            OpenReconstruction::Pending(i) => {
                let m = &mut self.ws.messages[*i];
                m.date = date;
                m.date_trust = trust;
            }
        }
        match guess {
            Some(guess) => self.note_guess(t, key, guess, true),
            None => self.forget_guess(key),
        }
        self.touch(t, date, 0);
    }
}

pub(super) fn quoted_entry(q: &QuotedMail, date: i64) -> Entry<'_> {
    Entry {
        email: &q.author.email,
        name: q.author.name.as_deref(),
        date,
        body: &q.body,
    }
}

/// Quoted mail `q` as a reconstructed message of thread `t`.
fn rebuilt_entry(
    f: &Filing,
    g: GroupId,
    t: ThreadRef,
    q: &QuotedMail,
    message_id: String,
    reading: &Reading,
) -> NewMessage {
    let subject = q
        .subject
        .clone()
        .unwrap_or_else(|| f.p.mail.subject.clone());
    NewMessage {
        place: Planned {
            group_id: g,
            thread: t,
        },
        raw_sha256: None,
        message_id,
        author_email: q.author.email.clone(),
        author_name: q.author.name.clone(),
        date: reading.date,
        date_trust: reading.trust,
        subject_key: subject_key_of(&subject),
        subject,
        subject_link: false,
        clean: CleanBody {
            body: q.body.clone(),
            ..CleanBody::default()
        },
        html: None,
        html_note: None,
        attachments: Attachments::default(),
        via: Via::Cc,
        reconstructed: true,
        recipients: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn future_quote_times_step_back_whole_hours() {
        assert_eq!(quoted_date(100, 200, 0), 100);
        assert_eq!(
            quoted_date(13 * 3600 + 1740, 13 * 3600 + 600, 0),
            12 * 3600 + 1740
        );
        assert_eq!(
            quoted_date(30 * 3600, 0, -1),
            -1,
            "more than 14 h ahead: undated"
        );
    }
}
