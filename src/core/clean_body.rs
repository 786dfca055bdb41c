//! Stage 5: split the author's new text from quoted history, sign-off, signature and disclaimer.
//!
//! Line based, in three passes (rules per client and language in `docs/BODY_CLEANING.md`):
//! 1. history: the first Outlook header block, "-----Original Message-----", forward marker or
//!    free-standing attribution cuts off everything below it; above that, `>` blocks and the
//!    attribution line right before each are quoted (this is what keeps interleaved replies);
//! 2. the author's remaining lines are read bottom-up for disclaimer, signature and sign-off;
//! 3. html2text link footnotes follow the line that references them.
//!
//! Every non-blank input line lands in exactly one part, verbatim (trailing spaces trimmed);
//! runs of blank lines become one, and separate fragments are joined with a blank line.
use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::model::CleanBody;

pub(crate) mod attribution;
pub(crate) mod lexicon;
pub(crate) mod lines;
pub(crate) mod quotes;
mod tail;

use lines::{split_lines, Line};
use quotes::{find_cut, footnote_number, footnote_start, is_rule_line, mark_quote_blocks};
use tail::Item;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Body,
    Quoted,
    Signoff,
    Signature,
    Disclaimer,
}

/// `from_html` says the text came from html2text (HTML-only mail), whose quoting looks different.
pub fn clean_body(text: &str, from_html: bool) -> CleanBody {
    let lines = split_lines(text);
    let parts = classify(&lines, from_html);
    CleanBody {
        body: join(&lines, &parts, Part::Body),
        quoted: join(&lines, &parts, Part::Quoted),
        signoff: join(&lines, &parts, Part::Signoff),
        signature: join(&lines, &parts, Part::Signature),
        disclaimer: join(&lines, &parts, Part::Disclaimer),
    }
}

/// The part each line belongs to: [`clean_body`] before the parts are joined. The quote
/// history runs it on lines it already holds, without joining and splitting them again.
pub(crate) fn classify(lines: &[Line], from_html: bool) -> Vec<Part> {
    let n = lines.len();
    let mut parts = vec![Part::Body; n];

    // html2text appends "[n]: url" for every link; they are placed after classification.
    let notes = if from_html { footnote_start(lines) } else { n };

    // 1. History.
    let cut = find_cut(lines, notes).unwrap_or(notes);
    let mut quoted = vec![false; n];
    mark_quote_blocks(lines, cut, &mut quoted);
    for (i, p) in parts.iter_mut().enumerate().take(notes) {
        if i >= cut || quoted[i] {
            *p = Part::Quoted;
        }
    }

    // 2. The author's lines, bottom-up.
    let items = author_items(lines, &parts, cut);
    tail::analyse(lines, &items, &mut parts);

    // 3. Footnotes go where they are referenced.
    if notes < n {
        let cited = first_citations(&lines[..notes]);
        let fallback = (0..notes)
            .rev()
            .find(|&k| !lines[k].is_blank())
            .map_or(Part::Body, |k| parts[k]);
        for i in notes..n {
            if !lines[i].is_blank() {
                let at = footnote_number(lines[i].raw).and_then(|num| cited.get(&num));
                // Unreferenced notes stay with whatever came last.
                parts[i] = at.map_or(fallback, |&k| parts[k]);
            }
        }
    }
    parts
}

/// Non-blank unquoted lines above the cut, with paragraph numbers (a blank line, a quote in
/// between or a rule line starts a new paragraph).
fn author_items(lines: &[Line], parts: &[Part], cut: usize) -> Vec<Item> {
    let mut items = Vec::new();
    let mut para = 0;
    let mut prev: Option<usize> = None;
    for i in 0..cut {
        if parts[i] != Part::Body || lines[i].is_blank() {
            continue;
        }
        if let Some(p) = prev {
            if i != p + 1 || is_rule_line(&lines[i]) {
                para += 1;
            }
        }
        items.push(Item { idx: i, para });
        prev = Some(i);
    }
    items
}

/// Footnote number → first line citing it as html2text writes links: `[text][n]`.
fn first_citations(lines: &[Line]) -> HashMap<u32, usize> {
    static CITE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\]\[(\d+)\]").unwrap());
    let mut cited = HashMap::new();
    for (k, line) in lines.iter().enumerate() {
        if line.raw.contains("][") {
            for c in CITE.captures_iter(line.raw) {
                if let Ok(num) = c[1].parse() {
                    cited.entry(num).or_insert(k);
                }
            }
        }
    }
    cited
}

pub(crate) fn join(lines: &[Line], parts: &[Part], which: Part) -> String {
    let mut out = String::new();
    let mut last: Option<usize> = None;
    for (i, line) in lines.iter().enumerate() {
        // Lines with nothing visible (spaces, BOMs, zero-width spaces) are blank lines.
        if parts[i] != which || (line.is_blank() && line.depth == 0) {
            continue;
        }
        if let Some(l) = last {
            out.push_str(if i == l + 1 { "\n" } else { "\n\n" });
        }
        out.push_str(line.raw);
        last = Some(i);
    }
    out
}

/// `split_lines(&join(lines, parts, which))` without the text: the same lines, borrowed (a
/// line is a function of its raw text), with a blank line where [`join`] puts one.
pub(crate) fn join_lines<'a>(lines: &'a [Line], parts: &[Part], which: Part) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    let mut last: Option<usize> = None;
    for (i, line) in lines.iter().enumerate() {
        if parts[i] != which || (line.is_blank() && line.depth == 0) {
            continue;
        }
        if last.is_some_and(|l| i != l + 1) {
            out.push(Line::BLANK);
        }
        out.push(line.borrowed());
        last = Some(i);
    }
    if out.is_empty() {
        out.push(Line::BLANK);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_post_gmail() {
        let c = clean_body(
            "Sounds good.\n\nBest,\nTom\n\nOn Mon, Mar 3, 2025 at 10:02 AM Anna <a@x.com> wrote:\n\n> Hi\n>\n> Anna\n",
            false,
        );
        assert_eq!(c.body, "Sounds good.");
        assert_eq!(c.signoff, "Best,\nTom");
        assert!(c.quoted.starts_with("On Mon"));
    }

    #[test]
    fn large_and_deep_inputs_finish() {
        // Shape checks only (no timing): a long body and a very deep quote chain.
        let long = "Some text of a long report line, nothing special here.\n".repeat(20_000);
        assert_eq!(clean_body(&long, false).body.lines().count(), 20_000);
        let mut deep = String::from("Top.\n");
        for level in 1..=300 {
            deep.push_str(&format!(
                "{} On Mon, Mar 3, 2025 at 10:02 AM P{level} <p{level}@x.com> wrote:\n",
                ">".repeat(level - 1)
            ));
            deep.push_str(&format!("{} text {level}\n", ">".repeat(level)));
        }
        let c = clean_body(&deep, false);
        assert_eq!(c.body, "Top.");
        let mails = crate::core::quote_history::reconstruct(&c.quoted, Default::default());
        // Over 60 levels are read; one mail rebuilds at most MAX_ENTRIES of them.
        assert_eq!(mails.len(), crate::core::quote_history::MAX_ENTRIES);
    }

    #[test]
    fn prose_is_not_boilerplate() {
        // A last paragraph that only mentions a mailing list or a received invitation is body.
        let c = clean_body("Hi all,\n\nI've added you to the mailing list.\n\nIf you received this invitation twice, ignore one.\n", false);
        assert_eq!(c.body, "Hi all,\n\nI've added you to the mailing list.\n\nIf you received this invitation twice, ignore one.");
        let c = clean_body(
            "Restarted it.\n\nSent from my phone, please excuse typos.\n",
            false,
        );
        assert_eq!(
            (c.body.as_str(), c.signature.as_str()),
            ("Restarted it.", "Sent from my phone, please excuse typos.")
        );
    }

    #[test]
    fn empty_input() {
        assert_eq!(clean_body("", false), CleanBody::default());
        assert_eq!(clean_body("\n\n", true), CleanBody::default());
    }
}
