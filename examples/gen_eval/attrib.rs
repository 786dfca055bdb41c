//! The line (or header block) a client writes above quoted or forwarded mail, in the client's
//! UI language, with the date in the *writer's* local time as real clients print it (mutt
//! uses the quoted mail's own offset, Samsung names the writer's offset). Formats follow
//! what the clients write: Gmail, Apple Mail, Thunderbird, mutt, Outlook (desktop, plain
//! text, web, mobile, Mac) and Samsung Email.

use outloud::seeded::SeededRng;

use crate::clients::Client;
use crate::dates::{self, Civil, Words, Zone};
use crate::mime::html_escape;
use crate::people::{Lang, Locale};

/// The mail being quoted, as the replying client sees it.
pub struct Quoted<'a> {
    pub name: &'a str,
    pub email: &'a str,
    /// True send time, UTC.
    pub when: i64,
    /// Offset of the quoted mail's Date header.
    pub date_offset: i32,
    pub to: &'a [(String, String)],
    pub cc: &'a [(String, String)],
    pub subject: &'a str,
}

/// The replying client.
pub struct Writer {
    pub client: Client,
    pub ui: Locale,
    pub zone: Zone,
    /// The quoted author is in the writer's own Exchange organisation (Outlook then shows
    /// names only).
    pub same_org: bool,
}

#[derive(Debug, Clone)]
pub struct Attribution {
    /// Plain-text lines, separator included, already wrapped as the client wraps them.
    pub lines: Vec<String>,
    pub html: String,
    pub has_date: bool,
    pub has_address: bool,
    /// The date carries its UTC offset.
    pub explicit_offset: bool,
    /// Header block (Outlook/Samsung/forward) rather than a one-line attribution.
    pub block: bool,
    /// Short label for the failure table: `gmail-web/de-DE`.
    pub style: String,
}

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En | Lang::Ja => &dates::EN,
        Lang::De => &dates::DE,
        Lang::Fr => &dates::FR,
        Lang::Es => &dates::ES,
        Lang::Pt => &dates::PT,
        Lang::Nl => &dates::NL,
        Lang::Pl => &dates::PL,
        Lang::Ru => &dates::RU,
    }
}

fn ampm(c: &Civil, sep: &str) -> String {
    let (h, pm) = c.h12();
    format!("{h}:{:02}{sep}{}", c.mm, if pm { "PM" } else { "AM" })
}

fn hm(c: &Civil) -> String {
    format!("{:02}:{:02}", c.hh, c.mm)
}

/// `Name <email>`, or `<email>` / `email` without a name.
fn who(name: &str, email: &str, bare_brackets: bool) -> String {
    match (name.is_empty(), bare_brackets) {
        (false, _) => format!("{name} <{email}>"),
        (true, true) => format!("<{email}>"),
        (true, false) => email.to_string(),
    }
}

fn line_attr(w: &Writer, line: String, has_address: bool, explicit: bool) -> Attribution {
    Attribution {
        html: html_escape(&line),
        lines: vec![line],
        has_date: true,
        has_address,
        explicit_offset: explicit,
        block: false,
        style: format!("{}/{}", w.client.name(), w.ui.tag()),
    }
}

/// The reply attribution (or header block) the writer's client puts above the quote.
pub fn attribution(rng: &mut SeededRng, w: &Writer, q: &Quoted) -> Attribution {
    match w.client {
        Client::GmailWeb => gmail(rng, w, q),
        Client::GmailMobile => gmail_mobile(rng, w, q),
        Client::AppleMail | Client::IosMail => apple(w, q),
        Client::Thunderbird => thunderbird(rng, w, q),
        Client::Mutt => mutt(rng, w, q),
        Client::Samsung => samsung(w, q),
        _ => outlook(rng, w, q),
    }
}

fn gmail(rng: &mut SeededRng, w: &Writer, q: &Quoted) -> Attribution {
    let (c, _) = w.zone.local(q.when);
    let wd = words(w.ui.lang());
    let (d, y) = (c.d, c.y);
    let t = hm(&c);
    let mon = wd.mon_short[c.m as usize - 1];
    let day = wd.wd_short[c.wd];
    let who = who(q.name, q.email, true);
    let line = match w.ui {
        Locale::EnUs => {
            // Since 2023 Gmail puts a narrow no-break space before AM/PM.
            let sep = if rng.gen_bool(0.5) { "\u{202f}" } else { " " };
            format!("On {day}, {mon} {d}, {y} at {} {who} wrote:", ampm(&c, sep))
        }
        Locale::EnGb => format!("On {day}, {d} {mon} {y} at {t}, {who} wrote:"),
        Locale::De => format!("Am {day}, {d}. {mon} {y} um {t} Uhr schrieb {who}:"),
        Locale::Fr => format!("Le {day} {d} {mon} {y} à {t}, {who} a écrit :"),
        Locale::Es => {
            let who = if q.name.is_empty() {
                format!("<{}>", q.email)
            } else {
                format!("{} (<{}>)", q.name, q.email)
            };
            format!("El {day}, {d} {mon} {y} a las {t}, {who} escribió:")
        }
        Locale::PtBr => format!("Em {day}, {d} de {mon} de {y} às {t}, {who} escreveu:"),
        Locale::Nl => format!("Op {day} {d} {mon} {y} om {t} schreef {who}:"),
        Locale::Pl => format!("{day}, {d} {mon} {y} o {t} {who} napisał(a):"),
        Locale::Ru => format!("{day}, {d} {mon} {y} г. в {t}, {who}:"),
        Locale::Ja => format!("{y}年{}月{d}日({}) {t} {who}:", c.m, dates::JA_WD[c.wd]),
    };
    let mut a = line_attr(w, line.clone(), true, false);
    a.lines = gmail_wrap(&line, rng.gen_bool(0.5));
    a.html = gmail_attr_html(&line, q.email);
    a
}

/// Gmail wraps its text/plain at 78 columns, attribution included; some versions break
/// right after the `<` of the address.
fn gmail_wrap(line: &str, after_bracket: bool) -> Vec<String> {
    const WIDTH: usize = 78;
    if line.chars().count() <= WIDTH {
        return vec![line.to_string()];
    }
    let chars: Vec<char> = line.chars().collect();
    let mut cut = None;
    for (i, ch) in chars.iter().enumerate().take(WIDTH + 1) {
        if *ch == ' ' {
            cut = Some((i, i + 1));
        }
        if after_bracket && *ch == '<' && i < WIDTH {
            cut = Some((i + 1, i + 1));
        }
    }
    let Some((end, start)) = cut else {
        return vec![line.to_string()];
    };
    let first: String = chars[..end].iter().collect();
    let rest: String = chars[start..].iter().collect();
    let mut out = vec![first.trim_end().to_string()];
    out.extend(gmail_wrap(&rest, after_bracket));
    out
}

fn gmail_attr_html(line: &str, email: &str) -> String {
    let esc = html_escape(line);
    let linked = esc.replacen(
        &html_escape(email),
        &format!("<a href=\"mailto:{email}\">{email}</a>"),
        1,
    );
    format!("<div dir=\"ltr\" class=\"gmail_attr\">{linked}<br></div>")
}

fn gmail_mobile(rng: &mut SeededRng, w: &Writer, q: &Quoted) -> Attribution {
    let (c, _) = w.zone.local(q.when);
    let wd = words(w.ui.lang());
    let (d, y, t) = (c.d, c.y, hm(&c));
    let mon = wd.mon_short[c.m as usize - 1];
    let day = wd.wd_short[c.wd];
    let line = match w.ui {
        Locale::EnUs => format!(
            "On {day}, {mon} {d}, {y}, {} {} wrote:",
            ampm(&c, " "),
            who(q.name, q.email, true)
        ),
        Locale::EnGb => {
            let who = if q.name.is_empty() {
                format!("<{}>", q.email)
            } else {
                format!("{}, <{}>", q.name, q.email)
            };
            format!("On {day}, {d} {mon} {y}, {t} {who} wrote:")
        }
        Locale::De => format!(
            "{} schrieb am {day}, {d}. {mon} {y}, {t}:",
            who(q.name, q.email, true)
        ),
        Locale::Fr => format!(
            "Le {day} {d} {mon} {y}, {t}, {} a écrit :",
            who(q.name, q.email, true)
        ),
        Locale::Es => format!(
            "El {day}, {d} {mon} {y}, {t}, {} escribió:",
            who(q.name, q.email, true)
        ),
        _ => return gmail(rng, w, q),
    };
    let mut a = line_attr(w, line.clone(), true, false);
    a.lines = gmail_wrap(&line, false);
    a.html = gmail_attr_html(&line, q.email);
    a
}

fn apple(w: &Writer, q: &Quoted) -> Attribution {
    let (c, _) = w.zone.local(q.when);
    let wd = words(w.ui.lang());
    let (d, y, t) = (c.d, c.y, hm(&c));
    let (dd, mm) = (format!("{:02}", c.d), format!("{:02}", c.m));
    let mon_s = wd.mon_short[c.m as usize - 1];
    let mon_l = wd.mon_long[c.m as usize - 1];
    let who = who(q.name, q.email, false);
    let line = match w.ui {
        Locale::EnUs => format!("On {mon_s} {d}, {y}, at {}, {who} wrote:", ampm(&c, " ")),
        Locale::EnGb => format!("On {d} {mon_s} {y}, at {t}, {who} wrote:"),
        Locale::De => format!("Am {dd}.{mm}.{y} um {t} schrieb {who}:"),
        Locale::Fr => format!("Le {d} {mon_s} {y} à {t}, {who} a écrit :"),
        Locale::Es => format!("El {d} {mon_s} {y}, a las {t}, {who} escribió:"),
        Locale::Nl => format!("Op {d} {mon_s}. {y} om {t} heeft {who} het volgende geschreven:"),
        Locale::Pl => format!("Wiadomość napisana przez {who} w dniu {dd}.{mm}.{y}, o godz. {t}:"),
        Locale::Ru => format!("{d} {mon_l} {y} г., в {t}, {who} написал(а):"),
        Locale::Ja => format!("{y}/{mm}/{dd} {t}、{who}のメール:"),
        Locale::PtBr => format!("Em {d} de {mon_s} de {y}, à(s) {t}, {who} escreveu:"),
    };
    line_attr(w, line, true, false)
}

fn thunderbird(rng: &mut SeededRng, w: &Writer, q: &Quoted) -> Attribution {
    let (c, _) = w.zone.local(q.when);
    let t = hm(&c);
    let (dd, mm, yy) = (
        format!("{:02}", c.d),
        format!("{:02}", c.m),
        format!("{:02}", c.yy()),
    );
    let (d, m, y) = (c.d, c.m, c.y);
    let name = if q.name.is_empty() { q.email } else { q.name };
    let line = match w.ui {
        // Thunderbird formats the date with the operating system's regional settings.
        Locale::EnUs | Locale::EnGb if rng.gen_bool(0.2) => {
            format!("On {y}-{mm}-{dd} {t}, {name} wrote:")
        }
        Locale::EnUs => format!("On {m}/{d}/{yy} {}, {name} wrote:", ampm(&c, " ")),
        Locale::EnGb => format!("On {dd}/{mm}/{y} {t}, {name} wrote:"),
        Locale::De => format!("Am {dd}.{mm}.{yy} um {t} schrieb {name}:"),
        Locale::Fr => format!("Le {dd}/{mm}/{y} à {t}, {name} a écrit :"),
        Locale::Es => format!("El {d}/{m}/{yy} a las {t}, {name} escribió:"),
        Locale::Nl => format!("Op {dd}-{mm}-{y} om {t} schreef {name}:"),
        Locale::Pl => format!("W dniu {d}.{mm}.{y} o {t}, {name} pisze:"),
        Locale::Ru => format!("{dd}.{mm}.{y} {t}, {name} пишет:"),
        Locale::Ja => format!("{y}/{mm}/{dd} {t} に {name} さんは書きました:"),
        Locale::PtBr => format!("Em {dd}/{mm}/{y} {t}, {name} escreveu:"),
    };
    let mut a = line_attr(w, line, q.name.is_empty(), false);
    a.html = format!(
        "<div class=\"moz-cite-prefix\">{}<br></div>",
        html_escape(&a.lines[0])
    );
    a
}

fn mutt(rng: &mut SeededRng, w: &Writer, q: &Quoted) -> Attribution {
    let name = if q.name.is_empty() { q.email } else { q.name };
    if rng.gen_bool(0.3) {
        // A common custom attribution: `* Name <addr> [date]:` in the sender's local time.
        let c = dates::civil(q.when + i64::from(q.date_offset));
        let line = format!(
            "* {} [{}-{:02}-{:02} {}]:",
            who(q.name, q.email, false),
            c.y,
            c.m,
            c.d,
            hm(&c)
        );
        return line_attr(w, line, true, false);
    }
    // Default `$attribution` "On %d, %n wrote:" with `$date_format`
    // "!%a, %b %d, %Y at %I:%M:%S%p %Z", in the sender's time zone.
    let c = dates::civil(q.when + i64::from(q.date_offset));
    let (h, pm) = c.h12();
    let line = format!(
        "On {}, {} {:02}, {} at {:02}:{:02}:{:02}{} {}, {name} wrote:",
        dates::EN.wd_short[c.wd],
        dates::EN.mon_short[c.m as usize - 1],
        c.d,
        c.y,
        h,
        c.mm,
        c.ss,
        if pm { "PM" } else { "AM" },
        dates::offset_hhmm(q.date_offset)
    );
    line_attr(w, line, q.name.is_empty(), true)
}

/// Header keys: from, date, to, cc, subject.
fn outlook_keys(l: Lang, mac: bool) -> [&'static str; 5] {
    match (l, mac) {
        (Lang::En, false) => ["From:", "Sent:", "To:", "Cc:", "Subject:"],
        (Lang::En, true) => ["From:", "Date:", "To:", "Cc:", "Subject:"],
        (Lang::De, false) => ["Von:", "Gesendet:", "An:", "Cc:", "Betreff:"],
        (Lang::De, true) => ["Von:", "Datum:", "An:", "Cc:", "Betreff:"],
        (Lang::Fr, false) => ["De :", "Envoyé :", "À :", "Cc :", "Objet :"],
        (Lang::Fr, true) => ["De :", "Date :", "À :", "Cc :", "Objet :"],
        (Lang::Es, false) => ["De:", "Enviado:", "Para:", "CC:", "Asunto:"],
        (Lang::Es, true) => ["De:", "Fecha:", "Para:", "CC:", "Asunto:"],
        (Lang::Nl, false) => ["Van:", "Verzonden:", "Aan:", "CC:", "Onderwerp:"],
        (Lang::Nl, true) => ["Van:", "Datum:", "Aan:", "CC:", "Onderwerp:"],
        (Lang::Pl, false) => ["Od:", "Wysłane:", "Do:", "DW:", "Temat:"],
        (Lang::Pl, true) => ["Od:", "Data:", "Do:", "DW:", "Temat:"],
        (Lang::Ru, false) => ["От:", "Отправлено:", "Кому:", "Копия:", "Тема:"],
        (Lang::Ru, true) => ["От:", "Дата:", "Кому:", "Копия:", "Тема:"],
        (Lang::Ja, false) => ["差出人:", "送信日時:", "宛先:", "CC:", "件名:"],
        (Lang::Ja, true) => ["差出人:", "日付:", "宛先:", "CC:", "件名:"],
        (Lang::Pt, false) => ["De:", "Enviado:", "Para:", "Cc:", "Assunto:"],
        (Lang::Pt, true) => ["De:", "Data:", "Para:", "Cc:", "Assunto:"],
    }
}

/// Outlook's `Sent:` value; `secs` adds seconds as Outlook mobile and OWA do.
fn outlook_date(ui: Locale, c: &Civil, secs: bool) -> String {
    let w = words(ui.lang());
    let t = if secs {
        format!("{:02}:{:02}:{:02}", c.hh, c.mm, c.ss)
    } else {
        hm(c)
    };
    let (d, y) = (c.d, c.y);
    let mon = w.mon_long[c.m as usize - 1];
    let day = w.wd_long[c.wd];
    match ui {
        Locale::EnUs => {
            let (h, pm) = c.h12();
            let ap = if pm { "PM" } else { "AM" };
            let t = if secs {
                format!("{h}:{:02}:{:02} {ap}", c.mm, c.ss)
            } else {
                format!("{h}:{:02} {ap}", c.mm)
            };
            format!("{day}, {mon} {d}, {y} {t}")
        }
        Locale::EnGb => format!("{:02} {mon} {y} {t}", c.d),
        Locale::De => format!("{day}, {d}. {mon} {y} {t}"),
        Locale::Fr => format!("{day} {d} {mon} {y} {t}"),
        Locale::Es => format!("{day}, {d} de {mon} de {y} {t}"),
        Locale::Nl => format!("{day} {d} {mon} {y} {t}"),
        Locale::Pl => format!("{day}, {d} {mon} {y} {t}"),
        Locale::Ru => format!("{d} {mon} {y} г. {t}"),
        Locale::Ja => format!("{y}年{}月{d}日 {t}", c.m),
        Locale::PtBr => format!("{day}, {d} de {mon} de {y} {t}"),
    }
}

/// Outlook for Mac's `Date:` value: `Monday, 3 March 2025 at 10:02`.
fn outlook_mac_date(ui: Locale, c: &Civil) -> String {
    let w = words(ui.lang());
    let (d, y, t) = (c.d, c.y, hm(c));
    let mon = w.mon_long[c.m as usize - 1];
    let day = w.wd_long[c.wd];
    match ui {
        Locale::EnUs => format!("{day}, {mon} {d}, {y} at {}", ampm(c, " ")),
        Locale::EnGb => format!("{day}, {d} {mon} {y} at {t}"),
        Locale::De => format!("{day}, {d}. {mon} {y} um {t}"),
        Locale::Fr => format!("{day} {d} {mon} {y} à {t}"),
        Locale::Es => format!("{day}, {d} de {mon} de {y}, {t}"),
        _ => outlook_date(ui, c, false),
    }
}

fn separator(client: Client, l: Lang) -> Option<&'static str> {
    match client {
        Client::OutlookPlain => Some(match l {
            Lang::De => "-----Ursprüngliche Nachricht-----",
            Lang::Fr => "-----Message d'origine-----",
            Lang::Es => "-----Mensaje original-----",
            Lang::Nl => "-----Oorspronkelijk bericht-----",
            Lang::Pl => "-----Wiadomość oryginalna-----",
            Lang::Pt => "-----Mensagem original-----",
            Lang::Ru => "-----Исходное сообщение-----",
            _ => "-----Original Message-----",
        }),
        Client::OutlookWeb | Client::OutlookMobile => Some("________________________________"),
        _ => None,
    }
}

/// A recipient list as Outlook shows it: `Name <addr>; …`, or names only inside Exchange.
fn outlook_list(list: &[(String, String)], names_only: bool) -> String {
    list.iter()
        .map(|(n, e)| match (n.is_empty(), names_only) {
            (true, _) => e.clone(),
            (false, true) => n.clone(),
            (false, false) => format!("{n} <{e}>"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn outlook(rng: &mut SeededRng, w: &Writer, q: &Quoted) -> Attribution {
    let l = w.ui.lang();
    let mac = w.client == Client::OutlookMac;
    let keys = outlook_keys(l, mac);
    let (c, _) = w.zone.local(q.when);
    let date = if mac {
        outlook_mac_date(w.ui, &c)
    } else {
        let secs = matches!(w.client, Client::OutlookMobile)
            || w.client == Client::OutlookWeb && rng.gen_bool(0.5);
        outlook_date(w.ui, &c, secs)
    };
    // Inside one Exchange organisation Outlook desktop shows names, not addresses.
    let names_only = w.same_org
        && !q.name.is_empty()
        && matches!(w.client, Client::OutlookDesktop | Client::OutlookPlain)
        && rng.gen_bool(0.6);
    let from = if q.name.is_empty() {
        q.email.to_string()
    } else if names_only {
        q.name.to_string()
    } else if w.client == Client::OutlookPlain && rng.gen_bool(0.6) {
        format!("{} [mailto:{}]", q.name, q.email)
    } else {
        format!("{} <{}>", q.name, q.email)
    };
    let mut rows = vec![(keys[0], from), (keys[1], date)];
    rows.push((keys[2], outlook_list(q.to, names_only)));
    if !q.cc.is_empty() {
        rows.push((keys[3], outlook_list(q.cc, names_only)));
    }
    rows.push((keys[4], q.subject.to_string()));
    let mut lines = Vec::new();
    if let Some(sep) = separator(w.client, l) {
        lines.push(sep.to_string());
    }
    for (k, v) in &rows {
        lines.push(format!("{k} {v}"));
    }
    let html = outlook_html(w.client, &rows);
    Attribution {
        lines,
        html,
        has_date: true,
        has_address: !names_only,
        explicit_offset: false,
        block: true,
        style: format!("{}/{}", w.client.name(), w.ui.tag()),
    }
}

fn outlook_html(client: Client, rows: &[(&str, String)]) -> String {
    let inner: Vec<String> = rows
        .iter()
        .map(|(k, v)| format!("<b>{}</b> {}", html_escape(k), html_escape(v)))
        .collect();
    match client {
        Client::OutlookWeb | Client::OutlookMobile => format!(
            "<hr style=\"display:inline-block;width:98%\" tabindex=\"-1\">\n<div id=\"divRplyFwdMsg\" dir=\"ltr\"><font face=\"Calibri, sans-serif\" style=\"font-size:11pt\" color=\"#000000\">{}</font>\n<div>&nbsp;</div>\n</div>\n",
            inner.join("<br>\n")
        ),
        _ => format!(
            "<div style=\"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm\">\n<p class=\"MsoNormal\">{}<o:p></o:p></p>\n</div>\n<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>\n",
            inner.join("<br>\n")
        ),
    }
}

/// Samsung Email's separator and header keys.
fn samsung_keys(l: Lang) -> (&'static str, [&'static str; 5]) {
    match l {
        Lang::De => (
            "-------- Ursprüngliche Nachricht --------",
            ["Von:", "Datum:", "An:", "Cc:", "Betreff:"],
        ),
        Lang::Fr => (
            "-------- Message d'origine --------",
            ["De :", "Date :", "À :", "Cc :", "Objet :"],
        ),
        Lang::Es => (
            "-------- Mensaje original --------",
            ["De:", "Fecha:", "Para:", "Cc:", "Asunto:"],
        ),
        Lang::Pt => (
            "-------- Mensagem original --------",
            ["De:", "Data:", "Para:", "Cc:", "Assunto:"],
        ),
        Lang::Nl => (
            "-------- Oorspronkelijk bericht --------",
            ["Van:", "Datum:", "Aan:", "Cc:", "Onderwerp:"],
        ),
        _ => (
            "-------- Original message --------",
            ["From:", "Date:", "To:", "Cc:", "Subject:"],
        ),
    }
}

/// Samsung's date with the writer's offset: `03/03/2025 10:02 (GMT+01:00)`.
fn samsung_date(ui: Locale, c: &Civil, off: i32) -> String {
    let gmt = dates::offset_gmt(off);
    match ui {
        Locale::EnUs => format!("{}/{}/{:02} {} ({gmt})", c.m, c.d, c.yy(), ampm(c, " ")),
        Locale::De => format!("{:02}.{:02}.{:02} {} ({gmt})", c.d, c.m, c.yy(), hm(c)),
        _ => format!("{:02}/{:02}/{} {} ({gmt})", c.d, c.m, c.y, hm(c)),
    }
}

fn list(l: &[(String, String)]) -> String {
    l.iter()
        .map(|(n, e)| who(n, e, false))
        .collect::<Vec<_>>()
        .join(", ")
}

fn samsung(w: &Writer, q: &Quoted) -> Attribution {
    let (c, off) = w.zone.local(q.when);
    let (sep, keys) = samsung_keys(w.ui.lang());
    let mut rows = vec![
        (keys[0], who(q.name, q.email, false)),
        (keys[1], samsung_date(w.ui, &c, off)),
        (keys[2], list(q.to)),
    ];
    if !q.cc.is_empty() {
        rows.push((keys[3], list(q.cc)));
    }
    rows.push((keys[4], q.subject.to_string()));
    // Samsung ends every header line with a space.
    let mut lines = vec![sep.to_string()];
    lines.extend(rows.iter().map(|(k, v)| format!("{k} {v} ")));
    let html = format!(
        "<div>{}</div>\n{}",
        html_escape(sep),
        rows.iter()
            .map(|(k, v)| format!("<div>{} {} </div>\n", html_escape(k), html_escape(v)))
            .collect::<String>()
    );
    Attribution {
        lines,
        html,
        has_date: true,
        has_address: true,
        explicit_offset: true,
        block: true,
        style: format!("{}/{}", w.client.name(), w.ui.tag()),
    }
}

/// Gmail's forward header (German UI translates the separator and `From`).
fn gmail_forward(w: &Writer, q: &Quoted) -> Vec<String> {
    let (c, _) = w.zone.local(q.when);
    let de = w.ui == Locale::De;
    let (sep, from, date) = if de {
        (
            "---------- Weitergeleitete Nachricht ---------",
            "Von",
            format!(
                "{}, {}. {} {} um {} Uhr",
                dates::DE.wd_short[c.wd],
                c.d,
                dates::DE.mon_short[c.m as usize - 1],
                c.y,
                hm(&c)
            ),
        )
    } else {
        (
            "---------- Forwarded message ---------",
            "From",
            format!(
                "{}, {} {}, {} at {}",
                dates::EN.wd_short[c.wd],
                dates::EN.mon_short[c.m as usize - 1],
                c.d,
                c.y,
                ampm(&c, " ")
            ),
        )
    };
    vec![
        sep.to_string(),
        format!("{from}: {}", who(q.name, q.email, false)),
        format!("Date: {date}"),
        format!("Subject: {}", q.subject),
        format!("To: {}", list(q.to)),
    ]
}

/// Thunderbird's inline forward: tab-separated header table, RFC 5322 date.
fn thunderbird_forward(w: &Writer, q: &Quoted) -> Vec<String> {
    let sep = match w.ui.lang() {
        Lang::De => "-------- Weitergeleitete Nachricht --------",
        Lang::Fr => "-------- Message transféré --------",
        _ => "-------- Forwarded Message --------",
    };
    vec![
        sep.to_string(),
        format!("Subject: \t{}", q.subject),
        format!("Date: \t{}", dates::rfc5322(q.when, q.date_offset, false)),
        format!("From: \t{}", who(q.name, q.email, false)),
        format!("To: \t{}", list(q.to)),
    ]
}

/// Apple Mail: "Begin forwarded message:", date with the zone's abbreviation.
fn apple_forward(w: &Writer, q: &Quoted) -> Vec<String> {
    let (c, _) = w.zone.local(q.when);
    let date = format!(
        "{} {} {} at {}:{:02}:{:02} {}",
        c.d,
        dates::EN.mon_long[c.m as usize - 1],
        c.y,
        c.hh,
        c.mm,
        c.ss,
        w.zone.abbrev(q.when)
    );
    vec![
        "Begin forwarded message:".to_string(),
        String::new(),
        format!("From: {}", who(q.name, q.email, false)),
        format!("Subject: {}", q.subject),
        format!("Date: {date}"),
        format!("To: {}", list(q.to)),
    ]
}

/// mutt's `$forward_attribution_intro` and the forwarded headers it includes.
fn mutt_forward(q: &Quoted) -> Vec<String> {
    let from = who(q.name, q.email, false);
    vec![
        format!("----- Forwarded message from {from} -----"),
        String::new(),
        format!("Date: {}", dates::rfc5322(q.when, q.date_offset, false)),
        format!("From: {from}"),
        format!("To: {}", list(q.to)),
        format!("Subject: {}", q.subject),
    ]
}

/// mutt closes a forwarded message with this line (`$forward_attribution_trailer`).
pub fn mutt_forward_end() -> &'static str {
    "----- End forwarded message -----"
}

/// The header a client writes above a forwarded mail.
pub fn forward_header(rng: &mut SeededRng, w: &Writer, q: &Quoted) -> Attribution {
    let style = format!("{}-fwd/{}", w.client.name(), w.ui.tag());
    let (lines, explicit) = match w.client {
        Client::GmailWeb | Client::GmailMobile => (gmail_forward(w, q), false),
        Client::Thunderbird => (thunderbird_forward(w, q), true),
        Client::AppleMail | Client::IosMail => (apple_forward(w, q), true),
        Client::Mutt => (mutt_forward(q), true),
        Client::Samsung => {
            let a = samsung(w, q);
            return Attribution { style, ..a };
        }
        _ => {
            let a = outlook(rng, w, q);
            return Attribution { style, ..a };
        }
    };
    let html = lines
        .iter()
        .map(|l| format!("{}<br>\n", html_escape(l)))
        .collect::<String>();
    Attribution {
        lines,
        html: format!("<div>{html}</div>\n"),
        has_date: true,
        has_address: true,
        explicit_offset: explicit,
        block: true,
        style,
    }
}

#[cfg(test)]
mod tests {
    use super::gmail_wrap;

    #[test]
    fn gmail_wraps_long_attributions() {
        let l =
            "Am Mi., 5. Feb. 2020 um 17:58 Uhr schrieb Company Questions <questions@company.com>:";
        assert_eq!(
            gmail_wrap(l, false),
            vec![
                "Am Mi., 5. Feb. 2020 um 17:58 Uhr schrieb Company Questions",
                "<questions@company.com>:"
            ]
        );
    }
}
