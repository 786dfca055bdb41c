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
    // Italian, Portuguese (cheap to have)
    "grazie", "cordiali saluti", "saluti", "un saluto", "obrigado", "obrigada", "atenciosamente",
    "abraços", "cumprimentos",
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

/// "-----Original Message-----" and friends: everything after is history.
pub(crate) static ORIGINAL_MESSAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^-{2,}\s*(?:original message|original-nachricht|ursprüngliche nachricht|message d'origine|mensaje original|oorspronkelijk bericht|originele bericht|wiadomość oryginalna|oryginalna wiadomość|messaggio originale|mensagem original|元のメッセージ|originalmeddelande|oprindelig meddelelse)\s*-{2,}$",
    )
    .unwrap()
});

/// Forwarded-message markers (Gmail, Thunderbird, Apple Mail, localised).
pub(crate) static FORWARD_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:-{2,}\s*(?:forwarded message|forwarded e-?mail|weitergeleitete nachricht|message transféré|message transfere|mensaje reenviado|doorgestuurd bericht|doorgestuurde bericht|przekazana wiadomość|wiadomość przekazana|messaggio inoltrato|mensagem encaminhada|転送されたメッセージ|転送メッセージ)\s*-{2,}|begin forwarded message\s*:|anfang der weitergeleiteten nachricht\s*:|début du message (?:réexpédié|transféré)\s*:|inicio del mensaje reenviado\s*:|begin doorgestuurd bericht\s*:|początek przekazywanej wiadomości\s*:|転送されたメッセージ\s*[:：])$",
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

static HEADER_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\*{0,2}(from|von|de|van|od|差出人|送信者|från|da|fra|sent|gesendet|envoyé|enviado el|enviado|verzonden|wysłano|送信日時|date|datum|fecha|data|日付|to|an|à|a|para|aan|do|宛先|cc|bcc|dw|kopie|kopia|subject|betreff|objet|asunto|onderwerp|temat|件名|reply-to|antwort an)\s*\*{0,2}\s*[:：]\s*\*{0,2}\s*(.*)$",
    )
    .unwrap()
});

/// `From: Anna <a@x>` → (From, "Anna <a@x>").
pub(crate) fn header_key(text: &str) -> Option<(HeaderKey, &str)> {
    // Cheap pre-check: a header key is short and followed by a colon.
    let colon = text.find([':', '：'])?;
    if colon > 24 {
        return None;
    }
    let caps = HEADER_LINE.captures(text)?;
    let key = caps.get(1)?.as_str().to_lowercase();
    let kind = match key.as_str() {
        "from" | "von" | "de" | "van" | "od" | "差出人" | "送信者" | "från" | "da" | "fra" => {
            HeaderKey::From
        }
        "sent" | "gesendet" | "envoyé" | "enviado el" | "enviado" | "verzonden" | "wysłano"
        | "送信日時" | "date" | "datum" | "fecha" | "data" | "日付" => HeaderKey::Date,
        "to" | "an" | "à" | "a" | "para" | "aan" | "do" | "宛先" => HeaderKey::To,
        "subject" | "betreff" | "objet" | "asunto" | "onderwerp" | "temat" | "件名" => {
            HeaderKey::Subject
        }
        _ => HeaderKey::Cc,
    };
    Some((kind, caps.get(2).map_or("", |m| m.as_str().trim())))
}

/// Attribution lines that introduce a quote ("On … wrote:" in every language we know).
/// Matched against a normalised line, or two lines joined when a client wrapped it.
pub(crate) static ATTRIBUTION: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([
        // English: Gmail, Apple Mail, Thunderbird, Yahoo
        r"(?i)^on\b.{4,}\b(?:wrote|writes|said)\s*:$",
        r"(?i)^.+\bwrote on\b.{4,}:$",
        // German
        r"(?i)^am\b.{4,}\bschrieb\b.*:$",
        r"(?i)^.+\bschrieb am\b.{4,}:$",
        r"(?i)^.+\bhat am\b.{4,}\bgeschrieben\s*:$",
        // French
        r"(?i)^le\b.{4,}\ba écrit\s*:$",
        // Spanish
        r"(?i)^el\b.{4,}\bescribió\s*:$",
        // Dutch
        r"(?i)^op\b.{4,}\b(?:schreef|geschreven)\b.*:$",
        // Polish
        r"(?i)^(?:w dniu|dnia)\b.{4,}\b(?:pisze|napisał|napisała|napisał\(a\))\s*:$",
        r"(?i)^(?:pon|wt|śr|czw|pt|sob|niedz|nie)\.?,?\s.{4,}\b(?:napisał|napisała|napisał\(a\))\s*:$",
        r"(?i)^wiadomość napisana przez\b.{4,}:$",
        // Japanese (Gmail, Thunderbird, Apple Mail)
        r"^\d{4}年\d{1,2}月\d{1,2}日.*[:：]$",
        r"^\d{4}/\d{1,2}/\d{1,2}.*(?:書きました|のメール)\s*[:：]$",
        // Italian, Portuguese
        r"(?i)^il (?:giorno )?.{4,}\bha scritto\s*:$",
        r"(?i)^(?:em|no dia)\b.{4,}\bescreveu\s*:$",
    ])
    .unwrap()
});

/// "Felix Braun wrote:" with no date: accepted only right before a quote block.
pub(crate) static WEAK_ATTRIBUTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^.+\b(?:wrote|writes|schrieb|a écrit|escribió|schreef|napisał\(a\)|napisała|napisał|pisze|escreveu|ha scritto|さんは書きました)\s*[:：]$",
    )
    .unwrap()
});

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
        assert!(header_key("Note: this is prose that happens to have a colon").is_none());
        assert!(ATTRIBUTION.is_match("On Mon, Mar 3, 2025 at 10:02 AM Anna Smith <a@x.com> wrote:"));
        assert!(ATTRIBUTION.is_match("2025年3月3日(月) 10:02 Anna <a@x.com>:"));
        assert!(ATTRIBUTION
            .is_match("Il giorno lun 3 mar 2025 alle ore 10:02 Anna <a@x.it> ha scritto:"));
        assert!(ATTRIBUTION.is_match("Em seg., 3 de mar. de 2025 às 10:02, Ana <a@x.br> escreveu:"));
        assert!(ATTRIBUTION.is_match("pon., 3 mar 2025 o 10:02 Anna Kowalska <a@x.pl> napisał(a):"));
        assert!(is_contact("T: +44 20 7946 0958 | M: +44 7700 900123"));
        assert!(is_contact("mike@northwind.example | (555) 010-2398"));
        assert!(!is_contact("Expiry is now 2026-03-01."));
        assert!(!is_contact("between 08:00 and 17:00"));
    }
}
