-- Search filters in the index (docs/SEARCH.md). Kept equivalent to
-- migrations/postgres/0009_search_filters.sql. Each row gains a `facets` column: the message's
-- group and UTC date (day, month, year, decade, century) as §-marked terms, so a search by
-- group or date is narrowed by the full-text index itself instead of reading each match's
-- message row.
-- An FTS5 table cannot gain a column: it is made again and every message queued for
-- indexing (`outloud migrate`, run by every command at start, indexes the queue). The
-- messages_search_delete trigger names the table and keeps working with the new one.
DROP TABLE message_search;
CREATE VIRTUAL TABLE message_search USING fts5(
    subject, body, author, facets,
    content = '', contentless_delete = 1, tokenize = 'ascii'
);
INSERT OR IGNORE INTO search_pending (message_id) SELECT id FROM messages;
