-- Replica leases: at most one instance works a mailbox at a time. Times are unix
-- milliseconds from the database's clock (not the replicas'), so hosts whose clocks differ
-- still agree on who holds a lease. A lease is held while expires_at > now.
-- Kept equivalent to migrations/sqlite/0002_leases.sql.
CREATE TABLE leases (
    name         TEXT   PRIMARY KEY,
    holder       TEXT   NOT NULL,
    expires_at   BIGINT NOT NULL,
    -- When the current holder took it (kept across renewals).
    acquired_at  BIGINT NOT NULL
);
