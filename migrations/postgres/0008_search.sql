-- Full-text search (docs/SEARCH.md). Kept equivalent to migrations/sqlite/0008_search.sql.
-- One tsvector per message with the index terms outloud computes (folded case and accents,
-- CJK runs as character pairs), written as a tsvector literal: no text search configuration
-- or dictionary runs over it, so both backends match the same terms. Subject weight A,
-- author B, body D. Rows go with their message (cascade).
CREATE TABLE message_search (
    message_id  BIGINT   PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    doc         TSVECTOR NOT NULL
);
CREATE INDEX message_search_doc ON message_search USING GIN (doc);
-- A search with a group, author or date filter reads those columns of each match by id: from
-- this narrow index (index-only) rather than from the wide message rows.
CREATE INDEX messages_search_filters ON messages(id) INCLUDE (date, group_id, author_email);
-- Messages to (re)index: the terms are computed in Rust, so SQL only queues the ids and
-- `outloud migrate` (every command migrates on start) indexes them right after. Backfills
-- every message stored before this migration.
CREATE TABLE search_pending (message_id BIGINT PRIMARY KEY);
INSERT INTO search_pending (message_id) SELECT id FROM messages;
