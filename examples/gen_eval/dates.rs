//! Calendar arithmetic, the time zones the corpus' offices sit in (with their real DST rules)
//! and the date words of each language, as mail clients print them.

use serde::Serialize;

/// A local civil date and time.
#[derive(Debug, Clone, Copy)]
pub struct Civil {
    pub y: i32,
    pub m: u32,
    pub d: u32,
    pub hh: u32,
    pub mm: u32,
    pub ss: u32,
    /// 0 = Monday … 6 = Sunday.
    pub wd: usize,
}

impl Civil {
    /// 12-hour clock: (hour, is_pm).
    pub fn h12(&self) -> (u32, bool) {
        let h = self.hh % 12;
        (if h == 0 { 12 } else { h }, self.hh >= 12)
    }
    pub fn yy(&self) -> i32 {
        self.y % 100
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(if m <= 2 { y - 1 } else { y });
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn civil(unix: i64) -> Civil {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400) as u32;
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
    Civil {
        y,
        m,
        d,
        hh: secs / 3600,
        mm: secs / 60 % 60,
        ss: secs % 60,
        // 1970-01-01 was a Thursday.
        wd: (days + 3).rem_euclid(7) as usize,
    }
}

/// Unix seconds of a UTC civil time.
pub fn unix(y: i32, m: u32, d: u32, hh: u32, mm: u32) -> i64 {
    days_from_civil(y, m, d) * 86_400 + i64::from(hh * 3600 + mm * 60)
}

/// Day of month of the last Sunday of a month.
fn last_sunday(y: i32, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let last = days_from_civil(ny, nm, 1) - 1;
    let wd = (last + 3).rem_euclid(7); // 6 = Sunday
    civil((last - (wd + 1) % 7) * 86_400).d
}

/// Day of month of the n-th Sunday (1-based) of a month.
fn nth_sunday(y: i32, m: u32, n: u32) -> u32 {
    let first = days_from_civil(y, m, 1);
    let wd = (first + 3).rem_euclid(7) as u32;
    1 + (6 + 7 - wd) % 7 + 7 * (n - 1)
}

/// Where the people of the corpus sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Zone {
    NewYork,
    LosAngeles,
    London,
    Berlin,
    Moscow,
    Tokyo,
    SaoPaulo,
}

impl Zone {
    /// UTC offset in seconds at `t`.
    pub fn offset_at(self, t: i64) -> i32 {
        let y = civil(t).y;
        let eu_summer = || {
            let start = unix(y, 3, last_sunday(y, 3), 1, 0);
            let end = unix(y, 10, last_sunday(y, 10), 1, 0);
            (start..end).contains(&t)
        };
        // US: second Sunday of March 02:00 local to first Sunday of November 02:00 local.
        let us_summer = |std_hours: u32| {
            let start = unix(y, 3, nth_sunday(y, 3, 2), 2 + std_hours, 0);
            let end = unix(y, 11, nth_sunday(y, 11, 1), 1 + std_hours, 0);
            (start..end).contains(&t)
        };
        let h = match self {
            Zone::NewYork => {
                if us_summer(5) {
                    -4
                } else {
                    -5
                }
            }
            Zone::LosAngeles => {
                if us_summer(8) {
                    -7
                } else {
                    -8
                }
            }
            Zone::London => i32::from(eu_summer()),
            Zone::Berlin => 1 + i32::from(eu_summer()),
            Zone::Moscow => 3,
            Zone::Tokyo => 9,
            Zone::SaoPaulo => -3,
        };
        h * 3600
    }

    /// Local civil time and the offset in force at `t`.
    pub fn local(self, t: i64) -> (Civil, i32) {
        let off = self.offset_at(t);
        (civil(t + i64::from(off)), off)
    }

    /// Abbreviation as Apple Mail prints it in forwards.
    pub fn abbrev(self, t: i64) -> &'static str {
        let summer = self.offset_at(t) != self.offset_at(unix(civil(t).y, 1, 15, 12, 0));
        match (self, summer) {
            (Zone::NewYork, false) => "EST",
            (Zone::NewYork, true) => "EDT",
            (Zone::LosAngeles, false) => "PST",
            (Zone::LosAngeles, true) => "PDT",
            (Zone::London, false) => "GMT",
            (Zone::London, true) => "BST",
            (Zone::Berlin, false) => "CET",
            (Zone::Berlin, true) => "CEST",
            (Zone::Moscow, _) => "MSK",
            (Zone::Tokyo, _) => "JST",
            (Zone::SaoPaulo, _) => "BRT",
        }
    }
}

/// `+0100`, `-0500`.
pub fn offset_hhmm(off: i32) -> String {
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.abs();
    format!("{sign}{:02}{:02}", a / 3600, a / 60 % 60)
}

/// `GMT+01:00` as Samsung Email writes it.
pub fn offset_gmt(off: i32) -> String {
    let sign = if off < 0 { '-' } else { '+' };
    let a = off.abs();
    format!("GMT{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
}

const EN_WD: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const EN_MON: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// RFC 5322 date: `Mon, 3 Mar 2025 10:02:03 +0100` (`pad`: `03 Mar`, as Thunderbird writes).
pub fn rfc5322(t: i64, off: i32, pad: bool) -> String {
    let c = civil(t + i64::from(off));
    let day = if pad {
        format!("{:02}", c.d)
    } else {
        c.d.to_string()
    };
    format!(
        "{}, {day} {} {} {:02}:{:02}:{:02} {}",
        EN_WD[c.wd],
        EN_MON[c.m as usize - 1],
        c.y,
        c.hh,
        c.mm,
        c.ss,
        offset_hhmm(off)
    )
}

/// Weekday and month words of one language.
pub struct Words {
    pub wd_short: [&'static str; 7],
    pub wd_long: [&'static str; 7],
    pub mon_short: [&'static str; 12],
    pub mon_long: [&'static str; 12],
}

pub const EN: Words = Words {
    wd_short: EN_WD,
    wd_long: [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ],
    mon_short: EN_MON,
    mon_long: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
};

pub const DE: Words = Words {
    wd_short: ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."],
    wd_long: [
        "Montag",
        "Dienstag",
        "Mittwoch",
        "Donnerstag",
        "Freitag",
        "Samstag",
        "Sonntag",
    ],
    mon_short: [
        "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.",
        "Dez.",
    ],
    mon_long: [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
};

pub const FR: Words = Words {
    wd_short: ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
    wd_long: [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ],
    mon_short: [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ],
    mon_long: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
};

pub const ES: Words = Words {
    wd_short: ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"],
    wd_long: [
        "lunes",
        "martes",
        "miércoles",
        "jueves",
        "viernes",
        "sábado",
        "domingo",
    ],
    mon_short: [
        "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
    ],
    mon_long: [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
};

pub const PT: Words = Words {
    wd_short: ["seg.", "ter.", "qua.", "qui.", "sex.", "sáb.", "dom."],
    wd_long: [
        "segunda-feira",
        "terça-feira",
        "quarta-feira",
        "quinta-feira",
        "sexta-feira",
        "sábado",
        "domingo",
    ],
    mon_short: [
        "jan.", "fev.", "mar.", "abr.", "mai.", "jun.", "jul.", "ago.", "set.", "out.", "nov.",
        "dez.",
    ],
    mon_long: [
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ],
};

pub const NL: Words = Words {
    wd_short: ["ma", "di", "wo", "do", "vr", "za", "zo"],
    wd_long: [
        "maandag",
        "dinsdag",
        "woensdag",
        "donderdag",
        "vrijdag",
        "zaterdag",
        "zondag",
    ],
    mon_short: [
        "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
    ],
    mon_long: [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
};

/// Polish: the long months are the genitive forms dates use (`3 marca 2025`).
pub const PL: Words = Words {
    wd_short: ["pon.", "wt.", "śr.", "czw.", "pt.", "sob.", "niedz."],
    wd_long: [
        "poniedziałek",
        "wtorek",
        "środa",
        "czwartek",
        "piątek",
        "sobota",
        "niedziela",
    ],
    mon_short: [
        "sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru",
    ],
    mon_long: [
        "stycznia",
        "lutego",
        "marca",
        "kwietnia",
        "maja",
        "czerwca",
        "lipca",
        "sierpnia",
        "września",
        "października",
        "listopada",
        "grudnia",
    ],
};

/// Russian: genitive months (`3 марта 2025 г.`).
pub const RU: Words = Words {
    wd_short: ["пн", "вт", "ср", "чт", "пт", "сб", "вс"],
    wd_long: [
        "понедельник",
        "вторник",
        "среда",
        "четверг",
        "пятница",
        "суббота",
        "воскресенье",
    ],
    mon_short: [
        "янв.",
        "февр.",
        "мар.",
        "апр.",
        "мая",
        "июн.",
        "июл.",
        "авг.",
        "сент.",
        "окт.",
        "нояб.",
        "дек.",
    ],
    mon_long: [
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    ],
};

pub const JA_WD: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_and_zones() {
        let t = unix(2025, 3, 3, 9, 2);
        let c = civil(t);
        assert_eq!((c.y, c.m, c.d, c.hh, c.mm, c.wd), (2025, 3, 3, 9, 2, 0));
        assert_eq!(last_sunday(2025, 3), 30);
        assert_eq!(last_sunday(2025, 10), 26);
        assert_eq!(nth_sunday(2025, 3, 2), 9);
        assert_eq!(nth_sunday(2025, 11, 1), 2);
        assert_eq!(Zone::Berlin.offset_at(t), 3600);
        assert_eq!(Zone::Berlin.offset_at(unix(2025, 7, 1, 0, 0)), 7200);
        assert_eq!(Zone::NewYork.offset_at(unix(2025, 3, 10, 12, 0)), -4 * 3600);
        assert_eq!(rfc5322(t, 3600, false), "Mon, 3 Mar 2025 10:02:00 +0100");
    }
}
