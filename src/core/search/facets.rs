//! Filter terms: a message's group and its UTC date (day, month, year, decade, century) stored
//! as index terms beside its words, so the full-text index itself narrows a search by group or
//! date, instead of the database reading every match's row to test it. A date range becomes
//! the fewest such terms that cover its days (March 2024 is one term, the 15th to the 20th six);
//! the exact bounds are still checked on the rows the index returns when they are not whole
//! days.
//!
//! The terms are letters and digits like every index term; the stores keep them apart from
//! the text (a column of their own in FTS5, a `#` prefix in the `tsvector`), so a search for
//! the word `g1` never finds them.

use chrono::{Datelike, NaiveDate};

const DAY: i64 = 86_400;

/// The term of group `group`.
pub fn group_term(group: i64) -> String {
    format!("g{group}")
}

/// The filter terms of a message of group `group` dated `date` (unix seconds, UTC).
pub fn facet_terms(group: i64, date: i64) -> Vec<String> {
    let day = day_of(date);
    let mut out = vec![group_term(group)];
    out.extend(Unit::ALL.iter().map(|u| u.term(day)));
    out
}

/// The terms covering every day from `from`'s to `to`'s (unix seconds, inclusive; an open end
/// runs to the first or last day a date can have), largest units first. Empty when `to` is on
/// an earlier day than `from`.
pub fn date_cover(from: Option<i64>, to: Option<i64>) -> Vec<String> {
    let end = to.map_or(NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(), day_of);
    let mut day = from.map_or(NaiveDate::from_ymd_opt(0, 1, 1).unwrap(), day_of);
    let mut out = Vec::new();
    while day <= end {
        // The largest unit that starts here and ends by `end`; a day always does.
        let unit = (Unit::ALL.iter())
            .find(|u| u.starts(day) && u.last_day(day) <= end)
            .unwrap_or(&Unit::Day);
        out.push(unit.term(day));
        match unit.last_day(day).succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    out
}

/// True when `from` and `to` fall on day boundaries (`to` the last second of its day), so the
/// covering terms select exactly the range and no row needs its date checked.
pub fn whole_days(from: Option<i64>, to: Option<i64>) -> bool {
    from.is_none_or(|f| f.rem_euclid(DAY) == 0) && to.is_none_or(|t| (t + 1).rem_euclid(DAY) == 0)
}

/// The UTC day of `date`, within the years 0 to 9999 (the years a term spells in four digits).
fn day_of(date: i64) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(0, 1, 1).unwrap();
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let days = date.div_euclid(DAY);
    let lo = (first - epoch).num_days();
    let hi = (last - epoch).num_days();
    epoch + chrono::TimeDelta::days(days.clamp(lo, hi))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Century,
    Decade,
    Year,
    Month,
    Day,
}

impl Unit {
    const ALL: [Unit; 5] = [
        Unit::Century,
        Unit::Decade,
        Unit::Year,
        Unit::Month,
        Unit::Day,
    ];

    fn term(self, d: NaiveDate) -> String {
        let y = d.year();
        match self {
            Unit::Century => format!("c{:02}", y / 100),
            Unit::Decade => format!("x{:03}", y / 10),
            Unit::Year => format!("y{y:04}"),
            Unit::Month => format!("m{y:04}{:02}", d.month()),
            Unit::Day => format!("d{y:04}{:02}{:02}", d.month(), d.day()),
        }
    }

    /// `d` is the first day of its unit.
    fn starts(self, d: NaiveDate) -> bool {
        let new_year = d.ordinal() == 1;
        match self {
            Unit::Century => new_year && d.year() % 100 == 0,
            Unit::Decade => new_year && d.year() % 10 == 0,
            Unit::Year => new_year,
            Unit::Month => d.day() == 1,
            Unit::Day => true,
        }
    }

    /// The last day of the unit `d` is in.
    fn last_day(self, d: NaiveDate) -> NaiveDate {
        let y = d.year();
        let dec31 = |y: i32| NaiveDate::from_ymd_opt(y.min(9999), 12, 31).unwrap();
        match self {
            Unit::Century => dec31(y - y % 100 + 99),
            Unit::Decade => dec31(y - y % 10 + 9),
            Unit::Year => dec31(y),
            Unit::Month => {
                let next = match d.month() {
                    12 => NaiveDate::from_ymd_opt(y + 1, 1, 1),
                    m => NaiveDate::from_ymd_opt(y, m + 1, 1),
                };
                next.and_then(|n| n.pred_opt()).unwrap_or_else(|| dec31(y))
            }
            Unit::Day => d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32) -> i64 {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp()
    }

    #[test]
    fn a_message_has_its_group_and_each_unit_of_its_day() {
        assert_eq!(
            facet_terms(3, at(2024, 3, 15) + 3600),
            ["g3", "c20", "x202", "y2024", "m202403", "d20240315"]
        );
        assert_eq!(facet_terms(1, -1)[5], "d19691231");
        assert_eq!(facet_terms(1, i64::MAX)[5], "d99991231");
        assert_eq!(facet_terms(1, i64::MIN)[5], "d00000101");
    }

    #[test]
    fn ranges_are_covered_by_the_largest_units() {
        let march = date_cover(Some(at(2024, 3, 1)), Some(at(2024, 4, 1) - 1));
        assert_eq!(march, ["m202403"]);
        let span = date_cover(Some(at(2023, 12, 30) + 5), Some(at(2024, 2, 2)));
        assert_eq!(
            span,
            [
                "d20231230",
                "d20231231",
                "m202401",
                "d20240201",
                "d20240202"
            ]
        );
        let open = date_cover(Some(at(2019, 12, 31)), None);
        assert_eq!(
            open[..4],
            [
                "d20191231".to_string(),
                "x202".into(),
                "x203".into(),
                "x204".into()
            ]
        );
        assert_eq!(open.last().unwrap(), "c99");
        assert!(open.len() < 100, "{}", open.len());
        let before = date_cover(None, Some(at(2000, 1, 1)));
        assert_eq!(before.len(), 21, "{before:?}");
        assert_eq!(before[20], "d20000101");
        assert!(date_cover(Some(at(2024, 3, 2)), Some(at(2024, 3, 1))).is_empty());
    }

    #[test]
    fn every_day_of_a_range_is_covered_once() {
        let from = at(2023, 11, 17);
        let to = at(2025, 2, 3);
        let cover = date_cover(Some(from), Some(to));
        let mut day = from;
        while day < to + DAY {
            let terms = facet_terms(1, day);
            let hits = terms.iter().filter(|t| cover.contains(t)).count();
            assert_eq!(hits, 1, "{day}");
            day += DAY;
        }
        for outside in [from - 1, to + DAY] {
            let terms = facet_terms(1, outside);
            assert!(!terms.iter().any(|t| cover.contains(t)), "{outside}");
        }
    }

    #[test]
    fn whole_days_need_no_check() {
        assert!(whole_days(Some(at(2024, 3, 1)), Some(at(2024, 4, 1) - 1)));
        assert!(whole_days(None, None));
        assert!(!whole_days(Some(at(2024, 3, 1) + 5), None));
        assert!(!whole_days(None, Some(at(2024, 4, 1))));
    }
}
