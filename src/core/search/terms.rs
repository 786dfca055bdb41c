//! Text → index terms, the same for stored messages and for queries.
//!
//! Each character is *folded*: lower case; compatibility forms unified (full-width Latin,
//! ligatures, half-width katakana); Latin and Greek letters lose their accents (`é` → `e`,
//! `ą` → `a`, `ü` → `u`), and the letters decomposition does not reach are spelled in plain
//! Latin (`ß` → `ss`, `ł` → `l`, `ø` → `o`, `æ` → `ae`, …). Other scripts keep their marks
//! (Cyrillic `й`, Japanese `が`). So `Müller`, `MÜLLER` and `Muller` are one term, as are
//! `Łódź` and `lodz`.
//!
//! Words are runs of letters and digits. Chinese, Japanese and Korean text has no spaces
//! between words, so a run of those characters is indexed as overlapping pairs (`東京都` →
//! `東京`, `京都`) plus its last character alone (`都`): a query of two or more characters is
//! the phrase of its pairs, and a single character is a prefix of the pairs it starts (or the
//! last character itself). This finds any substring of two characters or more, and a single
//! character anywhere, without a dictionary.

use unicode_normalization::char::{compose, decompose_compatible, is_combining_mark};

/// Longer words (base64, hashes, URLs run together) are not indexed: nobody searches for them
/// and they would only grow the index.
pub const MAX_WORD_CHARS: usize = 64;

/// Of a long body only the opening is indexed: enough for any mail written by a person,
/// and it keeps a pasted log from filling the index (PostgreSQL also caps a `tsvector` at
/// 1 MB and positions at 16,383).
pub const MAX_INDEXED_BYTES: usize = 64 * 1024;

/// What a token is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Letters and digits of scripts written with spaces.
    Word,
    /// A run of Chinese, Japanese or Korean characters.
    Cjk,
}

/// A token of a text: its folded form and where it is in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    /// The folded characters.
    pub text: String,
    /// Byte range in the original text.
    pub start: usize,
    pub end: usize,
    /// For [`TokenKind::Cjk`]: per folded character, its byte offset in `text` and the byte
    /// range in the original text it came from (to mark substrings of a run).
    pub chars: Vec<(usize, usize, usize)>,
}

/// The terms of one message, per field, in order (positions matter for phrases).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    pub subject: Vec<String>,
    pub author: Vec<String>,
    pub body: Vec<String>,
}

impl Document {
    /// The indexed fields of a message: subject, author (name and address), clean body text
    /// (never its quoted history, sign-off, signature or disclaimer, which are separate parts).
    pub fn new(subject: &str, author_name: Option<&str>, author_email: &str, body: &str) -> Self {
        let mut author = terms(author_name.unwrap_or_default());
        author.extend(terms(author_email));
        Document {
            subject: terms(subject),
            author,
            body: terms(prefix(body, MAX_INDEXED_BYTES)),
        }
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn prefix(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The index terms of `text`, in order: its words (up to [`MAX_WORD_CHARS`]) and the pairs
/// and last character of each CJK run. The same terms as [`tokenize`]'s tokens give, without
/// their places: this runs over every stored body, so ASCII skips the folding tables and no
/// token is built.
pub fn terms(text: &str) -> Vec<String> {
    let mut run = TermRun::default();
    let mut folded = String::new();
    for c in text.chars() {
        // ASCII, most of any mail, decided here: a letter or digit extends a word (or ends a
        // CJK run and starts one), anything else ends the open token.
        if c.is_ascii_alphanumeric() {
            run.end_cjk();
            run.word.push(c.to_ascii_lowercase());
            run.word_chars += 1;
            continue;
        }
        if c.is_ascii() {
            run.end_word();
            run.end_cjk();
            continue;
        }
        folded.clear();
        fold_char(c, &mut folded);
        // A combining mark alone folds to nothing: it stays inside the open token.
        folded.chars().for_each(|f| run.push(f));
    }
    run.finish()
}

/// The token [`terms`] is building (a word or a CJK run, never both) and the terms so far.
#[derive(Default)]
struct TermRun {
    out: Vec<String>,
    word: String,
    word_chars: usize,
    cjk: Vec<char>,
}

impl TermRun {
    /// One folded character: it extends the open token, starts one of the other kind, or
    /// (neither letter nor digit) ends it.
    fn push(&mut self, f: char) {
        if is_cjk(f) {
            self.end_word();
            self.cjk.push(f);
        } else if f.is_alphanumeric() {
            self.end_cjk();
            self.word.push(f);
            self.word_chars += 1;
        } else {
            self.end_word();
            self.end_cjk();
        }
    }

    #[inline]
    fn end_word(&mut self) {
        if self.word.is_empty() {
            return;
        }
        if self.word_chars <= MAX_WORD_CHARS {
            self.out.push(self.word.clone());
        }
        self.word.clear();
        self.word_chars = 0;
    }

    #[inline]
    fn end_cjk(&mut self) {
        let Some(last) = self.cjk.last() else {
            return;
        };
        let pairs = self.cjk.windows(2).map(|w| w.iter().collect::<String>());
        self.out.extend(pairs);
        self.out.push(last.to_string());
        self.cjk.clear();
    }

    fn finish(mut self) -> Vec<String> {
        self.end_word();
        self.end_cjk();
        self.out
    }
}

/// The pairs of a CJK run as a query uses them (no lone last character: a phrase of pairs
/// matches wherever the run occurs); a single character stays as it is.
pub fn cjk_pairs(run: &str) -> Vec<String> {
    let chars: Vec<char> = run.chars().collect();
    if chars.len() < 2 {
        return vec![run.to_string()];
    }
    chars
        .windows(2)
        .map(|w| w.iter().collect::<String>())
        .collect()
}

/// Splits `text` into word and CJK-run tokens of folded characters, with their places.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::new();
    let mut open: Option<Token> = None;
    let mut folded = String::new();
    for (start, c) in text.char_indices() {
        let end = start + c.len_utf8();
        folded.clear();
        fold_char(c, &mut folded);
        if folded.is_empty() {
            // A combining mark on its own: part of the token it follows.
            if let Some(t) = open.as_mut() {
                t.end = end;
            }
            continue;
        }
        for f in folded.chars() {
            let kind = if is_cjk(f) {
                TokenKind::Cjk
            } else if f.is_alphanumeric() {
                TokenKind::Word
            } else {
                tokens.extend(open.take());
                continue;
            };
            let t = match open.as_mut() {
                Some(t) if t.kind == kind => t,
                _ => {
                    tokens.extend(open.take());
                    open.insert(Token {
                        kind,
                        text: String::new(),
                        start,
                        end,
                        chars: Vec::new(),
                    })
                }
            };
            if kind == TokenKind::Cjk {
                t.chars.push((t.text.len(), start, end));
            }
            t.text.push(f);
            t.end = end;
        }
    }
    tokens.extend(open);
    tokens
}

/// Chinese, Japanese and Korean characters: Han ideographs, kana, Hangul, Bopomofo, and the
/// iteration and prolonged-sound marks written inside such words.
pub fn is_cjk(c: char) -> bool {
    matches!(
        u32::from(c),
        0x1100..=0x11FF        // Hangul Jamo
        | 0x3005..=0x3007      // 々 〆 〇
        | 0x3040..=0x30FF      // Hiragana, Katakana (with ー)
        | 0x3100..=0x312F      // Bopomofo
        | 0x3130..=0x318F      // Hangul compatibility Jamo
        | 0x31F0..=0x31FF      // Katakana phonetic extensions
        | 0x3400..=0x4DBF      // CJK extension A
        | 0x4E00..=0x9FFF      // CJK unified ideographs
        | 0xAC00..=0xD7AF      // Hangul syllables
        | 0xF900..=0xFAFF      // CJK compatibility ideographs
        | 0x20000..=0x3FFFF // CJK extensions B and later
    )
}

/// Appends the folded form of `c` to `out` (see the module documentation); nothing for a
/// combining mark that stands alone.
pub fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    // Compatibility decomposition, then: marks on Latin or Greek letters dropped, every other
    // sequence composed again (Hangul syllables, kana with their voicing marks). The longest
    // compatibility decomposition is 18 characters (U+FDFA).
    let mut parts = ['\0'; 18];
    let mut n: usize = 0;
    decompose_compatible(c, |d| {
        let last = n.checked_sub(1).map(|i| parts[i]);
        let composed = last
            .filter(|b| !is_latin_or_greek(*b))
            .and_then(|b| compose(b, d));
        match (composed, last) {
            (Some(c), _) => parts[n - 1] = c,
            (None, Some(b)) if is_combining_mark(d) && is_latin_or_greek(b) => {}
            (None, None) if is_combining_mark(d) => {}
            (None, _) if n < parts.len() => {
                parts[n] = d;
                n += 1;
            }
            (None, _) => {}
        }
    });
    for p in &parts[..n] {
        for l in p.to_lowercase() {
            match spelled_out(l) {
                Some(s) => out.push_str(s),
                None => out.push(l),
            }
        }
    }
}

fn is_latin_or_greek(c: char) -> bool {
    matches!(
        u32::from(c),
        0x0041..=0x024F | 0x0370..=0x03FF | 0x1E00..=0x1FFF
    )
}

/// Letters without a decomposition that readers treat as a plain Latin letter (or two).
fn spelled_out(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'ł' => "l",
        'ø' => "o",
        'æ' => "ae",
        'œ' => "oe",
        'đ' | 'ð' => "d",
        'þ' => "th",
        'ı' => "i",
        'ħ' => "h",
        'ŧ' => "t",
        'ŀ' => "l",
        'ς' => "σ",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(s: &str) -> String {
        let mut out = String::new();
        s.chars().for_each(|c| fold_char(c, &mut out));
        out
    }

    #[test]
    fn latin_accents_and_special_letters_fold() {
        assert_eq!(fold("Müller"), "muller");
        assert_eq!(fold("MÜLLER"), "muller");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("STRASSE"), "strasse");
        assert_eq!(fold("Łódź"), "lodz");
        assert_eq!(fold("zażółć gęślą jaźń"), "zazolc gesla jazn");
        assert_eq!(fold("Ærøskøbing"), "aeroskobing");
        assert_eq!(fold("ﬁnal"), "final", "ligature");
        assert_eq!(fold("Ｏｕｔｌｏｕｄ"), "outloud", "full-width");
        assert_eq!(fold("İstanbul"), "istanbul");
        assert_eq!(fold("άλφα"), "αλφα", "Greek tonos");
    }

    #[test]
    fn other_scripts_keep_their_marks() {
        assert_eq!(fold("Йогурт"), "йогурт");
        assert_eq!(fold("がっこう"), "がっこう");
        assert_eq!(fold("ｶﾞｯｺｳ"), "カッコウ", "half-width kana widened");
        assert_eq!(fold("한국어"), "한국어", "Hangul recomposed");
        // Decomposed input: the mark joins the Latin letter before it and is dropped.
        assert_eq!(fold("e\u{301}te\u{301}"), "ete");
    }

    #[test]
    fn words_and_cjk_runs() {
        let t = tokenize("Die Straße, 東京都の会議 (v2.1) Müller");
        let texts: Vec<(&str, TokenKind)> = t.iter().map(|t| (t.text.as_str(), t.kind)).collect();
        assert_eq!(
            texts,
            vec![
                ("die", TokenKind::Word),
                ("strasse", TokenKind::Word),
                ("東京都の会議", TokenKind::Cjk),
                ("v2", TokenKind::Word),
                ("1", TokenKind::Word),
                ("muller", TokenKind::Word),
            ]
        );
        let s = "Die Straße, 東京都の会議 (v2.1) Müller";
        assert_eq!(&s[t[1].start..t[1].end], "Straße");
        assert_eq!(&s[t[5].start..t[5].end], "Müller");
        let run = &t[2];
        assert_eq!(run.chars.len(), 6);
        let (_, a, b) = run.chars[1];
        assert_eq!(&s[a..b], "京");
    }

    #[test]
    fn cjk_runs_become_pairs_and_last_character() {
        assert_eq!(terms("東京都"), vec!["東京", "京都", "都"]);
        assert_eq!(terms("会"), vec!["会"]);
        assert_eq!(terms("Atlasの件"), vec!["atlas", "の件", "件"]);
        assert_eq!(cjk_pairs("東京都"), vec!["東京", "京都"]);
        assert_eq!(cjk_pairs("都"), vec!["都"]);
    }

    /// The terms as [`tokenize`]'s tokens give them: what [`terms`] computes without tokens.
    fn terms_of_tokens(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for token in tokenize(text) {
            match token.kind {
                TokenKind::Word if token.text.chars().count() <= MAX_WORD_CHARS => {
                    out.push(token.text)
                }
                TokenKind::Word => {}
                TokenKind::Cjk => {
                    let chars: Vec<char> = token.text.chars().collect();
                    out.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
                    out.extend(chars.last().map(char::to_string));
                }
            }
        }
        out
    }

    #[test]
    fn terms_are_the_tokens_terms() {
        let long = "x".repeat(MAX_WORD_CHARS);
        for s in [
            "Die Straße, 東京都の会議 (v2.1) Müller",
            "e\u{301}te\u{301} \u{301}a ﬁnal Ｏｕｔｌｏｕｄ ｶﾞｯｺｳ 한국어",
            "Atlasの件 abc東京def 会 x",
            &format!("{long} {long}y {long}é {long}ß"),
        ] {
            assert_eq!(terms(s), terms_of_tokens(s), "{s:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn terms_match_tokens_on_any_text(s in "[a-zA-Z0-9 .,éßÜﬁｶﾞ東京都のがっ한\u{301}\u{308}İ-]{0,40}") {
            proptest::prop_assert_eq!(terms(&s), terms_of_tokens(&s));
        }
    }

    #[test]
    fn long_words_are_not_indexed_and_bodies_are_capped() {
        let long = "x".repeat(MAX_WORD_CHARS + 1);
        assert_eq!(terms(&format!("a {long} b")), vec!["a", "b"]);
        let body = "é".repeat(MAX_INDEXED_BYTES);
        assert!(prefix(&body, MAX_INDEXED_BYTES - 1).len() < MAX_INDEXED_BYTES);
        assert_eq!(prefix("abc", 10), "abc");
    }

    #[test]
    fn document_fields() {
        let d = Document::new(
            "Re: Budżet",
            Some("Zofia Wójcik"),
            "zofia.wojcik@corp.example",
            "Hej",
        );
        assert_eq!(d.subject, vec!["re", "budzet"]);
        assert_eq!(
            d.author,
            vec!["zofia", "wojcik", "zofia", "wojcik", "corp", "example"]
        );
        assert_eq!(d.body, vec!["hej"]);
    }
}
