//! Stage 6: rebuild the earlier mails of a conversation from a mail's quoted history, so a group
//! cc'd midway still sees the whole thread ("reconstructed from quotes").
//!
//! Recursive: find the first attribution ("On … wrote:") or header block (Outlook, forwards) in
//! the quote, take the text it introduces (de-quoted one level when it is `>` quoted), run
//! `clean_body` on that text — its body is the earlier mail, its own quote the even earlier
//! history — and recurse into that quote. Quote blocks without a readable attribution are
//! searched for attributions inside them but never become mails themselves.
use crate::core::clean_body::clean_body;
use crate::core::clean_body::lines::{dequote_one, split_lines, Line};
use crate::core::clean_body::quotes::{
    attribution_starting_at, followed_by_quote, footnote_number, footnote_start, header_block_at,
    is_separator,
};
use crate::model::{Address, QuotedMail};

mod author;
mod date;

use author::{parse_attribution, parse_header_block, Header};

/// Quotes nest; a pathological mail should not recurse without bound.
const MAX_LEVELS: usize = 64;

/// Earlier mails found in `quoted` (the `CleanBody::quoted` part), oldest first. Each needs an
/// attribution we can read (author at least); blocks without one are left in the quote.
pub fn reconstruct(quoted: &str) -> Vec<QuotedMail> {
    let lines = split_lines(quoted);
    // html2text link footnotes sit after the quote; each rebuilt mail gets the ones it cites.
    let notes_at = footnote_start(&lines);
    let notes: Vec<(u32, &str)> = lines[notes_at..]
        .iter()
        .filter_map(|l| footnote_number(l.raw).map(|n| (n, l.raw)))
        .collect();
    let mut out = Vec::new();
    rebuild(&lines[..notes_at], &notes, 0, &mut out);
    out
}

fn rebuild(lines: &[Line], notes: &[(u32, &str)], level: usize, out: &mut Vec<QuotedMail>) {
    if level > MAX_LEVELS {
        return;
    }
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if line.is_blank() && line.depth == 0 {
            i += 1;
            continue;
        }
        if line.depth > 0 {
            // A quote with no attribution of its own: look one level down for older mails.
            let end = quote_run_end(lines, i);
            let inner = dequoted(&lines[i..end]);
            rebuild(&split_lines(&inner), notes, level + 1, out);
            i = end;
            continue;
        }
        if is_separator(&line.text) {
            i += 1;
            continue;
        }
        if let Some(end) = header_block_at(lines, i) {
            // Outlook style: the mail is everything below its header block.
            let header = parse_header_block(&lines[i..end]);
            emit(header, &raw_text(&lines[end..]), notes, level, out);
            return;
        }
        if let Some(a) = attribution_starting_at(lines, i) {
            let text = lines[a.start..a.end]
                .iter()
                .map(|l| l.text.as_ref())
                .collect::<Vec<_>>();
            let joined = if text.len() == 2 && (text[0].ends_with('<') || text[0].ends_with('(')) {
                text.concat()
            } else {
                text.join(" ")
            };
            let header = parse_attribution(&joined);
            if followed_by_quote(lines, a.end, lines.len()) {
                let end = quote_run_end(lines, a.end);
                emit(header, &dequoted(&lines[a.end..end]), notes, level, out);
                i = end;
                continue;
            }
            // Attribution above unquoted text (Yahoo, or Apple Mail's inside a quote).
            emit(header, &raw_text(&lines[a.end..]), notes, level, out);
            return;
        }
        i += 1;
    }
}

/// Turn the text of one earlier mail into a [`QuotedMail`], after the even older ones.
fn emit(
    header: Header,
    text: &str,
    notes: &[(u32, &str)],
    level: usize,
    out: &mut Vec<QuotedMail>,
) {
    let clean = clean_body(text, false);
    rebuild(&split_lines(&clean.quoted), notes, level + 1, out);
    if !header.readable() {
        return;
    }
    let mut body = clean.body;
    let mut first_note = true;
    for (n, note) in notes {
        if body.contains(&format!("][{n}]")) {
            body.push_str(if first_note { "\n\n" } else { "\n" });
            body.push_str(note);
            first_note = false;
        }
    }
    out.push(QuotedMail {
        author: Address::new(
            header.name.as_deref(),
            header.email.as_deref().unwrap_or(""),
        ),
        date: header.date,
        subject: header.subject,
        body,
    });
}

/// End of the `>` run starting at `from` (blank lines inside it included, trailing ones not).
fn quote_run_end(lines: &[Line], from: usize) -> usize {
    let mut end = from;
    for (k, l) in lines.iter().enumerate().skip(from) {
        if l.depth > 0 {
            end = k + 1;
        } else if !l.is_blank() {
            break;
        }
    }
    end
}

fn dequoted(lines: &[Line]) -> String {
    lines
        .iter()
        .map(|l| dequote_one(l.raw))
        .collect::<Vec<_>>()
        .join("\n")
}

fn raw_text(lines: &[Line]) -> String {
    lines.iter().map(|l| l.raw).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unattributed_quote_is_not_a_mail() {
        assert!(reconstruct("> Can we ship on Friday?").is_empty());
        assert!(reconstruct("").is_empty());
    }

    #[test]
    fn gmail_two_levels() {
        let q = "On Wed, Mar 5, 2025 at 9:15 AM Bob <bob@x.com> wrote:\n\n> Yes.\n>\n> On Tue, Mar 4, 2025 at 6:30 PM Alice <alice@x.com> wrote:\n>\n>> Ready?\n";
        let mails = reconstruct(q);
        assert_eq!(mails.len(), 2);
        assert_eq!(mails[0].author.email, "alice@x.com");
        assert_eq!(mails[0].body, "Ready?");
        assert_eq!(mails[1].author.name.as_deref(), Some("Bob"));
        assert_eq!(mails[1].body, "Yes.");
    }
}
