-- Full-text search (docs/SEARCH.md). Kept equivalent to migrations/postgres/0008_search.sql.
-- One FTS5 row per message (rowid = messages.id) with the index terms outloud computes (folded
-- case and accents, CJK runs as character pairs), separated by spaces: the `ascii` tokenizer
-- splits them back exactly. Contentless: the text is in messages already; contentless_delete
-- lets a row be deleted by rowid alone.
CREATE VIRTUAL TABLE message_search USING fts5(
    subject, body, author,
    content = '', contentless_delete = 1, tokenize = 'ascii'
);
-- However a message goes (a rebuilt entry found to repeat another, its group removed,
-- reprocess), its index row goes with it, in the same transaction.
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM message_search WHERE rowid = old.id;
END;
-- A search with a group, author or date filter reads those columns of each match it walks,
-- by id: from this narrow index rather than from the wide message rows.
CREATE INDEX messages_search_filters ON messages(id, date, group_id, author_email);
-- Messages to (re)index: the terms are computed in Rust, so SQL only queues the ids and
-- `outloud migrate` (every command migrates on start) indexes them right after. Backfills
-- every message stored before this migration.
CREATE TABLE search_pending (message_id INTEGER PRIMARY KEY);
INSERT INTO search_pending (message_id) SELECT id FROM messages;
