-- The outbox: every mail outloud sends, queued in the transaction of the change that causes it
-- and sent by the sender worker of `outloud run`; and the bounces that come back. Nothing here
-- is ever deleted: failed deliveries keep their attempts, cleared bounces keep `cleared_at`.
-- Kept equivalent to migrations/sqlite/0006_outbox.sql.

-- One row per mail: its bytes and Message-ID are fixed when it is queued, so a resend after a
-- crash is the very same mail.
CREATE TABLE outbox (
    id          BIGSERIAL PRIMARY KEY,
    message_id  TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,   -- what queued it: test, notice, …
    subject     TEXT    NOT NULL,
    bytes       BYTEA   NOT NULL,
    created_at  BIGINT  NOT NULL
);

-- One delivery per (mail, recipient): one SMTP transaction with its own return path
-- (LOCAL+token@DOMAIN). States: queued, retrying, sent, bounced, failed, cancelled.
CREATE TABLE outbox_deliveries (
    id               BIGSERIAL PRIMARY KEY,
    outbox_id        BIGINT  NOT NULL REFERENCES outbox(id),
    recipient        TEXT    NOT NULL,
    token            TEXT    NOT NULL UNIQUE,
    state            TEXT    NOT NULL,
    attempts         BIGINT  NOT NULL DEFAULT 0,
    -- Unix seconds on outloud's clock (injected in tests): when it is due.
    next_attempt_at  BIGINT  NOT NULL,
    -- The sender holding it, until lease_until (unix milliseconds, the database's clock).
    lease_holder     TEXT,
    lease_until      BIGINT,
    -- An attempt was started and not finished: its sender died inside the SMTP transaction.
    in_flight        BOOLEAN NOT NULL DEFAULT FALSE,
    last_code        INTEGER,
    last_reply       TEXT,
    failure          TEXT,            -- undeliverable, expired, suppressed
    sent_at          BIGINT,
    updated_at       BIGINT  NOT NULL,
    UNIQUE (outbox_id, recipient)
);
CREATE INDEX outbox_deliveries_due ON outbox_deliveries(next_attempt_at, id)
    WHERE state IN ('queued', 'retrying');
CREATE INDEX outbox_deliveries_state ON outbox_deliveries(state);
CREATE INDEX outbox_deliveries_recipient ON outbox_deliveries(recipient);

-- Every attempt, written when it starts and closed when it ends (outcome NULL while in flight,
-- 'interrupted' when its sender died during it).
CREATE TABLE outbox_attempts (
    delivery_id  BIGINT  NOT NULL REFERENCES outbox_deliveries(id),
    attempt      BIGINT  NOT NULL,
    holder       TEXT    NOT NULL,
    started_at   BIGINT  NOT NULL,
    ended_at     BIGINT,
    outcome      TEXT,
    code         INTEGER,
    reply        TEXT,
    PRIMARY KEY (delivery_id, attempt)
);

-- Bounces per address, scored soft 1 / hard 2: a 5xx at RCPT TO (source smtp) or a bounce mail
-- that came back (source mail, one per bounce mail and address).
CREATE TABLE bounces (
    id           BIGSERIAL PRIMARY KEY,
    address      TEXT    NOT NULL,
    at           BIGINT  NOT NULL,
    severity     TEXT    NOT NULL,
    points       BIGINT  NOT NULL,
    source       TEXT    NOT NULL,
    status       TEXT,
    detail       TEXT    NOT NULL,
    delivery_id  BIGINT  REFERENCES outbox_deliveries(id),
    raw_sha256   TEXT,
    cleared_at   BIGINT,
    UNIQUE (raw_sha256, address)
);
CREATE INDEX bounces_address ON bounces(address, at);
