//! The excerpt of a thread shown in a digest: whole paragraphs of the clean body, at least
//! about `min` characters and at most about `max`, cut at a paragraph where possible (else at a
//! sentence, else at a word, with `…`). The body comes already cleaned by the pipeline (quotes,
//! sign-off, signature, disclaimer split off); quoted lines and a bare greeting are dropped
//! here as well, so an excerpt is always the author's own words.

/// Paragraphs of the excerpt, whitespace collapsed; empty when the body has no text.
pub fn excerpt(body: &str, min: usize, max: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut len = 0;
    for (i, p) in paragraphs(body).into_iter().enumerate() {
        if i == 0 && is_greeting(&p) {
            continue;
        }
        let n = p.chars().count();
        if len >= min && len + n > max {
            break;
        }
        if len + n > max {
            out.push(cut(
                &p,
                max.saturating_sub(len).max(min.saturating_sub(len)),
            ));
            break;
        }
        len += n;
        out.push(p);
        if len >= min {
            break;
        }
    }
    out
}

/// Paragraphs (split at blank lines), quoted lines dropped, each paragraph's lines joined.
fn paragraphs(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in body.lines() {
        let t = line.trim();
        if t.starts_with('>') {
            continue;
        }
        if t.is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        for w in t.split_whitespace() {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(w);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// "Hi all," / "Hello Dana," / "Hallo zusammen," alone on the first paragraph.
fn is_greeting(p: &str) -> bool {
    const OPENERS: &[&str] = &[
        "hi",
        "hello",
        "hey",
        "dear",
        "hallo",
        "moin",
        "bonjour",
        "hola",
        "ciao",
        "morning",
        "good morning",
        "team",
        "all",
        "folks",
    ];
    let lower = p.to_lowercase();
    let words = lower.split_whitespace().count();
    (p.ends_with(',') || p.ends_with('!'))
        && words <= 4
        && OPENERS.iter().any(|o| lower.starts_with(o))
}

/// `p` cut to about `limit` characters: at the last sentence end inside, else at a word, `…`
/// added. A limit below 40 characters is raised to it, so a cut never leaves a stub.
fn cut(p: &str, limit: usize) -> String {
    let limit = limit.max(40);
    let head: String = p.chars().take(limit).collect();
    if head.len() == p.len() {
        return head;
    }
    let sentence = ['.', '!', '?', '。', '！', '？']
        .iter()
        .filter_map(|c| head.rfind(*c).map(|i| i + c.len_utf8()))
        .max()
        .filter(|&i| head[..i].chars().count() >= limit / 2);
    if let Some(i) = sentence {
        return head[..i].to_string();
    }
    let end = head
        .rfind(' ')
        .filter(|&i| head[..i].chars().count() >= limit / 2)
        .unwrap_or(head.len());
    format!("{}…", head[..end].trim_end_matches([',', ';', ':', ' ']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_paragraphs_until_the_minimum() {
        let body = "Hi all,\n\nWe moved the build to the new runners this week.\nIt takes 4 minutes now.\n\nThe old ones go away on Friday, so please rebase open branches before then.\n\nThird paragraph never shown.";
        let e = excerpt(body, 100, 400);
        assert_eq!(
            e,
            [
                "We moved the build to the new runners this week. It takes 4 minutes now.",
                "The old ones go away on Friday, so please rebase open branches before then."
            ]
        );
    }

    #[test]
    fn a_long_paragraph_is_cut_at_a_sentence_or_word() {
        let long = "First sentence is here. ".repeat(30);
        let e = excerpt(&long, 100, 200);
        assert_eq!(e.len(), 1);
        assert!(e[0].ends_with('.'), "{e:?}");
        assert!(e[0].chars().count() <= 200);
        let words = "word ".repeat(100);
        let e = excerpt(&words, 100, 120);
        assert!(e[0].ends_with("word…"), "{e:?}");
    }

    #[test]
    fn quotes_and_empty_bodies_give_nothing_quoted() {
        assert!(excerpt("> quoted\n>> more\n", 100, 400).is_empty());
        assert!(excerpt("", 100, 400).is_empty());
        assert_eq!(excerpt("Short.", 100, 400), ["Short."]);
        // A multi-byte body is cut on a character boundary.
        let jp = "これはテストです。".repeat(60);
        let e = excerpt(&jp, 100, 150);
        assert!(e[0].ends_with('。'));
    }
}
