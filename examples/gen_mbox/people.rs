//! The ~200 people of the corpus: names, languages, mail clients, time zones, signatures.

use chrono::{DateTime, Datelike, FixedOffset};
use outloud::seeded::{SeededRng, SliceSeeded};

use super::text::{Client, Lang, SigStyle};

pub(crate) const EN_FIRST: &[&str] = &[
    "Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry", "Isabel", "Jack", "Karen",
    "Liam", "Maria", "Nathan", "Olivia", "Peter", "Quinn", "Rachel", "Samuel", "Tara", "Umar",
    "Victoria", "William", "Xavier", "Yasmin", "Zoe", "Priya", "Wei", "Carlos", "Fatima",
    "Mohammed", "Sofia", "Daniel", "Hannah", "Kevin", "Laura", "Michael", "Nina", "Oscar", "Rosa",
];
pub(crate) const EN_LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Patel",
    "Chen",
    "Nguyen",
    "O'Brien",
    "Kowalski",
    "Singh",
];
pub(crate) const DE_FIRST: &[&str] = &[
    "Jürgen", "Anna", "Lukas", "Sophie", "Jörg", "Katrin", "Stefan", "Bärbel", "Tobias", "Lena",
    "Matthias", "Julia", "Uwe", "Sabine", "Felix",
];
pub(crate) const DE_LAST: &[&str] = &[
    "Müller",
    "Schröder",
    "Weiß",
    "Becker",
    "Fischer",
    "Schäfer",
    "Köhler",
    "Hoffmann",
    "Krüger",
    "Wagner",
    "Schulz",
    "Zimmermann",
    "Braun",
    "Groß",
    "Lehmann",
];
pub(crate) const FR_FIRST: &[&str] = &[
    "Françoise",
    "Élodie",
    "Jérôme",
    "Hélène",
    "Mathieu",
    "Camille",
    "Benoît",
    "Amélie",
    "Julien",
    "Céline",
    "Nicolas",
    "Chloé",
];
pub(crate) const FR_LAST: &[&str] = &[
    "Dubois", "Lefèvre", "Moreau", "Girard", "Rousseau", "Fournier", "Mercier", "Bonnet",
    "Lambert", "Faure",
];
/// (kanji, romaji)
pub(crate) const JA_FAMILY: &[(&str, &str)] = &[
    ("田中", "Tanaka"),
    ("佐藤", "Sato"),
    ("鈴木", "Suzuki"),
    ("高橋", "Takahashi"),
    ("伊藤", "Ito"),
    ("渡辺", "Watanabe"),
    ("山本", "Yamamoto"),
    ("中村", "Nakamura"),
];
pub(crate) const JA_GIVEN: &[(&str, &str)] = &[
    ("太郎", "Taro"),
    ("花子", "Hanako"),
    ("健", "Ken"),
    ("由美", "Yumi"),
    ("翔", "Sho"),
    ("美咲", "Misaki"),
    ("大輔", "Daisuke"),
    ("さくら", "Sakura"),
];
pub(crate) const EN_TITLES: &[&str] = &[
    "Software Engineer",
    "Senior Software Engineer",
    "Engineering Manager",
    "Product Manager",
    "Account Executive",
    "Sales Director",
    "Product Designer",
    "Data Analyst",
    "Site Reliability Engineer",
    "VP Engineering",
    "Customer Success Manager",
];
pub(crate) const DE_TITLES: &[&str] = &[
    "Softwareentwickler",
    "Teamleiterin Vertrieb",
    "Produktmanager",
    "Key Account Manager",
];
pub(crate) const FR_TITLES: &[&str] = &[
    "Ingénieur logiciel",
    "Cheffe de projet",
    "Responsable commercial",
];
pub(crate) const JA_TITLES: &[&str] =
    &["開発部 エンジニア", "営業部 課長", "プロダクトマネージャー"];
pub(crate) const EXTERNAL_DOMAINS: &[&str] =
    &["partner.example", "client.example", "agency.example"];

pub(crate) struct Person {
    pub(crate) first: String,
    /// Family name as used in Japanese greetings.
    pub(crate) family: String,
    pub(crate) display: String,
    pub(crate) email: String,
    pub(crate) lang: Lang,
    pub(crate) client: Client,
    /// UTC offset in minutes; `None`: Central European time (summer time April–October).
    pub(crate) tz: Option<i32>,
    pub(crate) title: &'static str,
    pub(crate) phone: String,
    pub(crate) sig: SigStyle,
    pub(crate) disclaimer: bool,
    pub(crate) external: bool,
}

impl Person {
    pub(crate) fn offset(&self, utc: i64) -> FixedOffset {
        let minutes = self.tz.unwrap_or_else(|| {
            let month = DateTime::from_timestamp(utc, 0).unwrap().month();
            if (4..=10).contains(&month) {
                120
            } else {
                60
            }
        });
        FixedOffset::east_opt(minutes * 60).unwrap()
    }

    pub(crate) fn local(&self, utc: i64) -> DateTime<FixedOffset> {
        DateTime::from_timestamp(utc, 0)
            .unwrap()
            .with_timezone(&self.offset(utc))
    }
}

pub(crate) fn ascii_fold(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'é' | 'è' | 'ê' | 'É' => out.push('e'),
            'à' | 'â' => out.push('a'),
            'ç' => out.push('c'),
            'î' | 'ï' => out.push('i'),
            'ô' => out.push('o'),
            'û' | 'ù' => out.push('u'),
            '\'' | ' ' => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

pub(crate) fn make_people(rng: &mut SeededRng, groups: &[String]) -> Vec<Person> {
    let mut people: Vec<Person> = Vec::new();
    let mut taken: Vec<String> = groups.to_vec();
    for i in 0..200 {
        let lang = match i % 20 {
            0..=14 => Lang::En,
            15 | 16 => Lang::De,
            17 | 18 => Lang::Fr,
            _ => Lang::Ja,
        };
        let (first, family, display, local, title, phone) = match lang {
            Lang::Ja => {
                let (fk, fr) = *JA_FAMILY.choose(rng).unwrap();
                let (gk, gr) = *JA_GIVEN.choose(rng).unwrap();
                let display = if rng.gen_bool(0.7) {
                    format!("{fk} {gk}")
                } else {
                    format!("{gr} {fr}")
                };
                let phone = format!("03-1234-{:04}", rng.gen_range(0..10000));
                (
                    gk.to_string(),
                    fk.to_string(),
                    display,
                    format!("{}.{}", gr, fr),
                    *JA_TITLES.choose(rng).unwrap(),
                    phone,
                )
            }
            _ => {
                let (firsts, lasts, titles) = match lang {
                    Lang::De => (DE_FIRST, DE_LAST, DE_TITLES),
                    Lang::Fr => (FR_FIRST, FR_LAST, FR_TITLES),
                    _ => (EN_FIRST, EN_LAST, EN_TITLES),
                };
                let f = *firsts.choose(rng).unwrap();
                let l = *lasts.choose(rng).unwrap();
                // Some directories list people as "Last, First": a comma inside a display name.
                let display = if rng.gen_bool(0.1) {
                    format!("{l}, {f}")
                } else {
                    format!("{f} {l}")
                };
                let phone = match lang {
                    Lang::De => format!("+49 30 1234 5{:03}", rng.gen_range(0..1000)),
                    Lang::Fr => format!(
                        "+33 1 23 45 {:02} {:02}",
                        rng.gen_range(0..100),
                        rng.gen_range(0..100)
                    ),
                    _ => format!("+1 415 555 01{:02}", rng.gen_range(0..100)),
                };
                (
                    f.to_string(),
                    l.to_string(),
                    display,
                    format!("{f}.{l}"),
                    *titles.choose(rng).unwrap(),
                    phone,
                )
            }
        };
        let external = rng.gen_bool(0.12);
        let domain = if external {
            EXTERNAL_DOMAINS.choose(rng).unwrap()
        } else {
            "corp.example"
        };
        let base = ascii_fold(&local);
        let mut email = format!("{base}@{domain}");
        let mut n = 2;
        while taken.contains(&email) {
            email = format!("{base}{n}@{domain}");
            n += 1;
        }
        taken.push(email.clone());
        let client = match rng.gen_range(0..100) {
            0..=39 => Client::Outlook,
            40..=67 => Client::Gmail,
            68..=79 => Client::AppleMail,
            80..=87 => Client::IPhone,
            _ => Client::Thunderbird,
        };
        let r = rng.gen_range(0..100);
        let sig = match client {
            Client::IPhone => SigStyle::None,
            Client::Outlook if r < 60 => SigStyle::Block,
            Client::Outlook if r < 75 => SigStyle::Dashed,
            Client::Outlook => SigStyle::None,
            _ if r < 45 => SigStyle::Dashed,
            _ if r < 65 => SigStyle::Block,
            _ => SigStyle::None,
        };
        let disclaimer =
            (client == Client::Outlook && rng.gen_bool(0.15)) || (external && rng.gen_bool(0.25));
        let tz = match lang {
            Lang::De | Lang::Fr => None,
            Lang::Ja => Some(540),
            Lang::En => Some(*[-420, -300, -240, 0, 0, 60].choose(rng).unwrap()),
        };
        people.push(Person {
            first,
            family,
            display,
            email,
            lang,
            client,
            tz,
            title,
            phone,
            sig,
            disclaimer,
            external,
        });
    }
    people
}
