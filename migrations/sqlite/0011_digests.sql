-- Digests (issue 11): who gets one (people, audiences, choices), what was sent each period, and
-- what came back (clicks, unsubscribes, replies). Kept equivalent to
-- migrations/postgres/0011_digests.sql. Nothing here is deleted by outloud.

-- What is known of a person beyond the mail (which `people` is rebuilt from by reprocess):
-- the directory's name, and the last sign-in — the seam for web sign-in, which sets it through
-- Store::record_sign_in. People are the union of both tables.
CREATE TABLE person_profiles (
    email           TEXT    PRIMARY KEY,
    directory_name  TEXT,
    signed_in_at    INTEGER,
    updated_at      INTEGER  NOT NULL
);

-- Who exchanges mail with whom: an author and each To/Cc address of a published mail, stored
-- once per pair (a < b), with the last time. Derived: reprocess rebuilds it.
CREATE TABLE contacts (
    a        TEXT    NOT NULL,
    b        TEXT    NOT NULL,
    last_at  INTEGER NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX contacts_b ON contacts(b);

-- Each group's audience: an address or '*@domain'; source config | cli | directory.
CREATE TABLE audiences (
    group_id    INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    pattern     TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (group_id, pattern)
);

-- A person's digest choices: 'in' or 'out', for one group or (group_id NULL) for all digests.
-- The latest row per (email, group) counts; `via` says how (one-click, mailto, web, cli), and
-- `send_id` the digest it came from, for the statistics.
CREATE TABLE digest_choices (
    id        INTEGER PRIMARY KEY,
    email     TEXT    NOT NULL,
    group_id  INTEGER REFERENCES groups(id) ON DELETE CASCADE,
    choice    TEXT    NOT NULL,
    via       TEXT    NOT NULL,
    send_id   INTEGER,
    at        INTEGER NOT NULL
);
CREATE INDEX digest_choices_email ON digest_choices(email, id);

-- One row per (person, period) decided: sent (with its outbox mail) or skipped (why). The
-- unique key is what makes a round exactly-once: a crashed or concurrent round finds the row
-- and queues nothing. `token` names the digest in its click and unsubscribe links.
CREATE TABLE digest_sends (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL,
    period_start  INTEGER NOT NULL,
    period_end    INTEGER NOT NULL,
    decision      TEXT    NOT NULL,     -- sent | opted_out | no_groups | recently_active | dormant | nothing_new
    token         TEXT    NOT NULL UNIQUE,
    outbox_id     INTEGER REFERENCES outbox(id),
    threads       TEXT    NOT NULL DEFAULT '[]',  -- JSON array of thread ids, in order
    created_at    INTEGER NOT NULL,
    UNIQUE (email, period_start)
);
CREATE INDEX digest_sends_period ON digest_sends(period_start, decision);

-- Reply addresses: a token bound to (recipient, thread), valid `reply_token_days`.
CREATE TABLE digest_reply_tokens (
    token       TEXT    PRIMARY KEY,
    send_id     INTEGER NOT NULL REFERENCES digest_sends(id),
    email       TEXT    NOT NULL,
    thread_id   INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX digest_reply_tokens_send ON digest_reply_tokens(send_id);

-- Link follows through the redirect: kind click (a person, probably), head (a HEAD request) or
-- early (within a minute of delivery: likely a link scanner).
CREATE TABLE digest_clicks (
    id         INTEGER PRIMARY KEY,
    send_id    INTEGER NOT NULL REFERENCES digest_sends(id),
    thread_id  INTEGER,
    kind       TEXT    NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX digest_clicks_send ON digest_clicks(send_id);

-- Replies to a digest item: published as a comment, or refused (outcome says why).
CREATE TABLE digest_replies (
    id          INTEGER PRIMARY KEY,
    raw_sha256  TEXT    NOT NULL UNIQUE,
    token       TEXT    NOT NULL,
    send_id     INTEGER,
    sender      TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    at          INTEGER NOT NULL
);

-- Rounds started and finished, by period.
CREATE TABLE digest_rounds (
    period_start  INTEGER PRIMARY KEY,
    period_end    INTEGER NOT NULL,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER
);
