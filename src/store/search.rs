//! What both backends share for full-text search: the documents a write set indexes, the
//! index text each backend stores (FTS5 columns, a `tsvector` literal), the query each one
//! runs (an FTS5 expression, a `tsquery` literal), and the hits assembled from result rows.
//!
//! The terms come from [`crate::core::search`] on both backends, so matching is decided in one
//! place; the databases only store and intersect terms and rank by them. Every term is letters
//! and digits only, so the generated expressions cannot carry operators or quotes of their own;
//! they are still escaped.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::core::plan::{GroupId, MessageRowId, ThreadId, WriteSet};
use crate::core::search::facets::{date_cover, facet_terms, group_term, whole_days};
use crate::core::search::{Clause, Document, Highlighter, ParsedQuery};

use super::{SearchHit, SearchQuery};

/// Select list for [`HitRow`] over `messages m JOIN groups g ON g.id = m.group_id`. Only the
/// first 8,192 characters of a body are read back for its snippet (a match further in shows
/// the body's opening instead): that bounds the work per hit.
pub(crate) const HIT_COLUMNS: &str = "m.id, m.thread_id, m.group_id, g.slug AS group_slug, \
     m.message_id, m.subject, m.author_email, m.author_name, m.date, m.reconstructed, \
     substr(m.body, 1, 8192) AS body";

/// How many of the newest matches are ranked. A rare query ranks all its matches; a common
/// one (a word in most mails) ranks only its newest this many, so its cost stays flat as the
/// archive grows instead of growing with every mail that contains the word. Each candidate
/// costs a read of its index row and a score: 1,000 cost PostgreSQL about 18 ms per query on
/// 2 cores (too much for 100 searches a second, docs/BENCHMARKS.md), 300 about 6 ms; 300 is
/// fifteen pages of results.
pub(crate) const RANKED_CANDIDATES: i64 = 300;

/// The candidates to rank for `q`: [`RANKED_CANDIDATES`], or more when paging past them.
pub(crate) fn candidates(q: &SearchQuery) -> i64 {
    RANKED_CANDIDATES.max(q.offset.saturating_add(q.limit))
}

/// The filters the index decides itself: the group's term, and the terms covering the date
/// range (see [`crate::core::search::facets`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct IndexFilters {
    pub group: Option<String>,
    pub dates: Option<Vec<String>>,
}

impl IndexFilters {
    /// `None` when the date range holds no day at all: nothing can match.
    pub(crate) fn of(q: &SearchQuery) -> Option<IndexFilters> {
        let dates = match (q.from, q.to) {
            (None, None) => None,
            (from, to) => {
                let cover = date_cover(from, to);
                if cover.is_empty() {
                    return None;
                }
                Some(cover)
            }
        };
        Some(IndexFilters {
            group: q.group.map(group_term),
            dates,
        })
    }
}

/// True when matches still need their message row read for a filter: an exact author address,
/// or date bounds within a day (the index's date terms are whole days).
pub(crate) fn has_row_filters(q: &SearchQuery) -> bool {
    author_address(q.author.as_deref()).is_some() || !whole_days(q.from, q.to)
}

/// Appends ` AND …` for each filter of `q` the index does not decide, over `messages m`.
pub(crate) fn push_row_filters<DB>(qb: &mut sqlx::QueryBuilder<DB>, q: &SearchQuery)
where
    DB: sqlx::Database,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    if let Some(address) = author_address(q.author.as_deref()) {
        qb.push(" AND m.author_email = ").push_bind(address);
    }
    if whole_days(q.from, q.to) {
        return;
    }
    if let Some(from) = q.from {
        qb.push(" AND m.date >= ").push_bind(from);
    }
    if let Some(to) = q.to {
        qb.push(" AND m.date <= ").push_bind(to);
    }
}

/// bm25 weights of the FTS5 columns (subject, body, author, facets): a word in the subject
/// counts four times one in the body, the author's name twice; the filter terms not at all.
pub(crate) const FTS5_WEIGHTS: &str = "4.0, 1.0, 2.0, 0.0";

/// What one message puts in the index: its words and its filter terms.
pub(crate) struct IndexDoc {
    pub doc: Document,
    pub facets: Vec<String>,
}

/// The messages a write set inserts or overwrites, by their unique key (group, Message-ID)
/// since inserted rows get their ids from the database.
pub(crate) fn write_set_documents(ws: &WriteSet) -> Vec<(GroupId, &str, IndexDoc)> {
    (ws.replacements.iter().map(|(_, m)| m))
        .chain(&ws.messages)
        .map(|m| {
            let doc = Document::new(
                &m.subject,
                m.author_name.as_deref(),
                &m.author_email,
                &m.clean.body,
            );
            let facets = facet_terms(m.place.group_id, m.date);
            (
                m.place.group_id,
                m.message_id.as_str(),
                IndexDoc { doc, facets },
            )
        })
        .collect()
}

/// The columns read back to (re)index stored messages, by id ([`IndexTuple`]).
pub(crate) const INDEX_COLUMNS: &str =
    "id, subject, author_name, author_email, body, group_id, date";

/// A stored message's [`INDEX_COLUMNS`].
pub(crate) type IndexTuple = (
    MessageRowId,
    String,
    Option<String>,
    String,
    String,
    GroupId,
    i64,
);

pub(crate) fn tuple_document(t: &IndexTuple) -> IndexDoc {
    IndexDoc {
        doc: Document::new(&t.1, t.2.as_deref(), &t.3, &t.4),
        facets: facet_terms(t.5, t.6),
    }
}

// --- SQLite FTS5 ---------------------------------------------------------------------------

/// Marks a filter term in FTS5. Word terms are letters and digits only, so none starts with
/// it, and the `ascii` tokenizer keeps a non-ASCII character inside its token: a text clause
/// never matches a filter term, without a column filter (one would make FTS5 read every
/// match's positions, which costs most for the commonest words).
const FACET_MARK: char = '§';

/// The FTS5 columns (subject, body, author, facets): terms separated by spaces, which is
/// exactly how the table's `ascii` tokenizer splits them back.
pub(crate) fn fts5_columns(d: &IndexDoc) -> [String; 4] {
    let facets: Vec<String> = d
        .facets
        .iter()
        .map(|f| format!("{FACET_MARK}{f}"))
        .collect();
    [
        d.doc.subject.join(" "),
        d.doc.body.join(" "),
        d.doc.author.join(" "),
        facets.join(" "),
    ]
}

/// The FTS5 expression: every clause must match (text clauses in any column, author clauses
/// in the author column), and the filter terms in the facets column.
pub(crate) fn fts5_match(q: &ParsedQuery, filters: &IndexFilters) -> String {
    let text = q.text.iter().map(fts5_phrase);
    let author = (q.author.iter()).map(|c| format!("author : {}", fts5_phrase(c)));
    let group = (filters.group.iter()).map(|g| format!("facets : \"{FACET_MARK}{g}\""));
    let dates = (filters.dates.iter()).map(|terms| {
        let any: Vec<String> = (terms.iter())
            .map(|t| format!("\"{FACET_MARK}{t}\""))
            .collect();
        format!("facets : ({})", any.join(" OR "))
    });
    (text.chain(author).chain(group).chain(dates))
        .collect::<Vec<_>>()
        .join(" AND ")
}

fn fts5_phrase(c: &Clause) -> String {
    let mut s = String::from("\"");
    s.push_str(&c.terms.join(" ").replace('"', "\"\""));
    s.push('"');
    if c.prefix {
        s.push('*');
    }
    s
}

// --- PostgreSQL tsvector -------------------------------------------------------------------

/// PostgreSQL's largest position in a `tsvector`; later terms share it.
const PG_MAX_POSITION: usize = 16_383;
/// PostgreSQL keeps at most 256 positions per term.
const PG_MAX_POSITIONS: usize = 256;

/// The document as a `tsvector` literal (cast with `::tsvector`, taken as is: no parser or
/// dictionary runs over it): subject weight A, author B, body D, a gap between fields so a
/// phrase never spans two.
pub(crate) fn tsvector(d: &IndexDoc) -> String {
    let doc = &d.doc;
    let mut by_term: HashMap<&str, Vec<(usize, char)>> = HashMap::new();
    let mut pos = 1;
    for (terms, weight) in [(&doc.subject, 'A'), (&doc.author, 'B'), (&doc.body, 'D')] {
        for term in terms {
            let places = by_term.entry(term.as_str()).or_default();
            let p = pos.min(PG_MAX_POSITION);
            if places.len() < PG_MAX_POSITIONS && places.last().is_none_or(|l| l.0 != p) {
                places.push((p, weight));
            }
            pos += 1;
        }
        pos += 1;
    }
    let mut out = String::new();
    for (term, places) in by_term {
        if !out.is_empty() {
            out.push(' ');
        }
        push_pg_quoted(&mut out, term);
        out.push(':');
        for (i, (p, w)) in places.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{p}");
            if *w != 'D' {
                out.push(*w);
            }
        }
    }
    // Filter terms without positions, `#` keeping them apart from every word.
    for f in &d.facets {
        if !out.is_empty() {
            out.push(' ');
        }
        push_pg_quoted(&mut out, &format!("#{f}"));
    }
    out
}

/// The `tsquery` literal: every clause must match, phrases with `<->`, prefixes with `:*`,
/// author clauses only at weight B (the author field).
pub(crate) fn tsquery(q: &ParsedQuery) -> String {
    let text = q.text.iter().map(|c| pg_phrase(c, ""));
    let author = q.author.iter().map(|c| pg_phrase(c, "B"));
    text.chain(author).collect::<Vec<_>>().join(" & ")
}

/// [`tsquery`] and the filter terms: what the GIN index selects by (ranking uses [`tsquery`]
/// alone, so the filters do not change a hit's rank).
pub(crate) fn tsquery_filtered(q: &ParsedQuery, filters: &IndexFilters) -> String {
    let mut out = tsquery(q);
    let quoted = |t: &String| {
        let mut s = String::new();
        push_pg_quoted(&mut s, &format!("#{t}"));
        s
    };
    if let Some(g) = &filters.group {
        out.push_str(" & ");
        out.push_str(&quoted(g));
    }
    if let Some(dates) = &filters.dates {
        let any: Vec<String> = dates.iter().map(quoted).collect();
        let _ = write!(out, " & ({})", any.join(" | "));
    }
    out
}

fn pg_phrase(c: &Clause, weight: &str) -> String {
    let mut out = String::from("(");
    for (i, term) in c.terms.iter().enumerate() {
        if i > 0 {
            out.push_str(" <-> ");
        }
        push_pg_quoted(&mut out, term);
        let prefix = if c.prefix && i + 1 == c.terms.len() {
            "*"
        } else {
            ""
        };
        if !prefix.is_empty() || !weight.is_empty() {
            let _ = write!(out, ":{prefix}{weight}");
        }
    }
    out.push(')');
    out
}

/// `'term'` with `'` and `\` escaped, as the `tsvector` and `tsquery` input formats read it.
fn push_pg_quoted(out: &mut String, term: &str) {
    out.push('\'');
    for c in term.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('\'');
}

// --- hits ----------------------------------------------------------------------------------

/// A result row: [`HIT_COLUMNS`].
#[derive(sqlx::FromRow)]
pub(crate) struct HitRow {
    id: MessageRowId,
    thread_id: ThreadId,
    group_id: GroupId,
    group_slug: String,
    message_id: String,
    subject: String,
    author_email: String,
    author_name: Option<String>,
    date: i64,
    reconstructed: bool,
    body: String,
}

/// Rows (best first) → hits with the query's matches marked.
pub(crate) fn hits(rows: Vec<HitRow>, q: &ParsedQuery) -> Vec<SearchHit> {
    let hl = Highlighter::new(q);
    rows.into_iter()
        .map(|r| SearchHit {
            subject_html: hl.mark_all(&r.subject),
            snippet_html: hl.snippet(&r.body),
            id: r.id,
            thread_id: r.thread_id,
            group_id: r.group_id,
            group_slug: r.group_slug,
            message_id: r.message_id,
            subject: r.subject,
            author_email: r.author_email,
            author_name: r.author_name,
            date: r.date,
            reconstructed: r.reconstructed,
        })
        .collect()
}

/// The author filter as an exact address to compare with `messages.author_email` (lower
/// case, as stored), when it is one.
pub(crate) fn author_address(author: Option<&str>) -> Option<String> {
    let a = author?.trim();
    (a.contains('@') && !a.contains(char::is_whitespace)).then(|| a.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts5_expressions() {
        let q = ParsedQuery::parse(r#"muller "release plan" 東 deploy*"#, Some("Ann"));
        assert_eq!(
            fts5_match(&q, &IndexFilters::default()),
            r#""muller" AND "release plan" AND "東"* AND "deploy"* AND author : "ann""#
        );
        let filters = IndexFilters {
            group: Some("g2".into()),
            dates: Some(vec!["m202403".into(), "d20240401".into()]),
        };
        assert_eq!(
            fts5_match(&ParsedQuery::parse("plan", None), &filters),
            r#""plan" AND facets : "§g2" AND facets : ("§m202403" OR "§d20240401")"#
        );
        let doc = indexed("Budżet", Some("Zofia"), "z@x.pl", "Tak, 会議室");
        assert_eq!(
            fts5_columns(&doc),
            [
                "budzet".to_string(),
                "tak 会議 議室 室".to_string(),
                "zofia z x pl".to_string(),
                "§g1 §c19 §x197 §y1970 §m197001 §d19700101".to_string(),
            ]
        );
    }

    fn indexed(subject: &str, name: Option<&str>, email: &str, body: &str) -> IndexDoc {
        IndexDoc {
            doc: Document::new(subject, name, email, body),
            facets: facet_terms(1, 0),
        }
    }

    #[test]
    fn index_filters() {
        let q = |group, from, to| SearchQuery {
            group,
            from,
            to,
            ..Default::default()
        };
        assert_eq!(
            IndexFilters::of(&q(None, None, None)),
            Some(IndexFilters::default())
        );
        let f = IndexFilters::of(&q(Some(3), Some(0), Some(86_399))).unwrap();
        assert_eq!(f.group.as_deref(), Some("g3"));
        assert_eq!(f.dates, Some(vec!["d19700101".to_string()]));
        assert!(!has_row_filters(&q(Some(3), Some(0), Some(86_399))));
        assert!(has_row_filters(&q(None, Some(5), None)));
        assert_eq!(IndexFilters::of(&q(None, Some(86_400), Some(0))), None);
    }

    #[test]
    fn tsquery_literals() {
        let q = ParsedQuery::parse(r#"muller "release plan" 東 deploy*"#, Some("ann@x.de"));
        assert_eq!(
            tsquery(&q),
            "('muller') & ('release' <-> 'plan') & ('東':*) & ('deploy':*) & \
             ('ann':B <-> 'x':B <-> 'de':B)"
        );
        let filters = IndexFilters {
            group: Some("g2".into()),
            dates: Some(vec!["y2024".into(), "m202501".into()]),
        };
        assert_eq!(
            tsquery_filtered(&ParsedQuery::parse("plan", None), &filters),
            "('plan') & '#g2' & ('#y2024' | '#m202501')"
        );
        let mut s = String::new();
        push_pg_quoted(&mut s, r"it's \");
        assert_eq!(s, r"'it''s \\'");
    }

    #[test]
    fn tsvector_positions_and_weights() {
        let doc = indexed("Plan plan", Some("Ann"), "a@x", "the plan");
        let v = tsvector(&doc);
        let mut parts: Vec<&str> = v.split(' ').collect();
        parts.sort_unstable();
        // subject 1-2 (A), gap, author 4-6 (B), gap, body 8-9 (D, the default weight); the
        // filter terms without positions.
        assert_eq!(
            parts,
            vec![
                "'#c19'",
                "'#d19700101'",
                "'#g1'",
                "'#m197001'",
                "'#x197'",
                "'#y1970'",
                "'a':5B",
                "'ann':4B",
                "'plan':1A,2A,9",
                "'the':8",
                "'x':6B"
            ]
        );
    }

    #[test]
    fn tsvector_caps_positions() {
        let body = "w ".repeat(PG_MAX_POSITION + 10);
        let doc = indexed("", None, "", &body);
        let v = tsvector(&doc);
        assert_eq!(v.matches(',').count(), PG_MAX_POSITIONS - 1);
        let body = format!("{} late", "w ".repeat(PG_MAX_POSITION + 10));
        let v = tsvector(&indexed("", None, "", &body));
        assert!(v.contains("'late':16383"), "{v}");
    }

    #[test]
    fn candidates_cover_the_page() {
        let q = |offset, limit| SearchQuery {
            offset,
            limit,
            ..Default::default()
        };
        assert_eq!(candidates(&q(0, 21)), RANKED_CANDIDATES);
        assert_eq!(candidates(&q(1_990, 21)), 2_011);
    }

    #[test]
    fn author_addresses() {
        assert_eq!(
            author_address(Some(" Ann@Corp.Example ")),
            Some("ann@corp.example".into())
        );
        assert_eq!(author_address(Some("Ann Smith")), None);
        assert_eq!(author_address(None), None);
    }
}
