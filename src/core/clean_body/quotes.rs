//! Finding quoted history: `>` blocks with their attribution lines, and the point from which
//! everything is history (Outlook header blocks, "-----Original Message-----", forwards).

use regex::Regex;
use std::sync::LazyLock;

use super::attribution::{is_strong, is_weak};
use super::lexicon::{email_in, header_key, HeaderKey, FORWARD_MARKER, ORIGINAL_MESSAGE};
use super::lines::{is_rule, Line};

/// Lines `start..end` form an attribution ("On … wrote:"), possibly wrapped over several lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Attribution {
    pub start: usize,
    pub end: usize,
    /// Has a date or an address and a known shape: may stand alone without `>` quoting after it.
    pub strong: bool,
}

/// A long attribution is wrapped by the client (Gmail at 78 columns) over at most this many
/// lines: `On … Anna Smith <` / `anna@x.com> wrote:`.
const MAX_WRAPPED: usize = 3;

/// Does an attribution end at line `j`? Only lines of the same quote depth are joined.
pub(crate) fn attribution_ending_at(lines: &[Line], j: usize) -> Option<Attribution> {
    let text = &lines[j].text;
    if text.is_empty() || !(text.ends_with(':') || text.ends_with('：')) {
        return None;
    }
    if is_strong(text) && !continues_wrapped(lines, j) {
        return Some(Attribution {
            start: j,
            end: j + 1,
            strong: true,
        });
    }
    let mut joined = text.to_string();
    for start in (j.saturating_sub(MAX_WRAPPED - 1)..j).rev() {
        let prev = &lines[start];
        // A wrapped line breaks mid-phrase: a finished sentence above is the author's text.
        if prev.is_blank()
            || prev.depth != lines[j].depth
            || prev.text.ends_with(['.', '!', '?', ':', '：', '。'])
        {
            break;
        }
        joined = join_wrapped(&prev.text, &joined);
        if is_strong(&joined) {
            return Some(Attribution {
                start,
                end: j + 1,
                strong: true,
            });
        }
    }
    if is_weak(text) {
        return Some(Attribution {
            start: j,
            end: j + 1,
            strong: false,
        });
    }
    None
}

/// Is line `j`, complete as it is, the tail of an attribution wrapped from the line above?
/// Gmail breaks after `<`, or after the address when the name comes first
/// (`Ayşe <a@x>, 4 Mar` / `2025 Sal, 12:30 tarihinde şunu yazdı:`).
fn continues_wrapped(lines: &[Line], j: usize) -> bool {
    let Some(prev) = j.checked_sub(1).map(|k| &lines[k]) else {
        return false;
    };
    if prev.is_blank() || prev.depth != lines[j].depth {
        return false;
    }
    let joined = join_wrapped(&prev.text, &lines[j].text);
    (prev.text.ends_with('<')
        || prev.text.ends_with('(')
        || (email_in(&prev.text).is_some() && email_in(&lines[j].text).is_none()))
        && is_strong(&joined)
}

/// Two lines of a wrapped attribution as one: no space after an opening `<` or `(`.
pub(crate) fn join_wrapped(first: &str, second: &str) -> String {
    if first.ends_with('<') || first.ends_with('(') {
        format!("{first}{second}")
    } else {
        format!("{first} {second}")
    }
}

/// An attribution starting at line `i` (the forward-looking twin of [`attribution_ending_at`]).
pub(crate) fn attribution_starting_at(lines: &[Line], i: usize) -> Option<Attribution> {
    (i..lines.len().min(i + MAX_WRAPPED))
        .filter_map(|j| attribution_ending_at(lines, j))
        .find(|a| a.start == i)
}

/// A short label between rules (`-------- Исходное сообщение --------`, any language): a
/// separator when a header block follows.
static LABELLED_RULE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[-=_*]{3,}\s*[^-=_*\s][^-=_*]{1,50}?\s*[-=_*]{3,}$").unwrap());

/// A separator line of unknown wording right above a header block (within two lines).
pub(crate) fn is_labelled_separator(lines: &[Line], i: usize) -> bool {
    LABELLED_RULE.is_match(&lines[i].text)
        && (i + 1..lines.len().min(i + 3))
            .find(|&k| !lines[k].is_blank())
            .is_some_and(|k| {
                lines[k].depth == lines[i].depth && header_block_at(lines, k).is_some()
            })
}

pub(crate) fn is_separator(text: &str) -> bool {
    text.len() >= 10
        && (text.starts_with('-')
            || text.starts_with('—')
            || !text.is_ascii()
            || text.ends_with(':'))
        && (ORIGINAL_MESSAGE.is_match(text) || FORWARD_MARKER.is_match(text))
}

/// Outlook-style underscores line that precedes a header block in OWA/Outlook mobile replies.
fn is_underscore_rule(text: &str) -> bool {
    text.len() >= 10 && text.chars().all(|c| c == '_')
}

/// Header block (`From:` / `Sent:` / `To:` / `Subject:` …) starting at `i`, at quote depth of
/// line `i`. Returns the end (exclusive). Needs three header lines including a sender and a
/// date or subject, so "From: …" in prose does not count.
pub(crate) fn header_block_at(lines: &[Line], i: usize) -> Option<usize> {
    let depth = lines[i].depth;
    let (mut from, mut date, mut subject, mut count) = (false, false, false, 0);
    let mut j = i;
    while j < lines.len() && lines[j].depth == depth {
        let Some((key, _)) = header_key(&lines[j].text) else {
            break;
        };
        match key {
            HeaderKey::From => from = true,
            HeaderKey::Date => date = true,
            HeaderKey::Subject => subject = true,
            _ => {}
        }
        count += 1;
        j += 1;
    }
    (count >= 3 && from && (date || subject)).then_some(j)
}

/// Where the trailing history starts, if anywhere: the first separator, header block or
/// free-standing attribution (one not followed by `>` quoting, e.g. Yahoo, Outlook) at depth 0.
pub(crate) fn find_cut(lines: &[Line], limit: usize) -> Option<usize> {
    for i in 0..limit {
        let line = &lines[i];
        if line.depth != 0 || line.is_blank() {
            continue;
        }
        if is_separator(&line.text) || is_labelled_separator(lines, i) {
            return Some(i);
        }
        if header_block_at(lines, i).is_some() {
            // Pull in the underscores line OWA and Outlook mobile put right above the block.
            let prev = (0..i).rev().find(|&k| !lines[k].is_blank());
            if let Some(k) = prev.filter(|&k| i - k <= 2 && is_underscore_rule(&lines[k].text)) {
                return Some(k);
            }
            return Some(i);
        }
        if let Some(a) = attribution_starting_at(lines, i) {
            if a.strong && !followed_by_quote(lines, a.end, limit) {
                return Some(i);
            }
        }
    }
    None
}

/// Is the next non-blank line after `from` (within a few lines) a `>` quote?
pub(crate) fn followed_by_quote(lines: &[Line], from: usize, limit: usize) -> bool {
    lines[from..limit]
        .iter()
        .take(4)
        .find(|l| !(l.is_blank() && l.depth == 0))
        .is_some_and(|l| l.depth > 0)
}

/// Mark every line in `0..limit` that belongs to a `>` block or its attribution.
pub(crate) fn mark_quote_blocks(lines: &[Line], limit: usize, quoted: &mut [bool]) {
    let mut i = 0;
    while i < limit {
        if lines[i].depth == 0 {
            i += 1;
            continue;
        }
        // A block: `>` lines, with blank lines inside it when more `>` lines follow.
        let start = i;
        let mut end = i;
        let mut j = i;
        while j < limit && (lines[j].depth > 0 || (lines[j].is_blank())) {
            if lines[j].depth > 0 {
                end = j + 1;
            }
            j += 1;
        }
        for q in quoted.iter_mut().take(end).skip(start) {
            *q = true;
        }
        // Its attribution: the last non-blank line before it (maybe wrapped over two lines).
        if let Some(k) = (0..start).rev().find(|&k| !lines[k].is_blank()) {
            if lines[k].depth == 0 && !quoted[k] {
                if let Some(a) = attribution_ending_at(lines, k) {
                    for q in quoted.iter_mut().take(a.end).skip(a.start) {
                        *q = true;
                    }
                }
            }
        }
        i = end.max(i + 1);
    }
}

/// Lines `[n]: url` that html2text appends for links, at the very end of the text.
pub(crate) fn footnote_start(lines: &[Line]) -> usize {
    let mut start = lines.len();
    for i in (0..lines.len()).rev() {
        let l = &lines[i];
        if l.is_blank() && l.depth == 0 {
            continue;
        }
        if l.depth == 0 && footnote_number(l.raw).is_some() {
            start = i;
        } else {
            break;
        }
    }
    start
}

/// `[12]: https://…` → 12.
pub(crate) fn footnote_number(raw: &str) -> Option<u32> {
    let rest = raw.strip_prefix('[')?;
    let close = rest.find("]: ")?;
    rest[..close].parse().ok()
}

pub(crate) fn is_rule_line(line: &Line) -> bool {
    is_rule(&line.text)
}
