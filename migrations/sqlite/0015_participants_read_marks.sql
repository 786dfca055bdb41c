-- Issue 10, the web view. Kept equivalent to migrations/postgres/0015_participants_read_marks.sql.

-- Each message keeps its To and Cc (a JSON array of {name, email}): with the authors they are
-- the thread's email participants, shown on the thread page and mailed a comment written on
-- the web. Messages stored before this read as having none until `outloud reprocess`
-- refills them from the raw mails.
ALTER TABLE messages ADD COLUMN recipients TEXT NOT NULL DEFAULT '[]';

-- Read marks survive `outloud reprocess`, which deletes and renumbers threads: a mark is keyed
-- on the group and the Message-ID of the thread's first mail when it was read, and finds its
-- thread again through thread_refs (every Message-ID a thread holds or references).
CREATE TABLE read_marks (
    email          TEXT    NOT NULL,
    group_id       INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    message_id     TEXT    NOT NULL,
    seen_messages  INTEGER NOT NULL,
    read_at        INTEGER NOT NULL,
    PRIMARY KEY (email, group_id, message_id)
);

INSERT INTO read_marks (email, group_id, message_id, seen_messages, read_at)
SELECT r.email, t.group_id,
       (SELECT m.message_id FROM messages m WHERE m.thread_id = t.id
        ORDER BY m.reconstructed, m.date, m.id LIMIT 1),
       r.seen_messages, r.read_at
FROM thread_reads r JOIN threads t ON t.id = r.thread_id
WHERE EXISTS (SELECT 1 FROM messages m WHERE m.thread_id = t.id);

DROP TABLE thread_reads;

-- "Who posts here" on a group page counts a group's published messages per author.
CREATE INDEX messages_group_posters ON messages(group_id, reconstructed, author_email, author_name);
