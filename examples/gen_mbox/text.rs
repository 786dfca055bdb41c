//! Word banks and text for gen_mbox: subjects, sentences, greetings, sign-offs, signatures and
//! the reply/forward header lines of each mail client, in English, German, French and Japanese.

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use outloud::seeded::{SeededRng, SliceSeeded};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Lang {
    En,
    De,
    Fr,
    Ja,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Client {
    Gmail,
    Outlook,
    AppleMail,
    IPhone,
    Thunderbird,
}

pub const PROJECTS: &[&str] = &[
    "Atlas", "Borealis", "Cobalt", "Dynamo", "Everest", "Falcon", "Gemini", "Helios", "Iris",
    "Juniper", "Kestrel", "Lumen",
];
pub const CUSTOMERS: &[&str] = &[
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark Logistics",
    "Wayne Retail",
    "Vandelay Industries",
    "Müller & Söhne",
    "Nakamura Trading",
    "Dupont Frères",
];
pub const SERVICES: &[&str] = &[
    "billing-api",
    "search",
    "auth",
    "payments",
    "ingest",
    "mobile-backend",
    "notifications",
];

/// What a sentence template can mention.
pub struct Topic<'a> {
    pub project: &'a str,
    pub customer: &'a str,
    pub service: &'a str,
    /// First name of someone in the thread.
    pub who: &'a str,
}

const EN_SUBJECTS: &[&str] = &[
    "{p} release plan",
    "{p}: status update",
    "Q{q} budget review",
    "Customer escalation: {c}",
    "Offsite logistics",
    "Hiring: senior backend engineer",
    "Design review for {p}",
    "Incident {date}: {s} latency",
    "Quick question about {s}",
    "{c} renewal",
    "Postmortem: {s} outage",
    "Roadmap planning for H2",
    "Onboarding checklist",
    "[{P}] Migration to the new cluster",
    "Security review: {s}",
    "Pricing change for {c}",
    "Team lunch on {d}?",
    "Draft: {p} launch announcement",
    "On-call handover for {s}",
];
const DE_SUBJECTS: &[&str] = &[
    "{p} Release-Planung",
    "Budgetplanung Q{q}",
    "Eskalation: {c}",
    "Änderung der Zuständigkeiten",
    "Rückfrage zu {s}",
    "Übergabe {s} an das Betriebsteam",
    "Termin für das {p}-Review",
];
const FR_SUBJECTS: &[&str] = &[
    "Planning de la version {p}",
    "Revue budgétaire T{q}",
    "Escalade client : {c}",
    "Question rapide sur {s}",
    "Séminaire d'équipe : logistique",
    "Point d'avancement {p}",
];
const JA_SUBJECTS: &[&str] = &[
    "{p} リリース計画",
    "第{q}四半期 予算レビュー",
    "{c}様 エスカレーション",
    "{s} 障害報告",
];

const EN_SENTENCES: &[&str] = &[
    "I had a look at the {p} numbers and they mostly line up with what we discussed.",
    "Can we move the {p} review to {d}? I'm out most of the afternoon.",
    "The {s} latency went back to normal after the rollback at {t}.",
    "{who}, could you double-check the figures for {c} before we send them out?",
    "From my side this looks good to go.",
    "From what I can tell, the issue only affects customers on the old plan.",
    "We still need sign-off from legal before the {p} launch.",
    "Let's aim to have a first draft by {d}.",
    "I talked to {who} about this yesterday and we agreed to keep the scope small.",
    "The dashboard is here: https://dash.corp.example/{slug}/overview",
    "Ticket for tracking: https://tracker.corp.example/browse/{P}-{n}",
    "Short update: we are about {n}% done with the migration.",
    "Not sure this is the right list for this, but I wanted to flag it early.",
    "The budget for Q{q} is tight, so anything above {n}k needs approval.",
    "Happy to jump on a call if that's easier.",
    "Agreed, let's go with option B.",
    "I'm not convinced we need a separate service for this.",
    "The customer ({c}) asked again about the timeline.",
    "We saw {n} errors per minute at peak, mostly timeouts from {s}.",
    "Please review the doc and leave comments by end of day {d}.",
    "Thanks for pulling this together so quickly.",
    "One open question: who owns the on-call rotation for {s} after the handover?",
    "I'll update the runbook once we have confirmed the fix.",
    "As discussed in the standup, {who} will take over the {p} rollout.",
    "Could someone from sales confirm the contract renewal date for {c}?",
    "I pushed a fix to the staging branch, it should be deployed in about {n} minutes.",
    "Numbers for last week: {n} signups, {n2} churned accounts.",
    "We should probably loop in {who} since it touches billing.",
    "My concern is mostly about the data retention requirements.",
    "I don't think we can commit to that date without more people.",
    "Sorry for the late reply, I was travelling.",
    "Sounds good to me.",
    "+1 to what {who} said.",
    "Let me know if I missed anything.",
    "FYI, the {s} maintenance window is tonight from 22:00 to 23:00 UTC.",
    "The root cause was a misconfigured connection pool in {s}.",
    "Can we get a quick decision on this? It's blocking the {p} release.",
    "I'd prefer to keep the old API around for one more quarter.",
    "The load test on {s} held up to {n}00 requests per second before latency degraded.",
    "{c} would like a short written summary they can forward to their management.",
    "I've moved the remaining {p} tasks to next sprint.",
    "Let's not overthink this; we can always revisit after the pilot.",
];
const EN_ITEMS: &[&str] = &[
    "update the {p} timeline",
    "confirm the budget with finance",
    "schedule a follow-up with {c}",
    "write the postmortem for {s}",
    "check the alert thresholds on {s}",
    "share the slides with the team",
    "ask {who} about the capacity plan",
];
const DE_SENTENCES: &[&str] = &[
    "Ich habe mir die Zahlen für {p} angesehen, das passt soweit.",
    "Können wir das Review auf {d} verschieben?",
    "Von meiner Seite passt das so.",
    "Der Kunde {c} hat noch einmal nach dem Zeitplan gefragt.",
    "Die Latenz von {s} ist nach dem Rollback um {t} wieder normal.",
    "{who}, kannst du bitte die Zahlen noch einmal prüfen?",
    "Wir brauchen noch die Freigabe von der Rechtsabteilung.",
    "Lass uns bis {d} einen ersten Entwurf fertig haben.",
    "Kurzes Update: Die Migration ist zu etwa {n}% abgeschlossen.",
    "Das Budget für Q{q} ist knapp, alles über {n}k muss genehmigt werden.",
    "Gerne können wir auch kurz telefonieren.",
    "Einverstanden, nehmen wir Variante B.",
    "Danke für die schnelle Zusammenfassung!",
    "Ich kümmere mich um das Update im Runbook.",
    "Die Ursache war ein falsch konfigurierter Connection-Pool in {s}.",
    "Bitte schaut euch das Dokument bis {d} an.",
    "Entschuldigt die späte Antwort, ich war unterwegs.",
    "Für mich klingt das gut.",
    "Die Übergabe an das Betriebsteam ist für nächste Woche geplant.",
    "Größere Änderungen würde ich ungern vor dem Release einspielen.",
];
const FR_SENTENCES: &[&str] = &[
    "J'ai regardé les chiffres de {p}, ça correspond à peu près à ce qu'on avait dit.",
    "Est-ce qu'on peut décaler la revue à {d} ?",
    "De mon côté, c'est bon.",
    "Le client {c} a de nouveau demandé le calendrier.",
    "La latence de {s} est revenue à la normale après le retour arrière de {t}.",
    "{who}, peux-tu vérifier les chiffres avant l'envoi ?",
    "Il nous faut encore la validation du service juridique.",
    "Visons une première version pour {d}.",
    "Petit point : la migration est terminée à environ {n} %.",
    "Le budget du T{q} est serré, tout ce qui dépasse {n} k€ doit être approuvé.",
    "Je suis disponible pour un appel si c'est plus simple.",
    "D'accord, partons sur l'option B.",
    "Merci pour ce récapitulatif très clair.",
    "Je mets à jour la procédure dès que le correctif est confirmé.",
    "La cause était un pool de connexions mal configuré dans {s}.",
    "Désolé pour la réponse tardive, j'étais en déplacement.",
    "Ça me va.",
    "Quelle équipe reprend l'astreinte pour {s} après la passation ?",
];
const JA_SENTENCES: &[&str] = &[
    "{p}の数値を確認しました。概ね前回の打ち合わせ通りです。",
    "レビューを{d}に変更できますでしょうか。",
    "こちらとしては問題ありません。",
    "{c}様から再度スケジュールについて問い合わせがありました。",
    "ロールバック後、{s}のレイテンシは正常に戻りました。",
    "{who}さん、送付前に数値の再確認をお願いできますか。",
    "リリース前に法務の承認がまだ必要です。",
    "{d}までに初版を用意しましょう。",
    "移行作業は約{n}%完了しています。",
    "お手数ですが、ご確認のほどよろしくお願いいたします。",
    "原因は{s}のコネクションプールの設定ミスでした。",
    "返信が遅くなり申し訳ありません。出張しておりました。",
    "承知しました。B案で進めましょう。",
    "必要であれば電話で説明します。",
];

const WEEKDAYS: [[&str; 7]; 4] = [
    [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ],
    [
        "Montag",
        "Dienstag",
        "Mittwoch",
        "Donnerstag",
        "Freitag",
        "Samstag",
        "Sonntag",
    ],
    [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ],
    [
        "月曜日",
        "火曜日",
        "水曜日",
        "木曜日",
        "金曜日",
        "土曜日",
        "日曜日",
    ],
];
const WEEKDAYS_SHORT: [[&str; 7]; 4] = [
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."],
    ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
    ["月", "火", "水", "木", "金", "土", "日"],
];
const MONTHS: [[&str; 12]; 3] = [
    [
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
    [
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
    [
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
];

fn li(lang: Lang) -> usize {
    match lang {
        Lang::En => 0,
        Lang::De => 1,
        Lang::Fr => 2,
        Lang::Ja => 3,
    }
}

fn month(lang: Lang, d: &DateTime<FixedOffset>) -> &'static str {
    let i = if lang == Lang::Ja { 0 } else { li(lang) };
    MONTHS[i][d.month0() as usize]
}

fn wd(lang: Lang, d: &DateTime<FixedOffset>) -> &'static str {
    WEEKDAYS[li(lang)][d.weekday().num_days_from_monday() as usize]
}

fn wd_short(lang: Lang, d: &DateTime<FixedOffset>) -> &'static str {
    WEEKDAYS_SHORT[li(lang)][d.weekday().num_days_from_monday() as usize]
}

/// "10:15 AM"
fn ampm(d: &DateTime<FixedOffset>) -> String {
    let h = d.hour() % 12;
    let h = if h == 0 { 12 } else { h };
    format!(
        "{h}:{:02} {}",
        d.minute(),
        if d.hour() < 12 { "AM" } else { "PM" }
    )
}

fn hm(d: &DateTime<FixedOffset>) -> String {
    format!("{:02}:{:02}", d.hour(), d.minute())
}

/// Replace the `{x}` placeholders of a template.
pub fn fill(template: &str, t: &Topic, lang: Lang, rng: &mut SeededRng) -> String {
    let mut out = template.to_string();
    let day = WEEKDAYS[li(lang)][rng.gen_range(0..5)];
    let time = match lang {
        Lang::De => format!("{} Uhr", rng.gen_range(8..19)),
        Lang::Fr | Lang::Ja => format!("{}h{:02}", rng.gen_range(8..19), rng.gen_range(0..4) * 15),
        Lang::En => format!("{}pm", rng.gen_range(1..6)),
    };
    let reps: [(&str, String); 11] = [
        ("{p}", t.project.to_string()),
        ("{P}", t.project.to_ascii_uppercase()),
        ("{slug}", t.project.to_ascii_lowercase()),
        ("{c}", t.customer.to_string()),
        ("{s}", t.service.to_string()),
        ("{who}", t.who.to_string()),
        ("{d}", day.to_string()),
        ("{t}", time),
        ("{n}", rng.gen_range(2..98).to_string()),
        ("{n2}", rng.gen_range(2..40).to_string()),
        ("{q}", rng.gen_range(1..5).to_string()),
    ];
    for (k, v) in reps {
        if out.contains(k) {
            out = out.replace(k, &v);
        }
    }
    if out.contains("{date}") {
        let date = format!(
            "2024-{:02}-{:02}",
            rng.gen_range(1..10),
            rng.gen_range(1..29)
        );
        out = out.replace("{date}", &date);
    }
    out
}

pub fn subject(lang: Lang, t: &Topic, rng: &mut SeededRng) -> String {
    let bank = match lang {
        Lang::En => EN_SUBJECTS,
        Lang::De => DE_SUBJECTS,
        Lang::Fr => FR_SUBJECTS,
        Lang::Ja => JA_SUBJECTS,
    };
    fill(bank.choose(rng).unwrap(), t, lang, rng)
}

pub fn sentence(lang: Lang, t: &Topic, rng: &mut SeededRng) -> String {
    fill(sentence_bank(lang).choose(rng).unwrap(), t, lang, rng)
}

fn sentence_bank(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::En => EN_SENTENCES,
        Lang::De => DE_SENTENCES,
        Lang::Fr => FR_SENTENCES,
        Lang::Ja => JA_SENTENCES,
    }
}

/// 1–4 paragraphs of sentences (fewer once `max_lines` is reached), wrapped at `width` columns (0: one line per paragraph, as
/// Outlook sends it). Sometimes a bullet list.
pub fn paragraphs(
    lang: Lang,
    t: &Topic,
    max_lines: usize,
    width: usize,
    rng: &mut SeededRng,
) -> Vec<String> {
    let mut lines = Vec::new();
    // Each template at most once per mail: repeated sentences read as machine-made.
    let mut order: Vec<&str> = sentence_bank(lang).to_vec();
    order.shuffle(rng);
    let mut next = order.into_iter().cycle();
    let paras = rng.gen_range(1..=4);
    for p in 0..paras {
        if p > 0 {
            lines.push(String::new());
        }
        if lang == Lang::En && rng.gen_bool(0.12) {
            lines.push("A few things to sort out:".to_string());
            let count = rng.gen_range(2..5);
            let items: Vec<&str> = EN_ITEMS.choose_multiple(rng, count).copied().collect();
            for item in items {
                lines.push(format!("- {}", fill(item, t, lang, rng)));
            }
            continue;
        }
        let n = rng.gen_range(1..=5);
        let sentences: Vec<String> = (0..n)
            .map(|_| fill(next.next().unwrap(), t, lang, rng))
            .collect();
        if lang == Lang::Ja {
            lines.extend(sentences); // Japanese mail puts one sentence per line.
        } else {
            lines.extend(wrap(&sentences.join(" "), width));
        }
        if lines.len() >= max_lines {
            break;
        }
    }
    // Whole paragraphs only: `max_lines` is a soft limit, never a cut mid-sentence.
    lines
}

pub fn wrap(text: &str, width: usize) -> Vec<String> {
    if width == 0 {
        return vec![text.to_string()];
    }
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// `first`: the addressee's first name; `family`: family name (Japanese greetings use it).
pub fn greeting(
    lang: Lang,
    first: Option<&str>,
    family: Option<&str>,
    rng: &mut SeededRng,
) -> String {
    let first = first.unwrap_or("");
    let all = first.is_empty() || rng.gen_bool(0.15);
    match lang {
        Lang::En if all => ["Hi all,", "Hi team,", "Hello everyone,"]
            .choose(rng)
            .unwrap()
            .to_string(),
        Lang::En => format!(
            "{} {first},",
            ["Hi", "Hello", "Hey", "Dear"].choose(rng).unwrap()
        ),
        Lang::De if all => ["Hallo zusammen,", "Liebe Kolleginnen und Kollegen,"]
            .choose(rng)
            .unwrap()
            .to_string(),
        Lang::De => format!(
            "{} {first},",
            ["Hallo", "Hi", "Moin", "Servus"].choose(rng).unwrap()
        ),
        Lang::Fr if all => ["Bonjour à tous,", "Bonjour,"]
            .choose(rng)
            .unwrap()
            .to_string(),
        Lang::Fr => format!("{} {first},", ["Bonjour", "Salut"].choose(rng).unwrap()),
        Lang::Ja => match family {
            Some(f) if !all => format!("{f}さん\n\nお疲れ様です。"),
            _ => "各位\n\nお疲れ様です。".to_string(),
        },
    }
}

pub fn signoff(lang: Lang, name: &str, rng: &mut SeededRng) -> String {
    let close = match lang {
        Lang::En => [
            "Best,",
            "Best regards,",
            "Thanks,",
            "Cheers,",
            "Kind regards,",
            "Thanks!",
            "Regards,",
        ]
        .choose(rng)
        .unwrap(),
        Lang::De => [
            "Viele Grüße",
            "Beste Grüße",
            "VG",
            "Danke und viele Grüße",
            "Mit freundlichen Grüßen",
        ]
        .choose(rng)
        .unwrap(),
        Lang::Fr => ["Cordialement,", "Bien à vous,", "Merci,", "Bonne journée,"]
            .choose(rng)
            .unwrap(),
        Lang::Ja => ["よろしくお願いします。", "以上、よろしくお願いいたします。"]
            .choose(rng)
            .unwrap(),
    };
    format!("{close}\n{name}")
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SigStyle {
    None,
    /// `-- ` delimiter then name/title/phone.
    Dashed,
    /// Outlook-style block with no delimiter.
    Block,
}

pub struct Signer<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub phone: &'a str,
    pub lang: Lang,
    pub external: bool,
}

pub fn signature(style: SigStyle, s: &Signer) -> String {
    let company = match (s.external, s.lang) {
        (true, _) => "Partner Solutions Ltd.",
        (false, Lang::De) => "Corp Example GmbH",
        (false, Lang::Fr) => "Corp Example SAS",
        (false, Lang::Ja) => "株式会社コープ・エグザンプル",
        (false, Lang::En) => "Corp Example Inc.",
    };
    match style {
        SigStyle::None => String::new(),
        SigStyle::Dashed => format!("-- \n{}\n{}, {}\n{}", s.name, s.title, company, s.phone),
        SigStyle::Block => match s.lang {
            Lang::De => format!(
                "{}\n{}\n\n{company}\nMusterstraße 1, 10115 Berlin\nTel.: {}\n\
                 Geschäftsführer: Max Beispiel | Amtsgericht Berlin HRB 12345",
                s.name, s.title, s.phone
            ),
            Lang::Ja => format!(
                "──────────────────\n{}\n{company}\n{}\nTEL: {}\n──────────────────",
                s.name, s.title, s.phone
            ),
            _ => format!(
                "{}\n{}\n{company} | www.corp.example\nT: {}",
                s.name, s.title, s.phone
            ),
        },
    }
}

pub fn mobile_footer(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Sent from my iPhone",
        Lang::De => "Von meinem iPhone gesendet",
        Lang::Fr => "Envoyé de mon iPhone",
        Lang::Ja => "iPhoneから送信",
    }
}

pub fn disclaimer(lang: Lang) -> &'static str {
    match lang {
        Lang::De => {
            "Diese E-Mail enthält vertrauliche und/oder rechtlich geschützte Informationen. \
             Wenn Sie nicht der richtige Adressat sind oder diese E-Mail irrtümlich erhalten \
             haben, informieren Sie bitte sofort den Absender und vernichten Sie diese Mail."
        }
        _ => {
            "CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and may \
             be privileged. If you are not the intended recipient, please notify the sender \
             immediately and delete this message. Any unauthorised use is prohibited."
        }
    }
}

/// Who wrote a quoted mail, as a quoting client shows it.
pub struct Quoted<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub date: DateTime<FixedOffset>,
    pub to: &'a str,
    pub cc: &'a str,
    pub subject: &'a str,
}

/// The "On … wrote:" line of a quoting client, in the replier's language.
pub fn attribution(client: Client, lang: Lang, q: &Quoted) -> String {
    let d = &q.date;
    let (name, email) = (q.name, q.email);
    let (y, m, day) = (d.year(), d.month(), d.day());
    match (client, lang) {
        (Client::Thunderbird, Lang::De) => {
            format!(
                "Am {day:02}.{m:02}.{:02} um {} schrieb {name}:",
                y % 100,
                hm(d)
            )
        }
        (Client::Thunderbird, Lang::Fr) => {
            format!("Le {day:02}/{m:02}/{y} à {}, {name} a écrit :", hm(d))
        }
        (Client::Thunderbird, _) => format!("On {day:02}/{m:02}/{y} {}, {name} wrote:", hm(d)),
        (Client::AppleMail | Client::IPhone, Lang::De) => {
            format!(
                "Am {day:02}.{m:02}.{y} um {} schrieb {name} <{email}>:",
                hm(d)
            )
        }
        (Client::AppleMail | Client::IPhone, Lang::Fr) => {
            format!(
                "Le {day} {} {y} à {}, {name} <{email}> a écrit :",
                month(lang, d),
                hm(d)
            )
        }
        (Client::AppleMail | Client::IPhone, Lang::Ja) => {
            format!("{y}/{m:02}/{day:02} {}、{name} <{email}>のメール:", hm(d))
        }
        (Client::AppleMail | Client::IPhone, Lang::En) => {
            format!(
                "On {} {day}, {y}, at {}, {name} <{email}> wrote:",
                &month(lang, d)[..3],
                ampm(d)
            )
        }
        (_, Lang::De) => format!(
            "Am {} {day}. {} {y} um {} Uhr schrieb {name} <{email}>:",
            wd_short(lang, d),
            month(lang, d),
            hm(d)
        ),
        (_, Lang::Fr) => format!(
            "Le {} {day} {} {y} à {}, {name} <{email}> a écrit :",
            wd_short(lang, d),
            month(lang, d),
            hm(d)
        ),
        (_, Lang::Ja) => {
            format!(
                "{y}年{m}月{day}日({}) {} {name} <{email}>:",
                wd_short(lang, d),
                hm(d)
            )
        }
        (_, Lang::En) => format!(
            "On {}, {} {day}, {y} at {} {name} <{email}> wrote:",
            wd_short(lang, d),
            &month(lang, d)[..3],
            ampm(d)
        ),
    }
}

/// Outlook's header block above an unindented quote. `classic`: the older
/// "-----Original Message-----" form instead of the underscore rule.
pub fn outlook_block(lang: Lang, classic: bool, q: &Quoted) -> String {
    let d = &q.date;
    let (y, day) = (d.year(), d.day());
    let (from, sent, to, cc, subject, date) = match lang {
        Lang::De => (
            "Von:",
            "Gesendet:",
            "An:",
            "Cc:",
            "Betreff:",
            format!("{}, {day}. {} {y} {}", wd(lang, d), month(lang, d), hm(d)),
        ),
        Lang::Fr => (
            "De :",
            "Envoyé :",
            "À :",
            "Cc :",
            "Objet :",
            format!("{} {day} {} {y} {}", wd(lang, d), month(lang, d), hm(d)),
        ),
        Lang::Ja => (
            "差出人:",
            "送信日時:",
            "宛先:",
            "CC:",
            "件名:",
            format!("{y}年{}月{day}日 {}", d.month(), hm(d)),
        ),
        Lang::En => (
            "From:",
            "Sent:",
            "To:",
            "Cc:",
            "Subject:",
            format!("{}, {} {day}, {y} {}", wd(lang, d), month(lang, d), ampm(d)),
        ),
    };
    let rule = match (classic, lang) {
        (false, _) => "________________________________".to_string(),
        (true, Lang::De) => "-----Ursprüngliche Nachricht-----".to_string(),
        (true, _) => "-----Original Message-----".to_string(),
    };
    let who = if classic {
        format!("{} [mailto:{}]", q.name, q.email)
    } else {
        format!("{} <{}>", q.name, q.email)
    };
    let mut block = format!("{rule}\n{from} {who}\n{sent} {date}\n{to} {}\n", q.to);
    if !q.cc.is_empty() {
        block.push_str(&format!("{cc} {}\n", q.cc));
    }
    block.push_str(&format!("{subject} {}", q.subject));
    block
}

/// The block a forward starts with (before the forwarded text).
pub fn forward_block(client: Client, lang: Lang, q: &Quoted) -> String {
    match client {
        Client::Outlook => outlook_block(lang, false, q),
        Client::AppleMail | Client::IPhone => format!(
            "Begin forwarded message:\n\nFrom: {} <{}>\nSubject: {}\nDate: {} {} {} at {}\nTo: {}",
            q.name,
            q.email,
            q.subject,
            q.date.day(),
            month(Lang::En, &q.date),
            q.date.year(),
            hm(&q.date),
            q.to
        ),
        _ => format!(
            "---------- Forwarded message ---------\nFrom: {} <{}>\nDate: {}, {} {}, {} at {}\nSubject: {}\nTo: {}",
            q.name,
            q.email,
            wd_short(Lang::En, &q.date),
            &month(Lang::En, &q.date)[..3],
            q.date.day(),
            q.date.year(),
            ampm(&q.date),
            q.subject,
            q.to
        ),
    }
}

pub fn reply_prefix(client: Client, lang: Lang) -> &'static str {
    match (client, lang) {
        (Client::Outlook, Lang::De) => "AW: ",
        (Client::Outlook, Lang::En | Lang::Fr) => "RE: ",
        _ => "Re: ",
    }
}

pub fn forward_prefix(client: Client, lang: Lang) -> &'static str {
    match (client, lang) {
        (Client::Outlook, Lang::De) => "WG: ",
        (Client::Outlook, Lang::Fr) => "TR: ",
        (Client::Outlook, _) => "FW: ",
        _ => "Fwd: ",
    }
}

pub fn forward_note(lang: Lang, rng: &mut SeededRng) -> String {
    let notes: &[&str] = match lang {
        Lang::En => &[
            "FYI, see below.",
            "Forwarding for visibility.",
            "Looping in the group, see the thread below.",
        ],
        Lang::De => &[
            "Zur Info, siehe unten.",
            "Leite ich euch zur Kenntnis weiter.",
        ],
        Lang::Fr => &[
            "Pour info, voir ci-dessous.",
            "Je transfère pour information.",
        ],
        Lang::Ja => &["ご参考までに転送します。"],
    };
    notes.choose(rng).unwrap().to_string()
}

/// Subject and body of an out-of-office reply.
pub fn auto_reply(lang: Lang, subject: &str, back: &str, deputy: &str) -> (String, String) {
    match lang {
        Lang::De => (
            format!("Abwesenheitsnotiz: {subject}"),
            format!("Vielen Dank für Ihre Nachricht. Ich bin bis {back} nicht im Büro und habe nur \
                     eingeschränkt Zugriff auf meine E-Mails.\nIn dringenden Fällen wenden Sie sich \
                     bitte an {deputy}.\n"),
        ),
        Lang::Fr => (
            format!("Réponse automatique : {subject}"),
            format!("Bonjour,\n\nJe suis absent(e) jusqu'au {back}. Pour toute urgence, merci de \
                     contacter {deputy}.\n"),
        ),
        Lang::Ja => (
            format!("自動応答: {subject}"),
            format!("お世話になっております。\n{back}まで不在にしております。\n急ぎの件は{deputy}までご連絡ください。\n"),
        ),
        Lang::En => (
            format!("Automatic reply: {subject}"),
            format!("Thank you for your email. I am out of the office until {back} with limited \
                     access to email.\nFor urgent matters please contact {deputy}.\n"),
        ),
    }
}
