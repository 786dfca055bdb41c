//! A hit's text with the query's matches marked: HTML-escaped, `<mark>` the only markup.
//!
//! Matching is done on folded tokens ([`super::terms`]) but shown on the original text, so a
//! search for `muller` marks `Müller` as written, and `会議` is marked inside `会議室`.

use super::query::ParsedQuery;
use super::terms::{tokenize, TokenKind};

/// Characters of body text a snippet shows (about two lines).
pub const SNIPPET_CHARS: usize = 200;
/// Of those, how many come before the first match shown.
const LEAD_CHARS: usize = 40;

/// Marks a query's matches in text.
#[derive(Debug, Clone)]
pub struct Highlighter<'q> {
    query: &'q ParsedQuery,
}

impl<'q> Highlighter<'q> {
    pub fn new(query: &'q ParsedQuery) -> Self {
        Highlighter { query }
    }

    /// All of `text`, escaped, with every match marked (for subjects).
    pub fn mark_all(&self, text: &str) -> String {
        render(text, 0, text.len(), &self.spans(text))
    }

    /// About [`SNIPPET_CHARS`] characters of `text` around its best cluster of matches (its
    /// opening when nothing matches), escaped, whitespace collapsed, matches marked, with `…`
    /// where text was cut.
    pub fn snippet(&self, text: &str) -> String {
        let spans = self.spans(text);
        let (from, to) = window(text, &spans, SNIPPET_CHARS);
        let mut out = String::new();
        if from > 0 {
            out.push('…');
        }
        out.push_str(render(text, from, to, &spans).trim());
        if to < text.trim_end().len() {
            out.push('…');
        }
        out
    }

    /// Byte ranges of the matches in `text`, sorted and not overlapping.
    pub fn spans(&self, text: &str) -> Vec<(usize, usize)> {
        let q = self.query;
        let mut spans = Vec::new();
        for token in tokenize(text) {
            match token.kind {
                TokenKind::Word => {
                    let hit = q.marks.contains(&token.text)
                        || q.mark_prefixes.iter().any(|p| token.text.starts_with(p));
                    if hit {
                        spans.push((token.start, token.end));
                    }
                }
                TokenKind::Cjk => {
                    for needle in &q.mark_cjk {
                        for (at, _) in token.text.match_indices(needle.as_str()) {
                            let first = token.chars.partition_point(|c| c.0 < at);
                            let end = token.chars.partition_point(|c| c.0 < at + needle.len());
                            if let (Some(a), Some(b)) =
                                (token.chars.get(first), token.chars.get(end - 1))
                            {
                                spans.push((a.1, b.2));
                            }
                        }
                    }
                }
            }
        }
        merge(spans)
    }
}

fn merge(mut spans: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    spans.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// The byte range of about `width` characters of `text` to show: starting a little before the
/// match that has the most other matches within reach, on a word boundary when there is one.
fn window(text: &str, spans: &[(usize, usize)], width: usize) -> (usize, usize) {
    let Some(best) = (0..spans.len()).max_by_key(|&i| {
        let reach = advance(text, spans[i].0, width - LEAD_CHARS);
        let within = spans[i..].iter().take_while(|s| s.1 <= reach).count();
        // Ties go to the earliest cluster.
        (within, std::cmp::Reverse(i))
    }) else {
        return (0, advance(text, 0, width));
    };
    let anchor = spans[best].0;
    // Near the end, start earlier so the window is full (a short text is shown whole).
    let mut from = back(text, anchor, LEAD_CHARS).min(back(text, text.len(), width));
    // Start after a space within the lead, so the snippet does not open mid-word.
    if from > 0 {
        if let Some(space) = text[from..anchor].find(char::is_whitespace) {
            from += space;
        }
    }
    (from, advance(text, from, width))
}

/// The byte offset `n` characters after `at` (or the end).
fn advance(text: &str, at: usize, n: usize) -> usize {
    text[at..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| at + i)
}

/// The byte offset `n` characters before `at` (or the start).
fn back(text: &str, at: usize, n: usize) -> usize {
    text[..at]
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i)
}

/// `text[from..to]` escaped, runs of whitespace as one space, spans wrapped in `<mark>`.
fn render(text: &str, from: usize, to: usize, spans: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(to - from + 32);
    let mut at = from;
    for &(a, b) in spans {
        let (a, b) = (a.max(from), b.min(to));
        if a >= b {
            continue;
        }
        escape_into(&text[at..a], &mut out);
        out.push_str("<mark>");
        escape_into(&text[a..b], &mut out);
        out.push_str("</mark>");
        at = b;
    }
    escape_into(&text[at..to], &mut out);
    out
}

/// Escapes the five HTML-significant characters; collapses whitespace to single spaces.
fn escape_into(s: &str, out: &mut String) {
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            if !space {
                out.push(' ');
            }
            space = true;
            continue;
        }
        space = false;
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hl(q: &str, text: &str) -> String {
        let q = ParsedQuery::parse(q, None);
        Highlighter::new(&q).mark_all(text)
    }

    #[test]
    fn marks_folded_matches_on_the_original_text() {
        assert_eq!(
            hl("muller strasse", "Herr Müller, Hauptstraße 1, Straße"),
            "Herr <mark>Müller</mark>, Hauptstraße 1, <mark>Straße</mark>"
        );
        assert_eq!(hl("łódź", "w Lodz i Łodzi"), "w <mark>Lodz</mark> i Łodzi");
        assert_eq!(hl("deplo*", "Deployed it"), "<mark>Deployed</mark> it");
        assert_eq!(
            hl("会議", "明日の会議室で会議"),
            "明日の<mark>会議</mark>室で<mark>会議</mark>"
        );
        assert_eq!(hl("京", "東京都"), "東<mark>京</mark>都");
    }

    #[test]
    fn everything_else_is_escaped() {
        assert_eq!(
            hl("x", "<script>x</script> & <mark>'\"</mark>"),
            "&lt;script&gt;<mark>x</mark>&lt;/script&gt; &amp; &lt;mark&gt;&#39;&quot;&lt;/mark&gt;"
        );
    }

    #[test]
    fn snippet_centres_on_the_densest_matches() {
        let filler = "lorem ipsum dolor sit amet ".repeat(20);
        let text = format!("budget once. {filler} the budget review of the budget. {filler}");
        let q = ParsedQuery::parse("budget review", None);
        let s = Highlighter::new(&q).snippet(&text);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<mark>budget</mark> <mark>review</mark>"), "{s}");
        assert!(s.chars().count() < SNIPPET_CHARS + 60, "{s}");
        // Nothing matches in the body: its opening.
        let q = ParsedQuery::parse("zzz", None);
        let s = Highlighter::new(&q).snippet("Hello\n\n  there");
        assert_eq!(s, "Hello there");
        // A short text is shown whole, a match near the end with what comes before it.
        let q = ParsedQuery::parse("end", None);
        let s = Highlighter::new(&q).snippet("Some words before the end.");
        assert_eq!(s, "Some words before the <mark>end</mark>.");
        let s = Highlighter::new(&q).snippet(&format!("{filler}the end"));
        assert!(
            s.starts_with('…') && s.ends_with("the <mark>end</mark>"),
            "{s}"
        );
        assert!(s.chars().count() > SNIPPET_CHARS - 10, "{s}");
    }
}
