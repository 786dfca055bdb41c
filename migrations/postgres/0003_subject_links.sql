-- Threading by subject looks at messages, not threads: a header-less reply links to the nearest
-- same-subject mail within the window on either side of its date, so arrival order does not
-- matter. Kept equivalent to migrations/sqlite/0003_subject_links.sql.
ALTER TABLE messages ADD COLUMN subject_key TEXT NOT NULL DEFAULT '';
-- True for mail without References, In-Reply-To or Thread-Index that looks like a reply.
ALTER TABLE messages ADD COLUMN subject_link BOOLEAN NOT NULL DEFAULT FALSE;
-- Rows written before this migration take their thread's key (`outloud reprocess` recomputes
-- both columns exactly).
UPDATE messages m SET subject_key = t.subject_key FROM threads t WHERE t.id = m.thread_id;
CREATE INDEX messages_group_subject_date ON messages(group_id, subject_key, date);
