//! Body text: HTML → plain text, format=flowed, and the normalisation every body gets.
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::LazyLock;

use html2text::render::{TaggedLine, TextDecorator};
use regex::Regex;

/// Render width for HTML: wide enough that html2text never re-wraps a paragraph, so line
/// structure (attribution lines, signatures) survives for the body cleaner.
const HTML_WIDTH: usize = 10_000;

/// HTML to plain text for bodies: blockquotes become `> ` lines (quote detection relies on
/// them), emphasis becomes bare text, links keep their target inline: `text (https://…)`,
/// `name <a@x>` (see [`inline_links`]).
pub(super) fn html_to_text(html: &str) -> String {
    // The HTML5 tree builder's work grows with size × nesting (20,000 nested divs take
    // seconds); such markup is hostile or broken, and the linear converter is good enough for it.
    if crate::core::html_shape::check(html).is_err() {
        return mail_parser::decoders::html::html_to_text(html);
    }
    // html2text is a large third-party renderer; a bug there must cost one body, not the daemon.
    // Our link markers must not come from the mail itself.
    let html = html.replace([LINK_OPEN, LINK_MID, LINK_CLOSE], "");
    let rendered = catch_unwind(AssertUnwindSafe(|| {
        html2text::config::with_decorator(MailDecorator)
            .no_table_borders()
            .allow_width_overflow()
            .link_footnotes(false)
            .string_from_read(collapsible_nbsp(&html).as_bytes(), HTML_WIDTH)
            .ok()
    }));
    match rendered {
        Ok(Some(text)) => inline_links(&text),
        _ => mail_parser::decoders::html::html_to_text(&html),
    }
}

/// Non-breaking and zero-width spaces in text, as characters or character references.
static SPACE_CHARS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        "\u{a0}|\u{200b}|&(?:nbsp;?|NonBreakingSpace;|ZeroWidthSpace;\
         |Negative(?:VeryThin|Thin|Medium|Thick)Space;|#[xX]([0-9a-fA-F]+);?|#([0-9]+);?)",
    )
    .unwrap()
});

/// The text html2text 0.14 rendered, which the body rules are built on: it collapsed a
/// non-breaking space like any space (Outlook's `<p>&nbsp;</p>` blank line vanished) and kept
/// a zero-width space as a character. Later versions keep NBSP as content and drop ZWSP, which
/// adds or removes blank lines and moves signature splits. So, outside tags, NBSP becomes a
/// space and ZWSP a word joiner (U+2060, a character to html2text; [`normalise`] drops both).
fn collapsible_nbsp(html: &str) -> std::borrow::Cow<'_, str> {
    if !html.contains(['\u{a0}', '\u{200b}', '&']) {
        return html.into();
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = next_tag(rest) {
        out.push_str(&SPACE_CHARS.replace_all(&rest[..lt], old_space));
        let end = rest[lt..].find('>').map_or(rest.len(), |g| lt + g + 1);
        out.push_str(&rest[lt..end]);
        rest = &rest[end..];
    }
    out.push_str(&SPACE_CHARS.replace_all(rest, old_space));
    out.into()
}

/// Where the next tag starts: `<` and a letter, `/`, `!` or `?` (a lone `<` is text).
fn next_tag(s: &str) -> Option<usize> {
    s.match_indices('<').map(|(i, _)| i).find(|&i| {
        s[i + 1..].starts_with(|c: char| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'))
    })
}

/// What html2text 0.14 made of one [`SPACE_CHARS`] match, as text html2text 0.17 renders
/// the same way.
fn old_space(c: &regex::Captures) -> String {
    let number = (c.get(1).map(|h| u32::from_str_radix(h.as_str(), 16)))
        .or_else(|| c.get(2).map(|d| d.as_str().parse::<u32>()));
    let ch = match number {
        Some(n) => n.ok().and_then(char::from_u32),
        None if c[0].starts_with("&nbsp") || matches!(&c[0], "\u{a0}" | "&NonBreakingSpace;") => {
            Some('\u{a0}')
        }
        None => Some('\u{200b}'),
    };
    match ch {
        Some('\u{a0}') => " ".into(),
        Some('\u{200b}') => "\u{2060}".into(),
        _ => c[0].to_string(),
    }
}

/// Private-use characters the decorator wraps links in: OPEN url MID text CLOSE.
const LINK_OPEN: char = '\u{f8f0}';
const LINK_MID: char = '\u{f8f1}';
const LINK_CLOSE: char = '\u{f8f2}';

static MARKED_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        "(?s){LINK_OPEN}([^{LINK_MID}]*){LINK_MID}([^{LINK_OPEN}{LINK_CLOSE}]*){LINK_CLOSE}"
    ))
    .unwrap()
});
static STRAY_MARK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        "{LINK_OPEN}[^{LINK_MID}]*{LINK_MID}|[{LINK_OPEN}{LINK_MID}{LINK_CLOSE}]"
    ))
    .unwrap()
});

/// Links as plain text that keeps where they point: "Announce in #releases
/// (https://chat.example/releases)", "write to the team <team@x.example>". The target is left
/// out when the text already shows it (a URL or address as link text, Outlook's safelinks
/// around a written URL), for other schemes (`tel:`, `cid:`, anchors) and for image-only links.
fn inline_links(rendered: &str) -> String {
    if !rendered.contains(LINK_OPEN) {
        return rendered.to_string();
    }
    let out = MARKED_LINK.replace_all(rendered, |c: &regex::Captures| {
        let (target, text) = (&c[1], &c[2]);
        match link_target(target, text) {
            Some(shown) => format!("{text}{shown}"),
            None => text.to_string(),
        }
    });
    STRAY_MARK.replace_all(&out, "").into_owned()
}

/// What to append to a link's text: ` (url)`, ` <address>`, or nothing.
fn link_target(target: &str, text: &str) -> Option<String> {
    let target = target.trim();
    let visible = text.trim();
    if visible.is_empty() || visible.contains('\n') {
        return None;
    }
    let lower = target.to_ascii_lowercase();
    if let Some(addr) = lower.strip_prefix("mailto:") {
        let addr = addr
            .split('?')
            .next()
            .unwrap_or_default()
            .replace("%40", "@");
        let shown = visible.to_lowercase().contains(&addr) || !addr.contains('@');
        return (!shown).then(|| format!(" <{addr}>"));
    }
    if !(lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("ftp://"))
    {
        return None;
    }
    let shows_url = |t: &str| {
        let t = t.to_ascii_lowercase();
        t.starts_with("http://") || t.starts_with("https://") || t.starts_with("www.")
    };
    if shows_url(visible) || bare(visible) == bare(target) {
        return None;
    }
    Some(format!(" ({target})"))
}

/// A URL without scheme, `www.` and trailing slash, for comparing it with link text.
fn bare(url: &str) -> String {
    let l = url.trim().to_ascii_lowercase();
    let l = l.split_once("://").map_or(l.as_str(), |(_, rest)| rest);
    let l = l.strip_prefix("www.").unwrap_or(l);
    l.trim_end_matches('/').to_string()
}

/// Plain rendering for mail: like html2text's `PlainDecorator` but without `[link]` brackets or
/// footnotes, header hashes or image titles, which would read as noise in a post.
#[derive(Clone, Debug)]
struct MailDecorator;

impl TextDecorator for MailDecorator {
    type Annotation = ();

    // The target travels in the text between markers; `inline_links` decides how to show it.
    fn decorate_link_start(&mut self, url: &str) -> (String, ()) {
        let url = url.replace([LINK_MID, LINK_OPEN, LINK_CLOSE, '\n'], "");
        (format!("{LINK_OPEN}{url}{LINK_MID}"), ())
    }
    fn decorate_link_end(&mut self) -> String {
        LINK_CLOSE.to_string()
    }
    fn decorate_em_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_em_end(&self) -> String {
        String::new()
    }
    fn decorate_strong_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_strong_end(&self) -> String {
        String::new()
    }
    fn decorate_strikeout_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_strikeout_end(&self) -> String {
        String::new()
    }
    fn decorate_code_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_code_end(&self) -> String {
        String::new()
    }
    fn decorate_preformat_first(&self) {}
    fn decorate_preformat_cont(&self) {}
    fn decorate_image(&mut self, _src: &str, _title: &str) -> (String, ()) {
        (String::new(), ())
    }
    fn header_prefix(&self, _level: usize) -> String {
        String::new()
    }
    fn quote_prefix(&self) -> String {
        "> ".to_string()
    }
    fn unordered_item_prefix(&self) -> String {
        "- ".to_string()
    }
    fn ordered_item_prefix(&self, i: i64) -> String {
        format!("{i}. ")
    }
    fn make_subblock_decorator(&self) -> Self {
        MailDecorator
    }
    fn decorate_superscript_start(&self) -> (String, ()) {
        (String::new(), ())
    }
    fn decorate_superscript_end(&self) -> String {
        String::new()
    }
    fn finalise(&mut self, _urls: Vec<String>) -> Vec<TaggedLine<()>> {
        Vec::new()
    }
}

/// RFC 3676 format=flowed: a line ending in a space continues on the next line (same quote
/// depth). Space-stuffing is undone. With `DelSp=yes` the soft-break space is not content.
pub(super) fn unflow(text: &str, delsp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    // The paragraph being joined: its quote depth, and whether the last line was soft.
    let mut open: Option<usize> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let depth = line.bytes().take_while(|&b| b == b'>').count();
        let content = &line[depth..];
        let content = content.strip_prefix(' ').unwrap_or(content);
        let is_sig = content == "-- ";
        let soft = content.ends_with(' ') && !is_sig;
        match open {
            Some(d) if d == depth && !is_sig => {}
            _ => {
                if open.is_some() {
                    out.push('\n');
                }
                if depth > 0 {
                    out.push_str(&">".repeat(depth));
                    out.push(' ');
                }
            }
        }
        let content = if soft && delsp {
            &content[..content.len() - 1]
        } else {
            content
        };
        out.push_str(content);
        if soft {
            open = Some(depth);
        } else {
            out.push('\n');
            open = None;
        }
    }
    if open.is_some() {
        out.push('\n');
    }
    // `split` yields a final empty segment for text ending in '\n'; drop the line it added.
    if !text.ends_with('\n') || text.is_empty() {
        if out.ends_with('\n') {
            out.pop();
        }
    } else if out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The normalisation every body gets: LF line ends, no trailing blanks (except the `-- `
/// signature delimiter, which the body cleaner relies on), non-breaking spaces as spaces,
/// no NULs or zero-width characters (PostgreSQL text cannot hold NUL), no leading blank
/// lines, no trailing whitespace.
pub(super) fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut started = false;
    let text: std::borrow::Cow<str> = if text.contains('\r') {
        text.replace("\r\n", "\n").into()
    } else {
        text.into()
    };
    for line in text.split(['\n', '\r']) {
        let trimmed = line.trim_end_matches([' ', '\t', '\u{a0}']);
        if !started && trimmed.trim().is_empty() {
            continue;
        }
        started = true;
        let keep_delim = trimmed.trim_start_matches(['>', ' ']) == "--" && line.ends_with("-- ");
        let line = if keep_delim {
            &line[..trimmed.len() + 1]
        } else {
            trimmed
        };
        // Most lines are plain ASCII with nothing to drop: copy them whole.
        if line.bytes().all(|b| b != 0 && b.is_ascii()) {
            out.push_str(line);
        } else {
            for c in line.chars() {
                match c {
                    '\0' | '\u{200b}' | '\u{feff}' | '\u{200c}' | '\u{200d}' | '\u{2060}' => {}
                    '\u{a0}' | '\u{202f}' => out.push(' '),
                    c => out.push(c),
                }
            }
        }
        out.push('\n');
    }
    let end = out.trim_end().len();
    out.truncate(end);
    out
}

/// Header-ish strings (subject, names): single line, no control characters, trimmed.
pub(super) fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            if c != '\0' && c != '\u{feff}' {
                space = true;
            }
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_blockquote_becomes_quote_lines() {
        let html = "<html><head><style>p{color:red}</style><title>t</title></head><body>\
            <p>Sounds <b>good</b>, see <a href=\"https://x.example/a\">the doc</a>.</p>\
            <div>On Mon, Alice wrote:</div><blockquote><p>Ship it?</p><p>Second</p></blockquote>\
            </body></html>";
        let t = html_to_text(html);
        assert!(
            t.contains("Sounds good, see the doc (https://x.example/a)."),
            "{t}"
        );
        assert!(t.contains("> Ship it?"), "{t}");
        assert!(t.contains("> Second"), "{t}");
        assert!(!t.contains("color"), "{t}");
    }

    #[test]
    fn links_keep_their_targets() {
        let t = html_to_text(
            "<p>Announce in <a href=\"https://chat.example/channels/releases\">#releases</a>.</p>\
             <p>Notes: <a href=\"https://wiki.example/notes/\">wiki.example/notes</a>, \
             <a href=\"https://eur01.safelinks.protection.outlook.com/?url=x\">https://x.example/</a></p>\
             <p>Ask <a href=\"mailto:team@x.example?subject=Hi\">the team</a> or \
             <a href=\"mailto:anna@x.example\">anna@x.example</a>.</p>\
             <p><a href=\"https://x.example/logo\"><img src=\"cid:logo\"></a>\
             <a href=\"tel:+4930123\">+49 30 123</a> <a href=\"#top\">top</a></p>",
        );
        assert!(
            t.contains("Announce in #releases (https://chat.example/channels/releases)."),
            "{t}"
        );
        assert!(
            t.contains("Notes: wiki.example/notes, https://x.example/"),
            "{t}"
        );
        assert!(
            t.contains("Ask the team <team@x.example> or anna@x.example."),
            "{t}"
        );
        assert!(t.contains("+49 30 123 top"), "{t}");
        assert!(!t.contains(['\u{f8f0}', '\u{f8f1}', '\u{f8f2}']), "{t}");
        // Markers typed into the mail are not ours.
        let t = html_to_text("<p>a\u{f8f0}b\u{f8f1}c\u{f8f2}d</p>");
        assert_eq!(t.trim(), "abcd");
    }

    /// Expected texts are what html2text 0.14 gave for the same HTML.
    #[test]
    fn nbsp_collapses_and_zwsp_stays_as_in_html2text_0_14() {
        let text = |html: &str| normalise(&html_to_text(html));
        assert_eq!(text("<div>a</div><div>&nbsp;</div><div>b</div>"), "a\nb");
        assert_eq!(text("<div>a<br>&nbsp;<br>b</div>"), "a\n\nb");
        assert_eq!(text("<p>a</p><p>&#8203;</p><p>b</p>"), "a\n\n\n\nb");
        assert_eq!(
            text("<p>Thanks,&#160;</p><p>Tom&#xA0;Lee&nbsp</p>"),
            "Thanks,\n\nTom Lee"
        );
        assert_eq!(
            text(
                "<blockquote><p>a</p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p>b</p></blockquote>"
            ),
            "> a\n>\n>\n> b"
        );
        assert_eq!(
            text("<p>x&ZeroWidthSpace;y&NegativeThinSpace;z&NonBreakingSpace;w</p>"),
            "xyz w"
        );
        // Attributes are left alone; a lone `<` is text; other references are kept.
        assert_eq!(
            text("<p>See <a href=\"https://x.example/?q=a&nbsp=1\">the list</a>.</p>"),
            "See the list (https://x.example/?q=a&nbsp=1)."
        );
        assert_eq!(text("<p>a < b&nbsp;&nbsp;c &#1601;</p>"), "a < b c \u{641}");
    }

    #[test]
    fn html_long_lines_not_wrapped() {
        let long = "word ".repeat(400);
        let t = html_to_text(&format!("<p>{long}</p>"));
        assert_eq!(t.trim_end().lines().count(), 1, "{t}");
    }

    #[test]
    fn deep_html_does_not_crash() {
        let html = "<blockquote>".repeat(3000) + "deep" + &"</blockquote>".repeat(3000);
        let _ = html_to_text(&html);
        let html = "<div>".repeat(20_000) + "deep";
        assert_eq!(html_to_text(&html).trim(), "deep");
    }

    #[test]
    fn flowed_joins_soft_breaks() {
        let t =
            "This is a long \r\nparagraph.\r\n> quoted soft \r\n> continues\r\n \r\n-- \r\nSig\r\n";
        assert_eq!(
            unflow(t, false),
            "This is a long paragraph.\n> quoted soft continues\n\n-- \nSig\n"
        );
        assert_eq!(unflow("a \nb", true), "ab");
        assert_eq!(unflow(" >From stuffed", false), ">From stuffed");
        assert_eq!(unflow("", false), "");
    }

    #[test]
    fn normalise_keeps_sig_delimiter() {
        let t = "\r\n\r\nHello  \r\nthere\u{a0}\t\r\n-- \r\nBob \r\n> -- \r\n\r\n";
        assert_eq!(normalise(t), "Hello\nthere\n-- \nBob\n> --");
        assert_eq!(normalise("a\0b\u{200b}c\u{a0}d"), "abc d");
        assert_eq!(normalise("old\rmac"), "old\nmac");
    }

    #[test]
    fn one_line_folds() {
        assert_eq!(
            one_line("  Re:\r\n\t launch\u{0}  plan "),
            "Re: launch plan"
        );
    }
}
