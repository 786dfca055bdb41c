//! A search as typed → clauses over index terms, every one of which a hit must match.
//!
//! Syntax, deliberately small: words (all must match, in any field: subject, author, body);
//! `"a quoted phrase"` (its words in this order); a trailing `*` makes the last word a
//! prefix (`deploy*`). A word that folds into several terms (`e-mail`, `v2.1`, `東京都`) is a
//! phrase of them. Nothing else is an operator, so no input is an error.

use std::collections::BTreeSet;

use super::terms::{cjk_pairs, tokenize, TokenKind, MAX_WORD_CHARS};

/// At most this many clauses per field are kept (the rest of a pasted paragraph is ignored).
pub const MAX_CLAUSES: usize = 16;
/// At most this many terms per phrase.
pub const MAX_PHRASE_TERMS: usize = 32;

/// Terms that must occur one after the other; the last one as a prefix when `prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub terms: Vec<String>,
    pub prefix: bool,
}

/// What a search matches: `text` clauses in any field, `author` clauses in the author field
/// (name and address), and what to mark in the hits' text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    pub text: Vec<Clause>,
    pub author: Vec<Clause>,
    /// Folded words to mark wherever they occur.
    pub marks: BTreeSet<String>,
    /// Folded word prefixes to mark.
    pub mark_prefixes: BTreeSet<String>,
    /// Folded CJK strings to mark as substrings.
    pub mark_cjk: BTreeSet<String>,
}

impl ParsedQuery {
    /// `text` as typed in the search box, `author` as given to the author filter (a name, part
    /// of one, or an address).
    pub fn parse(text: &str, author: Option<&str>) -> ParsedQuery {
        let mut q = ParsedQuery::default();
        q.text = q.clauses(text);
        q.author = q.clauses(author.unwrap_or_default());
        q
    }

    /// True when there is nothing to search for (no letters or digits anywhere).
    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.author.is_empty()
    }

    fn clauses(&mut self, input: &str) -> Vec<Clause> {
        let mut out = Vec::new();
        for (i, part) in input.split('"').enumerate() {
            // Odd parts were inside quotes: one phrase. Even parts: one clause per word.
            if i % 2 == 1 {
                out.extend(self.clause(part, false));
            } else {
                for word in part.split_whitespace() {
                    let prefix = word.ends_with('*');
                    out.extend(self.clause(word.trim_end_matches('*'), prefix));
                }
            }
        }
        out.truncate(MAX_CLAUSES);
        out
    }

    /// The terms of `text` as one clause (none when it has no letters or digits).
    fn clause(&mut self, text: &str, prefix: bool) -> Option<Clause> {
        let tokens = tokenize(text);
        let mut terms = Vec::new();
        let mut prefix = prefix;
        for (i, token) in tokens.iter().enumerate() {
            let last = i + 1 == tokens.len();
            match token.kind {
                TokenKind::Word if token.text.chars().count() > MAX_WORD_CHARS => continue,
                TokenKind::Word => {
                    if prefix && last {
                        self.mark_prefixes.insert(token.text.clone());
                    } else {
                        self.marks.insert(token.text.clone());
                    }
                    terms.push(token.text.clone());
                }
                TokenKind::Cjk => {
                    self.mark_cjk.insert(token.text.clone());
                    // One character: the pairs it starts, or itself at a run's end.
                    if token.text.chars().count() == 1 {
                        prefix |= last;
                    } else if last {
                        prefix = false;
                    }
                    terms.extend(cjk_pairs(&token.text));
                }
            }
        }
        terms.truncate(MAX_PHRASE_TERMS);
        (!terms.is_empty()).then_some(Clause { terms, prefix })
    }
}

/// Which end of a date range a bound is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    From,
    To,
}

/// A date bound as given in a URL or on the command line: unix seconds, or a day `YYYY-MM-DD`
/// (UTC) — as the `To` bound, the whole day. Blank is no bound.
pub fn parse_date_bound(s: &str, bound: Bound) -> Result<Option<i64>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(secs) = s.parse::<i64>() {
        return Ok(Some(secs));
    }
    let day = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date: use YYYY-MM-DD or unix seconds"))?;
    let start = day.and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
    Ok(Some(match bound {
        Bound::From => start,
        Bound::To => start + 86_399,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_bounds() {
        assert_eq!(parse_date_bound("", Bound::From), Ok(None));
        assert_eq!(
            parse_date_bound(" 1700000000 ", Bound::To),
            Ok(Some(1_700_000_000))
        );
        assert_eq!(
            parse_date_bound("2024-03-31", Bound::From),
            Ok(Some(1_711_843_200))
        );
        assert_eq!(
            parse_date_bound("2024-03-31", Bound::To),
            Ok(Some(1_711_929_599))
        );
        assert!(parse_date_bound("31.03.2024", Bound::From)
            .unwrap_err()
            .contains("YYYY-MM-DD"));
    }

    fn clause(terms: &[&str], prefix: bool) -> Clause {
        Clause {
            terms: terms.iter().map(|t| t.to_string()).collect(),
            prefix,
        }
    }

    #[test]
    fn words_phrases_and_prefixes() {
        let q = ParsedQuery::parse(r#"Müller "release plan" deploy* e-mail"#, None);
        assert_eq!(
            q.text,
            vec![
                clause(&["muller"], false),
                clause(&["release", "plan"], false),
                clause(&["deploy"], true),
                clause(&["e", "mail"], false),
            ]
        );
        assert!(q.marks.contains("muller") && q.marks.contains("release"));
        assert!(q.mark_prefixes.contains("deploy"));
        assert!(q.author.is_empty());
    }

    #[test]
    fn cjk_words_are_phrases_of_pairs() {
        let q = ParsedQuery::parse("会議室 都", None);
        assert_eq!(
            q.text,
            vec![clause(&["会議", "議室"], false), clause(&["都"], true)]
        );
        assert!(q.mark_cjk.contains("会議室") && q.mark_cjk.contains("都"));
        let q = ParsedQuery::parse("Atlasの件", None);
        assert_eq!(q.text, vec![clause(&["atlas", "の件"], false)]);
    }

    #[test]
    fn author_clauses_and_empty_queries() {
        let q = ParsedQuery::parse("", Some("zofia.wojcik@corp.example"));
        assert_eq!(
            q.author,
            vec![clause(&["zofia", "wojcik", "corp", "example"], false)]
        );
        assert!(!q.is_empty());
        assert!(ParsedQuery::parse(" -- \" * ", Some("")).is_empty());
        assert!(ParsedQuery::parse("", None).is_empty());
    }

    #[test]
    fn unbalanced_quotes_and_limits() {
        let q = ParsedQuery::parse(r#"say "hello world"#, None);
        assert_eq!(
            q.text,
            vec![clause(&["say"], false), clause(&["hello", "world"], false)]
        );
        let many = (0..40)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(ParsedQuery::parse(&many, None).text.len(), MAX_CLAUSES);
    }
}
