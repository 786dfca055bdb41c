//! The mail clients of the corpus and what each one writes around the text: Message-ID
//! shapes, identifying headers, charsets and transfer encodings, reply subject prefixes,
//! threading headers, phone footers, posting habits.

use outloud::seeded::SeededRng;
use serde::Serialize;

use crate::people::{Lang, Locale};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Client {
    /// Gmail in the browser (HTML compose, text/plain alternative wrapped at 78).
    GmailWeb,
    /// The Gmail app on Android or iOS.
    GmailMobile,
    /// Outlook for Windows, HTML compose: header block without separator.
    OutlookDesktop,
    /// Outlook for Windows in plain-text mode: `-----Original Message-----`.
    OutlookPlain,
    /// Outlook on the web / new Outlook: underscores line, then the header block.
    OutlookWeb,
    /// Outlook for iOS / Android: underscores line, seconds in `Sent:`, "Get Outlook" footer.
    OutlookMobile,
    /// Outlook for Mac: `Date: … at …` in the header block.
    OutlookMac,
    /// Apple Mail on macOS: attribution inside the quote.
    AppleMail,
    /// Mail on the iPhone: footer, attribution above the quote.
    IosMail,
    /// Thunderbird: format=flowed, replies below the quote by default, name-only attribution.
    Thunderbird,
    /// mutt / NeoMutt: plain text, interleaved or bottom posting.
    Mutt,
    /// Samsung Email on Android: `-------- Original message --------` block.
    Samsung,
}

impl Client {
    pub fn name(self) -> &'static str {
        match self {
            Client::GmailWeb => "gmail-web",
            Client::GmailMobile => "gmail-mobile",
            Client::OutlookDesktop => "outlook-desktop",
            Client::OutlookPlain => "outlook-plain",
            Client::OutlookWeb => "outlook-web",
            Client::OutlookMobile => "outlook-mobile",
            Client::OutlookMac => "outlook-mac",
            Client::AppleMail => "apple-mail",
            Client::IosMail => "ios-mail",
            Client::Thunderbird => "thunderbird",
            Client::Mutt => "mutt",
            Client::Samsung => "samsung",
        }
    }

    pub fn is_outlook(self) -> bool {
        matches!(
            self,
            Client::OutlookDesktop
                | Client::OutlookPlain
                | Client::OutlookWeb
                | Client::OutlookMobile
                | Client::OutlookMac
        )
    }

    pub fn is_mobile(self) -> bool {
        matches!(
            self,
            Client::GmailMobile | Client::OutlookMobile | Client::IosMail | Client::Samsung
        )
    }

    /// Sends text/plain only (no HTML alternative).
    pub fn plain_only(self) -> bool {
        matches!(self, Client::Mutt | Client::OutlookPlain)
    }

    /// Probability of a mail without a text/plain alternative.
    pub fn html_only_rate(self) -> f64 {
        match self {
            Client::OutlookWeb => 0.35,
            Client::OutlookMac => 0.3,
            Client::OutlookMobile => 0.2,
            Client::OutlookDesktop => 0.1,
            Client::Samsung => 0.1,
            _ => 0.0,
        }
    }

    /// Column the client hard-wraps the author's plain text at (`None`: long lines).
    pub fn wrap_width(self) -> Option<usize> {
        match self {
            Client::GmailWeb | Client::GmailMobile => Some(78),
            Client::Thunderbird | Client::Mutt => Some(72),
            _ => None,
        }
    }

    /// Outlook-style quoting: the earlier mail below a header block, not `>`-prefixed.
    pub fn header_block_quote(self) -> bool {
        self.is_outlook() || self == Client::Samsung
    }

    /// How the author answers, given what the client makes easy.
    pub fn posting(self, rng: &mut SeededRng) -> Posting {
        let x: f64 = rng.random();
        match self {
            Client::Thunderbird if x < 0.6 => Posting::Bottom,
            Client::Thunderbird if x < 0.8 => Posting::Interleaved,
            Client::Mutt if x < 0.6 => Posting::Interleaved,
            Client::Mutt => Posting::Bottom,
            Client::AppleMail if x < 0.1 => Posting::Interleaved,
            Client::AppleMail if x < 0.14 => Posting::Bottom,
            Client::GmailWeb if x < 0.06 => Posting::Interleaved,
            Client::GmailWeb if x < 0.09 => Posting::Bottom,
            _ => Posting::Top,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Posting {
    /// A first mail: nothing quoted.
    None,
    Top,
    Bottom,
    Interleaved,
    Forward,
}

impl Posting {
    pub fn name(self) -> &'static str {
        match self {
            Posting::None => "none",
            Posting::Top => "top",
            Posting::Bottom => "bottom",
            Posting::Interleaved => "interleaved",
            Posting::Forward => "forward",
        }
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";
const B64ISH: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+_-=";

fn hex(rng: &mut SeededRng, n: usize) -> String {
    (0..n).map(|_| HEX[rng.gen_range(0..16)] as char).collect()
}

fn uuid(rng: &mut SeededRng) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        hex(rng, 8),
        hex(rng, 4),
        hex(rng, 4),
        hex(rng, 4),
        hex(rng, 12)
    )
}

/// A Message-ID (without brackets) shaped like the client's.
pub fn message_id(rng: &mut SeededRng, client: Client, domain: &str, date: i64) -> String {
    match client {
        Client::GmailWeb | Client::GmailMobile => {
            let body: String = (0..44)
                .map(|_| B64ISH[rng.gen_range(0..B64ISH.len())] as char)
                .collect();
            format!("CA{body}@mail.gmail.com")
        }
        c if c.is_outlook() => {
            if domain == "corp.example" || rng.gen_bool(0.5) {
                let server = format!(
                    "{}{}PR{:02}MB{}",
                    ["DB", "AM", "VI", "PA", "BY", "SN"][rng.gen_range(0..6)],
                    rng.gen_range(3..9),
                    rng.gen_range(1..10),
                    rng.gen_range(1000..9999)
                );
                let region = ["eurprd08", "eurprd04", "namprd11", "namprd02"][rng.gen_range(0..4)];
                format!(
                    "{server}{}@{server}.{region}.prod.outlook.com",
                    hex(rng, 32)
                )
            } else {
                format!("{}@EXCH0{}.{domain}", hex(rng, 32), rng.gen_range(1..4))
            }
        }
        Client::AppleMail | Client::IosMail => format!("{}@{domain}", uuid(rng)),
        Client::Thunderbird => format!("{}@{domain}", uuid(rng).to_ascii_lowercase()),
        Client::Mutt => {
            let c = crate::dates::civil(date);
            format!(
                "{}{:02}{:02}{:02}{:02}{:02}.GA{}@{}.{domain}",
                c.y,
                c.m,
                c.d,
                c.hh,
                c.mm,
                c.ss,
                rng.gen_range(1000..99999),
                ["tux", "hal", "lab7", "devbox"][rng.gen_range(0..4)]
            )
        }
        _ => format!("{}@email.android.com", hex(rng, 24).to_ascii_lowercase()),
    }
}

/// Extra headers that identify the client (and that real clients send).
pub fn identity_headers(client: Client, ui: Locale) -> Vec<(String, String)> {
    let h = |k: &str, v: &str| (k.to_string(), v.to_string());
    match client {
        Client::OutlookDesktop | Client::OutlookPlain => vec![
            h("X-Mailer", "Microsoft Outlook 16.0"),
            h("Content-Language", ui.tag()),
            h("X-MS-Has-Attach", ""),
            h("X-MS-TNEF-Correlator", ""),
        ],
        Client::OutlookWeb | Client::OutlookMobile => {
            vec![h("Content-Language", ui.tag()), h("X-MS-Has-Attach", "")]
        }
        Client::OutlookMac => vec![
            h("User-Agent", "Microsoft-MacOutlook/16.89.24091630"),
            h("Content-Language", ui.tag()),
        ],
        Client::AppleMail => vec![h("X-Mailer", "Apple Mail (2.3774.600.62)")],
        Client::IosMail => vec![h("X-Mailer", "iPhone Mail (21E236)")],
        Client::Thunderbird => vec![
            h("User-Agent", "Mozilla Thunderbird"),
            h("Content-Language", ui.tag()),
        ],
        Client::Mutt => vec![h("User-Agent", "NeoMutt/20231103")],
        _ => vec![],
    }
}

/// Whether the Date header is written in UTC (Exchange Online stamps `+0000`) rather than
/// the writer's local offset.
pub fn date_in_utc(client: Client, rng: &mut SeededRng) -> bool {
    client.is_outlook() && rng.gen_bool(0.3)
}

/// The reply subject as the client builds it from the parent's.
pub fn reply_subject(client: Client, ui: Locale, parent: &str) -> String {
    let recognised: &[&str] = if client.is_outlook() {
        &["re:", "aw:", "re :", "antw:", "odp:", "res:", "sv:"]
    } else if client == Client::Thunderbird {
        &["re:", "aw:"]
    } else {
        &["re:"]
    };
    let lower = parent.to_lowercase();
    let stripped = recognised
        .iter()
        .find(|p| lower.starts_with(*p))
        .map(|p| parent[p.len()..].trim_start())
        .unwrap_or(parent);
    let prefix = if client.is_outlook() {
        crate::lang::bank(ui.lang()).outlook_re
    } else {
        "Re:"
    };
    format!("{prefix} {stripped}")
}

pub fn forward_subject(client: Client, ui: Locale, base: &str) -> String {
    if client.is_outlook() {
        format!("{} {base}", crate::lang::bank(ui.lang()).outlook_fw)
    } else {
        format!("Fwd: {base}")
    }
}

/// The line a phone client adds under the text, localised; `(plain, html)`.
pub fn footer(client: Client, ui: Locale, android: bool) -> Option<(String, String)> {
    let l = ui.lang();
    match client {
        Client::IosMail => {
            let s = match l {
                Lang::En => "Sent from my iPhone",
                Lang::De => "Von meinem iPhone gesendet",
                Lang::Fr => "Envoyé de mon iPhone",
                Lang::Es => "Enviado desde mi iPhone",
                Lang::Nl => "Verstuurd vanaf mijn iPhone",
                Lang::Pl => "Wysłane z iPhone’a",
                Lang::Ru => "Отправлено с iPhone",
                Lang::Ja => "iPhoneから送信",
                Lang::Pt => "Enviado do meu iPhone",
            };
            Some((s.to_string(), s.to_string()))
        }
        Client::OutlookMobile => {
            let (os, url) = if android {
                ("Android", "https://aka.ms/AAb9ysg")
            } else {
                ("iOS", "https://aka.ms/o0ukef")
            };
            let (before, link, after) = match l {
                Lang::En => ("Get ", format!("Outlook for {os}"), ""),
                Lang::De => ("", format!("Outlook für {os}"), " beziehen"),
                Lang::Fr => ("Télécharger ", format!("Outlook pour {os}"), ""),
                Lang::Es => ("Obtener ", format!("Outlook para {os}"), ""),
                Lang::Nl => ("", format!("Outlook voor {os}"), " downloaden"),
                Lang::Pl => (
                    "Pobierz aplikację ",
                    format!("Outlook dla systemu {os}"),
                    "",
                ),
                Lang::Ru => ("Получить ", format!("Outlook для {os}"), ""),
                Lang::Ja => ("", format!("{os} 版 Outlook"), " を入手"),
                Lang::Pt => ("Obter o ", format!("Outlook para {os}"), ""),
            };
            Some((
                format!("{before}{link}<{url}>{after}"),
                format!("{before}<a href=\"{url}\">{link}</a>{after}"),
            ))
        }
        Client::Samsung => {
            let s = match l {
                Lang::De => "Von meinem Galaxy gesendet",
                Lang::Fr => "Envoyé depuis mon Galaxy",
                Lang::Es => "Enviado desde mi Galaxy",
                Lang::Pt => "Enviado do meu Galaxy",
                Lang::Nl => "Verzonden vanaf mijn Galaxy",
                _ => "Sent from my Galaxy",
            };
            Some((s.to_string(), s.to_string()))
        }
        _ => None,
    }
}

/// Text charset and transfer encoding the client picks for this language.
pub fn encoding(client: Client, lang: Lang, rng: &mut SeededRng) -> (&'static str, &'static str) {
    let x: f64 = rng.random();
    match (client, lang) {
        (Client::GmailWeb | Client::GmailMobile, Lang::Ru | Lang::Ja) => ("UTF-8", "base64"),
        (Client::GmailWeb | Client::GmailMobile, _) => ("UTF-8", "quoted-printable"),
        (Client::OutlookDesktop | Client::OutlookPlain, Lang::Ja) if x < 0.6 => {
            ("iso-2022-jp", "7bit")
        }
        (Client::OutlookDesktop | Client::OutlookPlain, Lang::Ja) if x < 0.8 => {
            ("shift_jis", "base64")
        }
        (Client::OutlookDesktop | Client::OutlookPlain, Lang::Ru) if x < 0.5 => {
            ("koi8-r", "base64")
        }
        (Client::OutlookDesktop | Client::OutlookPlain, Lang::Ru) => {
            ("windows-1251", "quoted-printable")
        }
        (Client::OutlookDesktop | Client::OutlookPlain, Lang::Pl) => {
            ("iso-8859-2", "quoted-printable")
        }
        (Client::OutlookDesktop | Client::OutlookPlain, _) if x < 0.5 => {
            ("iso-8859-1", "quoted-printable")
        }
        (Client::OutlookDesktop | Client::OutlookPlain, _) => ("windows-1252", "quoted-printable"),
        (Client::AppleMail | Client::IosMail, Lang::Ja) if x < 0.7 => ("iso-2022-jp", "7bit"),
        (Client::Thunderbird, Lang::Ja) if x < 0.4 => ("ISO-2022-JP", "7bit"),
        (Client::Thunderbird, _) => ("UTF-8", "8bit"),
        (Client::Mutt, _) => ("iso-8859-1", "8bit"),
        (Client::Samsung, _) => ("UTF-8", "base64"),
        (_, Lang::Ja | Lang::Ru) => ("utf-8", "base64"),
        _ => ("utf-8", "quoted-printable"),
    }
}

/// Outlook's Thread-Index: 22 bytes for a new conversation (reserved byte, 5 bytes of the
/// FILETIME, a 16-byte GUID), 5 more bytes per reply level.
pub fn thread_index_root(rng: &mut SeededRng, date: i64) -> Vec<u8> {
    let filetime = (date as u64 + 11_644_473_600) * 10_000_000;
    let mut v = vec![0x01];
    v.extend_from_slice(&filetime.to_be_bytes()[..5]);
    for _ in 0..16 {
        v.push(rng.random());
    }
    v
}

pub fn thread_index_child(parent: &[u8], rng: &mut SeededRng) -> Vec<u8> {
    let mut v = parent.to_vec();
    for _ in 0..5 {
        v.push(rng.random());
    }
    v
}

/// The subject without reply and forward prefixes (Outlook's Thread-Topic).
pub fn base_subject(subject: &str) -> &str {
    const PREFIXES: &[&str] = &[
        "re:", "aw:", "fw:", "fwd:", "wg:", "re :", "tr :", "rv:", "enc:", "pd:", "sv:",
    ];
    let mut s = subject.trim_start();
    while let Some(p) = PREFIXES.iter().find(|p| {
        s.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    }) {
        s = s[p.len()..].trim_start();
    }
    s
}
