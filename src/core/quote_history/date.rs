//! Dates as attribution lines and Outlook header blocks write them, in the languages we
//! support: "Mon, Mar 3, 2025 at 10:02 AM", "Montag, 3. März 2025 10:02", "03.03.25 um 10:02",
//! "2025年3月3日(月) 10:02", "Mon, 3 Mar 2025 10:02:00 +0100", …
//!
//! Most of them carry no time zone: those are read as UTC (documented in BODY_CLEANING.md).

use chrono::NaiveDate;
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

static TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(午前|午後)?\s*\b(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?(?:\s*([ap])\.?\s?m\b\.?)?",
    )
    .unwrap()
});
static TZ: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^[\s,]*(?:\(?\s*(?:gmt|utc)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?\s*\)?|([+-])(\d{2}):?(\d{2})\b|\(?(gmt|utc|z|cet|cest|eet|eest|wet|west|bst|est|edt|cst|cdt|mst|mdt|pst|pdt|jst|ist)\)?\b)",
    )
    .unwrap()
});
static YMD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})").unwrap());
static NUMERIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(\d{1,2})([./\-])(\d{1,2})[./\-](\d{4}|\d{2})\b").unwrap());
static TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\p{L}+|\d+").unwrap());
static NOISE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<[^>]*>|\[[^\]]*\]|\([^)]*@[^)]*\)|\S+@\S+").unwrap());

static MONTHS: LazyLock<HashMap<&'static str, u32>> = LazyLock::new(|| {
    #[rustfmt::skip]
    let table: [(u32, &[&str]); 12] = [
        (1, &["january", "jan", "januar", "jänner", "janvier", "janv", "enero", "ene", "januari", "styczeń", "stycznia", "sty"]),
        (2, &["february", "feb", "februar", "février", "fevrier", "févr", "fév", "febrero", "februari", "luty", "lutego", "lut"]),
        (3, &["march", "mar", "märz", "maerz", "mär", "mrz", "mars", "marzo", "maart", "mrt", "marzec", "marca"]),
        (4, &["april", "apr", "avril", "avr", "abril", "abr", "kwiecień", "kwietnia", "kwi"]),
        (5, &["may", "mai", "mayo", "mei", "maj", "maja"]),
        (6, &["june", "jun", "juni", "juin", "junio", "czerwiec", "czerwca", "cze"]),
        (7, &["july", "jul", "juli", "juillet", "juil", "julio", "lipiec", "lipca", "lip"]),
        (8, &["august", "aug", "août", "aout", "agosto", "ago", "augustus", "sierpień", "sierpnia", "sie"]),
        (9, &["september", "sep", "sept", "septembre", "septiembre", "setiembre", "wrzesień", "września", "wrz"]),
        (10, &["october", "oct", "oktober", "okt", "octobre", "octubre", "październik", "października", "paź"]),
        (11, &["november", "nov", "novembre", "noviembre", "listopad", "listopada", "lis"]),
        (12, &["december", "dec", "dezember", "dez", "décembre", "déc", "diciembre", "dic", "grudzień", "grudnia", "gru"]),
    ];
    table
        .iter()
        .flat_map(|(m, names)| names.iter().map(move |n| (*n, *m)))
        .collect()
});

/// Unix seconds (UTC) of a loosely written date, or `None` when no day, month and year can be
/// found. `english` resolves "3/4/25" as month/day (US) unless written "03/04/2025" (UK style).
pub(crate) fn parse_date(s: &str, english: bool) -> Option<i64> {
    let s = NOISE.replace_all(s, " ");
    let s = s.as_ref();
    let (mut h, mut mi, mut sec, mut offset) = (0u32, 0u32, 0u32, 0i64);
    let mut rest = s.to_string();
    if let Some(c) = TIME.captures(s) {
        h = c[2].parse().ok()?;
        mi = c[3].parse().ok()?;
        sec = c.get(4).map_or(Ok(0), |m| m.as_str().parse()).ok()?;
        let pm = c
            .get(5)
            .is_some_and(|m| m.as_str().eq_ignore_ascii_case("p"))
            || c.get(1).is_some_and(|m| m.as_str() == "午後");
        let am = c
            .get(5)
            .is_some_and(|m| m.as_str().eq_ignore_ascii_case("a"));
        if pm && h < 12 {
            h += 12;
        } else if am && h == 12 {
            h = 0;
        }
        let whole = c.get(0).unwrap();
        let mut end = whole.end();
        if let Some(t) = TZ.captures(&s[end..]) {
            offset = tz_offset(&t);
            end += t.get(0).unwrap().end();
        }
        rest = format!("{} {}", &s[..whole.start()], &s[end..]);
    }
    let (y, m, d) = ymd(&rest, english)?;
    let y = if y < 100 { 2000 + y } else { y };
    let dt = NaiveDate::from_ymd_opt(y, m, d)?.and_hms_opt(h, mi, sec)?;
    Some(dt.and_utc().timestamp() - offset)
}

fn tz_offset(c: &regex::Captures) -> i64 {
    let num = |i: usize| {
        c.get(i)
            .map_or(0, |m| m.as_str().parse::<i64>().unwrap_or(0))
    };
    let sign = |i: usize| {
        if c.get(i).is_some_and(|m| m.as_str() == "-") {
            -1
        } else {
            1
        }
    };
    if c.get(1).is_some() {
        return sign(1) * (num(2) * 3600 + num(3) * 60);
    }
    if c.get(4).is_some() {
        return sign(4) * (num(5) * 3600 + num(6) * 60);
    }
    let hours = match c.get(7).map(|m| m.as_str().to_ascii_lowercase()).as_deref() {
        Some("cet" | "west" | "bst" | "ist") => 1,
        Some("cest" | "eet") => 2,
        Some("eest") => 3,
        Some("est" | "cdt") => -5,
        Some("edt") => -4,
        Some("cst" | "mdt") => -6,
        Some("mst" | "pdt") => -7,
        Some("pst") => -8,
        Some("jst") => 9,
        _ => 0,
    };
    hours * 3600
}

fn ymd(s: &str, english: bool) -> Option<(i32, u32, u32)> {
    if let Some(c) = YMD.captures(s) {
        return Some((c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?));
    }
    if let Some(c) = NUMERIC.captures(s) {
        let (a, b): (u32, u32) = (c[1].parse().ok()?, c[3].parse().ok()?);
        let y: i32 = c[4].parse().ok()?;
        // Dots and dashes are always day first; slashes depend on the values and language
        // (en-US writes 3/4/25, en-GB 03/04/2025).
        let month_first = &c[2] == "/"
            && a <= 12
            && (b > 12 || (english && !(c[1].starts_with('0') && c[4].len() == 4)));
        return Some(if month_first { (y, a, b) } else { (y, b, a) });
    }
    textual(s)
}

/// "Mar 3, 2025", "3. März 2025", "3 de marzo de 2025", "poniedziałek, 3 marca 2025".
fn textual(s: &str) -> Option<(i32, u32, u32)> {
    let tokens: Vec<String> = TOKEN
        .find_iter(s)
        .map(|m| m.as_str().to_lowercase())
        .collect();
    let num = |i: usize| tokens.get(i).and_then(|t| t.parse::<u32>().ok());
    let is_year = |i: usize| {
        tokens.get(i).is_some_and(|t| t.len() == 4)
            && num(i).is_some_and(|n| (1970..=2100).contains(&n))
    };
    let months: Vec<(usize, u32)> = tokens
        .iter()
        .enumerate()
        .filter_map(|(i, t)| MONTHS.get(t.as_str()).map(|m| (i, *m)))
        .collect();
    // The month next to the year wins ("mar. 4 mars 2025": mardi, then mars).
    let (t, month) = months
        .iter()
        .copied()
        .find(|&(i, _)| {
            (i + 1..=i + 3).any(|k| {
                is_year(k)
                    && (i + 1..k).all(|j| num(j).is_some_and(|n| n <= 31) || tokens[j] == "de")
            })
        })
        .or_else(|| months.first().copied())?;
    let day_ok = |i: usize| !is_year(i) && num(i).is_some_and(|n| (1..=31).contains(&n));
    let day = if t >= 1 && day_ok(t - 1) {
        num(t - 1)
    } else if t >= 2 && tokens[t - 1] == "de" && day_ok(t - 2) {
        num(t - 2)
    } else if day_ok(t + 1) {
        num(t + 1)
    } else {
        None
    }?;
    let year = (t + 1..tokens.len())
        .find(|&i| is_year(i))
        .or_else(|| (0..tokens.len()).find(|&i| is_year(i)))?;
    Some((num(year)? as i32, month, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    #[test]
    fn formats() {
        let t = utc("2025-03-03T10:02:00Z");
        for (s, en) in [
            ("Mon, Mar 3, 2025 at 10:02 AM", true),
            ("Mon, Mar 3, 2025 at 10:02\u{202f}AM Anna <a@x.com>", true),
            ("Monday, March 3, 2025 10:02 AM", true),
            ("Montag, 3. März 2025 10:02", false),
            ("Mo., 3. März 2025 um 10:02 Uhr", false),
            ("lundi 3 mars 2025 10:02", false),
            ("lunes, 3 de marzo de 2025 10:02", false),
            ("maandag 3 maart 2025 10:02", false),
            ("poniedziałek, 3 marca 2025 10:02", false),
            ("2025年3月3日(月) 10:02", false),
            ("2025/03/03 10:02", false),
            ("03.03.25 um 10:02", false),
            ("3/3/25 10:02 AM", true),
            ("Monday, 3 March 2025 at 10:02", true),
            ("Mon, 3 Mar 2025 11:02:00 +0100", true),
            ("3 March 2025 at 11:02:00 CET", true),
            ("Monday, March 3, 2025 at 11:02:00 AM GMT+1", true),
        ] {
            assert_eq!(parse_date(s, en), Some(t), "{s}");
        }
        let pm = utc("2025-03-04T16:47:00Z");
        assert_eq!(parse_date("Tue, Mar 4, 2025 at 4:47 PM", true), Some(pm));
        // Day/month order.
        let apr3 = utc("2025-04-03T00:00:00Z");
        assert_eq!(parse_date("4/3/25", true), Some(apr3));
        assert_eq!(parse_date("03/04/2025", true), Some(apr3));
        assert_eq!(parse_date("03/04/2025", false), Some(apr3));
        assert_eq!(
            parse_date("El mar, 4 feb 2025 a las 9:30", false),
            Some(utc("2025-02-04T09:30:00Z"))
        );
        assert_eq!(parse_date("no date here", true), None);
    }
}
