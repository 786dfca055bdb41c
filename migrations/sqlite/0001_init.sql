-- outloud schema, SQLite flavour. Kept equivalent to migrations/postgres/0001_init.sql.
-- Dates are unix seconds (INTEGER). Later changes (e.g. the worker lease table) go in new
-- numbered files; never edit an applied migration.

CREATE TABLE groups (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Addresses are stored lower-cased so routing compares them directly.
CREATE TABLE group_addresses (
    address   TEXT    PRIMARY KEY,
    group_id  INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE
);
CREATE INDEX group_addresses_group ON group_addresses(group_id);

CREATE TABLE people (
    email       TEXT    PRIMARY KEY,
    name        TEXT,
    first_seen  INTEGER NOT NULL
);

-- Every accepted mail as received: the source of truth for reprocess and export.
CREATE TABLE raw_mails (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256        TEXT    NOT NULL UNIQUE,
    message_id    TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    force_groups  TEXT    NOT NULL DEFAULT '[]',  -- JSON array of slugs
    received_at   INTEGER NOT NULL,
    bytes         BLOB    NOT NULL
);

CREATE TABLE threads (
    id                 INTEGER PRIMARY KEY,
    group_id           INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    subject            TEXT    NOT NULL,
    subject_key        TEXT    NOT NULL,
    thread_index_root  TEXT,
    started_at         INTEGER NOT NULL,
    last_activity      INTEGER NOT NULL,
    message_count      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX threads_group_activity ON threads(group_id, last_activity DESC);
CREATE INDEX threads_group_subject ON threads(group_id, subject_key, last_activity);
CREATE INDEX threads_group_thread_index ON threads(group_id, thread_index_root);

CREATE TABLE messages (
    id             INTEGER PRIMARY KEY,
    thread_id      INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    group_id       INTEGER NOT NULL,
    raw_sha256     TEXT,               -- NULL for entries reconstructed from quotes
    message_id     TEXT    NOT NULL,
    author_email   TEXT    NOT NULL,
    author_name    TEXT,
    date           INTEGER NOT NULL,
    subject        TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    quoted         TEXT    NOT NULL,
    signoff        TEXT    NOT NULL,
    signature      TEXT    NOT NULL,
    disclaimer     TEXT    NOT NULL,
    html           TEXT,
    attachments    TEXT    NOT NULL DEFAULT '[]',  -- JSON array of attachment descriptions
    via            TEXT    NOT NULL,
    reconstructed  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (group_id, message_id)
);
CREATE INDEX messages_thread_date ON messages(thread_id, date);
CREATE INDEX messages_raw ON messages(raw_sha256);

-- Message-IDs known to a thread: its messages' own ids and the ids they reference.
CREATE TABLE thread_refs (
    group_id   INTEGER NOT NULL,
    ref_id     TEXT    NOT NULL,
    thread_id  INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, ref_id)
) WITHOUT ROWID;
-- Serves the cascade when a thread goes.
CREATE INDEX thread_refs_thread ON thread_refs(thread_id);

CREATE TABLE skipped (
    raw_sha256  TEXT    PRIMARY KEY,
    message_id  TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    at          INTEGER NOT NULL
);

CREATE TABLE quarantine (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256       TEXT    NOT NULL UNIQUE,
    source       TEXT    NOT NULL,
    error        TEXT    NOT NULL,
    received_at  INTEGER NOT NULL,
    bytes        BLOB    NOT NULL
);

CREATE TABLE checkpoints (
    mailbox      TEXT    PRIMARY KEY,
    uidvalidity  INTEGER NOT NULL,
    last_uid     INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
