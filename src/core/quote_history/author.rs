//! Who wrote a quoted mail, and when: read from an attribution line ("On … Anna <a@x> wrote:")
//! or an Outlook header block (From: / Sent: / Subject:).

use regex::Regex;
use std::sync::LazyLock;

use super::date::parse_date;
use crate::core::clean_body::lexicon::{email_in, header_key, HeaderKey};
use crate::core::clean_body::lines::Line;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Header {
    pub name: Option<String>,
    pub email: Option<String>,
    pub date: Option<i64>,
    pub subject: Option<String>,
}

impl Header {
    pub fn readable(&self) -> bool {
        self.name.is_some() || self.email.is_some()
    }
}

static LEADING_KEYWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:on|am|le|el|op|w dniu|dnia|em|no dia|il giorno|il)\b").unwrap()
});
static DATE_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\d{1,2}[:：]\d{2}(?:[:：]\d{2})?(?:\s*[ap]\.?\s?m\b\.?)?|\b(?:19|20)\d{2}\b(?:年[^\s]*)?").unwrap()
});
static CONNECTOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:[\s,、，:]+|\(\p{L}\)|(?:uhr|um|at|à|a las|o|om|de|schrieb|schreef|heeft|に|gmt[+-]?\d*(?::\d+)?|utc[+-]?\d*|cet|cest|o godz\.?)(?:\s|,|$))").unwrap()
});
static VERB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\s*(?:\bwrote\b|\bwrites\b|\bsaid\b|\bschrieb\b|\ba écrit\b|\bescribió|\bschreef\b|\bhet volgende geschreven\b|\bnapisał\(a\)|\bnapisała\b|\bnapisał\b|\bpisze\b|さんは書きました|のメール|\bescreveu\b|\bha scritto\b).*$").unwrap()
});
static POLISH_APPLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^wiadomość napisana przez (.+?)\s*(?:<|\bw dniu\b)").unwrap()
});
static NAME_ADDR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(.*?)\s*[<\[(]\s*(?:mailto:)?([^<>\[\]()\s]+@[^<>\[\]()\s]+)\s*[>\])]").unwrap()
});

/// Author and date from an attribution line (already joined when it was wrapped).
pub(crate) fn parse_attribution(text: &str) -> Header {
    let english = {
        let l = text.to_lowercase();
        l.starts_with("on ") || l.contains(" wrote")
    };
    let email = email_in(text).map(str::to_lowercase);
    let name = if let Some(c) = POLISH_APPLE.captures(text) {
        clean_name(&c[1])
    } else {
        // Only what comes before the address (or the whole line without one) names the author.
        let before = match email_in(text) {
            Some(e) => {
                let at = text.find(e).unwrap_or(0);
                text[..at]
                    .trim_end_matches(['<', '(', '[', ' '])
                    .trim_end_matches("mailto:")
                    .trim_end_matches(['<', '(', '[', ' '])
            }
            None => text,
        };
        let stripped = LEADING_KEYWORD.replace(before, "");
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
        let s = VERB.replace(&s, "");
        // "Anna Schmidt <a@x> schrieb am Mo., 3. März 2025": the name came first.
        clean_name(&s).or_else(|| {
            (email.is_some() && DATE_END.find(before).is_none())
                .then(|| clean_name(&VERB.replace(before, "")))
                .flatten()
        })
    };
    Header {
        name,
        email,
        date: parse_date(text, english),
        subject: None,
    }
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

fn clean_name(s: &str) -> Option<String> {
    let t = s
        .trim()
        .trim_end_matches([':', '：', ',', '(', '<', '['])
        .trim()
        .trim_matches(['"', '\'', '“', '”', '‘', '’', ','])
        .trim();
    (!t.is_empty() && !t.contains('@') && t.chars().count() <= 80).then(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Option<String> {
        parse_attribution(s).name
    }

    #[test]
    fn names_from_attributions() {
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
            name_and_address("<team@x.com>"),
            (None, Some("team@x.com".into()))
        );
    }
}
