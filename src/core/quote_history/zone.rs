//! The zone a quote's zone-less times are read in. A mail's Date header gives only an offset;
//! a quote may reach back across a daylight-saving change (a reply on 27 October, `+0100`,
//! quoting Outlook's "Enviado: jueves, 23 de octubre de 2025 15:32" written at `+0200`). The
//! offset and the date it was seen at identify the usual rules: European (last Sunday of
//! March to last Sunday of October, 01:00 UTC) or US (second Sunday of March to first Sunday
//! of November, 02:00 local). Offsets shared with zones without daylight saving that are at
//! least as common (`+0000`: also UTC stamps such as Exchange Online's; `+0300`: Moscow,
//! Istanbul) stay fixed.

use chrono::{Datelike, NaiveDate, Weekday};

const H: i32 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rules {
    Europe,
    Us,
}

/// The reader's zone: its standard offset and daylight-saving rules, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reader {
    standard: i32,
    rules: Option<Rules>,
}

impl Reader {
    /// A zone without daylight saving (or one written explicitly in the quote).
    pub fn fixed(offset: i32) -> Self {
        Reader {
            standard: offset,
            rules: None,
        }
    }

    /// The zone of a mail whose Date header had `offset` at `at` (unix seconds).
    pub fn of_mail(offset: i32, at: Option<i64>) -> Self {
        let Some(at) = at else {
            return Reader::fixed(offset);
        };
        let summer = |rules| in_dst(rules, at, offset - H);
        let winter = |rules| !in_dst(rules, at, offset);
        let rules = match offset {
            // Summer: BST/IST/WEST (+1), CEST (+2). Winter: CET (+1), EET (+2).
            o if (o == H || o == 2 * H) && summer(Rules::Europe) => Some((Rules::Europe, o - H)),
            o if (o == H || o == 2 * H) && winter(Rules::Europe) => Some((Rules::Europe, o)),
            // US Eastern to Pacific.
            o if (-7 * H..=-4 * H).contains(&o) && summer(Rules::Us) => Some((Rules::Us, o - H)),
            o if (-8 * H..=-5 * H).contains(&o) && winter(Rules::Us) => Some((Rules::Us, o)),
            _ => None,
        };
        match rules {
            Some((rules, standard)) => Reader {
                standard,
                rules: Some(rules),
            },
            None => Reader::fixed(offset),
        }
    }

    /// The offset in effect at a wall-clock reading (`local`, seconds as if UTC).
    pub fn offset_at(&self, local: i64) -> i32 {
        match self.rules {
            Some(rules) if in_dst(rules, local - i64::from(self.standard), self.standard) => {
                self.standard + H
            }
            _ => self.standard,
        }
    }
}

/// Is `utc` in daylight-saving time under `rules`, for a zone with `standard` offset?
fn in_dst(rules: Rules, utc: i64, standard: i32) -> bool {
    let Some(year) = chrono::DateTime::from_timestamp(utc, 0).map(|d| d.year()) else {
        return false;
    };
    let (start, end) = match rules {
        // 01:00 UTC on the last Sundays of March and October.
        Rules::Europe => (
            sunday(year, 3, Nth::Last).map(|d| d + i64::from(H)),
            sunday(year, 10, Nth::Last).map(|d| d + i64::from(H)),
        ),
        // 02:00 local standard time on the second Sunday of March, 02:00 daylight time
        // (01:00 standard) on the first Sunday of November.
        Rules::Us => (
            sunday(year, 3, Nth::Second).map(|d| d + i64::from(2 * H - standard)),
            sunday(year, 11, Nth::First).map(|d| d + i64::from(H - standard)),
        ),
    };
    matches!((start, end), (Some(s), Some(e)) if (s..e).contains(&utc))
}

enum Nth {
    First,
    Second,
    Last,
}

/// Midnight UTC of the first, second or last Sunday of a month.
fn sunday(year: i32, month: u32, nth: Nth) -> Option<i64> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let to_sunday = (7 - first.weekday().num_days_from_sunday()) % 7;
    let first_sunday = first.checked_add_days(chrono::Days::new(u64::from(to_sunday)))?;
    let day = match nth {
        Nth::First => first_sunday,
        Nth::Second => first_sunday.checked_add_days(chrono::Days::new(7))?,
        Nth::Last => {
            let mut d = first_sunday;
            while let Some(next) = d.checked_add_days(chrono::Days::new(7)) {
                if next.month() != month {
                    break;
                }
                d = next;
            }
            d
        }
    };
    debug_assert_eq!(day.weekday(), Weekday::Sun);
    Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    #[test]
    fn daylight_saving_across_the_change() {
        // Madrid, seen on 27 Oct 2025 (+0100): 23 Oct was still +0200.
        let madrid = Reader::of_mail(H, Some(ts("2025-10-27T07:20:54Z")));
        assert_eq!(madrid.offset_at(ts("2025-10-23T15:32:39Z")), 2 * H);
        assert_eq!(madrid.offset_at(ts("2025-10-27T08:00:00Z")), H);
        // Berlin in summer (+0200) quoting a March mail before the change.
        let berlin = Reader::of_mail(2 * H, Some(ts("2025-04-02T10:00:00Z")));
        assert_eq!(berlin.offset_at(ts("2025-03-28T09:00:00Z")), H);
        // New York (-0400 in March after the 9th) quoting 7 March (-0500).
        let ny = Reader::of_mail(-4 * H, Some(ts("2025-03-10T15:00:00Z")));
        assert_eq!(ny.offset_at(ts("2025-03-07T09:00:00Z")), -5 * H);
        assert_eq!(ny.offset_at(ts("2025-03-10T09:00:00Z")), -4 * H);
        // London in winter and UTC stamps stay fixed, as do Moscow and Tokyo.
        for (o, at) in [
            (0, "2025-01-10T10:00:00Z"),
            (0, "2025-07-10T10:00:00Z"),
            (3 * H, "2025-07-10T10:00:00Z"),
            (9 * H, "2025-07-10T10:00:00Z"),
        ] {
            let r = Reader::of_mail(o, Some(ts(at)));
            assert_eq!(r.offset_at(ts("2025-01-05T10:00:00Z")), o);
            assert_eq!(r.offset_at(ts("2025-08-05T10:00:00Z")), o);
        }
        // A +0100 seen in summer is British Summer Time: GMT in winter.
        let london = Reader::of_mail(H, Some(ts("2025-07-10T10:00:00Z")));
        assert_eq!(london.offset_at(ts("2025-01-05T10:00:00Z")), 0);
        assert_eq!(Reader::fixed(H).offset_at(ts("2025-07-10T10:00:00Z")), H);
    }
}
