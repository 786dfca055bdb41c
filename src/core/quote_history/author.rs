//! Who wrote a quoted mail, and when: read from an attribution line ("On … Anna <a@x> wrote:")
//! or an Outlook header block (From: / Sent: / Subject:).

use regex::Regex;
use std::sync::LazyLock;

use super::date::{parse_date, Written};
use crate::core::clean_body::attribution::WROTE_VERBS;
use crate::core::clean_body::lexicon::{email_in, header_key, HeaderKey};
use crate::core::clean_body::lines::Line;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Header {
    pub name: Option<String>,
    pub email: Option<String>,
    pub date: Option<Written>,
    /// The time is in the quoted author's own zone, not the quoting client's: mutt's `%d` and
    /// `%{…}` convert to the sender's zone, as in `* Anna <a@x> [2025-03-03 10:02]:`.
    pub date_in_author_zone: bool,
    pub subject: Option<String>,
}

impl Header {
    pub fn readable(&self) -> bool {
        self.name.is_some() || self.email.is_some()
    }
}

/// Words that open an attribution before its date ("On", "Am", "Le", "W dniu", "Στις", "在"…).
static LEADING_KEYWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:on|am|le|el|op|w dniu|dnia|dne|em|no dia|il giorno|il|den|στις|в|у|在|בתאריך|في|على|às|at)(?:\s|$)").unwrap()
});
/// Horde and other webmail write "Quoting Anna <a@x>:" without a date.
static QUOTING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:quoting|zitat von|citando|citation de|cytuję|cytat od)\s+").unwrap()
});
/// The last date or time in an attribution, with what belongs to it (12-hour markers in any
/// script, a zone, the year's "г."/"р."/"年…" suffix): the author's name comes after it.
static DATE_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?:\d{1,2}[:：]\d{2}(?:[:：]\d{2})?|\b(?:kl|klo|kello|pukul|jam)\.?\s*\d{1,2}[.:]\d{2})
        (?:\s*(?:[ap]\.?\s?m\b\.?|π\.?\s?μ\.?|μ\.?\s?μ\.?|дп|пп|öö|ös|ص|م)(?:[\s,،]|$))?
        (?:\s*(?:\(?(?:gmt|utc)\s*[+-]\s*\d{1,2}(?::?\d{2})?\)?|[+-]\d{2}:?\d{2}\b|\(?(?:gmt|utc)\)?
          |\b(?:cet|cest|eet|eest|wet|west|bst|msk|est|edt|cst|cdt|mst|mdt|pst|pdt|akst|akdt|hst|jst|kst|hkt|sgt|aest|aedt|nzst|nzdt|ist|mez|mesz)\b))?
        |\b(?:19|20)\d{2}\b(?:年[^\s,，]*|\s*(?:г\.|р\.|r\.))?",
    )
    .unwrap()
});
/// What may stand between the date and the name: punctuation, "at/à/um/kl./в/о", "schrieb",
/// "skrev", "ο/η", "пользователь", "odesílatel", "מאת", "تمت كتابة ما يلي بواسطة", "에", …
static CONNECTOR: LazyLock<Regex> = LazyLock::new(|| {
    // Template words are lower case: "de"/"o" do not eat "De Jong" or "O Ji-won".
    Regex::new(
        r"^(?:[\s,、，،:]+|\(\p{L}\)|(?:um|at|à|a las|alle ore|o|om|de|kl\.?|klo|v|в|о|г\.|р\.|στις|ο/η|tarihinde|keltezéssel|odesílatel|пользователь|от|מאת|ב-|بواسطة|تمت كتابة ما يلي بواسطة|ص|م|에|に|schrieb|skrev|schreef|heeft|hat|كتب|o godz\.?|(?i:uhr|gmt[+-]?\d*(?::\d+)?|utc[+-]?\d*|cet|cest|mez|mesz))(?:[\s,،]|$))",
    )
    .unwrap()
});
static POLISH_APPLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^wiadomość napisana przez (.+?)\s*(?:<|\bw dniu\b)").unwrap()
});
/// Thunderbird in Hebrew puts the name first: "נכתב על ידי Dana Levi, ב־03/03/2025 בשעה 10:02:".
static NAME_FIRST: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^נכתב על ידי\s+(.+?),\s").unwrap());
/// An address in brackets: `<a@x>`, `(a@x)`, `[mailto:a@x]`, `<mailto:a@x>`.
static BRACKETED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[<\[(]\s*(?:mailto:)?([\w.+'\-]+@[\w\-]+(?:\.[\w\-]+)+)\s*[>\])]").unwrap()
});
static NAME_ADDR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(.*?)\s*[<\[(]\s*(?:mailto:)?([^<>\[\]()\s]+@[^<>\[\]()\s]+)\s*[>\])]").unwrap()
});

/// mutt's `* Name <a@x> [date]:`.
static MUTT_BRACKETS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\*\s.*\[[^\]]*\d[^\]]*\]\s*:?\s*$").unwrap());

/// Author and date from an attribution line (already joined when it was wrapped).
pub(crate) fn parse_attribution(text: &str) -> Header {
    let text = QUOTING.replace(text, "");
    let text = text.as_ref();
    let english = {
        let l = text.to_lowercase();
        l.starts_with("on ") || l.contains(" wrote")
    };
    let (email, at) = attribution_address(text);
    let name = if let Some(c) = POLISH_APPLE.captures(text) {
        clean_name(&c[1])
    } else if let Some(c) = NAME_FIRST.captures(text) {
        clean_name(&c[1])
    } else {
        // Only what comes before the address (or the whole line without one) names the author.
        let before = match at {
            Some(at) => text[..at]
                .trim_end_matches(['<', '(', '[', ' '])
                .trim_end_matches("mailto:")
                .trim_end_matches(['<', '(', '[', ' ']),
            None => text,
        };
        name_in(before, email.is_some())
    };
    // "'Anna Smith' via Platform <platform@x>": Google Groups rewrote the sender; the
    // address is the group's, not the author's.
    let (name, email) = match name.as_deref().and_then(|n| n.split_once(" via ")) {
        Some((n, _)) => (clean_name(n), None),
        None => (name, email),
    };
    Header {
        name,
        email,
        date: parse_date(text, english),
        date_in_author_zone: MUTT_BRACKETS.is_match(text),
        subject: None,
    }
}

/// The author's address and where it starts: one in brackets wins over a bare one (Mail.ru
/// writes `"bob@example.com" <bob@mail.example>`, the display name being an address).
fn attribution_address(text: &str) -> (Option<String>, Option<usize>) {
    if let Some(c) = BRACKETED.captures(text) {
        let whole = c.get(0).unwrap();
        return (Some(c[1].to_lowercase()), Some(whole.start()));
    }
    match email_in(text) {
        Some(e) => (Some(e.to_lowercase()), text.find(e)),
        None => (None, None),
    }
}

/// The name in the part of an attribution before the address: after the date (date first),
/// or the whole of it (name first: "Anna <a@x> schrieb am …", "王伟 <w@x> 于2025年…").
fn name_in(before: &str, has_email: bool) -> Option<String> {
    // Name, verb, date: "Kai kirjoitti 3.3.2025 klo 10.02:", "Peter wrote on 3/3/25 10:02 AM:".
    let head = before_verb(before, false);
    if !has_email && head.len() < before.len() && !DATE_END.is_match(head) {
        if let Some(name) = clean_name(head) {
            return Some(name);
        }
    }
    // "On"/"Am"/"Den" open a date; in front of a name ("Am Lee <am@x> schrieb am …") they stay.
    let stripped = if DATE_END.is_match(before) {
        LEADING_KEYWORD.replace(before, "")
    } else {
        before.into()
    };
    let after_date = match DATE_END.find_iter(&stripped).last() {
        Some(m) => &stripped[m.end()..],
        None => &stripped[..],
    };
    let mut s = after_date.trim_start().to_string();
    loop {
        let next = CONNECTOR.replace(&s, "").into_owned();
        if next == s {
            break;
        }
        s = next;
    }
    clean_name(before_verb(&s, true))
}

/// The text before the last (or first) "wrote" that has something in front of it, so a name
/// like "Said Ahmed" keeps its first word.
fn before_verb(s: &str, last: bool) -> &str {
    let mut cuts = WROTE_VERBS.find_iter(s).map(|(a, _)| a).filter(|&i| i > 0);
    let cut = if last { cuts.last() } else { cuts.next() };
    cut.map_or(s, |i| &s[..i])
}

/// Author, date and subject from the lines of an Outlook / forward header block.
pub(crate) fn parse_header_block(lines: &[Line]) -> Header {
    let mut h = Header::default();
    for line in lines {
        let Some((key, value)) = header_key(&line.text) else {
            continue;
        };
        match key {
            HeaderKey::From if h.name.is_none() && h.email.is_none() => {
                let (name, email) = name_and_address(value);
                h.name = name;
                h.email = email;
            }
            HeaderKey::Date if h.date.is_none() => {
                let l = line.text.to_lowercase();
                h.date = parse_date(value, l.starts_with("sent") || l.starts_with("date"));
            }
            HeaderKey::Subject if h.subject.is_none() && !value.is_empty() => {
                h.subject = Some(value.to_string());
            }
            _ => {}
        }
    }
    h
}

/// "Anna Smith <a@x>", "Frank [mailto:f@x]", "a@x", "Smith, Anna".
fn name_and_address(value: &str) -> (Option<String>, Option<String>) {
    if let Some(c) = NAME_ADDR.captures(value) {
        return (clean_name(&c[1]), Some(c[2].to_lowercase()));
    }
    match email_in(value) {
        Some(e) if value.trim() == e => (None, Some(e.to_lowercase())),
        Some(e) => (clean_name(&value.replace(e, "")), Some(e.to_lowercase())),
        None => (clean_name(value), None),
    }
}

/// Lotus Notes' hierarchical names: "Anna Smith/Sales/ACME@ACME" → "Anna Smith".
static NOTES_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([^/@]+?)(?:/[^/\s@]+)+(?:@[^\s@]+)?$").unwrap());

/// A display name as written, without the RFC 5322 quoting around it (`"Smith, Anna"`,
/// `"Robert \"Bob\" O'Neil"`, Outlook's `'Müller, Hans'`); quotes inside a name
/// (`Oscar "Ozzy" Diaz`) stay.
fn clean_name(s: &str) -> Option<String> {
    // "* Anna <a@x> [date]:" (mutt) starts with a bullet.
    let t = s
        .trim()
        .trim_start_matches(['*', ' '])
        .trim_end_matches([':', '：', ',', '(', '<', '['])
        .trim();
    let t = unquote(t);
    let t = t.trim_matches([',', ' ']).trim();
    let t = NOTES_NAME
        .captures(t)
        .map_or(t, |c| c.get(1).unwrap().as_str().trim());
    (!t.is_empty() && !t.contains('@') && t.chars().count() <= 80).then(|| t.to_string())
}

/// `"…"` with `\"` and `\\` escapes, `'…'`, `“…”`: the inside; anything else unchanged.
fn unquote(t: &str) -> String {
    for (open, close) in [('"', '"'), ('\'', '\''), ('“', '”'), ('‘', '’')] {
        let Some(inner) = t.strip_prefix(open).and_then(|r| r.strip_suffix(close)) else {
            continue;
        };
        if open != '"' {
            return inner.to_string();
        }
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.extend(chars.next()),
                // An unescaped quote inside: these were two quoted parts, not one.
                '"' => return t.to_string(),
                c => out.push(c),
            }
        }
        return out;
    }
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Option<String> {
        parse_attribution(s).name
    }

    #[test]
    #[allow(clippy::too_many_lines)] // one table of attribution lines as clients write them
    fn names_from_attributions() {
        #[rustfmt::skip]
        let cases = [
            ("On Mon, Mar 3, 2025 at 10:02 AM Anna Smith <anna@x.com> wrote:", "Anna Smith"),
            ("On 3 Mar 2025, at 10:02, Anna Smith <anna@x.com> wrote:", "Anna Smith"),
            ("On 3/3/25 10:02 AM, Peter Novak wrote:", "Peter Novak"),
            ("Am 03.03.25 um 10:02 schrieb Markus Weber:", "Markus Weber"),
            ("Am Mo., 3. März 2025 um 10:02 Uhr schrieb Anna Schmidt <a@x.de>:", "Anna Schmidt"),
            ("Le 03/03/2025 à 10:02, Antoine Dubois a écrit :", "Antoine Dubois"),
            ("El lun, 3 mar 2025 a las 10:02, Ana García (<ana@x.es>) escribió:", "Ana García"),
            ("Op ma 3 mrt 2025 om 10:02 schreef Anna de Vries <anna@x.nl>:", "Anna de Vries"),
            ("Op 3 mrt 2025 om 10:02 heeft Bram Smit <b@x.nl> het volgende geschreven:", "Bram Smit"),
            ("pon., 3 mar 2025 o 10:02 Anna Kowalska <a@x.pl> napisał(a):", "Anna Kowalska"),
            ("W dniu 3.03.2025 o 10:02, Piotr Zieliński pisze:", "Piotr Zieliński"),
            ("Wiadomość napisana przez Ewa Lewandowska <e@x.pl> w dniu 03.03.2025, o godz. 10:02:", "Ewa Lewandowska"),
            ("2025年3月3日(月) 10:02 Tanaka Yuki <y@x.jp>:", "Tanaka Yuki"),
            ("2025/03/03 10:02 に Kobayashi Ken さんは書きました:", "Kobayashi Ken"),
            ("2025/03/03 10:02、Nakamura Aoi <a@x.jp>のメール:", "Nakamura Aoi"),
            ("Anna Schmidt <anna@x.de> schrieb am Mo., 3. März 2025, 10:02:", "Anna Schmidt"),
            ("On Monday, March 3, 2025 at 10:02:15 AM GMT+1, Greg Lawson <g@x.com> wrote:", "Greg Lawson"),
            ("Felix Braun wrote:", "Felix Braun"),
            // Issue 7: nicknames, "Last, First", mutt, more languages, Thunderbird locales.
            ("On Tue, Mar 4, 2025 at 9:14 AM Oscar \"Ozzy\" Diaz <o@x.com> wrote:", "Oscar \"Ozzy\" Diaz"),
            ("On Mar 3, 2025, at 5:40 PM, \"Robert \\\"Bob\\\" O'Neil\" <b@x.com> wrote:", "Robert \"Bob\" O'Neil"),
            ("On Mar 3, 2025, at 5:40 PM, \"Watson, Dan\" <d@x.com> wrote:", "Watson, Dan"),
            ("On Mon, Mar 3, 2025 at 5:40 PM Robert (Bob) O'Neil <b@x.com> wrote:", "Robert (Bob) O'Neil"),
            ("On 3/3/25 10:02 AM, Fischer, Anna wrote:", "Fischer, Anna"),
            ("Am 04.03.25 um 14:05 schrieb Müller, Hans:", "Müller, Hans"),
            ("On Tue, Mar 04, 2025 at 10:02:11AM +0100, Heike Brandt wrote:", "Heike Brandt"),
            ("On Mon, 2025-03-03 at 16:45 +0000, Colin Murphy wrote:", "Colin Murphy"),
            ("On Wed, Mar 05, 2025 at 02:30:00PM EST, Rahul Mehta wrote:", "Rahul Mehta"),
            ("пн, 3 мар. 2025 г. в 14:37, Екатерина Смирнова <e@x.ru>:", "Екатерина Смирнова"),
            ("3 марта 2025 г., в 10:02, Игорь Волков <i@x.ru> написал(а):", "Игорь Волков"),
            ("03.03.2025 10:02, Сергей Иванов пишет:", "Сергей Иванов"),
            ("04.03.2025 11:20 пользователь \"Ольга Кузнецова\" <o@x.ru> написал:", "Ольга Кузнецова"),
            ("Понедельник, 3 марта 2025, 10:02 +03:00 от Анна Петрова <a@x.ru>:", "Анна Петрова"),
            ("03.03.2025, 10:02, \"Anna Petrova\" <a@x.ru>:", "Anna Petrova"),
            ("пн, 3 бер. 2025 р. о 10:02 Марія Петренко <m@x.ua> пише:", "Марія Петренко"),
            ("03.03.2025 10:02, Тарас Шевчук:", "Тарас Шевчук"),
            ("po 3. 3. 2025 v 10:02 odesílatel Kateřina Dvořáková <k@x.cz> napsal:", "Kateřina Dvořáková"),
            ("Dne 03. 03. 25 v 10:02 Jan Novák napsal(a):", "Jan Novák"),
            ("Il 03/03/25 10:02, Giulia Rossi ha scritto:", "Giulia Rossi"),
            ("Em 03/03/2025 10:02, João Silva escreveu:", "João Silva"),
            ("Às 10:02 de 03/03/2025, João Silva escreveu:", "João Silva"),
            ("João Silva <j@x.pt> escreveu no dia segunda, 3/03/2025 à(s) 10:02:", "João Silva"),
            ("mån 3 mars 2025 kl. 16:12 skrev Åsa Lind <a@x.se>:", "Åsa Lind"),
            ("Den 2025-03-03 kl. 10:02, skrev Åsa Lind:", "Åsa Lind"),
            ("Den man. 3. mar. 2025 kl. 10.02 skrev Peter Holm <p@x.dk>:", "Peter Holm"),
            ("Kai Virtanen (kai@x.fi) kirjoitti ma 3.3.2025 klo 10.02:", "Kai Virtanen"),
            ("Kai Virtanen kirjoitti 3.3.2025 klo 10.02:", "Kai Virtanen"),
            ("Kiss Anna <a@x.hu> ezt írta (időpont: 2025. márc. 3., H, 10:02):", "Kiss Anna"),
            ("2025. 03. 03. 10:02 keltezéssel, Kiss Anna írta:", "Kiss Anna"),
            ("Ayşe Yılmaz <a@x.tr>, 3 Mar 2025 Pzt, 11:02 tarihinde şunu yazdı:", "Ayşe Yılmaz"),
            ("3.03.2025 10:02 tarihinde Ayşe Yılmaz yazdı:", "Ayşe Yılmaz"),
            ("Στις Δευ 3 Μαρ 2025 στις 11:02, ο/η Νίκος Γεωργίου <n@x.gr> έγραψε:", "Νίκος Γεωργίου"),
            ("Στις 3/3/25 10:02 π.μ., ο/η Νίκος Γεωργίου έγραψε:", "Νίκος Γεωργίου"),
            ("בתאריך יום ג׳, 4 במרץ 2025 ב-12:30 מאת Layla Khoury <l@x.com>:", "Layla Khoury"),
            ("נכתב על ידי Dana Levi, ב־03/03/2025 בשעה 10:02:", "Dana Levi"),
            ("في الاثنين، 3 مارس 2025 في 10:02 ص تمت كتابة ما يلي بواسطة عمر حداد <o@x.com>:", "عمر حداد"),
            ("على 03/03/2025 10:02 ص، كتب عمر حداد:", "عمر حداد"),
            ("山田 <yamada@x.jp> 于2025年3月3日周一 下午6:02写道：", "山田"),
            ("在 2025/3/3 18:02, 韩梅梅 写道:", "韩梅梅"),
            ("2025年3月3日 10:02，韩梅梅 <h@x.cn> 写道：", "韩梅梅"),
            ("李雷 <l@x.tw> 於 2025年3月3日 週一 上午10:02寫道：", "李雷"),
            ("2025년 3월 4일 (화) 오전 11:40, 王伟 <w@x.cn>님이 작성:", "王伟"),
            ("2025. 3. 3. 오전 10:02에 김민준 이(가) 쓴 글:", "김민준"),
            ("2025. 3. 3. 오전 10:02, 김민준 <m@x.kr> 작성:", "김민준"),
            ("Pada tanggal Sel, 4 Mar 2025 pukul 09.30 Budi Santoso <b@x.id> menulis:", "Budi Santoso"),
            ("Vào Th 2, 3 thg 3, 2025 vào lúc 16:20 Trần Thị Lan <l@x.vn> đã viết:", "Trần Thị Lan"),
            ("Am Dienstag, 4. März 2025 um 08:47:10 MEZ hat Klaus Becker <k@x.de> Folgendes geschrieben:", "Klaus Becker"),
            ("On Mon, Mar 3, 2025 at 10:02 AM O Ji-won <o@x.kr> wrote:", "O Ji-won"),
            ("On 3/3/25 10:02 AM, De Jong, Pieter wrote:", "De Jong, Pieter"),
            ("On Mon, Mar 3, 2025 at 10:02 AM Said Ahmed <s@x.com> wrote:", "Said Ahmed"),
            ("Am Lee <am.lee@x.de> schrieb am Mo., 3. März 2025, 10:02:", "Am Lee"),
            ("Anna Smith/Sales/ACME@ACME wrote on 03/03/2025 10:02:02 AM:", "Anna Smith"),
            ("Quoting Anna Smith <anna@x.com>:", "Anna Smith"),
            ("Zitat von Anna Schmidt <anna@x.de>:", "Anna Schmidt"),
            ("* Price, Steven <sprice@globex.example> [2026-09-03 10:30]:", "Price, Steven"),
        ];
        for (line, want) in cases {
            assert_eq!(name(line).as_deref(), Some(want), "{line}");
        }
        assert_eq!(
            name("On Mon, Mar 3, 2025 at 10:02 AM <anna@x.com> wrote:"),
            None
        );
        assert_eq!(
            parse_attribution("On Mon, Mar 3, 2025 at 10:02 AM <Anna@X.com> wrote:")
                .email
                .as_deref(),
            Some("anna@x.com")
        );
    }

    #[test]
    fn addresses_from_attributions() {
        let h = parse_attribution(
            "02.04.2012 14:20 пользователь \"bob@example.com\" <bob@mail.example> написал:",
        );
        assert_eq!(h.email.as_deref(), Some("bob@mail.example"));
        assert_eq!(h.name, None);
        let h = parse_attribution(
            "On Mon, Mar 3, 2025 at 5:40 PM 'Kovács, Réka' via Platform <platform@x.com> wrote:",
        );
        assert_eq!(h.name.as_deref(), Some("Kovács, Réka"));
        assert_eq!(h.email, None);
        let h = parse_attribution(
            "2021년 10월 22일 (금) 오전 1:23, Bart <bart@acm.org <mailto:bart@acm.org>>님이 작성:",
        );
        assert_eq!(h.email.as_deref(), Some("bart@acm.org"));
    }

    #[test]
    fn from_values() {
        assert_eq!(
            name_and_address("Frank Miller [mailto:frank@x.com]"),
            (Some("Frank Miller".into()), Some("frank@x.com".into()))
        );
        assert_eq!(
            name_and_address("Hughes, Grace"),
            (Some("Hughes, Grace".into()), None)
        );
        assert_eq!(
            name_and_address("\"Smith, Anna\" <Anna@X.com>"),
            (Some("Smith, Anna".into()), Some("anna@x.com".into()))
        );
        assert_eq!(
            name_and_address("Oscar \"Ozzy\" Diaz <oscar@x.com>"),
            (
                Some("Oscar \"Ozzy\" Diaz".into()),
                Some("oscar@x.com".into())
            )
        );
        assert_eq!(
            name_and_address("'Müller, Hans'"),
            (Some("Müller, Hans".into()), None)
        );
        assert_eq!(
            name_and_address("Anna Smith/ACME@ACME"),
            (Some("Anna Smith".into()), None)
        );
        assert_eq!(
            name_and_address("<team@x.com>"),
            (None, Some("team@x.com".into()))
        );
    }
}
