//! Full-text search, the pure part: how text becomes index terms ([`terms`]), how a query
//! becomes clauses over those terms ([`query`]), and how a hit's text is shown with the
//! matches marked ([`snippet`]). The store keeps the terms in SQLite FTS5 or a PostgreSQL
//! `tsvector`; both get the same terms from here, so both backends find the same messages.
//! Rules and limits: `docs/SEARCH.md`.

pub mod facets;
pub mod query;
pub mod snippet;
pub mod terms;

pub use query::{Clause, ParsedQuery};
pub use snippet::Highlighter;
pub use terms::Document;
