//! Who writes: offices and partner companies, with names in several scripts (Latin with
//! diacritics, Cyrillic, Greek, CJK, Arabic, Hebrew), display-name habits (`Last, First`,
//! nicknames in quotes, titles), the language they write and their client's UI language.
//!
//! Every name pool is split by position: even entries only ever appear in the dev split, odd
//! ones only in the test split, so the two halves share no person.

use outloud::seeded::{SeededRng, SliceSeeded};
use serde::Serialize;

use crate::clients::Client;
use crate::dates::Zone;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    En,
    De,
    Fr,
    Es,
    Ru,
    Ja,
    Pl,
    Pt,
    Nl,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::Ru => "ru",
            Lang::Ja => "ja",
            Lang::Pl => "pl",
            Lang::Pt => "pt",
            Lang::Nl => "nl",
        }
    }
}

/// The client's UI language and region: decides attribution and header formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    EnUs,
    EnGb,
    De,
    Fr,
    Es,
    Ru,
    Ja,
    Pl,
    PtBr,
    Nl,
}

impl Locale {
    pub fn lang(self) -> Lang {
        match self {
            Locale::EnUs | Locale::EnGb => Lang::En,
            Locale::De => Lang::De,
            Locale::Fr => Lang::Fr,
            Locale::Es => Lang::Es,
            Locale::Ru => Lang::Ru,
            Locale::Ja => Lang::Ja,
            Locale::Pl => Lang::Pl,
            Locale::PtBr => Lang::Pt,
            Locale::Nl => Lang::Nl,
        }
    }
    pub fn tag(self) -> &'static str {
        match self {
            Locale::EnUs => "en-US",
            Locale::EnGb => "en-GB",
            Locale::De => "de-DE",
            Locale::Fr => "fr-FR",
            Locale::Es => "es-ES",
            Locale::Ru => "ru-RU",
            Locale::Ja => "ja-JP",
            Locale::Pl => "pl-PL",
            Locale::PtBr => "pt-BR",
            Locale::Nl => "nl-NL",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameOrder {
    /// `Anna Smith`
    Given,
    /// `Smith, Anna` (Exchange address books)
    LastComma,
    /// `山田 太郎`, `Петров Иван`: family name first, no comma.
    Family,
}

#[derive(Debug, Clone)]
pub struct Person {
    /// Display name in the From header (may be empty: bare address).
    pub display: String,
    /// What colleagues call them in a greeting.
    pub call: String,
    /// How they sign a short mail ("Anna", "A.", "太郎").
    pub sign: String,
    /// Full name in the usual order, for signatures.
    pub full: String,
    pub email: String,
    pub ui: Locale,
    pub lang: Lang,
    pub zone: Zone,
    pub company: &'static str,
    pub title: &'static str,
    pub phone: String,
    pub desk: Client,
    /// A phone client used now and then.
    pub mobile: Option<Client>,
    /// Index into the language's closing formulas this person uses (`None`: never signs off).
    pub closing: Option<usize>,
    /// 0: first name under the closing, 1: full name, 2: initial, 3: nothing.
    pub name_line: u8,
    pub has_signature: bool,
    pub dash_signature: bool,
    pub has_disclaimer: bool,
    /// Office index, to keep conversations mostly within one office.
    pub office: usize,
}

/// (given, family, email local part, display override, greeting name override)
type NameEntry = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

pub struct Office {
    pub domain: &'static str,
    pub company: &'static str,
    pub ui: Locale,
    pub zone: Zone,
    pub order: NameOrder,
    pub phone_prefix: &'static str,
    names: &'static [NameEntry],
    /// (client, weight) for desk clients.
    clients: &'static [(Client, u32)],
}

use Client::*;

const US_CLIENTS: &[(Client, u32)] = &[
    (GmailWeb, 30),
    (OutlookDesktop, 22),
    (AppleMail, 15),
    (OutlookWeb, 10),
    (Thunderbird, 10),
    (Mutt, 6),
    (OutlookMac, 7),
];
const EU_CLIENTS: &[(Client, u32)] = &[
    (OutlookDesktop, 28),
    (Thunderbird, 20),
    (GmailWeb, 15),
    (AppleMail, 12),
    (OutlookWeb, 8),
    (OutlookPlain, 9),
    (Mutt, 5),
    (OutlookMac, 5),
];
const EXCHANGE_CLIENTS: &[(Client, u32)] =
    &[(OutlookDesktop, 60), (OutlookPlain, 15), (OutlookWeb, 25)];
const JP_CLIENTS: &[(Client, u32)] = &[
    (OutlookDesktop, 40),
    (Thunderbird, 25),
    (GmailWeb, 20),
    (AppleMail, 15),
];

pub const OFFICES: &[Office] = &[
    Office {
        domain: "corp.example",
        company: "Corp Example Inc.",
        ui: Locale::EnUs,
        zone: Zone::NewYork,
        order: NameOrder::Given,
        phone_prefix: "+1 212 555 01",
        names: &[
            ("Anna", "Smith", "anna.smith", None, None),
            (
                "Robert",
                "Jones",
                "bob.jones",
                Some("Robert \"Bob\" Jones"),
                Some("Bob"),
            ),
            ("Carol", "White", "carol.white", None, None),
            ("David", "Brown", "david.brown", None, None),
            ("Emily", "Clark", "emily.clark", None, None),
            ("Frank", "Miller", "frank.miller", None, None),
            ("Grace", "Kim", "grace.kim", None, None),
            ("Henry", "Wilson", "h.wilson", None, None),
            ("محمد", "العلي", "mohammed.alali", None, None),
            ("דוד", "כהן", "david.cohen", None, None),
            ("ليلى", "حداد", "laila.haddad", None, None),
            ("נועה", "לוי", "noa.levi", None, None),
            ("James", "O'Connor", "james.oconnor", None, Some("Jim")),
            (
                "Katherine",
                "Miller",
                "kate.miller",
                Some("Katherine (Kate) Miller"),
                Some("Kate"),
            ),
        ],
        clients: US_CLIENTS,
    },
    Office {
        domain: "corp.example",
        company: "Corp Example Inc.",
        ui: Locale::EnUs,
        zone: Zone::LosAngeles,
        order: NameOrder::Given,
        phone_prefix: "+1 310 555 02",
        names: &[
            ("Kevin", "Nguyen", "kevin.nguyen", None, None),
            ("Jessica", "Park", "jessica.park", None, None),
            ("Daniel", "Rivera", "daniel.rivera", None, Some("Dan")),
            ("Megan", "Foster", "megan.foster", None, None),
            ("Sean", "Murphy", "sean.murphy", None, None),
            ("Priya", "Raman", "priya.raman", None, None),
        ],
        clients: US_CLIENTS,
    },
    Office {
        domain: "corp.example",
        company: "Corp Example Ltd",
        ui: Locale::EnGb,
        zone: Zone::London,
        order: NameOrder::Given,
        phone_prefix: "+44 20 7946 03",
        names: &[
            ("Oliver", "Hughes", "oliver.hughes", None, Some("Olly")),
            ("Charlotte", "Evans", "charlotte.evans", None, None),
            (
                "Γιώργος",
                "Παπαδόπουλος",
                "giorgos.papadopoulos",
                None,
                None,
            ),
            ("Ελένη", "Νικολάου", "eleni.nikolaou", None, None),
            ("娜", "李", "li.na", Some("李娜"), Some("Na")),
            ("伟", "王", "wang.wei", Some("王伟"), Some("Wei")),
            ("Harry", "Patel", "harry.patel", None, None),
            ("Amelia", "Wright", "amelia.wright", None, None),
            ("Zoë", "Brontë", "zoe.bronte", None, None),
            ("Siobhán", "Ní Bhriain", "siobhan.nibhriain", None, None),
        ],
        clients: EU_CLIENTS,
    },
    Office {
        domain: "corp.example",
        company: "Corp Example GmbH",
        ui: Locale::De,
        zone: Zone::Berlin,
        order: NameOrder::Given,
        phone_prefix: "+49 30 1234 56",
        names: &[
            ("Jürgen", "Müller", "juergen.mueller", None, None),
            ("Anja", "Schröder", "anja.schroeder", None, None),
            ("Klaus", "Weber", "klaus.weber", None, None),
            ("Sabine", "Groß", "sabine.gross", None, None),
            ("Lukas", "Hoffmann", "lukas.hoffmann", None, None),
            ("Katrin", "Bäcker", "katrin.baecker", None, None),
            (
                "Stefan",
                "Krüger",
                "stefan.krueger",
                Some("Dr. Stefan Krüger"),
                None,
            ),
            ("Heike", "Schäfer", "heike.schaefer", None, None),
            ("Jörg", "Fuß", "joerg.fuss", None, None),
            ("Björn", "Köhler", "bjoern.koehler", None, None),
            ("Ülkü", "Yılmaz", "uelkue.yilmaz", None, None),
            (
                "Grzegorz",
                "Brzęczyszczykiewicz",
                "g.brzeczyszczykiewicz",
                None,
                Some("Greg"),
            ),
        ],
        clients: EU_CLIENTS,
    },
    Office {
        domain: "corp.example",
        company: "Corp Example SAS",
        ui: Locale::Fr,
        zone: Zone::Berlin,
        order: NameOrder::Given,
        phone_prefix: "+33 1 70 36 12",
        names: &[
            ("Amélie", "Dubois", "amelie.dubois", None, None),
            ("François", "Lefèvre", "francois.lefevre", None, None),
            ("Hélène", "Moreau", "helene.moreau", None, None),
            ("Jérôme", "Girard", "jerome.girard", None, None),
            ("Céline", "Bonnet", "celine.bonnet", None, None),
            ("Léa", "Fontaine", "lea.fontaine", None, None),
            ("Benoît", "Rousseau", "benoit.rousseau", None, None),
            ("Gaëlle", "Prévost", "gaelle.prevost", None, None),
            ("Noël", "Lemaître", "noel.lemaitre", None, None),
            ("Zoé", "Chevalier", "zoe.chevalier", None, None),
        ],
        clients: EU_CLIENTS,
    },
    Office {
        domain: "corp.example",
        company: "Corp Example S.L.",
        ui: Locale::Es,
        zone: Zone::Berlin,
        order: NameOrder::Given,
        phone_prefix: "+34 91 123 45",
        names: &[
            ("José", "García", "jose.garcia", None, None),
            ("María", "Fernández", "maria.fernandez", None, None),
            ("Íñigo", "Martínez", "inigo.martinez", None, None),
            ("Lucía", "Gómez", "lucia.gomez", None, None),
            ("Andrés", "Muñoz", "andres.munoz", None, None),
            ("Begoña", "Ruiz", "begona.ruiz", None, None),
            ("Raúl", "Sánchez", "raul.sanchez", None, None),
            ("Nuria", "Peña", "nuria.pena", None, None),
        ],
        clients: EU_CLIENTS,
    },
    Office {
        domain: "corp.example",
        company: "Corp Example Ltda.",
        ui: Locale::PtBr,
        zone: Zone::SaoPaulo,
        order: NameOrder::Given,
        phone_prefix: "+55 11 3456 78",
        names: &[
            ("João", "Conceição", "joao.conceicao", None, None),
            ("Ana", "Araújo", "ana.araujo", None, None),
            ("Luís", "Gonçalves", "luis.goncalves", None, None),
            ("Fernanda", "Simões", "fernanda.simoes", None, None),
            ("Márcio", "Peçanha", "marcio.pecanha", None, None),
            ("Camila", "Brandão", "camila.brandao", None, None),
            ("Thiago", "Magalhães", "thiago.magalhaes", None, None),
            ("Beatriz", "Assunção", "beatriz.assuncao", None, Some("Bia")),
        ],
        clients: US_CLIENTS,
    },
    Office {
        domain: "corp.example",
        company: "Corp Example B.V.",
        ui: Locale::Nl,
        zone: Zone::Berlin,
        order: NameOrder::Given,
        phone_prefix: "+31 20 794 56",
        names: &[
            ("Sanne", "de Vries", "sanne.devries", None, None),
            ("Pieter", "van den Berg", "pieter.vandenberg", None, None),
            ("Joost", "Bakker", "joost.bakker", None, None),
            ("Marieke", "Jansen", "marieke.jansen", None, None),
            ("Thijs", "van Dijk", "thijs.vandijk", None, None),
            ("Eva", "Smit", "eva.smit", None, None),
            ("Bram", "Visser", "bram.visser", None, None),
            ("Femke", "de Jong", "femke.dejong", None, None),
        ],
        clients: EU_CLIENTS,
    },
    Office {
        domain: "corp.example",
        company: "Corp Example Sp. z o.o.",
        ui: Locale::Pl,
        zone: Zone::Berlin,
        order: NameOrder::Given,
        phone_prefix: "+48 22 123 45",
        names: &[
            ("Łukasz", "Wiśniewski", "lukasz.wisniewski", None, None),
            ("Agnieszka", "Kowalczyk", "agnieszka.kowalczyk", None, None),
            ("Paweł", "Dąbrowski", "pawel.dabrowski", None, None),
            (
                "Małgorzata",
                "Zielińska",
                "malgorzata.zielinska",
                None,
                Some("Gosia"),
            ),
            ("Krzysztof", "Wójcik", "krzysztof.wojcik", None, None),
            ("Zofia", "Kamińska", "zofia.kaminska", None, None),
            ("Michał", "Lewandowski", "michal.lewandowski", None, None),
            ("Joanna", "Szymańska", "joanna.szymanska", None, None),
        ],
        clients: EU_CLIENTS,
    },
    Office {
        domain: "corp.example",
        company: "ООО «Корп Экзампл»",
        ui: Locale::Ru,
        zone: Zone::Moscow,
        order: NameOrder::Given,
        phone_prefix: "+7 495 123 45",
        names: &[
            ("Иван", "Петров", "ivan.petrov", None, None),
            ("Ольга", "Смирнова", "olga.smirnova", None, None),
            (
                "Дмитрий",
                "Кузнецов",
                "dmitry.kuznetsov",
                Some("Кузнецов Дмитрий"),
                None,
            ),
            ("Наталья", "Иванова", "natalia.ivanova", None, None),
            ("Алексей", "Соколов", "alexey.sokolov", None, None),
            (
                "Екатерина",
                "Попова",
                "ekaterina.popova",
                Some("Попова Екатерина"),
                None,
            ),
            ("Сергей", "Волков", "sergey.volkov", None, None),
            ("Anna", "Lebedeva", "anna.lebedeva", None, None),
        ],
        clients: EU_CLIENTS,
    },
    Office {
        domain: "corp.example",
        company: "コープ・エグザンプル株式会社",
        ui: Locale::Ja,
        zone: Zone::Tokyo,
        order: NameOrder::Family,
        phone_prefix: "+81 3 1234 56",
        names: &[
            ("太郎", "山田", "taro.yamada", None, None),
            ("花子", "佐藤", "hanako.sato", None, None),
            ("一郎", "鈴木", "ichiro.suzuki", None, None),
            ("美咲", "高橋", "misaki.takahashi", None, None),
            ("健", "田中", "ken.tanaka", None, None),
            ("直美", "渡辺", "naomi.watanabe", None, None),
            ("翔", "伊藤", "sho.ito", None, None),
            ("由紀", "中村", "yuki.nakamura", None, None),
        ],
        clients: JP_CLIENTS,
    },
    Office {
        domain: "globex.example",
        company: "Globex Corporation",
        ui: Locale::EnUs,
        zone: Zone::NewYork,
        order: NameOrder::LastComma,
        phone_prefix: "+1 646 555 07",
        names: &[
            ("Thomas", "Reed", "treed", None, Some("Tom")),
            ("Jennifer", "Hall", "jhall", None, Some("Jen")),
            ("Mark", "Cooper", "mcooper", None, None),
            ("Linda", "Ward", "lward", None, None),
            ("Steven", "Price", "sprice", None, Some("Steve")),
            ("Rachel", "Bell", "rbell", None, None),
        ],
        clients: EXCHANGE_CLIENTS,
    },
    Office {
        domain: "initech.example",
        company: "Initech AG",
        ui: Locale::De,
        zone: Zone::Berlin,
        order: NameOrder::LastComma,
        phone_prefix: "+49 89 9876 54",
        names: &[
            ("Thomas", "Becker", "t.becker", None, None),
            ("Julia", "Wagner", "j.wagner", None, None),
            ("Matthias", "Schulz", "m.schulz", None, None),
            ("Petra", "Neumann", "p.neumann", None, None),
            ("Uwe", "Zimmermann", "u.zimmermann", None, None),
            ("Monika", "Krämer", "m.kraemer", None, None),
        ],
        clients: EXCHANGE_CLIENTS,
    },
];

const TITLES_EN: &[&str] = &[
    "Senior Software Engineer",
    "Engineering Manager",
    "Account Executive",
    "Product Manager",
    "Operations Lead",
    "Site Reliability Engineer",
];
const TITLES_DE: &[&str] = &[
    "Softwareentwickler",
    "Teamleiterin Vertrieb",
    "Projektmanager",
    "Leiter IT-Betrieb",
];
const TITLES_FR: &[&str] = &[
    "Chef de projet",
    "Ingénieure logiciel",
    "Responsable commercial",
    "Directrice des opérations",
];
const TITLES_ES: &[&str] = &[
    "Jefe de proyecto",
    "Ingeniera de software",
    "Director comercial",
];
const TITLES_PT: &[&str] = &[
    "Gerente de projetos",
    "Engenheira de software",
    "Executivo de contas",
];
const TITLES_NL: &[&str] = &["Projectleider", "Software-ontwikkelaar", "Accountmanager"];
const TITLES_PL: &[&str] = &[
    "Kierownik projektu",
    "Programistka",
    "Specjalista ds. sprzedaży",
];
const TITLES_RU: &[&str] = &[
    "Руководитель проекта",
    "Ведущий инженер",
    "Менеджер по продажам",
];
const TITLES_JA: &[&str] = &["営業部 課長", "開発部 エンジニア", "情報システム部"];

fn titles(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::En => TITLES_EN,
        Lang::De => TITLES_DE,
        Lang::Fr => TITLES_FR,
        Lang::Es => TITLES_ES,
        Lang::Pt => TITLES_PT,
        Lang::Nl => TITLES_NL,
        Lang::Pl => TITLES_PL,
        Lang::Ru => TITLES_RU,
        Lang::Ja => TITLES_JA,
    }
}

fn pick_weighted<T: Copy>(rng: &mut SeededRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.gen_range(0..total);
    for (item, w) in items {
        if x < *w {
            return *item;
        }
        x -= w;
    }
    items[0].0
}

fn is_latin(s: &str) -> bool {
    s.chars().all(|c| (c as u32) < 0x250)
}

/// Everyone of one split. `parity` 0 = dev, 1 = test.
pub fn roster(rng: &mut SeededRng, parity: usize) -> Vec<Person> {
    let mut people = Vec::new();
    for (oi, office) in OFFICES.iter().enumerate() {
        for (i, entry) in office.names.iter().enumerate() {
            if i % 2 != parity {
                continue;
            }
            people.push(person(rng, oi, office, entry));
        }
    }
    people
}

fn person(rng: &mut SeededRng, oi: usize, office: &Office, entry: &NameEntry) -> Person {
    let (given, family, local, display, call) = *entry;
    let latin = is_latin(given) && is_latin(family);
    let full = match office.order {
        NameOrder::Family if !latin => format!("{family} {given}"),
        _ if !latin && office.ui == Locale::Ja => format!("{family} {given}"),
        _ => format!("{given} {family}"),
    };
    let display = match (display, office.order) {
        (Some(d), _) => d.to_string(),
        // Some people never set a display name: their From is a bare address.
        _ if rng.gen_bool(0.05) => String::new(),
        (None, NameOrder::LastComma) => format!("{family}, {given}"),
        (None, _) => full.clone(),
    };
    let lang = office.ui.lang();
    // Japanese colleagues address each other by family name + さん.
    let call = match (call, lang) {
        (Some(c), _) => c.to_string(),
        (None, Lang::Ja) => family.to_string(),
        (None, _) => given.to_string(),
    };
    let sign = match lang {
        Lang::Ja => family.to_string(),
        _ => call.clone(),
    };
    // A fifth of the non-English offices run their mail client in English.
    let ui = if lang != Lang::En && rng.gen_bool(0.2) {
        if rng.gen_bool(0.5) {
            Locale::EnUs
        } else {
            Locale::EnGb
        }
    } else {
        office.ui
    };
    let desk = pick_weighted(rng, office.clients);
    let mobile = pick_mobile(rng, desk, lang);
    let closing = if rng.gen_bool(0.85) {
        Some(rng.gen_range(0..crate::lang::closings(lang).len()))
    } else {
        None
    };
    let outlookish = desk.is_outlook();
    Person {
        display,
        call,
        sign,
        full,
        email: format!("{local}@{}", office.domain),
        ui,
        lang,
        zone: office.zone,
        company: office.company,
        title: titles(lang).choose(rng).copied().unwrap_or(""),
        phone: format!("{}{:02}", office.phone_prefix, rng.gen_range(10..99)),
        desk,
        mobile,
        closing,
        name_line: [0, 0, 0, 1, 1, 2, 3][rng.gen_range(0..7)],
        has_signature: rng.gen_bool(if outlookish { 0.8 } else { 0.45 }),
        dash_signature: matches!(desk, Client::Thunderbird | Client::Mutt) || rng.gen_bool(0.2),
        has_disclaimer: office.domain != "corp.example" && outlookish
            || outlookish && matches!(lang, Lang::De | Lang::Fr | Lang::Es) && rng.gen_bool(0.4)
            || rng.gen_bool(0.05),
        office: oi,
    }
}

fn pick_mobile(rng: &mut SeededRng, desk: Client, lang: Lang) -> Option<Client> {
    if !rng.gen_bool(0.75) {
        return None;
    }
    Some(match desk {
        Client::OutlookDesktop | Client::OutlookWeb | Client::OutlookPlain | Client::OutlookMac => {
            Client::OutlookMobile
        }
        Client::AppleMail => Client::IosMail,
        Client::GmailWeb if rng.gen_bool(0.5) => Client::GmailMobile,
        _ if matches!(
            lang,
            Lang::En | Lang::De | Lang::Fr | Lang::Es | Lang::Pt | Lang::Nl
        ) && rng.gen_bool(0.6) =>
        {
            Client::Samsung
        }
        _ => Client::IosMail,
    })
}
