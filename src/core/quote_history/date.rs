//! Dates as attribution lines and Outlook header blocks write them, in the languages we
//! support: "Mon, Mar 3, 2025 at 10:02 AM", "Montag, 3. März 2025 10:02", "03.03.25 um 10:02",
//! "2025年3月3日(月) 10:02", "2025년 3월 3일 (월) 오후 2:15", "пн, 3 мар. 2025 г. в 10:02",
//! "Tue, Mar 04, 2025 at 10:02:11AM +0100", …
//!
//! Most of them carry no time zone: the client showed the time in its user's zone, which is
//! best guessed from the quoting mail's own Date header (see [`Written::utc`], [`Reader`]).

use chrono::NaiveDate;
use regex::{Captures, Regex};

use super::zone::Reader;
use std::collections::HashMap;
use std::sync::LazyLock;

/// A date as it was written: its wall-clock reading and the zone, when the text gave one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written {
    /// The wall-clock reading as unix seconds, as if it were UTC.
    pub local: i64,
    pub zone: Zone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    /// No zone written: the reader's zone applies.
    Unknown,
    /// `+0100`, `GMT+1`, `CET`: seconds east of UTC.
    Fixed(i32),
    /// A name used for several zones (`CST`, `IST`): the candidates, most common first.
    Ambiguous(&'static [i32]),
}

impl Written {
    /// The explicit zone, if any; an ambiguous name resolves to the candidate the reader's zone
    /// has at that time, or else the most common one.
    pub fn zone_secs(&self, reader: Option<Reader>) -> Option<i32> {
        match self.zone {
            Zone::Unknown => None,
            Zone::Fixed(o) => Some(o),
            Zone::Ambiguous(c) => {
                let here = reader.map(|r| r.offset_at(self.local));
                Some(here.filter(|r| c.contains(r)).unwrap_or(c[0]))
            }
        }
    }

    /// Unix seconds (UTC). A time written without a zone is read in `reader`, the zone of the
    /// mail that quotes it (what the quoting client displayed), or UTC when that is unknown.
    pub fn utc(&self, reader: Option<Reader>) -> i64 {
        let offset = self
            .zone_secs(reader)
            .or_else(|| reader.map(|r| r.offset_at(self.local)));
        self.local - i64::from(offset.unwrap_or(0))
    }
}

static TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?P<pre>午前|午後|上午|下午|中午|晚上|凌晨|早上|오전|오후)?\s*
        (?: (?P<h>\d{1,2})[:：](?P<m>\d{2})(?:[:：](?P<s>\d{2}))?
          | \b(?:kl|klo|kello|pukul|jam)\.?\s*(?P<dh>\d{1,2})\.(?P<dm>\d{2})\b )
        (?P<suf>\s*(?:[ap]\.?\s?m\b\.?|π\.?\s?μ\.?|μ\.?\s?μ\.?|дп|пп|öö|ös|ص|م)(?:[\s,.،)]|$))?",
    )
    .unwrap()
});
static TZ: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^[\s,]*(?:\(?\s*(?:gmt|utc)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?\s*\)?|([+-])(\d{2}):?(\d{2})\b|\(?(gmt|utc|z|cet|cest|eet|eest|wet|west|bst|msk|est|edt|cst|cdt|mst|mdt|pst|pdt|akst|akdt|hst|ast|adt|nst|ndt|jst|kst|hkt|sgt|awst|acst|acdt|aest|aedt|nzst|nzdt|ist|mez|mesz|oez|oesz|wez|wesz)\)?\b)",
    )
    .unwrap()
});
static YMD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d{4})\s*[年/.\-년]\s*(\d{1,2})\s*[月/.\-월]\s*(\d{1,2})").unwrap()
});
static NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{1,2})([./\-])\s?(\d{1,2})[./\-]\s?(\d{4}|\d{2})\b").unwrap()
});
static TOKEN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\p{L}+|\d+").unwrap());
static NOISE: LazyLock<Regex> = LazyLock::new(|| {
    // Addresses and footnote marks; a bracketed date (mutt's `[2025-03-03 10:02]`) stays.
    Regex::new(r"<[^>]*>|\[[^\]]*@[^\]]*\]|\[\d{1,3}\]|\([^)]*@[^)]*\)|\S+@\S+").unwrap()
});

/// Month names and abbreviations, lower case, in the languages the clients write dates in.
#[rustfmt::skip]
const MONTH_NAMES: [&[&str]; 12] = [
    &["january", "jan", "januar", "jänner", "janvier", "janv", "enero", "ene", "januari", "styczeń", "stycznia", "sty",
      "gennaio", "gen", "janeiro", "tammikuuta", "tammikuu", "január", "ledna", "leden", "ocak", "oca", "ianuarie", "ian",
      "января", "январь", "янв", "січня", "січень", "січ", "ιανουαρίου", "ιανουάριος", "ιαν", "ינואר", "ינו", "يناير"],
    &["february", "feb", "februar", "février", "fevrier", "févr", "fév", "febrero", "februari", "luty", "lutego", "lut",
      "febbraio", "fevereiro", "fev", "helmikuuta", "helmikuu", "február", "febr", "února", "únor", "şubat", "şub",
      "februarie", "февраля", "февраль", "февр", "фев", "лютого", "лютий", "лют", "φεβρουαρίου", "φεβρουάριος", "φεβ",
      "פברואר", "פבר", "فبراير"],
    &["march", "mar", "märz", "maerz", "mär", "mrz", "mars", "marzo", "maart", "mrt", "marzec", "marca", "março", "marts",
      "maaliskuuta", "maaliskuu", "március", "márc", "března", "březen", "mart", "martie", "maret", "марта", "март",
      "мар", "березня", "березень", "бер", "μαρτίου", "μάρτιος", "μαρ", "מרץ", "مارس"],
    &["april", "apr", "avril", "avr", "abril", "abr", "kwiecień", "kwietnia", "kwi", "aprile", "huhtikuuta", "huhtikuu",
      "április", "ápr", "dubna", "duben", "nisan", "nis", "aprilie", "апреля", "апрель", "апр", "квітня", "квітень",
      "квіт", "απριλίου", "απρίλιος", "απρ", "אפריל", "אפר", "أبريل", "إبريل", "ابريل"],
    &["may", "mai", "mayo", "mei", "maj", "maja", "maggio", "mag", "maio", "toukokuuta", "toukokuu", "május", "máj",
      "května", "květen", "mayıs", "мая", "май", "травня", "травень", "трав", "μαΐου", "μαίου", "μάιος", "μαΐ", "μαϊ",
      "μαι", "מאי", "مايو"],
    &["june", "jun", "juni", "juin", "junio", "czerwiec", "czerwca", "cze", "giugno", "giu", "junho", "kesäkuuta",
      "kesäkuu", "június", "jún", "června", "červen", "haziran", "haz", "iunie", "iun", "июня", "июнь", "июн",
      "червня", "червень", "черв", "ιουνίου", "ιούνιος", "ιουν", "יוני", "יונ", "يونيو", "يونيه"],
    &["july", "jul", "juli", "juillet", "juil", "julio", "lipiec", "lipca", "lip", "luglio", "lug", "julho",
      "heinäkuuta", "heinäkuu", "július", "júl", "července", "červenec", "temmuz", "tem", "iulie", "iul", "июля",
      "июль", "июл", "липня", "липень", "ιουλίου", "ιούλιος", "ιουλ", "יולי", "יול", "يوليو", "يوليه"],
    &["august", "aug", "août", "aout", "agosto", "ago", "augustus", "sierpień", "sierpnia", "sie", "augusti",
      "elokuuta", "elokuu", "augusztus", "srpna", "srpen", "ağustos", "ağu", "agustus", "agu", "августа", "август",
      "авг", "серпня", "серпень", "серп", "αυγούστου", "αύγουστος", "αυγ", "אוגוסט", "אוג", "أغسطس", "اغسطس"],
    &["september", "sep", "sept", "septembre", "septiembre", "setiembre", "wrzesień", "września", "wrz", "settembre",
      "set", "setembro", "syyskuuta", "syyskuu", "szeptember", "szept", "září", "eylül", "eyl", "septembrie",
      "сентября", "сентябрь", "сент", "сен", "вересня", "вересень", "вер", "σεπτεμβρίου", "σεπτέμβριος", "σεπ",
      "ספטמבר", "ספט", "سبتمبر"],
    &["october", "oct", "oktober", "okt", "octobre", "octubre", "październik", "października", "paź", "ottobre", "ott",
      "outubro", "out", "lokakuuta", "lokakuu", "október", "října", "říjen", "ekim", "eki", "octombrie", "октября",
      "октябрь", "окт", "жовтня", "жовтень", "жовт", "οκτωβρίου", "οκτώβριος", "οκτ", "אוקטובר", "אוק", "أكتوبر",
      "اكتوبر"],
    &["november", "nov", "novembre", "noviembre", "listopad", "listopada", "lis", "novembro", "marraskuuta",
      "marraskuu", "listopadu", "kasım", "kas", "noiembrie", "ноября", "ноябрь", "нояб", "ноя", "листопада", "лист",
      "νοεμβρίου", "νοέμβριος", "νοε", "נובמבר", "נוב", "نوفمبر"],
    &["december", "dec", "dezember", "dez", "décembre", "déc", "diciembre", "dic", "grudzień", "grudnia", "gru",
      "dicembre", "dezembro", "joulukuuta", "joulukuu", "prosince", "prosinec", "aralık", "ara", "decembrie",
      "desember", "desemba", "декабря", "декабрь", "дек", "грудня", "грудень", "груд", "δεκεμβρίου", "δεκέμβριος",
      "δεκ", "דצמבר", "דצמ", "ديسمبر"],
];

static MONTHS: LazyLock<HashMap<&'static str, u32>> = LazyLock::new(|| {
    (1..)
        .zip(MONTH_NAMES.iter())
        .flat_map(|(m, names)| names.iter().map(move |n| (*n, m)))
        .collect()
});

/// A loosely written date, or `None` when no day, month and year can be found. `english`
/// resolves "3/4/25" as month/day (US) unless written "03/04/2025" (UK style).
pub(crate) fn parse_date(s: &str, english: bool) -> Option<Written> {
    let s = ascii_digits(s);
    let s = NOISE.replace_all(&s, " ");
    let s = s.as_ref();
    let (mut h, mut mi, mut sec, mut zone) = (0u32, 0u32, 0u32, Zone::Unknown);
    let mut rest = s.to_string();
    if let Some(c) = first_time(s) {
        (h, mi, sec) = clock(&c)?;
        let whole = c.get(0).unwrap();
        let mut end = whole.end();
        if let Some(t) = TZ.captures(&s[end..]) {
            zone = tz_offset(&t);
            end += t.get(0).unwrap().end();
        }
        rest = format!("{} {}", &s[..whole.start()], &s[end..]);
    }
    let (y, m, d) = ymd(&rest, english)?;
    let y = if y < 100 { 2000 + y } else { y };
    let dt = NaiveDate::from_ymd_opt(y, m, d)?.and_hms_opt(h, mi, sec)?;
    Some(Written {
        local: dt.and_utc().timestamp(),
        zone,
    })
}

/// Arabic-Indic and Persian digits as ASCII (Gmail in Arabic may write "٣ مارس ٢٠٢٥").
fn ascii_digits(s: &str) -> std::borrow::Cow<'_, str> {
    if !s
        .chars()
        .any(|c| matches!(c as u32, 0x660..=0x669 | 0x6f0..=0x6f9))
    {
        return s.into();
    }
    s.chars()
        .map(|c| match c as u32 {
            0x660..=0x669 => char::from(b'0' + (c as u32 - 0x660) as u8),
            0x6f0..=0x6f9 => char::from(b'0' + (c as u32 - 0x6f0) as u8),
            _ => c,
        })
        .collect::<String>()
        .into()
}

/// The first time of day not glued to a preceding number ("2025-03-03T10:02" still counts).
fn first_time(s: &str) -> Option<Captures<'_>> {
    TIME.captures_iter(s).find(|c| {
        let start = c
            .name("h")
            .or_else(|| c.name("dh"))
            .map_or(0, |m| m.start());
        !s[..start]
            .chars()
            .next_back()
            .is_some_and(|p| p.is_ascii_digit() || p == ':')
    })
}

/// Hours, minutes, seconds of a [`TIME`] match, 12-hour markers applied.
fn clock(c: &Captures) -> Option<(u32, u32, u32)> {
    let num = |a: &str, b: &str| c.name(a).or_else(|| c.name(b)).map(|m| m.as_str().parse());
    let mut h: u32 = num("h", "dh")?.ok()?;
    let mi: u32 = num("m", "dm")?.ok()?;
    let sec: u32 = c.name("s").map_or(Ok(0), |m| m.as_str().parse()).ok()?;
    let marker = |g: &str| c.name(g).map(|m| m.as_str().trim().to_lowercase());
    let pre = marker("pre").unwrap_or_default();
    let suf = marker("suf").unwrap_or_default();
    let suf = suf
        .trim_end_matches([',', ')', '،'])
        .replace(['.', ' '], "");
    let pm = matches!(pre.as_str(), "午後" | "下午" | "晚上" | "오후")
        || matches!(suf.as_str(), "pm" | "μμ" | "пп" | "ös" | "م");
    let am = matches!(pre.as_str(), "午前" | "上午" | "凌晨" | "早上" | "오전")
        || matches!(suf.as_str(), "am" | "πμ" | "дп" | "öö" | "ص");
    if pm && h < 12 {
        h += 12;
    } else if am && h == 12 {
        h = 0;
    }
    (h < 24 && mi < 60 && sec < 61).then_some((h, mi, sec))
}

fn tz_offset(c: &Captures) -> Zone {
    let num = |i: usize| {
        c.get(i)
            .map_or(0, |m| m.as_str().parse::<i32>().unwrap_or(0))
    };
    let sign = |i: usize| {
        if c.get(i).is_some_and(|m| m.as_str() == "-") {
            -1
        } else {
            1
        }
    };
    if c.get(1).is_some() {
        return Zone::Fixed(sign(1) * (num(2) * 3600 + num(3) * 60));
    }
    if c.get(4).is_some() {
        return Zone::Fixed(sign(4) * (num(5) * 3600 + num(6) * 60));
    }
    const H: i32 = 3600;
    let name = c.get(7).map(|m| m.as_str().to_ascii_lowercase());
    let hours = match name.as_deref() {
        // Central: US (-6) or China (+8); India, Ireland (summer) or Israel.
        Some("cst") => return Zone::Ambiguous(&[-6 * H, 8 * H]),
        Some("ist") => return Zone::Ambiguous(&[5 * H + 1800, H, 2 * H]),
        Some("ast") => return Zone::Ambiguous(&[-4 * H, 3 * H]),
        Some("nst") => return Zone::Fixed(-(3 * H + 1800)),
        Some("ndt") => return Zone::Fixed(-(2 * H + 1800)),
        Some("acst") => return Zone::Fixed(9 * H + 1800),
        Some("acdt") => return Zone::Fixed(10 * H + 1800),
        Some("cet" | "west" | "bst" | "mez" | "wesz") => 1,
        Some("cest" | "eet" | "mesz" | "oez") => 2,
        Some("eest" | "msk" | "oesz") => 3,
        Some("est" | "cdt") => -5,
        Some("edt" | "adt") => -4,
        Some("mdt") => -6,
        Some("mst" | "pdt") => -7,
        Some("pst" | "akdt") => -8,
        Some("akst") => -9,
        Some("hst") => -10,
        Some("hkt" | "sgt" | "awst") => 8,
        Some("jst" | "kst") => 9,
        Some("aest") => 10,
        Some("aedt") => 11,
        Some("nzst") => 12,
        Some("nzdt") => 13,
        _ => 0,
    };
    Zone::Fixed(hours * H)
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

/// A month name, also with the Hebrew preposition ב glued to it ("במרץ").
fn month_of(token: &str) -> Option<u32> {
    MONTHS
        .get(token)
        .or_else(|| token.strip_prefix('ב').and_then(|t| MONTHS.get(t)))
        .copied()
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
        .filter_map(|(i, t)| {
            // Vietnamese writes the month as a number: "3 thg 3, 2025", "3 tháng 3 2025".
            if t == "thg" || t == "tháng" {
                return num(i + 1).filter(|m| (1..=12).contains(m)).map(|m| (i, m));
            }
            month_of(t).map(|m| (i, m))
        })
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

    fn read(s: &str, en: bool, reader: Option<i32>) -> Option<i64> {
        parse_date(s, en).map(|w| w.utc(reader.map(Reader::fixed)))
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
            // Languages added with issue 7.
            ("пн, 3 мар. 2025 г. в 10:02", false),
            ("3 марта 2025 г., в 10:02", false),
            ("понедельник, 3 марта 2025 г. 10:02", false),
            ("пн, 3 бер. 2025 р. о 10:02", false),
            ("po 3. 3. 2025 v 10:02", false),
            ("Dne 03. 03. 25 v 10:02", false),
            ("lun 3 mar 2025 alle ore 10:02", false),
            ("seg., 3 de mar. de 2025 às 10:02", false),
            ("mån 3 mars 2025 kl. 10:02", false),
            ("Den man. 3. mar. 2025 kl. 10.02", false),
            ("ma 3.3.2025 klo 10.02", false),
            ("(időpont: 2025. márc. 3., H, 10:02)", false),
            ("2025. 03. 03. 10:02 keltezéssel", false),
            ("3 Mar 2025 Pzt, 10:02 tarihinde", false),
            ("3 Mart 2025 Pazartesi 10:02", false),
            ("Δευ 3 Μαρ 2025 στις 10:02", false),
            ("Δευτέρα, 3 Μαρτίου 2025 10:02 π.μ.", false),
            ("יום ב׳, 3 במרץ 2025 ב-10:02", false),
            ("03/03/2025 בשעה 10:02", false),
            ("الاثنين، 3 مارس 2025 في 10:02 ص", false),
            ("الاثنين، ٣ مارس ٢٠٢٥ في ١٠:٠٢ ص", false),
            ("2025年3月3日周一 上午10:02", false),
            ("2025年3月3日 星期一 10:02", false),
            ("2025년 3월 3일 (월) 오전 10:02", false),
            ("2025. 3. 3. 오전 10:02", false),
            ("Tue, Mar 03, 2025 at 11:02:00AM +0100", true),
            ("Mon, 2025-03-03 at 10:02 +0000", true),
            ("Sen, 3 Mar 2025 pukul 10.02", false),
            ("Th 2, 3 thg 3, 2025 vào lúc 10:02", false),
            ("Montag, 3. März 2025 um 11:02:00 MEZ", false),
            ("* Anna <a@x.com> [2025-03-03 10:02]:", false),
        ] {
            assert_eq!(read(s, en, None), Some(t), "{s}");
        }
        let pm = utc("2025-03-04T16:47:00Z");
        assert_eq!(read("Tue, Mar 4, 2025 at 4:47 PM", true, None), Some(pm));
        assert_eq!(read("2025年3月4日周二 下午4:47", false, None), Some(pm));
        assert_eq!(read("2025년 3월 4일 (화) 오후 4:47", false, None), Some(pm));
        assert_eq!(read("4/3/2025 4:47 μ.μ.", false, None), Some(pm));
        // Day/month order.
        let apr3 = utc("2025-04-03T00:00:00Z");
        assert_eq!(read("4/3/25", true, None), Some(apr3));
        assert_eq!(read("03/04/2025", true, None), Some(apr3));
        assert_eq!(read("03/04/2025", false, None), Some(apr3));
        assert_eq!(
            read("El mar, 4 feb 2025 a las 9:30", false, None),
            Some(utc("2025-02-04T09:30:00Z"))
        );
        assert_eq!(read("no date here", true, None), None);
    }

    #[test]
    fn zones() {
        // Without a zone the reader's offset applies; a written zone wins.
        let local = "Mon, Mar 3, 2025 at 10:02 AM";
        assert_eq!(
            read(local, true, Some(-5 * 3600)),
            Some(utc("2025-03-03T15:02:00Z"))
        );
        assert_eq!(
            read("Mon, 3 Mar 2025 10:02:00 +0100", true, Some(-5 * 3600)),
            Some(utc("2025-03-03T09:02:00Z"))
        );
        assert_eq!(
            read(
                "On Tue, Mar 04, 2025 at 10:02:11AM +0100",
                true,
                Some(8 * 3600)
            ),
            Some(utc("2025-03-04T09:02:11Z"))
        );
        assert_eq!(
            read("Mon, Mar 3, 2025 at 10:02 PST", true, Some(3600)),
            Some(utc("2025-03-03T18:02:00Z"))
        );
        assert_eq!(
            read("Понедельник, 3 марта 2025, 10:02 +03:00", false, None),
            Some(utc("2025-03-03T07:02:00Z"))
        );
        // CST is US Central unless the reader is in China.
        let cst = "Mon, Mar 3, 2025 at 10:02 CST";
        assert_eq!(read(cst, true, None), Some(utc("2025-03-03T16:02:00Z")));
        assert_eq!(
            read(cst, true, Some(8 * 3600)),
            Some(utc("2025-03-03T02:02:00Z"))
        );
    }
}
