//! Replies that quote a retracted post: their stored quoted history is replaced, at retraction
//! time and in the same transaction, by [`REMOVED_NOTE`], so the retracted text is gone from
//! pages, the API and exports (search indexes the replies' own text only). Decided at
//! retraction rather than at rendering: every surface reads the same rows, none has to filter.
//!
//! Matching is by text, quote markers and line wrapping aside (clients re-wrap what they quote):
//! a reply's quoted history holds the retracted body's opening. Only the folded quoted part is
//! cleared; text quoted inline within a reply's own body stays (docs/POLICY.md).

/// What a reply shows instead of quoted history that held a retracted post.
pub const REMOVED_NOTE: &str = "[Quoted history removed: it quoted a retracted post.]";

/// How much of a retracted body's opening must appear in a quote: enough to be specific,
/// short enough to survive a client that trims or re-wraps the end.
const NEEDLE_CHARS: usize = 200;

/// Lower-cased words of `text`, quote markers (`>`) at line starts removed, joined by one space.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = line.trim_start_matches(|c: char| c == '>' || c.is_whitespace());
        for word in line.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.extend(word.chars().flat_map(char::to_lowercase));
        }
    }
    out
}

/// Whether `quoted` (a reply's quoted history) shows any of the retracted `bodies`.
pub fn quotes_any(quoted: &str, bodies: &[String]) -> bool {
    let hay = normalise(quoted);
    if hay.is_empty() {
        return false;
    }
    bodies.iter().any(|b| {
        let needle: String = normalise(b).chars().take(NEEDLE_CHARS).collect();
        !needle.is_empty() && hay.contains(&needle)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_rewrapped_quote_and_nothing_else() {
        let body = "The Q3 numbers are\nbelow plan by 12%.\nDo not forward.".to_string();
        let quoted =
            "On Tue, Ann wrote:\n> The Q3 numbers are below\n> plan by 12%. Do not\n> forward.";
        assert!(quotes_any(quoted, std::slice::from_ref(&body)));
        assert!(quotes_any(
            ">> the q3 NUMBERS are below plan by 12%. do not forward.",
            std::slice::from_ref(&body)
        ));
        assert!(!quotes_any("> Lunch at noon?", std::slice::from_ref(&body)));
        assert!(!quotes_any("", &[body]));
        assert!(!quotes_any("> anything", &[String::new()]));
    }
}
