-- Policy (docs/POLICY.md): the moderation queue of held mail, the append-only audit log, and
-- retractions. Kept equivalent to migrations/sqlite/0012_policy.sql.

-- Mail policy held instead of publishing: its raw mail is in raw_mails; approving it publishes
-- it through the normal write path (the planner sees state = 'approved').
CREATE TABLE held (
    id          BIGSERIAL PRIMARY KEY,
    raw_sha256  TEXT    NOT NULL UNIQUE,
    message_id  TEXT    NOT NULL,
    sender      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    groups      TEXT    NOT NULL,   -- slugs it would be published in, comma-separated
    rule        TEXT    NOT NULL,   -- the policy rule that held it (sender_auth, sensitivity, …)
    reason      TEXT    NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'held',   -- held, approved, rejected
    held_at     BIGINT  NOT NULL,
    decided_at  BIGINT,
    decided_by  TEXT,
    note        TEXT
);
CREATE INDEX held_state ON held(state, held_at);

-- Every policy decision and admin change. Append-only: the trigger refuses any change.
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT  NOT NULL,
    actor       TEXT    NOT NULL,   -- policy, or who acted (cli:USER, sender:ADDRESS)
    action      TEXT    NOT NULL,   -- published, held, approved, rejected, retracted, …
    rule        TEXT,
    message_id  TEXT,
    detail      TEXT    NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_message ON audit_log(message_id);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Retracted posts, by Message-ID: their rows are deleted from every surface and the planner
-- never files them again (re-delivery, reprocess). The raw mail is kept until purge_after.
CREATE TABLE retractions (
    message_id   TEXT    PRIMARY KEY,
    retracted_at BIGINT  NOT NULL,
    retracted_by TEXT    NOT NULL,
    purge_after  BIGINT             -- NULL: keep the raw mail
);
