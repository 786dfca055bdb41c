//! The line model every rule works on: the raw line (kept verbatim for output) plus its quote
//! depth and a normalised copy of its content (used only for matching).

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

#[derive(Debug, Clone)]
pub(crate) struct Line<'a> {
    /// The input line without `\r` and trailing whitespace: what ends up in the output.
    pub raw: &'a str,
    /// Number of `>` quote markers in front of the content.
    pub depth: usize,
    /// Content after the quote markers, normalised (see [`normalise`]). Empty for blank lines.
    pub text: Cow<'a, str>,
}

impl<'a> Line<'a> {
    /// The line of an empty raw line.
    pub const BLANK: Line<'static> = Line {
        raw: "",
        depth: 0,
        text: Cow::Borrowed(""),
    };

    /// The line of `raw` (one line, no `\n`): what [`split_lines`] makes of it.
    pub fn of(raw: &'a str) -> Self {
        let raw = raw.trim_end();
        let (depth, rest) = quote_depth(raw);
        Line {
            raw,
            depth,
            text: normalise_cow(rest),
        }
    }

    /// The same line, its normalised text borrowed from this one.
    pub fn borrowed(&self) -> Line<'_> {
        Line {
            raw: self.raw,
            depth: self.depth,
            text: Cow::Borrowed(&self.text),
        }
    }

    /// `Line::of(dequote_one(self.raw))`, reusing the normalised text when the content after
    /// the markers is the same (every line of a deeper quote): the quote history dequotes
    /// each level of a deep quote again.
    pub fn dequoted(&self) -> Line<'_> {
        let raw = dequote_one(self.raw);
        if raw.len() == self.raw.len() {
            return self.borrowed();
        }
        let (depth, rest) = quote_depth(raw);
        let (_, old_rest) = quote_depth(self.raw);
        let text = if rest.as_ptr() == old_rest.as_ptr() && rest.len() == old_rest.len() {
            Cow::Borrowed(&*self.text)
        } else {
            normalise_cow(rest)
        };
        Line { raw, depth, text }
    }

    /// No visible content (a `>` line with nothing after it counts as blank too).
    pub fn is_blank(&self) -> bool {
        self.text.is_empty()
    }
}

pub(crate) fn split_lines(text: &str) -> Vec<Line<'_>> {
    text.split('\n').map(Line::of).collect()
}

/// Count leading `>` markers (`>>`, `> >`, up to two spaces of indent) and return the rest.
pub(crate) fn quote_depth(raw: &str) -> (usize, &str) {
    let mut s = raw;
    let indent = s.len() - s.trim_start_matches(' ').len();
    if indent <= 2 && s[indent..].starts_with('>') {
        s = &s[indent..];
    } else {
        return (0, raw);
    }
    let mut depth = 0;
    while let Some(rest) = s.strip_prefix('>') {
        depth += 1;
        s = rest.trim_start_matches(' ');
        // "> > text": markers separated by single spaces are still markers.
    }
    (depth, s)
}

/// Remove one level of quoting: the first `>` and one space after it.
pub(crate) fn dequote_one(raw: &str) -> &str {
    let t = raw.trim_start_matches(' ');
    match t.strip_prefix('>') {
        Some(rest) => rest.strip_prefix(' ').unwrap_or(rest),
        None => raw,
    }
}

static LINK_MARKUP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[([^\[\]]*)\]\[\d+\]").unwrap());
static ANGLE_URL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<https?://[^>\s]*>").unwrap());
static PAREN_URL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s?\((?:https?|ftp)://[^\s)]*\)").unwrap());

/// Canonical form for matching: invisible characters dropped, exotic spaces and tabs made plain
/// spaces, runs of spaces collapsed, html2text link markup `[text][3]` reduced to `text`, and
/// link targets removed: `<https://…>` (Outlook's plain text) and ` (https://…)` (the parser's
/// rendering of HTML links).
/// [`normalise`] without allocating when the line is already in canonical form (plain ASCII,
/// single spaces, no markup to reduce) — most lines of most mail.
pub(crate) fn normalise_cow(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    // Byte tests first: a substring search is set up only where its first byte occurs (this
    // runs on every line of every body and every quote level rebuilt).
    let canonical = b.iter().all(|&c| c.is_ascii_graphic() || c == b' ')
        && b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
        && !b.windows(2).any(|w| w == b"  " || w == b"][")
        && !(b.contains(&b'<') && s.contains("<http"))
        && !(b.contains(&b'(') && (s.contains("(http") || s.contains("(ftp")));
    if canonical {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(normalise(s))
    }
}

pub(crate) fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        match c {
            // Zero-width characters and the bidi controls Gmail wraps names in for Hebrew/Arabic.
            '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{061c}'
            | '\u{feff}'
            | '\u{00ad}' => {}
            c if c.is_whitespace() => pending_space = true,
            c => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
            }
        }
    }
    if out.contains("][") {
        out = LINK_MARKUP.replace_all(&out, "$1").into_owned();
    }
    if out.contains("<http") {
        out = ANGLE_URL.replace_all(&out, "").trim().to_string();
    }
    if out.contains("(http") || out.contains("(ftp") {
        out = PAREN_URL.replace_all(&out, "").trim().to_string();
    }
    out
}

/// A horizontal rule drawn with characters: `-----`, `_____`, `=====`, html2text's `─────`.
/// The bare signature delimiter `--` is not a rule.
pub(crate) fn is_rule(text: &str) -> bool {
    let n = text.chars().count();
    n >= 5
        && text.chars().all(|c| {
            matches!(
                c,
                '-' | '_' | '=' | '*' | '~' | '─' | '━' | '＝' | '－' | '#' | '+'
            )
        })
}

/// Characters of the CJK scripts (Han, kana, full-width forms).
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xf900..=0xfaff | 0xff00..=0xffef | 0x3000..=0x303f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_and_normalise() {
        assert_eq!(quote_depth("> > hi"), (2, "hi"));
        assert_eq!(quote_depth(">>hi"), (2, "hi"));
        assert_eq!(quote_depth("a > b"), (0, "a > b"));
        assert_eq!(
            normalise("Get Outlook for iOS<https://aka.ms/o0ukef>"),
            "Get Outlook for iOS"
        );
        assert_eq!(
            normalise("Anna <[a@x.com][2]>  wrote:"),
            "Anna <a@x.com> wrote:"
        );
        assert_eq!(normalise("\u{feff}\u{a0}"), "");
        assert_eq!(
            normalise("Announce in #releases (https://chat.example/r) today"),
            "Announce in #releases today"
        );
        assert_eq!(
            normalise("\u{202b}מאת \u{202a}Dana\u{202c}\u{200f}:"),
            "מאת Dana:"
        );
        assert_eq!(normalise("10:02\u{202f}AM"), "10:02 AM");
        assert_eq!(dequote_one("> > x"), "> x");
        assert!(is_rule("──────"));
        assert!(!is_rule("--"));
    }
}
