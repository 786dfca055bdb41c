//! Stage 6: rebuild the earlier mails of a conversation from a mail's quoted history, so a group
//! cc'd midway still sees the whole thread ("reconstructed from quotes").
//!
//! Recursive: find the first attribution ("On … wrote:") or header block (Outlook, forwards) in
//! the quote, take the text it introduces (de-quoted one level when it is `>` quoted), run
//! `clean_body` on that text — its body is the earlier mail, its own quote the even earlier
//! history — and recurse into that quote. Quote blocks without a readable attribution are
//! searched for attributions inside them but never become mails themselves.
use crate::core::clean_body::lines::{split_lines, Line};
use crate::core::clean_body::quotes::{
    attribution_starting_at, followed_by_quote, footnote_number, footnote_start, header_block_at,
    is_separator, join_wrapped,
};
use crate::core::clean_body::{classify, join, join_lines, Part};
use crate::model::{Address, QuotedMail};

mod author;
mod date;
mod zone;

use author::{parse_attribution, parse_header_block, Header};
use zone::Reader;

/// Quotes nest; a pathological mail should not recurse without bound.
const MAX_LEVELS: usize = 64;

/// Earlier mails one mail may rebuild: more than any real thread quotes (a long Outlook
/// thread carries a few dozen). Beyond it the newest are kept: they are the ones closest to the
/// quoting mail. A mail over it is one mbox entry swallowing others (an mboxo file without
/// blank lines before its `From ` lines) or built to flood a group.
pub const MAX_ENTRIES: usize = 50;

/// What the quoted text cannot tell by itself, taken from the mail that quotes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuoteContext {
    /// UTC offset (seconds east) of the quoting mail's Date header. Attribution times written
    /// without a zone are read in it: that is the zone the quoting client displayed them in.
    /// `None`: UTC.
    pub date_offset_secs: Option<i32>,
    /// The quoting mail's Date (unix seconds): with the offset it tells whether the zone keeps
    /// daylight-saving time, for quotes from before a change (see `quote_history::zone`).
    pub date: Option<i64>,
}

/// Earlier mails found in `quoted` (the `CleanBody::quoted` part), oldest first. Each needs an
/// attribution we can read (author at least); blocks without one are left in the quote.
pub fn reconstruct(quoted: &str, ctx: QuoteContext) -> Vec<QuotedMail> {
    let lines = split_lines(quoted);
    // html2text link footnotes sit after the quote; each rebuilt mail gets the ones it cites.
    let notes_at = footnote_start(&lines);
    let notes: Vec<(u32, &str)> = lines[notes_at..]
        .iter()
        .filter_map(|l| footnote_number(l.raw).map(|n| (n, l.raw)))
        .collect();
    let walk = Walk {
        notes: &notes,
        level: 0,
        zone: ctx.date_offset_secs.map(|o| Reader::of_mail(o, ctx.date)),
        shown: None,
    };
    let mut out = Vec::new();
    rebuild(&lines[..notes_at], walk, &mut out);
    if out.len() > MAX_ENTRIES {
        out.drain(..out.len() - MAX_ENTRIES);
    }
    out
}

/// A wall-clock time shown without a zone (`local`, unix seconds as if UTC), read in the zone
/// of someone whose Date header had `offset` at `seen_at`: daylight saving is worked out from
/// that, so a time from before a change is read in the offset it had then.
pub fn read_in_zone(local: i64, offset: i32, seen_at: i64) -> i64 {
    local - i64::from(Reader::of_mail(offset, Some(seen_at)).offset_at(local))
}

/// Where the recursion stands: the footnotes to hand out, the depth, the zone that zone-less
/// times at this level are read in, and whose client wrote this level's attributions.
#[derive(Clone, Copy)]
struct Walk<'a> {
    notes: &'a [(u32, &'a str)],
    level: usize,
    zone: Option<Reader>,
    /// `None` at the first level (the quoting mail's client), else the author of the mail
    /// whose quote this level is, and the zone its attribution wrote, if any.
    shown: Option<(&'a Address, Option<i32>)>,
}

impl Walk<'_> {
    /// One level down, inside a quote block that no attribution introduced: the same client
    /// wrote what it holds.
    fn deeper(self) -> Self {
        Walk {
            level: self.level + 1,
            ..self
        }
    }
}

fn rebuild(lines: &[Line], walk: Walk, out: &mut Vec<QuotedMail>) {
    if walk.level > MAX_LEVELS {
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
            rebuild(&dequoted(&lines[i..end]), walk.deeper(), out);
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
            emit(header, as_text(&lines[end..]), walk, out);
            return;
        }
        if let Some(a) = attribution_starting_at(lines, i) {
            let joined = lines[a.start + 1..a.end]
                .iter()
                .fold(lines[a.start].text.to_string(), |acc, l| {
                    join_wrapped(&acc, &l.text)
                });
            let header = parse_attribution(&joined);
            if followed_by_quote(lines, a.end, lines.len()) {
                let end = quote_run_end(lines, a.end);
                emit(header, dequoted(&lines[a.end..end]), walk, out);
                i = end;
                continue;
            }
            // Attribution above unquoted text (Yahoo, or Apple Mail's inside a quote).
            emit(header, as_text(&lines[a.end..]), walk, out);
            return;
        }
        i += 1;
    }
}

/// Turn the text of one earlier mail into a [`QuotedMail`], after the even older ones. `lines`
/// are the lines of its text (as [`split_lines`] makes them): each level of a deep quote is
/// cleaned from lines already split, not from text joined and split again.
fn emit(header: Header, lines: Vec<Line>, walk: Walk, out: &mut Vec<QuotedMail>) {
    let dedented = needs_dedent(&lines).then(|| dedent(&raw_text(&lines)).into_owned());
    let lines = match &dedented {
        Some(text) => split_lines(text),
        None => lines,
    };
    let parts = classify(&lines, false);
    let quoted = join_lines(&lines, &parts, Part::Quoted);
    let author = Address::new(
        header.name.as_deref(),
        header.email.as_deref().unwrap_or(""),
    );
    // The quotes inside this mail were written by its author's client: when its date came
    // with a zone, that zone is the best guess for theirs.
    let written = header.date.and_then(|d| d.zone_secs(walk.zone));
    let inner = Walk {
        level: walk.level + 1,
        zone: written.map(Reader::fixed).or(walk.zone),
        shown: Some((&author, written)),
        ..walk
    };
    rebuild(&quoted, inner, out);
    if !header.readable() {
        return;
    }
    let mut body = join(&lines, &parts, Part::Body);
    let mut first_note = true;
    for (n, note) in walk.notes {
        if body.contains(&format!("][{n}]")) {
            body.push_str(if first_note { "\n\n" } else { "\n" });
            body.push_str(note);
            first_note = false;
        }
    }
    let zoned = header.date.filter(|d| d.zone_secs(walk.zone).is_some());
    out.push(QuotedMail {
        author: author.clone(),
        date: header.date.map(|d| d.utc(walk.zone)),
        date_zoned: zoned.is_some(),
        date_local: header.date.filter(|_| zoned.is_none()).map(|d| d.local),
        shown_by: match header.date_in_author_zone {
            true => Some(author),
            false => walk.shown.map(|(by, _)| by.clone()),
        },
        shown_offset: (walk.shown)
            .filter(|_| !header.date_in_author_zone)
            .and_then(|(_, offset)| offset),
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

/// The lines of the text with one level of quoting removed: `split_lines` of the lines'
/// `dequote_one`, joined.
fn dequoted<'a>(lines: &'a [Line]) -> Vec<Line<'a>> {
    non_empty(lines.iter().map(Line::dequoted).collect())
}

/// The lines of the text the lines make, joined (`split_lines(&raw_text(lines))`).
fn as_text<'a>(lines: &'a [Line]) -> Vec<Line<'a>> {
    non_empty(lines.iter().map(Line::borrowed).collect())
}

/// Splitting an empty text gives one blank line.
fn non_empty(mut lines: Vec<Line>) -> Vec<Line> {
    if lines.is_empty() {
        lines.push(Line::BLANK);
    }
    lines
}

/// Would [`dedent`] change the text these lines make? Their raw text has no line breaks and
/// no trailing whitespace, so `str::lines` gives the same lines (a last empty one aside,
/// which the blank filter drops anyway).
fn needs_dedent(lines: &[Line]) -> bool {
    let common = (lines.iter())
        .filter(|l| !l.raw.trim().is_empty())
        .map(|l| indent(l.raw))
        .min()
        .unwrap_or(0);
    common >= 2 || lines.first().is_some_and(|l| l.raw.starts_with('\t'))
}

fn indent(l: &str) -> usize {
    l.len() - l.trim_start_matches([' ', '\t']).len()
}

/// Outlook for Mac and Lotus Notes quote by indenting instead of `>`: remove the indentation
/// every non-blank line shares.
fn dedent(text: &str) -> std::borrow::Cow<'_, str> {
    let common = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(indent)
        .min()
        .unwrap_or(0);
    if common < 2 && !text.starts_with('\t') {
        return text.into();
    }
    text.lines()
        .map(|l| l.get(common.min(indent(l))..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
        .into()
}

fn raw_text(lines: &[Line]) -> String {
    lines.iter().map(|l| l.raw).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unattributed_quote_is_not_a_mail() {
        assert!(reconstruct("> Can we ship on Friday?", QuoteContext::default()).is_empty());
        assert!(reconstruct("", QuoteContext::default()).is_empty());
    }

    #[test]
    fn indented_quote() {
        let q = "On 3/4/25, 9:41 AM, \"Carter, Jill\" <jill@x.com> wrote:\n\n    Can you look?\n\n    Jill\n";
        let mails = reconstruct(q, QuoteContext::default());
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].author.name.as_deref(), Some("Carter, Jill"));
        assert_eq!(mails[0].body, "Can you look?");
    }

    #[test]
    fn each_level_knows_whose_client_showed_its_time() {
        let q = "On Wed, Mar 5, 2025 at 9:15 AM Bob <bob@x.com> wrote:\n\n> Yes.\n>\n\
            > On Tue, Mar 4, 2025 at 6:30 PM +0100, Alice <alice@x.com> wrote:\n>\n>> Ready?\n>>\n\
            >> On 3/4/25 8:00 AM, Dan <dan@x.com> wrote:\n>>\n>>> Plan?\n";
        let ctx = QuoteContext {
            date_offset_secs: Some(-5 * 3600),
            date: None,
        };
        let mails = reconstruct(q, ctx);
        let who: Vec<_> = (mails.iter())
            .map(|m| {
                let by = m.shown_by.as_ref().map(|a| a.email.as_str());
                (m.author.email.as_str(), by, m.shown_offset, m.date_zoned)
            })
            .collect();
        assert_eq!(
            who,
            [
                ("dan@x.com", Some("alice@x.com"), Some(3600), false),
                ("alice@x.com", Some("bob@x.com"), None, true),
                ("bob@x.com", None, None, false),
            ]
        );
        // 08:00 as Alice's client (+0100) showed it; the wall-clock reading is kept.
        assert_eq!(mails[0].date, Some(1_741_071_600));
        assert_eq!(mails[0].date_local, Some(1_741_075_200));
        assert_eq!(
            mails[1].date_local, None,
            "a written zone needs no other reading"
        );
    }

    #[test]
    fn mutt_shows_the_time_in_the_author_zone() {
        // mutt's `%{…}` converts to the sender's zone: the author's own, not the quoter's.
        let q = "* Carl <carl@x.com> [2025-03-04 09:00]:\n> Plan?\n";
        let mails = reconstruct(q, QuoteContext::default());
        let by = mails[0].shown_by.as_ref().map(|a| a.email.as_str());
        assert_eq!(by, Some("carl@x.com"));
    }

    #[test]
    fn gmail_two_levels() {
        let q = "On Wed, Mar 5, 2025 at 9:15 AM Bob <bob@x.com> wrote:\n\n> Yes.\n>\n> On Tue, Mar 4, 2025 at 6:30 PM Alice <alice@x.com> wrote:\n>\n>> Ready?\n";
        let mails = reconstruct(q, QuoteContext::default());
        assert_eq!(mails.len(), 2);
        assert_eq!(mails[0].author.email, "alice@x.com");
        assert_eq!(mails[0].body, "Ready?");
        assert_eq!(mails[1].author.name.as_deref(), Some("Bob"));
        assert_eq!(mails[1].body, "Yes.");
    }

    #[test]
    fn entries_per_mail_are_bounded_keeping_the_newest() {
        let q: String = (0..130)
            .map(|i| {
                format!(
                    "On Mon, Mar 3, 2025 at 10:{:02} AM P{i} <p{i}@x.com> wrote:\n> msg {i}\n\n",
                    i % 60
                )
            })
            .collect();
        let mails = reconstruct(&q, QuoteContext::default());
        assert_eq!(mails.len(), MAX_ENTRIES, "{mails:?}");
        assert_eq!(mails.last().unwrap().author.email, "p129@x.com");
    }
}
