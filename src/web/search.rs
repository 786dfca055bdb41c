//! The search request the page (`/search`) and the API (`/api/v1/search`) both take:
//! `q`, `group`, `author`, `from`, `to` (plus paging), turned into a [`SearchQuery`].

use serde::Deserialize;

use crate::core::search::query::{parse_date_bound, Bound};
use crate::core::search::ParsedQuery;
use crate::store::{SearchQuery, Store, StoreError};

/// Query-string parameters. Dates are `YYYY-MM-DD` (UTC; `to` includes that day) or unix
/// seconds; a blank parameter is no filter (what an empty form field sends).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub author: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    /// The page's paging (1-based); the API uses `limit` and `offset`.
    pub page: Option<i64>,
}

/// Why a search could not be run.
#[derive(Debug)]
pub(crate) enum SearchError {
    /// A parameter is wrong; the message says which and how.
    BadRequest(String),
    /// `group` names no group.
    NoGroup(String),
    Store(StoreError),
}

impl From<StoreError> for SearchError {
    fn from(e: StoreError) -> Self {
        SearchError::Store(e)
    }
}

impl SearchParams {
    /// True when `q` and `author` hold nothing to search for.
    pub(crate) fn is_empty(&self) -> bool {
        ParsedQuery::parse(&self.q, Some(&self.author)).is_empty()
    }

    /// The store query for `limit` hits from `offset`.
    pub(crate) async fn query(
        &self,
        store: &dyn Store,
        limit: i64,
        offset: i64,
    ) -> Result<SearchQuery, SearchError> {
        let from = parse_date_bound(&self.from, Bound::From)
            .map_err(|e| SearchError::BadRequest(format!("from: {e}")))?;
        let to = parse_date_bound(&self.to, Bound::To)
            .map_err(|e| SearchError::BadRequest(format!("to: {e}")))?;
        let slug = self.group.trim();
        let group = if slug.is_empty() {
            None
        } else {
            let groups = store.groups().await?;
            let g = groups.iter().find(|g| g.slug == slug);
            Some(g.ok_or_else(|| SearchError::NoGroup(slug.to_string()))?.id)
        };
        let author = Some(self.author.trim()).filter(|a| !a.is_empty());
        Ok(SearchQuery {
            text: self.q.clone(),
            group,
            author: author.map(str::to_string),
            from,
            to,
            limit,
            offset,
        })
    }
}
