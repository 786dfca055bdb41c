//! Word lists and patterns, per language. Everything is compiled once (LazyLock) because
//! `clean_body` runs in bulk imports.

use regex::{Regex, RegexSet};
use std::collections::HashSet;
use std::sync::LazyLock;

/// Closing formulas, lower-case, without trailing punctuation. A line is a closing when it is
/// exactly one of these (optionally joined by "and"/"und"/"y"/… or followed by a name).
#[rustfmt::skip]
const CLOSINGS: &[&str] = &[
    // English
    "thanks", "thank you", "thanks again", "thanks a lot", "thanks so much", "thank you so much",
    "thank you very much", "many thanks", "thanks in advance", "thank you in advance", "thx", "tx",
    "ty", "tia", "thanks all", "thanks everyone", "thanks both", "cheers", "best", "best regards",
    "kind regards", "kindest regards", "warm regards", "warmest regards", "regards", "rgds", "br",
    "kr", "best wishes", "all the best", "all best", "sincerely", "yours sincerely",
    "sincerely yours", "yours truly", "yours faithfully", "yours", "respectfully", "cordially",
    "take care", "talk soon", "speak soon", "see you", "see you soon", "stay safe", "have a great day",
    "have a nice day", "have a good day", "have a great weekend", "have a nice weekend",
    "have a good weekend", "with thanks", "with best regards", "with kind regards",
    "thanks for your help", "thanks for the help", "thank you for your help", "much appreciated",
    "appreciate it", "greetings", "love", "thanks & regards", "regards & thanks",
    // German
    "viele grüße", "viele grüsse", "viele gruesse", "vielen dank", "danke", "danke schön",
    "dankeschön", "danke dir", "danke euch", "danke ihnen", "besten dank", "beste grüße",
    "beste grüsse", "liebe grüße", "liebe grüsse", "herzliche grüße", "herzliche grüsse",
    "freundliche grüße", "freundliche grüsse", "mit freundlichen grüßen", "mit freundlichen grüssen",
    "mit freundlichem gruß", "mit freundlichem gruss", "freundlicher gruß", "mit besten grüßen",
    "mit herzlichen grüßen", "mit lieben grüßen", "schöne grüße", "sonnige grüße", "mfg", "vg",
    "lg", "bg", "gruß", "gruss", "grüße", "grüsse", "bis bald", "bis dann", "bis später",
    "schönen tag noch", "schönes wochenende", "tschüss", "ciao", "servus", "hochachtungsvoll",
    // French
    "cordialement", "bien cordialement", "très cordialement", "bien à vous", "bien à toi",
    "merci", "merci beaucoup", "merci d'avance", "merci par avance", "merci encore", "mille mercis",
    "salutations", "sincères salutations", "meilleures salutations", "bonne journée",
    "bonne soirée", "bon week-end", "bon weekend", "bonne fin de journée", "à bientôt", "a bientôt",
    "amicalement", "amitiés", "bises", "bisous", "belle journée", "à plus", "a+", "respectueusement",
    "bien amicalement", "cdt", "cdlt", "bàv", "bav",
    // Spanish
    "saludos", "un saludo", "saludos cordiales", "un cordial saludo", "cordiales saludos",
    "cordialmente", "atentamente", "muy atentamente", "gracias", "muchas gracias",
    "gracias de antemano", "mil gracias", "un abrazo", "abrazos", "besos", "hasta pronto",
    "hasta luego", "quedo atento", "quedo atenta", "quedo a la espera", "buen día", "un beso", "atte", "slds", "sds",
    // Dutch
    "met vriendelijke groet", "met vriendelijke groeten", "vriendelijke groet",
    "vriendelijke groeten", "met hartelijke groet", "hartelijke groet", "hartelijke groeten", "groet",
    "groeten", "groetjes", "mvg", "gr", "grt", "bedankt", "dank je", "dank je wel", "dank u",
    "dank u wel", "alvast bedankt", "tot snel", "fijne dag", "fijn weekend", "hartelijk dank",
    // Polish
    "pozdrawiam", "pozdrawiam serdecznie", "serdecznie pozdrawiam", "z poważaniem",
    "z wyrazami szacunku", "pozdrowienia", "serdeczne pozdrowienia", "dzięki", "dziękuję",
    "dziękuję bardzo", "z góry dziękuję", "z góry dzięki", "miłego dnia", "do usłyszenia",
    "do zobaczenia", "pzdr", "pozdr", "łączę pozdrowienia", "dziekuje", "pozdrawiam cieplo",
    // Japanese
    "よろしくお願いします", "よろしくお願いいたします", "よろしくお願い致します",
    "よろしくお願い申し上げます", "宜しくお願いします", "宜しくお願いいたします",
    "宜しくお願い致します", "宜しくお願い申し上げます", "どうぞよろしくお願いいたします",
    "どうぞよろしくお願いします", "引き続きよろしくお願いいたします",
    "引き続きよろしくお願いします", "今後ともよろしくお願いいたします",
    "以上", "以上です", "以上となります", "ありがとうございます", "ありがとうございました",
    "よろしく", "よろしくです",
    // Italian, Portuguese
    "grazie", "cordiali saluti", "saluti", "un saluto", "obrigado", "obrigada", "atenciosamente",
    "abraços", "cumprimentos", "grazie mille", "distinti saluti", "saluti cordiali", "cordialmente",
    "un caro saluto", "buona giornata", "a presto", "un abbraccio", "abraço", "um abraço", "att",
    "melhores cumprimentos", "com os melhores cumprimentos", "muito obrigado", "muito obrigada",
    "beijos", "até logo",
    // Swedish, Danish, Norwegian, Finnish, Hungarian
    "hälsningar", "med vänliga hälsningar", "vänliga hälsningar", "bästa hälsningar", "mvh",
    "tack", "tack på förhand", "med venlig hilsen", "venlig hilsen", "hilsen", "tak",
    "med vennlig hilsen", "vennlig hilsen", "takk", "ystävällisin terveisin", "terveisin",
    "kiitos", "üdvözlettel", "köszönöm", "tisztelettel", "üdv",
    // Czech, Slovak, Russian, Ukrainian, Greek, Turkish
    "s pozdravem", "děkuji", "díky", "děkuji předem", "zdravím", "s pozdravom", "ďakujem",
    "с уважением", "спасибо", "заранее спасибо", "всего доброго", "всего хорошего",
    "с наилучшими пожеланиями", "з повагою", "дякую", "заздалегідь дякую", "всього найкращого",
    "ευχαριστώ", "ευχαριστώ πολύ", "με εκτίμηση", "φιλικά", "χαιρετισμούς", "saygılarımla",
    "teşekkürler", "teşekkür ederim", "iyi çalışmalar", "selamlar", "sevgiler",
    // Chinese, Korean, Hebrew, Arabic
    "谢谢", "多谢", "此致", "此致敬礼", "祝好", "顺祝商祺", "감사합니다", "고맙습니다", "תודה",
    "תודה רבה", "בברכה", "شكرا", "شكراً", "مع التحية", "مع خالص التحية", "تحياتي",
];

pub(crate) static CLOSING_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| CLOSINGS.iter().copied().collect());

/// Words that join two closings: "Danke und viele Grüße", "Gracias y saludos".
/// " / " joins bilingual closings: "Mit freundlichen Grüßen / Best regards".
pub(crate) const CLOSING_JOINERS: &[&str] = &[
    " / ", " and ", " & ", " und ", " y ", " et ", " en ", " i ", " e ",
];

/// "Beste Grüße aus Hamburg", "Greetings from Berlin".
pub(crate) static PLACE_SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:aus|from|von|de|desde|z|ze|uit|vanuit|da)\s+\p{Lu}[\p{L}\-]*(?:\s+\p{L}+)?$")
        .unwrap()
});

/// Short words that are capitalised like names but are not names.
#[rustfmt::skip]
pub(crate) const NOT_NAMES: &[&str] = &[
    "done", "agreed", "approved", "yes", "no", "ok", "okay", "sure", "great", "perfect", "cool",
    "nice", "thanks", "merged", "fixed", "confirmed", "correct", "exactly", "indeed", "noted",
    "understood", "ack", "lgtm", "fyi", "ja", "nein", "genau", "erledigt", "prima", "super", "oui",
    "non", "parfait", "sí", "si", "vale", "claro", "klopt", "tak", "nie", "dobrze", "hello", "hi",
    "hallo", "bonjour", "hola", "hoi", "cześć", "regards", "see below", "attached", "thank you",
    "了解", "承知", "以上", "確認", "了解です", "承知しました",
];

/// Particles that may appear lower-case inside a name ("Anna de Vries", "Ludwig van Beethoven").
#[rustfmt::skip]
pub(crate) const NAME_PARTICLES: &[&str] = &[
    "de", "van", "der", "den", "von", "da", "di", "du", "le", "la", "del", "dos", "das", "ten",
    "ter", "y", "zu", "bin", "al", "i.", "a.",
];

/// Mobile and client footers: "Sent from my iPhone" in every language we know.
pub(crate) static MOBILE_SIG: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([
        r"(?i)^sent (?:from|via|with|using|on) (?:my |the |a )?[^,;:!?]+$",
        r"(?i)^sent from my [^,;:!?]+[,.;-]\s*(?:please )?(?:excuse|sorry|pardon|apologies)[^!?]*$",
        r"(?i)^diese nachricht wurde (?:von|mit) [^,;:!?]+ gesendet$",
        r"(?i)^(?:get|download) (?:the )?outlook (?:for|on) (?:ios|android)$",
        r"(?i)^(?:obtenir|télécharger) outlook pour (?:ios|android)$",
        r"(?i)^outlook für (?:ios|android) (?:beziehen|herunterladen)$",
        r"(?i)^(?:obtener|descargar) outlook para (?:ios|android)$",
        r"(?i)^outlook voor (?:ios|android) (?:downloaden|ophalen)$",
        r"(?i)^pobierz (?:aplikację )?outlook (?:dla|na) (?:systemu )?(?:ios|android)$",
        r"(?i)^(?:ios|android) ?版?の? ?outlook ?を入手$",
        r"(?i)^von meine[mr] [^,;:!?]+ gesendet$",
        r"(?i)^gesendet (?:von|mit|vom|via|aus) (?:meinem |meiner |der |dem )?[^,;:!?]+$",
        r"(?i)^von [^,;:!?]+ (?:für|for) (?:ios|android) gesendet$",
        r"(?i)^envoyé (?:de|depuis|à partir de|avec|via) (?:mon |ma |l'|le |la )?[^,;:!?]+$",
        r"(?i)^enviado (?:desde|con|a través de|via|vía|do|de) (?:mi |meu |o |el )?[^,;:!?]+$",
        r"(?i)^(?:verzonden|verstuurd) (?:vanaf|vanuit|met|via|van) (?:mijn |de )?[^,;:!?]+$",
        r"(?i)^wysłane (?:z|ze|przy użyciu|za pomocą|z mojego) [^,;:!?]+$",
        r"(?i)^[\w ]+から送信$",
        r"(?i)^inviato da (?:il mio |iphone|ipad)[^,;:!?]*$",
    ])
    .unwrap()
});

/// "-----Original Message-----" and friends: everything after is history. Outlook's, Samsung's
/// and Thunderbird's localised separators (`mailnews.reply_header_originalmessage`).
pub(crate) static ORIGINAL_MESSAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^[-=]{2,}\s*(?:original message|reply message|original-nachricht|ursprüngliche nachricht|message d'origine|message original|mensaje original|oorspronkelijk bericht|originele bericht|wiadomość oryginalna|oryginalna wiadomość|treść oryginalnej wiadomości|messaggio originale|mensagem original|元のメッセージ|originalmeddelande|ursprungligt meddelande|oprindelig meddelelse|opprinnelig melding|alkuperäinen viesti(?: / orig\.msg\.)?|eredeti üzenet|původní zpráva|pôvodná správa|исходное сообщение|исходное письмо|оригинальное сообщение|початкове повідомлення|оригінальне повідомлення|αρχικό μήνυμα|özgün ileti|orijinal mesaj|原始消息|原始邮件|原始郵件|원본 메시지|הודעה מקורית|الرسالة الأصلي(?:َّ|ّ)?ة|mesaj original|mesajul original)\s*[-=]{2,}$",
    )
    .unwrap()
});

/// Forwarded-message markers (Gmail, Thunderbird, Apple Mail, localised).
pub(crate) static FORWARD_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:-{2,}\s*(?:forwarded message|forwarded e-?mail|weitergeleitete nachricht|message transféré|message transfere|mensaje reenviado|doorgestuurd bericht|doorgestuurde bericht|przekazana wiadomość|wiadomość przekazana(?: dalej)?|treść przekazanej wiadomości|messaggio inoltrato|mensagem encaminhada|mensagem reencaminhada|転送されたメッセージ|転送メッセージ|vidarebefordrat meddelande|videresendt meddelelse|videresendt melding|välitetty viesti(?: / fwd\.msg)?|továbbított üzenet|přeposlaná zpráva|пересылаемое сообщение|перенаправленное сообщение|пересланное сообщение|переслане повідомлення|προωθημένο μήνυμα|iletilen ileti|转发的消息|转发的邮件|轉寄郵件|전달된 메시지|전달된 메일|הודעה שהועברה|رسالة ممر(?:ّ)?رة|mesaj redirecționat)\s*-{2,}|(?:begin forwarded message|anfang der weitergeleiteten nachricht|début du message (?:réexpédié|transféré)|inicio del mensaje reenviado|inizio messaggio inoltrato|início da mensagem (?:reencaminhada|encaminhada)|begin doorgestuurd bericht|początek przekazywanej wiadomości|vidarebefordrat mejl|videresendt besked|начало переадресованного сообщения|以下是转发的邮件|転送されたメッセージ)\s*[:：])$",
    )
    .unwrap()
});

/// Kinds of header lines in an Outlook / forward header block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeaderKey {
    From,
    Date,
    To,
    Cc,
    Subject,
}

/// Header labels as Outlook (desktop, web, mobile), Thunderbird's forward header and the other
/// clients write them, per language. Matched case-insensitively, the longest label first.
#[rustfmt::skip]
const HEADER_LABELS: &[(HeaderKey, &[&str])] = &[
    (HeaderKey::From, &[
        "from", "von", "de", "de la", "van", "od", "差出人", "送信者", "från", "da", "fra", "от",
        "від", "kimden", "gönderen", "από", "מאת", "من", "مِن", "发件人", "寄件者", "寄件人", "從",
        "보낸 사람", "feladó", "lähettäjä", "expéditeur", "afzender", "absender", "remitente",
        "mittente", "remetente", "відправник", "отправитель", "šalje", "dari", "từ",
    ]),
    (HeaderKey::Date, &[
        "sent", "gesendet", "envoyé", "enviado el", "enviado", "enviada em", "enviado em",
        "enviada", "verzonden", "wysłano", "wysłane", "wysłany", "送信日時", "date", "datum", "fecha", "data",
        "日付", "skickat", "sendt", "inviato", "odesláno", "odoslané", "отправлено", "надіслано",
        "дата", "gönderildi", "gönderim tarihi", "tarih", "στάλθηκε", "εστάλη", "ημερομηνία",
        "נשלח", "תאריך", "تم الإرسال", "تاريخ الإرسال", "التاريخ", "poslano", "изпратено",
        "dikirim", "đã gửi", "发送时间", "发送日期", "日期", "寄件日期",
        "傳送時間", "傳送日期", "보낸 날짜", "날짜", "küldve", "dátum", "elküldve", "lähetetty",
        "päivämäärä", "päiväys", "trimis",
    ]),
    (HeaderKey::To, &[
        "to", "an", "à", "a", "para", "aan", "do", "宛先", "till", "til", "komu", "кому", "kime",
        "προς", "אל", "إلى", "收件人", "收件者", "到", "給", "받는 사람", "címzett",
        "vastaanottaja", "către", "destinataire", "destinatario", "destinatário", "alıcı",
        "prima", "za", "до", "kepada", "đến",
    ]),
    (HeaderKey::Cc, &[
        "cc", "bcc", "dw", "kopie", "kopia", "kopi", "копия", "копія", "bilgi", "κοιν", "κοιν.",
        "κοινοποίηση", "עותק", "نسخة", "抄送", "副本", "참조", "másolatot kap", "másolat",
        "kopio", "copie à", "kopie (cc)", "kopi til (cc)", "kópia", "reply-to", "antwort an",
    ]),
    (HeaderKey::Subject, &[
        "subject", "betreff", "objet", "asunto", "onderwerp", "temat", "件名", "ämne", "emne",
        "oggetto", "assunto", "předmět", "predmet", "тема", "konu", "θέμα", "נושא", "الموضوع",
        "主题", "主旨", "제목", "tárgy", "aihe", "subiect", "sujet", "zadeva", "относно",
        "subjek", "chủ đề",
    ]),
];

/// The label part of a header line (`**From:** `), without captures so it runs on the DFA:
/// it is tried on every line.
static HEADER_LINE: LazyLock<Regex> = LazyLock::new(|| {
    let mut labels: Vec<&str> = HEADER_LABELS
        .iter()
        .flat_map(|(_, l)| l.iter().copied())
        .collect();
    // Leftmost-first alternation: "enviado el" must be tried before "enviado".
    labels.sort_by_key(|l| std::cmp::Reverse(l.chars().count()));
    let alternation = labels
        .iter()
        .map(|l| regex::escape(l).replace(' ', r"\s+"))
        .collect::<Vec<_>>()
        .join("|");
    Regex::new(&format!(
        r"(?i)^\*{{0,2}}(?:{alternation})\s*\*{{0,2}}\s*[:：]\s*\*{{0,2}}\s*"
    ))
    .unwrap()
});

/// `From: Anna <a@x>` → (From, "Anna <a@x>").
pub(crate) fn header_key(text: &str) -> Option<(HeaderKey, &str)> {
    // Cheap pre-check: a header label is short and followed by a colon.
    let colon = text.find([':', '：'])?;
    if text[..colon].chars().count() > 20 {
        return None;
    }
    let end = HEADER_LINE.find(text)?.end();
    let label = text[..colon].trim_matches(|c: char| c == '*' || c.is_whitespace());
    let label = label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    let kind = HEADER_LABELS
        .iter()
        .find(|(_, labels)| labels.contains(&label.as_str()))
        .map(|(k, _)| *k)?;
    Some((kind, text[end..].trim()))
}

/// Legal boilerplate. A paragraph is a disclaimer when it contains a strong phrase or at least
/// two of the ordinary ones.
#[rustfmt::skip]
pub(crate) const DISCLAIMER_STRONG: &[&str] = &[
    "confidentiality notice", "disclaimer:", "aviso legal", "consider the environment before printing",
    "think before you print", "intended recipient",
    "diese e-mail enthält vertrauliche", "diese nachricht enthält vertrauliche",
    "wenn sie nicht der richtige adressat", "irrtümlich erhalten", "ce message et toutes les pièces",
    "ce message et ses pièces jointes", "si vous avez reçu ce message par erreur",
    "este mensaje y sus archivos adjuntos", "si usted no es el destinatario",
    "deze e-mail is uitsluitend bestemd", "ta wiadomość jest poufna", "本メールは",
    "unsubscribe from this group", "you received this message because you are subscribed",
];

#[rustfmt::skip]
pub(crate) const DISCLAIMER_WEAK: &[&str] = &[
    "confidential", "privileged", "if you have received this", "if you received this", "mailing list", "intended solely", "intended only", "addressee", "in error",
    "by mistake", "notify the sender", "delete this", "delete it", "unauthori", "prohibited",
    "disseminat", "vertraulich", "rechtlich geschützt", "absender", "unbefugte", "confidentiel",
    "destinataire", "par erreur", "interdit", "confidencial", "destinatario", "por error",
    "secreto", "vertrouwelijk", "geadresseerde", "abusievelijk", "poufn", "adresat", "omyłkowo",
    "機密", "誤って", "削除", "第三者", "listinfo", "unsubscribe",
    // data-protection notices (GDPR and its national names)
    "gdpr", "data protection", "personal data", "rgpd", "protección de datos", "datos personales",
    "datenschutz", "personenbezogene daten", "données personnelles", "rodo", "dane osobowe",
    "persoonsgegevens", "個人情報",
];

static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+\d{1,3}[\s.\-/]?|\(\d{2,5}\)\s?|\b0\d{1,4}[\s.\-/])\d[\d\s.\-/()]{4,}\d")
        .unwrap()
});
static PHONE_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:tel|tél|phone|mobile|mob|cell|fax|telefon|teléfono|tfno|tlf|tel\.|m|t|p|f|o|d|内線|電話|携帯)\.?\s*[:.]?\s*\+?\(?\d").unwrap()
});
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[\w.+'\-]+@[\w\-]+(?:\.[\w\-]+)+").unwrap());
static URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:https?://|www\.)\S+").unwrap());
static COMPANY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\b(?:GmbH|AG|KG|Inc|Ltd|LLC|LLP|plc|Corp|Corporation|SAS|SARL|S\.A|S\.L|B\.V|N\.V|Sp\. z o\.o)\b|株式会社|有限会社)").unwrap()
});

/// The first e-mail address in `text`.
pub(crate) fn email_in(text: &str) -> Option<&str> {
    EMAIL.find(text).map(|m| m.as_str())
}

/// Job titles and departments, the second line of a "name / title" signature.
static TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:engineer\w*|manager|director|lead|head of|developer|designer|architect|analyst|consultant|officer|president|vp|cto|ceo|cfo|coo|founder|specialist|administrator|coordinator|counsel|intern|support|team|department|product owner|scrum master|leiter\w*|entwickler\w*|berater\w*|geschäftsführer\w*|referent\w*|sachbearbeiter\w*|abteilung|responsable|chef\w*|directeur|directrice|ingénieur\w*|chargée?|jefe|jefa|ingenier[oa]|gerente|departamento|medewerker|adviseur|ontwikkelaar|beheerder|afdeling|kierownik|dyrektor|specjalista|inżynier|programista|dział)\b|部長|課長|担当|部$|課$",
    )
    .unwrap()
});

pub(crate) fn is_title(text: &str) -> bool {
    TITLE.is_match(text)
}

/// Phone number, e-mail address or web address: the stuff signatures are made of.
pub(crate) fn is_contact(text: &str) -> bool {
    (text.contains('@') && EMAIL.is_match(text))
        || ((text.contains("://") || text.contains("www.")) && URL.is_match(text))
        || PHONE_LABEL.is_match(text)
        || PHONE.is_match(text)
}

pub(crate) fn is_company(text: &str) -> bool {
    COMPANY.is_match(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(MOBILE_SIG.is_match("Sent from my iPhone"));
        assert!(MOBILE_SIG.is_match("Wysłane z iPhone’a"));
        assert!(MOBILE_SIG.is_match("iPhoneから送信"));
        assert!(MOBILE_SIG.is_match("Get Outlook for iOS"));
        assert!(MOBILE_SIG.is_match("Sent from my phone, please excuse the brevity"));
        assert!(MOBILE_SIG.is_match(
            "Diese Nachricht wurde von meinem Android-Mobiltelefon mit GMX Mail gesendet"
        ));
        assert!(
            !MOBILE_SIG.is_match("Sent from the build server, the alert says the disk is full.")
        );
        assert!(ORIGINAL_MESSAGE.is_match("-----Original Message-----"));
        assert!(ORIGINAL_MESSAGE.is_match("-------- Original message --------"));
        assert!(FORWARD_MARKER.is_match("---------- Forwarded message ---------"));
        assert_eq!(
            header_key("De : Paul <p@x>").map(|h| h.0),
            Some(HeaderKey::From)
        );
        assert_eq!(
            header_key("Enviado el: lunes").map(|h| h.0),
            Some(HeaderKey::Date)
        );
        assert_eq!(
            header_key("送信日時: 2025年3月3日 10:02").map(|h| h.0),
            Some(HeaderKey::Date)
        );
        assert_eq!(
            header_key("Wysłane: wtorek, 26 maja 2026 17:17"),
            Some((HeaderKey::Date, "wtorek, 26 maja 2026 17:17"))
        );
        assert_eq!(
            header_key("**Kimden:** Ayşe <a@x>").map(|h| h.0),
            Some(HeaderKey::From)
        );
        assert!(header_key("Note: this is prose that happens to have a colon").is_none());
        assert!(is_contact("T: +44 20 7946 0958 | M: +44 7700 900123"));
        assert!(is_contact("mike@northwind.example | (555) 010-2398"));
        assert!(!is_contact("Expiry is now 2026-03-01."));
        assert!(!is_contact("between 08:00 and 17:00"));
    }
}
