//! The end of the author's text: disclaimer, signature and sign-off, found from the bottom up.
//!
//! Works on the author's non-blank lines only (quotes already removed), so a top-posted
//! signature above the quote and a bottom-posted one at the very end look the same.

use super::lexicon::{
    is_company, is_contact, is_register_footer, is_title, CLOSING_JOINERS, CLOSING_SET,
    DISCLAIMER_STRONG, DISCLAIMER_WEAK, MOBILE_SIG, NAME_PARTICLES, NOT_NAMES, PLACE_SUFFIX,
};
use super::lines::{is_cjk, is_rule, Line};
use super::Part;

/// One non-blank author line. `para` changes at blank lines, quotes and rules.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Item {
    pub idx: usize,
    pub para: usize,
}

/// How far up from the end a sign-off may start (in non-blank lines).
const SIGNOFF_WINDOW: usize = 14;
/// Longest signature below a `-- ` line we accept.
const MAX_DASHDASH_SIG: usize = 25;
/// Longest name/title/company/phone block (html2text puts blank lines between Outlook's
/// paragraphs, so paragraphs are counted separately and generously).
const MAX_SIG_BLOCK: usize = 15;

pub(crate) fn analyse(lines: &[Line], items: &[Item], parts: &mut [Part]) {
    let text = |k: usize| lines[items[k].idx].text.as_ref();
    let n = items.len();
    if n == 0 {
        return;
    }

    // 1. Disclaimer: whole trailing paragraphs of legal boilerplate.
    let mut end = n;
    let mut k = n;
    while k > 0 {
        let p = items[k - 1].para;
        let start = (0..k)
            .rev()
            .take_while(|&x| items[x].para == p)
            .last()
            .unwrap_or(k - 1);
        let para: Vec<&str> = (start..k).map(text).collect();
        let rule_only = para.iter().all(|t| is_rule(t));
        if is_disclaimer(&para) || (rule_only && end < n && end == k) {
            end = start;
            k = start;
        } else {
            break;
        }
    }
    if end == 0 {
        end = n; // a mail that is nothing but a disclaimer keeps it as its body
    }
    for it in &items[end..] {
        parts[it.idx] = Part::Disclaimer;
    }

    // 2. Explicit signatures: "-- " delimiter, "Sent from my iPhone".
    let mut sig_start = end;
    if let Some(d) = (0..end).rev().find(|&k| text(k) == "--") {
        if end - d <= MAX_DASHDASH_SIG {
            sig_start = d;
        }
    }
    for k in (end.saturating_sub(5)..end).rev() {
        if text(k).chars().count() <= 100
            && MOBILE_SIG.is_match(text(k).trim_end_matches(['.', '!']))
        {
            sig_start = sig_start.min(k);
        }
    }

    // 3. Sign-off above the signature, with the name line after it and any name/title block.
    let mut signature_from = sig_start;
    if let Some(found) = find_signoff(lines, items, sig_start) {
        for k in found.start..found.end {
            parts[items[k].idx] = Part::Signoff;
        }
        for k in found.block..found.ps {
            parts[items[k].idx] = Part::Signature;
        }
        // P.S. paragraphs after the sign-off stay in the body, but a name/title block below
        // them is still the signature ("Best,\nJoost\n\nPS: …\n\nJoost Bakker\n+31 …").
        signature_from = sig_start;
        if found.ps < sig_start {
            if let Some(s) = find_signature_block(lines, items, sig_start).filter(|&s| s > found.ps)
            {
                signature_from = s;
            }
        }
    } else if let Some(s) = find_signature_block(lines, items, sig_start) {
        signature_from = s;
        if let Some(l) = lone_name(lines, items, s) {
            parts[items[l].idx] = Part::Signoff;
        }
    } else if let Some(l) = lone_name(lines, items, sig_start) {
        parts[items[l].idx] = Part::Signoff;
    }
    for it in &items[signature_from..end] {
        parts[it.idx] = Part::Signature;
    }
}

struct Signoff {
    /// First sign-off line (item index).
    start: usize,
    /// End of the sign-off (after the name line).
    end: usize,
    /// Signature block after the name: `block..ps`.
    block: usize,
    /// Start of a P.S. paragraph (or the signature start when there is none).
    ps: usize,
}

fn find_signoff(lines: &[Line], items: &[Item], sig_start: usize) -> Option<Signoff> {
    let text = |k: usize| lines[items[k].idx].text.as_ref();
    let lo = sig_start.saturating_sub(SIGNOFF_WINDOW);
    for c in (lo..sig_start).rev() {
        let Some(kind) = closing_kind(text(c)) else {
            continue;
        };
        // A P.S. paragraph after the closing belongs to the body.
        let ps = (c + 1..sig_start)
            .find(|&k| items[k].para != items[k - 1].para && is_postscript(text(k)))
            .unwrap_or(sig_start);
        let rest = c + 1..ps;
        let (end, block) = if rest.is_empty() {
            (c + 1, ps)
        } else if kind == Closing::Pure
            && is_name_lenient(text(c + 1))
            && items[c + 1].idx - items[c].idx <= 3
            && (c + 2 == ps || is_signature_block(lines, items, c + 2, ps, false))
        {
            (c + 2, c + 2)
        } else if is_signature_block(lines, items, c + 1, ps, true) {
            (c + 1, c + 1)
        } else {
            continue;
        };
        // Closings written right above this one ("Thanks!\nBest,\nAnna") are part of it.
        let mut start = c;
        while start > 0
            && items[start - 1].para == items[start].para
            && closing_kind(text(start - 1)) == Some(Closing::Pure)
        {
            start -= 1;
        }
        // Never leave an empty body: a reply that is only "Thanks!" is its own message.
        if start == 0 && ps == sig_start {
            return None;
        }
        return Some(Signoff {
            start,
            end,
            block,
            ps,
        });
    }
    None
}

/// A name/title/company/phone block at the end without a `-- ` line (Outlook signatures).
fn find_signature_block(lines: &[Line], items: &[Item], end: usize) -> Option<usize> {
    let text = |k: usize| lines[items[k].idx].text.as_ref();
    if end < 2 {
        return None;
    }
    // Paragraph starts among the last three paragraphs, earliest first.
    let mut starts: Vec<usize> = (1..end)
        .filter(|&k| items[k].para != items[k - 1].para)
        .collect();
    let keep = starts.len().saturating_sub(3);
    starts.drain(..keep);
    starts.into_iter().find(|&s| {
        let first = text(s);
        let anchored = (is_rule(first) || is_name_strict(first) || is_company(first))
            && (s..end).any(|k| is_contact(text(k)) || is_company(text(k)));
        // "Anna Smith / Engineering Manager" with no contact data: name plus a job title.
        let name_and_title =
            is_name_strict(first) && end - s <= 3 && (s + 1..end).any(|k| is_title(text(k)));
        (anchored || name_and_title) && is_signature_block(lines, items, s, end, true)
    })
}

/// "Anna" / "- Alex" alone as the last paragraph before `end`, after some body text.
fn lone_name(lines: &[Line], items: &[Item], end: usize) -> Option<usize> {
    if end < 2 {
        return None;
    }
    let l = end - 1;
    let prev = lines[items[l - 1].idx].text.as_ref();
    // Alone in its paragraph, or right under a finished sentence ("Any news?\nGreg").
    let alone = items[l].para != items[l - 1].para
        || prev.ends_with(['.', '?', '!', '。', '？', '！']) && !is_name_strict(prev);
    (alone && is_name_strict(&lines[items[l].idx].text)).then_some(l)
}

/// Every line short and non-prose, few lines; with `need_anchor` the block must also look like a
/// signature (contact data, company, rule or a name first), not just a short remark.
fn is_signature_block(
    lines: &[Line],
    items: &[Item],
    from: usize,
    to: usize,
    need_anchor: bool,
) -> bool {
    let text = |k: usize| lines[items[k].idx].text.as_ref();
    if from >= to || to - from > MAX_SIG_BLOCK || !(from..to).all(|k| is_signature_line(text(k))) {
        return false;
    }
    let paras = (from + 1..to)
        .filter(|&k| items[k].para != items[k - 1].para)
        .count()
        + 1;
    if paras > 6 {
        return false;
    }
    !need_anchor
        || is_rule(text(from))
        || is_name_strict(text(from))
        || (from..to).any(|k| is_contact(text(k)) || is_company(text(k)) || is_title(text(k)))
}

fn is_signature_line(t: &str) -> bool {
    if is_rule(t) || is_contact(t) || is_company(t) {
        return true;
    }
    let words = t.split_whitespace().count();
    let last = t.chars().last().unwrap_or(' ');
    // "Acme Inc." or "Sp. z o.o." end in a full stop without being a sentence.
    let last_word = t.split_whitespace().last().unwrap_or("");
    let abbreviation = last == '.'
        && (last_word.trim_end_matches('.').contains('.')
            || last_word.chars().filter(|c| c.is_alphabetic()).count() <= 3);
    let sentence_end = matches!(last, '.' | '!' | '?' | '。' | '！' | '？') && !abbreviation;
    t.chars().count() <= 90
        && words <= 12
        && !matches!(last, '?' | '？' | '。')
        && !(sentence_end && words >= 3)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closing {
    /// The line is only a closing formula: "Best regards,".
    Pure,
    /// Closing and name on one line: "Cheers, Dan".
    WithName,
}

/// Lower-case, without punctuation, emoji or dashes around it.
fn closing_key(t: &str) -> String {
    let lower = t.to_lowercase();
    let trimmed = lower.trim_end_matches(|c: char| !c.is_alphanumeric() && c != ')' && c != '+');
    // "¡Saludos!", "— Cheers"
    trimmed
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .trim()
        .to_string()
}

fn is_closing_phrase(key: &str) -> bool {
    if CLOSING_SET.contains(key) {
        return true;
    }
    // "以上、よろしくお願いいたします" / "以上です。よろしくお願いします"
    for prefix in ["以上、", "以上，", "以上です。", "以上です、", "以上,"] {
        if let Some(rest) = key.strip_prefix(prefix) {
            return is_closing_phrase(rest.trim());
        }
    }
    for j in CLOSING_JOINERS {
        if let Some((a, b)) = split_once_short(key, j) {
            return CLOSING_SET.contains(a.trim_end_matches(',')) && is_closing_phrase(b.trim());
        }
    }
    if let Some(rest) = key.strip_prefix("with ") {
        return CLOSING_SET.contains(rest);
    }
    false
}

/// `key.split_once(pat)` by a plain byte scan: keys are at most 60 characters and this runs
/// for every prefix of every line that may close a mail, where setting up a substring
/// searcher per joiner cost more than the search. Byte positions of a UTF-8 pattern are
/// character boundaries, so the split is the same.
fn split_once_short<'k>(key: &'k str, pat: &str) -> Option<(&'k str, &'k str)> {
    let at = (key.as_bytes().windows(pat.len())).position(|w| w == pat.as_bytes())?;
    Some((&key[..at], &key[at + pat.len()..]))
}

fn closing_kind(t: &str) -> Option<Closing> {
    if t.chars().count() > 60 {
        return None;
    }
    let key = closing_key(t);
    if key.is_empty() {
        return None;
    }
    if is_closing_phrase(&key) {
        return Some(Closing::Pure);
    }
    // Closing followed by a name or a place on the same line: "Cheers, Dan", "Gruß aus Köln".
    let bytes: Vec<(usize, char)> = t.char_indices().collect();
    for &(pos, c) in &bytes {
        if !(c == ',' || c == ' ' || c == '!' || c == '-' || c == '–') || pos == 0 {
            continue;
        }
        let head = closing_key(&t[..pos]);
        if head.is_empty() || !is_closing_phrase(&head) {
            continue;
        }
        let tail = t[pos..]
            .trim_start_matches([',', ' ', '!', '-', '–', '.'])
            .trim_end_matches(['.', '!', ',']);
        if tail.is_empty() {
            continue;
        }
        if PLACE_SUFFIX.is_match(tail) {
            return Some(Closing::Pure);
        }
        if is_name_strict(tail) {
            return Some(Closing::WithName);
        }
    }
    None
}

/// "P.S." and its spellings: Spanish "P.D." (posdata), French "P.-S.", Japanese 追伸,
/// Korean 추신, Chinese 附言, Russian/Ukrainian Cyrillic "П.С.".
fn is_postscript(t: &str) -> bool {
    let u = t.to_uppercase();
    [
        "P.S.", "PS:", "PS ", "P.S ", "PPS", "P.P.S", "PS.", "P. S.", "P.D.", "P.-S.", "P.S:",
        "追伸", "追記", "추신", "附言", "П.С.", "ПС:",
    ]
    .iter()
    .any(|p| u.starts_with(p))
}

/// A name line right after a closing: short, no sentence, no digits ("i. A. Christina Braun",
/// "Security Team", "佐藤").
fn is_name_lenient(t: &str) -> bool {
    let chars = t.chars().count();
    if chars == 0 || chars > 50 || is_rule(t) || t.contains('@') || t.contains("://") {
        return false;
    }
    if t.chars().any(|c| c.is_ascii_digit()) || !t.chars().any(char::is_alphabetic) {
        return false;
    }
    if t.chars().any(is_cjk) {
        return chars <= 12 && !t.contains(['。', '、', '！', '？', '「']);
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    if words.len() > 5 || t.ends_with([':', '?', '!', ';', ',']) {
        return false;
    }
    // A trailing full stop is only fine on an initial ("Anna S.").
    if t.ends_with('.')
        && words
            .last()
            .is_some_and(|w| w.chars().filter(|c| c.is_alphabetic()).count() > 2)
    {
        return false;
    }
    closing_kind(t).is_none()
}

/// A line that is nothing but a person's name ("Anna", "Anna de Vries", "- Alex", "佐藤").
pub(crate) fn is_name_strict(t: &str) -> bool {
    let t = t
        .trim_start_matches(['-', '–', '—', '~', '/', '*', ' '])
        .trim_end_matches(['.', ' ']);
    let chars = t.chars().count();
    if chars == 0 || chars > 32 {
        return false;
    }
    if NOT_NAMES.contains(&t.to_lowercase().as_str()) {
        return false;
    }
    if t.chars().any(is_cjk) {
        // Japanese names: kanji only, maybe one space ("鈴木 一郎").
        let han = t
            .chars()
            .filter(|c| !c.is_whitespace())
            .all(|c| matches!(c as u32, 0x4e00..=0x9fff | 0x3400..=0x4dbf));
        return han && chars <= 8 && t.split_whitespace().count() <= 2;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    if words.is_empty() || words.len() > 4 {
        return false;
    }
    let mut capitalised = 0;
    for (i, w) in words.iter().enumerate() {
        let lower = w.to_lowercase();
        if i > 0 && i + 1 < words.len() && NAME_PARTICLES.contains(&lower.as_str()) {
            continue;
        }
        let mut cs = w.chars();
        let first = cs.next().unwrap_or(' ');
        if !first.is_uppercase() {
            return false;
        }
        if !w
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '’' | '.'))
        {
            return false;
        }
        // "LGTM", "ASAP": all capitals and long is an acronym, not a name.
        if w.chars().count() >= 4 && w.chars().all(|c| !c.is_lowercase()) {
            return false;
        }
        capitalised += 1;
    }
    capitalised > 0
}

fn is_disclaimer(para: &[&str]) -> bool {
    if para.is_empty() {
        return false;
    }
    let lower = para.join(" ").to_lowercase();
    if lower.chars().count() < 20 {
        return false;
    }
    if DISCLAIMER_STRONG.iter().any(|p| lower.contains(p)) || is_register_footer(&lower) {
        return true;
    }
    DISCLAIMER_WEAK
        .iter()
        .filter(|p| lower.contains(*p))
        .count()
        >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closings() {
        assert_eq!(closing_kind("Best regards,"), Some(Closing::Pure));
        assert_eq!(closing_kind("Cheers, Dan"), Some(Closing::WithName));
        assert_eq!(closing_kind("Gruß, Heike"), Some(Closing::WithName));
        assert_eq!(closing_kind("Beste Grüße aus Hamburg"), Some(Closing::Pure));
        assert_eq!(closing_kind("Gracias y saludos,"), Some(Closing::Pure));
        assert_eq!(
            closing_kind("以上、よろしくお願い致します。"),
            Some(Closing::Pure)
        );
        assert_eq!(closing_kind("Thanks, merged."), None);
        assert_eq!(closing_kind("Thanks for the report, I'll look."), None);
        assert_eq!(closing_kind("Danke, schaue ich mir morgen früh an."), None);
        assert_eq!(
            closing_kind("Thanks Kevin, I've added the on-call rota to the wiki"),
            None
        );
    }

    #[test]
    fn names() {
        assert!(is_name_strict("Anna de Vries"));
        assert!(is_name_strict("- Alex"));
        assert!(is_name_strict("鈴木 一郎"));
        assert!(!is_name_strict("Approved 👍"));
        assert!(!is_name_strict("LGTM"));
        assert!(!is_name_strict("Done"));
        assert!(is_name_lenient("i. A. Christina Braun"));
        assert!(is_name_lenient("Security Team"));
        assert!(!is_name_lenient("See you on Monday at 10."));
    }
}
