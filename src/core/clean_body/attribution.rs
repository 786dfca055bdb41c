//! Attribution lines ("On … wrote:") as real clients write them: Gmail (web and mobile), Apple
//! Mail, Outlook, Thunderbird (`mailnews.reply_header_*` in every locale), Yahoo, mutt,
//! Evolution, Mail.ru/Yandex, in the languages listed in `docs/BODY_CLEANING.md`.
//!
//! Two levels of confidence: a *strong* attribution has a date or time and a known shape and
//! may stand alone (it cuts everything below it as history); a *weak* one ("Felix wrote:")
//! only counts right above a `>` block.

use regex::{Regex, RegexSet};
use std::sync::LazyLock;

use super::lines::is_cjk;

/// "wrote" and the phrases around it, in every language we know (lower case). Used to tell an
/// attribution from a prose line ending in a colon, and by the quote history to cut the verb
/// off the author's name.
#[rustfmt::skip]
pub(crate) const WROTE: &[&str] = &[
    // en, de, fr, es, it, pt, nl
    "wrote", "writes", "said", "schrieb", "geschrieben", "a écrit", "escribió", "escribio",
    "ha scritto", "escreveu", "schreef", "het volgende geschreven", "geschreven",
    // sv/da/no, fi, hu, cs/sk, pl, ro
    "skrev", "kirjoitti", "ezt írta", "írta", "napsal(a)", "napsala", "napsal",
    "napísal(a)", "napísal", "napisał(a)", "napisała", "napisał", "pisze", "a scris",
    // ru, uk, el, tr, he, ar
    "написал(а)", "написала", "написал", "пишет", "пише", "написав(ла)", "написав",
    "написала", "έγραψε", "şunu yazdı", "yazdı", "נכתב על ידי", "כתב/ה", "כתבה", "כתב",
    "كتب",
    // zh, ja, ko
    "写道", "寫道", "さんは書きました", "書きました", "のメール", "님이 작성", "이(가) 쓴 글",
    "작성",
    // vi, id, hr/sl/sr
    "đã viết", "menulis", "je napisao", "je napisala", "je napisal(a)", "je napisal", "piše",
];

/// Regex alternation of [`WROTE`], with word boundaries where the script has words.
pub(crate) fn wrote_alternation() -> String {
    let mut verbs: Vec<&str> = WROTE.to_vec();
    verbs.sort_by_key(|v| std::cmp::Reverse(v.chars().count()));
    verbs
        .iter()
        .map(|v| {
            let first = v.chars().next().unwrap_or(' ');
            let last = v.chars().last().unwrap_or(' ');
            format!(
                "{}{}{}",
                if is_word(first) { r"\b" } else { "" },
                regex::escape(v),
                if is_word(last) { r"\b" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// Letters of scripts that separate words by spaces (CJK and Hangul run on without them).
fn is_word(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c) && !is_hangul(c)
}

pub(crate) fn is_hangul(c: char) -> bool {
    matches!(c as u32, 0xac00..=0xd7af | 0x1100..=0x11ff | 0x3130..=0x318f)
}

/// Finds the phrases of a list like [`WROTE`] as whole words. The word boundaries are checked
/// by hand: a plain (case-insensitive) alternation runs on the fast automaton, a Unicode `\b`
/// would not, and this runs on every attribution.
pub(crate) struct Verbs(Regex);

impl Verbs {
    fn new(list: &[&str]) -> Self {
        let mut verbs: Vec<&str> = list.to_vec();
        verbs.sort_by_key(|v| std::cmp::Reverse(v.chars().count()));
        let alternation = verbs
            .iter()
            .map(|v| regex::escape(v))
            .collect::<Vec<_>>()
            .join("|");
        Verbs(Regex::new(&format!("(?i){alternation}")).unwrap())
    }

    /// Start and end of each whole-word occurrence.
    pub fn find_iter<'a>(&'a self, s: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
        self.0
            .find_iter(s)
            .map(|m| (m.start(), m.end()))
            .filter(move |&(a, b)| {
                let glued = |inner: Option<char>, outer: Option<char>| {
                    inner.is_some_and(is_word) && outer.is_some_and(is_word)
                };
                !glued(s[a..].chars().next(), s[..a].chars().next_back())
                    && !glued(s[..b].chars().next_back(), s[b..].chars().next())
            })
    }

    pub fn is_match(&self, s: &str) -> bool {
        self.find_iter(s).next().is_some()
    }
}

/// Every phrase of [`WROTE`].
pub(crate) static WROTE_VERBS: LazyLock<Verbs> = LazyLock::new(|| Verbs::new(WROTE));

/// The verbs for the generic rule. English attributions all have a frame below, and "said"
/// in a dated prose line ("The log from 3.3.2025 10:02 said:") is not one.
static VERB: LazyLock<Verbs> = LazyLock::new(|| {
    let verbs: Vec<&str> = WROTE.iter().copied().filter(|v| *v != "said").collect();
    Verbs::new(&verbs)
});

/// Language-specific frames: the opening word and the verb of each client's template. ASCII
/// word boundaries (every keyword here starts or ends in ASCII) keep the set on the DFA.
static FRAMES: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([
        // English: Gmail, Apple Mail, Thunderbird, Yahoo, mutt, Evolution
        r"(?i)^on(?-u:\b).{4,}(?-u:\b)(?:wrote|writes|said)\s*:$",
        r"(?i)^.+(?-u:\b)wrote on(?-u:\b).{4,}:$",
        // German
        r"(?i)^am(?-u:\b).{4,}(?-u:\b)schrieb(?-u:\b).*:$",
        r"(?i)^.+(?-u:\b)schrieb am(?-u:\b).{4,}:$",
        r"(?i)^.+(?-u:\b)hat am(?-u:\b).{4,}(?-u:\b)geschrieben\s*:$",
        // French
        r"(?i)^le(?-u:\b).{4,}(?-u:\b)a écrit\s*:$",
        // Spanish
        r"(?i)^el(?-u:\b).{4,}(?-u:\b)escribió\s*:$",
        // Dutch
        r"(?i)^op(?-u:\b).{4,}(?-u:\b)(?:schreef|geschreven)(?-u:\b).*:$",
        // Polish
        r"(?i)^(?:w dniu|dnia)(?-u:\b).{4,}(?-u:\b)(?:pisze|napisał|napisała|napisał\(a\))\s*:$",
        r"(?i)^(?:pon|wt|śr|czw|pt|sob|niedz|nie)\.?,?\s.{4,}(?-u:\b)(?:napisał|napisała|napisał\(a\))\s*:$",
        r"(?i)^wiadomość napisana przez(?-u:\b).{4,}:$",
        // Japanese (Gmail, Thunderbird, Apple Mail)
        r"^\d{4}年\d{1,2}月\d{1,2}日.*[:：]$",
        r"^\d{4}/\d{1,2}/\d{1,2}.*(?:書きました|のメール)\s*[:：]$",
        // Italian, Portuguese
        r"(?i)^il (?:giorno )?.{4,}(?-u:\b)ha scritto\s*:$",
        r"(?i)^(?:em|no dia|às)(?-u:\b).{4,}(?-u:\b)escreveu\s*:$",
    ])
    .unwrap()
});

static YEAR_OR_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\D)(?:19|20)\d{2}(?:\D|$)|\b\d{1,2}[./\-]\s?\d{1,2}[./\-]\s?\d{2}\b").unwrap()
});
static TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\d{1,2}[:：]\d{2}|\b(?:kl|klo|kello|pukul|jam)\.?\s*\d{1,2}[.:]\d{2}").unwrap()
});
/// The author's address right before the final colon: Gmail in Russian, Japanese, Hebrew,
/// Arabic; Yandex; Mail.ru ("… <anna@x.ru>:"); mutt's common `* Name <a@x> [2025-03-03 10:02]:`.
static ADDRESS_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\w.+'\-]+@[\w\-]+(?:\.[\w\-]+)+\s*[>)\]]*\s*(?:\[[^\]]*\d[^\]]*\]\s*)?[:：]$")
        .unwrap()
});

/// "Felix Braun wrote:" with no date: accepted only right before a quote block.
static WEAK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^(?:.+(?:{verbs})\s*[:：]|(?:skrev|كتب|נכתב על ידי|quoting|zitat von|citando|citation de|cytuję)\s.+[:：]|\d{{1,2}}\.\d{{1,2}}\.\d{{2,4}},?\s+\d{{1,2}}:\d{{2}},\s+[^,:：]{{2,60}}[:：])$",
        verbs = wrote_alternation()
    ))
    .unwrap()
});

/// A complete attribution that may stand alone: it ends with a colon, carries a date or time,
/// and has the shape of a client template, or a date, a time and the verb or the author's
/// address at the end.
pub(crate) fn is_strong(text: &str) -> bool {
    if !ends_with_colon(text)
        || text.chars().count() > 400
        || !text.chars().any(|c| c.is_ascii_digit())
    {
        return false;
    }
    FRAMES.is_match(text)
        || (YEAR_OR_DATE.is_match(text)
            && TIME.is_match(text)
            && (VERB.is_match(text) || ADDRESS_END.is_match(text)))
}

/// An attribution without a date ("Felix Braun wrote:", "Peter пишет:").
pub(crate) fn is_weak(text: &str) -> bool {
    ends_with_colon(text) && text.chars().count() <= 100 && WEAK.is_match(text)
}

fn ends_with_colon(text: &str) -> bool {
    text.ends_with(':') || text.ends_with('：')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strong_attributions() {
        for line in [
            "On Mon, Mar 3, 2025 at 10:02 AM Anna Smith <a@x.com> wrote:",
            "2025年3月3日(月) 10:02 Anna <a@x.com>:",
            "Il giorno lun 3 mar 2025 alle ore 10:02 Anna <a@x.it> ha scritto:",
            "Em seg., 3 de mar. de 2025 às 10:02, Ana <a@x.br> escreveu:",
            "pon., 3 mar 2025 o 10:02 Anna Kowalska <a@x.pl> napisał(a):",
            "On Tue, Mar 04, 2025 at 10:02:11AM +0100, Heike Brandt wrote:",
            "чт, 11 февр. 2021 г. в 06:24, Aurélien Aptel <aaptel@suse.com>:",
            "3 марта 2025 г., в 10:02, Игорь Волков <igor@x.ru> написал(а):",
            "03.03.2025 10:02, Сергей Иванов пишет:",
            "02.04.2012 14:20 пользователь \"bob@example.com\" <bob@xxx.mailgun.org> написал:",
            "пн, 3 бер. 2025 р. о 10:02 Марія Петренко <m@x.ua> пише:",
            "po 3. 3. 2025 v 10:02 odesílatel Kateřina Dvořáková <k@x.cz> napsal:",
            "Dne 03. 03. 25 v 10:02 Jan Novák napsal(a):",
            "Wu XiangCheng <bobwxc@email.cn> 于2021年4月7日周三 下午3:51写道：",
            "在 2025/3/3 18:02, 韩梅梅 写道:",
            "2021년 2월 2일 (화) 오전 8:33, Daeho Jeong <daeho43@gmail.com>님이 작성:",
            "2025. 3. 3. 오전 10:02에 Kim 이(가) 쓴 글:",
            "Στις Δευ 3 Μαρ 2025 στις 11:02, ο/η Νίκος <n@x.gr> έγραψε:",
            "Ayşe <a@x.tr>, 3 Mar 2025 Pzt, 11:02 tarihinde şunu yazdı:",
            "3.03.2025 10:02 tarihinde Ayşe Yılmaz yazdı:",
            "בתאריך יום ג׳, 4 במרץ 2025 ב-12:30 מאת Layla <l@x.com>:",
            "في الاثنين، 3 مارس 2025 في 10:02 ص تمت كتابة ما يلي بواسطة عمر <o@x.com>:",
            "נכתב על ידי Dana Levi, ב־03/03/2025 בשעה 10:02:",
            "mån 3 mars 2025 kl. 16:12 skrev Åsa <a@x.se>:",
            "Den man. 3. mar. 2025 kl. 10.02 skrev Peter <p@x.dk>:",
            "Anna (anna@x.fi) kirjoitti ma 3.3.2025 klo 10.02:",
            "Anna <a@x.hu> ezt írta (időpont: 2025. márc. 3., H, 10:02):",
            "Às 10:02 de 03/03/2025, João escreveu:",
            "Pada tanggal Sel, 4 Mar 2025 pukul 09.30 Budi <b@x.id> menulis:",
            "Am Dienstag, 4. März 2025 um 08:47:10 MEZ hat Klaus <k@x.de> Folgendes geschrieben:",
            "* Price, Steven <sprice@globex.example> [2026-09-03 10:30]:",
        ] {
            assert!(is_strong(line), "{line}");
        }
        for line in [
            "Here is the plan for Monday:",
            "Felix Braun wrote:",
            "The build from 2025-03-03 at 10:02 failed with:",
            "The error log from 03.03.2025 10:02 said:",
        ] {
            assert!(!is_strong(line), "{line}");
        }
    }

    #[test]
    fn weak_attributions() {
        for line in [
            "Felix Braun wrote:",
            "Peter пишет:",
            "Müller, Hans schrieb:",
            "skrev Ola Nordmann:",
            "03.03.2025 10:02, Тарас Шевчук:",
            "李雷 写道:",
            "Quoting Anna Smith <anna@x.com>:",
        ] {
            assert!(is_weak(line), "{line}");
        }
        assert!(!is_weak("Here is the plan:"));
    }
}
