-- Search filters in the index (docs/SEARCH.md). Kept equivalent to
-- migrations/sqlite/0009_search_filters.sql. Each `tsvector` gains the message's group and UTC
-- date (day, month, year, decade, century) as `#`-prefixed lexemes without positions, so the
-- GIN index narrows a search by group or date instead of each match's message row being read.
-- Every message is queued to be indexed again (`outloud migrate`, run by every command at
-- start, indexes the queue).
INSERT INTO search_pending (message_id) SELECT id FROM messages ON CONFLICT DO NOTHING;
