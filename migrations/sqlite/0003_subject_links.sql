-- Threading by subject looks at messages, not threads: a header-less reply links to the nearest
-- same-subject mail within the window on either side of its date, so arrival order does not
-- matter. Kept equivalent to migrations/postgres/0003_subject_links.sql.
ALTER TABLE messages ADD COLUMN subject_key TEXT NOT NULL DEFAULT '';
-- True for mail without References, In-Reply-To or Thread-Index that looks like a reply.
ALTER TABLE messages ADD COLUMN subject_link INTEGER NOT NULL DEFAULT 0;
-- Rows written before this migration take their thread's key (`outloud reprocess` recomputes
-- both columns exactly).
UPDATE messages SET subject_key = (SELECT t.subject_key FROM threads t WHERE t.id = messages.thread_id);
CREATE INDEX messages_group_subject_date ON messages(group_id, subject_key, date);
-- Outlook Thread-Index roots become reference keys of their thread (`thread-index:ROOT`), filed
-- for every mail that carries one, not only for the mail that started the thread.
INSERT INTO thread_refs (group_id, ref_id, thread_id)
SELECT group_id, 'thread-index:' || thread_index_root, id FROM threads
WHERE thread_index_root IS NOT NULL
ON CONFLICT (group_id, ref_id) DO NOTHING;
-- How a reconstructed entry's date was read (0 undated, 1 zone-less time in a UTC Date,
-- 2 in the quoting mail's own offset, 3 exact): a later, better reading re-dates it.
ALTER TABLE messages ADD COLUMN date_trust SMALLINT NOT NULL DEFAULT 3;
-- A person's last Date offset other than +0000 and when it was seen: the zone their quotes are
-- read in when a server stamped their mail +0000 (Exchange Online does).
ALTER TABLE people ADD COLUMN utc_offset INTEGER;
ALTER TABLE people ADD COLUMN utc_offset_at BIGINT;
